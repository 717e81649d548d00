"""Teacher-student generalization, replica symmetric, float64 (THEORY.md E5-E8).

Max-margin learning (E8, q -> 1, noise-free).  With h = z + rho w0 and M(rho) the largest
E[h w] over couplings of h with the student's weights,
    A(R) = min_rho [M(rho) - rho R],    E(R, kappa) = 2 int_{-oo}^{kappa} Dt H(-R t / sqrt(1-R^2)) (kappa - t)^2,
and the max-margin kappa is the largest with max_R [A(R)^2 - alpha E(R, kappa)] = 0.
M is convex in rho (a maximum of linear functions), so A is its Legendre transform: along
rho, R(rho) = M'(rho) = E[w0 w*(h)] (envelope theorem) and A = M - rho M'.  The whole
(R, A) curve comes from one sweep in rho; R stays below R_max = M'(oo), the largest
teacher-student overlap the student family can reach.

Gibbs learning (E5-E6) is written once against the Constraint and Channel protocols:
`solvers.constraints`, `solvers.channels`, `solvers.fixed_point`.
"""
from __future__ import annotations

import dataclasses

import numpy as np
from scipy import optimize, special

from .gaussian import H, gauss_hermite, phi

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


class GroupCoupling(Student):
    """E8's M(rho) of a student made of synapse groups: the fraction-weighted sum of each
    group's transport value (solvers.constraints.GroupDistribution)."""

    kind = "distribution"

    def __init__(self, w0, p0, parts):
        super().__init__(w0, p0)
        self.parts = [(float(f), st) for f, st in parts]

    def refined(self, n=160):
        for _, st in self.parts:
            st.refined(n)
        return self

    def M(self, rho):
        ms = [(f, st.M(rho)) for f, st in self.parts]
        return sum(f * m[0] for f, m in ms), sum(f * m[1] for f, m in ms)


def _e_rule(kappa, width, order=12):
    """Gauss-Legendre panels (`order` nodes each) on [-14, kappa], graded down to `width`
    around t = 0 where H(-R t / sqrt(1 - R^2)) steps (width sqrt(1-R^2)/R), with an edge at
    the kink t = kappa."""
    edges = [np.linspace(-14.0, kappa, 57)]
    if -14.0 < 0.0 < kappa + 14.0:
        steps = width * 2.0 ** np.arange(0, 40)
        steps = steps[steps < 14.0]
        edges.append(np.concatenate([[0.0], steps, -steps]))
    e = np.unique(np.concatenate(edges))
    e = e[(e >= -14.0) & (e <= kappa)]
    x, gw = np.polynomial.legendre.leggauss(order)
    half, mid = 0.5 * np.diff(e), 0.5 * (e[1:] + e[:-1])
    t = (mid[:, None] + half[:, None] * x).ravel()
    return t, (half[:, None] * gw).ravel() * phi(t)


def e_term(R, kappa, noise=0.0, flip=0.0, order=12, dR=False):
    """E(R, kappa) of E8 for a scalar or an array of R (one shared rule, vectorised).
    Output noise (E6 note): Gaussian sigma -> the outer H sees r = R / sqrt(1 + sigma^2);
    label flips with probability p -> the outer H becomes p + (1 - 2p) H.
    dR: dE/dR instead, from d/dr H(-r t/s) = phi(r t/s) t / s^3 (s = sqrt(1 - r^2)).
    `order`: nodes per panel (a second rule for error estimates)."""
    R = np.atleast_1d(np.asarray(R, float))
    c = 1.0 / np.sqrt(1.0 + noise ** 2)
    r = R * c
    s = np.sqrt(np.maximum(1.0 - r * r, 1e-300))
    t, w = _e_rule(kappa, float(np.min(s / np.maximum(r, 1e-12))), order)
    x = (r / s)[:, None] * t[None, :]
    if dR:
        outer = (1.0 - 2.0 * flip) * phi(x) * t[None, :] * (c / s ** 3)[:, None]
    else:
        outer = flip + (1.0 - 2.0 * flip) * H(-x)
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


def _largest_margin(objective, xtol, rtol=4 * np.finfo(float).eps):
    """The kappa where max_R [A^2 - alpha E] (decreasing in kappa) crosses 0 (E8), bracketed
    by doubling from [-1, 1]."""
    k_lo, k_hi = -1.0, 1.0
    while objective(k_hi) > 0:
        k_hi *= 2
    while objective(k_lo) < 0:
        k_lo *= 2
        if k_lo < -100:
            raise ArithmeticError("no margin found (the objective stays negative)")
    return optimize.brentq(objective, k_lo, k_hi, xtol=xtol, rtol=rtol)


def spherical_max_margin(alpha: float, E, E_R, r_tol=1e-15):
    """E8 for the spherical student with its exact A(R) = sqrt(1 - R^2), no curve: kappa is
    the largest margin with max_R [1 - R^2 - alpha E(R, kappa)] = 0, the max where
    -2 R = alpha dE/dR (both roots by brentq; F is concave in R).  `E`, `E_R`: the channel's
    E(R, kappa) and dE/dR."""
    lo, hi = 1e-12, 1.0 - 1e-12

    def r_star(kappa):
        g = lambda r: -2.0 * r - alpha * E_R(r, kappa)   # noqa: E731  (dF/dR, decreasing)
        if g(lo) <= 0:
            return lo
        if g(hi) >= 0:
            return hi
        return optimize.brentq(g, lo, hi, xtol=r_tol, rtol=1e-15)

    def best(kappa):
        r = r_star(kappa)
        return 1.0 - r * r - alpha * E(r, kappa), r

    kappa = _largest_margin(lambda k: best(k)[0], xtol=1e-15, rtol=1e-15)
    R = r_star(kappa)
    return MaxMarginPoint(alpha, kappa, R, float(np.arccos(np.clip(R, -1, 1)) / np.pi), float("nan"), 1.0,
                          kappa > 0)


def legendre_curve(student: Student, n=300):
    """(log rho, R, A) along a rho sweep; R increases to R_max."""
    lr = np.concatenate([[np.log(1e-6)], np.linspace(np.log(1e-3), np.log(1e4), n)])
    ms = np.array([student.M(np.exp(x)) for x in lr])
    R, A = ms[:, 1], ms[:, 0] - np.exp(lr) * ms[:, 1]
    return lr, R, A


def max_margin(student: Student, alpha: float, curve=None, noise=0.0, flip=0.0, E=None) -> MaxMarginPoint:
    """Max-margin kappa, R and eps_g at load alpha (E8).  The (R, A) curve is computed once
    (pass it in to reuse across alpha) and interpolated by cubic splines in log rho.
    `E(R, kappa)`: the channel's energetic term of E8 (default: `e_term` with noise, flip)."""
    from scipy.interpolate import CubicSpline

    if E is None:
        def E(R, kappa):
            return e_term(R, kappa, noise, flip)

    lr, Rs, As = curve if curve is not None else legendre_curve(student)
    r_spline, a_spline = CubicSpline(lr, Rs), CubicSpline(lr, As)
    ok = (As > 0) & (Rs > 0) & (Rs < 1 - 1e-12)
    r_max = float(Rs[-1])

    def objective(x, kappa):
        r, a = float(r_spline(x)), float(a_spline(x))
        # outside the curve's valid part: a finite floor (-inf made Brent's parabola step inf - inf)
        return a * a - alpha * E(r, kappa) if (a > 0 and 0 < r < 1) else -1e300

    def best(kappa):
        vals = np.full(len(Rs), -np.inf)
        vals[ok] = As[ok] ** 2 - alpha * E(Rs[ok], kappa)
        i = int(np.argmax(vals))
        lo, hi = lr[max(i - 1, 0)], lr[min(i + 1, len(lr) - 1)]
        res = optimize.minimize_scalar(lambda x: -objective(x, kappa), bounds=(lo, hi), method="bounded",
                                       options={"xatol": 1e-10})
        return (-res.fun, float(res.x)) if -res.fun >= vals[i] else (vals[i], float(lr[i]))

    kappa = _largest_margin(lambda k: best(k)[0], xtol=1e-12)
    _, x = best(kappa)
    R = float(r_spline(x))
    return MaxMarginPoint(alpha, kappa, R, float(np.arccos(np.clip(R, -1, 1)) / np.pi), float(np.exp(x)), r_max,
                          kappa > 0)
