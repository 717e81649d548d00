"""Mirror-descent training of perceptrons (Pogodin et al., ICLR 2024), and the check of the
plasticity-geometry theory (replica.geometry) against the trained weights.

The dual variable theta = phi'(w) takes the gradient step, the weight follows:

    theta <- theta - eta dL/dw(w),     w = (phi')^{-1}(theta),
    L(w) = sum_mu l(h_mu),  h_mu = y_mu w.x^mu / sqrt(N),

full batch or minibatch (a batch of B patterns stands for all P: its gradient is scaled by
P / B).  Losses: hinge l = (kappa - h)_+, squared hinge l = (kappa - h)_+^2 / 2 (both stop
when every margin reaches kappa), logistic l = log(1 + exp(-(h - kappa))) (never stops).
With this scaling a step moves each active margin by about eta E[1/phi''(w)].  Weights stay
in the potential's domain by construction (entropic: w = e^theta > 0).

Tasks: random labels (capacity setting; alpha = P/N) or labels of a teacher drawn from a
prior (y = sign(w_T.x)).  Initial weights are drawn from a prior in its own units; the
patterns come from `validation.max_margin.random_sample`.  Everything is seeded by
np.random.default_rng(seed), vectorised numpy; `sweep` runs many seeds through
`replica.sweep.run_sweep` (resumable JSONL with versions).
"""
from __future__ import annotations

import dataclasses

import numpy as np

import replica
from replica.geometry import after_learning, potential as make_potential
from replica.geometry.law import init_nodes
from replica.geometry.predict import compare
from replica.geometry.theory import LAZY_LOSSES, lazy_dual
from solvers.geometry import fit_dual_gaussian, paired_changes

from .max_margin import random_sample
from replica.common.errors import Refused
from replica.sweep import run_sweep

LOSSES = ("hinge", "hinge2", "logistic")


def loss_derivative(h, kappa, loss):
    """dl/dh for the margins h."""
    if loss == "hinge":
        return -(h < kappa).astype(float)
    if loss == "hinge2":
        return -np.maximum(kappa - h, 0.0)
    if loss == "logistic":
        return -0.5 * (1.0 - np.tanh(0.5 * (h - kappa)))   # -sigmoid(kappa - h), overflow-free
    raise ValueError(f"unknown loss '{loss}' (use {', '.join(LOSSES)})")


@dataclasses.dataclass(frozen=True)
class MirrorResult:
    w_before: np.ndarray
    w_after: np.ndarray
    steps: int
    converged: bool          # hinge losses: every margin >= kappa - tol (full batch)
    train_error: float       # fraction of patterns with y w.x <= 0
    min_margin: float


def mirror_descent(x, y, pot, w0, eta=0.05, steps=2000, loss="hinge", kappa=0.0, batch=None, rng=None, tol=1e-9):
    """Mirror descent from w0 on patterns x (P, N) with labels y; returns MirrorResult.
    Full-batch hinge losses stop when every margin is >= kappa - tol (the squared hinge
    approaches kappa only asymptotically)."""
    pot = make_potential(pot)
    if loss not in LOSSES:
        raise ValueError(f"unknown loss '{loss}' (use {', '.join(LOSSES)})")
    p_, n = x.shape
    yx = (y[:, None] * x) / np.sqrt(n)
    w0 = np.asarray(w0, dtype=float)
    if not np.all(pot.in_domain(w0)):
        raise ValueError(f"initial weights outside the domain of the {pot.spec} potential")
    theta = pot.grad(w0)
    rng = np.random.default_rng(rng)
    w = w0.copy()
    converged, t = False, 0
    for t in range(1, steps + 1):
        if batch is None or batch >= p_:
            idx, scale = slice(None), 1.0
        else:
            idx, scale = rng.choice(p_, size=batch, replace=False), p_ / batch
        h = yx[idx] @ w
        dl = loss_derivative(h, kappa, loss)
        if loss != "logistic" and batch is None and np.all(h >= kappa - tol):
            converged, t = True, t - 1
            break
        theta = theta - eta * scale * (dl @ yx[idx])
        w = pot.inv_grad(theta)
        with np.errstate(over="ignore", invalid="ignore"):
            diverged = not np.isfinite(w @ w)   # an overflowed weight, or a norm beyond float64
        if diverged:
            raise Refused(f"mirror descent diverged at step {t} (weights overflow): lower eta (now {eta:g})")
    margins = yx @ w
    if loss != "logistic" and not converged and batch is None:
        converged = bool(np.all(margins >= kappa - tol))
    return MirrorResult(w0, w, t, converged, float(np.mean(margins <= 0)), float(margins.min()))


def make_task(n, alpha, rng, teacher=None):
    """Patterns and labels: random labels, or a teacher drawn from the prior spec `teacher`
    (returned as the third item, else None)."""
    w_t = None if teacher is None else replica.prior(teacher).sample(n, rng)
    x, y = random_sample(n, alpha, rng, teacher=w_t)
    return x, y, w_t


def train(potential, init, n, alpha, seed=0, eta=0.05, steps=2000, loss="hinge", kappa=0.0, batch=None,
          teacher=None):
    """One run: draw the task and the initial weights from `init` (a prior spec), train."""
    rng = np.random.default_rng(seed)
    x, y, w_t = make_task(n, alpha, rng, teacher)
    w0 = replica.prior(init).sample(n, rng)
    res = mirror_descent(x, y, potential, w0, eta, steps, loss, kappa, batch, rng)
    return res, w_t


def evaluate(potential, init, w_before, w_after, alpha=None, kappa=0.0, loss="hinge", teacher_weights=None,
             reps=200):
    """Theory against trained weights:
    * paired: the per-synapse dual changes (Gaussian? independent of the initial weight?);
    * fitted: the paper's model (c = 0) with (m, s) fitted by maximum likelihood to the
      after-weights against the initial *law*, then KS and W2 with their tolerances at this N;
    * lazy: the small-alpha theory (s, c from alpha and kappa, nothing fitted; hinge losses)."""
    pot = make_potential(potential)
    init_prior = replica.prior(init)
    tb, ta = pot.grad(w_before), pot.grad(w_after)
    out = {"paired": paired_changes(tb, ta, w_before)}
    u, p = init_nodes(init_prior)
    m, s, _ = fit_dual_gaussian(ta, pot.grad(u), p)
    law = after_learning(pot, init_prior, s, m)
    out["fitted"] = {"dual_mean": m, "dual_std": s, **compare(law, w_after, reps=reps).to_dict()}
    if alpha is not None and loss in LAZY_LOSSES:
        R = 0.0
        if teacher_weights is not None:
            R = float(np.mean(w_before * teacher_weights) /
                      np.sqrt(np.mean(w_before ** 2) * np.mean(teacher_weights ** 2)))
        lz = lazy_dual(pot, init_prior, alpha, kappa, R)
        law = after_learning(pot, init_prior, lz.dual_std, lz.dual_mean, lz.reaction)
        out["lazy"] = {**lz.to_dict(), **compare(law, w_after, reps=reps).to_dict()}
    if teacher_weights is not None:
        wt = np.asarray(teacher_weights)
        out["teacher"] = {
            "overlap_before": float(w_before @ wt / np.sqrt((w_before @ w_before) * (wt @ wt))),
            "overlap_after": float(w_after @ wt / np.sqrt((w_after @ w_after) * (wt @ wt))),
            "corr_change_teacher": float(np.corrcoef(ta - tb, wt)[0, 1]),
        }
    return out


def train_task(task: dict) -> dict:
    """A sweep task {potential, init, n, alpha, seed, eta, steps, loss, kappa, batch, teacher}
    -> training summary and theory check (JSON-ready)."""
    res, w_t = train(task["potential"], task["init"], task["n"], task["alpha"], task["seed"], task.get("eta", 0.05),
                     task.get("steps", 2000), task.get("loss", "hinge"), task.get("kappa", 0.0), task.get("batch"),
                     task.get("teacher"))
    ev = evaluate(task["potential"], task["init"], res.w_before, res.w_after, task["alpha"], task.get("kappa", 0.0),
                  task.get("loss", "hinge"), w_t, reps=task.get("reps", 100))
    return {"steps": res.steps, "converged": res.converged, "train_error": res.train_error,
            "min_margin": res.min_margin, **ev}


def sweep(base: dict, seeds, path, executor=None, progress=True):
    """Run `base` for each seed through run_sweep (resumable JSONL records with versions)."""
    return run_sweep(train_task, [{**base, "seed": int(s)} for s in seeds], path, executor, progress)
