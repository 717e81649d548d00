"""Max-margin kappa*(alpha) from simulation, with a 1/N extrapolation, against E3.

E3 inverted: the largest margin at load alpha is kappa_c(alpha) with
rho^2 / I(kappa_c) = alpha, rho^2 = alpha_c(0) I(0) = alpha_c(0) / 2 for a continuous prior.
Trainers: "qp" for spherical ("gaussian") and sign-constrained ("sign") weights: exact;
"permutation" (ratcheted swap annealing) for any prior: a lower bound on the max margin
of each sample, so a simulated kappa* below E3 may be the trainer's shortfall; the report
shows it with the schedule length.

For each N the mean over samples is fitted linearly in 1/N (weighted by the standard
errors) and the intercept, with its standard error, is compared with kappa_c(alpha).
"""
from __future__ import annotations

import dataclasses
import time

import numpy as np
from scipy import optimize

import replica
from solvers.capacity import gardner_I_np

from .extrapolation import extrapolate_1_over_n
from .max_margin import max_margin as qp_max_margin, random_sample
from .permutation_mc import T0_RATCHET, max_margin as swap_max_margin
from replica.sweep import grid, run_sweep, select

TRAINERS = ("qp", "permutation")


def rho_squared(prior):
    """(E z T)^2 of E3 (summed over groups) for a continuous prior; "sign" is the rectified
    Gaussian, the optimum of a sign constraint."""
    spec = "rectified" if prior == "sign" else prior
    res = replica.capacity(spec, 0, dps=15)
    if res.alpha_entropy_zero is not None:
        raise ValueError(f"'{prior}' is discrete: E3 is not its capacity (E4), so kappa*(alpha) has no E3 value")
    return float(res.alpha_rs) / 2.0


def theory_kappa(alpha, prior="gaussian"):
    """kappa with alpha_c(kappa) = rho^2 / I(kappa) = alpha (E3)."""
    rho2 = rho_squared(prior)
    return optimize.brentq(lambda k: rho2 / gardner_I_np(k) - alpha, -8.0, 20.0, xtol=1e-13)


def kappa_task(task):
    """{"prior", "n", "alpha", "seed", "trainer", "sweeps"} -> {"kappa": ..., "separable": ...}."""
    t0 = time.time()
    x, y = random_sample(task["n"], task["alpha"], np.random.default_rng(task["seed"]))
    if task["trainer"] == "qp":
        if task["prior"] not in ("gaussian", "sign"):
            raise ValueError("the QP trainer covers 'gaussian' (spherical) and 'sign' only")
        r = qp_max_margin(x, y, sign_constrained=task["prior"] == "sign")
        kappa = r.kappa
    else:
        kappa = swap_max_margin(x, y, task["prior"], sweeps=task["sweeps"], t0=task.get("t0", T0_RATCHET),
                                rng=task["seed"]).min_margin
    return {"kappa": kappa, "separable": kappa is not None, "seconds": round(time.time() - t0, 4)}


@dataclasses.dataclass(frozen=True)
class SweepPoint:
    n: int
    alpha: float
    mean: float
    se: float
    n_separable: int
    n_samples: int


@dataclasses.dataclass
class KappaReport:
    prior: str
    trainer: str
    sweeps: int
    points: list
    extrapolated: dict      # alpha -> (kappa*, se) at 1/N -> 0
    theory: dict            # alpha -> kappa_c(alpha) (E3)
    seconds: float

    def to_dict(self):
        d = dataclasses.asdict(self)
        d["extrapolated"] = {str(a): v for a, v in self.extrapolated.items()}
        d["theory"] = {str(a): v for a, v in self.theory.items()}
        return d


def summarize(n, alpha, kappas):
    ks = np.array([k for k in kappas if k is not None], float)
    se = ks.std(ddof=1) / np.sqrt(len(ks)) if len(ks) > 1 else np.inf
    return SweepPoint(int(n), float(alpha), float(ks.mean()) if len(ks) else float("nan"), float(se), len(ks),
                      len(kappas))


def extrapolate(points):
    """Weighted least squares of mean kappa against 1/N: (intercept, its standard error)."""
    return extrapolate_1_over_n([p.n for p in points], [p.mean for p in points], [p.se for p in points])


def kappa_at(n, alpha, seeds, constraint="spherical"):
    """Exact (QP) max margins of the samples `seeds` at one (N, alpha)."""
    prior = "sign" if constraint == "sign" else "gaussian"
    return summarize(n, alpha, [kappa_task({"prior": prior, "n": n, "alpha": alpha, "seed": s, "trainer": "qp",
                                            "sweeps": 0})["kappa"] for s in seeds])


def simulate_kappa(prior, ns, alphas, samples, path, trainer=None, sweeps=20000, executor=None,
                   progress=True) -> KappaReport:
    trainer = trainer or ("qp" if prior in ("gaussian", "sign") else "permutation")
    if trainer not in TRAINERS:
        raise ValueError(f"unknown trainer '{trainer}' (one of {', '.join(TRAINERS)})")
    template = {"prior": prior, "trainer": trainer, "sweeps": int(sweeps)}
    if trainer == "permutation":
        template["t0"] = T0_RATCHET
    alphas = grid(alphas)
    tasks = [dict(template, n=int(n), alpha=a, seed=int(s)) for n in ns for a in alphas for s in range(samples)]
    recs = select(run_sweep(kappa_task, tasks, path, executor, progress), template)
    points, extrap = [], {}
    for a in alphas:
        pts = []
        for n in ns:
            ks = [r["result"]["kappa"] for r in recs if r["task"]["n"] == n and r["task"]["alpha"] == float(a)]
            if len(ks) >= 2:
                pts.append(summarize(n, a, ks))
        points += pts
        good = [p for p in pts if np.isfinite(p.se) and p.n_separable == p.n_samples]
        if len(good) >= 2:
            extrap[float(a)] = extrapolate(good)
    theory = {float(a): theory_kappa(a, prior) for a in alphas}
    secs = float(sum(r["result"].get("seconds", 0.0) for r in recs))
    return KappaReport(prior, trainer, int(sweeps), points, extrap, theory, secs)
