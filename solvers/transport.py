"""The monotone transport map T = F_P^{-1} o Phi from N(0,1) to a prior, at any precision.

The q -> 1 limit of the Gardner volume (THEORY.md E3) needs two numbers of a prior P:
E_z T(z)^2 = E_P w^2 (no transport needed) and E_z z T(z).  For the latter two exact
representations are used:

* z-space:  E z T = int z T(z) phi(z) dz, for a single continuous law with a closed-form
  quantile (smooth integrand; tanh-sinh quadrature converges exponentially).
* w-space (Stein + change of variables):  E z T = E T'(z) = int psi(F(w)) dw,
  psi(p) = phi(Phi^{-1}(p)).  It holds for atoms, gaps and mixtures alike: on a gap of the
  support F is flat and the integrand is the jump of T times phi at the jump.  For a
  purely discrete prior it is the exact finite sum  sum_k (a_{k+1} - a_k) psi(F(a_k)).

Priors are duck-typed (the `replica.priors.Prior` interface); this module never imports
`replica`.
"""
from __future__ import annotations

import mpmath as mp
import numpy as np

from .gaussian import mp_phi, mp_psi


def _psi_of(prior, w):
    # psi(min(F, 1 - F)) from the nearer tail: 1 - F loses digits where F -> 1
    F = prior.cdf(w)
    return mp_psi(F if F <= mp.mpf(1) / 2 else prior.sf(w))


def ez_transport(prior, error: bool = False):
    """E_z z T(z) for T the monotone map N(0,1) -> prior (E3), at the current mp.dps.

    Returns the value, or (value, quadrature error estimate) with error=True.  The
    breakpoints and cuts are placed where the integrand's mass is (not at fixed places),
    so the result does not depend on the prior's units; the solvers still pass priors at
    unit scale (`Prior.normalized`), where the tail cuts of the w-space form are mass cuts."""
    if prior.is_discrete:
        atoms = [mp.mpf(v) for v in prior.values]
        probs = [mp.mpf(p) for p in prior.probs]
        norm = mp.fsum(probs)
        tails = [mp.mpf(0)] * len(probs)  # tails[k] = sum_{j>k} p_j, summed from the top:
        for k in range(len(probs) - 2, -1, -1):  # 1 - cum loses digits near F = 1
            tails[k] = tails[k + 1] + probs[k + 1]
        terms, cum = [], mp.mpf(0)
        for k in range(len(atoms) - 1):
            cum += probs[k]
            terms.append((atoms[k + 1] - atoms[k]) * mp_psi(min(cum, tails[k]) / norm))
        total = mp.fsum(terms)
        return (total, mp.mpf(0)) if error else total
    if on_lattice(prior):
        part = prior.parts[0]
        val, err = _ez_lattice(lambda z: z * part.transport_offset(z) * mp_phi(z))
        return (val, err) if error else val
    if prior.has_closed_transport and getattr(prior.parts[0], "elementary_transport", True):
        part = prior.parts[0]
        # E z T = E z (T(z) - T(0)): no cancellation from a location far from 0, and the
        # integrand z (T(z) - T(0)) phi(z) >= 0 on both sides (T increasing)
        f = lambda z: z * part.transport_offset(z) * mp_phi(z)  # noqa: E731
        pts, top = _z_breakpoints(f)
        # mp.quad stops at an absolute error of eps: integrate f / (its peak), so that
        # the tolerance is relative (E z T = sigma e^{-sigma^2/2} ~ 1e-2170 at sigma = 100)
        scale = mp.exp(top)
        val, err = mp.quad(lambda z: f(z) / scale, pts, error=True)
        val, err = val * scale, err * scale
        return (val, err) if error else val
    pts, scale = _breakpoints(prior)
    val, err = mp.quad(lambda w: _psi_of(prior, w) / scale, pts, error=True)
    val, err = val * scale, err * scale
    return (val, err) if error else val


MAX_LEVELS = 14    # halvings of the lattice step: 2^14 points per unit of z at most


def _ez_lattice(f):
    """int f(z) dz over the real line by the trapezoid rule on a lattice z = k h, halving h
    until the levels converge (E3's E z T with f = z (T(z) - T(0)) phi(z) >= 0).

    For f analytic in a strip |Im z| < d and decaying, the error of step h is
    eps_h ~ C exp(-2 pi d / h), and each halving squares it.  With d_L = |T_L - T_{L-1}|
    (~ eps_{L-1}), the estimate d_L^2 / d_{L-1} (~ C exp(-3/2 * 2 pi d / h_L)) bounds eps_L
    once two differences show that squaring (d_L <= d_{L-1}^{3/2}); before that the
    estimate is d_L itself.  The lattice spans where f is above eps e^-8 of its largest
    peak (located per side as in `_z_breakpoints`); the dropped tails are added to the
    error.  Rounding: a few lattice points near each peak are evaluated again with 10 more
    digits, and their largest relative change (x 16) is added, relative to the sum.
    A law that is not analytic on the real line (a kink in its density inside the
    support) converges slowly here, which the level differences show; such laws do not
    set `analytic_transport` and go through mp.quad.  Returns (value, error)."""
    sides = _side_peaks(f, walk=8)
    top = max(v for _, _, v in sides)
    tiny = mp.log(mp.eps) - 8
    h = mp.mpf(1)
    vals = {}                               # lattice index at the current level -> f

    def at(k):
        if k not in vals:
            vals[k] = f(k * h) if k else mp.mpf(0)
        return vals[k]

    small = lambda k: (lambda v: not v or mp.log(abs(v)) < top + tiny)(at(k))  # noqa: E731
    spans, peaks = [], []
    for sign, peak, v in sides:
        if v < top + 2 * tiny:
            continue                        # this side is negligible
        k0 = sign * max(int(abs(peak) / h), 1)
        out = k0                            # outward until two points in a row are negligible
        while not (small(out) and small(out + sign)):
            out += sign
        inn = k0                            # inward towards 0 (f(0) = 0)
        while inn != 0 and not small(inn):
            inn -= sign
        spans.append((min(inn, out + sign), max(inn, out + sign)))
        peaks.append(sign * peak)
    if not spans:
        raise ArithmeticError("the transport integrand E z T vanishes everywhere (a point mass?)")
    total = h * mp.fsum(at(k) for a, b in spans for k in range(a, b + 1))
    diffs, err = [], mp.inf
    for _ in range(MAX_LEVELS):
        h /= 2
        vals = {2 * k: v for k, v in vals.items()}
        spans = [(2 * a, 2 * b) for a, b in spans]
        new = h * mp.fsum(at(k) for a, b in spans for k in range(a + 1, b, 2))
        prev, total = total, total / 2 + new
        diffs.append(abs(total - prev))
        err = diffs[-1]
        if len(diffs) >= 2 and diffs[-2] and err <= diffs[-2] ** mp.mpf(1.5) / abs(total) ** mp.mpf(0.5):
            err = max(err * err / diffs[-2], mp.eps * abs(total))    # squaring seen: d_L^2 / d_{L-1}
        if err <= 256 * mp.eps * abs(total):   # 2-3 digits below the working precision
            break
    # rounding: the same lattice points with 10 more digits
    delta = mp.mpf(0)
    for peak in peaks:
        for off in (0, -2, 2, -5, 5):
            k = int((peak + off) / h)
            if k and k in vals and vals[k]:
                with mp.workdps(mp.mp.dps + 10):
                    fine = f(k * h)
                delta = max(delta, abs(vals[k] - fine) / abs(fine))
    # the tails beyond the spans: below e^tiny of the peak per point, decaying at least
    # geometrically over a lattice step
    tail = 8 * mp.exp(top + tiny)
    return total, err + tail + 16 * (delta + mp.eps) * abs(total)


def _scan_peak(g):
    """(x, g(x)) at the largest of g over x = 2^-3 .. 2^63, stopping once g has fallen 200
    below its best beyond 8 x; (None, -inf) if g is -inf everywhere."""
    best, best_x = -mp.inf, None
    for x in (mp.mpf(2) ** k for k in range(-3, 64)):
        v = g(x)
        if v > best:
            best, best_x = v, x
        elif best_x is not None and x > 8 * best_x and v < best - 200:
            break
    return best_x, best


def _golden_peak(g, x0):
    """The maximiser of g on [x0/2, 2 x0] by golden section, to 1e-3 (1 + x0/1000)."""
    a, b = x0 / 2, x0 * 2
    r = (mp.sqrt(5) - 1) / 2
    c, d = b - r * (b - a), a + r * (b - a)
    gc, gd = g(c), g(d)
    while b - a > mp.mpf("1e-3") * (1 + x0 / 1000):
        if gc >= gd:
            b, d, gd = d, c, gc
            c = b - r * (b - a)
            gc = g(c)
        else:
            a, c, gc = c, d, gd
            d = a + r * (b - a)
            gd = g(d)
    return (a + b) / 2


def _side_peaks(f, walk=0):
    """Per side of 0: (sign, |z| of the peak of log f, its value), for f >= 0 smooth and
    log-concave-like on each side (f = z (T - T(0)) phi): a doubling scan, then golden
    section (lognormal(sigma) puts the peak at z ~ sigma, 1e6 for sigma = 1e6).  A scan
    point at |z| <= walk is kept as it is (the lattice walk finds a peak near 0 itself)."""
    sides = []
    for sign in (1, -1):
        g = lambda x: _log_abs(f, sign * x)  # noqa: E731
        best_x, best = _scan_peak(g)
        if best_x is None:
            continue
        if best_x <= walk:
            sides.append((sign, best_x, best))
            continue
        peak = _golden_peak(g, best_x)
        sides.append((sign, peak, max(g(peak), best)))
    if not sides:
        raise ArithmeticError("the transport integrand E z T vanishes everywhere (a point mass?)")
    return sides


def on_lattice(prior) -> bool:
    """E z T of this prior goes through `_ez_lattice`, whose error estimate includes its
    own rounding check (a single continuous law with `analytic_transport`)."""
    return len(prior.parts) == 1 and not prior.values and getattr(prior.parts[0], "analytic_transport", False)


def _log_abs(f, z):
    v = f(z)
    return mp.log(abs(v)) if v else -mp.inf


def _z_breakpoints(f):
    """Breakpoints for int f(z) dz with f >= 0 smooth and log-concave-like on each side of
    0 (f = z (T - T(0)) phi): per side, the peak of log f located by a doubling scan and
    golden-section refinement (lognormal(sigma) puts it at z ~ sigma, 1e6 for sigma = 1e6),
    panels doubling away from the peak, and a cut where f < eps^2 * (largest peak).
    tanh-sinh on (-inf, inf) would sample |z| ~ 1e10, where T = F^-1(Phi(z)) needs Phi(z)
    to millions of digits, and a fixed range misses a peak far from 0."""
    sides = _side_peaks(f)
    top = max(v for _, _, v in sides)
    tiny = 2 * mp.log(mp.eps) - 5        # log of eps^2 relative to the largest peak
    pts = {mp.mpf(0)}
    for sign, peak, v in sides:
        if v < top + tiny:
            continue                     # this side carries less than eps^2 of the peak
        g = lambda x: _log_abs(f, sign * x)  # noqa: E731
        # outward from the peak, doubling steps until the integrand is negligible
        step = mp.mpf(1)
        while not all(g((peak + step) * c) < top + tiny for c in (1, mp.mpf("1.1"), mp.mpf("1.3"))):
            step *= 2
            if step > 2 ** 80:
                raise ArithmeticError("transport integrand E z T decays too slowly (tails too heavy)")
        pts.add(sign * (peak + step))
        if peak > 8:   # a peak far from 0 (width ~1): panels on both sides of it
            pts |= {sign * (peak - 6), sign * peak, sign * min(peak + 6, peak + step)}
    return sorted(pts), top


def _breakpoints(prior):
    """Breakpoints for int psi(F(w)) dw, and the rough size of the integral.

    The atoms and the ends of each continuous part's support; for a part that is wide on
    the unit scale, 0; for a narrow part (a near point mass such as N(1e6, 1/2) rescaled:
    its mass would fall between two far breakpoints) its float64 quantiles at
    z = 0, +-2, +-6 instead.  Then mass cuts at infinite ends, searched outward in steps
    of the breakpoints' spread.  The size is the narrow part's width when the prior is that
    part alone (mp.quad's tolerance is absolute), else 1."""
    pts = {mp.mpf(v) for v in prior.values}
    size, wide = mp.mpf(1), not prior.parts
    for part in prior.parts:
        for end in (part.lo, part.hi):
            if mp.isfinite(end):
                pts.add(mp.mpf(end))
        with np.errstate(all="ignore"):
            q = np.asarray(part.np_transport(np.array([-6.0, -2, 0, 2, 6])), dtype=float)
        if np.all(np.isfinite(q[1:4])) and q[3] - q[1] < 0.1:
            pts |= {mp.mpf(float(x)) for x in q if np.isfinite(x) and part.lo < x < part.hi}
            if len(prior.parts) == 1 and not prior.values and q[3] > q[1]:
                size = mp.mpf(float(q[3] - q[1])) / 4
        else:
            wide = True
    if wide or not pts:
        pts.add(mp.mpf(0))
    lo, hi = prior.support
    inner = sorted(pts)
    step = max((inner[-1] - inner[0]) / 4, mp.mpf(1) / 4 if wide else size)
    lo = lo if mp.isfinite(lo) else _tail_cut(lambda x: prior.cdf(x), inner[0], -1, step)
    hi = hi if mp.isfinite(hi) else _tail_cut(prior.sf, inner[-1], +1, step)
    pts = sorted(p for p in pts if lo <= p <= hi)
    if not pts or lo < pts[0]:
        pts.insert(0, lo)
    if hi > pts[-1]:
        pts.append(hi)
    return pts, size


def _tail_cut(tail, start, sign, step):
    """A point beyond `start` (in direction sign) where the tail mass falls below eps^2:
    the integrand psi(F) <= F sqrt(2 log 1/F) contributes less than the working precision
    beyond it.  Steps grow by 1.25 from `step` (the law's spread), so the cut adapts to
    the law's scale."""
    tiny = mp.eps ** 2
    for _ in range(400):
        # probe several points: a tail can be flat over a gap of the support
        if all(tail(start + sign * step * c) < tiny for c in (1, mp.mpf("1.1"), mp.mpf("1.3"), mp.mpf("1.7"), 2)):
            return start + sign * step
        step *= mp.mpf(1.25)
    raise ArithmeticError("prior tails decay too slowly for the transport integral")


def second_moment(prior):
    """E_z T(z)^2 = E_P w^2."""
    return prior.moment(2)


def w2_to_gaussian(prior):
    """W2(P, N(0,1)) for the prior as given: W2^2 = E T^2 + 1 - 2 E z T (E3)."""
    w2sq = second_moment(prior) + 1 - 2 * ez_transport(prior)
    return mp.sqrt(max(w2sq, mp.mpf(0)))
