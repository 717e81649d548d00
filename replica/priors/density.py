"""A user-given density in w: `density:expr=FORMULA,support=a|b`.

The formula goes through the whitelist parser in `formula.py` (never eval/sympify), the
resulting sympy expression is lambdified for mpmath (any precision) and numpy (tables),
and the density is checked: non-negative, finite, normalisable with a finite second moment.

The density's mass is located first (`DensityLaw.locate`: its mode and the width of its
bulk, from log f on probes spread over 2^-64 .. 2^64), and every table, cut and check is
placed relative to that location: exp(-(w - 1e6)^2) or exp(-1e8 w^2) are tabulated where
their mass is, not on a grid around 0 at scale 1 that sees none of it.
"""
from __future__ import annotations

import bisect

import mpmath as mp
import numpy as np
import sympy

from .base import Continuous, Prior, PriorError, extra_digits
from .formula import FormulaError, lambdify_mp, parse_formula

W = sympy.Symbol("w", real=True)
_MP_NAMES = {"Heaviside": lambda x, h=0.5: mp.mpf(1) if x > 0 else (mp.mpf(h) if x == 0 else mp.mpf(0)),
             "sign": mp.sign}
_NP_MODULES = [{"Heaviside": lambda x, h=0.5: np.heaviside(x, h)}, "numpy", "scipy"]


class DensityLaw(Continuous):
    """Normalised density f(w)/Z on (lo, hi) with CDF by quadrature from cached anchors."""

    N_ANCHORS = 64

    def __init__(self, expr, lo, hi, text):
        self.expr, self.text = expr, text
        self.lo, self.hi = mp.mpf(lo), mp.mpf(hi)
        self._f = lambdify_mp(W, expr, _MP_NAMES)  # bounded work per point
        self._fnp = sympy.lambdify(W, expr, modules=_NP_MODULES)
        self._cache = {}
        self.center, self.spread = mp.mpf(0), mp.mpf(1)   # set by `locate`
        self._extra = 0

    def _wide(self):
        """Work `_extra` digits longer: mass at w ~ 1e6 of width 1 loses 6 digits in
        w - 1e6 inside the formula."""
        return mp.workdps(mp.mp.dps + self._extra)

    # -- where the mass is
    BULK = 50     # the bulk: where log f is within BULK of its maximum

    def _logf(self, w):
        v = self.raw(w)
        return mp.log(v) if v > 0 else -mp.inf

    def locate(self):
        """Mode and bulk width of the density, at 20 digits.  Probes: 0, +-2^k
        (k = -64..64) and the same distances from finite support ends; the best probe is
        refined by golden section, then the bulk [a, b] (log f >= max - BULK) is found by
        doubling steps from the mode.  PriorError if the density grows towards the
        end of the probes (not normalisable) or has bulk mass outside [a, b] (components
        separated by more than e^-BULK of the peak: give a support or use mixture:)."""
        with mp.workdps(20):
            dist = [mp.mpf(2) ** k for k in range(-64, 65)]
            probes = {mp.mpf(0)} | {s * d for s in (1, -1) for d in dist}
            for end, sign in ((self.lo, 1), (self.hi, -1)):
                if mp.isfinite(end):
                    probes |= {end + sign * d for d in dist} | {end}
            probes = sorted(x for x in probes if self.lo <= x <= self.hi)
            raws = [self.raw(x) for x in probes]
            neg = [x for x, v in zip(probes, raws) if v < 0]
            if neg:   # before anything else: a negative density is the user's error to name
                raise PriorError(f"density '{self.text}' is negative at w = {mp.nstr(min(neg, key=abs), 6)}")
            vals = [mp.log(v) if v > 0 else -mp.inf for v in raws]
            top = max(vals)
            if top == -mp.inf:
                raise PriorError(f"density '{self.text}' is zero at every probe of its support")
            i = vals.index(top)
            if i in (0, len(probes) - 1) and not mp.isfinite(self.lo if i == 0 else self.hi):
                raise PriorError(f"density '{self.text}' grows towards w = {mp.nstr(probes[i], 3)}: "
                                 "not normalisable on its support")
            a, b = probes[max(i - 1, 0)], probes[min(i + 1, len(probes) - 1)]
            mode = self._golden(a, b)
            if self._logf(mode) < top:
                mode = probes[i]
            peak = self._logf(mode)
            ends = []
            for sign in (1, -1):
                step = max(abs(mode), mp.mpf(1)) * mp.mpf(2) ** -60
                while True:
                    x = mode + sign * step
                    if not (self.lo <= x <= self.hi) or self._logf(x) < peak - self.BULK:
                        break
                    step *= 2
                    if step > mp.mpf(2) ** 70:
                        raise PriorError(f"density '{self.text}' decays too slowly: not normalisable "
                                         "with a finite second moment")
                ends.append(min(max(x, self.lo), self.hi))
            hi_end, lo_end = ends
            width = hi_end - lo_end
            far = [x for x, v in zip(probes, vals) if v >= peak - self.BULK
                   and not (lo_end - width <= x <= hi_end + width)]
            if far:
                raise PriorError(f"density '{self.text}' has mass near w = {mp.nstr(mode, 6)} and near "
                                 f"w = {mp.nstr(far[0], 6)}, separated by a region where it is below e^-{self.BULK} "
                                 "of its peak: split it into a mixture: of densities, or give a support")
            self.center = +mode
            self.spread = max(width, mp.mpf(2) ** -200) / 2
            self._extra = extra_digits(abs(self.center) / self.spread) if self.center else 0

    def _golden(self, a, b):
        r = (mp.sqrt(5) - 1) / 2
        c, d = b - r * (b - a), a + r * (b - a)
        fc, fd = self._logf(c), self._logf(d)
        for _ in range(200):
            if b - a <= mp.mpf(10) ** -15 * (abs(a) + abs(b)) + mp.mpf(2) ** -300:
                break
            if fc >= fd:
                b, d, fd = d, c, fc
                c = b - r * (b - a)
                fc = self._logf(c)
            else:
                a, c, fc = c, d, fd
                d = a + r * (b - a)
                fd = self._logf(d)
        return (a + b) / 2

    def _pts_bulk(self, lo, hi):
        """Breakpoints for integrals of f over [lo, hi]: the ends and the bulk."""
        c, s = self.center, self.spread
        inner = [x for x in (c - 4 * s, c - s, c, c + s, c + 4 * s) if lo < x < hi]
        return [lo, *inner, hi]

    def raw(self, w):
        if not (self.lo <= w <= self.hi):
            return mp.mpf(0)
        v = self._f(w)
        return mp.re(v) if isinstance(v, mp.mpc) else mp.mpf(v)

    # -- per-precision tables: Z, the truncation range and cumulative anchors
    def _tables(self):
        key = mp.mp.prec
        if key not in self._cache:
            with self._wide():
                self._cache[key] = self._build()
        return self._cache[key]

    def _cut(self, sign):
        """Where the tail mass beyond falls below eps^2 (relative), searched outward from
        the bulk in doubling steps of its width."""
        end = self.hi if sign > 0 else self.lo
        if mp.isfinite(end):
            return end
        c, s = self.center, self.spread
        d = s / 8
        while d < s * 2 ** 80:
            x = c + sign * d
            tail = mp.quad(self.raw, [x, x + sign * s, sign * mp.inf] if sign > 0 else [sign * mp.inf, x + sign * s, x])
            if tail < mp.eps ** 2 * self._z0:
                return x
            d *= mp.mpf(1.25)   # a tight cut: the anchors are spread over [cut-, cut+]
        raise PriorError(f"density '{self.text}' has tails too heavy for a finite second moment")

    def _build(self):
        self._z0 = mp.quad(self.raw, self._pts_bulk(self.lo, self.hi))
        a, b = self._cut(-1), self._cut(+1)
        xs = [a + (b - a) * k / self.N_ANCHORS for k in range(self.N_ANCHORS + 1)]
        pieces = [mp.quad(self.raw, [xs[k], xs[k + 1]]) for k in range(self.N_ANCHORS)]
        left = mp.quad(self.raw, [self.lo, a]) if mp.isfinite(a) and a > self.lo else mp.mpf(0)
        right = mp.quad(self.raw, [b, self.hi]) if mp.isfinite(b) and b < self.hi else mp.mpf(0)
        z = left + mp.fsum(pieces) + right
        low = [left]
        for p in pieces:
            low.append(low[-1] + p)
        up = [right]
        for p in reversed(pieces):
            up.append(up[-1] + p)
        up.reverse()
        return {"Z": z, "xs": xs, "low": [c / z for c in low], "up": [c / z for c in up]}


    def pdf(self, w):
        t = self._tables()
        with self._wide():
            return self.raw(w) / t["Z"]

    def cdf(self, w):
        t = self._tables()
        with self._wide():
            return self._cdf(w, t)

    def sf(self, w):
        t = self._tables()
        with self._wide():
            return self._sf(w, t)

    def _cdf(self, w, t):
        if w <= self.lo:
            return mp.mpf(0)
        if w >= self.hi:
            return mp.mpf(1)
        xs = t["xs"]
        if w < xs[0]:
            return mp.quad(self.raw, [self.lo, w]) / t["Z"]
        i = min(bisect.bisect_right(xs, w) - 1, len(xs) - 1)
        return t["low"][i] + mp.quad(self.raw, [xs[i], w]) / t["Z"]

    def _sf(self, w, t):
        if w <= self.lo:
            return mp.mpf(1)
        if w >= self.hi:
            return mp.mpf(0)
        xs = t["xs"]
        if w > xs[-1]:
            return mp.quad(self.raw, [w, self.hi]) / t["Z"]
        i = max(bisect.bisect_left(xs, w), 0)
        return t["up"][i] + mp.quad(self.raw, [w, xs[i]]) / t["Z"]

    def moment(self, k):
        t = self._tables()
        with self._wide():
            return mp.quad(lambda w: w ** k * self.raw(w), self._pts_bulk(self.lo, self.hi)) / t["Z"]

    def _build_ppf_table(self):
        """The float64 quantile table on the located range (the tables' cuts at 15 digits)."""
        with mp.workdps(15):
            xs = self._tables()["xs"]
            a, b = float(xs[0]), float(xs[-1])
        x = np.linspace(a, b, 4001)
        dens = self.np_pdf(x)
        cdf = np.concatenate([[0.0], np.cumsum(0.5 * (dens[1:] + dens[:-1]) * np.diff(x))])
        if not cdf[-1] > 0:
            raise PriorError(f"density '{self.text}' cannot be tabulated in double precision on [{a:.6g}, {b:.6g}]")
        cdf /= cdf[-1]
        # steps below 1e-18 (far tails, denormal densities) make PCHIP slopes infinite
        keep = np.concatenate([[True], np.diff(cdf) > 1e-18])
        from scipy import interpolate

        return interpolate.PchipInterpolator(cdf[keep], x[keep], extrapolate=True)

    def np_pdf(self, w):
        w = np.asarray(w, dtype=float)
        with np.errstate(all="ignore"):
            v = np.broadcast_to(np.asarray(self._fnp(w), dtype=float), w.shape)
        inside = (w >= float(self.lo)) & (w <= float(self.hi))
        return np.where(inside, v, 0.0) / float(self._tables()["Z"])


def density_prior(spec: str, text: str, lo, hi) -> Prior:
    lo, hi = mp.mpf(lo), mp.mpf(hi)
    if not lo < hi:
        raise PriorError(f"density support needs a < b, got {mp.nstr(lo, 8)}|{mp.nstr(hi, 8)}")
    try:
        expr = parse_formula(text, variables=("w",))
    except FormulaError as exc:
        raise PriorError(f"density formula: {exc}") from None
    return expr_prior(spec, expr, lo, hi, text)


def expr_prior(spec: str, expr, lo, hi, text: str, law_cls=None) -> Prior:
    """The prior of a sympy expression in `W` (a parsed formula, or a density built in
    Python, adapters.from_sympy): located, checked, normalised on (lo, hi)."""
    lo, hi = mp.mpf(lo), mp.mpf(hi)
    law = (law_cls or DensityLaw)(expr, lo, hi, text)
    try:
        law.locate()
    except (ValueError, ZeroDivisionError, TypeError, OverflowError) as exc:
        if isinstance(exc, PriorError):
            raise
        raise PriorError(f"density '{text}' cannot be evaluated on its support ({exc})") from None
    _check(law, text)
    return Prior(spec, masses=(mp.mpf(1),), parts=(law,))


def _check(law: DensityLaw, text: str):
    """Non-negative and finite on a probe grid, normalisable, finite second moment."""
    with mp.workdps(20):
        c, s = law.center, law.spread
        a = law.lo if mp.isfinite(law.lo) else c - 50 * s
        b = law.hi if mp.isfinite(law.hi) else c + 50 * s
        probe = [a + (b - a) * k / 400 for k in range(401)]
        try:
            vals = [law.raw(x) for x in probe]
        except (ValueError, ZeroDivisionError, TypeError, OverflowError) as exc:
            raise PriorError(f"density '{text}' cannot be evaluated on its support ({exc})") from None
        bad = [x for x, v in zip(probe, vals) if not mp.isfinite(v)]
        if bad:
            raise PriorError(f"density '{text}' is not finite at w = {mp.nstr(bad[0], 6)}")
        neg = [x for x, v in zip(probe, vals) if v < 0]
        if neg:
            raise PriorError(f"density '{text}' is negative at w = {mp.nstr(neg[0], 6)}")
        z = mp.quad(law.raw, law._pts_bulk(law.lo, law.hi))
        tails_ok = True
        for end, sign in ((law.hi, 1), (law.lo, -1)):
            if not mp.isfinite(end):
                # second-moment mass beyond 1e4 bulk widths, relative to the bulk's
                x0 = c + sign * 10 ** 4 * s
                far = mp.quad(lambda t: (s * s + (t - c) ** 2) * law.raw(t),
                              [x0, sign * mp.inf] if sign > 0 else [sign * mp.inf, x0])
                tails_ok &= mp.isfinite(far) and abs(far) < mp.mpf(10) ** -8 * s * s * z
        if not tails_ok or not mp.isfinite(z):
            raise PriorError(f"density '{text}' is not normalisable with a finite second moment on its support")
        if not z > 0:
            raise PriorError(f"density '{text}' integrates to zero on its support")
