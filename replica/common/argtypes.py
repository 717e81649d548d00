"""Strict readers for numbers typed on the command line.

Python's float() and int() accept far more than a number: '1_000', full-width and
Arabic-Indic digits, 'nan', 'infinity', surrounding spaces.  The command line takes
ASCII decimals only, finite, and ranges of at most MAX_POINTS values.
"""
from __future__ import annotations

import argparse

from .decimals import MAX_DIGITS, MAX_POINTS, exact_range, to_float, to_int  # noqa: F401 (re-exported)
from .errors import UserError

MAX_PATTERN_ENTRIES = 200_000_000   # a simulation's P x N float64 patterns: 1.6 GB


def to_real(text: str, name: str = "value") -> float:
    """A finite float from an ASCII decimal; UserError naming `name` otherwise."""
    if not isinstance(text, str):
        raise UserError(f"{name}: '{text}' is not a number (ASCII digits, e.g. 0.5 or 1e-3)")
    return to_float(text, name)


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
    """`decimals.exact_range` as floats, each the double nearest its exact value (float64
    paths; mp paths call exact_range).  Returns (values, is_sweep)."""
    vals, sweep = exact_range(text, name, lo_ok)
    return [float(v) for v in vals], sweep


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
