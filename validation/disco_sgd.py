"""DisCo-SGD (THEORY.md section 4): distribution-constrained perceptron training.

Alternates (i) a full-batch gradient step on the logistic loss log(1 + exp(-beta (y w.x/sqrt(N) - kappa)))
with a trainable inverse scale beta (the norm is fixed by the constraint), step eta1; and
(ii) a partial optimal-transport projection w <- w + eta2 (w_hat - w), where
w_hat_i = F^{-1}((rank_i - 1/2)/N) gives each weight the target quantile of its rank (the
1-D OT map is a sort; `validation.constraint`; groups are projected separately).  Success is judged after a full
projection: every pattern stored with margin >= kappa.  A heuristic: it can stop short of
the capacity, and the report says by how much.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from .constraint import Targets, targets


@dataclasses.dataclass(frozen=True)
class DiscoResult:
    success: bool
    steps: int
    min_margin: float     # of the projected weights
    w: np.ndarray


def disco_sgd(x, y, constraint, kappa=0.0, eta1=2.0, eta2=0.05, eta_beta=0.5, steps=3000, check_every=25, rng=None):
    p_, n = x.shape
    rng = np.random.default_rng(rng)
    tg = constraint if isinstance(constraint, Targets) else targets(constraint, n)
    w = tg.project(rng.standard_normal(n))
    beta = 4.0
    yx = (y[:, None] * x) / np.sqrt(n)
    best = -np.inf
    for t in range(1, steps + 1):
        m = yx @ w - kappa
        s = 1.0 / (1.0 + np.exp(np.clip(beta * m, -50, 50)))   # sigmoid(-beta m)
        grad_w = -(beta * s) @ yx / p_
        grad_b = -(s * m).mean()
        w = w - eta1 * np.sqrt(n) * grad_w          # weights are O(1) each, gradients O(1/sqrt(N))
        beta = max(beta - eta_beta * grad_b, 0.1)
        w = w + eta2 * (tg.project(w) - w)
        if t % check_every == 0:
            wp = tg.project(w)
            mm = float((yx @ wp).min())
            best = max(best, mm)
            if mm >= kappa:
                return DiscoResult(True, t, mm, wp)
    wp = tg.project(w)
    return DiscoResult(False, steps, float((yx @ wp).min()), wp)
