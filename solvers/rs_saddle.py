"""Finite-alpha replica-symmetric saddle point of the Gardner volume, float64 (THEORY.md E1, E2, E4).

The prior enters as a discrete reference measure (w_j, p_j): atoms exactly, continuous parts
through `Prior.nodes`.  For given qh the Lagrange function lambda_j enforcing the marginal
(E2, entropic optimal transport between z ~ N(0,1) and P) minimises the convex dual

    L(lambda) = -sum_j p_j lambda_j + E_z log sum_j p_j exp(lambda_j - qh w_j^2/2 + sqrt(qh) z w_j),

whose gradient is marginal - p.  A few Sinkhorn/IPF sweeps (lambda += log(p / marginal)) warm
up a damped Newton solve (Hessian E_z[diag(pi) - pi pi^T], gauge fixed by adding (p.lambda)^2/2).
The saddle point is parametrised by qh: q = E_z <w>^2 follows, and E2 gives
alpha(qh) = qh (1 - q) / J(q), so no outer root-finding is needed for a curve in qh;
`point_at_alpha` inverts alpha(qh) by brentq on log qh.

Free entropy (E1) is reported relative to the prior (0 at alpha = 0); for a purely discrete
prior add its Shannon entropy to get the entropy of E4.  Groups (E3) share q and qh and add
their entropic terms with their fractions.
"""
from __future__ import annotations

import dataclasses
import warnings

import numpy as np
from scipy import optimize, special

from .energetic import energetic_terms
from .gaussian import panel_nodes, phi

LIGHT_ATOM = 1e-10     # nodes lighter than this fraction of the heaviest are dropped
Z_REACH = 9.0          # |z| beyond 9 carries < 1e-18 of the Gaussian mass


class ConvergenceError(ArithmeticError):
    """The saddle-point solve did not reach its tolerance."""


class Unresolved(ValueError):
    """alpha beyond what the qh search resolves; `why`: the limit that stopped it."""

    def __init__(self, message, why):
        super().__init__(message)
        self.why = why


class VersionSpaceEmpty(ArithmeticError):
    """q -> 1 in Gibbs learning: the student family cannot fit the teacher's labels beyond
    this alpha (zero temperature): the version space is empty."""


PANEL = 0.5            # base Gauss-Legendre panel width in z
GL_ORDER = 10
SECOND_Z = (0.7, 13)   # (panel, order) of a second, different z rule: the error estimate of atoms


def z_grid(m: "Measure", qh: float, lam, rule=(PANEL, GL_ORDER)):
    """Gauss-Legendre panels for E_z when the posterior hands over between atoms.

    Atoms j and k are equally likely at z_jk = (a_j - a_k) / (sqrt(qh) (w_k - w_j)), with
    a = log p + lambda - qh w^2 / 2, and the hand-over has z-width 1 / (sqrt(qh) |w_k - w_j|),
    which shrinks like 1/sqrt(qh).  Base panels of width PANEL are refined around each
    hand-over by panels of twice its width doubling outwards, so the rule stays spectrally
    accurate at any qh (a uniform grid would need ~1e4+ nodes at qh ~ 1e5)."""
    panel, order = rule
    sq = np.sqrt(qh)
    a = m.logp + lam - 0.5 * qh * m.w ** 2
    if len(m.w) <= 12:  # few atoms: every pair, a middle atom may never dominate
        j, k = np.triu_indices(len(m.w), 1)
    else:
        j, k = np.arange(len(m.w) - 1), np.arange(1, len(m.w))
    dw = m.w[k] - m.w[j]
    ok = dw > 0
    zc = (a[j][ok] - a[k][ok]) / (sq * dw[ok])
    width = 1.0 / (sq * dw[ok])
    sel = (np.abs(zc) < Z_REACH) & (2 * width < panel)
    edges = [np.linspace(-Z_REACH, Z_REACH, int(2 * Z_REACH / panel) + 1)]
    for c, wd in zip(zc[sel], width[sel]):
        steps = 2 * wd * 2.0 ** np.arange(0, max(1, int(np.ceil(np.log2(panel / (2 * wd)))) + 1))
        edges.append(c + np.concatenate([[0.0], steps, -steps]))
    e = np.unique(np.clip(np.concatenate(edges), -Z_REACH, Z_REACH))
    e = e[np.concatenate([[True], np.diff(e) > 1e-12])]
    z, zw = panel_nodes(e, order)
    zw = zw * phi(z)
    return z, zw / zw.sum(), (zc[sel], width[sel])


@dataclasses.dataclass
class Measure:
    """One group's reference measure, with its Lagrange multipliers (warm start)."""

    w: np.ndarray
    p: np.ndarray
    frac: float = 1.0
    lam: np.ndarray | None = None

    def __post_init__(self):
        keep = self.p > LIGHT_ATOM * self.p.max()  # lighter nodes only make the Newton system stiff
        self.w, self.p = np.asarray(self.w, float)[keep], np.asarray(self.p, float)[keep]
        self.p = self.p / self.p.sum()
        self.logp = np.log(self.p)
        if self.lam is None:
            self.lam = np.zeros_like(self.w)
        self.qh_prev = 0.0


def posterior_of(m: Measure, lam, qh, z):
    """log Z(z) and pi_ij = p(w_j | z_i) for each z node (E2)."""
    a = m.logp + lam - 0.5 * qh * m.w ** 2
    e = a[None, :] + np.sqrt(qh) * z[:, None] * m.w[None, :]
    logz = special.logsumexp(e, axis=1)
    return logz, np.exp(e - logz[:, None])


def _asymptotic_lagrange(m: Measure, qh: float):
    """lambda as qh -> inf: node k hands over to node k+1 at z_k = Phi^{-1}(F_k), the
    monotone transport of E3, which fixes the posterior's log-weights a_j up to a constant."""
    cdf = np.cumsum(m.p)[:-1]
    zk = special.ndtri(np.clip(cdf, 1e-300, 1 - 1e-16))
    a = np.concatenate([[0.0], -np.cumsum(np.sqrt(qh) * zk * np.diff(m.w))])
    lam = a - m.logp + 0.5 * qh * m.w ** 2
    return lam - m.p @ lam


def _start_lagrange(m: "Measure", qh: float, score=None):
    """Best start among: the previous solution, it carried to the new qh along the q -> 1
    scaling (lambda - qh w^2/2 + log p grows like sqrt(qh)), and the q -> 1 asymptote.
    Without a score (no grid yet) the carried or asymptotic guess is used."""
    cands = [_asymptotic_lagrange(m, qh)]
    if m.qh_prev:
        base = m.lam - 0.5 * m.qh_prev * m.w ** 2 + m.logp
        cands.insert(0, base * np.sqrt(qh / m.qh_prev) + 0.5 * qh * m.w ** 2 - m.logp)
        cands.append(m.lam.copy())
    if score is None:
        return cands[0]
    return min(cands, key=score)


def solve_lagrange(m: Measure, qh: float, z, zw, tol=1e-12, maxiter=200):
    """lambda with E_z p(w_j | z) = p_j (E2 marginal); returns (lambda, residual, iterations)."""
    p = m.p

    def dual(lm):
        logz, pi = posterior_of(m, lm, qh, z)
        return -(p @ lm) + zw @ logz + 0.5 * (p @ lm) ** 2, pi

    lam = _start_lagrange(m, qh, lambda lm: dual(lm)[0])
    for _ in range(3):  # Sinkhorn/IPF warm-up
        _, pi = posterior_of(m, lam, qh, z)
        lam += np.log(p) - np.log(np.maximum(zw @ pi, 1e-300))
    val, pi = dual(lam)
    for it in range(maxiter):
        marg = zw @ pi
        grad = marg - p + (p @ lam) * p
        res = np.sum(np.abs(marg - p))  # total-variation distance of the marginal to P
        if res < tol:
            m.lam, m.qh_prev = lam, qh
            return lam, res, it
        hess = (pi * zw[:, None]).T @ pi
        hess = np.diag(marg) - hess + np.outer(p, p)
        try:
            step = -np.linalg.solve(hess + 1e-14 * np.eye(len(p)), grad)
        except np.linalg.LinAlgError:
            step = -grad
        t = 1.0
        for _ in range(40):  # backtracking on the convex dual
            new_val, new_pi = dual(lam + t * step)
            # near the optimum the decrease is below the rounding of the dual's value:
            # the Armijo test is then noise, and the full Newton step is taken
            if (new_val <= val + 1e-4 * t * (grad @ step) or abs(grad @ step) < 1e-13 * (1 + abs(val))
                    or t < 1e-10):
                break
            t *= 0.5
        lam, val, pi = lam + t * step, new_val, new_pi
    m.lam, m.qh_prev = lam, qh
    res = np.sum(np.abs(zw @ pi - p))
    if res < 1e-8:
        return lam, res, maxiter
    raise ConvergenceError(f"Lagrange function did not converge at qh={qh:.4g} (marginal off by {res:.2e} in total variation)")


@dataclasses.dataclass(frozen=True)
class RSPoint:
    """One replica-symmetric saddle point (E1-E2), float64."""

    alpha: float
    q: float
    qh: float
    free_entropy: float          # relative to the prior: f - (prior's entropy)
    entropy: float | None        # discrete priors: f with counting measure (E4); else None
    at_eigenvalue: float         # alpha K(q) E_z[Var(w|z)^2] / (1 - q)^2; RS stable while < 1
    marginal_residual: float
    kappa: float
    one_minus_q: float | None = None   # to full relative precision as q -> 1 (continuous engine)
    nodes: int = 0                     # discretisation size (continuous engine)
    q_root_error: float = 0.0          # |alpha(qh) - alpha| |dq/dalpha| of point_at_alpha's root


def rs_point(measures, qh: float, kappa: float, shannon: float | None = None, zrule=(PANEL, GL_ORDER)) -> RSPoint:
    """Saddle point at conjugate qh (the parameter of the curve); E2 fixes alpha.  `zrule`:
    the (panel, order) of the z quadrature (SECOND_Z for the error estimate)."""
    if qh <= 0:
        raise ValueError("qh must be > 0")
    q = f_ent = var2 = 0.0
    worst = 0.0
    for m in measures:
        # grid from the current multipliers, solve, and once more from the solved ones
        # (the hand-over points move with lambda)
        z, zw, (zc, wd) = z_grid(m, qh, _start_lagrange(m, qh), zrule)
        lam, res, _ = solve_lagrange(m, qh, z, zw)
        z2, zw2, (zc2, wd2) = z_grid(m, qh, lam, zrule)
        # re-solve on the new grid unless every refined hand-over stayed within a quarter width
        if len(zc2) != len(zc) or (len(zc) and np.max(np.abs(zc2 - zc) / wd2) > 0.25):
            z, zw = z2, zw2
            lam, res, _ = solve_lagrange(m, qh, z, zw)
        logz, pi = posterior_of(m, lam, qh, z)
        mean = pi @ m.w
        var = pi @ m.w ** 2 - mean ** 2
        qm = zw @ mean ** 2
        q += m.frac * qm
        var2 += m.frac * (zw @ var ** 2)
        f_ent += m.frac * (-(m.p @ lam) + zw @ logz)
        worst = max(worst, res)
    q = min(q, 1.0 - 1e-16)
    f_ent += 0.5 * qh * q
    ge, jj, kk = energetic_terms(q, kappa)
    alpha = qh * (1.0 - q) / jj
    f = f_ent + alpha * ge
    return RSPoint(alpha, q, qh, f, None if shannon is None else f + shannon,
                   alpha * kk * var2 / (1.0 - q) ** 2, worst, kappa)


def measures_of(prior, n_nodes: int = 64):
    """Reference measures of a prior or group prior, normalised to unit second moment."""
    prior = prior.normalized()
    out = []
    for g, part in prior.groups:
        w, p = part.nodes(n_nodes)
        out.append(Measure(w, p, float(g)))
    # exact unit second moment for the discretised measure (nodes lose ~1e-16..1e-6)
    m2 = sum(m.frac * (m.p @ m.w ** 2) for m in out)
    for m in out:
        m.w = m.w / np.sqrt(m2)
    return out


def point_at_alpha(measures, alpha: float, kappa: float, shannon=None, qh_guess=None,
                   qh_min=1e-9, qh_max=1e8, rs_point=rs_point, alpha_tol=1e-9) -> RSPoint:
    """The RS saddle point at given alpha, solving alpha(qh) = alpha (alpha(qh) increases).
    With `qh_guess` (continuation along a curve) a secant iteration on log qh is tried first;
    otherwise, or if it fails, qh is bracketed by x4 steps and brentq finishes.  ValueError if
    alpha lies beyond what qh <= qh_max resolves (alpha too close to alpha_rs, q -> 1).
    `rs_point`: the engine (this module's node engine, or `continuum.rs_point`); `alpha_tol`:
    the relative mismatch in alpha a secant result may keep (else brentq polishes)."""

    seen = {}   # lq -> point: the root is usually the last point evaluated, not solved again

    def at(lq):
        if lq not in seen:
            seen[lq] = rs_point(measures, float(np.exp(lq)), kappa, shannon)
        return seen[lq]

    def gap(lq):
        return at(lq).alpha - alpha

    def root(lq):
        """The point at lq with its q error from the remaining alpha mismatch, the slope
        dq/dalpha from the nearest other point evaluated."""
        pt = at(lq)
        others = [x for x in seen if x != lq and seen[x].alpha != pt.alpha]
        if not others or pt.alpha == alpha:
            return pt
        o = seen[min(others, key=lambda x: abs(x - lq))]
        slope = abs((o.q - pt.q) / (o.alpha - pt.alpha))
        return dataclasses.replace(pt, q_root_error=abs(pt.alpha - alpha) * slope)

    def secant_gap(lq):     # a secant step may leave the resolved range: fall back to brentq
        if not np.log(qh_min) - 5 < lq < np.log(qh_max) + 5:
            raise OverflowError("secant left the qh range")
        return gap(lq)

    if qh_guess is not None and qh_min < qh_guess < qh_max:
        try:
            sol = optimize.root_scalar(secant_gap, x0=np.log(qh_guess), x1=np.log(qh_guess) + 0.05,
                                       method="secant", xtol=1e-11, rtol=1e-12, maxiter=30)
            if sol.converged and np.log(qh_min) < sol.root < np.log(qh_max):
                pt = root(sol.root)
                if abs(pt.alpha - alpha) <= alpha_tol * max(1.0, alpha):
                    return pt
        except (ConvergenceError, FloatingPointError, OverflowError):
            pass
    lo = np.log(qh_min)
    if gap(lo) > 0:
        raise ValueError(f"alpha={alpha} is below the smallest alpha resolved (qh >= {qh_min})")
    hi = np.log(min(1.0, qh_max))
    while True:
        why = f"qh <= {qh_max:.0e}"
        g = None
        for nudge in (0.0, np.log(1.05)):    # a Lagrange solve can fail at an isolated qh (E/I groups)
            trial = min(hi + nudge, np.log(qh_max))
            try:
                g, hi = gap(trial), trial
                break
            except ConvergenceError as exc:
                why = f"at qh = {np.exp(trial):.3g}: {exc}"
        if g is not None and g >= 0:
            break
        if g is None or hi >= np.log(qh_max):
            raise Unresolved(f"alpha={alpha} is beyond the resolved range (q -> 1, alpha_rs; {why})", why)
        lo, hi = hi, min(hi + np.log(4.0), np.log(qh_max))
    return root(optimize.brentq(gap, lo, hi, xtol=1e-14, rtol=1e-14))


def alpha_rs_limit(measures, kappa: float) -> float:
    """E3 for the discretised measures themselves (what alpha(qh) tends to as qh -> inf):
    rho = sum_m g_m sum_k (w_{k+1} - w_k) psi(F_k), alpha = rho^2 / I(kappa)."""
    from .capacity import gardner_I_np

    rho = 0.0
    for m in measures:
        cdf = np.cumsum(m.p)[:-1]
        tail = np.cumsum(m.p[::-1])[::-1][1:]
        pmin = np.minimum(cdf, tail)
        rho += m.frac * np.sum(np.diff(m.w) * phi(special.ndtri(pmin)))
    return float(rho ** 2 / gardner_I_np(kappa))


def find_qh_root(measures, fn, kappa, shannon=None, qh_lo=1e-6, qh_hi=1e8, n_scan=60, rs_point=rs_point):
    """First qh at which fn(RSPoint) changes sign, scanning log qh then brentq; None if none.
    `rs_point`: a replacement with the same signature (a memo shared by several scans)."""
    grid = np.geomspace(qh_lo, qh_hi, n_scan)
    prev = None
    for a, b in zip(grid[:-1], grid[1:]):
        fa = fn(rs_point(measures, a, kappa, shannon)) if prev is None else prev
        fb = fn(rs_point(measures, b, kappa, shannon))
        prev = fb
        if not (np.isfinite(fa) and np.isfinite(fb)):
            raise ConvergenceError(f"RS saddle point not finite at qh in [{a:.3g}, {b:.3g}]")
        if np.sign(fa) != np.sign(fb):
            lq = optimize.brentq(lambda x: fn(rs_point(measures, float(np.exp(x)), kappa, shannon)),
                                 np.log(a), np.log(b), xtol=1e-12, rtol=1e-12)
            return rs_point(measures, float(np.exp(lq)), kappa, shannon)
    return None


def warn_unconverged(point: RSPoint, tol=1e-8):
    if point.marginal_residual > tol:
        warnings.warn(f"marginal constraint met only to {point.marginal_residual:.1e} at alpha={point.alpha:.6g}",
                      RuntimeWarning, stacklevel=2)
