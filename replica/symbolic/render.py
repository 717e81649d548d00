"""Derivations as LaTeX (aligned environment + symbol table), plain text, srepr and JSON.
Gaussian expectations int phi(t) f dt print as int Dt f (LaTeX) and E_t[f] (text)."""
from __future__ import annotations

import json

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from ..common.budget import BudgetExceeded, time_budget
from .core import SYMBOLS, phi

_NAMES = {s.name: tex for s, tex, _ in SYMBOLS.values() if isinstance(s, sp.Symbol)}


def _gauss_body(expr):
    """f if expr = Integral(f phi(v), (v, -oo, oo)), else None."""
    if not isinstance(expr, sp.Integral) or len(expr.limits) != 1:
        return None, None
    var, lo, hi = expr.limits[0]
    if lo != -sp.oo or hi != sp.oo:
        return None, None
    # a Gaussian expectation carries the factor exp(-var^2/2) (in every term)
    weight = sp.exp(-var ** 2 / 2)
    terms = sp.Add.make_args(expr.function)
    if not all(weight in sp.Mul.make_args(term) for term in terms):
        return None, None
    # doit=False: simplify would otherwise try to evaluate nested Integrals (10-20 s each);
    # it may still not end (gcds of a group student's irrational atoms): then only divide
    plain = sp.powsimp(sp.Add(*[sp.powsimp(t / phi(var)) for t in terms]))
    if sp.count_ops(plain) > SIMPLIFY_OPS:
        return plain, var
    try:
        with time_budget(SIMPLIFY_SECONDS):
            return sp.powsimp(sp.simplify(expr.function / phi(var), doit=False)), var
    except BudgetExceeded:
        return plain, var


SIMPLIFY_OPS, SIMPLIFY_SECONDS = 150, 2.0   # beyond either, a Gaussian body prints unsimplified


class _Latex(LatexPrinter):
    def _print_Integral(self, expr):
        body, var = _gauss_body(expr)
        if body is None:
            return super()._print_Integral(expr)
        return r"\int \mathcal{D}%s\, \left[%s\right]" % (self._print(var), self._print(body))

    def _print_Symbol(self, expr, style="plain"):
        if expr.name in _NAMES:
            return _NAMES[expr.name]
        if expr.name.startswith("lambda_"):
            return r"\lambda_{%s}" % expr.name.split("_", 1)[1]
        return super()._print_Symbol(expr)


class _Text(StrPrinter):
    def _print_Integral(self, expr):
        body, var = _gauss_body(expr)
        if body is None:
            return super()._print_Integral(expr)
        return "E_%s[%s]" % (self._print(var), self._print(body))


def latex(expr):
    return _Latex().doprint(expr)


def text(expr):
    return _Text().doprint(expr)


def _rows(d):
    rows = [(name, sp.Symbol(name) if " " not in name else None, val) for name, val in d.terms.items()]
    return rows


def _tex_name(name):
    return {"G_S": "G_S", "G_E": "G_E", "f": "f", "I": r"I(\kappa)", "rho^2": r"\rho^2",
            "G_E (q -> 1)": r"G_E\big|_{q \to 1}"}.get(name, r"\mathrm{%s}" % name.replace("_", r"\_"))


def _tex_text(s):
    """Plain words inside \\text{}: escape LaTeX's special characters."""
    for ch, rep in (("\\", r"\textbackslash{}"), ("_", r"\_"), ("^", r"\^{}"), ("&", r"\&"),
                    ("%", r"\%"), ("#", r"\#"), ("~", r"\textasciitilde{}")):
        s = s.replace(ch, rep)
    return s


def to_latex(d) -> str:
    lines = [f"% {d.title} -- derived by replica (sympy); equation labels as in THEORY.md",
             r"\begin{aligned}"]
    for name, val in d.terms.items():
        lines.append(f"  {_tex_name(name)} &= {latex(val)} \\\\")
    lines.append(r"\end{aligned}")
    lines.append(r"\begin{aligned}")
    for eq in d.equations:
        lines.append(f"  {latex(eq.lhs)} &= {latex(eq.rhs)} && \\text{{{_tex_text(eq.note)}}} \\\\")
    lines.append(r"\end{aligned}")
    lines.append("% symbols:")
    used = {s.name for s in d.free_symbols()}
    for key, (sym, tex, meaning) in SYMBOLS.items():
        if key in used or (key == "lambda" and any("lambda" in n for n in used)):
            lines.append(f"%   ${tex}$: {meaning}")
    lines.append(r"%   $\mathcal{D}t = e^{-t^2/2} dt / \sqrt{2\pi}$, $H(x) = \frac{1}{2}\mathrm{erfc}(x/\sqrt{2})$, "
                 r"$\epsilon = 1 - q$")
    lines += [f"% note: {n}" for n in d.notes]
    return "\n".join(lines)


def to_text(d) -> str:
    lines = [d.title, ""]
    lines += [f"{name} = {text(val)}" for name, val in d.terms.items()]
    lines.append("")
    lines += [f"{text(eq.lhs)} = {text(eq.rhs)}    [{eq.note}]" for eq in d.equations]
    lines += ["", "E_t[f] = int dt exp(-t^2/2)/sqrt(2 pi) f(t);  epsilon = 1 - q"]
    lines += [f"note: {n}" for n in d.notes]
    return "\n".join(lines)


def to_json(d) -> str:
    return json.dumps({
        "title": d.title, "prior": d.prior,
        "terms": {k: {"text": text(v), "latex": latex(v), "srepr": sp.srepr(v)} for k, v in d.terms.items()},
        "equations": [{"name": e.name, "lhs": text(e.lhs), "rhs": text(e.rhs), "latex": f"{latex(e.lhs)} = {latex(e.rhs)}",
                       "srepr": sp.srepr(sp.Eq(e.lhs, e.rhs, evaluate=False)), "note": e.note} for e in d.equations],
        "notes": d.notes,
    }, indent=2)


def to_srepr(d) -> str:
    out = [f"{k} = {sp.srepr(v)}" for k, v in d.terms.items()]
    out += [f"{e.name}: {sp.srepr(sp.Eq(e.lhs, e.rhs, evaluate=False))}" for e in d.equations]
    return "\n".join(out)


FORMATS = {"latex": to_latex, "text": to_text, "json": to_json, "srepr": to_srepr}
