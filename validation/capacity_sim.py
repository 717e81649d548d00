"""Capacity from simulation (THEORY.md section 4): the fraction of random samples a trainer
stores against alpha at several N, the crossing alpha_N where half are stored, and its
extrapolation to N -> oo in 1/N and in N^-1/2 (`extrapolation`), to compare with E3.

The crossing is the maximum-likelihood fit of a probit step to the binomial counts at
each N, P(stored) = Phi((alpha_N - alpha) / width_N), with its standard error from the
inverse Hessian of the log-likelihood: all alphas contribute, not just the two around 1/2.

Trainers: "qp" (exact max-margin by a QP: spherical weights, or w >= 0 for "sign"),
"permutation" (swap-move annealing, the distribution kept exactly: a heuristic whose
failures may be the trainer's; run with two schedule lengths to see whether the
crossing still moves; `restarts`), "disco" (DisCo-SGD, the paper's algorithm).  Not a
trainer: "relaxation" marks a sample stored unless the Birkhoff LP certifies that no
admissible permutation stores it (`validation.assignment`), so its crossing bounds the
exact finite-N crossing from above, as the annealer's bounds it from below.
"""
from __future__ import annotations

import dataclasses
import time

import numpy as np
from scipy import optimize, special

from .assignment import relaxation_feasible
from .disco_sgd import disco_sgd
from .constraint import targets, targets_alpha_rs
from .extrapolation import power_scan, width_exponent
from .max_margin import max_margin, random_sample
from .permutation_mc import T0, anneal
from .scaling import fit_scaling, observed_information_inverse
from replica.sweep import grid, run_sweep, select

TRAINERS = ("qp", "permutation", "disco", "relaxation")


def capacity_task(task):
    """One sample: {"prior", "kappa", "n", "alpha", "seed", "trainer", "sweeps"} -> {"stored", ...}:
    stored = every pattern has margin >= kappa.  "restarts" (permutation trainer, default 1):
    independent anneals, the sample stored when one of them stores it.  prior "gaussian" with trainer "qp" is the
    spherical perceptron, "sign" the sign-constrained one."""
    t0 = time.time()
    x, y = random_sample(task["n"], task["alpha"], np.random.default_rng(task["seed"]))
    trainer, kappa = task["trainer"], task["kappa"]
    if trainer == "qp":
        r = max_margin(x, y, sign_constrained=task["prior"] == "sign")
        out = {"stored": bool(r.kappa is not None and r.kappa >= kappa), "max_margin": r.kappa}
    elif trainer == "permutation":
        # restarts: independent anneals until one stores the sample.  Hard storable samples are
        # found by some runs and not others (N = 100, rectified, alpha 0.8-1.15: 4 restarts of
        # 160000 sweeps stored 9 of 39 samples one 40000-sweep run had left), so the stored
        # fraction is a lower bound that rises with the restarts.
        energies, sweeps_run = [], 0
        for k in range(task.get("restarts", 1)):
            r = anneal(x, y, task["prior"], kappa=kappa, sweeps=task["sweeps"], t0=task.get("t0", T0),
                       rng=task["seed"] if k == 0 else [task["seed"], k])
            energies.append(r.energy)
            sweeps_run += r.sweeps
            if r.success:
                break
        out = {"stored": r.success, "energy": min(energies), "sweeps_run": sweeps_run, "restarts_run": len(energies)}
    elif trainer == "relaxation":      # not a trainer: "stored" = not certified unstorable (upper bound)
        out = {"stored": relaxation_feasible(x, y, task["prior"], kappa)}
    elif trainer == "disco":
        r = disco_sgd(x, y, task["prior"], kappa=kappa, steps=task["sweeps"], rng=task["seed"])
        out = {"stored": r.success, "min_margin": r.min_margin, "steps_run": r.steps}
    else:
        raise ValueError(f"unknown trainer '{trainer}' (one of {', '.join(TRAINERS)})")
    out["seconds"] = round(time.time() - t0, 4)
    return out


def counts(records):
    """{(n, alpha): (stored, total)}."""
    by = {}
    for r in records:
        k = (r["task"]["n"], r["task"]["alpha"])
        s, t = by.get(k, (0, 0))
        by[k] = (s + int(bool(r["result"]["stored"])), t + 1)
    return by


def probit_crossing(alphas, stored, total):
    """ML fit of P(stored) = Phi((a_c - alpha)/width): (a_c, se, width) or None when the
    data do not bracket the step (all stored or none stored)."""
    a, k, m = (np.asarray(v, float) for v in (alphas, stored, total))
    f = k / m
    if f.max() < 0.5 or f.min() > 0.5:
        return None

    def nll(th):
        p = special.ndtr((th[0] - a) / np.exp(th[1]))
        p = np.clip(p, 1e-12, 1 - 1e-12)
        return -(k * np.log(p) + (m - k) * np.log1p(-p)).sum()

    span = a.max() - a.min()
    guess = [float(np.interp(0.5, f[::-1], a[::-1])) if np.all(np.diff(f) <= 0) else float(np.median(a)),
             np.log(span / 4 + 1e-12)]
    res = optimize.minimize(nll, guess, method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 4000})
    th = res.x
    cov = observed_information_inverse(nll, th, np.array([1e-4 * max(span, 1e-3), 1e-3]))
    se = float(np.sqrt(cov[0, 0])) if cov is not None else float("inf")
    return float(th[0]), se, float(np.exp(th[1]))


@dataclasses.dataclass
class CapacityRow:
    n: int
    alphas: list
    stored: list
    total: list
    crossing: float | None
    crossing_error: float | None
    width: float | None
    e3_targets: float | None = None     # E3 of the N target values (distribution-constrained trainers)

    @property
    def fractions(self):
        return [s / t for s, t in zip(self.stored, self.total)]


@dataclasses.dataclass
class CapacityReport:
    prior: str
    kappa: float
    trainer: str
    sweeps: int
    rows: list
    extrapolated: object            # Extrapolation in 1/N (or None)
    extrapolated_sqrt: object       # Extrapolation in N^-1/2 (or None)
    width_exponent: float | None    # b of width ~ N^-b
    seconds: float                  # summed over samples
    restarts: int = 1               # permutation trainer: independent anneals per sample
    scaling: object = None          # scaling.ScalingFit over all counts (three sizes or more), or None
    power_scan: list = dataclasses.field(default_factory=list)   # Extrapolation for each assumed power

    def to_dict(self):
        d = dataclasses.asdict(self)
        for r, row in zip(d["rows"], self.rows):
            r["fractions"] = row.fractions
        return d


def report_from_records(records, template, ns, alphas):
    """The report of the records whose task matches `template` (every field but n, alpha, seed)."""
    recs = select(records, template)
    cnt = counts(recs)
    rows = []
    for n in ns:
        a = [float(x) for x in alphas if (n, float(x)) in cnt]
        k = [cnt[(n, x)][0] for x in a]
        m = [cnt[(n, x)][1] for x in a]
        fit = probit_crossing(a, k, m) if a else None
        rows.append(CapacityRow(int(n), a, k, m, *(fit if fit else (None, None, None))))
    if template["trainer"] != "qp":
        for r in rows:
            r.e3_targets = targets_alpha_rs(targets(template["prior"], r.n), template["kappa"])
    ok = [r for r in rows if r.crossing is not None and np.isfinite(r.crossing_error)]
    scan = power_scan([r.n for r in ok], [r.crossing for r in ok], [r.crossing_error for r in ok]) \
        if len(ok) >= 2 else []
    ext = {e.power: e for e in scan}
    secs = float(sum(r["result"].get("seconds", 0.0) for r in recs))
    cells = [(r.n, a, k, m) for r in rows for a, k, m in zip(r.alphas, r.stored, r.total)]
    scaling = fit_scaling(*zip(*cells), start=np.mean([r.crossing for r in ok])) if len(ok) >= 3 else None
    return CapacityReport(template["prior"], template["kappa"], template["trainer"], template["sweeps"], rows,
                          ext.get(1.0), ext.get(0.5), width_exponent([r.n for r in ok], [r.width for r in ok]),
                          secs, int(template.get("restarts", 1)), scaling, scan)


def theory_alpha_c(prior, kappa):
    """The RS capacity (E3/E4) a simulation of `prior` is compared with, float64: 'sign'
    (w >= 0 at fixed norm) has the capacity of its optimal law, the rectified one."""
    from replica import capacity

    return float(capacity("rectified" if prior == "sign" else prior, kappa, dps=15).alpha_c)


def simulate_capacity(prior, ns, alphas, samples, path, trainer="permutation", sweeps=20000, kappa=0.0,
                      executor=None, progress=True, restarts=1, run=True) -> CapacityReport:
    """Run (or resume from `path`) samples x N x alpha and report the crossings.  At kappa > 0
    the crossing alpha_N(kappa) is a point of the max-margin line kappa*(alpha) (the median
    of the per-sample max margin at alpha_N is kappa).  run=False tabulates the records already
    in `path` (those of the grid that exist) and runs nothing."""
    if trainer not in TRAINERS:
        raise ValueError(f"unknown trainer '{trainer}' (one of {', '.join(TRAINERS)})")
    template = {"prior": prior, "kappa": float(kappa), "trainer": trainer, "sweeps": int(sweeps)}
    if trainer == "permutation":      # the schedule is part of the record
        template["t0"] = T0
        if restarts > 1:              # absent for one run, so older records keep their keys
            template["restarts"] = int(restarts)
    elif restarts != 1:
        raise ValueError("restarts apply to the permutation trainer only")
    alphas = grid(alphas)
    tasks = [dict(template, n=int(n), alpha=a, seed=int(s)) for n in ns for a in alphas for s in range(samples)]
    records = run_sweep(capacity_task, tasks, path, executor, progress, run)
    return report_from_records(records, template, ns, alphas)
