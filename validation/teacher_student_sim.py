"""Teacher-student from simulation: max-margin students trained by QP (spherical or
sign-constrained) on labels of a teacher drawn from a prior; eps_g = arccos(R)/pi (E7)."""
from __future__ import annotations

import numpy as np

import replica

from .extrapolation import extrapolate_1_over_n
from .max_margin import max_margin


def max_margin_student(teacher_spec, n, alpha, seed, sign=False):
    rng = np.random.default_rng(seed)
    w0 = replica.prior(teacher_spec).sample(n, rng)
    w0 = w0 / np.sqrt(np.mean(w0 ** 2))
    p_ = int(round(alpha * n))
    x = rng.standard_normal((p_, n))
    y = np.sign(x @ w0)
    r = max_margin(x, y, sign_constrained=sign)
    R = float(r.w @ w0 / n)
    return {"R": R, "eps_g": float(np.arccos(np.clip(R, -1, 1)) / np.pi), "kappa": r.kappa}


def eps_curve(teacher_spec, ns, alpha, samples, sign=False):
    """Mean eps_g and its standard error at each N, and the weighted 1/N extrapolation."""
    rows = []
    for n in ns:
        e = np.array([max_margin_student(teacher_spec, n, alpha, s, sign)["eps_g"] for s in range(samples)])
        rows.append((n, float(e.mean()), float(e.std(ddof=1) / np.sqrt(len(e)))))
    return rows, extrapolate_1_over_n(*zip(*rows))
