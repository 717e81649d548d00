"""Max-margin perceptrons at finite N through a well-kept QP solver (Clarabel).

Spherical weights:        min |w|^2/2  s.t.  y_mu x_mu.w / sqrt(N) >= 1
Sign-constrained weights: the same with w >= 0.
The margin of the unit-norm solution (|w|^2 = N, THEORY.md section 1) is
kappa* = sqrt(N) / |w_opt|.  An infeasible QP means the sample is not separable.
"""
from __future__ import annotations

import dataclasses

import clarabel
import numpy as np
from scipy import sparse


@dataclasses.dataclass(frozen=True)
class MaxMarginResult:
    kappa: float | None      # None: not separable (with the constraint)
    w: np.ndarray | None     # unit second moment
    status: str


def max_margin(x, y, sign_constrained=False):
    """x: (P, N) patterns, y: (P,) labels +-1."""
    p_, n = x.shape
    a = sparse.csc_matrix(-(y[:, None] * x) / np.sqrt(n))
    b = -np.ones(p_)
    if sign_constrained:
        a = sparse.vstack([a, -sparse.identity(n, format="csc")]).tocsc()
        b = np.concatenate([b, np.zeros(n)])
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    settings.tol_gap_abs = settings.tol_gap_rel = 1e-10
    solver = clarabel.DefaultSolver(sparse.identity(n, format="csc"), np.zeros(n), a, b,
                                    [clarabel.NonnegativeConeT(a.shape[0])], settings)
    sol = solver.solve()
    status = str(sol.status)
    if "Solved" not in status:
        return MaxMarginResult(None, None, status)
    w = np.asarray(sol.x)
    norm = np.sqrt(w @ w / n)
    return MaxMarginResult(1.0 / norm, w / norm, status)


def random_sample(n, alpha, rng, teacher=None):
    """P = round(alpha N) Gaussian patterns; labels random (capacity) or from a teacher."""
    p_ = int(round(alpha * n))
    x = rng.standard_normal((p_, n))
    y = rng.choice([-1.0, 1.0], size=p_) if teacher is None else np.sign(x @ teacher)
    return x, y
