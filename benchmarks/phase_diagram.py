"""Benchmarks for phase diagrams (issue 7): times, speed-ups over the naive per-point solve,
and the scaling with grid size and with cores.

    python benchmarks/phase_diagram.py            # everything (several minutes)
    python benchmarks/phase_diagram.py --quick    # smaller grids
    python benchmarks/phase_diagram.py --lognormal   # adds a lognormal q map (about 10 min)

1. E/I capacity map alpha_c(sigma_E, sigma_I), f_E = 0.8, kappa = 0: the float64 E3 grid
   path, against the naive per-point solve (replica.capacity at 15 digits, mpmath E3),
   timed on a sample of points and scaled to the grid.  Grid sizes 25^2 .. 100^2, 1 and
   2 worker processes.
2. finite-alpha q map q(alpha, kappa), binary prior, 100 x 100: rows sampled in qh and
   interpolated (solvers.rs_curve), against point-by-point solves (replica.curve) timed
   on a sample; the interpolation error is checked against direct solves in every row.
"""
from __future__ import annotations

import argparse
import concurrent.futures as cf
import time

import mpmath as mp
import numpy as np

import replica
from solvers import rs_saddle
from replica.phase_diagram import Axis, Problem, phase_diagram


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def grid_run(problem, x, y, workers):
    ex = cf.ProcessPoolExecutor(workers) if workers > 1 else None
    try:
        return timed(lambda: phase_diagram(problem, x, y, executor=ex))
    finally:
        if ex:
            ex.shutdown()


def section_ei(sizes):
    print("\n1. E/I capacity map alpha_c(sigma_E, sigma_I), f_E = 0.8, kappa = 0 (E3 with groups)")
    rng = np.random.default_rng(0)
    sample = rng.uniform(0.05, 2.5, size=(12, 2))
    t_naive, _ = timed(lambda: [replica.capacity(f"ei:fE=0.8,sigmaE={a:.6g},sigmaI={b:.6g}", 0, dps=15)
                                for a, b in sample])
    per_naive = t_naive / len(sample)
    print(f"naive per point (replica.capacity, mpmath E3 at 15 digits): {per_naive * 1e3:.1f} ms")
    print(f"{'grid':>9} {'workers':>7} {'time [s]':>9} {'per point [ms]':>14} {'naive [s] (est.)':>16} {'speed-up':>8}"
          f" {'max error est.':>14}")
    prob = Problem("alpha_c", prior="ei:fE=0.8")
    for n in sizes:
        x, y = Axis.parse(f"sigmaE=0.05:2.5:{n}"), Axis.parse(f"sigmaI=0.05:2.5:{n}")
        for w in (1, 2):
            t, pd = grid_run(prob, x, y, w)
            naive = per_naive * n * n
            print(f"{n:>4} x {n:<3} {w:>7} {t:9.2f} {t / n / n * 1e3:14.3f} {naive:16.1f} {naive / t:8.0f}"
                  f" {np.nanmax(pd.errors):14.1e}")
    # agreement with the mpmath solver at the sampled points
    dev = 0.0
    for a, b in sample[:4]:
        spec = f"ei:fE=0.8,sigmaE={a:.6g},sigmaI={b:.6g}"
        ref = replica.capacity(spec, 0, dps=30).alpha_c
        pd = phase_diagram(prob, Axis("sigmaE", (float(f"{a:.6g}"),)), Axis("sigmaI", (float(f"{b:.6g}"),)))
        dev = max(dev, abs(pd.values[0, 0] - float(ref)) / float(ref))
    print(f"largest relative deviation from the 30-digit mpmath E3 at sampled points: {dev:.1e}")


def section_q(n_alpha, n_kappa, spec="binary", amax=1.25, workers=(1, 2)):
    print(f"\n2. q map q(alpha, kappa), {spec} prior, {n_kappa} x {n_alpha} (E1-E2)")
    x, y = Axis.parse(f"alpha=0.02:{amax}:{n_alpha}"), Axis.parse(f"kappa=0:1:{n_kappa}")
    prob = Problem("q", prior=spec)
    # naive: a cold point solve (root search in qh) at sampled grid points, 64-node measure
    rng = np.random.default_rng(1)
    pts = [(x.values[i], y.values[j]) for i, j in zip(rng.integers(0, n_alpha, 8), rng.integers(0, n_kappa, 8))]
    meas = rs_saddle.measures_of(replica.prior(spec), 64)

    def naive_point(a, k):   # the same 64-node measure, one cold root search per point
        if a >= rs_saddle.alpha_rs_limit(meas, k):
            return 1.0
        # fresh measures: they carry the last Lagrange multipliers, which would warm-start the solve
        return rs_saddle.point_at_alpha(rs_saddle.measures_of(replica.prior(spec), 64), a, k).q

    t_naive, _ = timed(lambda: [naive_point(a, k) for a, k in pts])
    per_naive = t_naive / len(pts)
    for w in workers:
        t, pd = grid_run(prob, x, y, w)
        naive = per_naive * n_alpha * n_kappa
        print(f"workers {w}: {t:.1f} s ({t / n_alpha / n_kappa * 1e3:.1f} ms per point); naive per point "
              f"{per_naive * 1e3:.0f} ms -> {naive:.0f} s for the grid (est.), speed-up {naive / t:.1f}x; "
              f"largest interpolation error {np.nanmax(pd.errors):.1e}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--lognormal", action="store_true", help="also a q map of lognormal:sigma=1 (slow)")
    a = ap.parse_args()
    section_ei([25, 50] if a.quick else [25, 50, 100])
    if a.quick:
        section_q(100, 10)
    else:
        section_q(100, 100)
    if a.lognormal:     # a continuous prior: 64 quantile nodes, each saddle point ~75 ms
        section_q(100, 10 if a.quick else 100, "lognormal:sigma=1", 0.72, workers=(2,))


if __name__ == "__main__":
    main()
