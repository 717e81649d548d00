"""Measured weights (the connectome use case): `file:weights.csv|.txt|.npy` -> an empirical
prior with equal mass on each measured weight.  It stands in for a continuous density,
so the discrete-entropy criterion (E4) is not applied to it."""
from __future__ import annotations

import math
import os
import re
import warnings

import mpmath as mp
import numpy as np

from ..common.files import check_input, read_text
from .base import Prior, PriorError

MAX_WEIGHTS = 2_000_000
MAX_TEXT_BYTES = MAX_WEIGHTS * 32      # room for 2e6 numbers of full float64 precision
TEXT_EXTENSIONS = (".csv", ".txt", ".dat", ".tsv")
# ASCII decimals only: float() would also take '1_000' and non-ASCII digits
_TOKEN = re.compile(r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|nan|inf|infinity)",
                    re.ASCII | re.IGNORECASE)


def load_weights(path: str) -> np.ndarray:
    """Measured weights from a .npy array (numbers only, checked from its header before it
    is read) or a text file of numbers separated by spaces, commas, semicolons or tabs."""
    if not path:
        raise PriorError("file: needs a path, e.g. file:weights.csv")
    ext = os.path.splitext(path)[1].lower()
    if ext == ".npy":
        data = _load_npy(path)
    elif ext in TEXT_EXTENSIONS:
        data = _load_text(path)
    elif not os.path.lexists(path):
        raise PriorError(f"weight file '{path}' not found")
    else:
        raise PriorError(f"weight file '{path}': use .csv, .txt, .dat, .tsv or .npy")
    return check_weights(data, f"weight file '{path}'")


def check_weights(data: np.ndarray, what: str) -> np.ndarray:
    """Measured weights usable as a prior: some, all finite, not all zero (`what` names
    their source in the messages)."""
    if data.size == 0:
        raise PriorError(f"{what} is empty")
    if not np.all(np.isfinite(data)):
        raise PriorError(f"{what} holds {int(np.sum(~np.isfinite(data)))} non-finite values")
    if not np.any(data != 0):
        raise PriorError(f"{what} holds only zeros")
    return data


def _load_npy(path):
    check_input(path, "weight file", 16 * MAX_WEIGHTS + 4096, PriorError)
    try:
        with open(path, "rb") as fh:
            version = np.lib.format.read_magic(fh)
            read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, fortran, dtype = read(fh)
            offset = fh.tell()
    except (ValueError, OSError, SyntaxError, TypeError) as exc:
        raise PriorError(f"weight file '{path}' is not a readable .npy file ({exc})") from None
    if dtype.hasobject:
        raise PriorError(f"weight file '{path}' holds Python objects (pickles are never loaded)")
    if dtype.kind not in "fiu":
        kinds = {"b": "booleans", "c": "complex numbers", "U": "strings", "S": "bytes", "V": "records (structs)",
                 "M": "dates", "m": "time spans"}
        raise PriorError(f"weight file '{path}' holds {kinds.get(dtype.kind, dtype.str)}, not real numbers")
    count = math.prod(shape)
    if count > MAX_WEIGHTS:
        raise PriorError(f"weight file '{path}' has {count} weights; at most {MAX_WEIGHTS}")
    if os.path.getsize(path) < offset + count * dtype.itemsize:
        raise PriorError(f"weight file '{path}' is truncated: its header promises {count} values")
    try:
        data = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise PriorError(f"weight file '{path}' is not a readable .npy file ({exc})") from None
    if data.ndim > 1:
        warnings.warn(f"weight file '{path}': a {'x'.join(map(str, data.shape))} array, read as "
                      f"{data.size} weights", stacklevel=3)
    return np.asarray(data, dtype=float).ravel()


def _load_text(path):
    text = read_text(path, "weight file", MAX_TEXT_BYTES, PriorError)
    tokens = text.replace(",", " ").replace(";", " ").split()
    for k, tok in enumerate(tokens):
        if not _TOKEN.fullmatch(tok):
            shown = tok if len(tok) <= 30 else tok[:27] + "..."
            raise PriorError(f"weight file '{path}': value {k + 1}, '{shown}', is not a number "
                             "(ASCII decimals; no header line)")
    if len(tokens) > MAX_WEIGHTS:
        raise PriorError(f"weight file '{path}' has {len(tokens)} weights; at most {MAX_WEIGHTS}")
    return np.array([float(t) for t in tokens], dtype=float)


def file_prior(spec: str, path: str) -> Prior:
    return empirical_prior(spec, load_weights(path))


def empirical_prior(spec: str, data: np.ndarray) -> Prior:
    """Equal mass on each measured weight (checked with `check_weights`), repeated values
    merged: the prior of `file:` specs and of `adapters.from_samples`."""
    vals, counts = np.unique(data, return_counts=True)
    n = mp.mpf(data.size)
    return Prior(spec, values=tuple(mp.mpf(float(v)) for v in vals),
                 probs=tuple(mp.mpf(int(c)) / n for c in counts), empirical=True)
