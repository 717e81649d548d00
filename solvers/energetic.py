"""The energetic term of the Gardner volume and its derivatives (THEORY.md E1, E2).

    G_E(q)  = int Dt log H(u),           u = (kappa - sqrt(q) t) / sqrt(1 - q)
    J(q)    = int Dt g(u)^2,             g = phi / H      (qh = alpha J / (1 - q), E2)
    K(q)    = int Dt [g (g - u)]^2       (energetic factor of the AT replicon, E4)

Float64 versions use graded Gauss-Legendre panels around the kink t = kappa / sqrt(q), of
width sqrt(1 - q) / sqrt(q), so they stay accurate as q -> 1; mp versions use mp.quad with
the kink as a breakpoint.
"""
from __future__ import annotations

import mpmath as mp
import numpy as np

from .gaussian import g_ratio, graded_panels, log_H, mp_g_ratio, mp_H, mp_phi


def energetic_terms(q: float, kappa: float, one_minus_q: float | None = None):
    """(G_E, J, K) at overlap q in float64.  `one_minus_q`, when the caller has it to more
    relative digits than 1 - q (q -> 1), is used for sqrt(1 - q)."""
    omq = 1.0 - q if one_minus_q is None else float(one_minus_q)
    if not (0.0 <= q <= 1.0 and omq > 0.0):
        raise ValueError(f"q must be in [0, 1), got {q}")
    sq = np.sqrt(max(q, 1e-300))
    t, w = graded_panels(kappa / sq if q > 0 else 0.0, np.sqrt(omq) / sq if q > 0 else 1.0)
    u = (kappa - sq * t) / np.sqrt(omq)
    g = g_ratio(u)
    return float(w @ log_H(u)), float(w @ (g * g)), float(w @ (g * (g - u)) ** 2)


def mp_energetic_terms(q, kappa):
    """(G_E, J, K) at overlap q at the current mp precision."""
    q, kappa = mp.mpf(q), mp.mpf(kappa)
    sq, s1 = mp.sqrt(q), mp.sqrt(1 - q)
    kink = kappa / sq if q > 0 else mp.mpf(0)
    width = s1 / sq if q > 0 else mp.mpf(1)
    # breakpoints inside |t| <= 40 only: a kink far out (kappa/sqrt(q) at small q) must not
    # stretch the panels over the Gaussian bump (mp.quad then returns 0)
    inner = [kink - 8 * width, kink, kink + 8 * width] if q > 0 else []
    pts = [-mp.inf] + sorted({mp.mpf(0)} | {p for p in inner if abs(p) < 40}) + [mp.inf]

    def u(t):
        return (kappa - sq * t) / s1

    ge = mp.quad(lambda t: mp.log(mp_H(u(t))) * mp_phi(t), pts)
    jj = mp.quad(lambda t: mp_g_ratio(u(t)) ** 2 * mp_phi(t), pts)
    kk = mp.quad(lambda t: (mp_g_ratio(u(t)) * (mp_g_ratio(u(t)) - u(t))) ** 2 * mp_phi(t), pts)
    return ge, jj, kk
