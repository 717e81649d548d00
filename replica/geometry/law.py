"""The weight distribution a plasticity geometry produces, as a prior (the `geometry:` spec).

After learning with potential phi, each synapse's dual variable has moved by a Gaussian
amount independent of its initial weight (Pogodin et al., ICLR 2024; the reaction term -c u
of the cavity argument is optional, see `replica.geometry.theory`):

    phi'(w_after) = phi'(w_before) - c w_before + m + s xi,     xi ~ N(0, 1).

So the law of w_after is the push-forward, through the increasing map (phi')^{-1}, of the
law of phi'(w_before) - c w_before convolved with N(m, s^2); its quantile function is
Q_after(u) = (phi')^{-1}(Q_theta(u)), its density phi''(w) f_theta(phi'(w)).

Two classes:
* `DualGaussianLaw`: w = (phi')^{-1}(mu + sigma z), a law whose dual is exactly Gaussian.
  This family is closed under learning (c = 0): (mu, sigma) -> (mu + m, sqrt(sigma^2 + s^2)).
  Euclidean + Gaussian and entropic + lognormal are its members, so Gaussian stays Gaussian
  under gradient descent and lognormal stays lognormal under exponentiated gradient, with
  the closed-form transport map T(z) = (phi')^{-1}(mu + sigma z) at any precision.
* `GeometryLaw`: any other initial law (families, densities, measured weights), or c != 0.
  Evaluated from float64 node tables (`solvers.geometry`), also behind its mp methods, with
  their estimated CDF error declared to the E3 solver's error estimate.

Spec (whitelist grammar, `replica priors`):
    geometry:potential=NAME,init=INIT,dual_std=S[,dual_mean=M][,reaction=C]
    NAME: euclidean | entropic | pnorm(p=3) | user(grad=FORMULA[,domain=a|b]) | user(phi=FORMULA)
    INIT: family or family(params) (lognormal(sigma=0.5)), file:PATH, or dual(mean=0,std=1)
          (the law whose dual phi'(w) is N(mean, std^2) under the same potential)
Weights are in the initial law's units (the capacity and teacher-student solvers rescale
the result to unit second moment; mirror descent itself is not scale invariant unless
phi is homogeneous, so the dual std refers to these units).
"""
from __future__ import annotations

import mpmath as mp
import numpy as np
from scipy import special

from solvers.gaussian import mp_H, mp_phi, mp_Phi
from solvers.geometry import Z_COUNT, DualMixture, PushForward, law_nodes, node_error

from ..common.errors import Refused
from ..priors.base import Continuous, Prior, PriorError, extra_digits
from ..priors.grammar import parse_params, parse_prior
from .potentials import Entropic, Euclidean, Potential, potential as make_potential


def _z_cut():
    """|z| beyond which phi(z) < eps^2: the Gaussian integrals here stop there."""
    return mp.sqrt(-2 * mp.log(mp.eps ** 2)) + 1


class DualGaussianLaw(Continuous):
    """w = (phi')^{-1}(mu + sigma z), z ~ N(0,1): density phi''(w) N(phi'(w); mu, sigma^2)."""

    has_closed_transport = True

    def __init__(self, pot: Potential, mu, sigma):
        self.potential = pot
        self.mu, self.sigma = mp.mpf(mu), mp.mpf(sigma)
        if not self.sigma > 0:
            raise PriorError("the dual std must be > 0")
        self.lo = mp.mpf(pot.lo) if np.isfinite(pot.lo) else -mp.inf
        self.hi = mp.mpf(pot.hi) if np.isfinite(pot.hi) else mp.inf
        # z-space quadrature needs T(z) at many z: cheap for closed-form inverses only
        self.elementary_transport = pot.sym_inv() is not None
        self.accurate_float_transport = self.elementary_transport
        # euclidean and entropic duals are the Normal and LogNormal families: their exact
        # moments and extra-precision transport (dual_std=1e6 puts the mass of E z T and
        # E T^2 at z ~ 1e6, where a quadrature on |z| < 12 sees none of it)
        self._family = self._as_family()

    def _as_family(self):
        from ..priors.families import LogNormal, Normal

        if isinstance(self.potential, Euclidean):
            return Normal(self.mu, self.sigma)
        if isinstance(self.potential, Entropic):
            return LogNormal(self.sigma, self.mu)
        return None

    def scaled(self, s):
        s = mp.mpf(s)
        if isinstance(self.potential, Euclidean):
            return DualGaussianLaw(self.potential, self.mu * s, self.sigma * s)
        if isinstance(self.potential, Entropic):   # s exp(mu + sigma z) = exp(mu + log s + sigma z)
            fam = self._family.scaled(s)
            return DualGaussianLaw(self.potential, fam.mu, self.sigma)
        return super().scaled(s)

    def _inside(self, w):
        return self.lo < w < self.hi

    def pdf(self, w):
        if self._family is not None:
            return self._family.pdf(w)
        if not self._inside(w):
            return mp.mpf(0)
        return self.potential.mp_hess(w) * mp_phi((self.potential.mp_grad(w) - self.mu) / self.sigma) / self.sigma

    def cdf(self, w):
        if self._family is not None:
            return self._family.cdf(w)
        if not self._inside(w):
            return mp.mpf(0) if w <= self.lo else mp.mpf(1)
        return mp_Phi((self.potential.mp_grad(w) - self.mu) / self.sigma)

    def sf(self, w):
        if self._family is not None:
            return self._family.sf(w)
        if not self._inside(w):
            return mp.mpf(1) if w <= self.lo else mp.mpf(0)
        return mp_H((self.potential.mp_grad(w) - self.mu) / self.sigma)

    def quantile_from_z(self, z):
        if self._family is not None:
            return self._family.quantile_from_z(z)
        return self.potential.mp_inv_grad(self.mu + self.sigma * z)

    def transport_offset(self, z):
        if self._family is not None:
            return self._family.transport_offset(z)
        return super().transport_offset(z)

    def moment(self, k):
        if self._family is not None:
            return self._family.moment(k)
        if not self.elementary_transport:
            return super().moment(k)
        cut = _z_cut()
        return mp.quad(lambda z: self.quantile_from_z(z) ** k * mp_phi(z), [-cut, 0, cut])

    def np_ppf(self, u):
        return self.potential.inv_grad(float(self.mu) + float(self.sigma) * special.ndtri(np.asarray(u, dtype=float)))

    def np_sample(self, n, rng):
        return self.potential.inv_grad(float(self.mu) + float(self.sigma) * rng.standard_normal(n))

    def np_cdf(self, w):
        w = np.asarray(w, dtype=float)
        inside = self.potential.in_domain(w)
        out = np.where(w <= float(self.lo), 0.0, 1.0)
        out[inside] = special.ndtr((self.potential.grad(w[inside]) - float(self.mu)) / float(self.sigma))
        return out

    def np_pdf(self, w):
        w = np.asarray(w, dtype=float)
        inside = self.potential.in_domain(w)
        out = np.zeros(w.shape)
        z = (self.potential.grad(w[inside]) - float(self.mu)) / float(self.sigma)
        out[inside] = self.potential.hess(w[inside]) * np.exp(-0.5 * z * z) / (float(self.sigma) * np.sqrt(2 * np.pi))
        return out


class GeometryLaw(Continuous):
    """w_after = (phi')^{-1}(g(w0) + m + s xi), g(u) = phi'(u) - c u, w0 ~ init (a Prior).

    No closed form: every method, the mp ones included, is evaluated from the float64 node
    tables of `solvers.geometry`.  `precision_floor` bounds what they do to integrals of the
    CDF: 100 times its error estimated by halving the nodes, at least 1e-10 (about 1e-15 CDF
    error for smooth duals; larger in the far tails of heavy-tailed ones, where the node
    spacing in theta exceeds s).  The E3 solver adds it to its error estimate instead of
    reporting digits the tables do not have (E3 from a float64 table agrees with nested mp
    quadrature to 1e-11 in the test).  (Nested mp quadratures would give
    any precision but take minutes per capacity.)  The density is that of the node
    representation: where nodes are sparser than s it shows them; CDF, quantiles and moments
    (Gauss-Hermite over the dual noise) do not depend on it."""

    def __init__(self, pot: Potential, init: Prior, m, s, c=0):
        self.potential, self.init = pot, init
        self.m, self.s, self.c = mp.mpf(m), mp.mpf(s), mp.mpf(c)
        if not self.s > 0:
            raise PriorError("dual_std must be > 0")
        self.lo = mp.mpf(pot.lo) if np.isfinite(pot.lo) else -mp.inf
        self.hi = mp.mpf(pot.hi) if np.isfinite(pot.hi) else mp.inf
        try:
            with np.errstate(all="ignore"):   # overflow is detected below and refused in one line
                self.dual, coarse = (self._mixture(n) for n in (Z_COUNT, (Z_COUNT + 1) // 2))
                self._push = PushForward(self.dual, pot)
                # a CDF error d moves E3's integral int psi(F(w)) dw by up to ~ d times the width of
                # the law times |Phi^-1(F)|: hence the factor 100 and the floor 1e-10
                floor = node_error(self.dual, coarse)
        except (ValueError, OverflowError, FloatingPointError):  # numpy on non-finite node values
            floor = np.inf
        if not np.isfinite(floor):
            raise Refused(f"the law after learning with {pot.spec} cannot be tabulated in double precision: the "
                          "dual values phi'(w) of the initial weights leave float64's range")
        self.precision_floor = mp.mpf(100 * max(floor, 1e-12))

    def _mixture(self, n_z):
        u, p = init_nodes(self.init, n_z)
        return DualMixture(self.potential.grad(u) - float(self.c) * u, p, float(self.m), float(self.s))

    def moment(self, k):
        return mp.mpf(self._push.moment(k))

    # -- float64 (solvers.geometry)
    def np_ppf(self, u):
        return self._push.ppf(u)

    def np_cdf(self, w):
        return self._push.cdf(w)

    def np_pdf(self, w):
        return self._push.pdf(w)

    def np_sample(self, n, rng):
        return self._push.sample(n, rng)

    # -- the mp interface, from the same tables
    def _at(self, w, fn, below, above):
        if not (self.lo < w < self.hi):
            return mp.mpf(below) if w <= self.lo else mp.mpf(above)
        return mp.mpf(float(fn(np.array([float(w)]))[0]))

    def pdf(self, w):
        return self._at(w, self._push.pdf, 0, 0)

    def cdf(self, w):
        return self._at(w, lambda x: self.dual.cdf(self.potential.grad(x)), 0, 1)

    def sf(self, w):
        return self._at(w, lambda x: self.dual.sf(self.potential.grad(x)), 1, 0)


def init_nodes(init: Prior, n_z=Z_COUNT):
    """Weighted nodes (u_k, p_k) of a Prior (float64; solvers.geometry.law_nodes)."""
    return law_nodes([float(v) for v in init.values], [float(q) for q in init.probs],
                     [float(c) for c in init.masses], [part.np_ppf for part in init.parts], n_z)


def dual_gaussian_of(pot: Potential, part):
    """(mu, sigma) if phi'(w) is exactly N(mu, sigma^2) under the law `part`, else None."""
    from ..priors.families import LogNormal, Normal

    if isinstance(part, DualGaussianLaw) and part.potential.spec == pot.spec:
        return part.mu, part.sigma
    if isinstance(pot, Euclidean) and isinstance(part, Normal):
        return part.mean, part.std
    if isinstance(pot, Entropic) and isinstance(part, LogNormal):
        return part.mu, part.sigma
    return None


def after_learning(pot, init: Prior, dual_std, dual_mean=0, reaction=0, spec=None) -> Prior:
    """The prior of the weights after learning: closed form (DualGaussianLaw) when the
    initial dual is Gaussian and c = 0, the general GeometryLaw otherwise."""
    pot = make_potential(pot)
    pot.check_prior(init)
    s, m, c = mp.mpf(dual_std), mp.mpf(dual_mean), mp.mpf(reaction)
    if not s > 0:
        raise PriorError(f"dual_std must be > 0, got {mp.nstr(s, 6)}")
    spec = spec or f"geometry:potential={pot.spec},init={init.spec},dual_std={mp.nstr(s, 17)}"
    single = len(init.parts) == 1 and not init.values
    closed = dual_gaussian_of(pot, init.parts[0]) if single and c == 0 else None
    if closed is not None:
        mu, sigma = closed
        # e^{-sigma^2} enters E3: sigma^2 needs digits beyond dps in proportion to its size
        with mp.workdps(mp.mp.dps + extra_digits(sigma ** 2 + s ** 2, mu + m)):
            law = DualGaussianLaw(pot, mu + m, mp.sqrt(sigma ** 2 + s ** 2))
    else:
        law = GeometryLaw(pot, init, m, s, c)
    return Prior(spec, masses=(mp.mpf(1),), parts=(law,))


def parse_init(text: str, pot: Potential) -> Prior:
    """INIT of a geometry spec -> Prior: 'lognormal(sigma=0.5)', 'gaussian', 'file:w.npy',
    or 'dual(mean=0,std=1)' (dual Gaussian under the same potential)."""
    text = text.strip()
    if ":" in text.split("(", 1)[0]:
        return parse_prior(text)
    name, _, rest = text.partition("(")
    name = name.strip()
    if rest and not rest.endswith(")"):
        raise PriorError(f"init: unbalanced parentheses in '{text}'")
    params = rest[:-1] if rest else ""
    if name == "dual":
        p = parse_params(params, ("mean", "std"))
        std = p.get("std", mp.mpf(1))
        if not std > 0:
            raise PriorError("dual(...) needs std > 0")
        return Prior(f"dual({params})", masses=(mp.mpf(1),), parts=(DualGaussianLaw(pot, p.get("mean", 0), std),))
    return parse_prior(f"{name}:{params}" if params else name)


def geometry_prior(spec: str, body: str) -> Prior:
    """The `geometry:` prior spec (see the module docstring)."""
    params = parse_params(body, ("potential", "init", "dual_std", "dual_mean", "reaction"),
                          raw=("potential", "init"))
    for key in ("potential", "init", "dual_std"):
        if key not in params:
            raise PriorError("geometry needs potential=NAME, init=PRIOR and dual_std=S, e.g. "
                             "geometry:potential=entropic,init=lognormal(sigma=0.5),dual_std=0.3")
    pot = make_potential(params["potential"])
    init = parse_init(params["init"], pot)
    return after_learning(pot, init, params["dual_std"], params.get("dual_mean", 0), params.get("reaction", 0),
                          spec=spec)


def spec_of(pot, init_spec: str, dual_std, dual_mean=0, reaction=0) -> str:
    """The geometry spec for a potential and an initial prior spec in the usual 'family:a=1,b=2' form."""
    pot = make_potential(pot)
    name, _, params = init_spec.partition(":")
    init = init_spec if name.strip() == "file" or not params else f"{name}({params})"
    pname, _, pparams = pot.spec.partition(":")
    ptext = f"{pname}({pparams})" if pparams else pname
    out = f"geometry:potential={ptext},init={init},dual_std={dual_std:.12g}"
    if dual_mean:
        out += f",dual_mean={dual_mean:.12g}"
    if reaction:
        out += f",reaction={reaction:.12g}"
    return out

