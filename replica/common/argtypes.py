"""Strict readers for numbers typed on the command line.

Python's float() and int() accept far more than a number: '1_000', full-width and
Arabic-Indic digits, 'nan', 'infinity', surrounding spaces.  The command line takes
ASCII decimals only, finite, and ranges of at most MAX_POINTS values.
"""
from __future__ import annotations

import argparse
import math
import re

from .errors import UserError

MAX_DIGITS = 1000          # significant digits a number may carry (dps is at most 1000)
MAX_POINTS = 100_000
MAX_PATTERN_ENTRIES = 200_000_000   # a simulation's P x N float64 patterns: 1.6 GB
_REAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
_INT = re.compile(r"[+-]?[0-9]+", re.ASCII)


def to_real(text: str, name: str = "value") -> float:
    """A finite float from an ASCII decimal; UserError naming `name` otherwise."""
    t = text.strip() if isinstance(text, str) else ""
    if len(t) > MAX_DIGITS + 10:
        raise UserError(f"{name}: a number of {len(t)} characters; at most {MAX_DIGITS} digits are read")
    if not _REAL.fullmatch(t):
        shown = text if len(str(text)) <= 40 else str(text)[:37] + "..."
        raise UserError(f"{name}: '{shown}' is not a number (ASCII digits, e.g. 0.5 or 1e-3)")
    v = float(t)
    if not math.isfinite(v):
        raise UserError(f"{name}: {t} is out of the floating-point range")
    return v


def to_int(text: str, name: str = "value") -> int:
    t = text.strip() if isinstance(text, str) else ""
    if not _INT.fullmatch(t) or len(t) > 20:
        raise UserError(f"{name}: '{text}' is not a whole number")
    return int(t)


def real(text):
    """argparse type: a finite ASCII decimal."""
    try:
        return to_real(text)
    except UserError as exc:
        raise argparse.ArgumentTypeError(str(exc).partition(": ")[2]) from None


def integer(text):
    """argparse type: an ASCII whole number."""
    try:
        return to_int(text)
    except UserError as exc:
        raise argparse.ArgumentTypeError(str(exc).partition(": ")[2]) from None


def parse_range(text: str, name: str, lo_ok=0.0):
    """'0.5' -> [0.5]; 'a:b:n' -> n evenly spaced values from a to b inclusive;
    'a,b,c' -> those values.  Returns (values, is_sweep)."""
    parts = text.split(":")
    if len(parts) == 1:
        vals = [to_real(v, name) for v in parts[0].split(",")]
    elif len(parts) == 3:
        a, b = to_real(parts[0], name), to_real(parts[1], name)
        n = to_int(parts[2], f"{name} (number of points)")
        if n < 1 or n > MAX_POINTS:
            raise UserError(f"{name}: the number of points must be between 1 and {MAX_POINTS}, got {n}")
        vals = [a + (b - a) * i / (n - 1) for i in range(n)] if n > 1 else [a]
    else:
        raise UserError(f"{name} must be a number, a list a,b,c or start:stop:count, got '{text}'")
    for v in vals:
        if v < lo_ok:
            raise UserError(f"{name} must be >= {lo_ok:g}, got {v:g}")
    return vals, len(vals) > 1 or len(parts) == 3


class Parser(argparse.ArgumentParser):
    """argparse with its errors as one line, like every other user error of replica."""

    def error(self, message):
        self.exit(2, f"replica: error: {message} (see '{self.prog} --help')\n")


def check_patterns(n: int, alpha: float):
    """Refuse a simulation whose P x N patterns (P = alpha N) would not fit in memory."""
    patterns = max(1, round(alpha * n))
    if patterns * n > MAX_PATTERN_ENTRIES:
        raise UserError(f"alpha N x N = {patterns} x {n} pattern entries exceed {MAX_PATTERN_ENTRIES:.0e} "
                        f"({MAX_PATTERN_ENTRIES * 8 / 1e9:.1f} GB of memory): lower alpha or N")
