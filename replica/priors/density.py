"""A user-given density in w: `density:expr=FORMULA,support=a|b`.

The formula goes through the whitelist parser in `formula.py` (never eval/sympify), the
resulting sympy expression is lambdified for mpmath (any precision) and numpy (tables),
and the density is checked: non-negative, finite, normalisable with a finite second moment.
"""
from __future__ import annotations

import bisect

import mpmath as mp
import numpy as np
import sympy

from .base import Continuous, Prior, PriorError
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

    def raw(self, w):
        if not (self.lo <= w <= self.hi):
            return mp.mpf(0)
        v = self._f(w)
        return mp.re(v) if isinstance(v, mp.mpc) else mp.mpf(v)

    # -- per-precision tables: Z, the truncation range and cumulative anchors
    def _tables(self):
        key = mp.mp.prec
        if key not in self._cache:
            self._cache[key] = self._build()
        return self._cache[key]

    def _cut(self, sign):
        end = self.hi if sign > 0 else self.lo
        if mp.isfinite(end):
            return end
        x = mp.mpf(1)
        while abs(x) < 2 ** 40:
            if mp.quad(lambda t: self.raw(sign * t), [x, mp.inf]) < mp.eps ** 2 * self._z0:
                return sign * x
            x *= 2
        raise PriorError(f"density '{self.text}' has tails too heavy for a finite second moment")

    def _build(self):
        self._z0 = mp.quad(self.raw, self._pts(self.lo, self.hi))
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

    @staticmethod
    def _pts(lo, hi):
        return [lo, 0, hi] if lo < 0 < hi else [lo, hi]

    def pdf(self, w):
        return self.raw(w) / self._tables()["Z"]

    def cdf(self, w):
        t = self._tables()
        if w <= self.lo:
            return mp.mpf(0)
        if w >= self.hi:
            return mp.mpf(1)
        xs = t["xs"]
        if w < xs[0]:
            return mp.quad(self.raw, [self.lo, w]) / t["Z"]
        i = min(bisect.bisect_right(xs, w) - 1, len(xs) - 1)
        return t["low"][i] + mp.quad(self.raw, [xs[i], w]) / t["Z"]

    def sf(self, w):
        t = self._tables()
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
        return mp.quad(lambda w: w ** k * self.raw(w), self._pts(self.lo, self.hi)) / self._tables()["Z"]

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
    law = DensityLaw(expr, lo, hi, text)
    _check(law, text)
    return Prior(spec, masses=(mp.mpf(1),), parts=(law,))


def _check(law: DensityLaw, text: str):
    """Non-negative and finite on a probe grid, normalisable, finite second moment."""
    with mp.workdps(20):
        a = law.lo if mp.isfinite(law.lo) else mp.mpf(-50)
        b = law.hi if mp.isfinite(law.hi) else mp.mpf(50)
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
        tails_ok = True
        for end, sign in ((law.hi, 1), (law.lo, -1)):
            if not mp.isfinite(end):
                far = mp.quad(lambda t: (1 + t * t) * law.raw(sign * t), [mp.mpf(10) ** 4, mp.inf])
                tails_ok &= mp.isfinite(far) and abs(far) < mp.mpf(10) ** -8
        z = mp.quad(law.raw, law._pts(law.lo, law.hi))
        if not tails_ok or not mp.isfinite(z) or z > mp.mpf(10) ** 12:
            raise PriorError(f"density '{text}' is not normalisable with a finite second moment on its support")
        if not z > 0:
            raise PriorError(f"density '{text}' integrates to zero on its support")
