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

import numpy as np
from scipy import linalg

from .gaussian import panel_nodes, phi
from .rs_saddle import ConvergenceError

WINDOW = 45.0        # nats below a row's envelope maximum that are kept (e^-40 ~ 4e-18, +5 for GL weights)
RELAX_DECADES = 4.0  # panels widen by 1 sd-width per 4 decades of falling weight
TAIL = 1e-19         # the rule covers s where phi(s) (1 + T(s)^2) exceeds this
STEP_MAX = 30.0     # trust region of a Newton step, nats per node
STALL = 1e-10       # a residual below this that stops halving is the rounding floor
S_MAX = 37.0         # Phi(-37) ~ 6e-300: float64 quantiles end here


@dataclasses.dataclass(frozen=True)
class RuleSpec:
    """A panel layout: GL order, panel width in units of the posterior sd, and the cap."""

    order: int = 8
    width: float = 2.0
    cap: float = 0.5


PRIMARY = RuleSpec(8, 2.0, 0.5)
SECOND = RuleSpec(11, 2.7, 0.6)      # a different rule for the error estimate


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
        # T's own variation: |d log T'/ds| caps the panels where T bends (lognormal: sigma)
        with np.errstate(all="ignore"):
            bend = np.abs(np.gradient(np.log(np.maximum(self._dt, 1e-300)), s))
        self._bend = np.where(np.isfinite(bend), np.minimum(bend, 1e6), 0.0)

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
        s, wt = panel_nodes(edges, spec.order)
        wt = wt * phi(s)
        return s, self.transport(s), wt / wt.sum()


def _upper_hull(x, y):
    """Indices of the upper concave envelope of points sorted by x (monotone chain)."""
    hull = []
    for k in range(len(x)):
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


def couple(logw, da, w, t, lo, hi):
    """pi(j | z_i) on the windows.  The exponent a_j + t_i w_j is of order sqrt(qh) (1e6 near
    capacity) while its variation inside a window is O(10): it is summed from the increments
    da_k + t_i dw_k along the window, never formed from absolute values (which would leave
    ~1e-10 relative error in pi at qh ~ 1e8)."""
    n = len(w)
    B = int(np.max(hi - lo)) + 1
    J = lo[:, None] + np.arange(B)[None, :]
    mask = J <= hi[:, None]
    J = np.minimum(J, n - 1)
    if B > 1:
        K = np.minimum(J[:, :-1], n - 2)
        inc = np.where(mask[:, 1:], da[K] + t[:, None] * (w[K + 1] - w[K]), 0.0)
        rel = np.concatenate([np.zeros((len(t), 1)), np.cumsum(inc, axis=1)], axis=1)
    else:
        rel = np.zeros((len(t), 1))
    e = np.where(mask, logw[J] + rel, -np.inf)
    top = e.max(axis=1)
    ex = np.exp(e - top[:, None])
    tot = ex.sum(axis=1)
    a = absolute(da)
    return Coupling(J, mask, ex / tot[:, None], a[lo] + t * w[lo] + top + np.log(tot))


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
    zp = zeta[:, None] * cp.pi
    for k in range(B):
        v = np.bincount(cp.J[:, : B - k].ravel(), weights=(zp[:, : B - k] * cp.pi[:, k:]).ravel(), minlength=n)
        band = (marg - v) if k == 0 else -v
        ab[B - 1 - k, k:] = band[: n - k] * inv[: n - k] * inv[k:]
    return ab, inv


def _newton_step(cp, zeta, marg, grad, weight):
    """-H^{-1} grad with the scaled Hessian: banded Cholesky, or a dense one when the windows
    cover most nodes (small qh).  Nodes the posterior has not reached yet (marginal ~ 0)
    get the diagonal floor 1e-3 weight_j, and the step is clipped per node to a trust
    region of STEP_MAX nats: a far start then climbs instead of overflowing."""
    n = len(marg)
    d = np.maximum(marg, 1e-3 * weight)
    B = cp.J.shape[1]
    if B * 4 > n:
        P = np.zeros((len(zeta), n))
        np.put_along_axis(P, cp.J, np.where(cp.mask, cp.pi, 0.0), axis=1)
        inv = 1.0 / np.sqrt(d)
        Ps = P * inv[None, :]
        H = np.diag(marg / d) - (Ps * zeta[:, None]).T @ Ps
        H[np.diag_indices(n)] += 1e-12
        try:
            y = linalg.solve(H, inv * grad, assume_a="pos", check_finite=False)
        except (linalg.LinAlgError, ValueError):
            y = inv * grad
    else:
        ab, inv = _banded_hessian(cp, zeta, marg, d)
        ab[-1] += 1e-12                          # gauge: the null vector carries no gradient
        try:
            y = linalg.solveh_banded(ab, inv * grad, check_finite=False)
        except (linalg.LinAlgError, ValueError):
            y = inv * grad
    # per node: the linearised step of a node with marginal << weight is ~ weight/marginal,
    # far beyond where the exponential is linear; clipping it leaves the bulk's Newton step
    step = np.clip(-inv * y, -STEP_MAX, STEP_MAX)
    return step if grad @ step < 0 else -np.clip(grad / d, -STEP_MAX, STEP_MAX)


def dual(logw, weight, da, w, t, zeta, lo, hi):
    """The convex dual -sum_j weight_j a_j + sum_i zeta_i log Z_i (lambda = a + qh w^2/2; the
    constant qh E w^2/2 is left out)."""
    cp = couple(logw, da, w, t, lo, hi)
    return -(weight @ absolute(da)) + zeta @ cp.logz, cp


def solve(weight, w, qh, z, zeta, da0, tol=1e-13, maxiter=60):
    """The potential a = lambda - qh w^2/2 on the nodes (as increments da) with
    sum_i zeta_i pi(j | z_i) = weight_j (E2's marginal), by damped Newton on the convex
    dual with a banded Hessian; (da, coupling, residual)."""
    logw = np.log(weight)
    da = np.asarray(da0, float).copy()
    t = np.sqrt(qh) * z
    lo, hi = windows(logw + absolute(da), w, t)
    val, cp = dual(logw, weight, da, w, t, zeta, lo, hi)
    n = len(w)
    prev = np.inf
    for it in range(maxiter):
        marg = _marginal(cp, zeta, n)
        grad = marg - weight
        res = float(np.sum(np.abs(grad)))
        # converged, or stalled at the rounding floor (~1e-13 with thousands of nodes)
        if res < tol or (res < STALL and res > 0.5 * prev):
            break
        prev = res
        step = _newton_step(cp, zeta, marg, grad, weight)
        slope = grad @ step
        dstep = np.diff(step)
        tt = 1.0
        for _ in range(40):
            new_val, new_cp = dual(logw, weight, da + tt * dstep, w, t, zeta, lo, hi)
            if new_val <= val + 1e-4 * tt * slope or abs(slope) < 1e-15 * (1 + abs(val)) or tt < 1e-10:
                break
            tt *= 0.5
        da, val, cp = da + tt * dstep, new_val, new_cp
        # the windows follow lambda: widen them when an interior edge carries visible mass
        last = cp.pi[np.arange(len(z)), hi - lo]
        if it % 4 == 3 or np.any((cp.pi[:, 0] > 1e-17) & (lo > 0)) or np.any((last > 1e-17) & (hi < n - 1)):
            lo2, hi2 = windows(logw + absolute(da), w, t)
            if np.any(lo2 < lo) or np.any(hi2 > hi):
                lo, hi = np.minimum(lo, lo2), np.maximum(hi, hi2)
                val, cp = dual(logw, weight, da, w, t, zeta, lo, hi)
    else:
        marg = _marginal(cp, zeta, n)
        res = float(np.sum(np.abs(marg - weight)))
        if res > 1e-9:
            raise ConvergenceError(f"continuous E2: Lagrange function did not converge at qh={qh:.4g} "
                                   f"(marginal off by {res:.1e} in total variation)")
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
    """One group's solution at one qh, kept to warm-start the next."""

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


def _start(s, w, weight, qh, z, zeta, state):
    logw = np.log(weight)
    g, asy = absolute(gaussian_start(w, qh)), absolute(asymptotic_start(s, w, qh))
    mid = int(np.argmin(np.abs(s)))
    # the bulk from the Gaussian form, the tails (always monotone transport) from the asymptote
    mixed = np.diff(np.maximum(g, asy - asy[mid] + g[mid]))
    cands = [mixed, gaussian_start(w, qh), asymptotic_start(s, w, qh), prior_start(w, qh)]
    if state is not None:
        # carry the previous potential along the q -> 1 scaling a ~ sqrt(qh)
        a = np.interp(s, state.s, state.a) * np.sqrt(qh / state.qh)
        cands.insert(0, np.diff(a))
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


def group_point(law: ContinuousLaw, qh: float, spec: RuleSpec = PRIMARY, state: GroupState | None = None):
    """One group's E2 at conjugate qh on the rule `spec`: (ContinuumPoint, GroupState)."""
    s, w, weight = law.rule(qh, spec)
    z, zeta = s, weight      # both sides are N(0,1) in these variables: the same rule
    da0 = _start(s, w, weight, qh, z, zeta, state)
    da, cp, res = solve(weight, w, qh, z, zeta, da0)
    wj = np.where(cp.mask, w[cp.J], 0.0)
    mean = (cp.pi * wj).sum(axis=1)
    var = (cp.pi * (wj - mean[:, None]) ** 2).sum(axis=1)
    q = float(zeta @ mean ** 2)
    # 1 - q = E Var(w|z) + (1 - E_P w^2), the second from the rule itself (its normalisation)
    omq = float(zeta @ var + (1.0 - weight @ (w * w)))
    a = absolute(da)
    f_ent = float(-(weight @ a) + zeta @ cp.logz - 0.5 * qh * (weight @ (w * w)) + 0.5 * qh * q)
    return ContinuumPoint(qh, q, omq, f_ent, float(zeta @ var ** 2), res, len(w)), GroupState(qh, s, a)
