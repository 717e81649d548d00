"""Teacher-student generalization from simulation (THEORY.md section 3), to compare with
E5-E8.

The teacher's weights are the N target quantiles of P_T in random order (its empirical
distribution is P_T exactly, so a student constrained to P_S = P_T can reach it); labels
y = sign(w0.x), noise-free.  eps_g = arccos(R)/pi with R the normalised overlap (E7,
against the clean teacher).

Students and trainers:
- max-margin: "spherical" / "sign" by QP (exact), any prior spec by ratcheted swap
  annealing (`permutation_mc.max_margin`, a lower bound on the margin);
- gibbs: "spherical" and "sign" by Gibbs sampling of the version space (`gibbs_sampler`;
  the teacher itself, or the sign-constrained QP solution, as the start), any prior
  spec by the zero-temperature swap walk (`permutation_mc.version_space_walk`) started
  from an annealed solution.
"""
from __future__ import annotations

import dataclasses
import time

import numpy as np

from .constraint import targets
from .extrapolation import extrapolate_1_over_n
from .gibbs_sampler import spherical_gibbs
from .max_margin import max_margin as qp_max_margin
from .permutation_mc import T0, T0_RATCHET, anneal, max_margin as swap_max_margin, version_space_walk
from replica.sweep import grid, run_sweep, select

RULES = ("max-margin", "gibbs")


def teacher_sample(teacher_spec, n, alpha, seed):
    """(w0, x, y): teacher = target quantiles of P_T in random order, P = round(alpha N)."""
    rng = np.random.default_rng(seed)
    w0 = targets(teacher_spec, n).values[rng.permutation(n)]
    x = rng.standard_normal((int(round(alpha * n)), n))
    return w0, x, np.sign(x @ w0)


def _overlap(w, w0):
    return float(w @ w0 / np.sqrt((w @ w) * (w0 @ w0)))


def student_task(task):
    """{"teacher", "student", "rule", "n", "alpha", "seed", "sweeps"} -> {"R", "eps_g", ...}."""
    t0 = time.time()
    w0, x, y = teacher_sample(task["teacher"], task["n"], task["alpha"], task["seed"])
    student, rule, sweeps = task["student"], task["rule"], task["sweeps"]
    out = {}
    if rule == "max-margin":
        if student in ("spherical", "sign"):
            r = qp_max_margin(x, y, sign_constrained=student == "sign")
            w, out["kappa"] = r.w, r.kappa
        else:
            r = swap_max_margin(x, y, student, sweeps=sweeps, t0=task.get("t0", T0_RATCHET), rng=task["seed"])
            w, out["kappa"] = r.w, r.min_margin
    elif rule == "gibbs":
        if student in ("spherical", "sign"):
            sign = student == "sign"
            start = w0
            if sign and w0.min() < 0:
                start = qp_max_margin(x, y, sign_constrained=True).w
                if start is None:
                    return {"R": None, "eps_g": None, "error": "not separable with w >= 0",
                            "seconds": round(time.time() - t0, 4)}
                start = np.maximum(start, 0.0) + 1e-9   # strictly inside: the QP has exact zeros
            r = spherical_gibbs(x, y, start, w0, sweeps=sweeps, sign=sign, rng=task["seed"])
            out["R_chain_se"] = r.R_se
            half = len(r.trace) // 2      # equilibration check: no drift between the two halves
            out["R_drift"] = float(r.trace[half:].mean() - r.trace[:half].mean()) if half else None
            R = r.R
        else:
            tg = targets(student, task["n"])
            start = anneal(x, y, tg, sweeps=max(sweeps, 2000), t0=task.get("t0", T0), rng=task["seed"])
            if not start.success:
                return {"R": None, "eps_g": None, "error": "no solution to start the walk from",
                        "seconds": round(time.time() - t0, 4)}
            walk = version_space_walk(x, y, tg, start.w, w0, sweeps=sweeps, rng=task["seed"] + 1)
            R = walk.overlap
            out["acceptance"] = walk.acceptance
        out.update({"R": R, "eps_g": float(np.arccos(np.clip(R, -1, 1)) / np.pi),
                    "seconds": round(time.time() - t0, 4)})
        return out
    else:
        raise ValueError(f"unknown rule '{rule}' (one of {', '.join(RULES)})")
    R = _overlap(w, w0)
    out.update({"R": R, "eps_g": float(np.arccos(np.clip(R, -1, 1)) / np.pi), "seconds": round(time.time() - t0, 4)})
    return out


@dataclasses.dataclass
class TSRow:
    n: int
    alpha: float
    eps_g: float
    eps_se: float
    R: float
    R_se: float
    samples: int


@dataclasses.dataclass
class TSReport:
    teacher: str
    student: str
    rule: str
    sweeps: int
    rows: list
    extrapolated: dict        # alpha -> (eps_g, se) at 1/N -> 0
    seconds: float

    def to_dict(self):
        d = dataclasses.asdict(self)
        d["extrapolated"] = {str(a): v for a, v in self.extrapolated.items()}
        return d


def _mean_se(v):
    v = np.asarray(v, float)
    return float(v.mean()), float(v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else float("inf")


def report_from_records(records, template, ns, alphas):
    recs = select(records, template)
    rows, extrap = [], {}
    for a in alphas:
        sub = []
        for n in ns:
            res = [r["result"] for r in recs if r["task"]["n"] == n and r["task"]["alpha"] == float(a)
                   and r["result"].get("eps_g") is not None]
            if len(res) < 2:
                continue
            e, es = _mean_se([x["eps_g"] for x in res])
            R, Rs = _mean_se([x["R"] for x in res])
            sub.append(TSRow(int(n), float(a), e, es, R, Rs, len(res)))
        rows += sub
        if len(sub) >= 2:
            extrap[float(a)] = extrapolate_1_over_n([r.n for r in sub], [r.eps_g for r in sub], [r.eps_se for r in sub])
    secs = float(sum(r["result"].get("seconds", 0.0) for r in recs))
    return TSReport(template["teacher"], template["student"], template["rule"], template["sweeps"], rows, extrap, secs)


def simulate_teacher_student(teacher, student, rule, ns, alphas, samples, path, sweeps=2000, executor=None,
                             progress=True) -> TSReport:
    if rule not in RULES:
        raise ValueError(f"unknown rule '{rule}' (one of {', '.join(RULES)})")
    template = {"teacher": teacher, "student": student, "rule": rule, "sweeps": int(sweeps)}
    if student not in ("spherical", "sign"):
        template["t0"] = T0_RATCHET if rule == "max-margin" else T0
    alphas = grid(alphas)
    tasks = [dict(template, n=int(n), alpha=a, seed=int(s)) for n in ns for a in alphas for s in range(samples)]
    records = run_sweep(student_task, tasks, path, executor, progress)
    return report_from_records(records, template, ns, alphas)
