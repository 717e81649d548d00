"""Regenerate the paper's main figures and a table from scratch (`replica reproduce`).

1. capacity against the Wasserstein-2 distance to the Gaussian for many prior families
   (E3: alpha_c / alpha_Gardner = (1 - W2^2/2)^2), kappa = 0 and 1;
2. the E/I capacity map over (sigma_E, sigma_I) at f_E = 0.8 (E3 with groups and balance);
3. teacher-student: eps_g against alpha for the spherical, sign-constrained,
   teacher-matched and optimal lognormal students, lognormal teacher (E8);
4. q(alpha) and the free entropy for several priors, with capacity and transition lines;
5. a LaTeX table of capacities (30 digits) and one of teacher-student errors.
Each step prints its time.
"""
from __future__ import annotations

import os
import time

import numpy as np


def _both_formats(outdir, stem, draw):
    """Draw one figure as PDF (for the paper) and PNG (for screens); return the paths."""
    paths = [os.path.join(outdir, f"{stem}.{ext}") for ext in ("pdf", "png")]
    for p in paths:
        draw(p)
    return paths


W2_FAMILIES = [
    ("lognormal", "lognormal:sigma={}", np.linspace(0.1, 2.0, 20)),
    ("gamma", "gamma:k={}", np.geomspace(0.3, 20, 20)),
    ("E/I lognormal, f_E = 0.8", "ei:fE=0.8,sigmaE={0},sigmaI={0}", np.linspace(0.1, 2.0, 20)),
    ("ternary", "ternary:f0={}", np.linspace(0.0, 0.9, 19)),
    ("uniform, laplace, exponential, half-normal, rectified, binary (q -> 1 value)", None,
     ["uniform", "laplace", "exponential", "halfnormal", "rectified", "binary"]),
]


def _capacity_vs_w2(outdir, quick):
    from solvers.e3_grid import rho_np

    from . import figures
    from .priors import prior

    pts = []
    for lab, tmpl, vals in W2_FAMILIES:
        specs = [tmpl.format(f"{v:.6g}") for v in vals] if tmpl else list(vals)
        if quick:
            specs = specs[::3]
        rho = np.array([rho_np(prior(s)).rho for s in specs])
        pts.append((lab, np.sqrt(np.maximum(2 * (1 - rho), 0)), rho ** 2))
    return _both_formats(outdir, "capacity_vs_w2", lambda p: figures.capacity_vs_w2_figure(pts, p))


def _ei_map(outdir, quick, executor):
    from . import figures
    from .phase_diagram import Axis, Problem, phase_diagram

    n = 30 if quick else 100
    pd = phase_diagram(Problem("alpha_c", prior="ei:fE=0.8"), Axis("sigmaE", tuple(np.linspace(0.05, 2.5, n))),
                       Axis("sigmaI", tuple(np.linspace(0.05, 2.5, n))), executor=executor)
    pd.save(os.path.join(outdir, "ei_capacity_map.json"))
    title = "E/I capacity alpha_c (kappa = 0, f_E = 0.8, lognormal magnitudes, balance)"
    return _both_formats(outdir, "ei_capacity_map", lambda p: figures.phase_diagram_figure(
        pd, p, contours=[0.1, 0.2, 0.3, 0.4, 0.5], title=title))


def _student_families(outdir, quick):
    from . import figures
    from .teacher_student import compare_students

    alphas = [0.25, 1.0, 3.0, 10.0] if quick else [0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 7.0, 10.0]
    res = compare_students("lognormal:sigma=1", alphas)
    curves = [(lab, [p.alpha for p in pts], [p.eps_g for p in pts]) for lab, pts in res.items()]
    return _both_formats(outdir, "student_families", lambda p: figures.curves_figure(
        curves, "alpha", "eps_g", p, title="max-margin students, teacher lognormal(sigma = 1)"))


def _q_curves(outdir, quick):
    from . import figures
    from .capacity import curve

    curves = []
    for spec, amax in (("gaussian", 1.95), ("lognormal:sigma=1", 0.72), ("binary", 1.2)):
        al = np.linspace(0.02, amax, 12 if quick else 40)
        pts = curve(spec, 0.0, al)
        curves.append((spec, [p.alpha for p in pts], [p.q for p in pts]))
    return _both_formats(outdir, "q_of_alpha", lambda p: figures.curves_figure(
        curves, "alpha", "q", p, title="RS overlap q(alpha), kappa = 0 (E1-E2)"))


def _named_max_margin_students():
    """The registered students named without a spec that learn by max-margin (spherical, sign)."""
    from .teacher_student import DISTRIBUTION, STUDENTS

    return [n for n, k in STUDENTS.items() if n != DISTRIBUTION and "max-margin" in k.rules]


def _tables(outdir, quick):
    from .tables import capacity_table, teacher_student_table

    specs = ["gaussian", "rectified", "lognormal:sigma=1", "ei:fE=0.8,sigmaE=1,sigmaI=1", "uniform", "binary"]
    t = capacity_table(specs if not quick else specs[:3], [0, 0.5, 1], dps=30, digits=15)
    p1 = os.path.join(outdir, "capacity_table.tex")
    with open(p1, "w", encoding="utf-8") as fh:
        fh.write(t.render("latex"))
    t2 = teacher_student_table("lognormal:sigma=1", [*_named_max_margin_students(), "lognormal:sigma=1"],
                               "max-margin", [0.5, 2.0, 10.0], digits=None)   # as many digits as each error supports
    p2 = os.path.join(outdir, "teacher_student_table.tex")
    with open(p2, "w", encoding="utf-8") as fh:
        fh.write(t2.render("latex"))
    return [p1, p2]


STEPS = [("capacity against W2", _capacity_vs_w2), ("E/I capacity map", _ei_map),
         ("teacher-student student families", _student_families), ("q(alpha) curves", _q_curves),
         ("tables", _tables)]


def reproduce(outdir, quick=False, executor=None, log=print):
    os.makedirs(outdir, exist_ok=True)
    done = []
    t_all = time.time()
    for name, fn in STEPS:
        t0 = time.time()
        paths = fn(outdir, quick, executor) if fn is _ei_map else fn(outdir, quick)
        dt = time.time() - t0
        done.append((name, paths, dt))
        log(f"{name}: {dt:.1f} s -> {', '.join(os.path.basename(p) for p in paths)}")
    log(f"total: {time.time() - t_all:.1f} s")
    return done
