"""The density of the weights after learning, derived with sympy.

With theta = phi'(w) and the dual change Gaussian, N(m, s^2), and independent of the initial
weight (c = 0; Pogodin et al., ICLR 2024):

  1. the initial dual density, by the change of variables u = psi(t), psi = (phi')^{-1}:
       p_theta0(t) = f0(psi(t)) |psi'(t)| = f0(psi(t)) / phi''(psi(t));
  2. the convolution with the update:  p_theta(x) = int p_theta0(t) N(x - t; m, s^2) dt;
  3. back to weights:  p_after(w) = phi''(w) p_theta(phi'(w)).

Step 2 is done in closed form when the integrand is exp(quadratic in t) (a Gaussian
integral, completed square), which is the case exactly when the initial dual is Gaussian:
Euclidean + Gaussian init (Gaussian with the variance s^2 added), entropic + lognormal init
(lognormal with sigma^2 -> sigma^2 + s^2), and any potential with a dual-Gaussian init
(p-norm: w = sign(t)|t|^{1/(p-1)}, t ~ N(mu0, sigma0^2)).  Otherwise the result keeps the
integral, written in weight space so that no inverse of phi' is needed:

       p_after(w) = phi''(w) int f0(u) N(phi'(w) - phi'(u) + c u - m; s^2) du,

which is also the form with the reaction term -c u.  `replica.geometry.law` evaluates any
case numerically; the tests check that both agree.
"""
from __future__ import annotations

import dataclasses

import sympy as sp

from .potentials import THETA, W, Potential, potential as make_potential

M = sp.Symbol("m", real=True)
S = sp.Symbol("s", positive=True)
C = sp.Symbol("c", real=True)
MU0 = sp.Symbol("mu_0", real=True)
SIGMA0 = sp.Symbol("sigma_0", positive=True)
X = sp.Symbol("x", real=True)
U = sp.Symbol("u", real=True)
F0 = sp.Function("f_0")


def normal_pdf(x, mean, std):
    return sp.exp(-(x - mean) ** 2 / (2 * std ** 2)) / (std * sp.sqrt(2 * sp.pi))


@dataclasses.dataclass(frozen=True)
class DensityDerivation:
    """p_after(w) as a sympy expression in w, with the dual mean m, dual std s (and reaction c)
    and the initial law's parameters mu_0, sigma_0 as symbols; `values` holds the numbers."""

    potential: str
    init: str
    density: sp.Expr
    closed: bool            # True: no integral left
    dual_density: sp.Expr   # p_theta(x) after learning (closed) or None
    values: dict

    def numeric(self, m, s, c=0):
        """A numpy function of w with all parameters substituted."""
        subs = {M: m, S: s, C: c, **self.values}
        expr = self.density.subs(subs)
        if not self.closed:
            raise ValueError("the density keeps an integral here; evaluate it with replica.geometry.law")
        return sp.lambdify(W, expr, modules=["numpy", "scipy"])

    def text(self):
        return sp.sstr(self.density)

    def latex(self):
        return sp.latex(self.density)


def _init_density(init):
    """(sympy density f0(u) in U, {symbol: value}, label) for 'dual' or a Prior whose single
    continuous part is Normal or LogNormal; None for others."""
    from ..priors.families import LogNormal, Normal
    from .law import DualGaussianLaw

    if init == "dual":
        return "dual", {}, "dual Gaussian: phi'(w0) ~ N(mu_0, sigma_0^2)"
    parts = getattr(init, "parts", ())
    if len(parts) != 1 or getattr(init, "values", ()):
        return None
    part = parts[0]
    if isinstance(part, Normal):
        return normal_pdf(U, MU0, SIGMA0), {MU0: part.mean, SIGMA0: part.std}, "Gaussian N(mu_0, sigma_0^2)"
    if isinstance(part, LogNormal):
        upos = sp.Symbol("u", positive=True)
        dens = normal_pdf(sp.log(upos), MU0, SIGMA0) / upos
        return dens.subs(upos, U), {MU0: part.mu, SIGMA0: part.sigma}, "lognormal(mu_0, sigma_0)"
    if isinstance(part, DualGaussianLaw):
        return "dual", {MU0: part.mu, SIGMA0: part.sigma}, "dual Gaussian: phi'(w0) ~ N(mu_0, sigma_0^2)"
    return None


def gaussian_integral(expr, var):
    """int expr d var over the real line when expr = K exp(-a var^2 + b var + c0) with a > 0
    (completing the square: K sqrt(pi/a) exp(b^2/(4a) + c0)); None otherwise."""
    expr = sp.powsimp(sp.expand_power_exp(sp.expand_log(expr, force=True)), combine="exp")
    const, exponent = sp.Integer(1), sp.Integer(0)
    for f in sp.Mul.make_args(expr):
        if var not in f.free_symbols:
            const *= f
        elif isinstance(f, sp.exp):
            exponent += f.args[0]
        elif f.is_Pow and isinstance(f.base, sp.exp):
            exponent += f.base.args[0] * f.exp
        else:
            return None
    try:
        poly = sp.Poly(sp.expand(exponent), var)
    except sp.PolynomialError:
        return None
    if poly.degree() != 2:
        return None
    a = -poly.coeff_monomial(var ** 2)
    b = poly.coeff_monomial(var)
    c0 = poly.coeff_monomial(1)
    if sp.simplify(a).is_positive is not True:
        return None
    return const * sp.sqrt(sp.pi / a) * sp.exp(b ** 2 / (4 * a) + c0)


def complete_square(expr, var):
    """K exp(quadratic in var) -> K' exp(-(var - mean)^2 / (2 variance)) with simplified
    mean, variance and K' (a Gaussian written as one); expr unchanged if it is not of that form."""
    expr = sp.powsimp(expr, combine="exp")
    const, exponent = sp.Integer(1), sp.Integer(0)
    for f in sp.Mul.make_args(expr):
        if isinstance(f, sp.exp) and var in f.free_symbols:
            exponent += f.args[0]
        elif var in f.free_symbols:
            return expr
        else:
            const *= f
    poly = sp.Poly(sp.expand(exponent), var)
    if poly.degree() != 2:
        return expr
    a2 = -poly.coeff_monomial(var ** 2)
    b1 = poly.coeff_monomial(var)
    mean = sp.simplify(b1 / (2 * a2))
    variance = sp.simplify(1 / (2 * a2))
    rest = sp.simplify(poly.coeff_monomial(1) + b1 ** 2 / (4 * a2))
    return sp.simplify(const * sp.exp(rest)) * sp.exp(-(var - mean) ** 2 / (2 * variance))


def derive_density(pot, init="dual", reaction=False) -> DensityDerivation:
    """The density of w after learning for potential `pot` (a Potential or spec) from an
    initial law `init`: 'dual' (phi'(w0) ~ N(mu_0, sigma_0^2)) or a Prior.  reaction=True
    keeps the reaction coefficient c (then the integral form)."""
    pot: Potential = make_potential(pot)
    got = _init_density(init)
    label = getattr(init, "spec", str(init))
    psi = pot.sym_inv()
    if got is not None and psi is not None and not reaction:
        f0, values, label = got
        if f0 == "dual":
            p_theta0 = normal_pdf(THETA, MU0, SIGMA0)
        else:
            p_theta0 = sp.simplify(f0.subs(U, psi) / pot.sym_hess().subs(W, psi))
        integrand = p_theta0 * normal_pdf(X - THETA, M, S)
        conv = gaussian_integral(integrand, THETA)
        if conv is not None:
            conv = complete_square(conv, X)
            dens = pot.sym_hess() * conv.subs(X, pot.sym_grad())
            return DensityDerivation(pot.spec, label, dens, True, conv, values)
    # the general weight-space form
    if got is not None and got[0] != "dual":
        f0, values = got[0], got[1]
    else:
        f0, values = F0(U), (got[1] if got else {})
    kernel = normal_pdf(pot.sym_grad() - pot.sym_grad().subs(W, U) + (C * U if reaction else 0), M, S)
    support = getattr(init, "support", None)
    lo = sp.Integer(0) if pot.lo == 0 or (support is not None and support[0] >= 0) else -sp.oo
    dens = pot.sym_hess() * sp.Integral(f0 * kernel, (U, lo, sp.oo))
    return DensityDerivation(pot.spec, label, dens, False, None, values)
