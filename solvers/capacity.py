"""Capacity of a distribution-constrained perceptron in closed form (THEORY.md E3).

    alpha_c(kappa) = [sum_m g_m E z T_m]^2 / ( [sum_m g_m E T_m^2] * I(kappa) ),
    I(kappa) = int_{-kappa}^inf Dt (t + kappa)^2 = (1 + kappa^2) Phi(kappa) + kappa phi(kappa).

A single prior is one group with g = 1.  Dividing by sum g E T^2 is the rescaling to unit
second moment (THEORY.md section 1), so the prior may be passed in any units.

Precision: every number is computed at `dps` + guard digits and again at `dps` + 10 + guard;
the error estimate is the larger of their difference and the quadrature's own estimate.
"""
from __future__ import annotations

import dataclasses

import mpmath as mp
import numpy as np
from scipy import special

from .gaussian import mp_phi, mp_Phi
from .transport import ez_transport, second_moment

GUARD = 5  # extra working digits so the returned digits are all correct


def gardner_I(kappa):
    """I(kappa) of E3 in closed form, at the current precision."""
    k = mp.mpf(kappa)
    return (1 + k * k) * mp_Phi(k) + k * mp_phi(k)


def gardner_I_np(kappa):
    """I(kappa), float64 and vectorised."""
    k = np.asarray(kappa, dtype=float)
    return (1 + k * k) * special.ndtr(k) + k * np.exp(-k * k / 2) / np.sqrt(2 * np.pi)


def _groups(prior):
    """[(fraction, prior)] for a group prior, [(1, prior)] otherwise."""
    return list(getattr(prior, "groups", None) or [(mp.mpf(1), prior)])


@dataclasses.dataclass(frozen=True)
class TransportFactors:
    """The prior-only part of E3: rho = sum g E zT / sqrt(sum g E T^2) (so that
    alpha_c = rho^2 / I(kappa)), and W2 = sqrt(2 (1 - rho)) to N(0,1) after normalising."""

    ez_t: mp.mpf     # sum_m g_m E z T_m (prior's own units)
    et2: mp.mpf      # sum_m g_m E T_m^2
    rho: mp.mpf
    w2: mp.mpf
    quad_error: mp.mpf


def transport_factors(prior) -> TransportFactors:
    """E3's prior factors at the current mp precision."""
    ez, et2, qerr = mp.mpf(0), mp.mpf(0), mp.mpf(0)
    for g, part in _groups(prior):
        g = mp.mpf(g)
        val, err = ez_transport(part, error=True)
        ez += g * val
        et2 += g * second_moment(part)
        # laws evaluated from float64 tables declare the floor of their accuracy
        floor = max((getattr(c, "precision_floor", 0) for c in getattr(part, "parts", ())), default=0)
        qerr += g * (abs(err) + floor)
    rho = ez / mp.sqrt(et2)
    return TransportFactors(ez, et2, rho, mp.sqrt(max(2 * (1 - rho), mp.mpf(0))), qerr / mp.sqrt(et2))


@dataclasses.dataclass(frozen=True)
class CapacityE3:
    kappa: mp.mpf
    alpha_c: mp.mpf
    ez_t: mp.mpf       # E z T for the normalised prior (= rho)
    w2: mp.mpf
    error: mp.mpf      # estimated absolute error of alpha_c
    dps: int


def capacity_e3(prior, kappas, dps: int = 30):
    """alpha_c(kappa) of E3 for each kappa, with error estimates.  The prior factors are
    computed once per precision and shared across the kappa sweep."""
    kappas = list(kappas)
    with mp.workdps(dps + GUARD):
        fac = transport_factors(prior)
        lo = [fac.rho ** 2 / gardner_I(k) for k in kappas]
    with mp.workdps(dps + 10 + GUARD):
        fac_hi = transport_factors(prior)
        hi = [fac_hi.rho ** 2 / gardner_I(k) for k in kappas]
    out = []
    with mp.workdps(dps + GUARD):
        for k, a, b in zip(kappas, lo, hi):
            err = max(abs(a - b), 2 * a * fac.quad_error / fac.rho, mp.mpf(10) ** (-dps - GUARD + 1) * a)
            out.append(CapacityE3(mp.mpf(k), b, fac_hi.rho, fac_hi.w2, err, dps))
    return out


def capacity_e3_np(prior, kappas):
    """Double-precision E3 sweep: the prior factors once (mp at 17 digits), I(kappa) vectorised."""
    with mp.workdps(17):
        fac = transport_factors(prior)
    return float(fac.rho) ** 2 / gardner_I_np(kappas)
