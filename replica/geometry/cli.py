"""`replica geometry {predict, fit}`: thin handlers over replica.geometry; `train` (the
mirror-descent trainers of validation/) is a plug-in, validation.cli.register_geometry.
User errors raise PriorError (one line, exit 2)."""
from __future__ import annotations

import argparse
import json
import math

import numpy as np

from ..common.argtypes import real
from ..common.files import FIGURE_FORMATS, check_output
from ..priors.base import PriorError
from ..priors.empirical import load_weights
from ..common.plugins import add_plugins
from .fit import DEFAULT_CANDIDATES, RANK_KEYS, fit
from .potentials import describe_potentials
from .predict import predict

POTENTIAL_HELP = """potentials (phi per synapse; mirror descent updates theta = phi'(w)):
%s
  p-norm convention: phi = |w|^p / p (Pogodin et al. 2024); user formulas use the whitelist
  grammar of 'replica priors' (numbers, w, + - * / ^, exp log sqrt abs sinh cosh tanh ...).
"""

MODEL = """model: phi'(w_after) = phi'(w_before) - c w_before + m + s xi, xi ~ N(0,1) independent of
w_before (Pogodin et al., ICLR 2024; c = 0 is their model, c the cavity reaction term).  The
law of w_after is the push-forward of that dual law through (phi')^-1."""


def _qq_plot(path, panels):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 4), squeeze=False)
    for ax, (title, theo, sample) in zip(axes[0], panels):
        ax.plot(theo, sample, ".", ms=2)
        lo, hi = np.nanmin(theo[np.isfinite(theo)]), np.nanmax(theo[np.isfinite(theo)])
        ax.plot([lo, hi], [lo, hi], "k-", lw=0.8)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("predicted quantile")
        ax.set_ylabel("weights")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _finite(name, v, positive=False):
    if v is not None and (not math.isfinite(v) or (positive and v <= 0)):
        raise PriorError(f"{name} must be finite{' and > 0' if positive else ''}, got {v}")


def cmd_predict(args):
    _finite("--dual-std", args.dual_std, positive=True)
    _finite("--dual-mean", args.dual_mean)
    _finite("--reaction", args.reaction)
    check_output(args.qq, "--qq", FIGURE_FORMATS)
    weights = load_weights(args.compare) if args.compare else None
    if args.qq and weights is None:
        raise PriorError("--qq needs --compare FILE (the weights to plot against the prediction)")
    r = predict(args.potential, args.init, args.dual_std, args.dual_mean, args.reaction, args.alpha, args.kappa,
                args.overlap, weights)
    if args.qq:
        _qq_plot(args.qq, [(f"{r.potential} from {r.init}", *r.qq)])
    if args.json:
        print(json.dumps(r.to_dict()))
        return
    print(f"potential: {r.potential}   initial weights: {r.init}")
    print(MODEL)
    print(f"dual change: mean m = {r.dual_mean:.6g}, std s = {r.dual_std:.6g}, reaction c = {r.reaction:.6g}"
          f"   ({r.source})")
    print(f"prior spec (for replica capacity / teacher-student --prior, --teacher, --student):\n  {r.spec}")
    if r.closed_form:
        print(f"density after learning (closed form; m, s, mu_0, sigma_0 as above):\n  p(w) = {r.density}")
    else:
        err = f", estimated error {r.table_error:.1e}" if r.table_error is not None else ""
        print(f"density after learning: no closed form; numerical push-forward (float64 tables{err})")
    print(f"after learning: mean {r.mean:.6g}, std {r.std:.6g}")
    print("quantiles: " + ", ".join(f"{k}: {v:.5g}" for k, v in r.quantiles.items()))
    if r.comparison is not None:
        c = r.comparison
        print(f"against {args.compare} (N = {c.n}): KS = {c.ks:.4f} (99% critical {c.ks_critical:.4f}), "
              f"W2 = {c.w2:.4g} (99% tolerance {c.w2_tolerance:.4g}) -> "
              f"{'consistent' if c.consistent else 'NOT consistent'} with the prediction")
    if args.qq:
        print(f"QQ plot: {args.qq}")


def cmd_fit(args):
    check_output(args.qq, "--qq", FIGURE_FORMATS)
    before, after = load_weights(args.before), load_weights(args.after)
    cands = list(args.candidates) + list(args.add or [])
    rep = fit(before, after, cands, args.paired, args.rank_by)
    if args.qq:
        from solvers.geometry import DualMixture, PushForward, qq_points, sample_nodes

        from .potentials import potential
        panels = []
        for row in rep.rows:
            if row.feasible:
                pot = potential(row.potential)
                g, p = sample_nodes(pot.grad(before))
                law = PushForward(DualMixture(g, p, row.dual_mean, row.dual_std), pot)
                panels.append((f"{row.potential}: KS {row.ks:.3f}", *qq_points(after, law.ppf)))
        _qq_plot(args.qq, panels)
    if args.json:
        print(json.dumps(rep.to_dict()))
        return
    print(f"before: {args.before} (N = {rep.n_before})   after: {args.after} (N = {rep.n_after})"
          f"{'   paired' if rep.paired else ''}")
    print("model per candidate: phi'(w_after) = phi'(w_before) + m + s xi, xi ~ N(0,1) independent of w_before;\n"
          "(m, s) by maximum likelihood; loglik per weight in weight space (comparable across potentials).")
    head = f"{'rank':>4} {'potential':<22} {'loglik':>10} {'KS':>8} {'W2':>9} {'m':>9} {'s':>9}"
    if rep.paired:
        head += f" {'paired ll':>10} {'KS(d~N)':>8} {'corr(d,w0)':>10}"
    print(head)
    for i, r in enumerate(rep.rows, 1):
        if not r.feasible:
            print(f"{i:>4} {r.potential:<22} infeasible: {r.reason}")
            continue
        line = f"{i:>4} {r.potential:<22} {r.loglik:10.5f} {r.ks:8.4f} {r.w2:9.4g} {r.dual_mean:9.4g} {r.dual_std:9.4g}"
        if rep.paired:
            pr = r.paired
            line += f" {r.paired_loglik:10.5f} {pr.get('ks_gaussian', float('nan')):8.4f} " \
                    f"{pr.get('corr_change_init', float('nan')):10.4f}"
        print(line)
    print(f"best ({rep.rank_by}): {rep.best.potential}   (KS 99% two-sample critical value ~ {rep.ks_critical:.4f})")
    if args.qq:
        print(f"QQ plots: {args.qq}")


def add_parser(sub):
    epilog = POTENTIAL_HELP % describe_potentials()
    g = sub.add_parser("geometry", help="plasticity geometry: weight distributions after mirror-descent learning",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Plasticity geometry (Pogodin et al., ICLR 2024): mirror descent with potential "
                                   "phi changes each synapse's\ndual variable phi'(w) by a Gaussian amount, so the "
                                   "weight distribution after learning depends on phi.\n  predict  the distribution a "
                                   "geometry produces (and a prior spec for capacity/teacher-student)\n  fit      which "
                                   "geometry turns measured 'before' weights into 'after' weights\n  train    mirror "
                                   "descent on a perceptron, writing before/after .npy files",
                       epilog=epilog)
    gs = g.add_subparsers(dest="geometry_command", required=True)

    _add_predict(gs, epilog)
    _add_fit(gs, epilog)
    add_plugins("replica.geometry.commands", gs)   # train (validation.cli)
    return g


def _add_predict(gs, epilog):
    pr = gs.add_parser("predict", help="weight distribution after learning with a potential",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Predict the weight distribution after learning.\n" + MODEL + "\nThe dual "
                                   "parameters are given (--dual-std, --dual-mean, --reaction), derived from the "
                                   "small-alpha theory\nof hinge-loss training (--alpha, --kappa, --overlap), or default "
                                   "to s = half the initial dual std.",
                       epilog=epilog)
    pr.add_argument("--potential", required=True, help="euclidean | entropic | pnorm:p=3 | user:grad=FORMULA ...")
    pr.add_argument("--init", required=True, help="initial weight prior spec, e.g. lognormal:sigma=0.5")
    pr.add_argument("--dual-std", type=real, help="std s of the dual change (default: half the initial dual std)")
    pr.add_argument("--dual-mean", type=real, default=0.0, help="mean m of the dual change (default 0)")
    pr.add_argument("--reaction", type=real, default=0.0, help="reaction coefficient c (default 0: the paper's model)")
    pr.add_argument("--alpha", type=real, help="derive m, s, c from the small-alpha theory at load alpha = P/N")
    pr.add_argument("--kappa", type=real, default=0.0, help="margin of the hinge loss for --alpha (default 0)")
    pr.add_argument("--overlap", type=real, default=0.0,
                    help="initial student-teacher overlap R for --alpha with teacher labels (default 0)")
    pr.add_argument("--compare", metavar="FILE", help="weights (.npy/.csv/.txt) to compare with: KS, W2, tolerances")
    pr.add_argument("--qq", metavar="PNG", help="with --compare: write a QQ plot")
    pr.add_argument("--json", action="store_true", help="print JSON")
    pr.set_defaults(func=cmd_predict)


def _add_fit(gs, epilog):
    ft = gs.add_parser("fit", help="which geometry maps 'before' weights onto 'after' weights",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="For each candidate potential, fit the Gaussian dual change (m, s) by maximum "
                                   "likelihood so that the\npush-forward of the before-weights matches the "
                                   "after-weights, and report the log-likelihood per weight\n(in weight space, "
                                   "comparable across potentials), KS and W2, ranked.  --paired: the files hold\nthe "
                                   "same synapses in the same order; the per-synapse dual changes are tested too.",
                       epilog=epilog)
    ft.add_argument("--before", required=True, help="weights before learning (.npy/.csv/.txt)")
    ft.add_argument("--after", required=True, help="weights after learning (.npy/.csv/.txt)")
    ft.add_argument("--paired", action="store_true", help="same synapses, same order: use per-synapse dual changes")
    ft.add_argument("--candidates", nargs="+", default=list(DEFAULT_CANDIDATES),
                    help=f"potential specs to compare (default: {' '.join(DEFAULT_CANDIDATES)})")
    ft.add_argument("--add", action="append", metavar="POTENTIAL", help="an extra candidate (repeatable)")
    ft.add_argument("--rank-by", choices=RANK_KEYS, help="ranking key (default loglik; paired_loglik with --paired)")
    ft.add_argument("--qq", metavar="PNG", help="write QQ plots of the after-weights against each fitted law")
    ft.add_argument("--json", action="store_true", help="print JSON")
    ft.set_defaults(func=cmd_fit)
