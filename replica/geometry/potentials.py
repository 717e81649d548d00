"""Mirror-descent potentials phi(w) (one per synapse, applied coordinate-wise), registered by name.

Mirror descent with potential phi keeps a dual variable theta = phi'(w) per synapse and
updates it by the loss gradient taken at the primal point (Pogodin et al., ICLR 2024):

    theta <- theta - eta dL/dw(w),        w = (phi')^{-1}(theta).

Each potential is one small class with phi, its gradient phi' (the mirror map), the
inverse (phi')^{-1} and the Hessian phi'' (the Jacobian of the change of variables
w <-> theta), in numpy (trainers, float64 tables), mpmath (the prior hook at any precision)
and sympy (the symbolic push-forward densities).  Built-ins:

  euclidean   phi = w^2/2             phi' = w               plain gradient descent
  entropic    phi = w log w - w       phi' = log w           exponentiated gradient, w > 0
  pnorm:p=P   phi = |w|^p / p         phi' = sign(w)|w|^{p-1}   (Pogodin et al.'s convention; p > 1)
  user:phi=FORMULA or user:grad=FORMULA [,domain=a|b]        any strictly convex potential

The domain matters: w = (phi')^{-1}(theta) stays inside it for every theta only if phi' maps
the domain onto the whole real line (phi of Legendre type).  The built-ins are: the
entropic potential never lets a weight reach 0 (w = e^theta), which is why exponentiated
gradient keeps weights positive.  A user potential is checked for this numerically and
refused otherwise (a bounded phi', e.g. phi' = atan(w), would let an update leave the domain).
p-norm with 1 < p < 2 has phi'' = infinity at w = 0 and p > 2 has phi'' = 0 there: weights
near zero move slowly (p < 2) or fast (p > 2), and the density after learning vanishes
(p > 2) or diverges integrably (p < 2) at w = 0 as |w|^{p-2}.
"""
from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import sympy as sp

from solvers.geometry import invert_monotone

from ..priors.base import PriorError
from ..priors.density import _MP_NAMES, _NP_MODULES
from ..priors.formula import FormulaError, lambdify_mp, parse_formula

W = sp.Symbol("w", real=True)
THETA = sp.Symbol("theta", real=True)


class Potential:
    """phi on the open interval (lo, hi).  Subclasses give the numpy and mp maps and the
    sympy expressions; `inv_grad` is closed-form for the built-ins."""

    name = ""
    lo, hi = -math.inf, math.inf
    params: tuple = ()

    def __init__(self, spec: str):
        self.spec = spec

    # -- numpy
    def phi(self, w):
        raise NotImplementedError

    def grad(self, w):
        raise NotImplementedError

    def inv_grad(self, theta):
        raise NotImplementedError

    def hess(self, w):
        raise NotImplementedError

    # -- mpmath (current mp.dps)
    def mp_grad(self, w):
        raise NotImplementedError

    def mp_inv_grad(self, theta):
        raise NotImplementedError

    def mp_hess(self, w):
        raise NotImplementedError

    # -- sympy
    def sym_phi(self):
        raise NotImplementedError

    def sym_grad(self):
        return sp.diff(self.sym_phi(), W)

    def sym_inv(self):
        """(phi')^{-1} as an expression in THETA, or None where only a numerical inverse exists."""
        return None

    def sym_hess(self):
        return sp.diff(self.sym_grad(), W)

    # -- helpers
    def in_domain(self, w):
        w = np.asarray(w, dtype=float)
        return (w > self.lo) & (w < self.hi)

    def check_prior(self, prior, what="initial"):
        """PriorError unless the law lies in the domain: its support within the closure of
        (lo, hi) and no atom on an end (a continuous law may touch an end, e.g. a lognormal
        at 0 for the entropic potential: it has no mass there)."""
        if prior.grouped:
            raise PriorError(f"the {what} law must be a single prior, not groups")
        lo, hi = prior.support
        atoms = [float(v) for v in getattr(prior, "values", ())]
        if float(lo) < self.lo or float(hi) > self.hi or any(not self.lo < v < self.hi for v in atoms):
            raise PriorError(f"{what} weights range over [{float(lo):g}, {float(hi):g}], outside the domain "
                             f"({self.lo:g}, {self.hi:g}) of the {self.spec} potential")

    def __repr__(self):
        return f"Potential({self.spec!r})"


class Euclidean(Potential):
    """phi = w^2/2: mirror descent is plain gradient descent."""

    name = "euclidean"

    def phi(self, w):
        return 0.5 * np.square(w)

    def grad(self, w):
        return np.asarray(w, dtype=float)

    def inv_grad(self, theta):
        return np.asarray(theta, dtype=float)

    def hess(self, w):
        return np.ones_like(np.asarray(w, dtype=float))

    def mp_grad(self, w):
        return mp.mpf(w)

    def mp_inv_grad(self, theta):
        return mp.mpf(theta)

    def mp_hess(self, w):
        return mp.mpf(1)

    def sym_phi(self):
        return W ** 2 / 2

    def sym_inv(self):
        return THETA


class Entropic(Potential):
    """phi = w log w - w on w > 0 (negative entropy): phi' = log w, so the update is
    multiplicative, w <- w exp(-eta dL/dw) (exponentiated gradient).  A weight approaches 0
    only as theta -> -infinity and never changes sign."""

    name = "entropic"
    lo = 0.0

    def phi(self, w):
        w = np.asarray(w, dtype=float)
        return w * np.log(w) - w

    def grad(self, w):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(np.asarray(w, dtype=float))

    def inv_grad(self, theta):
        return np.exp(np.asarray(theta, dtype=float))

    def hess(self, w):
        with np.errstate(divide="ignore"):
            return 1.0 / np.asarray(w, dtype=float)

    def mp_grad(self, w):
        return mp.log(w)

    def mp_inv_grad(self, theta):
        return mp.exp(theta)

    def mp_hess(self, w):
        return 1 / mp.mpf(w)

    def sym_phi(self):
        return W * sp.log(W) - W

    def sym_inv(self):
        return sp.exp(THETA)


class PNorm(Potential):
    """phi = |w|^p / p per synapse (Pogodin et al.'s p-norm potential), p > 1:
    phi' = sign(w)|w|^{p-1}, (phi')^{-1}(theta) = sign(theta)|theta|^{1/(p-1)},
    phi'' = (p-1)|w|^{p-2}.  p = 2 is the Euclidean potential."""

    name = "pnorm"
    params = ("p",)

    def __init__(self, spec, p="3"):
        super().__init__(spec)
        try:
            self.p_exact = sp.Rational(str(p))
        except (TypeError, ValueError):
            raise PriorError(f"pnorm: p must be a number, got '{p}'") from None
        if not self.p_exact > 1:
            raise PriorError(f"pnorm: p must be > 1, got {p}")
        self.p = float(self.p_exact)
        self.spec = f"pnorm:p={p}"

    def phi(self, w):
        return np.abs(w) ** self.p / self.p

    def grad(self, w):
        w = np.asarray(w, dtype=float)
        return np.sign(w) * np.abs(w) ** (self.p - 1)

    def inv_grad(self, theta):
        t = np.asarray(theta, dtype=float)
        return np.sign(t) * np.abs(t) ** (1.0 / (self.p - 1))

    def hess(self, w):
        with np.errstate(divide="ignore"):
            return (self.p - 1) * np.abs(np.asarray(w, dtype=float)) ** (self.p - 2)

    def _mp_p(self):
        return mp.mpf(self.p_exact.p) / self.p_exact.q

    def mp_grad(self, w):
        w = mp.mpf(w)
        return mp.sign(w) * abs(w) ** (self._mp_p() - 1)

    def mp_inv_grad(self, theta):
        t = mp.mpf(theta)
        return mp.sign(t) * abs(t) ** (1 / (self._mp_p() - 1))

    def mp_hess(self, w):
        return (self._mp_p() - 1) * abs(mp.mpf(w)) ** (self._mp_p() - 2)

    def sym_phi(self):
        return sp.Abs(W) ** self.p_exact / self.p_exact

    def sym_grad(self):
        return sp.sign(W) * sp.Abs(W) ** (self.p_exact - 1)

    def sym_inv(self):
        return sp.sign(THETA) * sp.Abs(THETA) ** (1 / (self.p_exact - 1))

    def sym_hess(self):  # sympy's d/dw sign(w) would add a DiracDelta at 0
        return (self.p_exact - 1) * sp.Abs(W) ** (self.p_exact - 2)


class UserPotential(Potential):
    """A potential from a formula in w, given as phi (phi' and phi'' by sympy) or as phi'
    directly (phi'' by sympy), on the domain (a, b).  The formula goes through the project's
    whitelist grammar (never eval).  (phi')^{-1} is computed numerically by bracketed
    monotone root finding (solvers.geometry.invert_monotone; mp.findroot with the Anderson
    bracketing solver at high precision).  Checked on a probe grid: phi'' > 0 and finite
    (strict convexity, so phi' is increasing and invertible), and phi' running to -inf and
    +inf at the domain's ends (Legendre type, so every theta has a preimage); the last
    check is numerical (|phi'| beyond 20 at the probe closest to each end)."""

    name = "user"
    params = ("phi", "grad", "domain")

    def __init__(self, spec, phi=None, grad=None, domain=None):
        super().__init__(spec)
        if (phi is None) == (grad is None):
            raise PriorError("a user potential needs exactly one of phi=FORMULA or grad=FORMULA")
        try:
            expr = parse_formula(phi if phi is not None else grad, variables=("w",))
        except FormulaError as exc:
            raise PriorError(f"potential formula: {exc}") from None
        self._phi = expr if phi is not None else None
        self._grad = sp.diff(expr, W) if phi is not None else expr
        self._hess = sp.diff(self._grad, W)
        if domain is not None:
            if not isinstance(domain, list) or len(domain) != 2:
                raise PriorError("domain takes two numbers a|b (inf allowed)")
            self.lo, self.hi = float(domain[0]), float(domain[1])
            if not self.lo < self.hi:
                raise PriorError(f"potential domain needs a < b, got {self.lo:g}|{self.hi:g}")
        self._g = sp.lambdify(W, self._grad, modules=_NP_MODULES)
        self._h = sp.lambdify(W, self._hess, modules=_NP_MODULES)
        self._mg = lambdify_mp(W, self._grad, _MP_NAMES)
        self._mh = lambdify_mp(W, self._hess, _MP_NAMES)
        self._p = sp.lambdify(W, self._phi, modules=_NP_MODULES) if self._phi is not None else None
        self._check()

    def _np(self, f, w):
        w = np.asarray(w, dtype=float)
        with np.errstate(all="ignore"):
            return np.broadcast_to(np.asarray(f(w), dtype=float), w.shape).copy()

    def phi(self, w):
        if self._p is None:
            raise PriorError("this user potential was given by its gradient; phi itself is not available")
        return self._np(self._p, w)

    def grad(self, w):
        return self._np(self._g, w)

    def hess(self, w):
        return self._np(self._h, w)

    def inv_grad(self, theta):
        return invert_monotone(self.grad, theta, self.lo, self.hi, self.hess)

    def mp_grad(self, w):
        return _mp_real(self._mg(mp.mpf(w)))

    def mp_hess(self, w):
        return _mp_real(self._mh(mp.mpf(w)))

    def mp_inv_grad(self, theta):
        theta = mp.mpf(theta)
        x0 = float(self.inv_grad(np.array([float(theta)]))[0])
        step = 1e-6 * (1 + abs(x0))
        a, b = max(x0 - step, self.lo), min(x0 + step, self.hi)
        for _ in range(200):  # widen until the float64 root is bracketed at this precision
            ga = self.mp_grad(a) if a > self.lo else -mp.inf
            gb = self.mp_grad(b) if b < self.hi else mp.inf
            if ga <= theta <= gb:
                break
            step *= 2
            a, b = max(x0 - step, self.lo), min(x0 + step, self.hi)
        if a <= self.lo or b >= self.hi:
            a, b = (a if a > self.lo else x0 - (x0 - self.lo) / 2), (b if b < self.hi else x0 + (self.hi - x0) / 2)
        return mp.findroot(lambda x: self.mp_grad(x) - theta, (mp.mpf(a), mp.mpf(b)), solver="anderson")

    def sym_phi(self):
        if self._phi is None:
            raise PriorError("this user potential was given by its gradient; phi itself is not available")
        return self._phi

    def sym_grad(self):
        return self._grad

    def sym_hess(self):
        return self._hess

    def _check(self):
        lo = self.lo if math.isfinite(self.lo) else -10.0
        hi = self.hi if math.isfinite(self.hi) else 10.0
        x = lo + (hi - lo) * (np.arange(1, 400) / 400.0)
        g, h = self.grad(x), self.hess(x)
        if not (np.all(np.isfinite(g)) and np.all(np.isfinite(h))):
            bad = x[~(np.isfinite(g) & np.isfinite(h))][0]
            raise PriorError(f"potential {self.spec}: phi' or phi'' is not finite at w = {bad:g} inside the domain")
        if np.any(h <= 0) or np.any(np.diff(g) <= 0):
            bad = x[np.argmax(h <= 0)] if np.any(h <= 0) else x[np.argmax(np.diff(g) <= 0)]
            raise PriorError(f"potential {self.spec} is not strictly convex (phi'' <= 0 near w = {bad:g}); "
                             "mirror descent needs phi' increasing")
        for end, sign in ((self.lo, -1), (self.hi, +1)):
            if math.isfinite(end):
                probe = end - sign * np.logspace(-1, -15, 15) * max(1.0, abs(end))
            else:
                probe = sign * np.logspace(1, 300, 59)
            vals = self.grad(probe)
            vals = vals[np.isfinite(vals) | (np.abs(vals) == np.inf)]
            reach = vals[-1] if len(vals) else np.nan
            if not (sign * reach > 20):
                raise PriorError(f"potential {self.spec}: phi' stays near {reach:g} towards w = {end:g}; it must "
                                 "run to {}infinity there (Legendre type) or an update could leave the domain"
                                 .format("-" if sign < 0 else "+"))


def _mp_real(v):
    return mp.re(v) if isinstance(v, mp.mpc) else mp.mpf(v)


POTENTIALS = {
    "euclidean": (Euclidean, "phi = w^2/2: gradient descent"),
    "entropic": (Entropic, "phi = w log w - w, w > 0: exponentiated gradient (multiplicative)"),
    "pnorm": (PNorm, "phi = |w|^p/p, phi' = sign(w)|w|^(p-1); param p=3 (p > 1; p=2 is euclidean)"),
    "user": (UserPotential, "user:phi=FORMULA or user:grad=FORMULA [,domain=a|b] (whitelist grammar in w)"),
}


def potential(spec) -> Potential:
    """A potential from its spec: 'euclidean', 'entropic', 'pnorm:p=3', 'user:grad=sinh(w)',
    or the parenthesised form used inside geometry prior specs, 'pnorm(p=3)'."""
    if isinstance(spec, Potential):
        return spec
    if not isinstance(spec, str) or not spec.strip():
        raise PriorError("a potential spec is a non-empty string, e.g. entropic or pnorm:p=3")
    from ..priors.grammar import parse_params

    name, body = _split_spec(spec.strip())
    if name not in POTENTIALS:
        raise PriorError(f"unknown potential '{name}' (known: {', '.join(POTENTIALS)})")
    cls, _ = POTENTIALS[name]
    params = parse_params(body, cls.params, raw=("phi", "grad", "p"))
    return cls(f"{name}:{body}" if body else name, **params)


def _split_spec(spec):
    """'pnorm:p=3' or 'pnorm(p=3)' -> ('pnorm', 'p=3')."""
    head = spec.split(":", 1)[0]
    if "(" in head:
        name, _, rest = spec.partition("(")
        if not rest.endswith(")"):
            raise PriorError(f"unbalanced parentheses in potential '{spec}'")
        return name.strip(), rest[:-1]
    name, _, body = spec.partition(":")
    return name.strip(), body


def describe_potentials() -> str:
    return "\n".join(f"  {n:10s} {h}" for n, (_, h) in POTENTIALS.items())
