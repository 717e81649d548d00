"""Drivers written once against the Constraint and Channel protocols (THEORY.md E5-E6).

`gibbs_point`: the damped fixed point of E5 + alpha E6,
    conj = conjugates of the channel's G_E at x,   x' = constraint.update(conj),
with an optional Powell polish in log(1 - q) where the damped map slows down critically
(the version space closing, q -> 1).
`nishimori_branches`: on the Nishimori line (matched prior, noise-free, zero temperature)
the equations reduce to q = map(qhat(q)); every fixed point, stable or not, with its free
entropy, so the caller compares branches (first-order transitions).
"""
from __future__ import annotations

import dataclasses

import numpy as np
from scipy import optimize

from .rs_saddle import ConvergenceError, VersionSpaceEmpty

Q_SCAN = np.linspace(1e-4, 0.995, 400)


@dataclasses.dataclass(frozen=True)
class FixedPoint:
    """x: the constraint's order parameters (its `params`); conj: their conjugates."""

    alpha: float
    x: tuple
    conj: tuple
    free_entropy: float
    method: str
    x_error: float = 0.0     # |x - x*|: a Newton step at a root, else the last map step over (1 - its rate)


def _step(constraint, channel, alpha, teacher, x):
    _check_open(constraint, alpha, x)     # every iterate, the Powell polish's included
    conj, _ = constraint.conjugates(x, alpha, channel)
    new, aux = constraint.update(conj, teacher)
    return new, conj, aux


def _finish(constraint, channel, alpha, teacher, x, conj, aux, method, x_error=0.0):
    g = channel.G_E(*constraint.overlaps(x))
    f = constraint.entropic(x, conj, aux, teacher) + alpha * g
    return FixedPoint(alpha, tuple(float(v) for v in x), tuple(float(c) for c in conj), float(f), method,
                      float(x_error))


def _distance(step, rate, damping):
    """|x - x*| from the undamped map's step |F(x) - x| and the damped iteration's rate
    rho_d = (1 - d) + d rho_F: |x - x*| <= step / (1 - |rho_F|) near the fixed point."""
    rho = min(abs(rate - (1 - damping)) / damping, 0.9999) if np.isfinite(rate) else 0.9999
    return step / (1 - rho)


def gibbs_point(constraint, channel, alpha, teacher, start=None, damping=0.5, tol=None, maxiter=None):
    """The Gibbs saddle point at load alpha (E5-E6): damped iteration from `start` (default:
    the constraint's).  A constraint with `accelerate` also tries a hybrid-Powell root in its
    `chart` at steps 25, 50, 100, ... and at the damped stop (`_root`); one with `polish`, a
    root in (log(1 - q), R) after maxiter (`_powell`).  ConvergenceError if none converges.
    The step is measured by `constraint.change`; x_error estimates the distance to the root
    (the former tolerance-only term was no bound: a ternary student at alpha = 2 stopped
    2.9e-10 from its root with tol 1e-10; x_error said 2.3e-9)."""
    tol = constraint.tol if tol is None else tol
    maxiter = constraint.maxiter if maxiter is None else maxiter
    x = tuple(start if start is not None else constraint.start(teacher))
    accelerate = getattr(constraint, "accelerate", None)
    last, rate = np.nan, np.nan
    for i in range(maxiter):
        new, conj, aux = _step(constraint, channel, alpha, teacher, x)
        step = constraint.change(new, x)
        rate, last = step / last, step
        if step < tol:
            # a slowly contracting map stops ~tol / (1 - rate) short: polish it to a root
            point = _root(constraint, channel, alpha, teacher, new, tol * 0.1) if accelerate else None
            return point or _finish(constraint, channel, alpha, teacher, new, conj, aux, "damped fixed point",
                                    _distance(step, rate, damping))
        x = constraint.damp(x, new, damping)
        k, rem = divmod(i + 1, accelerate or 1)
        if accelerate and rem == 0 and k & (k - 1) == 0:       # at 25, 50, 100, 200, ... steps
            point = _root(constraint, channel, alpha, teacher, x, tol * 0.1)
            if point is not None:
                return point
    if getattr(constraint, "polish", False):
        point = _powell(constraint, channel, alpha, teacher, x)
        if point is not None:
            return point
    _check_open(constraint, alpha, x)
    shown = ", ".join(f"{n}={v:.6g}" for n, v in zip(constraint.params, x))
    raise ConvergenceError(f"{constraint.label}: Gibbs fixed point not converged at alpha={alpha} ({shown})")


CLOSED = 1 - 1e-9   # normalised q beyond which continuous weights have no version space left


def _check_open(constraint, alpha, x):
    """VersionSpaceEmpty where Gibbs learning of continuous weights ran to q -> 1 (q/Q for a
    soft prior): the labels are not separable by the student (zero-temperature Gibbs samples
    the version space), which a damped iteration shows as a stall or a degenerate point
    (a soft lognormal student: Q -> 0, free entropy -inf), not as a fixed point."""
    if constraint.continuous_weights and constraint.overlaps(x)[0] > CLOSED:
        raise VersionSpaceEmpty(f"q -> 1 at alpha = {alpha:g}: {constraint.empty_label}")


def _root(constraint, channel, alpha, teacher, x, tol):
    """The fixed point x = map(x) by scipy's hybrid Powell from a damped iterate, for a
    constraint whose damped map contracts slowly (`accelerate`: after that many damped
    steps); None (the damped iteration goes on) if it fails or leaves the domain."""
    to_x, from_x = constraint.chart      # unconstrained coordinates: the root stays in the domain

    def residual(v):
        xx = to_x(v)
        return np.array(_step(constraint, channel, alpha, teacher, xx)[0]) - np.array(xx)

    try:
        # success is judged below by the map itself: hybr's xtol test can miss a residual
        # of 1e-18 (the quadrature's panel counts make the map piecewise smooth)
        sol = optimize.root(residual, from_x(x), method="hybr", options={"xtol": 1e-13, "maxfev": 100})
        xx = to_x(sol.x)
        new, conj, aux = _step(constraint, channel, alpha, teacher, xx)
    except VersionSpaceEmpty:
        raise
    except (ArithmeticError, ValueError):
        return None
    # the root the damped iteration was heading for, not another (Q -> 0 is a fixed point too)
    near = np.max(np.abs(from_x(xx) - from_x(x))) < 1.0
    if near and constraint.change(new, xx) < tol:
        return _finish(constraint, channel, alpha, teacher, new, conj, aux, "hybrid Powell root",
                       _newton_distance(constraint, residual, to_x, sol.x))
    return None


def _newton_distance(constraint, residual, to_x, v):
    """|x - x*| at a root v, as the length of one Newton step on a fresh forward-difference
    Jacobian (the map's quadrature noise, ~1e-12, sets the floor), doubled."""
    r = residual(v)
    h = 1e-6 * np.maximum(1.0, np.abs(v))
    jac = np.column_stack([(residual(v + h[i] * np.eye(len(v))[i]) - r) / h[i] for i in range(len(v))])
    try:
        dv = np.linalg.solve(jac, -r)
    except np.linalg.LinAlgError:
        return np.inf
    return 2 * constraint.change(to_x(v + dv), to_x(v))


def _powell(constraint, channel, alpha, teacher, x):
    """The fixed point in u = log(1 - q) (keeps q < 1) and R, by scipy's hybrid Powell."""
    iq = constraint.params.index("q")

    def to_x(u):
        return tuple(1 - np.exp(v) if i == iq else v for i, v in enumerate(u))

    def residual(u):
        xx = to_x(u)
        return np.array(_step(constraint, channel, alpha, teacher, xx)[0]) - np.array(xx)

    u0 = [np.log(1 - v) if i == iq else v for i, v in enumerate(x)]
    sol = optimize.root(residual, u0, method="hybr", tol=1e-13)
    if not sol.success:
        return None
    xx = to_x(sol.x)
    new, conj, aux = _step(constraint, channel, alpha, teacher, xx)
    if constraint.change(new, xx) < 1e-9:
        return _finish(constraint, channel, alpha, teacher, new, conj, aux, "hybrid Powell root")
    return None


def gibbs_curve(constraint, channel, alphas, teacher, on_error=None):
    """gibbs_point along alpha, solved in increasing order, each from the previous solution;
    results come back in the order given.  `on_error(alpha, exc)` may turn an
    ArithmeticError into a result (else it propagates)."""
    out, start = {}, None
    for a in sorted(alphas):
        try:
            point = gibbs_point(constraint, channel, a, teacher, start=start)
        except ArithmeticError as exc:
            if on_error is None:
                raise
            out[a] = on_error(a, exc)
            continue
        start = point.x
        out[a] = point
    return [out[a] for a in alphas]


def nishimori_branches(constraint, channel, alpha, scan=Q_SCAN):
    """Fixed points of q = map(qhat(q)) on the Nishimori line below q = 1, each as
    (q, qhat, f, stable); stable where map(q) - q goes from + to -.  A constraint with one
    fixed point (`nishimori_unique`) is solved by bracketing on (0, 1) instead."""
    def gap(q):
        return _nishimori_gap(constraint, channel, q, alpha)

    def branch(q, stable):
        qh = channel.nishimori_qhat(q, alpha)
        f = constraint.nishimori_entropic(q, qh) + alpha * channel.nishimori_G_E(q)
        return float(q), float(qh), float(f), stable

    if constraint.nishimori_unique:
        return [branch(optimize.brentq(gap, 1e-14, 1 - 1e-14, xtol=1e-15, rtol=1e-15), True)]
    if getattr(constraint, "nishimori_tabulated", False):
        return [branch(q, stable) for q, stable in _tabulated_roots(constraint, channel, alpha)]
    gaps = np.array([gap(q) for q in scan])
    out = []
    for i in np.flatnonzero(np.sign(gaps[:-1]) != np.sign(gaps[1:])):
        q = optimize.brentq(gap, scan[i], scan[i + 1], xtol=1e-14)
        out.append(branch(q, bool(gaps[i] > 0)))
    return out


# scan for a tabulated map: uniform in q, then geometric in 1 - q down to 1e-12 (large alpha)
Q_TABULATED = np.concatenate([np.linspace(1e-4, 0.9, 30), 1 - np.geomspace(0.09, 1e-12, 45)])


def _tabulated_roots(constraint, channel, alpha):
    """Fixed points of q = map(qhat(q)) bracketed and located on the constraint's cheap
    tabulated map (`nishimori_coarse_map`), then polished on its fine one; (q, stable)."""
    def coarse(q):
        return constraint.nishimori_coarse_map(channel.nishimori_qhat(q, alpha)) - q

    scan = Q_TABULATED
    gaps = np.array([coarse(q) for q in scan])
    out = []
    for i in np.flatnonzero(np.sign(gaps[:-1]) != np.sign(gaps[1:])):
        q0 = optimize.brentq(coarse, scan[i], scan[i + 1], xtol=1e-15, rtol=1e-15)
        h = 1e-7 * min(q0, 1 - q0)
        slope = (coarse(q0 + h) - coarse(q0 - h)) / (2 * h)
        q = polish_nishimori(constraint.nishimori_map, channel, alpha, q0, slope)
        out.append((q, bool(gaps[i] > 0)))
    return out


def polish_nishimori(fmap, channel, alpha, q0, slope=None, maxiter=10):
    """The root of fmap(qhat(q)) - q next to q0: a Newton step with `slope` (default: from a
    secant of fmap itself), then secant steps, until the step is below rounding."""
    def gap(q):
        return fmap(channel.nishimori_qhat(q, alpha)) - q

    g0 = gap(q0)
    if slope is None or not np.isfinite(slope) or slope == 0:
        h = 1e-6 * min(q0, 1 - q0)
        slope = (gap(q0 + h) - g0) / h
    q1 = float(np.clip(q0 - g0 / slope, 0.5 * q0, q0 + 0.5 * (1 - q0)))
    for _ in range(maxiter):
        if abs(q1 - q0) <= 4e-16 * max(q1, 1e-300) or g0 == 0:
            break
        g1 = gap(q1)
        if g1 == g0:
            break
        q0, q1, g0 = q1, float(np.clip(q1 - g1 * (q1 - q0) / (g1 - g0), 0.5 * q1, q1 + 0.5 * (1 - q1))), g1
    return q1


def _nishimori_gap(constraint, channel, q, alpha):
    return constraint.nishimori_map(channel.nishimori_qhat(q, alpha)) - q


def _dip(constraint, channel, alpha, scan=Q_SCAN):
    """min over q of map(q) - q in the dip before the approach to q = 1: < 0 while a poor
    branch exists (a stable and an unstable fixed point), > 0 beyond its spinodal."""
    gaps = np.array([_nishimori_gap(constraint, channel, q, alpha) for q in scan])
    i = int(np.argmin(gaps[:-20]))
    res = optimize.minimize_scalar(lambda q: _nishimori_gap(constraint, channel, q, alpha),
                                   bounds=(scan[max(i - 1, 0)], scan[i + 1]), method="bounded",
                                   options={"xatol": 1e-12})
    return res.fun


def _poor_branch_f(constraint, channel, alpha):
    stable = [b for b in nishimori_branches(constraint, channel, alpha) if b[3]]
    return stable[0][2] if stable else None


def nishimori_transitions(constraint, channel, alphas=np.arange(0.25, 6.01, 0.25)):
    """(first-order alpha, spinodal alpha) for a Nishimori constraint with a perfect state
    (a discrete law): the spinodal where the poor branch ends (its dip touches zero), the
    first-order transition where its free entropy crosses the perfect state's.  None when
    no spinodal is bracketed on the `alphas` grid."""
    perfect = constraint.perfect_state()
    dips = [_dip(constraint, channel, a) for a in alphas]
    up = [i for i in range(len(alphas) - 1) if dips[i] < 0 < dips[i + 1]]
    if perfect is None or not up:
        return None
    lo, hi = alphas[up[0]], alphas[up[0] + 1]
    spinodal = optimize.brentq(lambda a: _dip(constraint, channel, a), lo, hi, xtol=1e-12)

    def excess(a):
        f = _poor_branch_f(constraint, channel, a)
        return -np.inf if f is None else f - perfect

    # bracket below the spinodal: right at it the crossing is tangent and the scan can miss it
    grid = [a for a in alphas if a < spinodal - 0.02] + [spinodal - 0.02]
    signs = [excess(a) for a in grid]
    cross = [i for i in range(len(grid) - 1) if signs[i] > 0 >= signs[i + 1]]
    if not cross:
        return None
    i = cross[-1]
    return optimize.brentq(excess, grid[i], grid[i + 1], xtol=1e-12), spinodal


def capacity_limit(constraint, channel, dps=30):
    """alpha_rs = rho^2 / c of the q -> 1 limit (E3): the constraint's transport factor rho
    over the channel's coefficient c = I(kappa) in G_E ~ -c / (2 (1 - q)); mp at dps digits.
    Returns (alpha, error) with the error propagated from rho's (I is exact to dps)."""
    import mpmath as mp

    with mp.workdps(dps + 5):
        rho, err = constraint.rho()
        c = channel.I() if hasattr(channel, "I") else mp.mpf(channel.q_to_1())
        return rho ** 2 / c, 2 * rho * err / c + mp.mpf(10) ** (-dps) * rho ** 2 / c
