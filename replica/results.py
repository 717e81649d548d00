"""One result type for every verb: inputs, values, error estimates, method, precision.

`Result.to_dict()` is JSON-ready and loses nothing: an mp number is written as
{"mpf": "<digits>", "prec": bits} with enough digits to round-trip at its precision, a
float that JSON cannot hold (nan, inf) as {"float": "nan"}; `Result.from_dict` reads it
back to equal values.  The user-facing result classes (`CapacityResult`, `CurvePoint`,
`CurvePointMP`, `TSPoint`) give theirs with `.result()`.

    >>> import mpmath as mp
    >>> r = Result("capacity", {"prior": "binary", "kappa": 0}, {"alpha_c": mp.mpf(2) / 3},
    ...            {"alpha_c": mp.mpf("1e-30")}, "E3", 30)
    >>> Result.from_dict(r.to_dict()) == r
    True
"""
from __future__ import annotations

import dataclasses
import json
import math

import mpmath as mp
import numpy as np

CONVENTIONS = "E_P w^2 = 1, x ~ N(0,1), margin kappa, alpha = P/N (THEORY.md sec. 1)"


def _digits(prec: int) -> int:
    """Decimal digits that round-trip a binary mantissa of `prec` bits."""
    return int(math.ceil(prec * math.log10(2))) + 2


def mpstr(x, dps):
    """x at `dps` significant digits, trailing zeros kept (None stays None)."""
    return None if x is None else mp.nstr(x, dps, strip_zeros=False)


def supported_digits(x, err, dps: int) -> int:
    """Significant digits of x that an absolute error `err` leaves meaningful (at most dps,
    at least 1)."""
    if not x or not err:
        return dps
    return int(max(1, min(dps, mp.floor(mp.log10(abs(x) / err)))))


def printable_digits(x, err, dps: int) -> int:
    """The most significant digits (at most dps, at least 1) that x can be printed with
    when its absolute error is `err`: the largest d with err <= one unit in the d-th digit.
    A value known to its estimate prints all dps digits; no printed digit lies below it."""
    if not x or not err or not mp.isfinite(x):
        return dps
    if not mp.isfinite(err):
        return 1
    e = int(mp.floor(mp.log10(abs(x))))
    d = int(mp.floor(e + 1 - mp.log10(err)))
    return max(1, min(dps, d))


def encode(x):
    """A JSON-ready copy of x: mp numbers tagged with their precision, tuples as lists."""
    if isinstance(x, mp.mpf):
        if not mp.isfinite(x):
            return {"float": str(float(x))}
        prec = max(53, x._mpf_[3])          # the mantissa's own bits, whatever mp.prec is now
        with mp.workprec(prec):
            return {"mpf": mp.nstr(x, _digits(prec)), "prec": prec}
    if isinstance(x, mp.mpc):
        return {"mpc": [encode(x.real), encode(x.imag)]}
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        x = float(x)
        return x if math.isfinite(x) else {"float": str(x)}
    if isinstance(x, dict):
        return {str(k): encode(v) for k, v in x.items()}
    if isinstance(x, (list, tuple, np.ndarray)):
        return [encode(v) for v in x]
    if x is None or isinstance(x, str):
        return x
    raise TypeError(f"cannot encode a {type(x).__name__} in a Result")


def decode(x):
    """The inverse of `encode` (lists stay lists)."""
    if isinstance(x, dict):
        if set(x) == {"mpf", "prec"}:
            with mp.workprec(int(x["prec"])):
                return mp.mpf(x["mpf"])
        if set(x) == {"float"}:
            return float(x["float"])
        if set(x) == {"mpc"}:
            re, im = (decode(v) for v in x["mpc"])
            return mp.mpc(re, im)
        return {k: decode(v) for k, v in x.items()}
    if isinstance(x, list):
        return [decode(v) for v in x]
    return x


def _same(a, b):
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


@dataclasses.dataclass(frozen=True, eq=False)
class Result:
    """A computed quantity.

    quantity : what was computed ("capacity", "curve", "teacher-student", ...)
    inputs   : the problem, specs as strings (round-trip through `replica.law`)
    values   : name -> number (mp at `dps` digits, or float64)
    error    : name -> absolute error estimate of that value (an upper bound; 0 where exact)
    method   : how, naming THEORY.md's equations
    dps      : decimal digits of the mp path; None for float64
    converged: False when a solver stopped short (values then carry NaN or a warning)
    """

    quantity: str
    inputs: dict
    values: dict
    error: dict
    method: str
    dps: int | None = None
    converged: bool = True
    conventions: str = CONVENTIONS

    def __getitem__(self, name):
        return self.values[name]

    def __eq__(self, other):
        return isinstance(other, Result) and all(
            _same(getattr(self, f.name), getattr(other, f.name)) for f in dataclasses.fields(self))

    def to_dict(self) -> dict:
        return {"quantity": self.quantity, "inputs": encode(self.inputs), "values": encode(self.values),
                "error": encode(self.error), "method": self.method, "dps": self.dps,
                "converged": self.converged, "conventions": self.conventions}

    @classmethod
    def from_dict(cls, d: dict) -> "Result":
        return cls(d["quantity"], decode(d["inputs"]), decode(d["values"]), decode(d["error"]), d["method"],
                   d.get("dps"), bool(d.get("converged", True)), d.get("conventions", CONVENTIONS))

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Result":
        return cls.from_dict(json.loads(text))


# ---------------------------------------------------------------- files
MAX_SAVED_BYTES = 1 << 28
FORMAT = "replica-results-1"


def save(results, path):
    """Write Results to a JSON file (lossless; `load` reads it back equal)."""
    with open(path, "w", encoding="utf-8") as fh:
        json.dump({"format": FORMAT, "results": [r.to_dict() for r in results]}, fh)
        fh.write("\n")


def load(path):
    """The Results of a file written by `save`; UserError (one line) for anything else."""
    from .common.errors import UserError
    from .common.files import read_text

    text = read_text(path, "results file", MAX_SAVED_BYTES)
    try:
        d = json.loads(text)
        if d.get("format") != FORMAT:
            raise KeyError("format")
        return [Result.from_dict(r) for r in d["results"]]
    except (ValueError, KeyError, TypeError, AttributeError):
        raise UserError(f"'{path}' is not a results file written by --save") from None


def _number(x, dps):
    if isinstance(x, mp.mpf):
        return mp.nstr(x, dps or 15, strip_zeros=False)
    if isinstance(x, float):
        return f"{x:.12g}"
    return "--" if x is None else str(x)


def describe(r: Result) -> str:
    """Plain text of one Result: inputs, then each value with its error estimate."""
    lines = [f"{r.quantity}: " + ", ".join(f"{k} = {_number(v, 6)}" for k, v in r.inputs.items())]
    for k, v in r.values.items():
        err = r.error.get(k)
        tail = "" if err is None else f"   (error {_number(err, 3) if isinstance(err, mp.mpf) else f'{err:.2g}'})"
        lines.append(f"  {k:20s} = {_number(v, r.dps)}{tail}")
    lines.append(f"  method: {r.method}; precision: {'%d digits' % r.dps if r.dps else 'float64'}"
                 + ("" if r.converged else "; NOT CONVERGED"))
    return "\n".join(lines)
