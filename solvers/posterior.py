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

A soft-prior student (`soft_moments`) has fields u = b/A that can lie far outside the
student's support, or where N0 underflows: `log_moments` gives log N0 and the centred
ratios M_k/N0 on a window located on the log integrand itself (grids, then Newton's peak).

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
from .rs_saddle import ConvergenceError

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

    def log_moments(self, u, sigma, lay: Layout):
        """(log N0, M1/N0, M2/N0) at the points u: the moments in a form that holds for u
        anywhere (a soft student, `soft_moments`), atoms and continuous parts combined."""
        u = np.asarray(u, float)
        logs, c1s, c2s = [], [], []
        for a, p in zip(*self.atoms):
            d = a - u
            logs.append(np.log(p) - 0.5 * (d / sigma) ** 2 - np.log(sigma * SQRT_2PI))
            c1s.append(d)
            c2s.append(d * d)
        for c, part in self.parts:
            lg, c1, c2 = _log_part_moments(part, u, sigma, lay)
            logs.append(np.log(c) + lg)
            c1s.append(c1)
            c2s.append(c2)
        logs = np.array(logs)
        with np.errstate(invalid="ignore"):       # NaN rows (beyond a part's reach) stay NaN
            top = logs.max(axis=0)
            wt = np.exp(logs - top)
            n = wt.sum(axis=0)
            return top + np.log(n), np.sum(wt * np.array(c1s), axis=0) / n, np.sum(wt * np.array(c2s), axis=0) / n

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


def _s_of(part, w, s_max=S_MAX):
    """The quantile variable of w, Phi^{-1}(F(w)), each side from its own tail; +-s_max
    outside the support."""
    w = np.asarray(w, float)
    exact = getattr(part, "np_s_of", None)
    with np.errstate(all="ignore"):
        if exact is not None:
            s = exact(w)
        else:
            cdf, sf = part.np_cdf(w), part.np_sf(w)
            s = np.where(cdf < 0.5, special.ndtri(cdf), -special.ndtri(sf))
    s = np.where(np.isnan(s), 0.0, s)
    return np.clip(s, -s_max, s_max)


PRE = 17   # points per window for placing the panels (psi is interpolated between them)


def _part_moments(part, u, sigma, lay: Layout):
    """int Ds (T - u)^k phi_sigma(u - T), k = 0, 1, 2, for each u (one continuous part), on
    the kernel window |T - u| <= L sigma."""
    s_lo, s_hi = _s_of(part, u - L_WIN * sigma), _s_of(part, u + L_WIN * sigma)
    return tuple(_panel_sums(part, u, sigma, lay, s_lo, s_hi))


S_EXT = 37.0       # the log form's range in s: Phi(-37) ~ 6e-301, above float64's floor
D_LOG = 46.0       # its window: the log integrand within 46 of its peak (e^-46 ~ 1e-20)
S_FAR = 300.0      # ... and for a law whose T is exact on the whole line (beyond: Newton's)
SCAN_S = np.arange(-S_EXT, S_EXT + 1e-9, 0.5)
C_ELL = 5.0       # its panels: at most this change of the log integrand in one
MAX_PANELS_PER_STEP = 48   # ... and at most this many panels between two of the PRE points
SCAN_W = np.linspace(-L_WIN, L_WIN, 37)


def _log_part_moments(part, u, sigma, lay: Layout):
    """(log N0, M1/N0, M2/N0) of one continuous part at every u, in the support or far
    outside it (a soft student's field can put u where the kernel window holds no mass, or
    where N0 underflows).  The window in s is where the log integrand
    l(s) = -s^2/2 - (u - T(s))^2/(2 sigma^2) lies within D_LOG of its peak: located on an s
    grid (broad peaks, the prior's bulk) joined to a sigma grid around u (narrow peaks),
    then by Newton steps from the best grid point (a peak between the grids: a normal
    student at u ~ 10^3); the sums are taken relative to the peak.  NaN where the window
    leaves the range on which the law's T is exact (|s| <= part.s_reach)."""
    reach = float(getattr(part, "s_reach", S_EXT))

    def ell(s):
        with np.errstate(all="ignore"):
            v = -0.5 * s * s - 0.5 * ((u[:, None] - part.np_transport(s)) / sigma) ** 2
        return np.where(np.isfinite(v), v, -np.inf)

    s = np.concatenate([np.broadcast_to(SCAN_S, (len(u), len(SCAN_S))),
                        _s_of(part, u[:, None] + sigma * SCAN_W[None, :], min(max(reach, S_EXT), S_FAR))], axis=1)
    s.sort(axis=1)
    lv = ell(s)
    top = lv.max(axis=1)
    inside = lv > top[:, None] - D_LOG
    n, rows = s.shape[1], np.arange(len(u))
    first, last = np.argmax(inside, axis=1), n - 1 - np.argmax(inside[:, ::-1], axis=1)
    # each end between its last inside grid point and the next one out, where l crosses
    # top - D_LOG (a coarse s step of 0.5 next to a narrow peak had made windows 10x too wide)
    s_lo = _crossing(ell, s[rows, first], s[rows, np.maximum(first - 1, 0)], top - D_LOG)
    s_hi = _crossing(ell, s[rows, last], s[rows, np.minimum(last + 1, n - 1)], top - D_LOG)
    peak, l_peak = _newton_peak(ell, s[rows, np.argmax(lv, axis=1)], top)
    # a peak the grids did not see, or one at their ends: the window from Newton's peak
    missed = (l_peak > top + D_LOG) | (peak < s_lo) | (peak > s_hi) | inside[:, 0] | inside[:, -1]
    if np.any(missed):
        lo, hi = _window_around(ell, peak, l_peak)
        s_lo, s_hi = np.where(missed, lo, s_lo), np.where(missed, hi, s_hi)
    top = np.maximum(top, l_peak)
    # a window beyond |s| = s_reach: the law's T is not exact there
    bad = (s_lo < -reach) | (s_hi > reach) | ~np.isfinite(s_hi - s_lo) | ~np.isfinite(top)
    s_lo, s_hi = np.where(bad, 0.0, s_lo), np.where(bad, 1.0, s_hi)
    top = np.where(bad, 0.0, top)
    with np.errstate(all="ignore"):
        k0, k1, k2 = _panel_sums(part, u, sigma, lay, s_lo, s_hi, shift=top)
    top = np.where(bad, np.nan, top)
    with np.errstate(divide="ignore", invalid="ignore"):
        return top + np.log(k0), k1 / k0, k2 / k0


def _crossing(ell, inner, outer, level, steps=30):
    """Per row, a point between inner (ell > level) and outer (ell <= level, or equal to
    inner) where ell falls through level, by bisection; the outer side of the last bracket."""
    a, b = inner.astype(float).copy(), outer.astype(float).copy()
    for _ in range(steps):
        mid = 0.5 * (a + b)
        above = ell(mid[:, None])[:, 0] > level
        a, b = np.where(above, mid, a), np.where(above, b, mid)
    return b


def _derivatives(ell, s, l0):
    """(ell', ell'') per row at s (ell(s) = l0 given), by central differences."""
    h = 1e-4 * np.maximum(1.0, np.abs(s))
    lp, lm = ell((s + h)[:, None])[:, 0], ell((s - h)[:, None])[:, 0]
    return (lp - lm) / (2 * h), (lp - 2 * l0 + lm) / (h * h)


def _newton_peak(ell, s, l0, steps=40):
    """The maximum of ell (one row per entry) by safeguarded Newton steps in s from s, with
    finite-difference derivatives; a step that does not raise ell is halved."""
    s, l0 = s.astype(float).copy(), l0.copy()
    for _ in range(steps):
        d1, d2 = _derivatives(ell, s, l0)
        with np.errstate(all="ignore"):
            step = np.where(d2 < 0, -d1 / d2, np.sign(d1) * np.maximum(1.0, np.abs(s)))
        step = np.where(np.isfinite(step), step, 0.0)
        moved = np.zeros(len(s), bool)
        for _ in range(30):
            trial = ell((s + step)[:, None])[:, 0]
            up = trial > l0
            s, l0 = np.where(up & ~moved, s + step, s), np.where(up & ~moved, trial, l0)
            moved |= up
            step = np.where(moved, step, 0.5 * step)
        if not np.any(moved):
            break
    return s, l0


def _window_around(ell, peak, l_peak):
    """[lo, hi] around each peak where ell falls by D_LOG: steps from the curvature, doubled
    until ell is below l_peak - D_LOG on both sides."""
    c = np.maximum(-_derivatives(ell, peak, l_peak)[1], 1e-300)
    out = []
    for sign in (-1.0, 1.0):
        d = np.sqrt(2 * D_LOG / c)
        for _ in range(60):
            high = ell((peak + sign * d)[:, None])[:, 0] > l_peak - D_LOG
            if not np.any(high):
                break
            d = np.where(high, 2 * d, d)
        out.append(peak + sign * d)
    return out[0], out[1]


def _panel_sums(part, u, sigma, lay, s_lo, s_hi, shift=None):
    """The three window sums on [s_lo, s_hi] per row, in Gauss-Legendre panels placed by psi."""
    t = np.linspace(0.0, 1.0, PRE)
    sg = s_lo[:, None] + (s_hi - s_lo)[:, None] * t[None, :]
    tg = part.np_transport(sg)
    psi = (sg - s_lo[:, None]) / lay.inner_h + np.abs(tg - tg[:, :1]) / (lay.inner_c * sigma)
    psi = np.concatenate([np.zeros((len(u), 1)),
                          np.cumsum(np.minimum(np.diff(psi, axis=1), MAX_PANELS_PER_STEP), axis=1)], axis=1)
    if shift is not None:
        # the log form: also at most C_ELL of change in the log integrand per panel where it
        # matters (beyond a support edge, or lognormal's 0 at u < 0, the posterior decays
        # on sigma^2/|u - edge|, far below sigma)
        with np.errstate(all="ignore"):
            lg = -0.5 * sg * sg - 0.5 * ((u[:, None] - tg) / sigma) ** 2 - shift[:, None]
        lg = np.where(np.isfinite(lg), lg, -np.inf)
        dl = np.abs(np.diff(lg, axis=1))
        dl = np.where(np.maximum(lg[:, 1:], lg[:, :-1]) > -D_LOG, np.nan_to_num(dl, posinf=0.0), 0.0)
        step = np.maximum(np.diff(psi, axis=1), np.minimum(dl / C_ELL, MAX_PANELS_PER_STEP))
        psi = np.concatenate([np.zeros((len(u), 1)), np.cumsum(step, axis=1)], axis=1)
    need = np.maximum(1, np.ceil(psi[:, -1])).astype(int)
    kinks = [float(_s_of(part, k)) for k in _kinks(part)]
    for sk in kinks:
        need = np.where((s_lo < sk) & (sk < s_hi), np.maximum(need, 2), need)
    # rows grouped by panel count (rounded up to a few classes): a handful of wide windows
    # (beyond a support edge, near lognormal's 0) must not set every row's count
    cls = np.asarray(PANEL_CLASSES)[np.minimum(np.searchsorted(PANEL_CLASSES, need), len(PANEL_CLASSES) - 1)]
    # beyond 64 (log-form windows: up to 16 x 48 panels) a few geometric classes, ratio 2^(1/4):
    # each distinct count had been its own numpy pass (~120 per call for a soft lognormal)
    big = need > PANEL_CLASSES[-1]
    cls[big] = np.ceil(PANEL_CLASSES[-1] * 2.0 ** (np.ceil(4 * np.log2(need[big] / PANEL_CLASSES[-1])) / 4))
    cls = np.maximum(cls, need)
    out = np.zeros((3, len(u)))
    for npan in np.unique(cls):
        rows = np.flatnonzero(cls == npan)
        out[:, rows] = _window_sums(part, u[rows], sigma, lay, psi[rows], sg[rows], s_lo[rows], s_hi[rows],
                                    int(npan), kinks, None if shift is None else shift[rows])
    return out


PANEL_CLASSES = (1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32, 40, 48, 64)


def _window_sums(part, u, sigma, lay, psi, sg, s_lo, s_hi, npan, kinks=(), shift=None):
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
    ws = (half[:, :, None] * wg).reshape(len(u), -1) / (2 * np.pi * sigma)
    d = part.np_transport(s) - u[:, None]
    # one exponent: phi(s) phi_sigma(d) e^{-shift} does not underflow where each factor would
    k = ws * np.exp(-0.5 * s * s - 0.5 * (d / sigma) ** 2 - (0.0 if shift is None else shift[:, None]))
    return k.sum(axis=1), (k * d).sum(axis=1), (k * d * d).sum(axis=1)


# ---------------------------------------------------------------- a soft-prior student
@dataclasses.dataclass(frozen=True)
class SoftMoments:
    second: float     # E <w^2>                   (-> Q)
    q: float          # E <w>^2
    R: float          # E <w> w0
    log_z: float      # E log int P_S(dw) e^{-A w^2/2 + b w}
    norm: float       # int dx N0_T (1 up to the quadrature error)


def teacher_rule(teacher: LawQuadrature, qh, rh, lay: Layout, student: LawQuadrature | None = None, A=None):
    """The teacher's side of E5 as one 1-D rule: b = sqrt(qhat) z + Rhat w0 = Rhat x with
    x = w0 + omega z, omega = sqrt(qhat)/Rhat, so E_{w0,z} f(b) = int dx N0_T(x) f(Rhat x)
    with N0_T the teacher's law smoothed at width omega, and E[w0 | x] N0_T = x N0_T + M1_T.
    Panels: the teacher's edges at width omega and, given a student law, its edges at its
    posterior width A^{-1/2} mapped to x (u = b/A = (Rhat/A) x), clipped to the teacher's
    range.  Returns (x, weight, w0_weight): E f = weight @ f(Rhat x), E w0 f = w0_weight @ f."""
    omega = np.sqrt(qh) / rh
    e_t = teacher.edges(omega, lay)
    sets = [e_t]
    if student is not None:
        sets.append(np.clip(student.edges(1.0 / np.sqrt(A), lay, scale=rh / A), e_t[0], e_t[-1]))
    x, wx = outer_rule(sets, lay)
    n0, m1, _ = teacher.moments(x, omega, lay)
    pos = n0 > 0
    return x[pos], wx[pos] * n0[pos], wx[pos] * (x[pos] * n0[pos] + m1[pos])


def soft_moments(student: LawQuadrature, teacher: LawQuadrature, A, qh, rh, lay: Layout = FINE) -> SoftMoments:
    """The soft student's E5 averages over b = sqrt(qhat) z + Rhat w0 (w0 ~ P_T) for the
    posterior P_S(w) e^{-A w^2/2 + b w}, A = Qhat + qhat (THEORY.md E1 soft form, E5): the
    teacher as `teacher_rule`, u = b/A = (Rhat/A) x; the inner posterior moments come from
    `log_moments` (u may lie far outside the student's support)."""
    if not (A > 0 and rh > 0 and qh > 0):
        raise ConvergenceError(f"soft student: Qhat + qhat = {A:.3g}, qhat = {qh:.3g}, Rhat = {rh:.3g} "
                               "(the continuous engine needs all three > 0)")
    sigma = 1.0 / np.sqrt(A)
    x, wt, w0w = teacher_rule(teacher, qh, rh, lay, student, A)
    u = (rh / A) * x
    logn, c1, c2 = student.log_moments(u, sigma, lay)
    log_z = 0.5 * A * u * u + np.log(sigma * SQRT_2PI) + logn
    bad = ~np.isfinite(log_z)
    if np.any(bad):
        lost = wt[bad] @ (1 + u[bad] ** 2)
        if not lost < 1e-15:
            raise ConvergenceError(f"soft student: posterior beyond the quadrature's range |s| <= {S_EXT:g} "
                                   f"on a teacher mass of {lost:.2g}")
        wt, w0w, u, c1, c2, log_z = (v[~bad] for v in (wt, w0w, u, c1, c2, log_z))
    mean = u + c1
    second = c2 + 2 * u * c1 + u * u           # Var + <w>^2, Var = c2 - c1^2
    return SoftMoments(float(wt @ second), float(wt @ (mean * mean)), float(w0w @ mean), float(wt @ log_z),
                       float(wt.sum()))


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
