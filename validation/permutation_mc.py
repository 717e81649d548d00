"""Permutation (swap-move) Monte Carlo: the empirical weight distribution stays exactly the
target one, since a move swaps two weights (THEORY.md section 4).  Simulated annealing on
the perceptron energy E = sum_mu max(0, kappa - y_mu w.x_mu / sqrt(N)) until E = 0 (all
patterns stored with margin kappa) or the schedule ends."""
from __future__ import annotations

import dataclasses

import numpy as np

from .disco_sgd import target_weights


@dataclasses.dataclass(frozen=True)
class AnnealResult:
    success: bool
    sweeps: int
    energy: float
    w: np.ndarray


def anneal(x, y, prior, kappa=0.0, sweeps=400, t0=0.05, t1=1e-4, rng=None):
    rng = np.random.default_rng(rng)
    p_, n = x.shape
    yx = (y[:, None] * x) / np.sqrt(n)
    w = rng.permutation(target_weights(prior, n))
    h = yx @ w
    energy = np.maximum(kappa - h, 0).sum()
    temps = np.geomspace(t0, t1, sweeps)
    for s, temp in enumerate(temps):
        pairs = rng.integers(0, n, size=(n, 2))
        accept_u = np.log(rng.random(n))
        for (i, j), lu in zip(pairs, accept_u):
            dw = w[j] - w[i]
            if i == j or dw == 0.0:
                continue
            dh = dw * (yx[:, i] - yx[:, j])
            h_new = h + dh
            e_new = np.maximum(kappa - h_new, 0).sum()
            if e_new <= energy or lu < (energy - e_new) / temp:
                w[i], w[j] = w[j], w[i]
                h, energy = h_new, e_new
                if energy == 0.0:
                    return AnnealResult(True, s + 1, 0.0, w)
    return AnnealResult(False, sweeps, float(energy), w)
