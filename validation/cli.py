"""Command-line plug-in of the simulations: `replica validate` and `replica geometry train`.

replica does not import validation; it finds these commands through the entry points
`replica.commands` / `replica.geometry.commands` (pyproject.toml) or, in a source tree,
through replica.common.plugins.DEFAULT_PLUGINS.  `register(subparsers)` adds `validate`,
`register_geometry(subparsers)` adds `train` under `replica geometry`.
"""
from __future__ import annotations

import argparse
import json
import math

import numpy as np

from replica import workers
from replica.common.argtypes import check_patterns, integer, parse_range, real
from replica.common.errors import UserError
from replica.common.files import FIGURE_FORMATS, check_output
from replica.priors import prior as parse_prior
from replica.teacher_student import DEFAULT_STUDENT

SIMULATED_STUDENTS = ("spherical", "sign")  # students the simulations train by name (QP / Gibbs sampler)
QP_PRIORS = ("gaussian", "sign")            # --prior values the exact max-margin QP covers


class UsageError(UserError):
    """A bad command line (exit 2)."""


VALIDATE_DESCRIPTION = (
    "Train perceptrons on random samples and compare with the theory.\n"
    "  capacity         fraction of samples stored vs alpha at each N, the crossing "
    "(probit fit),\n                   extrapolated by a finite-size scaling fit of all counts (power fitted)\n"
    "                   and by 1/N and N^-1/2 fits of the crossings, against E3\n"
    "  kappa            max margin kappa*(alpha) per N and its 1/N extrapolation, "
    "against E3\n"
    "  teacher-student  eps_g and R of a student trained on a teacher's labels, "
    "against E5-E8\n"
    "Trainers: qp = exact max-margin QP (gaussian = spherical weights, sign = w >= 0);"
    "\npermutation = swap-move annealing, the weight distribution kept exactly "
    "(a heuristic:\nit may stop short of capacity; compare two --sweeps or --restarts values); "
    "disco = DisCo-SGD\n(the paper's algorithm; --sweeps = gradient steps); relaxation = an LP "
    "certificate,\nnot a trainer (its crossing bounds the exact one from above, the "
    "annealer's from below).\n"
    "Gibbs students: Gibbs sampling of the version space (spherical) or a\n"
    "zero-temperature swap walk (prior spec).\n"
    "Records are appended to --out as samples finish, with seeds, settings and "
    "package versions;\nrerunning the same command resumes.")

VALIDATE_EPILOG = (
    "examples:\n"
    "  replica validate capacity --prior lognormal:sigma=1 --n 50,100,200 "
    "--alpha 0.55:0.9:8 --samples 48\n"
    "  replica validate kappa --prior sign --n 40,80,160 --alpha 0.25:1:4 --samples 24\n"
    "  replica validate teacher-student --teacher lognormal:sigma=1 "
    "--student lognormal:sigma=1 --alpha 1:4:4")


# ---------------------------------------------------------------- replica validate
def _sizes(text):
    try:
        ns = [int(v) for v in text.split(",")]
    except ValueError:
        raise UsageError(f"--n takes comma-separated integers, e.g. 50,100,200; got '{text}'") from None
    if any(n < 5 or n > 5000 for n in ns):
        raise UsageError("--n takes sizes between 5 and 5000, e.g. 50,100,200")
    return ns


def _emit(text, args):
    print(text, end="")
    if args.table:
        with open(args.table, "w", encoding="utf-8") as fh:
            fh.write(text)


def _check_validate_args(args):
    """The checks every `validate` makes before any work: (sizes, alphas)."""
    if args.samples < 2 or args.samples > 100000:
        raise UsageError("--samples must be between 2 and 100000")
    if args.sweeps < 1:
        raise UsageError("--sweeps must be >= 1")
    if not 1 <= args.restarts <= 1000:
        raise UsageError("--restarts must be between 1 and 1000")
    if args.recorded_only and args.what != "capacity":
        raise UsageError("--recorded-only applies to validate capacity")
    ns = _sizes(args.n)
    alphas, _ = parse_range(args.alpha, "alpha", lo_ok=1e-9)
    check_patterns(max(ns), max(alphas))
    check_output(args.table, "--table")
    check_output(args.figure, "--figure", FIGURE_FORMATS)
    return ns, alphas


def _capacity_trainer(args):
    """The trainer of `validate capacity` (checked against the prior) and its one kappa."""
    if not args.prior:
        raise UsageError("validate capacity needs --prior")
    trainer = args.trainer or ("qp" if args.prior in QP_PRIORS else "permutation")
    if trainer == "qp" and args.prior not in QP_PRIORS:
        raise UsageError("--trainer qp covers --prior gaussian (spherical) and sign only")
    if trainer == "relaxation" and args.prior == "sign":
        raise UsageError("--trainer relaxation needs a distribution (prior spec), not sign")
    if args.prior != "sign":
        parse_prior(args.prior)
    kappas, sweep = parse_range(args.kappa, "--kappa")
    if sweep:
        raise UsageError("validate capacity takes one --kappa (the margin every pattern is stored with)")
    if args.restarts != 1 and trainer != "permutation":
        raise UsageError("--restarts applies to the permutation trainer only")
    return trainer, kappas[0]


def _validate_capacity(args, ns, alphas, ex, progress):
    from . import reports
    from .capacity_sim import simulate_capacity, theory_alpha_c

    trainer, kappa = _capacity_trainer(args)
    rep = simulate_capacity(args.prior, ns, alphas, args.samples, args.out, trainer=trainer,
                            sweeps=args.sweeps, kappa=kappa, executor=ex, progress=progress,
                            restarts=args.restarts, run=not args.recorded_only)
    if not any(r.alphas for r in rep.rows):
        raise UsageError(f"no records in {args.out} match these settings and this grid")
    alpha_c = theory_alpha_c(args.prior, args.kappa)
    _emit(reports.capacity_table(rep, alpha_c, args.format), args)
    if args.figure:
        reports.capacity_figure(rep, alpha_c, args.figure)


def _validate_kappa(args, ns, alphas, ex, progress):
    from . import reports
    from .kappa_sweep import simulate_kappa, theory_kappa

    if not args.prior:
        raise UsageError("validate kappa needs --prior")
    if args.prior != "sign":
        parse_prior(args.prior)
    try:
        theory_kappa(alphas[0], args.prior)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    rep = simulate_kappa(args.prior, ns, alphas, args.samples, args.out, trainer=args.trainer,
                         sweeps=args.sweeps, executor=ex, progress=progress)
    _emit(reports.kappa_table(rep, args.format), args)
    if args.figure:
        reports.kappa_figure(rep, args.figure, lambda a: theory_kappa(a, args.prior))


def _ts_students(args):
    if not args.teacher:
        raise UsageError("validate teacher-student needs --teacher")
    parse_prior(args.teacher)
    students = args.student or [DEFAULT_STUDENT]
    for st in students:
        if st not in SIMULATED_STUDENTS:
            parse_prior(st)
    return students


def _validate_teacher_student(args, ns, alphas, ex, progress):
    from replica.teacher_student import teacher_student

    from . import reports
    from .teacher_student_sim import simulate_teacher_student

    students = _ts_students(args)
    reps, ths, errs = [], [], []
    for st in students:
        reps.append(simulate_teacher_student(args.teacher, st, args.rule, ns, alphas, args.samples, args.out,
                                             sweeps=args.sweeps, executor=ex, progress=progress))
        pts = teacher_student(args.teacher, st, args.rule, alphas)
        ths.append({float(p.alpha): p.eps_g for p in pts})
        errs.append({float(p.alpha): p.eps_error for p in pts})
    _emit(reports.ts_table(reps, ths, args.format, errs), args)
    if args.figure:
        fine = list(np.linspace(min(alphas), max(alphas), 25)) if len(alphas) > 1 else alphas
        dense = [{float(p.alpha): p.eps_g for p in teacher_student(args.teacher, st, args.rule, fine)}
                 for st in students]
        reports.ts_figure(reps, ths, args.figure, dense)


VALIDATORS = {"capacity": _validate_capacity, "kappa": _validate_kappa, "teacher-student": _validate_teacher_student}


def cmd_validate(args):
    ns, alphas = _check_validate_args(args)
    ex = workers.executor(args.workers)
    try:
        VALIDATORS[args.what](args, ns, alphas, ex, not args.quiet)
    except BaseException:
        workers.stop(ex)      # an error or Ctrl-C: stop the workers now, not after their queue
        raise
    finally:
        ex.shutdown()
    if args.format == "markdown":
        print(f"records: {args.out} (resumable: rerun the same command to reuse finished samples)")
        if args.figure:
            print(f"figure: {args.figure}")


def _add_problem_arguments(va):
    va.add_argument("what", choices=list(VALIDATORS))
    va.add_argument("--prior", help="capacity/kappa: gaussian (spherical), sign (w >= 0), or a prior spec")
    va.add_argument("--teacher", help="teacher-student: the teacher's prior spec")
    va.add_argument("--student", action="append", help="teacher-student: spherical | sign | a prior spec "
                                                        "(distribution-constrained); repeat for several students "
                                                        "(one table, one figure); default spherical")
    va.add_argument("--kappa", default="0", help="capacity: store every pattern with margin >= kappa (default 0); "
                                                 "the crossing at kappa is a point of the line kappa*(alpha)")
    va.add_argument("--rule", choices=["max-margin", "gibbs"], default="max-margin", help="teacher-student rule")
    va.add_argument("--trainer", choices=["qp", "permutation", "disco", "relaxation"],
                    help="default: qp for gaussian/sign, permutation otherwise; relaxation (capacity, "
                         "distribution constraints): not a trainer, counts a sample as stored unless an LP "
                         "certifies that no admissible permutation stores it (an upper bound on the crossing)")


def _add_run_arguments(va):
    va.add_argument("--n", default="50,100", help="comma-separated sizes N (default 50,100)")
    va.add_argument("--alpha", default="0.4:1.0:7", help="alpha grid start:stop:count (default 0.4:1.0:7)")
    va.add_argument("--samples", type=integer, default=16, help="samples per (N, alpha) (default 16)")
    va.add_argument("--sweeps", type=integer, default=20000,
                    help="annealing sweeps / DisCo steps / Gibbs sweeps (default 20000)")
    va.add_argument("--restarts", type=integer, default=1,
                    help="capacity, permutation trainer: independent anneals per sample, stored if one stores it "
                         "(default 1; the stored fraction is a lower bound that rises with restarts)")
    va.add_argument("--recorded-only", action="store_true",
                    help="capacity: run nothing; tabulate the records of the grid already in --out (for sizes "
                         "run on different alpha grids, give the union of the grids)")
    va.add_argument("--out", default="validation_records.jsonl", help="JSONL record file (resumable)")
    va.add_argument("--format", choices=["markdown", "csv"], default="markdown", help="table format")
    va.add_argument("--table", help="also write the table to this file")
    va.add_argument("--figure", help="write a figure (.png or .pdf)")
    va.add_argument("--workers", type=integer, help="worker processes (default: all cores)")
    va.add_argument("--quiet", action="store_true", help="no progress line")


def register(sub):
    """Entry point (group replica.commands): add `validate` to replica's subcommands."""
    va = sub.add_parser("validate", help="Monte Carlo validation of the theory (capacity, kappa*, teacher-student)",
                        formatter_class=argparse.RawDescriptionHelpFormatter,
                        description=VALIDATE_DESCRIPTION, epilog=VALIDATE_EPILOG)
    _add_problem_arguments(va)
    _add_run_arguments(va)
    va.set_defaults(func=cmd_validate)


# ---------------------------------------------------------------- replica geometry train
def _check_train_args(args):
    """One line on any bad `geometry train` option, before any work: the task dict."""
    from replica.geometry.cli import _finite
    from replica.priors import PriorError

    if args.n < 10 or args.n > 200000:
        raise PriorError("--n must be between 10 and 200000")
    _finite("--alpha", args.alpha, positive=True)
    _finite("--eta", args.eta, positive=True)
    if args.kappa < 0 or not math.isfinite(args.kappa):
        raise PriorError(f"--kappa must be >= 0, got {args.kappa}")
    if args.steps < 1:
        raise PriorError("--steps must be >= 1")
    if args.batch is not None and args.batch < 1:
        raise PriorError("--batch must be >= 1")
    if args.seed < 0 or (args.seeds is not None and not 1 <= args.seeds <= 100000):
        raise PriorError("--seed must be >= 0 and --seeds between 1 and 100000")
    check_patterns(args.n, args.alpha)
    for path, what in ((args.out_before, "--out-before"), (args.out_after, "--out-after")):
        check_output(path, what, (".npy",))
    base = {"potential": args.potential, "init": args.init, "n": args.n, "alpha": args.alpha, "eta": args.eta,
            "steps": args.steps, "loss": args.loss, "kappa": args.kappa, "batch": args.batch, "teacher": args.teacher}
    _check_specs(args)
    workers.check_workers(args.workers)
    return base


def _check_specs(args):
    """Fail early, with one line, on bad potential or prior specs."""
    from replica.geometry.potentials import potential
    from replica.priors import PriorError

    pot = potential(args.potential)
    pot.check_prior(parse_prior(args.init))
    if args.teacher:
        parse_prior(args.teacher)
    if args.loss not in ("hinge", "hinge2", "logistic"):
        raise PriorError(f"unknown loss '{args.loss}'")


def _train_seeds(args, base):
    """`--seeds K`: K runs in parallel, resumable records, one line per seed."""
    from replica.priors import PriorError

    from . import mirror_descent as md

    if not args.records:
        raise PriorError("--seeds needs --records FILE.jsonl (resumable records)")
    with workers.pool(min(args.workers, max(args.seeds, 1))) as ex:
        recs = md.sweep(base, range(args.seed, args.seed + args.seeds), args.records, ex, progress=not args.quiet)
    # seed order, whatever order the workers finished in
    mine = sorted((r for r in recs if all(r["task"].get(k) == v for k, v in base.items())),
                  key=lambda r: r["task"]["seed"])
    if args.json:
        print(json.dumps({"task": base, "records": [{"seed": r["task"]["seed"], **r["result"]} for r in mine]}))
        return
    print(f"{'seed':>5} {'steps':>6} {'KS fit':>8} {'KS lazy':>8} {'crit':>7} {'d std':>8} {'slope':>8}")
    for r in sorted(mine, key=lambda r: r["task"]["seed"]):
        res = r["result"]
        lz = res.get("lazy", {}).get("ks", float("nan"))
        print(f"{r['task']['seed']:>5} {res['steps']:>6} {res['fitted']['ks']:8.4f} {lz:8.4f} "
              f"{res['fitted']['ks_critical']:7.4f} {res['paired']['dual_std']:8.4f} "
              f"{res['paired'].get('reaction_slope', float('nan')):8.4f}")
    print(f"records: {args.records}")


def _print_train(args, res, ev):
    task = f"teacher {args.teacher}" if args.teacher else "random labels"
    print(f"mirror descent ({args.potential}) from {args.init}: N = {args.n}, alpha = {args.alpha:g}, {task}, "
          f"{args.loss} loss, kappa = {args.kappa:g}, eta = {args.eta:g}, seed {args.seed}")
    print(f"steps {res.steps} ({'converged' if res.converged else 'not converged'}), training error "
          f"{res.train_error:.4f}, smallest margin {res.min_margin:.4g}")
    p = ev["paired"]
    print(f"dual changes d = phi'(w_after) - phi'(w_before): mean {p['dual_mean']:.4g}, std {p['dual_std']:.4g}, "
          f"KS from Gaussian {p.get('ks_gaussian', float('nan')):.4f}, corr(d, w_before) "
          f"{p.get('corr_change_init', float('nan')):.4f}, slope {p.get('reaction_slope', float('nan')):.4g}")
    for key, label in (("fitted", "paper's model, (m, s) fitted"), ("lazy", "small-alpha theory, nothing fitted")):
        if key in ev:
            c = ev[key]
            extra = f", c = {c['reaction']:.4g}" if key == "lazy" else ""
            print(f"{label}: m = {c['dual_mean']:.4g}, s = {c['dual_std']:.4g}{extra}; KS = {c['ks']:.4f} "
                  f"(99% critical {c['ks_critical']:.4f}), W2 = {c['w2']:.4g} (tolerance {c['w2_tolerance']:.4g})"
                  f" -> {'consistent' if c['consistent'] else 'NOT consistent'}")
    if "teacher" in ev:
        t = ev["teacher"]
        print(f"teacher overlap {t['overlap_before']:.4f} -> {t['overlap_after']:.4f}; corr(d, teacher weight) "
              f"{t['corr_change_teacher']:.4f}")
    for path in (args.out_before, args.out_after):
        if path:
            print(f"wrote {path}")


def cmd_train(args):
    from . import mirror_descent as md

    base = _check_train_args(args)
    if args.seeds:
        _train_seeds(args, base)
        return
    workers.limit_threads(args.workers)     # one run: --workers bounds its BLAS threads
    res, w_t = md.train(args.potential, args.init, args.n, args.alpha, args.seed, args.eta, args.steps, args.loss,
                        args.kappa, args.batch, args.teacher)
    ev = md.evaluate(args.potential, args.init, res.w_before, res.w_after, args.alpha, args.kappa, args.loss, w_t)
    for path, arr in ((args.out_before, res.w_before), (args.out_after, res.w_after)):
        if path:
            np.save(path, arr)
    out = {"task": base, "seed": args.seed, "steps": res.steps, "converged": res.converged,
           "train_error": res.train_error, "min_margin": res.min_margin, **ev,
           "files": {"before": args.out_before, "after": args.out_after}}
    if args.json:
        print(json.dumps(out))
        return
    _print_train(args, res, ev)


def register_geometry(gs):
    """Entry point (group replica.geometry.commands): add `train` under `replica geometry`."""
    from replica.geometry.cli import POTENTIAL_HELP
    from replica.geometry.potentials import describe_potentials

    epilog = POTENTIAL_HELP % describe_potentials()
    tr = gs.add_parser("train", help="mirror descent on a perceptron: before/after weights and the theory check",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Mirror descent theta <- theta - eta dL/dw on L = sum_mu l(y_mu w.x_mu/sqrt(N)), "
                                   "Gaussian patterns,\nrandom labels (or a teacher's), weights drawn from --init. "
                                   "Reports the per-synapse dual changes and\nthe prediction (fitted and small-alpha) "
                                   "against the trained weights; --out-before/--out-after\nwrite .npy files for "
                                   "'replica geometry fit'.",
                       epilog=epilog)
    tr.add_argument("--potential", required=True, help="potential spec")
    tr.add_argument("--init", required=True, help="initial weight prior spec")
    tr.add_argument("--n", type=integer, default=1000, help="number of weights N (default 1000)")
    tr.add_argument("--alpha", type=real, default=0.1, help="patterns per weight P/N (default 0.1)")
    tr.add_argument("--kappa", type=real, default=1.0, help="margin in the loss (default 1)")
    tr.add_argument("--loss", choices=["hinge", "hinge2", "logistic"], default="hinge")
    tr.add_argument("--eta", type=real, default=0.05, help="learning rate (default 0.05)")
    tr.add_argument("--steps", type=integer, default=2000, help="maximum number of steps (default 2000)")
    tr.add_argument("--batch", type=integer, help="minibatch size (default: full batch)")
    tr.add_argument("--teacher", help="teacher prior spec: labels y = sign(w_T.x) instead of random labels")
    tr.add_argument("--seed", type=integer, default=0, help="random seed (default 0)")
    tr.add_argument("--seeds", type=integer, help="run this many seeds from --seed (needs --records)")
    tr.add_argument("--records", help="JSONL record file for --seeds (resumable)")
    tr.add_argument("--workers", type=integer, default=1, help="processes for --seeds (default 1)")
    tr.add_argument("--out-before", metavar="NPY", help="write the initial weights")
    tr.add_argument("--out-after", metavar="NPY", help="write the trained weights")
    tr.add_argument("--quiet", action="store_true", help="no progress line")
    tr.add_argument("--json", action="store_true", help="print JSON")
    tr.set_defaults(func=cmd_train)
