"""Derived expressions as numeric functions: mpmath (any precision) and numpy (float64).

`lambdify(expr, symbols, backend)` turns a derivation's expression, Gaussian integrals
included, into a function of `symbols`.  Integrals over the real line become mp.quad on
|var| <= 13 (mpmath) or a fixed composite Gauss-Legendre rule on [-13, 13] (numpy, 2080
nodes: exact to rounding for the smooth integrands of E1-E6 at q up to ~0.99)."""
from __future__ import annotations

import mpmath as mp
import numpy as np
import sympy as sp
from scipy import special


REACH = 13.0
_DPS = 40


def _tail_safe(f):
    def g(x):
        try:
            return f(x)
        except ZeroDivisionError:  # 0/0 from cancellation where the Gaussian weight is < 1e-30
            return mp.mpf(0)
    return g


class _ErfcMinus(sp.Function):
    """erfc(-y), kept unevaluated: sympy turns erfc(-y) into 2 - erfc(y), which loses every
    digit where erfc(y) -> 2 (H of a large negative argument, log H in the tails)."""


def undo_erfc_reflection(expr):
    def is_reflected(e):
        if not isinstance(e, sp.Add) or len(e.args) != 2:
            return False
        c, rest = e.as_coeff_Add()
        if c == 0 or not isinstance(rest, sp.Mul):
            return False
        k, f = rest.as_coeff_Mul()
        return isinstance(f, sp.erfc) and sp.simplify(k + c / 2) == 0

    def fix(e):
        c, rest = e.as_coeff_Add()
        _, f = rest.as_coeff_Mul()
        return c / 2 * _ErfcMinus(f.args[0])

    return expr.replace(is_reflected, fix)


MP_MODULES = [{"_ErfcMinus": lambda y: mp.erfc(-y)}, "mpmath"]


def mp_value(expr):
    """Numerical value of a closed expression: Integrals by mp.quad of their lambdified
    integrand (sympy's own evalf of Gaussian integrals can take minutes)."""
    expr = undo_erfc_reflection(expr)
    ints = list(expr.atoms(sp.Integral))
    vals = {}
    for k, integral in enumerate(ints):
        (var, lo, hi), = integral.limits
        if integral.function.has(sp.Integral):
            raise ArithmeticError("nested integrals are compared symbolically only")
        f = sp.lambdify(var, integral.function, modules=MP_MODULES)
        # |t| <= 13 for Gaussian weights (phi(13) ~ 1e-37, below the 1e-20 test): sympy writes
        # H(-x) as 1 - erfc(x)/2, which cancels to 0/0 in the far tail
        pts = [mp.mpf(-REACH) if lo == -sp.oo else mp.mpf(sp.N(lo, _DPS)), 0,
               mp.mpf(REACH) if hi == sp.oo else mp.mpf(sp.N(hi, _DPS))]
        pts = [pts[0], pts[2]] if not pts[0] < 0 < pts[2] else pts
        vals[sp.Symbol(f"_int{k}")] = (integral, mp.quad(_tail_safe(f), pts))
    rest = expr.xreplace({i: s_ for s_, (i, _) in vals.items()})
    g = sp.lambdify(list(vals), rest, modules=MP_MODULES)
    return g(*[v for _, v in vals.values()])




def _np_nodes(panels=260, order=8):
    x, w = np.polynomial.legendre.leggauss(order)
    edges = np.linspace(-REACH, REACH, panels + 1)
    half, mid = 0.5 * np.diff(edges), 0.5 * (edges[1:] + edges[:-1])
    return (mid[:, None] + half[:, None] * x).ravel(), (half[:, None] * w).ravel()


def lambdify(expr, symbols, backend="mpmath"):
    expr = undo_erfc_reflection(expr)
    ints = sorted(expr.atoms(sp.Integral), key=sp.default_sort_key)
    holders = [sp.Symbol(f"_int{k}") for k in range(len(ints))]
    outer = sp.lambdify(list(symbols) + holders, expr.xreplace(dict(zip(ints, holders))),
                        modules=MP_MODULES if backend == "mpmath" else ["numpy", "scipy"])
    inner = []
    for integral in ints:
        (var, lo, hi), = integral.limits
        if lo != -sp.oo or hi != sp.oo:
            raise NotImplementedError("only integrals over the real line are lambdified")
        mods = MP_MODULES if backend == "mpmath" else [{"_ErfcMinus": lambda y: special.erfc(-y)},
                                                    "numpy", "scipy"]
        inner.append(sp.lambdify(list(symbols) + [var], integral.function, modules=mods))
    if backend == "mpmath":
        def f(*args):
            vals = [mp.quad(lambda x, g=g: g(*args, x), [-REACH, 0, REACH]) for g in inner]
            return outer(*args, *vals)
    else:
        x, w = _np_nodes()

        def f(*args):
            vals = [np.dot(w, np.broadcast_to(g(*args, x), x.shape)) for g in inner]
            return outer(*args, *vals)
    return f
