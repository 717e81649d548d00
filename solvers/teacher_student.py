"""Teacher-student generalization, replica symmetric, float64 (THEORY.md E5-E8).

Max-margin learning (E8, q -> 1, noise-free).  With h = z + rho w0 and M(rho) the largest
E[h w] over couplings of h with the student's weights,
    A(R) = min_rho [M(rho) - rho R],    E(R, kappa) = 2 int_{-oo}^{kappa} Dt H(-R t / sqrt(1-R^2)) (kappa - t)^2,
and the max-margin kappa is the largest with max_R [A(R)^2 - alpha E(R, kappa)] = 0.
M is convex in rho (a maximum of linear functions), so A is its Legendre transform: along
rho, R(rho) = M'(rho) = E[w0 w*(h)] (envelope theorem) and A = M - rho M'.  The whole
(R, A) curve comes from one sweep in rho; R stays below R_max = M'(oo), the largest
teacher-student overlap the student family can reach.

Gibbs learning (E5-E6) with a spherical student: G_S = log(1-q)/2 + (q - R^2)/(2(1-q))
(derived in replica.symbolic), stationarity of G_S + alpha G_E in (q, R) by Newton.
"""
from __future__ import annotations

import dataclasses

import numpy as np
from scipy import optimize, special

from .gaussian import H, g_ratio, gauss_hermite, graded_panels, log_H, phi

Z_NODES = 80


# ---------------------------------------------------------------- student couplings M(rho)
class Student:
    """M(rho) and M'(rho) for a student family against a teacher measure (w0_j, p0_j)."""

    kind = "generic"

    def __init__(self, w0, p0):
        self.w0, self.p0 = np.asarray(w0, float), np.asarray(p0, float)
        self.z, self.zw = gauss_hermite(Z_NODES)
        # h = z + rho w0 on the product grid (z nodes x teacher nodes)
        self.h_w = (self.zw[:, None] * self.p0[None, :]).ravel()

    def refined(self, n=160):
        """The same student on finer Gauss-Hermite rules (for error estimates)."""
        self.z, self.zw = gauss_hermite(n)
        self.h_w = (self.zw[:, None] * self.p0[None, :]).ravel()
        if hasattr(self, "zq"):
            self.zq, self.zqw = gauss_hermite(n)
        return self

    def fields(self, rho):
        return (self.z[:, None] + rho * self.w0[None, :]).ravel(), np.broadcast_to(self.w0, (len(self.z), len(self.w0))).ravel()

    def M(self, rho):
        raise NotImplementedError


class SphericalStudent(Student):
    """w proportional to h: M = sqrt(E h^2) = sqrt(1 + rho^2) (E8), R_max = 1."""

    kind = "spherical"

    def M(self, rho):
        m = np.sqrt(1 + rho ** 2)
        return m, rho / m


class SignStudent(Student):
    """w >= 0 with E w^2 = 1: w = (h)_+ / sqrt(E (h)_+^2), M = sqrt(E (h)_+^2) (E8)."""

    kind = "sign-constrained"

    def M(self, rho):
        h, w0 = self.fields(rho)
        hp = np.maximum(h, 0.0)
        m = np.sqrt(self.h_w @ hp ** 2)
        return m, (self.h_w @ (w0 * hp)) / m


class TransportStudent(Student):
    """Distribution-constrained student: w = Q_S(F_h(h)), the monotone transport of the
    effective field onto P_S (E8); M = E[h w], M' = E[w0 w].

    F_h(x) = P(z + rho w0 <= x) is computed exactly over the teacher's atoms and, for its
    continuous parts, as E_z F_part((x - z)/rho) once rho >= 1 (a smooth function of z, so
    Gauss-Hermite converges; a node discretisation of P_T would cap R_max below 1 for
    P_S = P_T) and from the part's nodes below."""

    kind = "distribution"

    def __init__(self, w0, p0, ppf, teacher):
        super().__init__(w0, p0)
        self.ppf = ppf  # student's quantile function, unit second moment
        self.atoms = (np.array([float(v) for v in teacher.values]), np.array([float(x) for x in teacher.probs]))
        self.parts = []
        for c, part in zip(teacher.masses, teacher.parts):
            x, g = gauss_hermite(96)
            keep = g > 1e-14  # extreme nodes map to +-inf through float64 quantiles
            self.parts.append((float(c), part, part.np_ppf(special.ndtr(x[keep])), g[keep] / g[keep].sum()))
        self.zq, self.zqw = gauss_hermite(100)

    def _cdf_sf(self, h, rho):
        va, pa = self.atoms
        d = h[:, None] - rho * va[None, :]
        cdf, sf = special.ndtr(d) @ pa, H(d) @ pa
        for c, part, nodes, g in self.parts:
            if rho >= 1.0:
                y = (h[:, None] - self.zq[None, :]) / rho
                pc = part.np_cdf(y)
                cdf, sf = cdf + c * (pc @ self.zqw), sf + c * ((1.0 - pc) @ self.zqw)
            else:
                d = h[:, None] - rho * nodes[None, :]
                cdf, sf = cdf + c * (special.ndtr(d) @ g), sf + c * (H(d) @ g)
        return cdf, sf

    def coupled(self, rho):
        h, w0 = self.fields(rho)
        cdf, sf = self._cdf_sf(h, rho)
        u = np.where(cdf < 0.5, cdf, 1.0 - sf)
        return h, w0, self.ppf(np.clip(u, 1e-300, 1 - 1e-16))

    def M(self, rho):
        h, w0, w = self.coupled(rho)
        return self.h_w @ (h * w), self.h_w @ (w0 * w)


def _e_rule(kappa, width):
    """Gauss-Legendre panels on [-14, kappa], graded down to `width` around t = 0 where
    H(-R t / sqrt(1 - R^2)) steps (width sqrt(1-R^2)/R), with an edge at the kink t = kappa."""
    edges = [np.linspace(-14.0, kappa, 57)]
    if -14.0 < 0.0 < kappa + 14.0:
        steps = width * 2.0 ** np.arange(0, 40)
        steps = steps[steps < 14.0]
        edges.append(np.concatenate([[0.0], steps, -steps]))
    e = np.unique(np.concatenate(edges))
    e = e[(e >= -14.0) & (e <= kappa)]
    x, gw = np.polynomial.legendre.leggauss(12)
    half, mid = 0.5 * np.diff(e), 0.5 * (e[1:] + e[:-1])
    t = (mid[:, None] + half[:, None] * x).ravel()
    return t, (half[:, None] * gw).ravel() * phi(t)


def e_term(R, kappa, noise=0.0, flip=0.0):
    """E(R, kappa) of E8 for a scalar or an array of R (one shared rule, vectorised).
    Output noise (E6 note): Gaussian sigma -> the outer H sees r = R / sqrt(1 + sigma^2);
    label flips with probability p -> the outer H becomes p + (1 - 2p) H."""
    R = np.atleast_1d(np.asarray(R, float))
    r = R / np.sqrt(1.0 + noise ** 2)
    s = np.sqrt(np.maximum(1.0 - r * r, 1e-300))
    t, w = _e_rule(kappa, float(np.min(s / np.maximum(r, 1e-12))))
    outer = flip + (1.0 - 2.0 * flip) * H(-(r / s)[:, None] * t[None, :])
    vals = 2 * (outer * (kappa - t) ** 2) @ w
    return vals if vals.size > 1 else float(vals[0])


@dataclasses.dataclass(frozen=True)
class MaxMarginPoint:
    alpha: float
    kappa: float
    R: float
    eps_g: float
    rho: float
    R_max: float
    separable: bool


def legendre_curve(student: Student, n=300):
    """(log rho, R, A) along a rho sweep; R increases to R_max."""
    lr = np.concatenate([[np.log(1e-6)], np.linspace(np.log(1e-3), np.log(1e4), n)])
    ms = np.array([student.M(np.exp(x)) for x in lr])
    R, A = ms[:, 1], ms[:, 0] - np.exp(lr) * ms[:, 1]
    return lr, R, A


def max_margin(student: Student, alpha: float, curve=None, noise=0.0, flip=0.0) -> MaxMarginPoint:
    """Max-margin kappa, R and eps_g at load alpha (E8).  The (R, A) curve is computed once
    (pass it in to reuse across alpha) and interpolated by cubic splines in log rho."""
    from scipy.interpolate import CubicSpline

    lr, Rs, As = curve if curve is not None else legendre_curve(student)
    r_spline, a_spline = CubicSpline(lr, Rs), CubicSpline(lr, As)
    ok = (As > 0) & (Rs > 0) & (Rs < 1 - 1e-12)
    r_max = float(Rs[-1])

    def objective(x, kappa):
        r, a = float(r_spline(x)), float(a_spline(x))
        # outside the curve's valid part: a finite floor (-inf made Brent's parabola step inf - inf)
        return a * a - alpha * e_term(r, kappa, noise, flip) if (a > 0 and 0 < r < 1) else -1e300

    def best(kappa):
        vals = np.full(len(Rs), -np.inf)
        vals[ok] = As[ok] ** 2 - alpha * e_term(Rs[ok], kappa, noise, flip)
        i = int(np.argmax(vals))
        lo, hi = lr[max(i - 1, 0)], lr[min(i + 1, len(lr) - 1)]
        res = optimize.minimize_scalar(lambda x: -objective(x, kappa), bounds=(lo, hi), method="bounded",
                                       options={"xatol": 1e-10})
        return (-res.fun, float(res.x)) if -res.fun >= vals[i] else (vals[i], float(lr[i]))

    k_lo, k_hi = -1.0, 1.0
    while best(k_hi)[0] > 0:
        k_hi *= 2
    while best(k_lo)[0] < 0:
        k_lo *= 2
        if k_lo < -100:
            raise ArithmeticError("no margin found (the objective stays negative)")
    kappa = optimize.brentq(lambda k: best(k)[0], k_lo, k_hi, xtol=1e-12)
    _, x = best(kappa)
    R = float(r_spline(x))
    return MaxMarginPoint(alpha, kappa, R, float(np.arccos(np.clip(R, -1, 1)) / np.pi), float(np.exp(x)), r_max,
                          kappa > 0)


# ---------------------------------------------------------------- Gibbs, spherical student
def gibbs_spherical(alpha):
    """Spherical Gibbs student, noise-free (E5-E6 with G_S = log(1-q)/2 + (q-R^2)/(2(1-q))).

    G_S and G_E see the teacher only through E w0^2 = 1, so the equations are those of a
    spherical teacher, where Gibbs learning samples the posterior and the Nishimori line
    q = R holds; on it stationarity reduces to (checked against the symbolic derivation)
        R / sqrt(1 - R) = (alpha / pi) E_t exp(-R t^2/2) / H(-sqrt(R) t)
                        = alpha sqrt(2/pi) E_t g(-sqrt(R) t),    g = phi / H.
    Returns (q, R, free entropy)."""
    t, w = gauss_hermite(200)

    def gap(R):
        return R / np.sqrt(1 - R) - alpha * np.sqrt(2 / np.pi) * (w @ g_ratio(-np.sqrt(R) * t))

    R = optimize.brentq(gap, 1e-14, 1 - 1e-14, xtol=1e-15, rtol=1e-15)
    q = R
    tg, wg = graded_panels(0.0, np.sqrt(1 - q))  # log H(-sqrt(q) t / sqrt(1-q)) kinks at t = 0
    ge = 2 * wg @ (H(-R * tg / np.sqrt(q - R * R)) * log_H(-np.sqrt(q) * tg / np.sqrt(1 - q)))
    f = 0.5 * np.log(1 - q) + (q - R * R) / (2 * (1 - q)) + alpha * ge
    return q, R, f


# ---------------------------------------------------------------- Gibbs, Ising teacher and student
def _nishimori_qhat(q, alpha):
    """Energetic saddle point on the Nishimori line (E6 with R = q, noise-free):
    qhat = alpha sqrt(2/pi) E_t g(-sqrt(q) t) / sqrt(1 - q),  g = phi / H."""
    t, w = gauss_hermite(200)
    return alpha * np.sqrt(2 / np.pi) * (w @ g_ratio(-np.sqrt(q) * t)) / np.sqrt(1 - q)


def _nishimori_ge(q):
    """G_E = 2 E_t H(-x t) log H(-x t), x = sqrt(q / (1 - q))  (E6 at R = q)."""
    x = np.sqrt(q / (1 - q))
    t, w = graded_panels(0.0, 1.0 / max(x, 1e-12))
    return 2 * w @ (H(-x * t) * log_H(-x * t))


def ising_branch_map(q, alpha):
    """One step of the Ising (binary teacher and student) Gibbs equations on the Nishimori
    line: qhat(q) from E6, then q' = E_z tanh(qhat + sqrt(qhat) z) (E5 with w0 = +1)."""
    qh = _nishimori_qhat(q, alpha)
    z, w = gauss_hermite(200)
    return w @ np.tanh(qh + np.sqrt(qh) * z), qh


def ising_free_entropy(q, qh, alpha):
    """f = -qhat (1 + q)/2 + E_z log 2cosh(qhat + sqrt(qhat) z) + alpha G_E (counting measure:
    log 2 at alpha = 0, 0 on the perfect-generalization state q = R = 1)."""
    z, w = gauss_hermite(200)
    y = qh + np.sqrt(qh) * z
    log2cosh = np.abs(y) + np.log1p(np.exp(-2 * np.abs(y)))
    return -qh * (1 + q) / 2 + w @ log2cosh + alpha * _nishimori_ge(q)


_Q_SCAN = np.linspace(1e-4, 0.995, 400)


def _ising_gap(q, alpha):
    return ising_branch_map(q, alpha)[0] - q


def ising_poor_branch(alpha):
    """The poor-generalization RS branch: the first zero of map(q) - q coming from q = 0
    (scan, then brentq; no slow fixed-point iteration near the spinodal).  None if map(q) > q
    all the way to q -> 1: beyond the spinodal only the perfect state q = R = 1 remains."""
    gaps = np.array([_ising_gap(q, alpha) for q in _Q_SCAN])
    down = np.flatnonzero((gaps[:-1] > 0) & (gaps[1:] <= 0))
    if len(down) == 0:
        return None
    i = down[0]
    q = optimize.brentq(_ising_gap, _Q_SCAN[i], _Q_SCAN[i + 1], args=(alpha,), xtol=1e-15, rtol=1e-15)
    qh = _nishimori_qhat(q, alpha)
    return q, qh, ising_free_entropy(q, qh, alpha)


def ising_transitions(lo=1.0, hi=2.0):
    """Spinodal (the dip of map(q) - q touches zero: the poor branch ends) and the
    first-order transition (the poor branch's free entropy crosses 0, the free entropy of
    the perfect-generalization state)."""
    def dip(alpha):
        gaps = np.array([_ising_gap(q, alpha) for q in _Q_SCAN])
        i = int(np.argmin(gaps[:-20]))  # the dip, away from the approach to q = 1
        res = optimize.minimize_scalar(_ising_gap, bounds=(_Q_SCAN[max(i - 1, 0)], _Q_SCAN[i + 1]),
                                       args=(alpha,), method="bounded", options={"xatol": 1e-12})
        return res.fun

    spinodal = optimize.brentq(dip, lo, hi, xtol=1e-12)
    # bracket below the spinodal: right at it the crossing is tangent and the scan can miss it
    first_order = optimize.brentq(lambda x: ising_poor_branch(x)[2], lo, spinodal - 0.02, xtol=1e-12)
    return first_order, spinodal


# ---------------------------------------------------------------- Bayes-optimal (matched soft prior)
def bayes_map(q, alpha, w, p):
    """Matched soft prior (P_S = P_T, Gibbs = posterior sampling), Nishimori line qhat = Rhat,
    q = R (E5-E6): qhat from E6, then the posterior over the prior's nodes given the channel
    y = sqrt(qhat) z + qhat w0 gives (R, q) = (E <w> w0, E <w>^2); they agree by Nishimori."""
    qh = _nishimori_qhat(q, alpha)
    z, zw = gauss_hermite(100)
    logits = (np.log(p) - qh * w ** 2 / 2)[None, None, :] \
        + ((np.sqrt(qh) * z)[:, None, None] + qh * w[None, :, None]) * w[None, None, :]
    logits -= logits.max(axis=2, keepdims=True)
    post = np.exp(logits)
    post /= post.sum(axis=2, keepdims=True)
    mean = post @ w                                   # <w> for each (z, w0)
    weight = zw[:, None] * p[None, :]
    return float(np.sum(weight * mean * w[None, :])), float(np.sum(weight * mean ** 2)), qh


def bayes_free_entropy(q, qh, alpha, w, p):
    """f relative to the prior: -qhat q/2 + E log sum_j p_j e^{-qhat w_j^2/2 + y w_j} + alpha G_E."""
    z, zw = gauss_hermite(100)
    logits = (np.log(p) - qh * w ** 2 / 2)[None, None, :] \
        + ((np.sqrt(qh) * z)[:, None, None] + qh * w[None, :, None]) * w[None, None, :]
    top = logits.max(axis=2)
    logz = top + np.log(np.exp(logits - top[..., None]).sum(axis=2))
    return -qh * q / 2 + float(np.sum(zw[:, None] * p[None, :] * logz)) + alpha * _nishimori_ge(q)


def bayes_branches(alpha, w, p, scan=_Q_SCAN):
    """All fixed points q = R(q) on the Nishimori line below q = 1 (stable and unstable),
    each as (q, qhat, f)."""
    gaps = np.array([bayes_map(q, alpha, w, p)[0] - q for q in scan])
    out = []
    for i in np.flatnonzero(np.sign(gaps[:-1]) != np.sign(gaps[1:])):
        q = optimize.brentq(lambda x: bayes_map(x, alpha, w, p)[0] - x, scan[i], scan[i + 1], xtol=1e-14)
        qh = _nishimori_qhat(q, alpha)
        out.append((q, qh, bayes_free_entropy(q, qh, alpha, w, p), gaps[i] > 0))
    return out


# ---------------------------------------------------------------- Gibbs, distribution-constrained student
def gibbs_energetic_terms(q, R, h=1e-6, beta=np.inf, noise=0.0, flip=0.0):
    """G_E(q, R) of E6 and its partial derivatives by central differences.
    Output noise: Gaussian sigma -> r = R / sqrt(1 + sigma^2) in the outer H; label flips ->
    p + (1 - 2p) H.  Temperature 1/beta: log[e^-beta + (1 - e^-beta) H] in place of log H.
    Graded panels resolve both kinks at t = 0 (widths sqrt(1-q) and sqrt(q-r^2)/r)."""
    def ge(qq, rr):
        r = rr / np.sqrt(1.0 + noise ** 2)
        width = min(np.sqrt(1 - qq), np.sqrt(max(qq - r * r, 1e-300)) / max(abs(r), 1e-12))
        t, w = graded_panels(0.0, width)
        log_inner = log_H(-np.sqrt(qq) * t / np.sqrt(1 - qq))
        if np.isfinite(beta):
            log_inner = np.logaddexp(-beta, np.log1p(-np.exp(-beta)) + log_inner)
        outer = flip + (1 - 2 * flip) * H(-r * t / np.sqrt(qq - r * r))
        return 2 * w @ (outer * log_inner)
    g = ge(q, R)
    hq = min(h, 0.5 * (1.0 - q))           # stay inside q < 1 near the version space's end
    dq = (ge(q + hq, R) - ge(q - hq, R)) / (2 * hq)
    dr = (ge(q, R + h) - ge(q, R - h)) / (2 * h)
    return g, dq, dr


class VersionSpaceEmpty(ArithmeticError):
    """q -> 1 in Gibbs learning: the student family cannot fit the teacher's labels beyond
    this alpha (zero temperature, noise-free): the version space is empty."""


def gibbs_spherical_general(alpha, start=(0.3, 0.3), damping=0.5, tol=1e-11, maxiter=5000, **channel):
    """Spherical Gibbs student for any channel (noise, flips, temperature): damped fixed point
    of qhat = -2 alpha dG_E/dq, Rhat = alpha dG_E/dR and the spherical E5 elimination
    qhat = (q - R^2)/(1-q)^2, Rhat = R/(1-q), inverted as q = (qhat + Rhat^2)(1-q)^2."""
    q, R = start
    for _ in range(maxiter):
        _, dq, dr = gibbs_energetic_terms(q, R, **channel)
        qh, rh = -2 * alpha * dq, alpha * dr
        c = qh + rh * rh                      # q = c (1 - q)^2, root in (0, 1)
        q_new = (2 * c + 1 - np.sqrt(4 * c + 1)) / (2 * c) if c > 0 else 0.0
        r_new = rh * (1 - q_new)
        if abs(q_new - q) < tol and abs(r_new - R) < tol:
            ge = gibbs_energetic_terms(q_new, r_new, **channel)[0]
            return q_new, r_new, 0.5 * np.log(1 - q_new) + (q_new - r_new ** 2) / (2 * (1 - q_new)) + alpha * ge
        q = (1 - damping) * q + damping * q_new
        R = min((1 - damping) * R + damping * r_new, np.sqrt(q) * (1 - 1e-12))
    raise ArithmeticError(f"spherical Gibbs fixed point not converged at alpha={alpha}")


def gibbs_constrained(alpha, student_measure, w0, p0, start=(0.3, 0.3), damping=0.5, tol=1e-10, maxiter=2000,
                      **channel):
    """Gibbs learning with a distribution-constrained student (E5-E6, finite q).

    Given (q, R): qhat = -2 alpha dG_E/dq, Rhat = alpha dG_E/dR (stationarity of E5 + alpha E6);
    the Lagrange function lambda enforcing P_S solves the same entropic transport problem as
    in capacity, with the field sqrt(qhat) z + Rhat w0 = sqrt(qhat) (z + Rhat w0 / sqrt(qhat))
    over the product of z and teacher nodes; then q = E <w>^2, R = E <w> w0.  Damped fixed
    point; returns (q, R, qhat, Rhat, free entropy relative to P_S)."""
    from .rs_saddle import _posterior, solve_lagrange

    z, zw = gauss_hermite(Z_NODES)
    q, R = start
    m = student_measure
    for it in range(maxiter):
        _, dq, dr = gibbs_energetic_terms(q, R, **channel)
        qh, rh = -2 * alpha * dq, alpha * dr
        zeff = (z[:, None] + (rh / np.sqrt(qh)) * w0[None, :]).ravel()
        weff = (zw[:, None] * p0[None, :]).ravel()
        w0eff = np.broadcast_to(w0, (len(z), len(w0))).ravel()
        lam, _, _ = solve_lagrange(m, qh, zeff, weff)
        logz, pi = _posterior(m, lam, qh, zeff)
        mean = pi @ m.w
        q_new, r_new = weff @ mean ** 2, weff @ (mean * w0eff)
        if abs(q_new - q) < tol and abs(r_new - R) < tol:
            # E5 + alpha E6 at the fixed point, relative to the student's prior
            f = qh * q / 2 - rh * R - m.p @ lam + weff @ logz + alpha * gibbs_energetic_terms(q, R, **channel)[0]
            return q_new, r_new, qh, rh, f
        q = (1 - damping) * q + damping * min(q_new, 1 - 1e-12)
        R = (1 - damping) * R + damping * r_new
        R = min(R, np.sqrt(q) * (1 - 1e-12))
    raise ArithmeticError(f"Gibbs fixed point not converged at alpha={alpha} (q={q:.6g}, R={R:.6g})")


# ---------------------------------------------------------------- Gibbs, sign-constrained student
def _truncated_moments(b, A):
    """Mean and variance of w >= 0 with density ~ exp(-A w^2/2 + b w): a normal N(b/A, 1/A)
    truncated to [0, oo); the inverse Mills ratio via g_ratio stays finite for any b."""
    c = b / np.sqrt(A)
    lam = g_ratio(-c)                    # phi(c) / Phi(c)
    mean = (c + lam) / np.sqrt(A)
    var = (1 - c * lam - lam * lam) / A
    return mean, np.maximum(var, 0.0)


def gibbs_sign(alpha, w0, p0, start=(0.3, 0.3), damping=0.5, tol=1e-10, maxiter=2000, **channel):
    """Gibbs learning with w >= 0 and E w^2 = 1 (E5 with lambda = -a w^2/2 on the half-line).
    Z(z, w0) = int_0^oo exp(-A w^2/2 + b w) dw = sqrt(2 pi / A) e^{b^2/(2A)} Phi(b/sqrt(A)),
    b = sqrt(qhat) z + Rhat w0, A = a + qhat fixed by the norm E <w^2> = 1.
    Damped fixed-point iteration, then (if it has not converged: critical slowing down as
    the version space closes, q -> 1) scipy's hybrid Powell root of the same map.
    Returns (q, R, qhat, Rhat, f) with f relative to its alpha = 0 value; VersionSpaceEmpty
    when q -> 1 (the labels are not separable with w >= 0)."""
    z, zw = gauss_hermite(Z_NODES)
    weff = (zw[:, None] * p0[None, :]).ravel()
    w0eff = np.broadcast_to(w0, (len(z), len(w0))).ravel()

    def update(q, R):
        if q > 1 - 1e-9:
            raise VersionSpaceEmpty(f"q -> 1 at alpha = {alpha:g}: no w >= 0 fits the teacher's labels")
        _, dq, dr = gibbs_energetic_terms(q, R, **channel)
        qh, rh = -2 * alpha * dq, alpha * dr
        if not (np.isfinite(qh) and qh > 0):
            raise VersionSpaceEmpty(f"q -> 1 at alpha = {alpha:g}: no w >= 0 fits the teacher's labels")
        b = (np.sqrt(qh) * z[:, None] + rh * w0[None, :]).ravel()

        def norm_gap(log_a):
            mean, var = _truncated_moments(b, np.exp(log_a))
            return weff @ (var + mean ** 2) - 1.0

        hi = max(20.0, np.log(qh) + 20.0)      # A = a + qhat grows with qhat as q -> 1
        try:
            A = np.exp(optimize.brentq(norm_gap, -20.0, hi, xtol=1e-14))
        except ValueError:
            if q > 0.99:
                raise VersionSpaceEmpty(f"q -> 1 at alpha = {alpha:g}: no w >= 0 fits the teacher's labels") from None
            raise
        mean, _ = _truncated_moments(b, A)
        return weff @ mean ** 2, weff @ (mean * w0eff), (qh, rh, A, b)

    def result(q, R, extra):
        qh, rh, A, b = extra
        c = b / np.sqrt(A)
        log_z = 0.5 * np.log(2 * np.pi / A) + b * b / (2 * A) + special.log_ndtr(c)
        f = (A - qh) / 2 + qh * q / 2 - rh * R + weff @ log_z + alpha * gibbs_energetic_terms(q, R, **channel)[0]
        f0 = 0.5 + 0.5 * np.log(2 * np.pi) - np.log(2.0)  # alpha = 0: A = 1, half-normal
        return q, R, qh, rh, f - f0

    q, R = start
    for _ in range(maxiter):
        q_new, r_new, extra = update(q, R)
        if abs(q_new - q) < tol and abs(r_new - R) < tol:
            return result(q_new, r_new, extra)
        q = (1 - damping) * q + damping * min(q_new, 1 - 1e-12)
        R = min((1 - damping) * R + damping * r_new, np.sqrt(q) * (1 - 1e-12))
    # fixed point in u = log(1 - q) (keeps q < 1) and R
    sol = optimize.root(lambda v: np.array(update(1 - np.exp(v[0]), v[1])[:2]) - [1 - np.exp(v[0]), v[1]],
                        [np.log(1 - q), R], method="hybr", tol=1e-13)
    if sol.success:
        q, R = 1 - np.exp(sol.x[0]), sol.x[1]
        q_new, r_new, extra = update(q, R)
        if abs(q_new - q) < 1e-9 and abs(r_new - R) < 1e-9:
            return result(q_new, r_new, extra)
    raise ArithmeticError(f"sign-constrained Gibbs fixed point not converged at alpha={alpha} (q={q:.6g}, R={R:.6g})")


# ---------------------------------------------------------------- Gibbs, soft-prior (Bayesian) student
def gibbs_soft_prior(alpha, ws, ps, w0, p0, start=(1.0, 0.3, 0.3), damping=0.5, tol=1e-10, maxiter=5000,
                     **channel):
    """Gibbs learning with a soft prior P_S on the student's weights (THEORY.md E1 soft form):
    the norm Q is an order parameter with conjugate Qhat,
        G_S = extr [Qhat Q/2 + qhat q/2 - Rhat R + E log sum_j ps_j e^{-(Qhat+qhat) w_j^2/2 + (sqrt(qhat) z + Rhat w0) w_j}],
    and G_E depends on the normalised overlaps q/Q, R/sqrt(Q).  Damped fixed point of
    Qhat = -2 alpha dG_E/dQ, qhat = -2 alpha dG_E/dq, Rhat = alpha dG_E/dR, then
    Q = E<w^2>, q = E<w>^2, R = E<w> w0.  Returns (Q, q, R, free entropy relative to P_S)."""
    z, zw = gauss_hermite(Z_NODES)
    weff = (zw[:, None] * p0[None, :]).ravel()
    w0eff = np.broadcast_to(w0, (len(z), len(w0))).ravel()
    logp = np.log(ps)

    def ge(Q, q, R):
        return gibbs_energetic_terms(q / Q, R / np.sqrt(Q), **channel)[0]

    Q, q, R = start
    h = 1e-6
    for _ in range(maxiter):
        dQ = (ge(Q + h, q, R) - ge(Q - h, q, R)) / (2 * h)
        dq = (ge(Q, q + h, R) - ge(Q, q - h, R)) / (2 * h)
        dR = (ge(Q, q, R + h) - ge(Q, q, R - h)) / (2 * h)
        Qh, qh, Rh = -2 * alpha * dQ, -2 * alpha * dq, alpha * dR
        b = (np.sqrt(qh) * z[:, None] + Rh * w0[None, :]).ravel()
        logits = logp[None, :] - (Qh + qh) * ws[None, :] ** 2 / 2 + b[:, None] * ws[None, :]
        top = logits.max(axis=1, keepdims=True)
        post = np.exp(logits - top)
        norm = post.sum(axis=1, keepdims=True)
        post /= norm
        mean, second = post @ ws, post @ ws ** 2
        Q_new, q_new, R_new = weff @ second, weff @ mean ** 2, weff @ (mean * w0eff)
        if max(abs(Q_new - Q), abs(q_new - q), abs(R_new - R)) < tol:
            logz = top[:, 0] + np.log(norm[:, 0])
            f = Qh * Q / 2 + qh * q / 2 - Rh * R + weff @ logz + alpha * ge(Q, q, R)
            return Q_new, q_new, R_new, f
        Q = (1 - damping) * Q + damping * Q_new
        q = min((1 - damping) * q + damping * q_new, Q * (1 - 1e-12))
        R = min((1 - damping) * R + damping * R_new, np.sqrt(q) * (1 - 1e-12))
    raise ArithmeticError(f"soft-prior Gibbs fixed point not converged at alpha={alpha}")
