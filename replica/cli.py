"""Command line: `replica capacity`, `replica curve`, `replica priors`, `replica derive`, `check`,
`teacher-student`; `phase-diagram`, `table` and `reproduce` live in `cli_diagrams`,
`geometry` in `replica.geometry.cli`; plug-ins (replica.common.plugins) add `validate` and
`geometry train` from validation.cli.

Bad input (prior specs, ranges, precision) prints one line `replica: error: ...` and exits
with status 2; no tracebacks for user errors.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
import warnings

import mpmath as mp

from . import output, workers
from .common.argtypes import Parser, exact_range, integer, parse_range, real
from .common.decimals import to_mpf
from .capacity import capacity, curve, curve_mp
from .common.errors import Refused, UserError
from .common.files import check_output, read_text
from .results import describe as describe_result, load as load_results, save as save_results
from .common.plugins import add_plugins
from .priors import describe_families, prior as parse_prior
from .teacher_student import DEFAULT_STUDENT, DISTRIBUTION, PREFIXED, STUDENTS


PRIOR_HELP = """Prior spec (the same strings work in the Python API, replica.prior(SPEC)):

  family[:name=value,...]   e.g. lognormal:sigma=1   ternary:f0=0.5
                                 discrete:values=-1|0|2,probs=0.25|0.5|0.25
%s

  mixture / groups terms: [weight*][-]family[(name=value,...)] joined by '+',
  e.g. groups:0.8*lognormal(sigma=1)+0.2*-lognormal(sigma=0.5) ('-' = inhibitory).
  density formulas: numbers, w, + - * / ^, ( ), pi, e and the functions
  exp log sqrt abs sin cos tan sinh cosh tanh erf erfc gamma max min heaviside step sign.
"""


def student_help():
    """The --student choices, from the student registry (replica.teacher_student)."""
    kinds = [(n, k) for n, k in STUDENTS.items() if n != DISTRIBUTION]
    kinds += [(f"{n}SPEC", k) for n, k in PREFIXED.items()]
    kinds += [("SPEC", k) for n, k in STUDENTS.items() if n == DISTRIBUTION]
    return " | ".join(f"{n}: {k.help}" for n, k in kinds) + f"; default {DEFAULT_STUDENT}"


class UsageError(UserError):
    """A bad command line (exit 2)."""


def _kappa_values(text):
    # exact decimals (a sweep point in rationals): capacity() reads them at its working precision
    return exact_range(text, "kappa")


def cmd_capacity(args):
    kappas, sweep = _kappa_values(args.kappa)
    check_output(args.save, "--save", (".json",))
    results = [r.result() for r in capacity(args.prior, kappas, dps=args.dps)]
    _save(args, results)
    if args.json:
        payload = [output.capacity_dict(r) for r in results]
        print(json.dumps(payload if sweep else payload[0], indent=None if sweep else 2))
        return
    _print(output.capacity_text(results, args.dps, sweep))


def _print(lines):
    print("\n".join(lines))


MAX_CURVE_POINTS = 2000


def _progress_line(unit):
    """A callback (k, n) drawing the progress line (workers.progress_text) at most once a second."""
    t0, last = time.time(), [0.0]

    def show(k, n):
        now = time.time()
        if k and now - last[0] >= 1.0:
            last[0] = now
            print(workers.progress_text(k, n, t0, "{done}/{total} " + unit), end="", file=sys.stderr, flush=True)
        if k == n - 1 and last[0]:
            print(file=sys.stderr)
    return show


def cmd_curve(args):
    kappa, sweep = exact_range(args.kappa, "kappa")
    if sweep:
        raise UsageError("curve takes one kappa")
    alphas, _ = exact_range(args.alpha, "alpha")
    p = parse_prior(args.prior)
    check_output(args.save, "--save", (".json",))
    if args.dps is not None:   # exact decimals into the mp path; floats only for display
        pts = curve_mp(args.prior, kappa[0], alphas, dps=args.dps)   # checks dps
        with mp.workdps(args.dps + 5):   # the saved input: the decimal at working precision
            k_mp = to_mpf(kappa[0])
        pts = [pt.result(p.spec, k_mp) for pt in pts]
        _save(args, pts)
        if args.json:
            print(json.dumps({"prior": p.spec, "kappa": float(kappa[0]),
                              "points": [output.curve_mp_dict(r) for r in pts]}))
            return
        _print(output.curve_mp_text(p.spec, float(kappa[0]), args.dps, pts))
        return
    kappa, alphas = [float(kappa[0])], [float(a) for a in alphas]
    if len(alphas) > MAX_CURVE_POINTS:
        raise UsageError(f"--alpha: curve solves each point (0.1-5 s each); at most {MAX_CURVE_POINTS} values, "
                         f"got {len(alphas)}")
    pts = curve(p, kappa[0], alphas, n_nodes=args.nodes,
                progress=_progress_line("points") if len(alphas) > 20 else None)
    pts = [pt.result(p.spec, kappa[0], lagrange=args.lagrange and args.json) for pt in pts]
    _save(args, pts)
    if args.json:
        print(json.dumps(output.json_safe({"prior": p.spec, "kappa": kappa[0],
                                           "points": [output.curve_point_dict(r) for r in pts]}),
                         default=lambda x: None))
        return
    _print(output.curve_text(p.spec, kappa[0], pts))


def cmd_priors(args):
    if args.spec:
        p = parse_prior(args.spec)
        with mp.workdps(15):
            m1, m2 = p.moment(1), p.moment(2)
        print(f"{p.spec}: E w = {mp.nstr(m1, 10)}, E w^2 = {mp.nstr(m2, 10)} (rescaled to 1 by the solvers)")
        return
    print(PRIOR_HELP % describe_families())


def cmd_derive(args):
    from .api import derive
    from .symbolic.render import FORMATS

    if args.problem == "capacity":
        if not args.prior:
            raise UsageError("derive capacity needs --prior SPEC")
        d = derive(prior=args.prior)
    else:
        if not (args.teacher and args.student):
            raise UsageError("derive teacher-student needs --teacher SPEC and --student SPEC")
        d = derive(teacher=args.teacher, student=args.student, noise=args.noise)
    print(FORMATS[args.format](d))


def cmd_check(args):
    from .api import derive
    from .symbolic.check import CheckError, check_text

    content = read_text(args.file, "equations file", 200_000)
    if args.teacher or args.student:
        if not (args.teacher and args.student):
            raise UsageError("teacher-student checks need both --teacher and --student")
        d = derive(teacher=args.teacher, student=args.student)
    else:
        d = derive(prior=args.prior)
    try:
        results = check_text(content, d)
    except CheckError as exc:
        raise UsageError(str(exc)) from None
    print(f"checked against: {d.title}")
    bad = 0
    for r in results:
        if r.ok:
            print(f"  {r.name}: OK ({r.how})")
        else:
            bad += 1
            print(f"  {r.name}: DIFFERS -- {r.detail}")
    if bad:
        raise SystemExit(1)


def _ts_compare(args, alphas):
    from .teacher_student import compare_students

    res = {k: [p.result({"teacher": args.teacher, "student": k, "rule": "max-margin"}) for p in v]
           for k, v in compare_students(args.teacher, alphas, args.noise, args.flip).items()}
    if args.json:
        print(json.dumps(output.json_safe({"teacher": args.teacher, "rule": "max-margin",
                                           "students": {k: [output.ts_point_dict(r) for r in v]
                                                        for k, v in res.items()}})))
        return
    _print(output.ts_compare_text(args.teacher, alphas, res))


def _ts_optimize(args, alphas):
    from .teacher_student import optimize_student

    inputs = {"teacher": args.teacher, "family": args.optimize_student, "rule": "max-margin"}
    res = [(a, x, p.result(inputs)) for a, x, p in
           optimize_student(args.teacher, args.optimize_student, alphas, "max-margin")]
    if args.json:
        print(json.dumps(output.json_safe({"teacher": args.teacher, "family": args.optimize_student,
                                           "rule": "max-margin", "transitions": [],
                                           "points": [{**output.ts_point_dict(r), "parameter": x}
                                                      for _, x, r in res]})))
        return
    _print(output.ts_optimize_text(args.teacher, args.optimize_student, res))


def cmd_teacher_student(args):
    from .teacher_student import check_combination, teacher_student, transitions

    alphas, _ = parse_range(args.alpha, "alpha")
    if any(a <= 0 for a in alphas):
        raise UsageError("alpha values must be > 0")
    if args.compare or args.optimize_student:
        if args.rule not in (None, "max-margin"):
            raise UsageError("--compare and --optimize-student are max-margin comparisons (omit --rule gibbs)")
        if args.temperature:
            raise UsageError("--temperature applies to Gibbs learning, not to --compare or --optimize-student")
    if args.compare:
        _ts_compare(args, alphas)
        return
    if args.optimize_student:
        _ts_optimize(args, alphas)
        return
    rule = check_combination(args.student, args.rule, args.noise, args.flip, args.temperature)
    check_output(args.save, "--save", (".json",))
    pts = teacher_student(args.teacher, args.student, rule, alphas, noise=args.noise, flip=args.flip,
                          temperature=args.temperature)
    inputs = {"teacher": args.teacher, "student": args.student, "rule": rule, "noise": args.noise,
              "flip": args.flip, "temperature": args.temperature}
    pts = [p.result(inputs) for p in pts]
    _save(args, pts)
    trans = transitions(args.teacher, args.student, rule)
    if args.json:
        print(json.dumps(output.json_safe({"teacher": args.teacher, "student": args.student, "rule": rule,
                                           "points": [output.ts_point_dict(r) for r in pts],
                                           "transitions": trans})))
        return
    _print(output.ts_text(args.teacher, args.student, rule, (args.noise, args.flip, args.temperature), pts, trans))


def _add_capacity(sub):
    c = sub.add_parser("capacity", help="capacity alpha_c(kappa) (E3, E4) at chosen precision",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Capacity of a perceptron whose weight distribution is constrained to the prior.\n"
                                   "Continuous priors: alpha_c = alpha_rs (E3). Discrete priors: alpha_c is where the\n"
                                   "RS entropy vanishes (E4); alpha_rs and the AT point are reported too.",
                       epilog=PRIOR_HELP % describe_families())
    c.add_argument("--prior", required=True, help="prior spec, e.g. lognormal:sigma=1 (see below)")
    c.add_argument("--kappa", default="0", help="margin kappa >= 0, or a sweep start:stop:count (default 0)")
    c.add_argument("--dps", type=integer, default=30, help="decimal digits of precision (default 30)")
    c.add_argument("--json", action="store_true", help="print JSON (numbers as strings with all digits)")
    _add_save(c)
    c.set_defaults(func=cmd_capacity)


def _add_curve(sub):
    k = sub.add_parser("curve", help="q(alpha) and free entropy along alpha (E1-E2), float64",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog=PRIOR_HELP % describe_families())
    k.add_argument("--prior", required=True, help="prior spec")
    k.add_argument("--kappa", default="0", help="margin kappa >= 0 (default 0)")
    k.add_argument("--alpha", default="0:1.5:31", help="alpha values start:stop:count (default 0:1.5:31)")
    k.add_argument("--nodes", type=integer, default=64, help="nodes discretising a continuous prior (default 64)")
    k.add_argument("--dps", type=integer, default=None,
                   help="digits for the mpmath path (priors with few atoms, e.g. binary); default float64")
    k.add_argument("--lagrange", action="store_true",
                   help="with --json: include the Lagrange function lambda(w) on the prior's nodes")
    k.add_argument("--json", action="store_true", help="print JSON")
    _add_save(k)
    k.set_defaults(func=cmd_curve)


def _add_derive(sub):
    dv = sub.add_parser("derive", help="symbolic RS free entropy and saddle-point equations (sympy)",
                        description="Derive the replica-symmetric free entropy (E1/E5-E6) and its saddle-point "
                                    "equations for a prior, and print them as LaTeX, text, JSON or sympy srepr.")
    dv.add_argument("problem", choices=["capacity", "teacher-student"])
    dv.add_argument("--prior", help="prior spec (capacity)")
    dv.add_argument("--teacher", help="teacher prior spec (teacher-student)")
    dv.add_argument("--student", help="student: spherical, or a prior spec (distribution-constrained student)")
    dv.add_argument("--noise", action="store_true", help="Gaussian output noise sigma in E6")
    dv.add_argument("--format", choices=["latex", "text", "json", "srepr"], default="latex")
    dv.set_defaults(func=cmd_derive)


def _add_check(sub):
    ck = sub.add_parser("check", help="check your own saddle-point equations against the derived ones",
                        formatter_class=argparse.RawDescriptionHelpFormatter,
                        description="Each line of FILE is NAME = EXPRESSION, NAME one of the derived terms or "
                                    "equations (G_S, G_E, I, q, qhat, Rhat, alpha_c, ...).\nExpressions use q, qhat, "
                                    "R, Rhat, alpha, kappa, sigma, t, z, E_t(...), E_z(...), H(x), phi(x), Phi(x) and "
                                    "the functions of the prior grammar.\nExit status 0 if all agree, 1 if one differs "
                                    "(the differing term is named), 2 on bad input.",
                        epilog="example line:  G_S = 1/2*log(1-q) + q/(2*(1-q))")
    ck.add_argument("file", help="file with NAME = EXPRESSION lines")
    ck.add_argument("--prior", help="prior spec for a capacity derivation (default gaussian)")
    ck.add_argument("--teacher", help="teacher spec (teacher-student derivation)")
    ck.add_argument("--student", help="student spec (teacher-student derivation)")
    ck.set_defaults(func=cmd_check)


def _add_teacher_student(sub):
    tsp = sub.add_parser("teacher-student", help="generalization of a student learning from a teacher (E5-E8)",
                         description="Teacher-student generalization, replica symmetric. Students: spherical, "
                                     "sign (w >= 0), or a prior spec (distribution-constrained student).\n"
                                     "Rules: max-margin (E8) and gibbs (E5-E6); soft:SPEC students learn by gibbs,\n"
                                     "the Bayes-optimal student (bayes) is the posterior mean.",
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    tsp.add_argument("--teacher", required=True, help="teacher prior spec")
    tsp.add_argument("--student", default=DEFAULT_STUDENT, help=student_help())
    tsp.add_argument("--rule", choices=["max-margin", "gibbs"],
                     help="learning rule (default: gibbs for soft:SPEC students, max-margin otherwise; "
                          "the Bayes-optimal student is a posterior mean, not a rule)")
    tsp.add_argument("--alpha", default="0.5:10:20", help="alpha values start:stop:count (default 0.5:10:20)")
    tsp.add_argument("--noise", type=real, default=0.0, help="Gaussian output noise sigma")
    tsp.add_argument("--flip", type=real, default=0.0, help="label-flip probability")
    tsp.add_argument("--temperature", type=real, default=0.0,
                     help="Gibbs learning temperature 1/beta (0 = sample the version space)")
    tsp.add_argument("--optimize-student", metavar="FAMILY",
                     help="optimise the student prior within FAMILY (lognormal, gamma, ternary, rectified) at each alpha")
    tsp.add_argument("--compare", action="store_true",
                     help="max-margin eps_g of spherical, sign-constrained, teacher-matched and optimal students side by side")
    tsp.add_argument("--json", action="store_true", help="print JSON")
    _add_save(tsp)
    tsp.set_defaults(func=cmd_teacher_student)


def _add_save(p):
    p.add_argument("--save", metavar="FILE.json",
                   help="also write the results to FILE, lossless (every mp digit, error estimates, method); "
                        "'replica show FILE' prints them again")


def _save(args, results):
    if getattr(args, "save", None):
        save_results([r for r in results], args.save)


def cmd_show(args):
    for r in load_results(args.file):
        print(describe_result(r))


def _add_show(sub):
    sh = sub.add_parser("show", help="print results saved with --save (capacity, curve, teacher-student)")
    sh.add_argument("file", help="a results file written by --save")
    sh.set_defaults(func=cmd_show)


def _add_priors(sub):
    pr = sub.add_parser("priors", help="list prior families and the spec grammar; or describe one spec")
    pr.add_argument("spec", nargs="?", help="a prior spec to describe")
    pr.set_defaults(func=cmd_priors)

def build_parser():
    ap = Parser(
        prog="replica",
        description="Replica theory of perceptrons with constrained weight distributions "
                    "(Zhong, Sorscher, Lee, Sompolinsky 2022).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Run 'replica priors' for the prior spec grammar.")
    sub = ap.add_subparsers(dest="command", required=True)
    for add in (_add_capacity, _add_curve, _add_derive, _add_check, _add_teacher_student, _add_show):
        add(sub)
    add_plugins("replica.commands", sub)   # validate (validation.cli)
    from .cli_diagrams import add_parsers as add_diagram_parsers
    from .geometry.cli import add_parser as add_geometry

    add_diagram_parsers(sub)
    add_geometry(sub)
    _add_priors(sub)
    return ap


def _format_warning(message, category, filename, lineno, line=None):
    return f"replica: warning: {message}\n"


def main(argv=None):
    warnings.formatwarning = _format_warning
    ap = build_parser()
    args = ap.parse_args(argv)
    if getattr(args, "nodes", 64) < 4 or getattr(args, "nodes", 64) > 2000:
        ap.exit(2, "replica: error: --nodes must be between 4 and 2000\n")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            args.func(args)
    except UserError as exc:
        ap.exit(2, f"replica: error: {exc}\n")
    except Refused as exc:
        ap.exit(3, f"replica: refused: {exc}\n")
    except ArithmeticError as exc:  # a solver that did not converge says so, with status 3
        ap.exit(3, f"replica: solver did not converge: {exc or type(exc).__name__}\n")
    except KeyboardInterrupt as exc:   # errors.Interrupted says what was saved
        signal.signal(signal.SIGINT, signal.SIG_IGN)   # exiting: a second Ctrl-C adds only noise
        ap.exit(130, f"replica: interrupted{': ' + str(exc) if str(exc) else ''}\n")
    except BrokenPipeError:  # output piped into a reader that quit (| head): not an error of ours
        _silence_stdout()
        return 1
    except MemoryError:
        ap.exit(3, "replica: refused: out of memory (make the problem smaller)\n")
    except OSError as exc:  # the environment failed mid-run (disk full, media gone): one line
        where = f" '{exc.filename}'" if exc.filename else ""
        ap.exit(2, f"replica: error: {exc.strerror or exc}{where}\n")
    return 0


def _silence_stdout():
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout is not a real file (tests)
        pass


if __name__ == "__main__":
    sys.exit(main())
