"""Shared symbols, Gaussian measures and the Derivation record of `replica.symbolic`.

Gaussian expectations stay explicit `Integral` objects, E_t f = Integral(f phi(t), (t, -oo, oo)),
unless sympy evaluates them in closed form.
"""
from __future__ import annotations

import dataclasses

import sympy as sp

from solvers.symbols import H, R, Rh, a, alpha, gauss, kappa, lam, phi, q, qh, sigma, t, w, w0, z  # noqa: F401

SYMBOLS = {
    "q": (q, r"q", "overlap of two solutions, w^a.w^b/N"),
    "qhat": (qh, r"\hat q", "conjugate of q"),
    "alpha": (alpha, r"\alpha", "load P/N"),
    "kappa": (kappa, r"\kappa", "margin"),
    "t": (t, r"t", "Gaussian variable of the energetic term"),
    "z": (z, r"z", "Gaussian variable of the entropic term"),
    "w": (w, r"w", "a weight"),
    "w0": (w0, r"w_0", "a teacher weight"),
    "a": (a, r"a", "Lagrange multiplier of the norm"),
    "R": (R, r"R", "student-teacher overlap w.w0/N"),
    "Rhat": (Rh, r"\hat R", "conjugate of R"),
    "sigma": (sigma, r"\sigma", "output noise / prior width"),
    "lambda": (lam, r"\lambda", "Lagrange function enforcing the weight distribution"),
}


def gauss_linear(expr):
    """Split Gaussian integrals over sums and pull out factors free of the integration
    variable, so that E_z[1 - f] prints as 1 - E_z[f] (sympy keeps Integral(a + b) whole)."""
    def split(integral):
        (var, lo, hi), = integral.limits
        body = sp.expand(sp.powsimp(sp.simplify(integral.function / phi(var))))
        out = 0
        for term in sp.Add.make_args(body):
            const, dep = term.as_independent(var, as_Add=False)
            out += const if dep == 1 else const * gauss(dep, var)  # E[1] = 1
        return out
    return expr.replace(lambda e: isinstance(e, sp.Integral) and len(e.limits) == 1
                        and e.limits[0][1] == -sp.oo and e.limits[0][2] == sp.oo, split)


@dataclasses.dataclass
class Equation:
    name: str
    lhs: sp.Expr
    rhs: sp.Expr
    note: str = ""

    @property
    def residual(self):
        return self.lhs - self.rhs


@dataclasses.dataclass
class Derivation:
    """A derived RS free entropy: its terms (name -> expression), the saddle-point equations,
    and the symbols used.  `variables` are the order parameters the equations determine."""

    title: str
    prior: str
    terms: dict
    equations: list
    notes: list = dataclasses.field(default_factory=list)
    parameters: dict = dataclasses.field(default_factory=dict)   # symbol name -> meaning

    def get(self, name):
        if name in self.terms:
            return self.terms[name]
        for eq in self.equations:
            if eq.name == name or str(eq.lhs) == name:
                return eq.rhs
        raise KeyError(name)

    def names(self):
        return list(self.terms) + [eq.name for eq in self.equations]

    def free_symbols(self):
        syms = set()
        for e in list(self.terms.values()) + [x for eq in self.equations for x in (eq.lhs, eq.rhs)]:
            syms |= {s for s in e.free_symbols}
        return syms
