"""Command line for phase diagrams, tables and the paper's figures:
`replica phase-diagram`, `replica table`, `replica reproduce`."""
from __future__ import annotations

import argparse

import numpy as np

from .common.argtypes import exact_range, integer, parse_range, real, to_real
from .common.files import FIGURE_FORMATS, check_output, check_output_folder
from .priors import PriorError
from .teacher_student import DEFAULT_STUDENT


PD_HELP = """Any quantity on a grid of two parameters, double precision, rows in parallel, cached.

axes (--x, --y): NAME=start:stop:count or NAME=a,b,c with NAME one of
  alpha, kappa                       the load and the margin
  a prior parameter                  sigmaE with --prior ei:fE=0.8; sigma with --prior lognormal;
                                     or a {placeholder} of a composite spec
  teacher.NAME, student.NAME         teacher-student quantities

quantities:
  alpha_c, alpha_rs, w2              E3 (alpha_c of a discrete prior: zero entropy, E4)
  q, free_entropy, entropy, at_eigenvalue    finite-alpha RS saddle point (E1, E2, E4)
  eps_g, R, kappa_mm                 teacher-student (E5-E8)
  optimal_parameter                  best student parameter in --family at each alpha (slow)

defaults: q on --x alpha=0.1:1:10 and --y kappa=0:1:5 (seconds).  alpha_c, alpha_rs and w2
do not depend on alpha: map them over kappa and prior parameters (an alpha axis is refused);
eps_g, R, kappa_mm and optimal_parameter do not depend on kappa (a kappa axis is refused).
"""

PD_EPILOG = """examples:
  replica phase-diagram alpha_c --prior ei:fE=0.8 --x sigmaE=0.05:2.5:100 --y sigmaI=0.05:2.5:100 --figure ei.png
  replica phase-diagram q --prior binary --x alpha=0.05:1.2:60 --y kappa=0:1:21 --lines --figure q.png
  replica phase-diagram entropy --prior binary --x alpha=0.05:1.2:40 --y kappa=0:1:11 --contour 0
  replica phase-diagram eps_g --teacher lognormal:sigma=1 --student lognormal --x alpha=0.5:5:10 \\
      --y student.sigma=0.3:1.5:13
"""


def _pool(n):
    from . import workers

    return workers.pool(n)


def _transition_lines(pd):
    """Capacity (and for discrete priors zero-entropy and AT) lines on an (alpha, kappa) map."""
    from .capacity import capacity
    from .priors import prior

    p = pd.problem
    _check_lines(p.prior, pd.x.name, pd.y.name)
    kap = np.array(pd.y.values if pd.y.name == "kappa" else pd.x.values)
    pr = prior(p.prior)
    discrete = pr.is_discrete and not getattr(pr, "empirical", False)
    ks = kap if not discrete else np.linspace(kap.min(), kap.max(), min(len(kap), 6))
    res = capacity(p.prior, [float(k) for k in ks], dps=15, entropy=discrete)   # a float: its repr's decimal
    lines = {"alpha_rs (q -> 1, E3)": [float(r.alpha_rs) for r in res]}
    if discrete:
        lines["alpha_c (entropy zero, E4)"] = [float(r.alpha_c) for r in res]
        lines["alpha_AT"] = [np.nan if r.alpha_at is None else float(r.alpha_at) for r in res]
    out = []
    for lab, al in lines.items():
        xs, ys = (al, ks) if pd.x.name == "alpha" else (ks, al)
        out.append((lab, np.array(xs), np.array(ys)))
    return out


def _check_lines(prior, *axes):
    if not prior or set(axes) != {"alpha", "kappa"}:
        raise PriorError("--lines needs a prior and the axes alpha and kappa")


def cmd_phase_diagram(args):
    from . import figures
    from .phase_diagram import Axis, PhaseDiagram, Problem, phase_diagram

    check_output(args.out, "--out")
    check_output(args.csv, "--csv")
    check_output(args.figure, "--figure", FIGURE_FORMATS)
    levels = _contour_levels(args.contour)
    if args.load:
        pd = PhaseDiagram.load(args.load)
    else:
        student = {"student": args.student} if args.student else {}   # else Problem's default student
        prob = Problem(args.quantity, prior=args.prior, teacher=args.teacher, rule=args.rule, family=args.family,
                       alpha=args.alpha, kappa=args.kappa, nodes=args.nodes, **student)
        x, y = Axis.parse(args.x), Axis.parse(args.y)
        if args.lines:   # before the work, not after it
            _check_lines(args.prior, x.name, y.name)
        with _pool(args.workers) as ex:
            pd = phase_diagram(prob, x, y, cache=args.cache, executor=ex, progress=not args.quiet)
    if args.out:
        pd.save(args.out)
    if args.csv:
        with open(args.csv, "w", encoding="utf-8") as fh:
            fh.write(pd.csv())
    v = pd.values
    fin = v[np.isfinite(v)]
    print(f"{pd.problem.quantity} on {len(pd.y.values)} x {len(pd.x.values)} ({pd.y.name} x {pd.x.name}), float64; "
          f"{pd.computed} points computed, the rest from the cache; {pd.seconds:.1f} s")
    if fin.size:
        print(f"range {fin.min():.6g} .. {fin.max():.6g}; largest error estimate "
              f"{np.nanmax(pd.errors) if np.isfinite(pd.errors).any() else float('nan'):.1e}")
    for m in pd.methods[:5]:
        print(f"method: {m}")
    if args.figure:
        lines = _transition_lines(pd) if args.lines else ()
        figures.phase_diagram_figure(pd, args.figure, lines=lines, contours=levels)
        print(f"figure: {args.figure}")
    if args.out:
        print(f"saved: {args.out} (reload with --load)")


def _contour_levels(text):
    """'0' or '0.1,0.2' -> floats; None when not given."""
    if text is None:
        return None
    return [to_real(v, "--contour") for v in text.split(",")]


def cmd_table(args):
    from .tables import capacity_table, teacher_student_table

    check_output(args.output, "--output")

    if args.digits in (None, "auto"):
        digits = 12 if args.what == "capacity" and args.digits is None else None
    elif args.digits.isdigit() and 1 <= int(args.digits) <= 100:
        digits = int(args.digits)
    else:
        raise PriorError(f"--digits must be a whole number from 1 to 100 or 'auto', not {args.digits!r}")
    if args.what == "capacity":
        if not args.prior:
            raise PriorError("table capacity needs --prior (repeat it for several priors)")
        kap, _ = exact_range(args.kappa, "--kappa")     # exact decimals for the mp capacity
        t = capacity_table(args.prior, kap, dps=args.dps, digits=digits)
    else:
        if not args.teacher:
            raise PriorError("table teacher-student needs --teacher")
        al, _ = parse_range(args.alpha, "--alpha")
        if any(a <= 0 for a in al):
            raise PriorError("--alpha values must be > 0")
        t = teacher_student_table(args.teacher, args.student or [DEFAULT_STUDENT], args.rule, al, digits=digits)
    text = t.render(args.format)
    print(text, end="")
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)


def cmd_reproduce(args):
    from .reproduce import reproduce

    check_output_folder(args.outdir, "reproduce's output folder")
    with _pool(args.workers) as ex:
        reproduce(args.outdir, quick=args.quick, executor=ex)


def _add_phase_diagram(sub):
    pd = sub.add_parser("phase-diagram", help="a quantity on a grid of two parameters (maps, transition lines)",
                        description=PD_HELP, epilog=PD_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    pd.add_argument("quantity", nargs="?", default="q", help="what to map (see above; default q)")
    pd.add_argument("--x", default="alpha=0.1:1:10", help="the x axis, NAME=start:stop:count (default "
                                                          "alpha=0.1:1:10)")
    pd.add_argument("--y", default="kappa=0:1:5", help="the y axis, NAME=start:stop:count (default kappa=0:1:5)")
    pd.add_argument("--prior", help="prior spec (template: parameters on an axis are filled in)")
    pd.add_argument("--teacher", help="teacher spec (teacher-student quantities)")
    pd.add_argument("--student", help="student: spherical | sign | bayes | a prior spec (default spherical)")
    pd.add_argument("--rule", choices=["max-margin", "gibbs"], default="max-margin")
    pd.add_argument("--family", help="student family for optimal_parameter (lognormal, gamma, ternary, rectified)")
    pd.add_argument("--alpha", type=real, help="fixed alpha when it is not an axis")
    pd.add_argument("--kappa", type=real, default=0.0, help="fixed kappa when it is not an axis (default 0)")
    pd.add_argument("--nodes", type=integer, default=64, help="nodes of a continuous prior in the RS solver (default 64)")
    pd.add_argument("--cache", help="JSONL cache of finished points (a rerun reuses them)")
    pd.add_argument("--out", help="save the diagram as JSON")
    pd.add_argument("--load", help="load a saved diagram instead of computing (to redraw)")
    pd.add_argument("--csv", help="write y, x, value, error rows")
    pd.add_argument("--figure", help="write a figure (.png or .pdf)")
    pd.add_argument("--lines", action="store_true",
                    help="draw alpha_rs(kappa) (and for discrete priors the zero-entropy and AT lines) on an "
                         "(alpha, kappa) map")
    pd.add_argument("--contour", help="contour levels of the quantity, e.g. 0 (entropy zero) or 1 (AT)")
    pd.add_argument("--workers", type=integer, help="worker processes (default: all cores)")
    pd.add_argument("--quiet", action="store_true", help="no progress line")
    pd.set_defaults(func=cmd_phase_diagram)


def _add_table(sub):
    tb = sub.add_parser("table", help="paper-ready tables (LaTeX booktabs, CSV, Markdown)",
                        description="Capacity or teacher-student tables with the requested digits; every row "
                                    "states the precision it was computed at and its error estimate, and more "
                                    "digits than the error supports are refused.",
                        epilog="examples:\n  replica table capacity --prior gaussian --prior lognormal:sigma=1 "
                               "--kappa 0,0.5,1 --digits 20 --dps 40 --format latex\n"
                               "  replica table teacher-student --teacher lognormal:sigma=1 --student spherical "
                               "--student sign --alpha 0.5,2,10",
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    tb.add_argument("what", choices=["capacity", "teacher-student"])
    tb.add_argument("--prior", action="append", help="prior spec (repeat for several rows)")
    tb.add_argument("--kappa", default="0", help="margins: a,b,c or start:stop:count (default 0)")
    tb.add_argument("--dps", type=integer, default=30, help="working precision of the capacity (default 30)")
    tb.add_argument("--digits", help="significant digits printed, or 'auto' (as many as each error estimate "
                                     "supports); default 12 for capacity, auto for teacher-student")
    tb.add_argument("--teacher", help="teacher spec")
    tb.add_argument("--student", action="append", help="student (repeat); default spherical")
    tb.add_argument("--rule", choices=["max-margin", "gibbs"], default="max-margin")
    tb.add_argument("--alpha", default="0.5,1,2,5", help="loads: a,b,c or start:stop:count")
    tb.add_argument("--format", choices=["latex", "csv", "markdown"], default="markdown")
    tb.add_argument("--output", help="also write the table to this file")
    tb.set_defaults(func=cmd_table)


def _add_reproduce(sub):
    rp = sub.add_parser("reproduce", help="regenerate the paper's main figures and tables from scratch",
                        description="Capacity against W2, the E/I capacity map, the teacher-student student "
                                    "families, q(alpha) curves and two LaTeX tables, with the time each takes.")
    rp.add_argument("outdir", nargs="?", default="figures", help="output folder (default ./figures)")
    rp.add_argument("--quick", action="store_true", help="coarser grids (about a minute)")
    rp.add_argument("--workers", type=integer, help="worker processes (default: all cores)")
    rp.set_defaults(func=cmd_reproduce)


def add_parsers(sub):
    _add_phase_diagram(sub)
    _add_table(sub)
    _add_reproduce(sub)
