"""Finite-size extrapolation: weighted least-squares line in 1/N, intercept with its error."""
from __future__ import annotations

import numpy as np


def extrapolate_1_over_n(ns, values, errors):
    """Fit values = c0 + c1 / N with weights 1/errors^2; return (c0, standard error of c0)."""
    x = 1.0 / np.asarray(ns, dtype=float)
    y = np.asarray(values, dtype=float)
    w = 1.0 / np.asarray(errors, dtype=float) ** 2
    a = np.vstack([np.ones_like(x), x]).T
    cov = np.linalg.inv(a.T @ (w[:, None] * a))
    coef = cov @ (a.T @ (w * y))
    return float(coef[0]), float(np.sqrt(cov[0, 0]))
