"""One-parameter finite-size scaling of the stored fraction, fitted to all binomial counts.

Near a sharp threshold the probability that a random sample of size N is storable at load
alpha is a function of one scaled variable, P_N(alpha) = F((alpha - alpha_c) N^p).  With a
probit F of its own offset and width,

    P_N(alpha) = Phi((alpha_c + x0 N^-p - alpha) / (w0 N^-p)),

the half-point alpha_N = alpha_c + x0 N^-p and the width w0 N^-p shrink with the same power.
The width is measured at every N, so the data fix p (the crossing points alone do not:
`extrapolation.power_scan`).  A fixed point P_N(alpha_c) = Phi(x0/w0), the same at every N,
is the signature; F(0) need not be 1/2, which is why the half-points drift.  The control
with a known limit (Gaussian targets under swap annealing, E3 = 2) gives alpha_c = 2.004 +-
0.016 with p = 0.60 +- 0.08 (validation/results/README.md).

Maximum likelihood over (alpha_c, x0, log w0, p); standard errors from the observed
information; the deviance against the saturated model is the goodness of fit.
"""
from __future__ import annotations

import dataclasses

import numpy as np
from scipy import optimize, special


def observed_information_inverse(nll, theta, steps):
    """Inverse of the Hessian of nll at theta (central differences): the ML covariance.
    None when the Hessian is singular or not positive definite."""
    k = len(theta)
    hess = np.empty((k, k))
    for i in range(k):
        for j in range(k):
            e_i, e_j = np.eye(k)[i] * steps[i], np.eye(k)[j] * steps[j]
            hess[i, j] = (nll(theta + e_i + e_j) - nll(theta + e_i - e_j) - nll(theta - e_i + e_j)
                          + nll(theta - e_i - e_j)) / (4 * steps[i] * steps[j])
    try:
        cov = np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        return None
    return cov if np.all(np.diag(cov) > 0) else None


@dataclasses.dataclass(frozen=True)
class ScalingFit:
    alpha_c: float        # the N -> oo threshold
    se: float             # its standard error
    power: float          # p: shift and width ~ N^-p
    power_se: float
    offset: float         # x0: alpha_N - alpha_c = x0 N^-p
    width: float          # w0: width = w0 N^-p
    deviance: float       # against the saturated model (~ chi^2 with dof degrees of freedom)
    dof: int

    @property
    def fixed_point_fraction(self):
        """P_N(alpha_c), the same at every N under the scaling form."""
        return float(special.ndtr(self.offset / self.width))

    def __iter__(self):          # (value, se) unpacking, like extrapolation.Extrapolation
        return iter((self.alpha_c, self.se))


def fit_scaling(ns, alphas, stored, total, start=None, powers=(0.3, 0.5, 0.8, 1.2)):
    """ML fit of the scaling form to counts `stored` of `total` at (ns[i], alphas[i]).
    Needs three sizes or more (with two, p and x0 trade off); returns None otherwise or when
    the fit does not converge to an interior optimum (p in (0.05, 3))."""
    n, a, k, m = (np.asarray(v, float) for v in (ns, alphas, stored, total))
    if len(set(n.tolist())) < 3:
        return None

    def z_of(th):
        ac, x0, log_w, p = th
        return (ac + x0 * n ** -p - a) / (np.exp(log_w) * n ** -p)

    def nll(th):
        z = z_of(th)
        return -float(np.sum(k * special.log_ndtr(z) + (m - k) * special.log_ndtr(-z)))

    a0 = float(np.median(a)) if start is None else float(start)
    span = float(a.max() - a.min()) or 1.0
    best = None
    for p0 in powers:       # a few starts: the likelihood is flat along x0 ~ p
        scale = np.median(n) ** p0
        res = optimize.minimize(nll, [a0, 0.0, np.log(span / 4 * scale), p0], method="Nelder-Mead",
                                options={"xatol": 1e-9, "fatol": 1e-11, "maxiter": 40000, "maxfev": 80000})
        if best is None or res.fun < best.fun:
            best = res
    th = best.x
    if not (best.success and 0.05 < th[3] < 3.0):
        return None
    cov = observed_information_inverse(nll, th, np.array([1e-4 * span, 1e-3 * max(1.0, abs(th[1])), 1e-3, 1e-3]))
    if cov is None:
        return None
    prob = np.clip(special.ndtr(z_of(th)), 1e-300, 1 - 1e-16)
    with np.errstate(divide="ignore", invalid="ignore"):
        dev = 2 * np.sum(np.where(k > 0, k * np.log(k / (m * prob)), 0.0)
                         + np.where(m > k, (m - k) * np.log((m - k) / (m * (1 - prob))), 0.0))
    return ScalingFit(float(th[0]), float(np.sqrt(cov[0, 0])), float(th[3]), float(np.sqrt(cov[3, 3])),
                      float(th[1]), float(np.exp(th[2])), float(dev), len(n) - 4)
