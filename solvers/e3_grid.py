"""E3 in double precision for many priors at once (phase diagrams, dense sweeps).

    alpha_c(kappa) = rho^2 / I(kappa),   rho = sum_m g_m E z T_m / sqrt(sum_m g_m E T_m^2)

(THEORY.md E3, groups summed).  For a continuous part E z T and E T^2 are integrals in z
of smooth functions (T = F^{-1} o Phi is smooth inside the support), done by composite
Gauss-Legendre panels on [-L, L] with the prior's float64 transport `np_transport`
(each side from its own tail, so T stays finite at |z| ~ 10).  L grows until the
integrand at +-L is below 1e-17 of the integral (heavy tails: lognormal e^{sigma z}
moves the mass to z ~ sigma).  The error estimate is the change when the panels are
halved.  Atoms use E3's exact finite sum E z T = sum_k (a_{k+1} - a_k) psi(F_k),
psi = phi o Phi^{-1}.  A prior with both atoms and continuous parts falls back to the
mpmath path at 17 digits (slow, ~0.1-0.5 s, but exact to float64).

The prior is rescaled to unit second moment in mp first (`Prior.normalized`), and E z T is
integrated as E z (T(z) - T(0)).  The float64 result must pass the bounds of
`solvers.capacity.check_factors` (finite, E T^2 = 1, 0 < rho <= sd/rms); where it does not
(lognormal sigma > ~26 overflows e^{2 sigma z}, a location 1e308 times the width rounds
T(z) - T(0) to 0) the mpmath path at 17 digits is used instead, and its result must pass
them too (BoundViolation otherwise).

The mpmath solver (`solvers.capacity`) is the reference: the tests compare the two.
"""
from __future__ import annotations

import dataclasses

import mpmath as mp
import numpy as np
from scipy import special

from .capacity import BoundViolation, check_factors, gardner_I_np, transport_factors

GL_ORDER = 8
PANEL = 0.5
L_START, L_MAX = 10.0, 60.0
_GL_X, _GL_W = np.polynomial.legendre.leggauss(GL_ORDER)


def _nodes(L, panel):
    edges = np.arange(-L, L + panel / 2, panel)
    a, b = edges[:-1, None], edges[1:, None]
    z = (0.5 * (b - a) * _GL_X + 0.5 * (a + b)).ravel()
    wz = (0.5 * (b - a) * _GL_W).ravel() * np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)
    return z, wz


def _continuous_moments(part, panel):
    """(E z T, E T^2, sd(T), rounding error of E z T, L) of one continuous law by panels of
    width `panel`; E z T = E z (T - T(0)) so that a location far from 0 does not cancel."""
    L = L_START
    with np.errstate(all="ignore"):
        t0 = float(part.np_transport(np.array([0.0]))[0])
        while True:
            z, wz = _nodes(L, panel)
            t = part.np_transport(z)
            d = t - t0
            ez = float(np.sum(wz * z * d))
            et2 = float(np.sum(wz * t * t))
            m1 = float(np.sum(wz * d))
            sd = float(np.sqrt(max(float(np.sum(wz * d * d)) - m1 * m1, 0.0)))
            rounding = 4e-16 * float(np.sum(np.abs(wz * z * t)))
            edge = max(abs(wz[0] * t[0] * t[0]), abs(wz[-1] * t[-1] * t[-1]), abs(wz[0] * z[0] * t[0]),
                       abs(wz[-1] * z[-1] * t[-1]))
            if np.isfinite(et2) and edge <= 1e-17 * max(et2, abs(ez)) or L >= L_MAX:
                return ez, et2, sd, rounding, L
            L *= 1.5


def atom_moments(values, probs):
    """(E z T, E T^2) of a discrete law, exact finite sum (E3)."""
    a = np.array([float(v) for v in values])
    p = np.array([float(x) for x in probs])
    p = p / p.sum()
    cum = np.cumsum(p)[:-1]
    tail = p[::-1].cumsum()[::-1][1:]            # 1 - cum without cancellation
    u = np.minimum(cum, tail)
    psi = np.exp(-0.5 * special.ndtri(u) ** 2) / np.sqrt(2 * np.pi)
    return float(np.sum(np.diff(a) * psi)), float(p @ a ** 2)


@dataclasses.dataclass(frozen=True)
class RhoResult:
    rho: float          # E z T / sqrt(E T^2), summed over groups
    error: float        # estimated absolute error of rho
    method: str


def _rho_mp(unit, why):
    with mp.workdps(17):
        fac = transport_factors(unit)
        err = max(float(fac.quad_error), 1e-15 * float(fac.rho))
        check_factors(fac, mp.mpf(err) + mp.eps * fac.rho)
    if float(fac.rho) == 0:   # below the float64 range (lognormal sigma = 100: 3e-2170)
        return RhoResult(0.0, 5e-324, f"mpmath E3 at 17 digits ({why}); rho = {mp.nstr(fac.rho, 6)} underflows float64")
    return RhoResult(float(fac.rho), err, f"mpmath E3 at 17 digits ({why})")


def rho_np(prior) -> RhoResult:
    """rho of E3 for one prior (spec already parsed), float64 with an error estimate."""
    with mp.workdps(20):
        unit = prior.normalized()
    parts = unit.groups
    if any(p.has_atoms and p.parts for _, p in parts) or any(len(p.parts) > 1 for _, p in parts):
        return _rho_mp(unit, "atoms + parts")
    if not all(getattr(p.parts[0], "accurate_float_transport", False) for _, p in parts if p.parts):
        return _rho_mp(unit, "no float64 transport map to rounding accuracy")
    res = []
    for panel in (PANEL, PANEL / 2):
        ez, et2, sd, rounding = 0.0, 0.0, 0.0, 0.0
        for g, p in parts:
            g = float(g)
            if p.is_discrete:
                e1, e2 = atom_moments(p.values, p.probs)
                vals = np.array([float(v) for v in p.values])
                probs = np.array([float(x) for x in p.probs])
                s1 = float(np.sqrt(max(e2 - float(probs @ vals) ** 2, 0.0)))
                r1 = 4e-16 * abs(e1)
            else:
                e1, e2, s1, r1, _ = _continuous_moments(p.parts[0], panel)
            ez += g * e1
            et2 += g * e2
            sd += g * s1
            rounding += g * r1
        with np.errstate(all="ignore"):
            res.append((ez / np.sqrt(et2), et2, sd / np.sqrt(et2), rounding / np.sqrt(et2)))
    (rho0, _, _, _), (rho, et2, bound, rounding) = res
    err = abs(rho - rho0) + rounding + 4e-16 * abs(rho)
    try:
        with mp.workdps(17):
            check_factors(TransportFactorsView(rho, et2, bound), mp.mpf(err) if np.isfinite(err) else mp.inf)
    except BoundViolation as exc:
        return _rho_mp(unit, f"the float64 panels failed a bound: {exc}")
    return RhoResult(float(rho), float(err), "float64 Gauss-Legendre panels in z (error: panels halved + rounding)")


def TransportFactorsView(rho, et2, bound):
    """The fields `check_factors` reads, from float64 numbers (a bound of 1 + 1e-8 slack
    on sd/rms: the float sd is itself rounded)."""
    from .capacity import TransportFactors

    f = lambda x: mp.mpf(float(x)) if np.isfinite(x) else mp.mpf(float(x)) if np.isinf(x) else mp.nan  # noqa: E731
    return TransportFactors(f(rho), f(et2), f(rho), mp.mpf(0), mp.mpf(0), f(bound) * (1 + mp.mpf("1e-8")) + mp.mpf("1e-12"))


def alpha_c_np(prior, kappas):
    """alpha_c(kappa) = rho^2 / I(kappa) (E3) and its error, vectorised over kappa."""
    r = rho_np(prior)
    inv_i = 1.0 / gardner_I_np(kappas)
    return r.rho ** 2 * inv_i, 2 * r.rho * r.error * inv_i
