"""Phase diagrams: a quantity of the theory on a grid of two parameters.

Axes are `alpha`, `kappa`, a parameter of the prior spec (`sigmaE` of `ei:fE=0.8`, or a
`{name}` placeholder in a composite spec such as
`groups:0.8*lognormal(sigma={sE})+0.2*-lognormal(sigma={sI})`), or, for teacher-student
quantities, `teacher.NAME` / `student.NAME`.

Quantities (double precision; each value carries an error estimate and the method):
  alpha_c, alpha_rs, w2   E3 by float64 transport quadrature (`solvers.e3_grid`), ~0.3 ms a
                          prior; alpha_c of a discrete prior is the zero-entropy point (E4),
                          one RS solve per point (seconds)
  q, free_entropy, entropy, at_eigenvalue
                          finite-alpha RS saddle point (E1, E2, E4): rows along alpha are
                          sampled in qh and interpolated (`solvers.rs_curve`), other rows
                          solved point by point
  eps_g, R, kappa_mm      teacher-student (E5-E8), rows along alpha in one call
  optimal_parameter       the best student parameter within a family (E8), slow

Rows (fixed y) are the unit of work: they run in parallel on any concurrent.futures
executor and continue along x (warm starts).  Finished points are cached in a JSONL file
keyed by everything that defines them, so a rerun on a larger or shifted grid computes
only the new points.
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import re

import numpy as np

from . import workers
from .common.argtypes import to_float, to_int, to_real
from .common.errors import Interrupted, UserError
from .common.files import read_text
from .priors import PriorError, prior as parse_prior
from .records import RecordFile, task_key
from .results import Result
from .teacher_student import DEFAULT_STUDENT, STUDENTS

E3_QUANTITIES = ("alpha_c", "alpha_rs", "w2")
RS_QUANTITIES = ("q", "free_entropy", "entropy", "at_eigenvalue")
TS_QUANTITIES = ("eps_g", "R", "kappa_mm")
QUANTITIES = E3_QUANTITIES + RS_QUANTITIES + TS_QUANTITIES + ("optimal_parameter",)
PROBLEM_AXES = ("alpha", "kappa")
_NAME = re.compile(r"^(teacher\.|student\.)?[A-Za-z][A-Za-z0-9_]*$")
MAX_SAVED_BYTES = 200_000_000   # a 2000 x 2000 diagram with errors is about 90 MB of JSON
_PLACEHOLDER = re.compile(r"\{([A-Za-z][A-Za-z0-9_]*)\}")


@dataclasses.dataclass(frozen=True)
class Axis:
    name: str
    values: tuple

    @classmethod
    def parse(cls, text: str) -> "Axis":
        """'sigmaE=0.1:2:100' (start:stop:count) or 'alpha=0.5,1,2' (a list)."""
        if "=" not in text:
            raise PriorError(f"an axis is NAME=start:stop:count or NAME=a,b,c; got '{text}'")
        name, rng = (s.strip() for s in text.split("=", 1))
        if not _NAME.match(name):
            raise PriorError(f"bad axis name '{name}'")
        parts = rng.split(":")
        try:
            if len(parts) == 3:
                a, b, n = to_real(parts[0]), to_real(parts[1]), to_int(parts[2])
            elif len(parts) == 1:
                vals = np.array([to_real(v) for v in rng.split(",")])
            else:
                raise UserError("bad form")
        except UserError:
            raise PriorError(f"axis {name}: '{rng}' is not start:stop:count or a list a,b,c") from None
        if len(parts) == 3:
            if not 1 <= n <= 2000:
                raise PriorError(f"axis {name}: between 1 and 2000 points, got {n}")
            vals = np.linspace(a, b, n) if n > 1 else np.array([a])
        return cls(name, tuple(float(f"{v:.12g}") for v in vals))


def fill_spec(template: str, params: dict) -> str:
    """A prior spec with parameter values set: {name} placeholders are replaced; otherwise
    name=value is set in the family's parameters (replacing a value the template gives).  Values are numbers only, and the
    result goes through the whitelist grammar like any spec."""
    if not params:
        return template
    text = template
    names = set(_PLACEHOLDER.findall(template))
    if names:
        missing = names - set(params)
        if missing:
            raise PriorError(f"no value for placeholder(s) {', '.join(sorted(missing))} in '{template}'")
        for k, v in params.items():
            if k not in names:
                raise PriorError(f"'{template}' has no placeholder {{{k}}}")
            text = text.replace("{" + k + "}", repr(float(v)))
        return text
    family, _, body = text.partition(":")
    items = [it for it in body.split(",") if it.strip()] if body else []
    names = [it.split("=", 1)[0].strip() for it in items]
    for k, v in params.items():            # an axis parameter overrides the template's value
        item = f"{k}={float(v)!r}"
        if k in names:
            items[names.index(k)] = item
        else:
            items.append(item)
            names.append(k)
    return f"{family}:{','.join(items)}"


@dataclasses.dataclass
class Problem:
    """What a point means: the quantity and the fixed parameters."""

    quantity: str
    prior: str | None = None
    teacher: str | None = None
    student: str = DEFAULT_STUDENT
    rule: str = "max-margin"
    family: str | None = None       # optimal_parameter
    alpha: float | None = None
    kappa: float = 0.0
    nodes: int = 64

    def __post_init__(self):
        try:   # float64 maps: the double nearest a decimal given as text
            self.kappa = to_float(self.kappa, "kappa")
            self.alpha = None if self.alpha is None else to_float(self.alpha, "alpha")
        except UserError as exc:
            raise PriorError(str(exc)) from None
        if self.quantity not in QUANTITIES:
            raise PriorError(f"unknown quantity '{self.quantity}' (one of {', '.join(QUANTITIES)})")
        if self.quantity in E3_QUANTITIES + RS_QUANTITIES and not self.prior:
            raise PriorError(f"{self.quantity} needs a prior")
        if self.quantity in TS_QUANTITIES + ("optimal_parameter",) and not self.teacher:
            raise PriorError(f"{self.quantity} needs a teacher")
        if self.quantity == "optimal_parameter" and not self.family:
            raise PriorError("optimal_parameter needs a student family (e.g. lognormal)")

    def point(self, values: dict) -> dict:
        """The full, concrete description of one grid point (the cache key)."""
        # an axis the quantity does not depend on would repeat the same computation per value
        if "alpha" in values and self.quantity in E3_QUANTITIES:
            raise PriorError(f"{self.quantity} does not depend on alpha (a property of the prior at margin "
                             "kappa): put kappa or prior parameters on the axes, e.g. --x kappa=0:1:5 "
                             "--y sigma=0.5:2:4 with --prior lognormal")
        if "kappa" in values and self.quantity in TS_QUANTITIES + ("optimal_parameter",):
            raise PriorError(f"{self.quantity} does not depend on kappa: put alpha and a teacher.NAME or "
                             "student.NAME parameter on the axes")
        d = {"quantity": self.quantity}
        prior_p, teacher_p, student_p = {}, {}, {}
        alpha, kappa = self.alpha, self.kappa
        for name, v in values.items():
            if name == "alpha":
                alpha = v
            elif name == "kappa":
                kappa = v
            elif name.startswith("teacher."):
                teacher_p[name[8:]] = v
            elif name.startswith("student."):
                student_p[name[8:]] = v
            else:
                prior_p[name] = v
        if self.quantity in E3_QUANTITIES + RS_QUANTITIES:
            if teacher_p or student_p:
                raise PriorError(f"{self.quantity} has no teacher or student parameters")
            d["prior"] = fill_spec(self.prior, prior_p)
            d["kappa"] = kappa
            if self.quantity in RS_QUANTITIES:
                d["alpha"], d["nodes"] = alpha, self.nodes
        else:
            if prior_p:
                raise PriorError(f"axis {', '.join(prior_p)}: teacher-student axes are teacher.NAME or student.NAME")
            d["teacher"] = fill_spec(self.teacher, teacher_p)
            if self.quantity == "optimal_parameter":
                d["family"] = self.family
            else:
                d["student"] = fill_spec(self.student, student_p) if self.student not in STUDENTS else self.student
                d["rule"] = self.rule
            d["alpha"] = alpha
        if "alpha" in d and (d["alpha"] is None or not d["alpha"] >= 0):
            raise PriorError(f"{self.quantity} needs alpha >= 0 (fixed, or as an axis)")
        if not (math.isfinite(d["kappa"]) and d["kappa"] >= 0) if "kappa" in d else False:
            raise PriorError(f"kappa must be >= 0, got {d['kappa']}")
        return d


# ---------------------------------------------------------------- evaluation of one row
def _e3_row(points):
    from solvers.capacity import gardner_I_np
    from solvers.e3_grid import rho_np

    from .capacity import capacity

    out, cache, done = [], {}, {}
    for pt in points:
        key = _key(pt)
        if key in done:  # equal points (a repeated axis value) are computed once
            out.append(dict(done[key]))
            continue
        spec = pt["prior"]
        if spec not in cache:
            p = parse_prior(spec)
            cache[spec] = (p, rho_np(p))
        p, r = cache[spec]
        q = pt["quantity"]
        if q == "w2":
            res = {"value": math.sqrt(max(2 * (1 - r.rho), 0.0)),
                   "error": r.error / max(math.sqrt(max(2 * (1 - r.rho), 1e-300)), 1e-300), "method": r.method}
        elif q == "alpha_c" and p.is_discrete and not getattr(p, "empirical", False):
            c = capacity(p, pt["kappa"], dps=15)
            res = {"value": float(c.alpha_c), "error": float(c.error_estimate), "method": c.method}
        else:
            inv_i = 1.0 / float(gardner_I_np(pt["kappa"]))
            res = {"value": r.rho ** 2 * inv_i, "error": 2 * r.rho * r.error * inv_i, "method": "E3, " + r.method}
        done[key] = res
        out.append(res)
    return out


def _rs_row(points):
    from solvers import rs_saddle
    from solvers.rs_curve import curve_row

    groups = {}
    for k, pt in enumerate(points):
        groups.setdefault((pt["prior"], pt["kappa"], pt["nodes"]), []).append(k)
    out = [None] * len(points)
    for (spec, kappa, nodes), idx in groups.items():
        p = parse_prior(spec)
        shannon = float(p.shannon_entropy()) if p.is_discrete and not getattr(p, "empirical", False) else None
        meas = rs_saddle.measures_of(p, nodes)
        alphas = [points[k]["alpha"] for k in idx]
        row = curve_row(meas, float(kappa), alphas, shannon)
        for j, k in enumerate(idx):
            q = points[k]["quantity"]
            v = row.values[q][j]
            method = (f"RS saddle point (E1-E2), {nodes} nodes, qh-sampled curve ({row.samples} points) "
                      f"interpolated; q checked to {row.error:.1e}")
            if row.beyond[j]:
                method = f"alpha >= alpha_rs = {row.alpha_rs:.6g} of the discretised prior: q = 1"
            out[k] = {"value": None if not np.isfinite(v) else float(v),
                      "error": row.error if q == "q" else None, "method": method}
    return out


def _ts_row(points):
    from .teacher_student import optimize_student, teacher_student

    groups = {}
    for k, pt in enumerate(points):
        key = (pt["teacher"], pt.get("student"), pt.get("rule"), pt.get("family"))
        groups.setdefault(key, []).append(k)
    out = [None] * len(points)
    for (teacher, student, rule, family), idx in groups.items():
        alphas = [points[k]["alpha"] for k in idx]
        if family:
            res = optimize_student(teacher, family, alphas)
            for k, (a, par, tsp) in zip(idx, res):
                out[k] = {"value": par, "error": 2e-3, "method": f"optimal {family} parameter (E8), xatol 2e-3"}
            continue
        res = teacher_student(teacher, student, rule, alphas)
        for k, tsp in zip(idx, res):
            q = points[k]["quantity"]
            v = {"eps_g": tsp.eps_g, "R": tsp.R, "kappa_mm": tsp.kappa}[q]
            out[k] = {"value": None if v is None or not np.isfinite(v) else float(v),
                      "error": tsp.eps_error if q == "eps_g" else None, "method": f"{rule}: {tsp.branch}"}
    return out


def evaluate_row(points):
    """Values of a list of points of one quantity (a worker task), each as a Result dict
    (the form the --cache records keep)."""
    q = points[0]["quantity"]
    rows = _e3_row(points) if q in E3_QUANTITIES else _rs_row(points) if q in RS_QUANTITIES else _ts_row(points)
    return [Result(q, {k: v for k, v in pt.items() if k != "quantity"}, {q: r["value"]}, {q: r["error"]},
                   r["method"]).to_dict() for pt, r in zip(points, rows)]


def point_value(record):
    """(value, error, method) of a cached point: a Result dict, or the {value, error, method}
    of caches written before Results (still read, so old caches are not recomputed)."""
    if "values" in record:
        r = Result.from_dict(record)
        return r.values[r.quantity], r.error.get(r.quantity), r.method
    return record["value"], record.get("error"), record["method"]


def _is_point(record):
    return isinstance(record, dict) and ({"value", "method"} <= record.keys()
                                         or {"quantity", "values", "method"} <= record.keys())


# ---------------------------------------------------------------- the grid
@dataclasses.dataclass
class PhaseDiagram:
    problem: Problem
    x: Axis
    y: Axis
    values: np.ndarray        # shape (len(y), len(x)); nan where undefined
    errors: np.ndarray
    methods: list             # distinct methods used
    computed: int             # points computed in this call (the rest came from the cache)
    seconds: float

    def to_dict(self):
        return {"quantity": self.problem.quantity, "problem": dataclasses.asdict(self.problem),
                "x": {"name": self.x.name, "values": list(self.x.values)},
                "y": {"name": self.y.name, "values": list(self.y.values)},
                "values": [[None if not np.isfinite(v) else float(v) for v in row] for row in self.values],
                "errors": [[None if not np.isfinite(v) else float(v) for v in row] for row in self.errors],
                "methods": self.methods, "precision": "float64", "computed": self.computed,
                "seconds": self.seconds,
                "conventions": "E_P w^2 = 1, x ~ N(0,1), margin kappa, alpha = P/N (THEORY.md sec. 1)"}

    def save(self, path):
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(self.to_dict(), fh)

    @classmethod
    def load(cls, path):
        """A diagram written by `save`; UserError for anything else (checked before reading)."""
        text = read_text(path, "--load", MAX_SAVED_BYTES, PriorError)
        try:
            d = json.loads(text)
            arr = lambda rows: np.array([[np.nan if v is None else v for v in r] for r in rows], float)  # noqa: E731
            pd = cls(Problem(**d["problem"]), Axis(d["x"]["name"], tuple(d["x"]["values"])),
                     Axis(d["y"]["name"], tuple(d["y"]["values"])), arr(d["values"]), arr(d["errors"]),
                     list(d["methods"]), int(d["computed"]), float(d["seconds"]))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            if isinstance(exc, PriorError):
                raise
            raise PriorError(f"--load '{path}' is not a phase diagram saved by --out ({type(exc).__name__})") from None
        if pd.values.shape != (len(pd.y.values), len(pd.x.values)) or pd.errors.shape != pd.values.shape:
            raise PriorError(f"--load '{path}': the values do not match the axes")
        return pd

    def csv(self):
        lines = [f"{self.y.name},{self.x.name},{self.problem.quantity},error"]
        for i, yv in enumerate(self.y.values):
            for j, xv in enumerate(self.x.values):
                v, e = self.values[i, j], self.errors[i, j]
                lines.append(f"{yv!r},{xv!r},{'' if not np.isfinite(v) else repr(float(v))},"
                             f"{'' if not np.isfinite(e) else repr(float(e))}")
        return "\n".join(lines) + "\n"


_key = task_key          # a point's cache key


def phase_diagram(problem: Problem, x: Axis, y: Axis, cache=None, executor=None, progress=False) -> PhaseDiagram:
    """Evaluate `problem` on the grid x (columns) by y (rows); finished rows are appended to
    the `cache` record file (`replica.records`) as they come."""
    import time

    if x.name == y.name:
        raise PriorError("the two axes must differ")
    t0 = time.time()
    points = [[problem.point({x.name: xv, y.name: yv}) for xv in x.values] for yv in y.values]
    store = RecordFile(cache, "--cache") if cache else None
    done = {k: r["result"] for k, r in store.records.items() if _is_point(r["result"])} if store else {}
    todo = []
    for i, row in enumerate(points):
        miss = [j for j, pt in enumerate(row) if _key(pt) not in done]
        if miss:
            todo.append((i, miss))
    # one task per row, its missing points in x order (continuation along the row)
    tasks = [[points[i][j] for j in miss] for i, miss in todo]
    if store and tasks:
        store.check_writable()              # before the work, not after it
    _run_rows(tasks, done, store, executor, progress, t0)
    vals, errs, methods = _assemble(points, done, len(x.values))
    n_new = sum(len(m) for _, m in todo)
    return PhaseDiagram(problem, x, y, vals, errs, methods[:20], n_new, time.time() - t0)


def _run_rows(tasks, done, store, executor, progress, t0):
    """Evaluate the row tasks (in parallel with an executor), recording each as it finishes;
    Ctrl-C stops the workers and says what was saved."""
    import sys

    serial = executor is None or len(tasks) <= 1
    results = workers.completed(None if serial else executor, evaluate_row, tasks)
    finished = 0
    try:
        for k, res in results:
            for pt, r in zip(tasks[k], res):
                done[_key(pt)] = r
            if store:
                store.append(zip(tasks[k], res))
            finished += 1
            if progress:
                print(workers.progress_text(finished, len(tasks), t0, "row {done}/{total}"), end="", file=sys.stderr)
        if progress and tasks:
            print(file=sys.stderr)
    except KeyboardInterrupt:
        if not serial:
            workers.stop(executor)          # Ctrl-C: no worker keeps computing rows no one records
        if progress:
            print(file=sys.stderr)
        saved = "not saved (no --cache)"
        if store:
            with contextlib.suppress(UserError):
                store.close()
            saved = f"saved in {store.saved_in()}; rerun the same command to resume"
        raise Interrupted(f"{finished} of {len(tasks)} rows finished, {saved}") from None
    finally:
        results.close()
        if store:
            store.close()


def _assemble(points, done, nx):
    """The value and error grids and the distinct methods, from the finished points."""
    vals = np.full((len(points), nx), np.nan)
    errs = np.full_like(vals, np.nan)
    methods = []
    for i, row in enumerate(points):
        for j, pt in enumerate(row):
            value, error, method = point_value(done[_key(pt)])
            if value is not None:
                vals[i, j] = value
            if error is not None:
                errs[i, j] = error
            if method not in methods:
                methods.append(method)
    return vals, errs, methods
