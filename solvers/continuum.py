"""E2 for a continuous law as a continuous measure (THEORY.md E1, E2): no fixed atom surrogate.

In the law's Gaussian quantile variable s (w = T(s) = F^{-1}(Phi(s)), s ~ N(0,1)) both
sides of the entropic transport of E2 are standard normal, z on one side and s on the
other, and the coupling is

    pi(z, s) ~ phi(z) phi(s) exp(lambda(s) - qh T(s)^2/2 + sqrt(qh) z T(s)) / Z(z).

The posterior of s given z is unimodal with width sd(s) ~ (1 + sqrt(qh) T'(s))^{-1/2}
(Gaussian law: sqrt(1 - q), and 1 - q ~ qh^{-1/2} as q -> 1).  Both variables are
discretised by the same Gauss-Legendre panels whose width follows sd(s), so the rule
adapts to qh and to the tails; it is a Nystrom discretisation of the continuous equation
(spectral in the panel width), not a surrogate measure.  The kernel is local: each z node
sees a window of s nodes (found from the concave envelope of the exponent, a superset of
every node within WINDOW nats of the row maximum), and Newton on the convex dual has a
banded Hessian (scipy.linalg.solveh_banded).  The error of a point is measured by a second,
different rule (other panel order and width), not by refining one.
"""
from __future__ import annotations

import dataclasses

import mpmath as mp
import numpy as np
from scipy import linalg

from .gaussian import panel_nodes, phi
from .posterior import _kinks, _s_of
from .rs_saddle import ConvergenceError

WINDOW = 45.0        # nats below a row's envelope maximum that are kept (e^-40 ~ 4e-18, +5 for GL weights)
RELAX_DECADES = 4.0  # panels widen by 1 sd-width per 4 decades of falling weight
TAIL = 1e-19         # the rule covers s where phi(s) (1 + T(s)^2) exceeds this
STEP_MAX = 30.0     # trust region of a Newton step, nats per node
STALL = 1e-10       # a residual below this that stops halving is the rounding floor
S_MAX = 37.0         # Phi(-37) ~ 6e-300: float64 quantiles end here
MAX_NODES = 40000    # a rule larger than this is refused (q too close to 1 for the law's tails)


@dataclasses.dataclass(frozen=True)
class RuleSpec:
    """A panel layout: GL order, panel width in units of the posterior sd, and the cap."""

    order: int = 8
    width: float = 2.0
    cap: float = 0.5


PRIMARY = RuleSpec(8, 2.0, 0.5)
SECOND = RuleSpec(11, 2.7, 0.6)      # a different rule for the error estimate


def applies(prior) -> bool:
    """Every group a law without atoms: the continuous-measure engine applies."""
    return all(not part.is_discrete and not part.has_atoms for _, part in prior.groups)


class ContinuousLaw:
    """Float64 view of one continuous law (no atoms) for the engine: T(s) and T'(s) on a
    fine pre-grid, from which every qh's rule is graded."""

    def __init__(self, prior, frac=1.0, scale=1.0):
        self.prior, self.frac, self.scale = prior, float(frac), float(scale)
        s = np.linspace(-S_MAX, S_MAX, 14801)
        with np.errstate(all="ignore"):
            t = prior.np_transport(s) / self.scale
        ok = np.isfinite(t)
        with np.errstate(all="ignore"):
            mass = phi(s) * (1 + t * t)
        ok &= mass > TAIL
        if not ok.any():
            raise ValueError(f"law {getattr(prior, 'spec', prior)}: no mass inside |s| <= {S_MAX}")
        idx = np.flatnonzero(ok)
        lo, hi = idx[0], idx[-1]
        self.s_lo, self.s_hi = float(s[max(lo - 1, 0)]), float(s[min(hi + 1, len(s) - 1)])
        s, t = s[lo:hi + 1], t[lo:hi + 1]
        self._mass = np.maximum(mass[lo:hi + 1], TAIL)
        self._mass_max = float(self._mass.max())
        # T' = phi(s) / p(T(s)) by differences of T itself (no density needed, any law)
        dt = np.gradient(t, s)
        self._s, self._dt = s, np.maximum(dt, 0.0)
        # T's own variation: |d log T'/ds| caps the panels where T bends (lognormal: sigma).
        # Where T is flat in float64 (a bounded support's end, where Phi(s) rounds to 1)
        # there is nothing to resolve: log T' would jump to -690 there and fake a bend
        flat = self._dt <= 1e-14 * max(float(np.max(np.abs(t))), 1.0)
        with np.errstate(all="ignore"):
            bend = np.abs(np.gradient(np.log(np.maximum(self._dt, 1e-300)), s))
        near_flat = flat | np.concatenate([flat[1:], [False]]) | np.concatenate([[False], flat[:-1]])
        self._bend = np.where(np.isfinite(bend) & ~near_flat, np.minimum(bend, 1e6), 0.0)
        # the group's exact second moment: 1 - q is E Var(w|z) + (E w^2 - the rule's E w^2)
        # in long double: near q -> 1 the difference to the rule's second moment is 1e-16 of
        # 1 - q ~ 1e-5, so float64 rounding of either moment would be the error of 1 - q
        self.m2 = np.longdouble(mp.nstr(prior.moment(2) / mp.mpf(self.scale) ** 2, 30))
        # a kink of the density is a kink of T' (Laplace's peak): GL panels must not straddle it
        kinks = [k for part in getattr(prior, "parts", (prior,)) for k in _kinks(part)]
        self.kinks = sorted(sk for sk in (float(_s_of(prior, k)) for k in kinks) if self.s_lo < sk < self.s_hi)

    def transport(self, s):
        return self.prior.np_transport(np.asarray(s, float)) / self.scale

    def rule(self, qh, spec: RuleSpec = PRIMARY):
        """(s, w, weight): graded GL panels in s for conjugate qh; weights sum to 1."""
        sd = 1.0 / np.sqrt(1.0 + np.sqrt(qh) * self._dt)
        # where a node's share of E(1 + w^2) is small its panel may be coarser: the GL error
        # falls super-exponentially with the width, the tolerated error only linearly
        relax = 1.0 + np.log10(self._mass_max / self._mass) / RELAX_DECADES
        h = np.minimum(spec.width * sd * relax, spec.cap * relax / (1.0 + 0.5 * self._bend))
        density = 1.0 / h
        cum = np.concatenate([[0.0], np.cumsum(0.5 * (density[1:] + density[:-1]) * np.diff(self._s))])
        n_panels = max(int(np.ceil(cum[-1])), 4)
        edges = np.interp(np.linspace(0.0, cum[-1], n_panels + 1), cum, self._s)
        edges[0], edges[-1] = self.s_lo, self.s_hi
        for sk in self.kinks:
            edges[1 + np.argmin(np.abs(edges[1:-1] - sk))] = sk
        if n_panels * spec.order > MAX_NODES:
            raise ConvergenceError(f"continuous E2 at qh={qh:.3g} would need {n_panels * spec.order} nodes "
                                   f"(limit {MAX_NODES}): q is too close to 1 for this law")
        s, wt = panel_nodes(edges, spec.order)
        wt = wt * phi(s)
        return s, self.transport(s), wt / wt.sum()


def _upper_hull(x, y):
    """Indices of the upper concave envelope of points sorted by x (monotone chain)."""
    hull = []
    for k in range(len(x)):
        if hull and x[k] == x[hull[-1]]:     # equal abscissae (a flat T): keep the higher
            if y[k] <= y[hull[-1]]:
                continue
            hull.pop()
        while len(hull) >= 2:
            i, j = hull[-2], hull[-1]
            if (y[j] - y[i]) * (x[k] - x[i]) <= (y[k] - y[i]) * (x[j] - x[i]):
                hull.pop()
            else:
                break
        hull.append(k)
    return np.asarray(hull)


def windows(a, w, t):
    """For each row slope t_i, the index range [lo_i, hi_i] of nodes with
    a_j + t_i w_j >= max - WINDOW, bounded by the concave envelope of (w, a) (a superset)."""
    hull = _upper_hull(w, a)
    hw, ha = w[hull], a[hull]
    env = np.interp(w, hw, ha)                       # envelope at every node, >= a
    if len(hull) > 1:
        slopes = np.diff(ha) / np.diff(hw)           # decreasing
        k = np.searchsorted(-slopes, t, side="left")  # first hull edge with slope < -t
    else:
        k = np.zeros(len(t), dtype=int)
    top = ha[k] + t * hw[k]
    jstar = hull[k]
    n = len(w)

    def bound(lower):
        lo = np.where(lower, 0, jstar).astype(np.int64)
        hi = np.where(lower, jstar, n - 1).astype(np.int64)
        for _ in range(int(np.ceil(np.log2(n + 1))) + 1):
            mid = (lo + hi) // 2 + (0 if lower else 1)
            mid = np.clip(mid, 0, n - 1)
            inside = env[mid] + t * w[mid] >= top - WINDOW
            if lower:   # first inside index in [lo, jstar]
                hi = np.where(inside, mid, hi)
                lo = np.where(inside, lo, np.minimum(mid + 1, hi))
            else:       # last inside index in [jstar, hi]
                lo = np.where(inside, mid, lo)
                hi = np.where(inside, hi, np.maximum(mid - 1, lo))
        return lo if lower else hi

    return bound(True), bound(False)


@dataclasses.dataclass
class Coupling:
    """The windowed posterior: rows i (z nodes), columns J[i, c] (s nodes)."""

    J: np.ndarray
    mask: np.ndarray
    pi: np.ndarray
    logz: np.ndarray


def absolute(da, a0=0.0):
    return a0 + np.concatenate([[0.0], np.cumsum(da)])


def couple_numpy(logw, da, w, t, lo, hi):
    """pi(j | z_i) on the windows.  The exponent a_j + t_i w_j is of order sqrt(qh) (1e6 near
    capacity) while its variation inside a window is O(10): it is summed from the increments
    da_k + t_i dw_k along the window, never formed from absolute values (which would leave
    ~1e-10 relative error in pi at qh ~ 1e8).  The reference form of `couple` (tests)."""
    n = len(w)
    B = int(np.max(hi - lo)) + 1
    J = lo[:, None] + np.arange(B)[None, :]
    mask = J <= hi[:, None]
    J = np.minimum(J, n - 1)
    if B > 1:
        K = np.minimum(J[:, :-1], n - 2)
        inc = np.where(mask[:, 1:], da[K], 0.0)
        rel = np.concatenate([np.zeros((len(t), 1)), np.cumsum(inc, axis=1)], axis=1)
    else:
        rel = np.zeros((len(t), 1))
    # t (w_j - w_lo) from one difference, not a sum of t dw: t ~ sqrt(qh) multiplies the
    # rounding of each dw, and a sum of B of them would shift node j by a z-dependent
    # 1e-16 sqrt(B qh) nats (4e-12 relative in 1 - q at qh ~ 1e9)
    rel = rel + t[:, None] * (np.where(mask, w[J], w[lo][:, None]) - w[lo][:, None])
    e = np.where(mask, logw[J] + rel, -np.inf)
    top = e.max(axis=1)
    ex = np.exp(e - top[:, None])
    tot = ex.sum(axis=1)
    a = absolute(da)
    return Coupling(J, mask, ex / tot[:, None], a[lo] + t * w[lo] + top + np.log(tot))


def couple(logw, da, w, t, lo, hi):
    """`couple_numpy` in one numba pass (the same sums in the same order; the normalising
    sum sequential instead of pairwise): it was half of a curve point's time."""
    n = len(w)
    B = int(np.max(hi - lo)) + 1
    J, mask, pi, top_log = _couple_kernel()(logw, da, w, t, lo.astype(np.int64), hi.astype(np.int64), B)
    a = absolute(da)
    return Coupling(J, mask, pi, a[lo] + t * w[lo] + top_log)


_COUPLE = []


def _couple_kernel():
    if not _COUPLE:
        import numba

        @numba.njit(cache=True, nogil=True)
        def kernel(logw, da, w, t, lo, hi, B):
            m, n = len(t), len(w)
            J = np.empty((m, B), np.int64)
            mask = np.zeros((m, B), np.bool_)
            pi = np.zeros((m, B))
            out = np.empty(m)
            e = np.empty(B)
            for i in range(m):
                l, h, ti = lo[i], hi[i], t[i]
                rel, top = 0.0, -np.inf
                for c in range(B):
                    j = l + c
                    J[i, c] = min(j, n - 1)
                    if j <= h:
                        mask[i, c] = True
                        if c > 0:
                            rel += da[j - 1]
                        e[c] = logw[j] + (rel + ti * (w[j] - w[l]))
                        top = max(top, e[c])
                tot = 0.0
                for c in range(h - l + 1):
                    pi[i, c] = np.exp(e[c] - top)
                    tot += pi[i, c]
                for c in range(h - l + 1):
                    pi[i, c] /= tot
                out[i] = top + np.log(tot)
            return J, mask, pi, out
        _COUPLE.append(kernel)
    return _COUPLE[0]


def _marginal(cp, zeta, n):
    return np.bincount(cp.J.ravel(), weights=(zeta[:, None] * cp.pi).ravel(), minlength=n)


def _banded_hessian(cp, zeta, marg, d):
    """D^{-1/2} H D^{-1/2} in upper band storage (ab[u - d, j + d] = H[j, j + d]), where
    H = diag(marg) - sum_i zeta_i pi_i pi_i^T (PSD, null vector 1) and D = diag(d), d ~ marg:
    the scaled matrix has eigenvalues in [0, 1] whatever the node weights (1e-19 in the
    tails), so a banded Cholesky of it plus a small shift is stable."""
    n, B = len(marg), cp.J.shape[1]
    ab = np.zeros((B, n))
    inv = 1.0 / np.sqrt(d)
    v = _band_sums()(cp.J, zeta, cp.pi, n)
    for k in range(B):
        band = (marg - v[0]) if k == 0 else -v[k]
        ab[B - 1 - k, k:] = band[: n - k] * inv[: n - k] * inv[k:]
    return ab, inv


_BAND_SUMS = []


def _band_sums():
    """v[k, J[i, a]] = sum_i zeta_i pi[i, a] pi[i, a + k] (the windows are contiguous, so
    column J[i, a] + k is entry a + k): one pass in numba, compiled on first use and cached
    on disk.  Written by hand because numpy needs B bincounts over m x B products (B ~ 120
    at qh = 1e5: 0.13 s per Newton step, 70 % of a solve; numba: ~10x less)."""
    if not _BAND_SUMS:
        import numba

        @numba.njit(cache=True, nogil=True)
        def band_sums(J, zeta, pi, n):
            m, B = pi.shape
            v = np.zeros((B, n))
            for i in range(m):
                zi = zeta[i]
                for a in range(B):
                    za = zi * pi[i, a]
                    if za == 0.0:
                        continue
                    j = J[i, a]
                    for k in range(B - a):
                        v[k, j] += za * pi[i, a + k]
            return v
        _BAND_SUMS.append(band_sums)
    return _BAND_SUMS[0]


def _newton_step(cp, zeta, marg, grad, weight):
    """-H^{-1} grad with the scaled Hessian by banded Cholesky.  Nodes the posterior has not
    reached yet (marginal ~ 0) get the diagonal floor 1e-3 weight_j, and the step is clipped
    per node to a trust region of STEP_MAX nats: a far start then climbs instead of
    overflowing."""
    d = np.maximum(marg, 1e-3 * weight)
    # banded even where the windows cover most nodes (small qh): with the band sums in numba
    # it beats the dense Cholesky it replaced there (lognormal(1) at alpha = 0.1: 6.6 -> 2.1 s)
    ab, inv = _banded_hessian(cp, zeta, marg, d)
    ab[-1] += 1e-12                          # gauge: the null vector carries no gradient
    try:
        y = linalg.solveh_banded(ab, inv * grad, check_finite=False)
    except (linalg.LinAlgError, ValueError):
        y = inv * grad
    # per node: the linearised step of a node with marginal << weight is ~ weight/marginal,
    # far beyond where the exponential is linear; clipping it leaves the bulk's Newton step
    step = np.clip(-inv * y, -STEP_MAX, STEP_MAX)
    # a node whose marginal is off by more than a factor 2 (a tail node of weight 1e-16 that
    # bulk rows over-feed) gets the scaling step log(weight/marginal): the linearised step is
    # at most ~1 nat there (it stalled at 2e4 x the weight), the scaling step is exact for
    # a node that carries a small share of its rows
    off = (marg > 2.0 * weight) | (marg < 0.5 * weight)
    with np.errstate(divide="ignore"):
        step[off] = np.clip(np.log(weight[off] / marg[off]), -STEP_MAX, STEP_MAX)
    return step if grad @ step < 0 else -np.clip(grad / d, -STEP_MAX, STEP_MAX)


def dual(logw, weight, da, w, t, zeta, lo, hi):
    """The convex dual -sum_j weight_j a_j + sum_i zeta_i log Z_i (lambda = a + qh w^2/2; the
    constant qh E w^2/2 is left out)."""
    cp = couple(logw, da, w, t, lo, hi)
    return -(weight @ absolute(da)) + zeta @ cp.logz, cp


def _lift_starved(logw, da, w, t, cp, marg, weight):
    """Increments with every node of zero marginal (outside every row's window, often by
    hundreds of nats: a far tail at small qh, where qh w^2/2 ~ 400) lifted to 20 nats below
    its best row's log Z, where the scaling step of `_newton_step` takes over (30 nats per
    step would need dozens of steps, each one line-searched on a dual that cannot see them);
    None if there is none."""
    starved = np.flatnonzero((marg <= 0.0) & (weight > 0.0))
    if not len(starved):
        return None
    A = logw[starved] + absolute(da)[starved]
    deficit = np.min(cp.logz[:, None] - A[None, :] - t[:, None] * w[None, starved], axis=0)
    if not np.any(deficit > 20.0):
        return None
    delta = np.zeros(len(w))
    delta[starved] = np.maximum(deficit - 20.0, 0.0)
    return da + np.diff(delta)


def solve(weight, w, qh, z, zeta, da0, tol=1e-13, maxiter=200):
    """The potential a = lambda - qh w^2/2 on the nodes (as increments da) with
    sum_i zeta_i pi(j | z_i) = weight_j (E2's marginal), by damped Newton on the convex
    dual with a banded Hessian; (da, coupling, residual).  maxiter 200: a cold start for an
    E/I group at qh = 6.4e6 needed 61-200 steps (60 refused the point at (1 - 1e-3) alpha_c)."""
    logw = np.log(weight)
    da = np.asarray(da0, float).copy()
    t = np.sqrt(qh) * z
    lo, hi = windows(logw + absolute(da), w, t)
    val, cp = dual(logw, weight, da, w, t, zeta, lo, hi)
    n = len(w)
    hist = []
    # the residual is weighted by 1 + w^2: q and 1 - q are second moments, and a heavy tail
    # (lognormal: w ~ 1e3 at weight 1e-13) moves them by w^2 times its marginal's error
    w2 = 1.0 + w * w
    for _ in range(maxiter):
        marg = _marginal(cp, zeta, n)
        grad = marg - weight
        res = float(np.abs(grad) @ w2)
        # converged, or stalled at the rounding floor (~1e-13 with thousands of nodes; the
        # weight 1 + w^2 lifts it to ~1e-10 for a lognormal tail): the residual stopped
        # halving over the last three steps.  The windows already hold every node within
        # WINDOW nats of the current potential (they are widened after every step)
        if res < tol or (res < STALL and len(hist) >= 3 and res > 0.5 * min(hist[-3:])):
            break
        hist.append(res)
        lifted = _lift_starved(logw, da, w, t, cp, marg, weight)
        if lifted is not None:
            da = lifted
            lo, hi = windows(logw + absolute(da), w, t)
            val, cp = dual(logw, weight, da, w, t, zeta, lo, hi)
            marg = _marginal(cp, zeta, n)
            grad = marg - weight
        step = _newton_step(cp, zeta, marg, grad, weight)
        slope = grad @ step
        dstep = np.diff(step)
        tt = 1.0
        for _ in range(40):
            new_val, new_cp = dual(logw, weight, da + tt * dstep, w, t, zeta, lo, hi)
            if new_val <= val + 1e-4 * tt * slope or abs(slope) < 1e-15 * (1 + abs(val)) or tt < 1e-10:
                break
            # near the optimum the dual's decrease is below its rounding (a tail node of
            # weight 1e-17 moves it by 1e-17; or the predicted decrease, slope, is below 1e-10
            # of the dual): a step that lowers the weighted residual is taken
            if (res < 1e-6 or abs(slope) < 1e-10 * (1 + abs(val))) and np.abs(_marginal(new_cp, zeta, n) - weight) @ w2 <= (1 - 0.25 * tt) * res:
                break
            tt *= 0.5
        da, val, cp = da + tt * dstep, new_val, new_cp
        # the windows follow lambda, every step: a starved tail node the scaling step lifts
        # must re-enter them at once
        lo2, hi2 = windows(logw + absolute(da), w, t)
        if np.any(lo2 < lo) or np.any(hi2 > hi):
            lo, hi = np.minimum(lo, lo2), np.maximum(hi, hi2)
            val, cp = dual(logw, weight, da, w, t, zeta, lo, hi)
    else:
        marg = _marginal(cp, zeta, n)
        res = float(np.abs(marg - weight) @ w2)
        if res > 1e-9:
            raise ConvergenceError(f"continuous E2: Lagrange function did not converge at qh={qh:.4g} "
                                   f"(marginal off by {res:.1e} in total variation, weighted by 1 + w^2)")
    return da, cp, res


def gaussian_start(w, qh):
    """Increments of a = lambda - qh w^2/2 for the Gaussian law's closed form
    lambda = beta w^2/2 (a start for any law): posterior precision P = (1 + sqrt(1 + 4 qh))/2,
    beta - qh = 1 - P."""
    P = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * qh))
    return 0.5 * (1.0 - P) * np.diff(w) * (w[1:] + w[:-1])


def asymptotic_start(s, w, qh):
    """Increments of a as qh -> inf: z couples to s = z (E3's monotone transport), so
    a = -sqrt(qh) int s dw."""
    return -np.sqrt(qh) * 0.5 * (s[1:] + s[:-1]) * np.diff(w)


def prior_start(w, qh):
    """lambda = 0: the posterior is the law times the Gaussian channel (small qh)."""
    return -0.5 * qh * np.diff(w) * (w[1:] + w[:-1])


@dataclasses.dataclass
class GroupState:
    """One group's solution at one qh."""

    qh: float
    s: np.ndarray
    a: np.ndarray      # lambda - qh w^2 / 2 on the nodes (smooth in s)


@dataclasses.dataclass(frozen=True)
class ContinuumPoint:
    qh: float
    q: float
    one_minus_q: float   # 1 - q from the posterior variance (keeps its digits as q -> 1)
    f_ent: float         # -E lambda + E_z log Z + qh q/2, this group (before the fraction)
    var2: float          # E_z Var(w|z)^2 (the AT replicon's entropic factor, E4)
    residual: float
    nodes: int


def _start(s, w, weight, qh, z, zeta):
    """The candidate start with the lowest dual.  No warm start from a neighbouring qh: its
    potential, interpolated and rescaled, is right in the bulk but tens of nats off in tails
    of weight 1e-17 that the dual cannot see, and Newton then stalls at a weighted residual
    ~1e-9 (measured for lognormal(1): warm 26 s per curve point at 1e-10 in q, cold 7-13 s
    at 1e-14)."""
    logw = np.log(weight)
    g, asy = absolute(gaussian_start(w, qh)), absolute(asymptotic_start(s, w, qh))
    mid = int(np.argmin(np.abs(s)))
    # the bulk from the Gaussian form, the tails (always monotone transport) from the asymptote
    mixed = np.diff(np.maximum(g, asy - asy[mid] + g[mid]))
    cands = [mixed, gaussian_start(w, qh), asymptotic_start(s, w, qh), prior_start(w, qh)]
    t = np.sqrt(qh) * z
    best = None
    for da in cands:
        lo, hi = windows(logw + absolute(da), w, t)
        if np.max(hi - lo) > 4000:       # a window that wide is not the right start
            continue
        val = dual(logw, weight, da, w, t, zeta, lo, hi)[0]
        if np.isfinite(val) and (best is None or val < best[0]):
            best = (val, da)
    return cands[0] if best is None else best[1]


def group_point(law: ContinuousLaw, qh: float, spec: RuleSpec = PRIMARY):
    """One group's E2 at conjugate qh on the rule `spec`: (ContinuumPoint, GroupState), the
    state being the solved Lagrange function (for `lagrange()` output)."""
    s, w, weight = law.rule(qh, spec)
    z, zeta = s, weight      # both sides are N(0,1) in these variables: the same rule
    da0 = _start(s, w, weight, qh, z, zeta)
    da, cp, res = solve(weight, w, qh, z, zeta, da0)
    wj = np.where(cp.mask, w[cp.J], 0.0)
    mean = (cp.pi * wj).sum(axis=1)
    var = (cp.pi * (wj - mean[:, None]) ** 2).sum(axis=1)
    q = float(zeta @ mean ** 2)
    # E w^2 - q = E_z Var(w|z) + (E_P w^2 - the rule's E w^2), so 1 - q keeps its relative
    # digits as q -> 1 (E Var converges to 1e-14 relative).  The moment difference is ~1e-17:
    # in long double, and relative to the rule's total mass S (1 + 1e-16 in float64; the
    # marginal is matched to it), else 1e-16 of 1 - q ~ 1e-5 is the error near capacity
    ld = np.longdouble
    mass = np.sum(weight.astype(ld))
    omq = float((zeta @ var + (law.m2 * mass - np.sum(weight.astype(ld) * w.astype(ld) ** 2))) / mass)
    a = absolute(da)
    f_ent = float(-(weight @ a) + zeta @ cp.logz - 0.5 * qh * (weight @ (w * w)) + 0.5 * qh * q)
    return ContinuumPoint(qh, q, omq, f_ent, float(zeta @ var ** 2), res, len(w)), GroupState(qh, s, a)


class Groups:
    """A prior's synapse groups for the engine (E1-E3: the groups share q and qh and add
    their entropic terms with their fractions); the last solved state of each group is kept
    for the Lagrange-function output."""

    def __init__(self, prior, spec: RuleSpec = PRIMARY, laws=None):
        self.spec = spec
        self.parts = laws if laws is not None else [(float(g), ContinuousLaw(part))
                                                    for g, part in prior.normalized().groups]
        self.states = [None] * len(self.parts)

    def with_rule(self, spec: RuleSpec) -> "Groups":
        """The same laws on another rule (the error estimate's second discretisation)."""
        return Groups(None, spec, self.parts) if spec != self.spec else self

    def entropic(self, qh: float):
        """Sum over groups of (fraction x) q, 1 - q, f_ent, Var^2 and the worst residual."""
        q = omq = f_ent = var2 = res = 0.0
        nodes = 0
        for k, (g, law) in enumerate(self.parts):
            pt, self.states[k] = group_point(law, qh, self.spec)
            q += g * pt.q
            omq += g * pt.one_minus_q
            f_ent += g * pt.f_ent
            var2 += g * pt.var2
            res, nodes = max(res, pt.residual), nodes + pt.nodes
        return ContinuumPoint(qh, q, omq, f_ent, var2, res, nodes)


def rs_point(groups: Groups, qh: float, kappa: float, shannon=None):
    """The RS saddle point at conjugate qh (E1-E2) on the continuous engine, as
    `rs_saddle.RSPoint`: alpha = qh (1 - q) / J(q) with 1 - q from the posterior variance.
    `shannon` is accepted for the signature of `rs_saddle.point_at_alpha` (continuous laws
    have no Shannon entropy)."""
    from .energetic import energetic_terms
    from .rs_saddle import RSPoint

    if qh <= 0:
        raise ValueError("qh must be > 0")
    e = groups.entropic(qh)
    ge, jj, kk = energetic_terms(e.q, kappa, one_minus_q=e.one_minus_q)
    alpha = qh * e.one_minus_q / jj
    return RSPoint(alpha, e.q, qh, e.f_ent + alpha * ge, None, alpha * kk * e.var2 / e.one_minus_q ** 2,
                   e.residual, kappa, e.one_minus_q, e.nodes)
