"""User numbers as exact decimals: kappa, alpha (issue 17 item 5).

Text such as '0.1' means the decimal 1/10, not the binary double nearest it.  It stays
exact (a `Decimal`; a `Fraction` for a range point such as 1/3) until it meets mpmath,
where `to_mpf` rounds it once at the working precision; float64 paths take `to_float`,
the double nearest the exact value.  Accepted: str, Decimal, Fraction, int, float, mpf.
A Python float means the decimal of its shortest repr (0.1 -> 1/10), as `capacity` has
always read it; an mpf keeps its own binary value.
"""
from __future__ import annotations

import decimal
import fractions
import math
import numbers
import re

import mpmath as mp

from .errors import UserError

MAX_DIGITS = 1000          # significant digits a number may carry (dps is at most 1000)
MAX_POINTS = 100_000
_REAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
_INT = re.compile(r"[+-]?[0-9]+", re.ASCII)


def _shown(value) -> str:
    s = str(value)
    return s if len(s) <= 40 else s[:37] + "..."


def _from_text(text: str, name: str) -> decimal.Decimal:
    t = text.strip()
    if len(t) > MAX_DIGITS + 10:
        raise UserError(f"{name}: a number of {len(t)} characters; at most {MAX_DIGITS} digits are read")
    if not _REAL.fullmatch(t):   # no '1_0', Unicode digits, 'nan', 'inf', hex
        raise UserError(f"{name}: '{_shown(text)}' is not a number (ASCII digits, e.g. 0.5 or 1e-3)")
    return decimal.Decimal(t)


def exact(value, name: str = "value"):
    """`value` as an exact number: a Decimal, a Fraction or an mpf; UserError naming `name`
    for anything that is not a finite real number (bool, nan, '1_0', a list, ...)."""
    if isinstance(value, str):
        d = _from_text(value, name)
    elif isinstance(value, (fractions.Fraction, mp.mpf)):
        if isinstance(value, mp.mpf) and not mp.isfinite(value):
            raise UserError(f"{name}: {value} is not a finite number")
        return value
    elif isinstance(value, decimal.Decimal):
        d = value
    elif isinstance(value, numbers.Integral) and not isinstance(value, bool):
        d = decimal.Decimal(int(value))
    elif isinstance(value, numbers.Real) and not isinstance(value, bool):
        f = float(value)
        if not math.isfinite(f):
            raise UserError(f"{name}: {f} is not a finite number")
        d = decimal.Decimal(repr(f))    # the shortest decimal that reads back as f
    else:
        raise UserError(f"{name}: expected a number or a decimal string such as '0.1', "
                        f"got {type(value).__name__} {_shown(repr(value))}")
    if not d.is_finite():
        raise UserError(f"{name}: {d} is not a finite number")
    if len(d.as_tuple().digits) > MAX_DIGITS:
        raise UserError(f"{name}: a number of {len(d.as_tuple().digits)} digits; at most {MAX_DIGITS} are read")
    if not math.isfinite(float(d)):
        raise UserError(f"{name}: {_shown(d)} is out of the floating-point range")
    return d


def to_mpf(value, name: str = "value"):
    """The exact value rounded once to an mpf at the current working precision."""
    x = exact(value, name)
    if isinstance(x, decimal.Decimal):
        return mp.mpf(str(x))                  # mpmath rounds a decimal string correctly
    if isinstance(x, fractions.Fraction):
        return mp.fdiv(x.numerator, x.denominator)   # exact operands, one rounding
    return mp.mpf(x)


def to_float(value, name: str = "value") -> float:
    """The double nearest the exact value (float64 paths)."""
    return float(exact(value, name))


def to_int(text: str, name: str = "value") -> int:
    t = text.strip() if isinstance(text, str) else ""
    if not _INT.fullmatch(t) or len(t) > 20:
        raise UserError(f"{name}: '{text}' is not a whole number")
    return int(t)


def _tidy(x: fractions.Fraction):
    """A Fraction with a terminating decimal expansion as that Decimal (it prints as typed)."""
    den, twos, fives = x.denominator, 0, 0
    while den % 2 == 0:
        den, twos = den // 2, twos + 1
    while den % 5 == 0:
        den, fives = den // 5, fives + 1
    if den != 1:
        return x
    k = max(twos, fives)
    return decimal.Decimal(x.numerator * 10 ** k // x.denominator).scaleb(-k)


def exact_range(text: str, name: str, lo_ok=0):
    """'0.5' -> [0.5]; 'a,b,c' -> those; 'a:b:n' -> a + (b - a) i / (n - 1), i < n, computed
    in rationals (0:0.3:4 gives 0.1 exactly, not 0.09999999999999999).  Values are exact
    (`exact`); returns (values, is_sweep)."""
    parts = text.split(":")
    if len(parts) == 1:
        vals = [exact(v, name) for v in parts[0].split(",")]
    elif len(parts) == 3:
        a, b = (fractions.Fraction(exact(v, name)) for v in parts[:2])
        n = to_int(parts[2], f"{name} (number of points)")
        if n < 1 or n > MAX_POINTS:
            raise UserError(f"{name}: the number of points must be between 1 and {MAX_POINTS}, got {n}")
        vals = [_tidy(a + (b - a) * i / (n - 1)) for i in range(n)] if n > 1 else [_tidy(a)]
    else:
        raise UserError(f"{name} must be a number, a list a,b,c or start:stop:count, got '{text}'")
    for v in vals:
        if v < lo_ok:
            raise UserError(f"{name} must be >= {lo_ok:g}, got {float(v):g}")
    return vals, len(vals) > 1 or len(parts) == 3
