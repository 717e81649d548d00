"""The sympy symbols of THEORY.md's equations, shared by the ingredients' sympy pieces
(`Channel.sympy_G_E`, `Constraint.sympy_G_S`) and `replica.symbolic`, so that a piece an
ingredient gives is the same expression the derivation manipulates."""
from __future__ import annotations

import sympy as sp

q = sp.Symbol("q", positive=True)
qh = sp.Symbol("qhat", positive=True)
alpha = sp.Symbol("alpha", positive=True)
kappa = sp.Symbol("kappa", nonnegative=True)
t = sp.Symbol("t", real=True)
z = sp.Symbol("z", real=True)
w = sp.Symbol("w", real=True)
w0 = sp.Symbol("w0", real=True)
a = sp.Symbol("a", real=True)           # Lagrange multiplier of the norm (spherical prior)
R = sp.Symbol("R", real=True)
Rh = sp.Symbol("Rhat", real=True)
sigma = sp.Symbol("sigma", nonnegative=True)
Q = sp.Symbol("Q", positive=True)       # norm w.w/N of a soft-prior student
Qh = sp.Symbol("Qhat", real=True)       # its conjugate
lam = sp.Function("lambda")             # Lagrange function of a distribution constraint


def phi(x):
    return sp.exp(-x ** 2 / 2) / sp.sqrt(2 * sp.pi)


def H(x):
    """H(x) = int_x^oo Dt = erfc(x / sqrt 2) / 2."""
    return sp.erfc(x / sp.sqrt(2)) / 2


def gauss(expr, var):
    """E_var[expr], var ~ N(0, 1), as an unevaluated Integral."""
    return sp.Integral(expr * phi(var), (var, -sp.oo, sp.oo))
