"""Figures with one consistent style (matplotlib, PDF or PNG by the file name).

Every axis names its quantity and convention (alpha = P/N, margin kappa against the unit
second moment, eps_g = arccos(R)/pi); titles name the prior, kappa and method.
"""
from __future__ import annotations

import contextlib

import numpy as np

STYLE = {
    "figure.figsize": (4.8, 3.6), "figure.dpi": 150, "savefig.dpi": 200, "savefig.bbox": "tight",
    "font.size": 9, "axes.titlesize": 9, "axes.labelsize": 9, "legend.fontsize": 7.5,
    "xtick.labelsize": 8, "ytick.labelsize": 8, "axes.grid": True, "grid.alpha": 0.25, "lines.linewidth": 1.3,
    "axes.spines.top": False, "axes.spines.right": False, "image.cmap": "viridis",
}

LABELS = {
    "alpha": r"$\alpha = P/N$", "kappa": r"margin $\kappa$", "alpha_c": r"capacity $\alpha_c$",
    "alpha_rs": r"$\alpha_{RS}$ ($q \to 1$, E3)", "w2": r"$W_2(P, \mathcal{N}(0,1))$", "q": r"overlap $q$",
    "free_entropy": "free entropy (relative to the prior)", "entropy": "entropy (E4)",
    "at_eigenvalue": "AT eigenvalue", "eps_g": r"$\epsilon_g = \arccos(R)/\pi$", "R": r"teacher overlap $R$",
    "kappa_mm": r"max-margin $\kappa$", "optimal_parameter": "optimal student parameter",
}


def label(name):
    return LABELS.get(name, name.replace("_", " "))


@contextlib.contextmanager
def style():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with plt.rc_context(STYLE):
        yield plt


def save(fig, path):
    fig.savefig(path)
    import matplotlib.pyplot as plt

    plt.close(fig)


def phase_diagram_figure(pd, path, lines=(), contours=None, title=None):
    """A filled map of pd.values over (x, y); `lines`: [(label, xs, ys)] transition lines drawn
    on top; `contours`: levels of the quantity to draw and label."""
    with style() as plt:
        fig, ax = plt.subplots(figsize=(5.0, 3.9))
        x, y, z = np.array(pd.x.values), np.array(pd.y.values), np.ma.masked_invalid(pd.values)
        if len(x) > 1 and len(y) > 1:
            m = ax.pcolormesh(x, y, z, shading="nearest")
            cb = fig.colorbar(m, ax=ax)
            cb.set_label(label(pd.problem.quantity))
            if contours is not None:
                cs = ax.contour(x, y, z, levels=contours, colors="w", linewidths=0.8)
                ax.clabel(cs, fontsize=7, fmt="%g")
        for k, (lab, xs, ys) in enumerate(lines):
            ax.plot(xs, ys, color=f"C{k + 1}", lw=1.6, label=lab)
        if lines:
            ax.legend(loc="best")
        ax.set_xlabel(label(pd.x.name))
        ax.set_ylabel(label(pd.y.name))
        ax.grid(False)
        p = pd.problem
        what = p.prior or f"teacher {p.teacher}"
        ax.set_title(title or f"{label(p.quantity)}: {what}" + (f", kappa = {p.kappa:g}" if p.prior else ""))
        save(fig, path)


def curves_figure(curves, xname, yname, path, title="", reference=None):
    """curves: [(label, xs, ys)] (ys may hold nan); reference: optional (label, xs, ys) in black."""
    with style() as plt:
        fig, ax = plt.subplots()
        for k, (lab, xs, ys) in enumerate(curves):
            ax.plot(xs, ys, color=f"C{k}", label=lab)
        if reference:
            ax.plot(reference[1], reference[2], "k--", lw=1, label=reference[0])
        ax.set_xlabel(label(xname))
        ax.set_ylabel(label(yname))
        ax.set_title(title)
        ax.legend()
        save(fig, path)


def capacity_vs_w2_figure(points, path, kappa=0.0):
    """points: [(family label, w2 array, alpha_c / alpha_Gardner array)]; the E3 law
    alpha_c / alpha_G = (1 - W2^2/2)^2 as the reference curve."""
    with style() as plt:
        fig, ax = plt.subplots()
        w = np.linspace(0, np.sqrt(2), 200)   # W2 <= sqrt(2) for unit second moments
        ax.plot(w, (1 - w ** 2 / 2) ** 2, "k-", lw=1, label=r"E3: $(1 - W_2^2/2)^2$")
        for k, (lab, w2, ratio) in enumerate(points):
            ax.plot(w2, ratio, "o", ms=3.5, color=f"C{k}", label=lab)
        ax.set_xlabel(label("w2"))
        ax.set_ylabel(r"$\alpha_c(\kappa) / \alpha_{\rm Gardner}(\kappa)$")
        ax.set_title(f"capacity against the Wasserstein distance to the Gaussian (kappa = {kappa:g})")
        ax.legend(loc="lower left", framealpha=1.0)   # the curve leaves that corner empty
        save(fig, path)
