"""Check a user's equations against a derivation (`replica check`).

Input: lines `NAME = EXPRESSION` (blank lines and `#` comments skipped), NAME a term or an
equation of the derivation (G_S, G_E, I, qhat, q, Rhat, alpha_c, ...).  EXPRESSION uses the
whitelist formula grammar with the order parameters (q, qhat, R, Rhat, alpha, kappa, sigma,
lambda_1, ...) and E_t(...), E_z(...) (Gaussian expectations), H(x), phi(x), Phi(x).

A line is equal symbolically when sympy reduces the difference to 0, else numerically when
both sides agree at random points to 1e-20 (mpmath, 40 digits).  The symbolic step is
skipped when sp.expand would give more than 1000 terms or the difference has more than
200 operations (sympy's expand and simplify have no bound of their own); the numerical one
calls the formula module's bounded mpmath functions with the symbols as numbers.  When they differ, the
first user term t with (user - derived) / t constant is named: replacing t by
t - (user - derived) gives the derived equation (a flipped sign shows as a factor -1).
"""
from __future__ import annotations

import dataclasses
import math
import random

import mpmath as mp
import sympy as sp

from ..priors.formula import MP_BOUNDED, FormulaError, bounded_powers, parse_formula
from .core import H, R, Rh, alpha, gauss, gauss_linear, kappa, phi, q, qh, sigma, t, w, z
from .numeric import MP_MODULES, REACH, _tail_safe, undo_erfc_reflection
from .render import _Text, text as _ordered_text

DPS = 40
N_POINTS = 3
MAX_TERMS = 1000      # of sp.expand, estimated before expanding
MAX_OPS = 200         # sp.simplify only below this
_MODULES = [{**MP_MODULES[0], **MP_BOUNDED}, "mpmath"]

SYMBOLS = {"q": q, "qhat": qh, "qh": qh, "R": R, "Rhat": Rh, "alpha": alpha, "kappa": kappa,
           "sigma": sigma, "t": t, "z": z, "w": w}
FUNCTIONS = {
    "E_t": (1, 1, lambda f: gauss(f, t)), "E_z": (1, 1, lambda f: gauss(f, z)),
    "H": (1, 1, H), "phi": (1, 1, phi), "Phi": (1, 1, lambda x: 1 - H(x)),
}
ALIASES = {"qh": "qhat", "Gs": "G_S", "GS": "G_S", "Ge": "G_E", "GE": "G_E", "alphac": "alpha_c"}
RANGES = {q: (0.2, 0.8), qh: (0.2, 3.0), R: (0.1, 0.4), Rh: (0.1, 2.0), alpha: (0.3, 2.0),
          kappa: (0.1, 1.0), sigma: (0.1, 1.0)}


class CheckError(ValueError):
    """A check file that cannot be read."""


@dataclasses.dataclass
class LineResult:
    name: str
    ok: bool
    how: str
    detail: str = ""


def parse_line(line: str, lineno: int, extra_symbols):
    if "=" not in line:
        raise CheckError(f"line {lineno}: expected NAME = EXPRESSION")
    name, expr = (s.strip() for s in line.split("=", 1))
    name = ALIASES.get(name, name)
    syms = dict(SYMBOLS)
    syms.update(extra_symbols)
    try:
        return name, parse_formula(expr, variables=(), symbols=syms, functions=FUNCTIONS)
    except FormulaError as exc:
        raise CheckError(f"line {lineno}: {exc}") from None


def text(expr):
    """The text form; unordered when a term is a constant integral (ordering the terms of a
    sum evaluates constants with sympy's evalf, which has no bound)."""
    if any(not i.free_symbols for i in expr.atoms(sp.Integral)):
        return _Text({"order": "none"}).doprint(expr)
    return _ordered_text(expr)


def _evaluate(expr, point):
    """expr at `point` by mpmath with the bounded functions, the symbols passed as numbers
    (an exact subs would let sympy compute exact powers of any size)."""
    syms = sorted(point, key=lambda s_: s_.name)
    body = bounded_powers(undo_erfc_reflection(expr))
    ints = list(body.atoms(sp.Integral))
    holders = [sp.Dummy() for _ in ints]
    rest = body.xreplace(dict(zip(ints, holders)))
    try:
        if any(i.function.has(sp.Integral) for i in ints):
            raise ArithmeticError("nested integrals are compared symbolically only")
        if rest.free_symbols - set(syms) - set(holders):
            raise ValueError
        with mp.workdps(DPS):
            args = [mp.mpf(point[s_].p) / point[s_].q for s_ in syms]
            vals = []
            for integral in ints:
                (var, lo, hi), = integral.limits
                if integral.function.free_symbols - set(syms) - {var}:
                    raise ValueError
                f = sp.lambdify(syms + [var], integral.function, modules=_MODULES)
                ends = [mp.mpf(-REACH) if lo == -sp.oo else sp.lambdify(syms, lo, modules=_MODULES)(*args),
                        mp.mpf(REACH) if hi == sp.oo else sp.lambdify(syms, hi, modules=_MODULES)(*args)]
                pts = [ends[0], 0, ends[1]] if ends[0] < 0 < ends[1] else ends
                vals.append(mp.quad(_tail_safe(lambda x, f=f: f(*args, x)), pts))
            val = mp.mpmathify(sp.lambdify(syms + holders, rest, modules=_MODULES)(*args, *vals))
    except (ValueError, TypeError, ZeroDivisionError, OverflowError, NameError):
        val = mp.nan
    if not mp.isfinite(val):
        raise ArithmeticError(f"cannot evaluate {text(expr)} numerically")
    return complex(val)


def _expanded_terms(e, cap=10 ** 6):
    """Upper estimate of the number of terms of sp.expand(e) (capped), computed without
    expanding: sums add, products multiply, integer powers of sums are multinomials."""
    if e.is_Atom:
        return 1
    if e.is_Add:
        return min(cap, sum(_expanded_terms(a, cap) for a in e.args))
    if e.is_Mul:
        return min(cap, math.prod(_expanded_terms(a, cap) for a in e.args))
    if e.is_Pow and e.exp.is_Rational and abs(e.exp) >= 2:
        k, n = _expanded_terms(e.base, cap), int(abs(e.exp))
        return 1 if k == 1 else cap if n >= cap or k >= cap else min(cap, math.comb(n + k - 1, k - 1))
    return min(cap, max(_expanded_terms(a, cap) for a in e.args))  # expand goes into arguments


def _points(symbols, n, seed=12345):
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        pt = {}
        for s in symbols:
            lo, hi = RANGES.get(s, (0.2, 0.9))
            pt[s] = sp.Rational(round(rng.uniform(lo, hi), 6)).limit_denominator(10 ** 6)
        out.append(pt)
    return out


def compare(name: str, user, derived) -> LineResult:
    symbolic = _expanded_terms(user - derived) <= MAX_TERMS
    diff = sp.expand(user - derived) if symbolic else user - derived
    try:
        if diff == 0 or (symbolic and not diff.has(sp.Integral) and sp.count_ops(diff) <= MAX_OPS
                         and sp.simplify(diff) == 0):
            return LineResult(name, True, "symbolically equal")
    except (NotImplementedError, TypeError, RecursionError):
        pass
    syms = sorted(((user.free_symbols | derived.free_symbols) - {t, z, w}), key=lambda s: s.name)
    pts = _points(syms, N_POINTS)
    dvals = [_evaluate(diff, p) for p in pts]
    scale = [max(1.0, abs(_evaluate(derived, p))) for p in pts]
    if all(abs(d) < 1e-20 * s for d, s in zip(dvals, scale)):
        return LineResult(name, True, f"numerically equal at {N_POINTS} random points (|difference| < 1e-20)")
    # locate: the user term whose multiple the difference is
    written = list(sp.Add.make_args(user))  # the terms as the user wrote them, then expanded
    small = symbolic and sp.count_ops(user) <= MAX_OPS  # gauss_linear simplifies and expands
    expanded = [x for x in sp.Add.make_args(sp.expand(gauss_linear(user))) if x not in written] \
        if small else []
    for term in written + expanded:
        tvals = [_evaluate(term, p) for p in pts]
        if any(abs(tv) < 1e-25 for tv in tvals):
            continue
        ratios = [d / tv for d, tv in zip(dvals, tvals)]
        if all(abs(r - ratios[0]) < 1e-15 * max(1, abs(ratios[0])) for r in ratios):
            c = ratios[0]
            fix = sp.nsimplify(1 - c.real, rational=True, tolerance=1e-12)
            kind = "sign flipped" if abs(c - 2) < 1e-12 else f"off by a factor {sp.nsimplify(1 / fix) if fix != 0 else 'oo'}" \
                if fix != 0 else "should not be there"
            return LineResult(name, False, "differs",
                              f"term `{text(term)}`: {kind}; the derivation has `{text(fix * term)}` there")
    return LineResult(name, False, "differs",
                      f"difference {text(diff)} (no single term accounts for it)")


def check_text(content: str, derivation) -> list:
    results = []
    extra = {}
    for s in derivation.free_symbols():
        extra[s.name] = s
    for lineno, raw in enumerate(content.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, user = parse_line(line, lineno, extra)
        try:
            derived = derivation.get(name)
        except KeyError:
            raise CheckError(f"line {lineno}: '{name}' is not in the derivation (known: "
                             f"{', '.join(derivation.names())})") from None
        results.append(compare(name, user, derived))
    if not results:
        raise CheckError("no equations found (lines NAME = EXPRESSION)")
    return results
