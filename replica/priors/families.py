"""Built-in prior families, each registered once with `register_law` (registry.py).

Each constructor takes the spec's keyword parameters as mp numbers and returns a `Prior`
in its native units; `normalized()` rescales to E w^2 = 1 where the physics needs it.
"""
from __future__ import annotations

import mpmath as mp
import numpy as np
from scipy import special, stats

from solvers.gaussian import mp_H, mp_norm_isf, mp_Phi, mp_phi

from .base import Continuous, Prior, PriorError, check_probs, exact, extra_digits
from .registry import FAMILIES, LAWS, register_law  # noqa: F401  (FAMILIES: name -> (ctor, help))


# ---------------------------------------------------------------- continuous laws
class Normal(Continuous):
    accurate_float_transport = True
    has_closed_transport = True
    analytic_transport = True   # E3 by the lattice trapezoid in z

    def __init__(self, mean=0, std=1):
        self.mean, self.std = mp.mpf(mean), mp.mpf(std)

    def pdf(self, w):
        return mp_phi((w - self.mean) / self.std) / self.std

    def cdf(self, w):
        return mp_Phi((w - self.mean) / self.std)

    def sf(self, w):
        return mp_H((w - self.mean) / self.std)

    def moment(self, k):
        m, s = self.mean, self.std
        # E (m + s z)^k by the binomial sum with E z^j = (j-1)!! for even j
        return mp.fsum(mp.binomial(k, j) * m ** (k - j) * s ** j * mp.fac2(j - 1)
                       for j in range(0, k + 1, 2))

    def quantile_from_z(self, z):
        return self.mean + self.std * z

    def transport_offset(self, z):
        return self.std * z

    def sympy_pdf(self, x):
        import sympy as sp

        m, sd = exact(self.mean), exact(self.std)
        return sp.exp(-(x - m) ** 2 / (2 * sd ** 2)) / (sd * sp.sqrt(2 * sp.pi)), m ** 2 + sd ** 2

    def scaled(self, s):
        return Normal(self.mean * s, self.std * s)

    def sympy_transport(self, z):
        return exact(self.mean) + exact(self.std) * z

    def np_ppf(self, u):
        return float(self.mean) + float(self.std) * special.ndtri(u)

    def np_isf(self, u):
        return float(self.mean) - float(self.std) * special.ndtri(u)

    def np_transport(self, z):
        return float(self.mean) + float(self.std) * np.asarray(z, dtype=float)

    s_reach = np.inf

    def np_s_of(self, w):
        """The quantile variable Phi^{-1}(F(w)), exact on the whole line."""
        return (np.asarray(w, dtype=float) - float(self.mean)) / float(self.std)

    def np_pdf(self, w):
        return stats.norm.pdf(w, float(self.mean), float(self.std))

    def np_cdf(self, x):
        return special.ndtr((np.asarray(x, dtype=float) - float(self.mean)) / float(self.std))

    def np_sf(self, x):
        return special.ndtr((float(self.mean) - np.asarray(x, dtype=float)) / float(self.std))


class HalfNormal(Continuous):
    """scale |z|, z ~ N(0,1)."""

    accurate_float_transport = True
    lo = mp.mpf(0)
    has_closed_transport = True
    analytic_transport = True   # E3 by the lattice trapezoid in z
    elementary_transport = False  # T needs an inverse erfc: E z T is faster in w-space

    def __init__(self, scale=1):
        self.scale = mp.mpf(scale)

    def pdf(self, w):
        return 2 * mp_phi(w / self.scale) / self.scale if w >= 0 else mp.mpf(0)

    def cdf(self, w):
        return mp.erf(w / (self.scale * mp.sqrt(2))) if w > 0 else mp.mpf(0)

    def sf(self, w):
        return mp.erfc(w / (self.scale * mp.sqrt(2))) if w > 0 else mp.mpf(1)

    def moment(self, k):
        # E|z|^k = 2^{k/2} Gamma((k+1)/2) / sqrt(pi)
        return self.scale ** k * 2 ** (mp.mpf(k) / 2) * mp.gamma(mp.mpf(k + 1) / 2) / mp.sqrt(mp.pi)

    def quantile_from_z(self, z):
        # F^{-1}(Phi(z)) with F = erf(w / sqrt 2): for z >= 0 the upper tail of the
        # half-normal at H(z)/2; for z < 0 erfinv(Phi(z)), which keeps the digits of small
        # w (the upper-tail form cancels in 1/2 - Phi(z)/2)
        if z < 0:
            with mp.workdps(mp.mp.dps + 5):
                return self.scale * mp.sqrt(2) * mp.erfinv(mp_Phi(z))
        return self.scale * mp_norm_isf(mp_H(z) / 2)

    def transport_offset(self, z):
        # T(z) - T(0) = isf(H(z)/2) - isf(1/4) on both sides: absolute precision only (for
        # z << 0 T is tiny), which is what E z (T - T(0)) needs; no erfinv (10x slower)
        with mp.workdps(mp.mp.dps + 3):
            return self.scale * (mp_norm_isf(mp_H(z) / 2) - self._median())

    def _median(self):
        cache = self.__dict__.setdefault("_median_cache", {})
        if mp.mp.prec not in cache:
            cache[mp.mp.prec] = mp_norm_isf(mp.mpf(1) / 4)
        return cache[mp.mp.prec]

    def sympy_pdf(self, x):
        import sympy as sp

        sc = exact(self.scale)
        return 2 * sp.exp(-x ** 2 / (2 * sc ** 2)) / (sc * sp.sqrt(2 * sp.pi)), sc ** 2

    def scaled(self, s):
        return HalfNormal(self.scale * s)

    def np_ppf(self, u):
        # F = erf(w / (scale sqrt 2)): erfinv keeps the digits of small u (0.5 + u/2 would not)
        return float(self.scale) * np.sqrt(2) * special.erfinv(np.asarray(u, dtype=float))

    def np_isf(self, u):
        return -float(self.scale) * special.ndtri(0.5 * np.asarray(u))

    def np_pdf(self, w):
        s = float(self.scale)
        return np.where(np.asarray(w) >= 0, 2 * stats.norm.pdf(np.asarray(w) / s) / s, 0.0)

    def np_cdf(self, x):
        x = np.asarray(x, dtype=float)
        return np.where(x > 0, special.erf(np.maximum(x, 0) / (float(self.scale) * np.sqrt(2))), 0.0)

    def np_sf(self, x):
        x = np.asarray(x, dtype=float)
        return np.where(x > 0, special.erfc(np.maximum(x, 0) / (float(self.scale) * np.sqrt(2))), 1.0)


class LogNormal(Continuous):
    """exp(mu + sigma z).  Exponents like mu + sigma z cancel (at unit scale mu = -sigma^2,
    and the mass of E z T sits at z ~ sigma): each is formed with `extra_digits` more
    digits, so T, F and the moments keep full relative precision for any mu and sigma."""

    accurate_float_transport = True
    lo = mp.mpf(0)
    has_closed_transport = True
    analytic_transport = True   # E3 by the lattice trapezoid in z

    def __init__(self, sigma, mu=0):
        self.sigma, self.mu = mp.mpf(sigma), mp.mpf(mu)

    def _u(self, w):
        """(log w - mu) / sigma, without cancellation."""
        lw = mp.log(w)
        with mp.workdps(mp.mp.dps + extra_digits(lw, self.mu)):
            return (lw - self.mu) / self.sigma

    def pdf(self, w):
        if w <= 0:
            return mp.mpf(0)
        return mp_phi(self._u(w)) / (self.sigma * w)

    def cdf(self, w):
        return mp_Phi(self._u(w)) if w > 0 else mp.mpf(0)

    def sf(self, w):
        return mp_H(self._u(w)) if w > 0 else mp.mpf(1)

    def moment(self, k):
        with mp.workdps(mp.mp.dps + extra_digits(k * self.mu, (k * self.sigma) ** 2)):
            e = k * self.mu + (k * self.sigma) ** 2 / 2
        return mp.exp(e)

    def quantile_from_z(self, z):
        with mp.workdps(mp.mp.dps + extra_digits(self.mu, self.sigma * z)):
            e = self.mu + self.sigma * z
        return mp.exp(e)

    def transport_offset(self, z):
        with mp.workdps(mp.mp.dps + extra_digits(self.sigma * z)):
            e = self.sigma * z
        return mp.exp(self.mu) * mp.expm1(e)

    def sympy_pdf(self, x):
        import sympy as sp

        s_, mu = exact(self.sigma), exact(self.mu)
        pdf = sp.exp(-(sp.log(x) - mu) ** 2 / (2 * s_ ** 2)) / (x * s_ * sp.sqrt(2 * sp.pi))
        return pdf, sp.exp(2 * mu + 2 * s_ ** 2)      # E w^2 (sympy cannot integrate it)

    def scaled(self, s):
        ls = mp.log(s)
        with mp.workdps(mp.mp.dps + extra_digits(self.mu, ls)):
            return LogNormal(self.sigma, self.mu + ls)

    def sympy_transport(self, z):
        import sympy as sp

        return sp.exp(exact(self.mu) + exact(self.sigma) * z)

    def np_ppf(self, u):
        return np.exp(float(self.mu) + float(self.sigma) * special.ndtri(u))

    def np_isf(self, u):
        return np.exp(float(self.mu) - float(self.sigma) * special.ndtri(u))

    def np_transport(self, z):
        return np.exp(float(self.mu) + float(self.sigma) * np.asarray(z, dtype=float))

    s_reach = np.inf

    def np_s_of(self, w):
        """The quantile variable Phi^{-1}(F(w)), exact for w > 0 (-inf at w <= 0)."""
        u, pos = self._np_u(w)
        return np.where(pos, u, -np.inf)

    def np_pdf(self, w):
        return stats.lognorm.pdf(w, float(self.sigma), scale=float(mp.exp(self.mu)))

    def _np_u(self, x):
        x = np.asarray(x, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (np.log(np.where(x > 0, x, 1.0)) - float(self.mu)) / float(self.sigma), x > 0

    def np_cdf(self, x):
        u, pos = self._np_u(x)
        return np.where(pos, special.ndtr(u), 0.0)

    def np_sf(self, x):
        u, pos = self._np_u(x)
        return np.where(pos, special.ndtr(-u), 1.0)


class Uniform(Continuous):
    accurate_float_transport = True
    has_closed_transport = True
    analytic_transport = True   # E3 by the lattice trapezoid in z

    def __init__(self, low, high):
        self.lo, self.hi = mp.mpf(low), mp.mpf(high)

    def pdf(self, w):
        return 1 / (self.hi - self.lo) if self.lo <= w <= self.hi else mp.mpf(0)

    def cdf(self, w):
        return min(max((w - self.lo) / (self.hi - self.lo), mp.mpf(0)), mp.mpf(1))

    def sf(self, w):
        return min(max((self.hi - w) / (self.hi - self.lo), mp.mpf(0)), mp.mpf(1))

    def moment(self, k):
        a, b = self.lo, self.hi
        return (b ** (k + 1) - a ** (k + 1)) / ((k + 1) * (b - a))

    def quantile_from_z(self, z):
        # from the nearer end, so tails keep their digits
        return self.lo + (self.hi - self.lo) * mp_Phi(z) if z < 0 else self.hi - (self.hi - self.lo) * mp_H(z)

    def transport_offset(self, z):
        # T(z) - T(0) = (hi - lo) (Phi(z) - 1/2) = (hi - lo) erf(z / sqrt 2) / 2
        return (self.hi - self.lo) * mp.erf(z / mp.sqrt(2)) / 2

    def sympy_pdf(self, x):
        import sympy as sp

        lo, hi = exact(self.lo), exact(self.hi)
        return 1 / (hi - lo), (hi ** 3 - lo ** 3) / (3 * (hi - lo))

    def scaled(self, s):
        return Uniform(self.lo * s, self.hi * s)

    def np_ppf(self, u):
        return float(self.lo) + float(self.hi - self.lo) * np.asarray(u)

    def np_isf(self, u):
        return float(self.hi) - float(self.hi - self.lo) * np.asarray(u)

    def np_pdf(self, w):
        return stats.uniform.pdf(w, float(self.lo), float(self.hi - self.lo))

    def np_cdf(self, x):
        a, b = float(self.lo), float(self.hi)
        return np.clip((np.asarray(x, dtype=float) - a) / (b - a), 0.0, 1.0)

    def np_sf(self, x):
        a, b = float(self.lo), float(self.hi)
        return np.clip((b - np.asarray(x, dtype=float)) / (b - a), 0.0, 1.0)


class Laplace(Continuous):
    accurate_float_transport = True
    has_closed_transport = True

    def __init__(self, scale=1, loc=0):
        self.b, self.m = mp.mpf(scale), mp.mpf(loc)

    def pdf(self, w):
        return mp.exp(-abs(w - self.m) / self.b) / (2 * self.b)

    def cdf(self, w):
        x = (w - self.m) / self.b
        return mp.exp(x) / 2 if x < 0 else 1 - mp.exp(-x) / 2

    def sf(self, w):
        x = (w - self.m) / self.b
        return mp.exp(-x) / 2 if x >= 0 else 1 - mp.exp(x) / 2

    def moment(self, k):
        return mp.fsum(mp.binomial(k, j) * self.m ** (k - j) * (mp.fac(j) * self.b ** j if j % 2 == 0 else 0)
                       for j in range(k + 1))

    def quantile_from_z(self, z):
        return self.m + self.transport_offset(z)

    def transport_offset(self, z):
        return self.b * mp.log(2 * mp_Phi(z)) if z < 0 else -self.b * mp.log(2 * mp_H(z))

    def sympy_pdf(self, x):
        import sympy as sp

        b, m = exact(self.b), exact(self.m)
        return sp.exp(-sp.Abs(x - m) / b) / (2 * b), m ** 2 + 2 * b ** 2

    def scaled(self, s):
        return Laplace(self.b * s, self.m * s)

    def np_ppf(self, u):
        return stats.laplace.ppf(u, float(self.m), float(self.b))

    def np_isf(self, u):
        return stats.laplace.isf(u, float(self.m), float(self.b))

    def np_pdf(self, w):
        return stats.laplace.pdf(w, float(self.m), float(self.b))

    def np_cdf(self, x):
        return stats.laplace.cdf(x, float(self.m), float(self.b))

    def np_sf(self, x):
        return stats.laplace.sf(x, float(self.m), float(self.b))


class Exponential(Continuous):
    accurate_float_transport = True
    lo = mp.mpf(0)
    has_closed_transport = True
    analytic_transport = True   # E3 by the lattice trapezoid in z

    def __init__(self, rate=1):
        self.rate = mp.mpf(rate)

    def pdf(self, w):
        return self.rate * mp.exp(-self.rate * w) if w >= 0 else mp.mpf(0)

    def cdf(self, w):
        return -mp.expm1(-self.rate * w) if w > 0 else mp.mpf(0)

    def sf(self, w):
        return mp.exp(-self.rate * w) if w > 0 else mp.mpf(1)

    def moment(self, k):
        return mp.fac(k) / self.rate ** k

    def quantile_from_z(self, z):
        # -log(1 - Phi(z)) / rate = -log H(z) / rate; log1p for the lower tail
        return (-mp.log1p(-mp_Phi(z)) if z < 0 else -mp.log(mp_H(z))) / self.rate

    def transport_offset(self, z):
        # T(z) - T(0) = -log(2 H(z)) / rate
        return -mp.log(2 * mp_H(z)) / self.rate

    def sympy_pdf(self, x):
        import sympy as sp

        r_ = exact(self.rate)
        return r_ * sp.exp(-r_ * x), 2 / r_ ** 2

    def scaled(self, s):
        return Exponential(self.rate / s)

    def np_ppf(self, u):
        return -np.log1p(-np.asarray(u)) / float(self.rate)

    def np_isf(self, u):
        return -np.log(np.asarray(u)) / float(self.rate)

    def np_pdf(self, w):
        return stats.expon.pdf(w, scale=1 / float(self.rate))

    def np_cdf(self, x):
        x = np.asarray(x, dtype=float)
        return np.where(x > 0, -np.expm1(-float(self.rate) * np.maximum(x, 0)), 0.0)

    def np_sf(self, x):
        x = np.asarray(x, dtype=float)
        return np.where(x > 0, np.exp(-float(self.rate) * np.maximum(x, 0)), 1.0)


class Gamma(Continuous):
    accurate_float_transport = True
    lo = mp.mpf(0)

    def __init__(self, k, theta=1):
        self.k, self.theta = mp.mpf(k), mp.mpf(theta)

    def pdf(self, w):
        if w <= 0:
            return mp.mpf(0)
        x = w / self.theta
        return mp.exp((self.k - 1) * mp.log(x) - x - mp.loggamma(self.k)) / self.theta

    def cdf(self, w):
        return mp.gammainc(self.k, 0, w / self.theta, regularized=True) if w > 0 else mp.mpf(0)

    def sf(self, w):
        return mp.gammainc(self.k, w / self.theta, mp.inf, regularized=True) if w > 0 else mp.mpf(1)

    def moment(self, n):
        return self.theta ** n * mp.rf(self.k, n)

    def sympy_pdf(self, x):
        import sympy as sp

        k, th = exact(self.k), exact(self.theta)
        return x ** (k - 1) * sp.exp(-x / th) / (sp.gamma(k) * th ** k), th ** 2 * k * (k + 1)

    def scaled(self, s):
        return Gamma(self.k, self.theta * s)

    def np_ppf(self, u):
        return stats.gamma.ppf(u, float(self.k), scale=float(self.theta))

    def np_isf(self, u):
        return stats.gamma.isf(u, float(self.k), scale=float(self.theta))

    def np_pdf(self, w):
        return stats.gamma.pdf(w, float(self.k), scale=float(self.theta))

    def np_cdf(self, x):
        x = np.maximum(np.asarray(x, dtype=float), 0.0)
        return special.gammainc(float(self.k), x / float(self.theta))

    def np_sf(self, x):
        x = np.maximum(np.asarray(x, dtype=float), 0.0)
        return special.gammaincc(float(self.k), x / float(self.theta))


# ---------------------------------------------------------------- constructors
def _finite(name, value):
    if not mp.isfinite(value):
        raise PriorError(f"{name} must be a finite number, got {mp.nstr(value, 8)}")
    return value


def _positive(name, value):
    if not value > 0:
        raise PriorError(f"{name} must be > 0, got {mp.nstr(value, 8)}")
    return _finite(name, value)


def _fraction(name, value, closed=True):
    ok = (0 <= value <= 1) if closed else (0 < value < 1)
    if not ok:
        raise PriorError(f"{name} must be in {'[0, 1]' if closed else '(0, 1)'}, got {mp.nstr(value, 8)}")
    return value


def gaussian(spec, mean=0, std=1):
    return Prior(spec, masses=(mp.mpf(1),), parts=(Normal(_finite("mean", mean), _positive("std", std)),))


def lognormal(spec, sigma=1, mu=0):
    return Prior(spec, masses=(mp.mpf(1),), parts=(LogNormal(_positive("sigma", sigma), _finite("mu", mu)),))


def halfnormal(spec):
    return Prior(spec, masses=(mp.mpf(1),), parts=(HalfNormal(),))


def rectified(spec, f0=mp.mpf(1) / 2):
    """f0 zeros and (1 - f0) half-normal: the optimum of a sign constraint at f0 = 1/2."""
    _fraction("f0", f0)
    if f0 == 1:
        raise PriorError("f0 must be < 1: all weights zero")
    values, probs = ((mp.mpf(0),), (f0,)) if f0 > 0 else ((), ())
    return Prior(spec, values=values, probs=probs, masses=(1 - f0,), parts=(HalfNormal(),))


def uniform(spec, low=-1, high=1):
    _finite("low", low), _finite("high", high)
    if not high > low:
        raise PriorError(f"uniform needs low < high, got low={mp.nstr(low, 8)}, high={mp.nstr(high, 8)}")
    return Prior(spec, masses=(mp.mpf(1),), parts=(Uniform(low, high),))


def laplace(spec, scale=1, loc=0):
    return Prior(spec, masses=(mp.mpf(1),), parts=(Laplace(_positive("scale", scale), _finite("loc", loc)),))


def exponential(spec, rate=1):
    return Prior(spec, masses=(mp.mpf(1),), parts=(Exponential(_positive("rate", rate)),))


def gamma(spec, k=2, theta=1):
    return Prior(spec, masses=(mp.mpf(1),), parts=(Gamma(_positive("k", k), _positive("theta", theta)),))


def discrete(spec, values=None, probs=None):
    if values is None or probs is None:
        raise PriorError("discrete needs values=a|b|... and probs=pa|pb|...")
    if len(values) != len(probs):
        raise PriorError(f"discrete needs as many values as probs, got {len(values)} values and {len(probs)} probs")
    if len(values) == 0:
        raise PriorError("discrete needs at least one value")
    probs = check_probs(probs)
    merged: dict = {}
    for v, p in zip(values, probs):
        if p > 0:
            merged[mp.mpf(v)] = merged.get(mp.mpf(v), mp.mpf(0)) + p
    vals = tuple(sorted(merged))
    return Prior(spec, values=vals, probs=tuple(merged[v] for v in vals))


def binary(spec, p=mp.mpf(1) / 2):
    """+1 with probability p, -1 otherwise (Ising weights)."""
    _fraction("p", p, closed=False)
    return discrete(spec, [-1, 1], [1 - p, p])


def ternary(spec, f0=mp.mpf(1) / 2):
    """0 with probability f0, +-1 with (1 - f0)/2 each."""
    _fraction("f0", f0)
    if f0 == 1:
        raise PriorError("f0 must be < 1: all weights zero")
    return discrete(spec, [-1, 0, 1], [(1 - f0) / 2, f0, (1 - f0) / 2])


class Weibull(Continuous):
    """k/s (w/s)^{k-1} e^{-(w/s)^k}, w > 0 (the registry demo: one class, one register_law line)."""

    accurate_float_transport = True
    has_closed_transport = True
    analytic_transport = True   # E3 by the lattice trapezoid in z
    lo = mp.mpf(0)

    def __init__(self, k, scale=1):
        self.k, self.s = _positive("k", mp.mpf(k)), _positive("scale", mp.mpf(scale))

    def pdf(self, w):
        if w <= 0:
            return mp.mpf(0)
        x = w / self.s
        return self.k / self.s * x ** (self.k - 1) * mp.exp(-x ** self.k)

    def cdf(self, w):
        return -mp.expm1(-(w / self.s) ** self.k) if w > 0 else mp.mpf(0)

    def sf(self, w):
        return mp.exp(-(w / self.s) ** self.k) if w > 0 else mp.mpf(1)

    def sympy_pdf(self, x):
        import sympy as sp

        k, sc = exact(self.k), exact(self.s)
        return k / sc * (x / sc) ** (k - 1) * sp.exp(-(x / sc) ** k), sc ** 2 * sp.gamma(1 + 2 / k)

    def moment(self, n):
        return self.s ** n * mp.gamma(1 + mp.mpf(n) / self.k)

    def quantile_from_z(self, z):
        # F(w) = 1 - e^{-(w/s)^k} = Phi(z): (w/s)^k = -log H(z), log1p(-Phi(z)) below 0
        e = -mp.log1p(-mp_Phi(z)) if z < 0 else -mp.log(mp_H(z))
        return self.s * e ** (1 / self.k)

    def scaled(self, s):
        return Weibull(self.k, self.s * s)

    def _np(self):
        return stats.weibull_min(float(self.k), scale=float(self.s))

    def np_pdf(self, w):
        return self._np().pdf(w)

    def np_cdf(self, x):
        return self._np().cdf(x)

    def np_sf(self, x):
        return self._np().sf(x)

    def np_ppf(self, u):
        return self._np().ppf(u)

    def np_isf(self, u):
        return self._np().isf(u)


def one_part(part_cls):
    """The constructor of a law made of one continuous part whose class checks its own
    parameters: ctor(spec, **params) = Prior(spec, part_cls(**params))."""
    def ctor(spec, **params):
        return Prior(spec, masses=(mp.mpf(1),), parts=(part_cls(**params),))

    ctor.__name__ = part_cls.__name__.lower()
    return ctor


# ---------------------------------------------------------------- the registry
register_law("gaussian", gaussian, ("mean", "std"), "N(mean, std^2); params mean=0, std=1")
register_law("binary", binary, ("p",), "+-1 (Ising); param p=0.5 = P(+1)")
register_law("ternary", ternary, ("f0",), "0 w.p. f0, +-1 w.p. (1-f0)/2; param f0=0.5")
register_law("rectified", rectified, ("f0",),
             "f0 zeros + (1-f0) half-normal; param f0=0.5 (sign-constraint optimum)")
register_law("halfnormal", halfnormal, (), "|z|, z ~ N(0,1)")
register_law("lognormal", lognormal, ("sigma", "mu"), "exp(mu + sigma z); params sigma=1, mu=0")
register_law("uniform", uniform, ("low", "high"), "uniform on [low, high]; params low=-1, high=1")
register_law("laplace", laplace, ("scale", "loc"), "exp(-|w-loc|/scale)/(2 scale); params scale=1, loc=0")
register_law("exponential", exponential, ("rate",), "rate e^{-rate w}, w>0; param rate=1")
register_law("gamma", gamma, ("k", "theta"), "w^{k-1} e^{-w/theta}; params k=2, theta=1")
register_law("discrete", discrete, ("values", "probs"), "atoms: values=a|b|c, probs=pa|pb|pc",
             lists=("values", "probs"))
register_law("weibull", one_part(Weibull), ("k", "scale"), "k/s (w/s)^{k-1} e^{-(w/s)^k}, w>0; params k=1.5, scale=1", defaults={"k": "1.5", "scale": 1})
