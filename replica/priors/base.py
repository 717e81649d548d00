"""Weight priors: a distribution on the real line made of atoms and continuous parts.

A `Prior` is  sum_k p_k delta(w - a_k) + sum_m c_m P_m(w)  with each P_m a normalised
`Continuous` law.  Every mp method works at the caller's `mp.dps`; the float64 methods
(`nodes`, `sample`) feed the vectorised solvers and the simulations.  Method names follow
scipy.stats (pdf, cdf, sf, ppf, moment) on purpose.
"""
from __future__ import annotations

import dataclasses
import functools
import mpmath as mp
import numpy as np
from scipy import interpolate, special

from solvers.gaussian import gauss_hermite, mp_H, mp_norm_isf, mp_Phi

from ..common.errors import UserError


class PriorError(UserError):
    """A prior specification that cannot describe a probability distribution."""


# ---------------------------------------------------------------- continuous laws
def exact(x):
    """An mp number as a sympy number (solvers.entropic_pieces.exact; sympy loads on use)."""
    from solvers.entropic_pieces import exact as sympy_exact

    return sympy_exact(x)


class Continuous:
    """A normalised density on (lo, hi).  Subclasses give pdf/cdf/sf (mp) and moments;
    `quantile_from_z(z)` = F^{-1}(Phi(z)) in closed form where one exists."""

    lo = -mp.inf
    hi = mp.inf
    has_closed_transport = False
    # T = F^{-1} o Phi analytic on the real line (the density analytic and positive inside
    # the support): E3's E z T converges exponentially by the trapezoid rule in z
    analytic_transport = False
    # np_transport accurate to float64 rounding (closed forms, scipy); the default float
    # quantile table is good to ~1e-6 only, so the float64 E3 path must not use it
    accurate_float_transport = False
    # |z| up to which np_transport and np_s_of are exact in float64 (Phi rounds to 0 beyond
    # ~37); laws with T in closed form on the whole line (normal, lognormal) say inf
    s_reach = 37.0

    def pdf(self, w):
        raise NotImplementedError

    def cdf(self, w):
        raise NotImplementedError

    def sf(self, w):
        return 1 - self.cdf(w)

    def sympy_pdf(self, x):
        """(density as a sympy expression in x on the support, exact E w^2), or None where the
        law has no closed form (families override it)."""
        return None

    def sympy_transport(self, z):
        """T(z) = F^{-1}(Phi(z)) (E3) as a sympy expression in z where it is elementary
        (families override it), else None."""
        return None

    def moment(self, k: int):
        lo, hi = self.lo, self.hi
        pts = [lo, 0, hi] if lo < 0 < hi else [lo, hi]
        return mp.quad(lambda w: w ** k * self.pdf(w), pts)

    def quantile_from_z(self, z):
        """T(z) = F^{-1}(Phi(z)) by Newton on the nearer tail; closed forms override this."""
        target_low = mp_Phi(z) if z < 0 else None
        target_high = mp_H(z) if z >= 0 else None
        w = mp.mpf(self.np_transport(np.array([float(z)]))[0])   # float start from the right tail
        for _ in range(100):
            if not (self.lo < w < self.hi):
                w = (self.lo + self.hi) / 2 if (self.lo > -mp.inf and self.hi < mp.inf) else mp.mpf(0)
            f = (self.cdf(w) - target_low) if target_low is not None else (target_high - self.sf(w))
            d = self.pdf(w)
            if d == 0:
                break
            step = f / d
            w -= step
            if abs(step) <= mp.eps * 64 * (1 + abs(w)):
                return w
        raise ArithmeticError(f"quantile inversion did not converge at z={mp.nstr(z, 6)}")

    def transport_offset(self, z):
        """T(z) - T(0), the integrand of E z T = E z (T(z) - T(0)) (E3): subtracting the
        median removes the cancellation of a location far from 0.  Closed forms override
        this; the default keeps 10 more digits for the difference."""
        with mp.workdps(mp.mp.dps + 10):
            return self.quantile_from_z(mp.mpf(z)) - self._median()

    def _median(self):
        """T(0) at the current precision, solved once per precision (E3 sums
        T(z) - T(0) over a lattice: one root solve per point, not two)."""
        cache = self.__dict__.setdefault("_median_cache", {})
        if mp.mp.prec not in cache:
            cache[mp.mp.prec] = self.quantile_from_z(mp.mpf(0))
        return cache[mp.mp.prec]

    # -- float64
    def np_pdf(self, w):
        return np.array([float(self.pdf(mp.mpf(float(x)))) for x in np.atleast_1d(w)])

    def np_isf(self, u):
        """Upper-tail quantile F^{-1}(1 - u), float64.  Families override it where 1 - u
        would round away the tail."""
        return self.np_ppf(1 - np.asarray(u, dtype=float))

    def np_transport(self, z):
        """T(z) = F^{-1}(Phi(z)), float64, each side from its own tail (Phi(z) rounds to 1
        beyond z ~ 8.3, where F^{-1}(Phi(z)) would be infinite)."""
        z = np.asarray(z, dtype=float)
        out = np.empty_like(z)
        low = z < 0
        out[low] = self.np_ppf(special.ndtr(z[low]))
        out[~low] = self.np_isf(special.ndtr(-z[~low]))
        return out

    def np_ppf(self, u):
        """Quantile function in float64.  Default: a monotone interpolant of the CDF
        tabulated once from the density (families with a closed form override this)."""
        if not hasattr(self, "_ppf_table"):
            self._ppf_table = self._build_ppf_table()
        return self._ppf_table(np.clip(np.asarray(u, dtype=float), 0.0, 1.0))

    def _build_ppf_table(self):
        lo = float(self.lo) if self.lo > -mp.inf else None
        hi = float(self.hi) if self.hi < mp.inf else None
        with mp.workdps(15):
            # range: support, or where the tails fall below 1e-14
            a = lo if lo is not None else -_tail_reach(self, -1)
            b = hi if hi is not None else _tail_reach(self, +1)
        x = np.linspace(a, b, 4001)
        dens = self.np_pdf(x)
        cdf = np.concatenate([[0.0], np.cumsum(0.5 * (dens[1:] + dens[:-1]) * np.diff(x))])
        cdf /= cdf[-1]
        keep = np.concatenate([[True], np.diff(cdf) > 0])
        return interpolate.PchipInterpolator(cdf[keep], x[keep], extrapolate=True)

    def np_cdf(self, x):
        """CDF in float64 by inverting np_ppf in z-space: s(x) = Phi^{-1}(F(x)) is smooth and
        monotone, so a PCHIP of s against x on 4001 quantiles is accurate to ~1e-9."""
        if not hasattr(self, "_cdf_table"):
            s = np.linspace(-9.0, 9.0, 4001)
            xs = self.np_ppf(special.ndtr(s))
            fin = np.isfinite(xs)
            s, xs = s[fin], xs[fin]
            keep = np.concatenate([[True], np.diff(xs) > 0])
            self._cdf_table = (interpolate.PchipInterpolator(xs[keep], s[keep], extrapolate=False),
                               xs[keep][0], xs[keep][-1])
        f, lo, hi = self._cdf_table
        x = np.asarray(x, dtype=float)
        s = np.where(x <= lo, -np.inf, np.where(x >= hi, np.inf, f(np.clip(x, lo, hi))))
        return special.ndtr(s)

    def np_sf(self, x):
        """Survival function in float64.  Default 1 - np_cdf (absolute accuracy only);
        the families override it with closed forms that keep the upper tail's digits."""
        return 1.0 - self.np_cdf(x)

    def np_sample(self, n, rng):
        return self.np_ppf(rng.random(n))

    def scaled(self, s):
        """The law of s W (s > 0).  Families absorb s in their parameters exactly (so the
        rescaled law is the same family at unit scale); others are wrapped."""
        return ScaledContinuous(self, s)


def extra_digits(*xs) -> int:
    """Decimal digits a sum of terms of these magnitudes loses to cancellation: working
    that many digits longer keeps the result at full relative precision."""
    mags = [mp.mag(x) for x in xs if x and mp.isfinite(x)]
    return max(0, int(max(mags, default=0) * 0.30103) + 2)


def _tail_reach(part, sign):
    x = mp.mpf(1)
    for _ in range(200):
        tail = part.sf(x) if sign > 0 else part.cdf(-x)
        if tail < 1e-14:
            return float(x)
        x *= 1.5
    raise PriorError("density tails decay too slowly to tabulate")


class ScaledContinuous(Continuous):
    """The law of s * W for s > 0."""

    def __init__(self, base: Continuous, s):
        self.base, self.s = base, mp.mpf(s)
        self.lo, self.hi = base.lo * self.s, base.hi * self.s
        self.has_closed_transport = base.has_closed_transport
        self.elementary_transport = getattr(base, "elementary_transport", True)
        self.analytic_transport = base.analytic_transport
        self.accurate_float_transport = base.accurate_float_transport
        if hasattr(base, "precision_floor"):   # an error of integrals in w: scales with w
            self.precision_floor = base.precision_floor * self.s

    def pdf(self, w):
        return self.base.pdf(w / self.s) / self.s

    def cdf(self, w):
        return self.base.cdf(w / self.s)

    def sf(self, w):
        return self.base.sf(w / self.s)

    def moment(self, k):
        return self.base.moment(k) * self.s ** k

    def quantile_from_z(self, z):
        return self.s * self.base.quantile_from_z(z)

    def transport_offset(self, z):
        return self.s * self.base.transport_offset(z)

    def scaled(self, s):
        return self.base.scaled(self.s * mp.mpf(s))

    def np_pdf(self, w):
        return self.base.np_pdf(np.asarray(w) / float(self.s)) / float(self.s)

    def np_ppf(self, u):
        return float(self.s) * self.base.np_ppf(u)

    def np_isf(self, u):
        return float(self.s) * self.base.np_isf(u)

    def np_transport(self, z):
        return float(self.s) * self.base.np_transport(z)

    def np_cdf(self, x):
        return self.base.np_cdf(np.asarray(x, dtype=float) / float(self.s))

    def np_sf(self, x):
        return self.base.np_sf(np.asarray(x, dtype=float) / float(self.s))


class NegatedContinuous(Continuous):
    """The law of -W (inhibitory synapses, negated mixture components)."""

    def __init__(self, base: Continuous):
        self.base = base
        self.lo, self.hi = -base.hi, -base.lo
        self.has_closed_transport = base.has_closed_transport
        self.elementary_transport = getattr(base, "elementary_transport", True)
        self.analytic_transport = base.analytic_transport
        self.accurate_float_transport = base.accurate_float_transport
        if hasattr(base, "precision_floor"):
            self.precision_floor = base.precision_floor

    def pdf(self, w):
        return self.base.pdf(-w)

    def cdf(self, w):
        return self.base.sf(-w)

    def sf(self, w):
        return self.base.cdf(-w)

    def moment(self, k):
        return (-1) ** k * self.base.moment(k)

    def quantile_from_z(self, z):
        return -self.base.quantile_from_z(-z)

    def transport_offset(self, z):
        return -self.base.transport_offset(-z)

    def scaled(self, s):
        return NegatedContinuous(self.base.scaled(s))

    def sympy_pdf(self, x):
        piece = self.base.sympy_pdf(-x)
        return None if piece is None else (piece[0], piece[1])

    def sympy_transport(self, z):
        # F_{-W}^{-1}(Phi(z)) = -F_W^{-1}(1 - Phi(z)) = -T_W(-z)
        t = self.base.sympy_transport(-z)
        return None if t is None else -t

    def np_pdf(self, w):
        return self.base.np_pdf(-np.asarray(w))

    def np_ppf(self, u):
        # P(-W <= x) = u  <=>  P(W >= -x) = u: the base's upper tail (not 1 - u, which rounds)
        return -self.base.np_isf(u)

    def np_isf(self, u):
        return -self.base.np_ppf(u)

    def np_transport(self, z):
        return -self.base.np_transport(-np.asarray(z, dtype=float))

    @property
    def s_reach(self):
        return self.base.s_reach

    @property
    def np_s_of(self):
        """The base's exact quantile variable, mirrored (None where the base has none)."""
        f = getattr(self.base, "np_s_of", None)
        return None if f is None else (lambda w: -f(-np.asarray(w, dtype=float)))

    def np_cdf(self, x):
        return self.base.np_sf(-np.asarray(x, dtype=float))

    def np_sf(self, x):
        return self.base.np_cdf(-np.asarray(x, dtype=float))


# ---------------------------------------------------------------- the prior
@dataclasses.dataclass(frozen=True)
class Prior:
    """sum_k probs[k] delta(w - values[k]) + sum_m masses[m] parts[m].

    `spec` is the canonical spec string (round-trips through `replica.prior`)."""

    spec: str
    values: tuple = ()
    probs: tuple = ()
    masses: tuple = ()
    parts: tuple = ()
    scale: object = 1  # the factor applied by `scaled`, kept for reporting
    empirical: bool = False  # atoms from measured weights (file:), a stand-in for a density
    grouped = False  # one law for all weights (a GroupPrior has one per synapse group)

    @property
    def groups(self):
        """((fraction, law), ...): one group holding every weight."""
        return ((mp.mpf(1), self),)

    # -- structure
    @property
    def is_discrete(self) -> bool:
        return len(self.parts) == 0

    @property
    def has_atoms(self) -> bool:
        return len(self.values) > 0

    @property
    def support(self):
        los = [mp.mpf(v) for v in self.values] + [p.lo for p in self.parts]
        his = [mp.mpf(v) for v in self.values] + [p.hi for p in self.parts]
        return min(los), max(his)

    # -- mp interface (current mp.dps)
    def _atoms_mp(self):
        return [(mp.mpf(v), mp.mpf(p)) for v, p in zip(self.values, self.probs)]

    @property
    def atoms(self):
        """((value, probability), ...) of the point masses, mp."""
        return tuple(self._atoms_mp())

    @property
    def precision_floor(self):
        """Absolute accuracy of integrals in w that the law's evaluation limits (0 for the
        closed-form families; ~1e-13 x scale for laws built on float64 functions)."""
        return max((getattr(c, "precision_floor", 0) for c in self.parts), default=mp.mpf(0))

    def sympy_density(self, w):
        """The density rescaled to E w^2 = 1 as a sympy expression in `w` (on the rescaled
        support), for a single continuous part with a closed form; None otherwise."""
        import sympy as sp

        if self.values or len(self.parts) != 1:
            return None
        part = self.parts[0]
        if not (part.lo in (0, -mp.inf) and part.hi == mp.inf or part.lo == -mp.inf and part.hi == 0):
            return None        # a bounded support rescales too: the derivation integrates over the spec's
        x = sp.Symbol("x", positive=True) if part.lo >= 0 else \
            sp.Symbol("x", negative=True) if part.hi <= 0 else sp.Symbol("x", real=True)
        piece = self.parts[0].sympy_pdf(x)
        if piece is None:
            return None
        pdf, m2 = piece
        c = sp.sqrt(m2)
        return sp.simplify(pdf.subs(x, w * c) * c)

    def ppf(self, u):
        """F^{-1}(u) at the current precision (the left-continuous quantile at an atom's jump);
        from the lower tail for u < 1/2, so u = 1e-300 keeps its digits."""
        u = mp.mpf(u)
        if not 0 < u < 1:
            raise PriorError(f"ppf needs 0 < u < 1, got {mp.nstr(u, 8)}")
        return self.transport(-mp_norm_isf(u) if u < 0.5 else mp_norm_isf(1 - u))

    def isf(self, u):
        """The upper-tail quantile F^{-1}(1 - u), without forming 1 - u."""
        u = mp.mpf(u)
        if not 0 < u < 1:
            raise PriorError(f"isf needs 0 < u < 1, got {mp.nstr(u, 8)}")
        return self.transport(mp_norm_isf(u))

    def cdf(self, w):
        w = mp.mpf(w)
        s = mp.fsum(p for v, p in self._atoms_mp() if v <= w)
        return s + mp.fsum(mp.mpf(c) * part.cdf(w) for c, part in zip(self.masses, self.parts))

    def sf(self, w):
        w = mp.mpf(w)
        s = mp.fsum(p for v, p in self._atoms_mp() if v > w)
        return s + mp.fsum(mp.mpf(c) * part.sf(w) for c, part in zip(self.masses, self.parts))

    def pdf(self, w):
        """Density of the continuous part (atoms are in `values`, `probs`)."""
        return mp.fsum(mp.mpf(c) * part.pdf(mp.mpf(w)) for c, part in zip(self.masses, self.parts))

    def moment(self, k: int):
        s = mp.fsum(p * v ** k for v, p in self._atoms_mp())
        return s + mp.fsum(mp.mpf(c) * part.moment(k) for c, part in zip(self.masses, self.parts))

    @property
    def has_closed_transport(self) -> bool:
        return (not self.values) and len(self.parts) == 1 and self.parts[0].has_closed_transport

    def transport(self, z):
        """T(z) = F^{-1}(Phi(z)), the monotone map from N(0,1) to this prior (E3)."""
        if self.has_closed_transport:
            return self.parts[0].quantile_from_z(mp.mpf(z))
        return self._ppf_generic(mp.mpf(z))

    def _ppf_generic(self, z):
        """F^{-1}(Phi(z)) by bisection on the mixed CDF (the upper tail on S for z >= 0), to
        relative precision eps: an atom is returned exactly when the target falls in its
        jump, and the bisection is geometric where the bracket spans orders of magnitude
        (an absolute tolerance eps (1 + |w|) left a quantile 1.5e-18 of gamma(k=1/2) at
        z = -6 with 3 correct digits)."""
        lo_t, hi_t = mp_Phi(z), mp_H(z)
        for v, p in self._atoms_mp():
            if z < 0:
                f_at = self.cdf(v)
                if f_at - p < lo_t <= f_at:
                    return v
            else:
                s_at = self.sf(v)
                if s_at <= hi_t < s_at + p:
                    return v
        lo, hi = self.support
        if lo == -mp.inf or hi == mp.inf:
            span = mp.mpf(1)
            while self.cdf(-span) > lo_t and lo == -mp.inf:
                span *= 2
            lo = -span if lo == -mp.inf else lo
            span = mp.mpf(1)
            while self.sf(span) > hi_t and hi == mp.inf:
                span *= 2
            hi = span if hi == mp.inf else hi
        for _ in range(4 * mp.mp.prec + 300):
            if lo > 0 and hi > 4 * lo:
                mid = mp.sqrt(lo * hi)
            elif hi < 0 and lo < 4 * hi:
                mid = -mp.sqrt(lo * hi)
            else:
                mid = (lo + hi) / 2
            if self.cdf(mid) >= lo_t if z < 0 else self.sf(mid) <= hi_t:
                hi = mid
            else:
                lo = mid
            if hi - lo <= mp.eps * max(abs(hi), abs(lo)):
                break
        return hi

    def normalized(self) -> "Prior":
        """The same law rescaled to unit second moment (THEORY.md section 1), exactly: the
        families absorb the factor in their parameters, so every solver after this sees a
        law at unit scale whatever units the spec used (std=1e-100 or mu=-300)."""
        return self.scaled(1 / mp.sqrt(second_moment_of(self)))

    def scaled(self, s) -> "Prior":
        s = mp.mpf(s)
        if not s > 0:
            raise PriorError("a prior can only be rescaled by a positive factor (use negated())")
        return dataclasses.replace(
            self,
            values=tuple(mp.mpf(v) * s for v in self.values),
            parts=tuple(p.scaled(s) for p in self.parts),
            scale=mp.mpf(self.scale) * s,
        )

    def negated(self) -> "Prior":
        """The law of -W."""
        order = sorted(range(len(self.values)), key=lambda k: -mp.mpf(self.values[k]))
        return dataclasses.replace(
            self,
            values=tuple(-mp.mpf(self.values[k]) for k in order),
            probs=tuple(self.probs[k] for k in order),
            parts=tuple(NegatedContinuous(p) for p in self.parts),
        )

    def shannon_entropy(self):
        if not self.is_discrete:
            raise PriorError("Shannon entropy is defined for purely discrete priors only")
        return -mp.fsum(mp.mpf(p) * mp.log(p) for p in self.probs if p > 0)

    # -- float64 interface
    def nodes(self, n: int = 96):
        """(w, p): a discrete measure with the same low moments: the atoms exactly and each
        continuous part pushed through its quantile map at n Gauss-Hermite nodes.
        Used as the reference measure of the finite-alpha solver (E1 with dP(w))."""
        ws = [np.array([float(v) for v in self.values], dtype=float)]
        ps = [np.array([float(p) for p in self.probs], dtype=float)]
        if self.parts:
            x, gw = gauss_hermite(n)
            u = special.ndtr(x)
            for c, part in zip(self.masses, self.parts):
                ws.append(part.np_ppf(u))
                ps.append(float(c) * gw)
        w = np.concatenate(ws)
        p = np.concatenate(ps)
        order = np.argsort(w, kind="stable")
        return w[order], p[order] / p.sum()

    @functools.cached_property
    def _np_atoms(self):
        """Atoms as sorted float arrays with their cumulative masses from below
        (P(W <= v_k) of the atoms) and from above (P(W > v_k)), each summed from its own
        end so that small tails keep their digits."""
        order = sorted(range(len(self.values)), key=lambda k: mp.mpf(self.values[k]))
        vals = np.array([float(self.values[k]) for k in order], dtype=float)
        probs = np.array([float(self.probs[k]) for k in order], dtype=float)
        below = np.cumsum(probs)
        above = np.concatenate([np.cumsum(probs[::-1])[::-1][1:], [0.0]])
        return vals, probs, below, above

    def np_cdf(self, x):
        """F(x) = P(W <= x) in float64: atoms plus each part's closed-form CDF."""
        x = np.asarray(x, dtype=float)
        vals, _, below, _ = self._np_atoms
        out = np.zeros(x.shape)
        if len(vals):
            k = np.searchsorted(vals, x, side="right")
            out = np.where(k > 0, below[np.maximum(k - 1, 0)], 0.0)
        for c, part in zip(self.masses, self.parts):
            out = out + float(c) * part.np_cdf(x)
        return np.where(np.isnan(x), np.nan, out)

    def np_sf(self, x):
        """S(x) = P(W > x) in float64, summed from the upper tail (no 1 - F)."""
        x = np.asarray(x, dtype=float)
        vals, probs, _, above = self._np_atoms
        out = np.zeros(x.shape)
        if len(vals):
            k = np.searchsorted(vals, x, side="right")   # atoms > x are vals[k:]
            tot = above[0] + probs[0]
            out = np.where(k > 0, above[np.maximum(k - 1, 0)], tot)
        for c, part in zip(self.masses, self.parts):
            out = out + float(c) * part.np_sf(x)
        return np.where(np.isnan(x), np.nan, out)

    def np_pdf(self, x):
        """Density of the continuous part in float64 (atoms excluded, as `pdf`)."""
        x = np.asarray(x, dtype=float)
        out = np.zeros(x.shape)
        for c, part in zip(self.masses, self.parts):
            out = out + float(c) * part.np_pdf(x)
        return out

    def np_ppf(self, u):
        """Float64 quantile function F^{-1}(u) = inf{x: F(x) >= u}, to float64 rounding:
        atoms by their cumulative masses, one continuous part by its closed form, and any
        mixture by inverting the exact mixed CDF (`_np_quantile`)."""
        u = np.asarray(u, dtype=float)
        if not self.parts:
            vals, _, below, _ = self._np_atoms
            k = np.minimum(np.searchsorted(below, u, side="left"), len(vals) - 1)
            return np.where((u >= 0) & (u <= 1), vals[k], np.nan)
        if len(self.parts) == 1 and not self.values:
            return self.parts[0].np_ppf(u)
        return self._np_quantile(u, upper=False)

    def np_isf(self, t):
        """Upper-tail quantile inf{x: S(x) <= t} in float64, from the survival function, so
        that t = 1e-300 keeps its digits (1 - t would round to 1)."""
        t = np.asarray(t, dtype=float)
        if not self.parts:
            vals, _, _, above = self._np_atoms
            # above is non-increasing: the first k with above[k] <= t
            k = np.minimum(np.searchsorted(-above, -t, side="left"), len(vals) - 1)
            return np.where((t >= 0) & (t <= 1), vals[k], np.nan)
        if len(self.parts) == 1 and not self.values:
            return self.parts[0].np_isf(t)
        return self._np_quantile(t, upper=True)

    def np_transport(self, z):
        """T(z) = F^{-1}(Phi(z)) in float64, each side from its own tail."""
        z = np.asarray(z, dtype=float)
        if len(self.parts) == 1 and not self.values:
            return self.parts[0].np_transport(z)
        out = np.empty(z.shape)
        low = z < 0
        out[low] = self.np_ppf(special.ndtr(z[low]))
        out[~low] = self.np_isf(special.ndtr(-z[~low]))
        return out

    def _np_quantile(self, q, upper):
        """Generalised inverse of the mixed CDF, vectorised.

        q is u (upper=False: inf{x: F(x) >= u}) or t (upper=True: inf{x: S(x) <= t}).
        Each point is solved on its nearer tail: F(x) >= u for u <= 1/2, else S(x) <= 1 - u
        (1 - u is exact there), and symmetrically for t.  An atom is returned exactly when
        the target falls in its jump.  Otherwise the root lies between the smallest and the
        largest component quantile at the same target (at the largest every component, so
        the mixture, has reached it; below the smallest none has), and Newton on
        log F (or log S) is run inside that bracket, falling back to bisection (geometric
        where the bracket spans orders of magnitude) whenever a step leaves it."""
        q = np.asarray(q, dtype=float)
        shape = q.shape
        q = q.ravel()
        if upper:
            use_sf = q <= 0.5
            target = np.where(use_sf, q, 1.0 - q)
        else:
            use_sf = q > 0.5
            target = np.where(use_sf, 1.0 - q, q)
        out = np.full(q.shape, np.nan)
        ok = (q >= 0) & (q <= 1)
        lo_end, hi_end = (float(x) for x in self.support)
        # target 0: the end of the support on that side
        zero = ok & (target == 0)
        out[zero & use_sf] = hi_end
        out[zero & ~use_sf] = lo_end
        todo = ok & (target > 0)

        # atoms: the target falls in a jump
        vals, probs, below, above = self._np_atoms
        if len(vals):
            cont_cdf = sum(float(c) * part.np_cdf(vals) for c, part in zip(self.masses, self.parts))
            cont_sf = sum(float(c) * part.np_sf(vals) for c, part in zip(self.masses, self.parts))
            f_at, s_at = below + cont_cdf, above + cont_sf           # F(a), S(a)
            f_before, s_before = f_at - probs, s_at + probs           # F(a-), S(a-)
            for k, a in enumerate(vals):
                hit = todo & np.where(use_sf, (s_at[k] <= target) & (target < s_before[k]),
                                      (f_before[k] < target) & (target <= f_at[k]))
                out[hit] = a
                todo &= ~hit
        idx = np.flatnonzero(todo)
        if idx.size:
            out[idx] = self._np_solve(target[idx], use_sf[idx], vals)
        return out.reshape(shape)

    def _np_solve(self, target, use_sf, atom_vals):
        """x with F(x) = target (use_sf False) or S(x) = target (use_sf True), vectorised."""
        n = target.size
        # bracket from the component quantiles
        qs = [np.broadcast_to(a, (n,)).astype(float) for a in atom_vals]
        for part in self.parts:
            with np.errstate(all="ignore"):
                qs.append(np.where(use_sf, part.np_isf(target), part.np_ppf(target)))
        qs = np.array(qs)
        fin = np.isfinite(qs)
        lo = np.min(np.where(fin, qs, np.inf), axis=0)
        hi = np.max(np.where(fin, qs, -np.inf), axis=0)
        bad = ~(np.isfinite(lo) & np.isfinite(hi))
        lo[bad], hi[bad] = -1.0, 1.0

        def side_value(x, sf_side):
            """S(x) where sf_side, else F(x): each point on its own tail only."""
            val = np.empty(x.shape)
            with np.errstate(all="ignore"):
                val[sf_side] = self.np_sf(x[sf_side])
                val[~sf_side] = self.np_cdf(x[~sf_side])
            return val

        def reached(x, sel):
            """F(x) >= target (or S(x) <= target): x is at or above the quantile."""
            val = side_value(x, use_sf[sel])
            return np.where(use_sf[sel], val <= target[sel], val >= target[sel])

        # make sure lo is below (not reached) and hi is at or above (reached) the quantile
        for _ in range(2100):
            low_bad = reached(lo, slice(None))
            if not low_bad.any():
                break
            step = np.maximum(np.abs(hi - lo), np.maximum(np.abs(lo), 1e-300))
            lo = np.where(low_bad, lo - step, lo)
        for _ in range(2100):
            high_bad = ~reached(hi, slice(None))
            if not high_bad.any():
                break
            step = np.maximum(np.abs(hi - lo), np.maximum(np.abs(hi), 1e-300))
            hi = np.where(high_bad, hi + step, hi)
        lo = np.minimum(lo, hi)

        res = hi.copy()
        x = hi.copy()
        logt = np.log(target)
        active = np.arange(n)
        eps = np.finfo(float).eps
        for _ in range(400):
            if not active.size:
                break
            xa = x[active]
            sf_side = use_sf[active]
            val = side_value(xa, sf_side)
            with np.errstate(all="ignore"):
                dens = self.np_pdf(xa)
                # h(x) = log F - log t or log t - log S: increasing, near-linear in the tails
                h = np.where(sf_side, logt[active] - np.log(val), np.log(val) - logt[active])
                newton = xa - h * val / dens
            # the bracket: where x has reached the quantile it is the new hi, else the new lo
            r = np.where(sf_side, val <= target[active], val >= target[active])
            la = np.where(r, lo[active], xa)
            ha = np.where(r, xa, hi[active])
            lo[active], hi[active] = la, ha
            step = np.abs(newton - xa)
            conv = np.isfinite(newton) & (step <= 2 * eps * np.abs(xa) + 1e-300)
            closed = ha <= np.nextafter(la, np.inf)
            inside = np.isfinite(newton) & (newton > la) & (newton < ha)
            geo = ((la > 0) & (ha > 4 * la)) | ((ha < 0) & (la < 4 * ha))
            with np.errstate(all="ignore"):
                mid = np.where(geo, np.sign(ha) * np.sqrt(np.abs(la) * np.abs(ha)), la + (ha - la) / 2)
            res[active] = np.where(conv, np.clip(newton, la, ha), ha)
            x[active] = np.where(inside, newton, mid)
            active = active[~(conv | closed)]
        return res

    def sample(self, n: int, rng=None):
        rng = np.random.default_rng(rng)
        comp_p = np.array([float(p) for p in self.probs] + [float(c) for c in self.masses])
        comp_p = comp_p / comp_p.sum()
        which = rng.choice(len(comp_p), size=n, p=comp_p)
        out = np.empty(n)
        k = len(self.values)
        for i, v in enumerate(self.values):
            out[which == i] = float(v)
        for j, part in enumerate(self.parts):
            sel = which == k + j
            out[sel] = part.np_sample(int(sel.sum()), rng)
        return out


def second_moment_of(prior):
    """E_P w^2, checked: PriorError if it is zero or not a finite number."""
    m2 = prior.moment(2)
    if not mp.isfinite(m2):
        raise PriorError(f"prior '{prior.spec}' has no finite second moment (E w^2 = {mp.nstr(m2, 6)})")
    if not m2 > 0:
        raise PriorError(f"prior '{prior.spec}' has zero second moment (all weights zero)")
    return m2


PROB_TOL = mp.mpf("1e-9")


def check_probs(probs, what="probs"):
    """Non-negative numbers summing to 1 within PROB_TOL (rounding in the spec), returned
    divided by their sum in mp, so that they sum to 1 at the working precision: a spec
    0.5|0.5000000001 is the law with those odds, not one whose total mass is 1 + 1e-10."""
    probs = [mp.mpf(p) for p in probs]
    if any(not mp.isfinite(p) for p in probs):
        raise PriorError(f"{what} must be finite numbers, got {[mp.nstr(p, 6) for p in probs]}")
    if any(p < 0 for p in probs):
        raise PriorError(f"{what} must be non-negative, got {[mp.nstr(p, 6) for p in probs]}")
    # the parsed numbers carry every typed digit: sum and divide at a precision above any dps used
    with mp.workdps(max(mp.mp.dps, 50) + 20):
        total = mp.fsum(probs)
        if abs(total - 1) > PROB_TOL:
            raise PriorError(f"{what} must sum to 1, they sum to {mp.nstr(total, 10)}")
        return [p / total for p in probs]

