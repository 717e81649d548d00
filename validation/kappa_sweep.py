"""Max-margin kappa*(alpha) from simulation with a 1/N extrapolation (issue 6, first slice).

For each N and seed a random sample (Gaussian patterns, random labels) is solved by the QP
max-margin trainer; the mean over seeds at each N is fitted linearly in 1/N (weighted by
the standard errors) and the intercept, with its standard error, is compared with E3's
kappa_c(alpha): the kappa at which alpha_c(kappa) = alpha.
"""
from __future__ import annotations

import dataclasses

import numpy as np
from scipy import optimize

from solvers.capacity import gardner_I_np

from .extrapolation import extrapolate_1_over_n
from .max_margin import max_margin, random_sample

RHO2 = {"spherical": 1.0, "sign": 0.5}  # E3: (E zT)^2 for the Gaussian and rectified optimum


def theory_kappa(alpha, constraint="spherical"):
    """kappa with alpha_c(kappa) = rho^2 / I(kappa) = alpha (E3)."""
    rho2 = RHO2[constraint]
    return optimize.brentq(lambda k: rho2 / gardner_I_np(k) - alpha, -8.0, 20.0, xtol=1e-13)


@dataclasses.dataclass(frozen=True)
class SweepPoint:
    n: int
    alpha: float
    mean: float
    se: float
    n_separable: int
    n_samples: int
    seeds: tuple


def kappa_at(n, alpha, seeds, constraint="spherical"):
    ks = []
    for s in seeds:
        x, y = random_sample(n, alpha, np.random.default_rng(s))
        r = max_margin(x, y, sign_constrained=(constraint == "sign"))
        if r.kappa is not None:
            ks.append(r.kappa)
    ks = np.array(ks)
    se = ks.std(ddof=1) / np.sqrt(len(ks)) if len(ks) > 1 else np.inf
    return SweepPoint(n, alpha, float(ks.mean()), float(se), len(ks), len(seeds), tuple(seeds))


def extrapolate(points):
    """Weighted least squares of mean kappa against 1/N: (intercept, its standard error)."""
    return extrapolate_1_over_n([p.n for p in points], [p.mean for p in points], [p.se for p in points])
