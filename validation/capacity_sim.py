"""Capacity from simulation: the fraction of random samples a trainer can store, against
alpha at several N, the crossing (fraction 1/2) per N and its 1/N extrapolation."""
from __future__ import annotations

import numpy as np

import replica

from .extrapolation import extrapolate_1_over_n
from .max_margin import max_margin, random_sample
from .permutation_mc import anneal
from .sweep import run_sweep

TRAINERS = ("qp", "permutation")


def capacity_task(task):
    """One sample: {"prior", "n", "alpha", "seed", "trainer", "sweeps"} -> {"stored": bool}."""
    x, y = random_sample(task["n"], task["alpha"], np.random.default_rng(task["seed"]))
    if task["trainer"] == "qp":
        sign = task["prior"] == "sign"
        return {"stored": max_margin(x, y, sign_constrained=sign).kappa is not None}
    prior = replica.prior(task["prior"])
    return {"stored": bool(anneal(x, y, prior, sweeps=task.get("sweeps", 400), rng=task["seed"]).success)}


def fractions(records):
    """{(n, alpha): (fraction, standard error, count)}."""
    by = {}
    for r in records:
        k = (r["task"]["n"], r["task"]["alpha"])
        by.setdefault(k, []).append(r["result"]["stored"])
    out = {}
    for k, v in by.items():
        f = float(np.mean(v))
        out[k] = (f, float(np.sqrt(max(f * (1 - f), 0.25 / len(v)) / len(v))), len(v))
    return out


def crossing(alphas, fracs, ses):
    """alpha where the stored fraction falls through 1/2 (linear interpolation) and its error
    from the fraction's standard error over the local slope."""
    a, f, s = map(np.asarray, (alphas, fracs, ses))
    idx = np.flatnonzero((f[:-1] >= 0.5) & (f[1:] < 0.5))
    if len(idx) == 0:
        return None, None
    i = idx[0]
    slope = (f[i + 1] - f[i]) / (a[i + 1] - a[i])
    a_c = a[i] + (0.5 - f[i]) / slope
    return float(a_c), float(np.hypot(s[i], s[i + 1]) / abs(slope))


def simulate_capacity(prior, ns, alphas, samples, path, trainer="permutation", sweeps=400, executor=None,
                      progress=True):
    tasks = [{"prior": prior, "n": int(n), "alpha": float(a), "seed": int(s), "trainer": trainer, "sweeps": sweeps}
             for n in ns for a in alphas for s in range(samples)]
    records = [r for r in run_sweep(capacity_task, tasks, path, executor, progress)
               if r["task"]["prior"] == prior and r["task"]["trainer"] == trainer]
    fr = fractions(records)
    rows = []
    for n in ns:
        vals = [fr[(n, float(a))] for a in alphas]
        a_c, err = crossing(alphas, [v[0] for v in vals], [v[1] for v in vals])
        rows.append({"n": n, "alphas": list(map(float, alphas)), "fractions": [v[0] for v in vals],
                     "errors": [v[1] for v in vals], "crossing": a_c, "crossing_error": err})
    ok = [r for r in rows if r["crossing"] is not None and r["crossing_error"]]
    extrap = None
    if len(ok) >= 2:
        extrap = extrapolate_1_over_n([r["n"] for r in ok], [r["crossing"] for r in ok],
                                      [r["crossing_error"] for r in ok])
    return rows, extrap
