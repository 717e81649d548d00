"""Paper-ready tables: LaTeX (booktabs), CSV and Markdown from one list of rows.

Numbers are printed with the requested significant digits, but never with more than the
computation supports: each row says the precision it was computed at and its error
estimate, and a digit count beyond what the error allows is refused.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import math

import mpmath as mp

from .priors import PriorError


@dataclasses.dataclass
class Table:
    header: list
    rows: list            # lists of cells (str or numbers already formatted)
    caption: str = ""
    notes: tuple = ()

    def render(self, fmt="markdown"):
        if fmt == "csv":
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator="\n")
            w.writerow(self.header)
            w.writerows(self.rows)
            return buf.getvalue()
        if fmt == "latex":
            cols = "".join("l" if h in ("prior", "teacher", "student", "rule", "method", "precision") else "r"
                           for h in self.header)
            out = ["\\begin{table}[t]", "\\centering"]
            if self.caption:
                out.append(f"\\caption{{{latex_escape(self.caption)}}}")
            out += [f"\\begin{{tabular}}{{{cols}}}", "\\toprule",
                    " & ".join(latex_escape(h) for h in self.header) + " \\\\", "\\midrule"]
            out += [" & ".join(latex_cell(c) for c in r) + " \\\\" for r in self.rows]
            out += ["\\bottomrule", "\\end{tabular}"]
            out += [f"\\par{{\\footnotesize {latex_escape(n)}}}" for n in self.notes]
            out.append("\\end{table}")
            return "\n".join(out) + "\n"
        lines = ["| " + " | ".join(self.header) + " |", "|" + "---|" * len(self.header)]
        lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in self.rows]
        if self.notes:
            lines += [""] + list(self.notes)
        return "\n".join(lines) + "\n"


def latex_escape(s):
    s = str(s)
    for a, b in (("\\", "\\textbackslash{}"), ("_", "\\_"), ("%", "\\%"), ("&", "\\&"), ("#", "\\#"),
                 ("{", "\\{"), ("}", "\\}"), ("^", "\\^{}"), ("|", "$|$")):
        s = s.replace(a, b)
    return s


def latex_cell(c):
    s = str(c)
    if s.replace(".", "", 1).replace("-", "", 1).replace("e", "", 1).replace("+", "", 1).isdigit():
        return f"${s}$" if "e" in s else s
    return latex_escape(s)


def fmt_value(x, digits, error=None):
    """x to `digits` significant digits (mpmath or float); PriorError if the error estimate
    says fewer digits are correct.  digits=None: as many as the error supports (2 to 15)."""
    if x is None:
        return "--"
    xv = mp.mpf(x) if not isinstance(x, mp.mpf) else x
    if not mp.isfinite(xv):
        return "nan"
    err = float(error) if error is not None else 0.0
    good = int(math.floor(-math.log10(err / abs(float(xv))))) if err > 0 and xv != 0 else None
    if digits is None:
        return mp.nstr(xv, 15 if good is None else min(max(good, 2), 15), strip_zeros=False)
    if good is not None and digits > max(good, 1):
        raise PriorError(f"{digits} digits requested but the error estimate ({err:.1e}) supports "
                         f"{max(good, 1)}: lower --digits or raise the precision (--dps)")
    return mp.nstr(xv, digits, strip_zeros=False)


def capacity_table(priors, kappas, dps=30, digits=12):
    from .capacity import capacity

    if digits is not None and digits > dps:
        raise PriorError(f"{digits} digits requested at a working precision of {dps}: raise --dps")
    if isinstance(kappas, str) or not hasattr(kappas, "__iter__"):
        kappas = [kappas]
    rows = []
    for spec in priors:
        # kappas as given: capacity() reads text and decimals exactly at its working precision
        for r in (c.result() for c in capacity(spec, list(kappas), dps=dps)):
            v, err = r.values, r.error["alpha_c"]
            rows.append([spec, mp.nstr(mp.mpf(r.inputs["kappa"]), 6), fmt_value(v["alpha_c"], digits, err),
                         fmt_value(v["w2_distance"], None if digits is None else min(digits, dps), err),
                         mp.nstr(err, 2), f"mpmath, {dps} digits"])
    return Table(["prior", "kappa", "alpha_c", "W2 to N(0,1)", "error estimate", "precision"], rows,
                 caption="Capacity of distribution-constrained perceptrons (E3; discrete priors: E4)",
                 notes=("Weights rescaled to unit second moment, x ~ N(0,1), alpha = P/N.",))


def teacher_student_table(teacher, students, rule, alphas, digits=None):
    from .teacher_student import teacher_student

    rows = []
    for st in students:
        for r in (p.result() for p in teacher_student(teacher, st, rule, alphas)):
            v, e = r.values, r.error["eps_g"]
            err = e if e else 1e-12
            rows.append([st, rule, f"{r.inputs['alpha']:g}", fmt_value(v["eps_g"], digits, err),
                         fmt_value(v["R"], digits, err), "--" if v["kappa"] is None else fmt_value(v["kappa"], digits, err),
                         f"{e:.1e}", "float64"])
    return Table(["student", "rule", "alpha", "eps_g", "R", "kappa", "error estimate", "precision"], rows,
                 caption=f"Teacher-student generalization, teacher {teacher} (E5-E8)",
                 notes=("eps_g = arccos(R)/pi against the clean teacher (E7).",))
