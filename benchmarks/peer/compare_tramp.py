"""Bayes-optimal teacher-student perceptron: replica against tramp's state evolution.

    PYTHONPATH=. python benchmarks/peer/compare_tramp.py [--alphas 0.5,1,2,4,8] [--repeat 3]

Runs benchmarks/peer/tramp_se.py in tramp's own virtualenv (TRAMP_VENV, default
/work/venv-tramp; made by install_tramp.sh) and the same points with
replica.teacher_student(prior, "bayes"), prints the table and writes it to
benchmarks/results/peer_tramp.md.  The Gaussian and the sparse prior are also checked against a
reference from 1-D quadratures, q = q_prior(qh) with qh(q) of the noise-free sign channel
(Gaussian: q_prior = qh / (1 + qh), the closed form).
Times: best of --repeat, per point, wall and CPU (the CPU ratio is the one to trust when
other jobs share the cores); neither side counts its imports, replica gets one warm-up call.
"""
from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from scipy import integrate, optimize, special

import replica

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
OUT = ROOT / "benchmarks" / "results" / "peer_tramp.md"
TRAMP_VENV = Path(os.environ.get("TRAMP_VENV", "/work/venv-tramp"))
TRAMP_SRC = Path(os.environ.get("TRAMP_SRC", "/work/tramp-src"))

# tramp_se.py prior name -> replica spec; specs are rescaled to E w^2 = 1 by replica, so the
# sparse one is exactly 0.5 delta_0 + 0.5 N(0, 2), tramp's gauss_bernoulli(rho=0.5, var=2)
PRIORS = {
    "gaussian": "gaussian",
    "binary": "binary",
    "gauss_bernoulli": "mixture:0.5*discrete(values=0,probs=1)+0.5*gaussian",
}


def qh_sign(q, alpha):
    """Sign-channel conjugate on the Nishimori line (unit norms, V = 1 - q):
    qh = (2 alpha / V) E_xi phi(x)^2 / H(x),  x = sqrt(q / V) xi."""
    s = math.sqrt(q / (1 - q))

    def f(xi):   # Dxi * phi(x)^2 / H(x), in logs so that H(x) -> 0 is harmless
        x = s * xi
        return math.exp(-xi * xi / 2 - x * x - 1.5 * math.log(2 * math.pi) - special.log_ndtr(-x))

    return 2 * alpha / (1 - q) * integrate.quad(f, -np.inf, np.inf, epsabs=0, epsrel=1e-13, limit=200)[0]


def gb_overlap(qh):
    """Prior side of E5 on the Nishimori line for 0.5 delta_0 + 0.5 N(0, 2): q = E_y <w|y>^2
    with y = sqrt(qh) w + z.  Given the Gaussian component <w|y> = 2 sqrt(qh) y / (1 + 2 qh),
    weighted by that component's posterior probability; y = s u with s^2 = 1 + 2 qh."""
    s2 = 1 + 2 * qh
    s = math.sqrt(s2)

    def f(u):   # s * p(y) <w|y>^2 = s * (0.5 N(y; 0, s2) m1)^2 / p(y), in logs
        y = s * u
        l0 = -y * y / 2 - 0.5 * math.log(2 * math.pi)                 # log N(y; 0, 1)
        l1 = -u * u / 2 - 0.5 * math.log(2 * math.pi * s2)            # log N(y; 0, s2)
        lp = math.log(0.5) + np.logaddexp(l0, l1)
        m1 = 2 * math.sqrt(qh) * y / s2
        return s * math.exp(2 * (math.log(0.5) + l1) - lp) * m1 * m1

    return integrate.quad(f, -40, 40, points=[0.0], epsabs=0, epsrel=1e-13, limit=400)[0]


# the prior side q(qh) of E5 on the Nishimori line, for the priors with a 1-D reference
PRIOR_MAPS = {"gaussian": lambda h: h / (1 + h), "gauss_bernoulli": gb_overlap}


def reference_q(name, alpha):
    """The root of q = q_prior(qh_sign(q)): 1-D quadratures only, independent of both codes
    (Gaussian: the closed form qh/(1+qh)).  One root in (0, 1) for these priors on this grid."""
    qmap = PRIOR_MAPS[name]
    return optimize.brentq(lambda q: q - qmap(qh_sign(q, alpha)), 1e-12, 1 - 1e-12, xtol=1e-16, rtol=1e-15)


def run_tramp(alphas, repeat):
    py = TRAMP_VENV / "bin" / "python"
    if not py.exists():
        return None, f"tramp skipped: no virtualenv at {TRAMP_VENV} (run benchmarks/peer/install_tramp.sh)"
    cmd = [str(py), str(HERE / "tramp_se.py"), "--alphas", ",".join(map(str, alphas)), "--repeat", str(repeat)]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd="/")
    if out.returncode:
        return None, f"tramp skipped: tramp_se.py failed ({out.returncode}): {out.stderr.strip().splitlines()[-1:]}"
    return json.loads(out.stdout), None


def run_replica(spec, alpha, repeat):
    best, cpu = math.inf, math.inf
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        try:
            p, = replica.teacher_student(spec, "bayes", alphas=[alpha])
        except Exception as exc:   # a failing point is reported in the table, not hidden
            return dict(q=math.nan, eps_g=math.nan, error=f"{type(exc).__name__}: {exc}", time_s=math.nan, cpu_s=math.nan)
        best, cpu = min(best, time.perf_counter() - t), min(cpu, time.process_time() - c)
    return dict(q=p.q, eps_g=p.eps_g, error=None, time_s=best, cpu_s=cpu, branch=p.branch)


def git_rev(path):
    try:
        rev = subprocess.run(["git", "-C", str(path), "rev-parse", "--short=12", "HEAD"],
                             capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(path), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        return rev + (" + local changes" if dirty else "")
    except (subprocess.CalledProcessError, FileNotFoundError):
        return "unknown"


def fmt(x, spec=".12f"):
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--alphas", default="0.5,1,2,4,8")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-write", action="store_true", help="print only, do not write the results file")
    args = ap.parse_args()
    alphas = [float(a) for a in args.alphas.split(",")]

    tramp, skipped = run_tramp(alphas, args.repeat)
    if skipped:
        print(skipped, file=sys.stderr)
    tpts = {(p["prior"], p["alpha"]): p for p in tramp["points"]} if tramp else {}
    replica.teacher_student("binary", "bayes", alphas=[1.0])   # warm-up: imports and caches

    cols = ["prior", "alpha", "q_replica", "q_tramp", "diff", "q_ref", "rep-ref", "tramp-ref", "eps_g replica",
            "eps_g tramp", "t_replica [s]", "t_tramp [s]", "ratio wall", "ratio CPU"]   # diffs: absolute values
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    notes = []
    for name, spec in PRIORS.items():
        for a in alphas:
            r = run_replica(spec, a, args.repeat)
            t = tpts.get((name, a))
            qt = t["q"] if t else None
            qc = reference_q(name, a) if name in PRIOR_MAPS else None
            d = lambda x, y: None if x is None or y is None or math.isnan(x) or math.isnan(y) else abs(x - y)
            ratio = lambda k: None if t is None or math.isnan(r[k]) else r[k] / t[k]
            lines.append("| " + " | ".join([
                name, f"{a:g}", fmt(r["q"]), fmt(qt), fmt(d(r["q"], qt), ".1e"), fmt(qc),
                fmt(d(r["q"], qc), ".1e"), fmt(d(qt, qc), ".1e"), fmt(r["eps_g"], ".6f"),
                fmt(t["eps_g"] if t else None, ".6f"), fmt(r["time_s"], ".3f"),
                fmt(t["time_s"] if t else None, ".3f"), fmt(ratio("time_s"), ".1f"), fmt(ratio("cpu_s"), ".1f"),
            ]) + " |")
            if r["error"]:
                notes.append(f"- replica {name} alpha={a:g}: {r['error']}")
            if t and not t["converged"]:
                notes.append(f"- tramp {name} alpha={a:g}: not converged in {t['n_iter']} iterations")
            print(lines[-1], flush=True)

    meta = tramp["meta"] if tramp else {}
    text = [
        "# Bayes-optimal perceptron: replica vs tramp state evolution",
        "",
        f"Date: {datetime.date.today().isoformat()}. replica commit: {git_rev(ROOT)}. "
        f"tramp commit: {git_rev(TRAMP_SRC)} (with benchmarks/peer/tramp.patch).",
        f"tramp SE: tol={meta.get('tol')}, max_iter={meta.get('max_iter')}, seed a0={meta.get('a0')}; "
        f"python {meta.get('python')}, numpy {meta.get('numpy')}, scipy {meta.get('scipy')}, "
        f"networkx {meta.get('networkx')}. Times: best of {args.repeat}, per point; ratio = replica / tramp.",
        "q_ref: root of q = q_prior(qh) with the sign channel's qh, by 1-D quadratures independent of both codes "
        "(Gaussian: q_prior = qh/(1+qh), the closed form; gauss_bernoulli: E_y <w|y>^2). None for binary.",
        "diff, rep-ref, tramp-ref: absolute differences of q. eps_g = arccos(sqrt(q))/pi. Produced by `PYTHONPATH=. python benchmarks/peer/compare_tramp.py`.",
        "",
        *( [skipped, ""] if skipped else [] ),
        *lines,
        *( ["", "Failures:", *notes] if notes else [] ),
        "",
    ]
    for n in notes:
        print(n)
    if not args.no_write:
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text("\n".join(text))
        print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
