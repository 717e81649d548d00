"""Posterior moments of a prior under a scalar Gaussian channel, with no atom surrogate for
a continuous law (THEORY.md E5-E7 and section 3: the Bayes-optimal and soft-prior students).

For a student law P_S and A > 0 the posterior of a weight given the field b is
    p(w | b) ~ P_S(w) e^{-A w^2/2 + b w} ~ P_S(w) e^{-A (w - u)^2/2},   u = b / A,
so with sigma = 1/sqrt(A) every posterior moment comes from the smoothed moments
    N0(u) = int P_S(dw) phi_sigma(u - w),   M_k(u) = int P_S(dw) (w - u)^k phi_sigma(u - w),
(<w> = u + M1/N0, Var = M2/N0 - (M1/N0)^2, centred so that Var ~ sigma^2 keeps its digits).
For b = sqrt(qhat) z + Rhat w0, w0 ~ P_T, u = r x with x = w0 + (tau/r) z, r = Rhat/A,
tau = sqrt(qhat)/A: the outer expectation is int dx N0_T(x) f(r x), N0_T the teacher's law
smoothed at width tau/r.  On the Nishimori line (P_S = P_T, Rhat = qhat = A) r = 1 and the
outer density is the inner N0 itself:  1 - q = int du N0(u) Var(u).

Quadrature.  A continuous part is integrated in its Gaussian-quantile variable s,
w = T(s) = F^{-1}(Phi(s)) (the law's exact np_transport): P(dw) = Ds, smooth at every
support edge.  For each u the kernel window |w - u| <= L sigma is mapped to s and cut into
Gauss-Legendre panels equal in psi = s/h + T(s)/(c sigma), so a panel spans at most h in s
and c sigma in w: local (width sigma) where sigma is small, the whole prior where it is
large.  Atoms stay exact atoms.  The outer integral in x uses Gauss-Legendre panels on the
quantile grid of each law, refined at sigma steps around atoms, finite support edges and
kinks, and extended L sigma beyond the support.  The error is measured by a second,
different layout (other orders, steps and panel counts), not by doubling one.
"""
from __future__ import annotations

import dataclasses

import numpy as np
from scipy import special

from .gaussian import _gauss_legendre, panel_nodes

L_WIN = 9.0        # kernel window half-width in sigma: e^{-81/2} ~ 2.6e-18 of the peak
S_MAX = 9.5        # quantile variable range: Phi(-9.5) ~ 1e-21
SQRT_2PI = np.sqrt(2 * np.pi)


@dataclasses.dataclass(frozen=True)
class Layout:
    """One discretisation: inner panels (psi steps h, c sigma; order), outer panels (s step,
    order, sigma steps around features)."""

    inner_h: float
    inner_c: float
    inner_n: int
    outer_h: float
    outer_n: int
    outer_c: float
    feature_steps: tuple


FINE = Layout(1.3, 2.0, 10, 0.8, 10, 1.5, (0.6, 1.2, 2, 3, 4.2, 5.5, 7, 9.5))
COARSE = Layout(1.5, 2.5, 9, 1.1, 9, 2.0, (0.7, 1.5, 2.5, 4, 5.5, 7.5, 9.5))    # the second, different layout
SCAN = Layout(2.0, 3.0, 6, 1.5, 6, 3.0, (1, 2.5, 4.5, 7, 9.5))                 # cheap: tables and root brackets


def _kinks(part):
    """Interior points where a part's density is not smooth (Laplace's peak)."""
    if type(part).__name__ == "Laplace":
        return (float(part.m),)
    if type(part).__name__ == "NegatedContinuous":
        return tuple(-k for k in _kinks(part.base))
    return ()


class LawQuadrature:
    """A (normalised) Prior as exact atoms plus continuous parts in their quantile variable."""

    def __init__(self, prior):
        self.atoms = np.array([float(v) for v in prior.values]), np.array([float(p) for p in prior.probs])
        self.parts = [(float(c), part) for c, part in zip(prior.masses, prior.parts)]
        grid = np.linspace(-S_MAX, S_MAX, 2 * int(8 * S_MAX) + 1)
        self._features = list(self.atoms[0])
        self._ends = []
        for _, part in self.parts:
            lo, hi = float(part.lo), float(part.hi)
            t = part.np_transport(grid)
            ends = (lo if np.isfinite(lo) else float(t[0]), hi if np.isfinite(hi) else float(t[-1]))
            self._ends.append(ends)
            self._features += [e for e in (lo, hi) if np.isfinite(e)] + list(_kinks(part))
        self._finite_lo = bool(len(self.atoms[0])) or any(np.isfinite(float(p.lo)) for _, p in self.parts)
        self._finite_hi = bool(len(self.atoms[0])) or any(np.isfinite(float(p.hi)) for _, p in self.parts)
        self.lo = min([a for a in self.atoms[0]] + [e[0] for e in self._ends])
        self.hi = max([a for a in self.atoms[0]] + [e[1] for e in self._ends])

    @property
    def continuous(self):
        return bool(self.parts)

    # ------------------------------------------------------------ inner moments
    def moments(self, u, sigma, lay: Layout):
        """(N0, M1, M2) at the points u for kernel width sigma (see the module docstring)."""
        u = np.asarray(u, float)
        n0, m1, m2 = np.zeros_like(u), np.zeros_like(u), np.zeros_like(u)
        for a, p in zip(*self.atoms):
            d = a - u
            k = p * np.exp(-0.5 * (d / sigma) ** 2) / (sigma * SQRT_2PI)
            n0, m1, m2 = n0 + k, m1 + k * d, m2 + k * d * d
        for c, part in self.parts:
            k0, k1, k2 = _part_moments(part, u, sigma, lay)
            n0, m1, m2 = n0 + c * k0, m1 + c * k1, m2 + c * k2
        return n0, m1, m2

    # ------------------------------------------------------------ outer rule
    def edges(self, sigma, lay: Layout, scale=1.0):
        """Outer panel edges (in w / scale): the quantile grid of each part, sigma-graded
        points around atoms, support edges and kinks, and L sigma beyond the ends."""
        out = []
        steps = np.asarray(lay.feature_steps, float) * sigma
        s = np.arange(-S_MAX, S_MAX + 1e-9, lay.outer_h)
        for c, part in self.parts:
            out.append(part.np_transport(s))
        for f in self._features:
            out.append(f + np.concatenate([[0.0], steps, -steps]))
        # beyond the ends the smoothed density is a Gaussian tail of width sigma; an end of
        # an unbounded part carries ~1e-21 of the mass, one panel suffices unless sigma is wide
        for end, sign, finite in ((self.lo, -1, self._finite_lo), (self.hi, 1, self._finite_hi)):
            out.append(end + sign * (steps if finite or sigma > 0.05 else steps[-1:]))
        q = np.concatenate(out[:len(self.parts)]) if self.parts else np.zeros(0)
        q = _thin(np.unique(q[np.isfinite(q)]), lay.outer_c * sigma)
        e = np.concatenate([q] + out[len(self.parts):])
        return np.unique(e[np.isfinite(e)]) / scale


def _thin(e, gap):
    """Drop edges so that consecutive ones are >= gap apart (a convolution with phi_sigma is
    smooth on the scale sigma: panels narrower than that only cost nodes)."""
    if len(e) < 3:
        return e
    keep, last = [e[0]], e[0]
    for x in e[1:-1]:
        if x - last >= gap:
            keep.append(x)
            last = x
    keep.append(e[-1])
    return np.asarray(keep)


def outer_rule(edge_sets, lay: Layout):
    """Gauss-Legendre nodes and weights on the union of the panel edges."""
    e = np.unique(np.concatenate(edge_sets))
    lo, hi = e[0], e[-1]
    e = e[np.concatenate([[True], np.diff(e) > 1e-13 * max(1.0, hi - lo)])]
    return panel_nodes(e, lay.outer_n)


def _s_of(part, w):
    """The quantile variable of w, Phi^{-1}(F(w)), each side from its own tail; +-S_MAX
    outside the support."""
    w = np.asarray(w, float)
    with np.errstate(all="ignore"):
        cdf, sf = part.np_cdf(w), part.np_sf(w)
        s = np.where(cdf < 0.5, special.ndtri(cdf), -special.ndtri(sf))
    s = np.where(np.isnan(s), 0.0, s)
    return np.clip(s, -S_MAX, S_MAX)


PRE = 17   # points per window for placing the panels (psi is interpolated between them)


def _part_moments(part, u, sigma, lay: Layout):
    """int Ds (T - u)^k phi_sigma(u - T), k = 0, 1, 2, for each u (one continuous part)."""
    s_lo, s_hi = _s_of(part, u - L_WIN * sigma), _s_of(part, u + L_WIN * sigma)
    t = np.linspace(0.0, 1.0, PRE)
    sg = s_lo[:, None] + (s_hi - s_lo)[:, None] * t[None, :]
    tg = part.np_transport(sg)
    psi = (sg - s_lo[:, None]) / lay.inner_h + np.abs(tg - tg[:, :1]) / (lay.inner_c * sigma)
    need = np.maximum(1, np.ceil(psi[:, -1])).astype(int)
    kinks = [float(_s_of(part, k)) for k in _kinks(part)]
    for sk in kinks:
        need = np.where((s_lo < sk) & (sk < s_hi), np.maximum(need, 2), need)
    # rows grouped by panel count (rounded up to a few classes): a handful of wide windows
    # (beyond a support edge, near lognormal's 0) must not set every row's count
    cls = np.asarray(PANEL_CLASSES)[np.minimum(np.searchsorted(PANEL_CLASSES, need), len(PANEL_CLASSES) - 1)]
    cls = np.maximum(cls, need)
    out = np.zeros((3, len(u)))
    for npan in np.unique(cls):
        rows = np.flatnonzero(cls == npan)
        out[:, rows] = _window_sums(part, u[rows], sigma, lay, psi[rows], sg[rows], s_lo[rows], s_hi[rows],
                                    int(npan), kinks)
    return out[0], out[1], out[2]


PANEL_CLASSES = (1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32, 40, 48, 64)


def _window_sums(part, u, sigma, lay, psi, sg, s_lo, s_hi, npan, kinks=()):
    target = psi[:, -1:] * (np.arange(npan + 1) / npan)[None, :]
    # invert the piecewise-linear psi on each row
    j = np.clip(np.sum(psi[:, None, :] <= target[:, :, None], axis=2) - 1, 0, PRE - 2)
    rows = np.arange(len(u))[:, None]
    p0, p1 = psi[rows, j], psi[rows, j + 1]
    frac = np.where(p1 > p0, (target - p0) / np.where(p1 > p0, p1 - p0, 1.0), 0.0)
    edges = sg[rows, j] + frac * (sg[rows, j + 1] - sg[rows, j])
    edges[:, 0], edges[:, -1] = s_lo, s_hi
    for sk in kinks:     # a kink of the density is a kink of T: put a panel edge on it
        inside = (s_lo < sk) & (sk < s_hi)
        if np.any(inside) and npan >= 2:
            j = 1 + np.argmin(np.abs(edges[:, 1:-1] - sk), axis=1)
            edges[np.flatnonzero(inside), j[inside]] = sk
    xg, wg = _gauss_legendre(lay.inner_n)
    half, mid = 0.5 * np.diff(edges, axis=1), 0.5 * (edges[:, 1:] + edges[:, :-1])
    s = (mid[:, :, None] + half[:, :, None] * xg).reshape(len(u), -1)
    ws = (half[:, :, None] * wg).reshape(len(u), -1) * np.exp(-0.5 * s * s) / SQRT_2PI
    d = part.np_transport(s) - u[:, None]
    k = ws * np.exp(-0.5 * (d / sigma) ** 2) / (sigma * SQRT_2PI)
    return k.sum(axis=1), (k * d).sum(axis=1), (k * d * d).sum(axis=1)


# ---------------------------------------------------------------- the Nishimori line
@dataclasses.dataclass(frozen=True)
class NishimoriMoments:
    q: float          # 1 - mmse = E <w>^2 = E <w> w0
    log_z: float      # E log int P(dw) e^{-qh w^2/2 + y w},  y = sqrt(qh) z + qh w0
    norm: float       # int du N0 (1 up to the quadrature error)


def nishimori(law: LawQuadrature, qh: float, lay: Layout = FINE) -> NishimoriMoments:
    """q(qhat) = 1 - int du N0 Var and E log Z on the Nishimori line (E5 at qhat = Rhat, P_S = P_T)."""
    sigma = 1.0 / np.sqrt(qh)
    u, wu = outer_rule([law.edges(sigma, lay)], lay)
    n0, m1, m2 = law.moments(u, sigma, lay)
    pos = n0 > 0
    u, wu, n0, m1, m2 = u[pos], wu[pos], n0[pos], m1[pos], m2[pos]
    c = m1 / n0
    mmse = wu @ (m2 - m1 * c)            # N0 Var, centred (Var ~ sigma^2 keeps its digits)
    # log Z(qh u) = qh u^2/2 + log(sigma sqrt(2 pi) N0(u)), and E qh u^2/2 = (qh + 1)/2
    ent = wu @ (n0 * np.log(n0))
    log_z = 0.5 * (qh + 1) + np.log(sigma * SQRT_2PI) + ent
    return NishimoriMoments(1.0 - mmse, float(log_z), float(wu @ n0))


def nishimori_free(law: LawQuadrature, q: float, qh: float, lay: Layout = FINE) -> float:
    """G_S on the Nishimori line relative to the prior, -qh q/2 + E log Z (E5 at qhat = Rhat),
    with qh/2 - qh q/2 formed as qh (1 - q)/2 (no cancellation as q -> 1)."""
    sigma = 1.0 / np.sqrt(qh)
    u, wu = outer_rule([law.edges(sigma, lay)], lay)
    n0, _, _ = law.moments(u, sigma, lay)
    pos = n0 > 0
    ent = wu[pos] @ (n0[pos] * np.log(n0[pos]))
    return float(0.5 * qh * (1 - q) + 0.5 + np.log(sigma * SQRT_2PI) + ent)


class NishimoriTable:
    """log(1 - q) against log qhat on the cheap layout, once per prior (q(qhat) depends on
    the prior only): root brackets for every alpha come from it; the roots are then
    polished on the fine layout."""

    LQ = np.linspace(np.log(1e-8), np.log(1e12), 61)

    def __init__(self, law: LawQuadrature):
        from scipy.interpolate import CubicSpline

        self.law = law
        y = [np.log(max(1.0 - nishimori(law, float(np.exp(x)), SCAN).q, 1e-300)) for x in self.LQ]
        self.spline = CubicSpline(self.LQ, y)

    def q(self, qh):
        x = np.log(qh)
        if self.LQ[0] <= x <= self.LQ[-1]:
            return float(-np.expm1(self.spline(x)))
        return nishimori(self.law, qh, SCAN).q


def nishimori_overlaps(law: LawQuadrature, qh: float, lay: Layout = FINE):
    """(E <w> w0, E <w>^2, 1 - E Var) by three different formulas on one layout: equal on the
    Nishimori line (a check of the identity and of the quadrature, not used by the solver)."""
    sigma = 1.0 / np.sqrt(qh)
    u, wu = outer_rule([law.edges(sigma, lay)], lay)
    n0, m1, m2 = law.moments(u, sigma, lay)
    pos = n0 > 0
    u, wu, n0, m1, m2 = u[pos], wu[pos], n0[pos], m1[pos], m2[pos]
    mean = u + m1 / n0
    # E[w0 | u] = <w>(u) under the matched prior: E w0 <w> = int du N0 <w> E[w0|u] written
    # through the teacher's own moment N1 = u N0 + M1
    return float(wu @ ((u * n0 + m1) * mean)), float(wu @ (n0 * mean ** 2)), float(1 - wu @ (m2 - m1 * m1 / n0))
