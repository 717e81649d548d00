"""Theory-vs-simulation tables (Markdown, CSV) and figures (matplotlib, PNG/PDF) for the
capacity, kappa*(alpha) and teacher-student reports.  Every table row carries the
deviation from theory in standard errors, (simulation - theory) / SE."""
from __future__ import annotations

import csv
import io

import numpy as np


def _dev(value, theory, se):
    if value is None or se is None or not np.isfinite(se) or se == 0:
        return None
    return (value - theory) / se


def _fmt(v, digits=4):
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:+.2f}" if digits == "dev" else f"{v:.{digits}f}"
    return str(v)


def render(header, rows, fmt="markdown"):
    """rows: lists of already formatted strings."""
    if fmt == "csv":
        buf = io.StringIO()
        wr = csv.writer(buf, lineterminator="\n")
        wr.writerow(header)
        wr.writerows(rows)
        return buf.getvalue()
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- capacity
def capacity_table(rep, alpha_theory, fmt="markdown"):
    header = ["prior", "kappa", "trainer", "sweeps", "N", "samples/alpha", "alpha_c (simulation)", "SE", "step width",
              "E3 of the N targets", "alpha_c (E3)", "deviation / SE"]
    sweeps = "" if rep.trainer in ("qp", "relaxation") else (f"{rep.restarts} x {rep.sweeps}" if rep.restarts > 1 else str(rep.sweeps))
    rows = []
    for r in rep.rows:
        m = max(r.total) if r.total else 0
        rows.append([rep.prior, f"{rep.kappa:g}", rep.trainer, sweeps, str(r.n), str(m), _fmt(r.crossing),
                     _fmt(r.crossing_error), _fmt(r.width), _fmt(r.e3_targets), f"{alpha_theory:.6f}",
                     _fmt(_dev(r.crossing, alpha_theory, r.crossing_error), "dev")])
    for label, ext in (("1/N -> 0", rep.extrapolated), ("N^-1/2 -> 0", rep.extrapolated_sqrt),
                       ("scaling fit -> 0", rep.scaling)):
        if ext:
            value, se = ext
            rows.append([rep.prior, f"{rep.kappa:g}", rep.trainer, sweeps, label, "", _fmt(value), _fmt(se),
                         "", "", f"{alpha_theory:.6f}", _fmt(_dev(value, alpha_theory, se), "dev")])
    text = render(header, rows, fmt)
    if fmt == "markdown" and rep.width_exponent is not None:
        text += (f"\nstep width ~ N^-{rep.width_exponent:.2f}; chi^2 of the fits: 1/N {rep.extrapolated.chi2:.2f}, "
                 f"N^-1/2 {rep.extrapolated_sqrt.chi2:.2f} ({rep.extrapolated.points - 2} dof)\n")
        text += "intercept against the assumed power p of N^-p (dev / SE, chi^2): " + "; ".join(
            f"p = {e.power:.2f}: {e.value:.4f} +- {e.se:.4f} ({_fmt(_dev(e.value, alpha_theory, e.se), 'dev')}, {e.chi2:.1f})"
            for e in rep.power_scan) + "\n"
    sc = rep.scaling
    if fmt == "markdown" and sc:
        text += (f"scaling fit (all counts; shift and width ~ N^-p): p = {sc.power:.3f} +- {sc.power_se:.3f}, "
                 f"alpha_N - alpha_c = {sc.offset:.3f} N^-p, width {sc.width:.3f} N^-p, "
                 f"P_N(alpha_c) = {sc.fixed_point_fraction:.2f} at every N; deviance {sc.deviance:.1f} "
                 f"for {sc.dof} dof\n")
    return text


def capacity_figure(rep, alpha_theory, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy import special

    fig, (ax, bx) = plt.subplots(1, 2, figsize=(9, 3.6), gridspec_kw={"width_ratios": [1.6, 1]})
    for r in rep.rows:
        a = np.array(r.alphas)
        f = np.array(r.fractions)
        m = np.array(r.total)
        err = np.sqrt(np.maximum(f * (1 - f), 0.25 / m) / m)
        line = ax.errorbar(a, f, err, fmt="o", ms=4, capsize=2, label=f"N = {r.n}")
        if r.crossing is not None:
            aa = np.linspace(a.min(), a.max(), 200)
            ax.plot(aa, special.ndtr((r.crossing - aa) / r.width), color=line[0].get_color(), lw=1)
    ax.axvline(alpha_theory, color="k", ls="--", lw=1, label=f"E3: {alpha_theory:.4f}")
    ax.axhline(0.5, color="0.7", lw=0.5)
    ax.set_xlabel(r"$\alpha = P/N$")
    ax.set_ylabel("fraction of samples stored")
    runs = f"{rep.restarts} x " if rep.restarts > 1 else ""
    ax.set_title(f"{rep.prior}, kappa = {rep.kappa:g} ({rep.trainer}"
                 + (f", {runs}{rep.sweeps} sweeps)" if rep.trainer not in ("qp", "relaxation") else ")"), fontsize=9)
    ax.legend(fontsize=8)
    ok = [r for r in rep.rows if r.crossing is not None]
    if ok:
        inv = np.array([1 / r.n for r in ok])
        bx.errorbar(inv, [r.crossing for r in ok], [r.crossing_error for r in ok], fmt="o", capsize=2, color="C0",
                    label="crossing")
        if any(r.e3_targets for r in ok):
            bx.plot(inv, [r.e3_targets for r in ok], "x", color="0.4", label="E3 of the N targets")
        xs = np.linspace(0, inv.max() * 1.05, 100)
        for ext, c, lab in ((rep.extrapolated, "C3", "1/N"), (rep.extrapolated_sqrt, "C2", "N^-1/2")):
            if ext:
                bx.errorbar([0], [ext.value], [ext.se], fmt="s", capsize=2, color=c, label=f"{lab} -> 0")
                bx.plot(xs, ext.value + ext.slope * xs ** ext.power, color=c, lw=0.8)
        sc = rep.scaling
        if sc:
            bx.errorbar([0.0008], [sc.alpha_c], [sc.se], fmt="D", capsize=2, color="C4",
                        label=f"scaling fit (p = {sc.power:.2f}) -> 0")
            bx.plot(xs, sc.alpha_c + sc.offset * xs ** sc.power, color="C4", lw=0.8, ls=":")
        bx.axhline(alpha_theory, color="k", ls="--", lw=1)
        bx.set_xlabel("1/N")
        bx.set_ylabel(r"crossing $\alpha_N$")
        bx.set_xlim(left=-0.002)
        bx.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)


# ---------------------------------------------------------------- kappa*(alpha)
def kappa_table(rep, fmt="markdown"):
    header = ["prior", "trainer", "alpha", "N", "samples", "kappa* (simulation)", "SE", "kappa_c (E3)", "deviation / SE"]
    rows = []
    for p in rep.points:
        th = rep.theory[p.alpha]
        rows.append([rep.prior, rep.trainer, f"{p.alpha:g}", str(p.n), f"{p.n_separable}/{p.n_samples}", _fmt(p.mean),
                     _fmt(p.se), f"{th:.6f}", _fmt(_dev(p.mean, th, p.se), "dev")])
    for a, (k, se) in rep.extrapolated.items():
        th = rep.theory[a]
        rows.append([rep.prior, rep.trainer, f"{a:g}", "1/N -> 0", "", _fmt(k), _fmt(se), f"{th:.6f}",
                     _fmt(_dev(k, th, se), "dev")])
    return render(header, rows, fmt)


def kappa_figure(rep, path, theory_fn=None):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.6))
    ns = sorted({p.n for p in rep.points})
    for n in ns:
        pts = [p for p in rep.points if p.n == n]
        ax.errorbar([p.alpha for p in pts], [p.mean for p in pts], [p.se for p in pts], fmt="o", ms=4, capsize=2,
                    label=f"N = {n}")
    _extrapolated_errorbars(ax, rep.extrapolated, "C3", ms=4)
    al = sorted(rep.theory)
    if theory_fn is not None and len(al) > 1:
        aa = np.linspace(min(al), max(al), 100)
        ax.plot(aa, [theory_fn(x) for x in aa], "k-", lw=1, label="E3")
    else:
        ax.plot(al, [rep.theory[x] for x in al], "k--", lw=1, label="E3")
    ax.set_xlabel(r"$\alpha = P/N$")
    ax.set_ylabel(r"max margin $\kappa^*$ (norm $|w|^2 = N$)")
    ax.set_title(f"{rep.prior} ({rep.trainer})", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)


def _extrapolated_errorbars(ax, extrapolated, color, ms):
    """The 1/N -> 0 values ({alpha: (value, SE)}) as squares with error bars."""
    if extrapolated:
        a = sorted(extrapolated)
        ax.errorbar(a, [extrapolated[x][0] for x in a], [extrapolated[x][1] for x in a], fmt="s", ms=ms,
                    capsize=2, color=color, label="1/N -> 0")


# ---------------------------------------------------------------- teacher-student
def ts_table(reports, theories, fmt="markdown", theory_errors=None):
    """One table for several students: reports and theories ({alpha: eps_g}) in pairs;
    theory_errors ({alpha: error estimate of eps_g}, one per student) enter the deviation,
    (simulation - theory) / sqrt(SE^2 + error^2)."""
    header = ["teacher", "student", "rule", "alpha", "N", "samples", "eps_g (simulation)", "SE", "R", "SE(R)",
              "eps_g (theory)", "theory error", "deviation / SE"]
    rows = []
    errors = theory_errors or [{} for _ in theories]
    for rep, theory, err in zip(reports, theories, errors):
        def line(alpha, n, samples, e, se, R="", R_se=""):
            th, te = theory[alpha], err.get(alpha, 0.0) or 0.0
            both = None if se is None else float(np.hypot(se, te))
            return [rep.teacher, rep.student, rep.rule, f"{alpha:g}", n, samples, _fmt(e), _fmt(se), R, R_se,
                    f"{th:.6f}", f"{te:.1e}" if te else "", _fmt(_dev(e, th, both), "dev")]
        for r in rep.rows:
            rows.append(line(r.alpha, str(r.n), str(r.samples), r.eps_g, r.eps_se, _fmt(r.R), _fmt(r.R_se)))
        for a, (e, se) in rep.extrapolated.items():
            rows.append(line(a, "1/N -> 0", "", e, se))
    return render(header, rows, fmt)


def ts_figure(reports, theories, path, dense=None):
    """Several students on one plot: reports and theories ({alpha: eps_g}) in pairs; `dense`:
    optional theory curves on a fine alpha grid, one {alpha: eps_g} per student."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.6))
    for k, (rep, th) in enumerate(zip(reports, theories)):
        c = f"C{k}"
        curve = dense[k] if dense else th
        al = sorted(curve)
        ax.plot(al, [curve[a] for a in al], "-", color=c, lw=1, label=f"{rep.student}, {rep.rule} (theory)")
        nmax = max(r.n for r in rep.rows)
        big = [r for r in rep.rows if r.n == nmax]
        ax.errorbar([r.alpha for r in big], [r.eps_g for r in big], [r.eps_se for r in big], fmt="o", ms=3,
                    capsize=2, color=c, mfc="none", label=f"N = {nmax}")
        _extrapolated_errorbars(ax, rep.extrapolated, c, ms=3)
    ax.set_xlabel(r"$\alpha = P/N$")
    ax.set_ylabel(r"$\epsilon_g = \arccos(R)/\pi$")
    ax.set_title(f"teacher {reports[0].teacher}", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)
