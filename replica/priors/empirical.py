"""Measured weights (the connectome use case): `file:weights.csv|.txt|.npy` -> an empirical
prior with equal mass on each measured weight.  It stands in for a continuous density,
so the discrete-entropy criterion (E4) is not applied to it."""
from __future__ import annotations

import os

import mpmath as mp
import numpy as np

from .base import Prior, PriorError

MAX_WEIGHTS = 2_000_000


def load_weights(path: str) -> np.ndarray:
    if not path:
        raise PriorError("file: needs a path, e.g. file:weights.csv")
    if not os.path.isfile(path):
        raise PriorError(f"weight file '{path}' not found")
    ext = os.path.splitext(path)[1].lower()
    try:
        if ext == ".npy":
            data = np.load(path, allow_pickle=False)
        elif ext in (".csv", ".txt", ".dat", ".tsv"):
            with open(path, encoding="utf-8") as fh:
                text = fh.read().replace(",", " ").replace(";", " ").replace("\t", " ")
            data = np.array([float(x) for x in text.split()], dtype=float) if text.strip() else np.array([])
        else:
            raise PriorError(f"weight file '{path}': use .csv, .txt or .npy")
    except (ValueError, OSError) as exc:
        if isinstance(exc, PriorError):
            raise
        raise PriorError(f"weight file '{path}' is not a list of numbers ({exc})") from None
    data = np.asarray(data, dtype=float).ravel()
    if data.size == 0:
        raise PriorError(f"weight file '{path}' is empty")
    if not np.all(np.isfinite(data)):
        raise PriorError(f"weight file '{path}' holds {int(np.sum(~np.isfinite(data)))} non-finite values")
    if data.size > MAX_WEIGHTS:
        raise PriorError(f"weight file '{path}' has {data.size} weights; at most {MAX_WEIGHTS}")
    if not np.any(data != 0):
        raise PriorError(f"weight file '{path}' holds only zeros")
    return data


def file_prior(spec: str, path: str) -> Prior:
    data = load_weights(path)
    vals, counts = np.unique(data, return_counts=True)
    n = mp.mpf(data.size)
    return Prior(spec, values=tuple(mp.mpf(float(v)) for v in vals),
                 probs=tuple(mp.mpf(int(c)) / n for c in counts), empirical=True)
