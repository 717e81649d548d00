"""A whole q(alpha) row of the finite-alpha RS saddle point at once (THEORY.md E1, E2, E4),
for phase diagrams.

The saddle point is explicit in qh (`rs_point`: alpha(qh), q(qh), free entropy, AT
eigenvalue), while a fixed alpha needs a root search over qh (`point_at_alpha`, several
`rs_point` calls each).  Here the curve is sampled on a geometric qh grid spanning the
requested alphas, warm-starting each Lagrange solve from the previous one, and every
output is interpolated in alpha by monotone cubic (PCHIP) pieces: alpha(qh) and q(qh)
increase together.  The interpolation error is measured, not assumed: direct solves at
three alphas of the row are compared with the interpolant, and the grid is doubled until
they agree to `tol` (or the error is reported as it is).
"""
from __future__ import annotations

import dataclasses

import numpy as np
from scipy import interpolate

from .rs_saddle import ConvergenceError, alpha_rs_limit, point_at_alpha, rs_point

FIELDS = ("q", "qh", "free_entropy", "entropy", "at_eigenvalue")


@dataclasses.dataclass
class CurveRow:
    alphas: np.ndarray
    values: dict            # field -> array over alphas (nan where not defined)
    beyond: np.ndarray      # alpha >= alpha_rs of the measure: q = 1
    error: float            # max |q_interpolated - q_direct| at the check points
    samples: int            # qh grid size used
    alpha_rs: float


def _interp(x, y):
    return interpolate.PchipInterpolator(x, y, extrapolate=False)


def curve_row(measures, kappa, alphas, shannon=None, samples=40, tol=1e-7, max_doublings=2) -> CurveRow:
    alphas = np.asarray(alphas, dtype=float)
    a_rs = alpha_rs_limit(measures, kappa)
    out = {f: np.full(len(alphas), np.nan) for f in FIELDS}
    beyond = alphas >= a_rs * (1 - 1e-9)
    out["q"][beyond] = 1.0
    zero = alphas <= 0
    if np.any(zero):   # alpha = 0: q = E_P[w]^2 summed over groups, qh = 0, f = 0 (relative to the prior)
        out["q"][zero] = sum(m.frac * float(m.p @ m.w) ** 2 for m in measures)
        out["qh"][zero] = out["free_entropy"][zero] = 0.0
        if shannon is not None:
            out["entropy"][zero] = shannon
    inside = ~beyond & ~zero
    if not np.any(inside):
        return CurveRow(alphas, out, beyond, 0.0, 0, a_rs)
    a_in = alphas[inside]
    lo = point_at_alpha(measures, float(a_in.min()), kappa, shannon)
    hi = None
    top = float(a_in.max())
    while hi is None:       # the largest alpha may sit too close to alpha_rs to resolve
        try:
            hi = point_at_alpha(measures, top, kappa, shannon, qh_guess=lo.qh)
        except (ValueError, ConvergenceError):
            top = 0.5 * (top + float(a_in.min())) if top > a_in.min() * 1.0001 else None
            if top is None:
                raise
    unresolved = inside & (alphas > top)
    inside &= ~unresolved
    a_in = alphas[inside]
    checks = np.unique(np.quantile(a_in, [0.0, 0.5, 1.0]))
    direct = {a: point_at_alpha(measures, float(a), kappa, shannon, qh_guess=lo.qh).q for a in checks}
    n = samples
    for _ in range(max_doublings + 1):
        qhs = np.geomspace(lo.qh * 0.97, hi.qh * 1.03, n)
        pts = [rs_point(measures, float(qh), kappa, shannon) for qh in qhs]
        x = np.array([p.alpha for p in pts])
        if np.any(np.diff(x) <= 0):
            raise ConvergenceError("alpha(qh) is not increasing along the sampled curve")
        fns = {"q": _interp(x, [p.q for p in pts]), "qh": _interp(x, qhs),
               "free_entropy": _interp(x, [p.free_entropy for p in pts]),
               "at_eigenvalue": _interp(x, [p.at_eigenvalue for p in pts])}
        if shannon is not None:
            fns["entropy"] = _interp(x, [p.entropy for p in pts])
        err = max(abs(float(fns["q"](a)) - q) for a, q in direct.items())
        if err <= tol:
            break
        n *= 2
    for f, fn in fns.items():
        out[f][inside] = fn(a_in)
    return CurveRow(alphas, out, beyond, float(err), n, a_rs)
