"""Capacity of a distribution-constrained perceptron in closed form (THEORY.md E3).

    alpha_c(kappa) = [sum_m g_m E z T_m]^2 / ( [sum_m g_m E T_m^2] * I(kappa) ),
    I(kappa) = int_{-kappa}^inf Dt (t + kappa)^2 = (1 + kappa^2) Phi(kappa) + kappa phi(kappa).

A single prior is one group with g = 1.  Dividing by sum g E T^2 is the rescaling to unit
second moment (THEORY.md section 1), so the prior may be passed in any units.

Precision: every number is computed at `dps` + guard digits and again at `dps` + 10 + guard;
the error estimate is the larger of their difference and the quadrature's own estimate.
Laws on the lattice trapezoid (`solvers.transport.on_lattice`) are integrated once: that
rule's estimate already holds its rounding check at 10 more digits.
"""
from __future__ import annotations

import dataclasses

import mpmath as mp
import numpy as np
from scipy import special

from .gaussian import mp_phi, mp_Phi
from .transport import ez_transport, on_lattice, second_moment

GUARD = 5  # extra working digits so the returned digits are all correct


def gardner_I(kappa):
    """I(kappa) of E3 in closed form, at the current precision."""
    k = mp.mpf(kappa)
    return (1 + k * k) * mp_Phi(k) + k * mp_phi(k)


def gardner_I_np(kappa):
    """I(kappa), float64 and vectorised."""
    k = np.asarray(kappa, dtype=float)
    return (1 + k * k) * special.ndtr(k) + k * np.exp(-k * k / 2) / np.sqrt(2 * np.pi)


class BoundViolation(ArithmeticError):
    """A computed E3 quantity outside what the theory allows: the number is withheld
    (`replica` reports it as refused, exit 3)."""


@dataclasses.dataclass(frozen=True)
class TransportFactors:
    """The prior-only part of E3: rho = sum g E zT / sqrt(sum g E T^2) (so that
    alpha_c = rho^2 / I(kappa)), W2 = sqrt(2 (1 - rho)) to N(0,1) after normalising, and
    the Cauchy-Schwarz bound on rho: E z T = E z (T - E T) <= sd(T) per group, so
    rho <= bound = sum g sd_m / sqrt(sum g E T_m^2) <= 1, with equality iff every group
    is Gaussian (T affine)."""

    ez_t: mp.mpf     # sum_m g_m E z T_m (prior's own units)
    et2: mp.mpf      # sum_m g_m E T_m^2
    rho: mp.mpf
    w2: mp.mpf
    quad_error: mp.mpf
    bound: mp.mpf = mp.mpf(1)


def transport_factors(prior) -> TransportFactors:
    """E3's prior factors at the current mp precision, for the prior as passed (the
    callers pass it at unit scale, `normalized`, so that no integral depends on units)."""
    ez, et2, qerr, sd = mp.mpf(0), mp.mpf(0), mp.mpf(0), mp.mpf(0)
    for g, part in prior.groups:
        g = mp.mpf(g)
        val, err = ez_transport(part, error=True)
        m2 = second_moment(part)
        ez += g * val
        et2 += g * m2
        # sd from E w^2 - (E w)^2, which cancels for a narrow law far from 0: the slack
        # 1e4 eps E w^2 keeps the bound an upper bound (it only has to catch gross errors)
        sd += g * mp.sqrt(max(m2 - part.moment(1) ** 2, mp.mpf(0)) + 10 ** 4 * mp.eps * m2)
        # laws evaluated from float64 tables declare the floor of their accuracy
        floor = max((getattr(c, "precision_floor", 0) for c in getattr(part, "parts", ())), default=0)
        qerr += g * (abs(err) + floor)
    rho = ez / mp.sqrt(et2)
    return TransportFactors(ez, et2, rho, mp.sqrt(max(2 * (1 - rho), mp.mpf(0))), qerr / mp.sqrt(et2),
                            sd / mp.sqrt(et2))


def check_factors(fac: TransportFactors, rho_err, what="E3"):
    """The bounds every E3 result must satisfy, given the estimated absolute error of rho:
    finite, 0 < rho (T increasing and not constant: E z T = Cov(z, T) > 0) and
    rho <= bound <= 1 (Cauchy-Schwarz, `TransportFactors`).  BoundViolation names the bound."""
    rho = fac.rho
    if not (mp.isfinite(rho) and mp.isfinite(rho_err) and mp.isfinite(fac.et2)):
        raise BoundViolation(f"{what}: a transport integral is not finite (E z T = {mp.nstr(fac.ez_t, 6)}, "
                             f"E T^2 = {mp.nstr(fac.et2, 6)})")
    if abs(fac.et2 - 1) > mp.mpf(10) ** (-mp.mp.dps // 2):
        raise BoundViolation(f"{what}: the prior rescaled to unit second moment has E w^2 = {mp.nstr(fac.et2, 10)}")
    tol = rho_err + 8 * mp.eps
    if rho > fac.bound + tol:
        raise BoundViolation(f"{what}: E z T = {mp.nstr(rho, 10)} exceeds the Cauchy-Schwarz bound "
                             f"sd(w)/sqrt(E w^2) = {mp.nstr(fac.bound, 10)} (error estimate {mp.nstr(rho_err, 3)}): "
                             "the transport integral is wrong")
    if not rho > rho_err:
        raise BoundViolation(f"{what}: E z T = {mp.nstr(rho, 6)} is not resolved above its error "
                             f"{mp.nstr(rho_err, 3)} (E z T > 0 for every prior that is not a point mass)")


def half_ulp(x, digits: int):
    """Half a unit in the last of `digits` significant digits of x: the rounding error of
    printing x with that many digits (mp.nstr)."""
    if not x:
        return mp.mpf(0)
    return mp.mpf(10) ** (int(mp.floor(mp.log10(abs(x)))) - digits + 1) / 2


@dataclasses.dataclass(frozen=True)
class CapacityE3:
    kappa: mp.mpf
    alpha_c: mp.mpf
    ez_t: mp.mpf       # E z T for the normalised prior (= rho)
    w2: mp.mpf
    error: mp.mpf      # bound on the absolute error of alpha_c printed with dps digits
    dps: int
    w2_error: mp.mpf = mp.mpf(0)   # estimated absolute error of w2
    rho_error: mp.mpf = mp.mpf(0)  # estimated absolute error of ez_t
    method: str = "E3 closed form (mp.quad, dps and dps+10 compared)"


E3_LATTICE = "E3 closed form (lattice trapezoid in z, its rounding checked at dps+10)"
E3_ATOMS = "E3 closed form (sum over the atoms' quantile steps, dps and dps+10 compared)"


def capacity_e3(prior, kappas, dps: int = 30):
    """alpha_c(kappa) of E3 for each kappa, with error estimates.  The prior is rescaled
    to unit second moment first (exactly, in its parameters where the family allows), and
    its factors are computed once per precision and shared across the kappa sweep.

    Error estimate (an upper bound in the tests against closed forms): the internal error
    max(|value at dps+GUARD - value at dps+10+GUARD|, the quadrature's own estimate,
    1 unit at dps+GUARD), plus half a unit in the dps-th digit (the printed value is
    rounded to dps significant digits).  Every result passes `check_factors` and
    alpha_c <= bound^2 / I(kappa) <= alpha_Gardner(kappa); BoundViolation otherwise."""
    kappas = list(kappas)
    with mp.workdps(dps + 10 + GUARD):
        unit = prior.normalized()
    with mp.workdps(dps + GUARD):
        fac = transport_factors(unit)
    lattice = all(on_lattice(part) for _, part in unit.groups)
    atoms = all(part.is_discrete for _, part in unit.groups)
    if lattice:
        # the lattice trapezoid checks its own rounding (10 more digits at sample points,
        # `_ez_lattice`): no second run; the second moments (closed forms) are compared
        with mp.workdps(dps + 10 + GUARD):
            m2_hi = mp.fsum(mp.mpf(g) * second_moment(part) for g, part in unit.groups)
            fac_hi = dataclasses.replace(fac, rho=fac.ez_t / mp.sqrt(m2_hi))
            hi = [fac_hi.rho ** 2 / gardner_I(k) for k in kappas]
    else:
        with mp.workdps(dps + 10 + GUARD):
            fac_hi = transport_factors(unit)
            hi = [fac_hi.rho ** 2 / gardner_I(k) for k in kappas]
    out = []
    with mp.workdps(dps + GUARD):
        rho_err = abs(fac.rho - fac_hi.rho) + fac.quad_error + mp.eps * fac_hi.rho
        check_factors(fac_hi, rho_err)
        w2 = fac_hi.w2
        w2_err = rho_err / w2 if w2 > mp.sqrt(2 * rho_err) else mp.sqrt(2 * rho_err)
        for k, b in zip(kappas, hi):
            i_k = gardner_I(k)
            a = fac.rho ** 2 / i_k
            internal = max(abs(a - b), 2 * b * rho_err / fac_hi.rho, mp.mpf(10) ** (-dps - GUARD + 1) * b)
            err = internal + half_ulp(b, dps)
            if not (mp.isfinite(b) and b <= fac_hi.bound ** 2 / i_k + err):
                raise BoundViolation(f"E3: alpha_c = {mp.nstr(b, 10)} exceeds the bound "
                                     f"(sd/rms)^2 / I(kappa) = {mp.nstr(fac_hi.bound ** 2 / i_k, 10)}")
            out.append(CapacityE3(mp.mpf(k), b, fac_hi.rho, w2, err, dps, w2_err, rho_err,
                                  *((E3_LATTICE,) if lattice else (E3_ATOMS,) if atoms else ())))
    return out


def capacity_e3_np(prior, kappas):
    """Double-precision E3 sweep: the prior factors once (mp at 17 digits), I(kappa) vectorised."""
    with mp.workdps(17):
        fac = transport_factors(prior.normalized())
    return float(fac.rho) ** 2 / gardner_I_np(kappas)
