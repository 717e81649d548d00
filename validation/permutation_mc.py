"""Permutation (swap-move) Monte Carlo for distribution-constrained perceptrons
(THEORY.md section 4).

A move swaps the weights of two positions of the same synapse group, so the empirical
weight distribution stays exactly the target one (`validation.constraint`).  Two kinds of
proposal, mixed: a swap with a uniformly random partner, and a swap with a partner whose
weight is at most `window` ranks away.  Rank-neighbour swaps are small moves in weight
space (the values are dense for a continuous prior); without them almost every proposal
at low temperature is a large move and is rejected (measured: at N = 100, lognormal,
alpha = 0.6, 2000 sweeps store 94% of the samples with them, 69% without).

Three uses, one kernel each:
- `anneal`: simulated annealing of E = sum_mu max(0, kappa - h_mu), h_mu = y_mu w.x_mu/sqrt(N),
  until E = 0 (every pattern stored with margin kappa) or the schedule ends;
- `max_margin`: the same annealing with a ratchet: each time E reaches 0 the target margin
  is raised to (smallest margin + dk); the result is the largest smallest-margin met, a
  lower bound on the distribution-constrained max margin kappa*;
- `version_space_walk`: zero-temperature walk inside the version space (a swap is accepted
  iff every margin stays >= kappa).  The proposal is symmetric, so the walk samples the
  admissible permutations uniformly: Gibbs learning (E5-E6) of a distribution-constrained
  student.

The schedule is geometric from T0 = 1 to T1 = 1e-4 in units of E.  Starting colder costs
capacity: on 12 samples (N = 200, alpha = 0.7, lognormal) that t0 = 0.05 left unsolved
after 40000 sweeps, t0 = 0.3, 1 and 3 solved 7, 7 and 6, t0 = 0.05 again (new random
numbers) 2; the end temperature (1e-3 .. 1e-6) mattered less.

The inner loops are compiled with numba: a swap costs O(P), and a Python loop over swaps
spends ~20x longer in interpreter overhead than in arithmetic at N ~ 100.
"""
from __future__ import annotations

import dataclasses

import numba
import numpy as np

from .constraint import Targets, targets


# ---------------------------------------------------------------- compiled kernels
@numba.njit(cache=True)
def _propose(i, r, pos, grp, starts, window, local_frac):
    """A swap partner of position i inside its group, or -1."""
    g = grp[i]
    lo, hi = starts[g], starts[g + 1]
    if hi - lo < 2:
        return -1
    if np.random.random() < local_frac:
        d = np.random.randint(1, window + 1)
        if np.random.random() < 0.5:
            d = -d
        rj = r[i] + d
        if rj < lo or rj >= hi:
            return -1
    else:
        rj = lo + np.random.randint(hi - lo)
    j = pos[rj]
    return -1 if j == i else j


@numba.njit(cache=True)
def _fields(at, w):
    n, p_ = at.shape
    h = np.zeros(p_)
    for i in range(n):
        for m in range(p_):
            h[m] += at[i, m] * w[i]
    return h


@numba.njit(cache=True)
def _hinge(h, kappa):
    e = 0.0
    for m in range(h.shape[0]):
        if h[m] < kappa:
            e += kappa - h[m]
    return e


@numba.njit(cache=True)
def _start_state(at, vals, r):
    """Copy of the ranks, their inverse, the weights and the fields of a starting state."""
    r = r.copy()
    pos = np.empty(r.shape[0], np.int64)
    for i in range(r.shape[0]):
        pos[r[i]] = i
    w = vals[r]
    return r, pos, w, _fields(at, w)


@numba.njit(cache=True)
def _accept_swap(i, j, w, r, pos, h, hn):
    """Swap the weights (and ranks) of synapses i and j; hn holds the fields after the swap."""
    w[i], w[j] = w[j], w[i]
    r[i], r[j] = r[j], r[i]
    pos[r[i]] = i
    pos[r[j]] = j
    h[:] = hn


@numba.njit(cache=True)
def _anneal_kernel(at, vals, grp, starts, r, kappa, temps, window, local_frac, ratchet, dk, seed):
    """at[i, m] = y_m x_mi / sqrt(N).  Returns (ranks, energy, smallest margin, sweeps run,
    target margin at the end).  ratchet=False: stop at E = 0.  ratchet=True: on E = 0 raise
    kappa to min(h) + dk and go on; return the best state met."""
    np.random.seed(seed)
    n, p_ = at.shape
    r, pos, w, h = _start_state(at, vals, r)
    if ratchet:
        kappa = h.min() + dk
    e = _hinge(h, kappa)
    best = -np.inf
    best_r = r.copy()
    hn = np.empty(p_)
    for s in range(temps.shape[0]):
        temp = temps[s]
        for _ in range(n):
            i = np.random.randint(n)
            j = _propose(i, r, pos, grp, starts, window, local_frac)
            if j < 0:
                continue
            dw = w[j] - w[i]
            if dw == 0.0:
                continue
            en = 0.0
            for m in range(p_):
                x = h[m] + dw * (at[i, m] - at[j, m])
                hn[m] = x
                if x < kappa:
                    en += kappa - x
            if en <= e or np.random.random() < np.exp((e - en) / temp):
                _accept_swap(i, j, w, r, pos, h, hn)
                e = en
                if e == 0.0:
                    m_min = h.min()
                    if not ratchet:
                        return r, 0.0, m_min, s + 1, kappa
                    if m_min > best:
                        best = m_min
                        best_r[:] = r
                    kappa = m_min + dk
                    e = _hinge(h, kappa)
    if ratchet:
        if best == -np.inf:      # never met the first target: report the final state
            return r, e, h.min(), temps.shape[0], kappa
        return best_r, 0.0, best, temps.shape[0], kappa
    return r, e, h.min(), temps.shape[0], kappa


@numba.njit(cache=True)
def _walk_kernel(at, vals, grp, starts, r, kappa, w0, sweeps, burn, window, local_frac, seed):
    """Zero-temperature walk in {h >= kappa}; mean of w.w0/N over sweeps after `burn`,
    and the acceptance rate."""
    np.random.seed(seed)
    n, p_ = at.shape
    r, pos, w, h = _start_state(at, vals, r)
    hn = np.empty(p_)
    acc, tried, total, count = 0, 0, 0.0, 0
    for s in range(sweeps):
        for _ in range(n):
            i = np.random.randint(n)
            j = _propose(i, r, pos, grp, starts, window, local_frac)
            if j < 0:
                continue
            dw = w[j] - w[i]
            tried += 1
            ok = True
            for m in range(p_):
                x = h[m] + dw * (at[i, m] - at[j, m])
                if x < kappa:
                    ok = False
                    break
                hn[m] = x
            if ok:
                _accept_swap(i, j, w, r, pos, h, hn)
                acc += 1
        if s >= burn:
            total += np.dot(w, w0) / n
            count += 1
    return r, total / max(count, 1), acc / max(tried, 1)


# ---------------------------------------------------------------- Python interface
@dataclasses.dataclass(frozen=True)
class AnnealResult:
    success: bool        # every pattern stored with margin >= kappa
    sweeps: int          # sweeps run (a sweep = N proposals)
    energy: float        # sum_mu max(0, kappa - h_mu) at the end
    min_margin: float    # smallest h_mu of the returned weights
    w: np.ndarray


def _setup(x, y, constraint, rng):
    p_, n = x.shape
    tg = constraint if isinstance(constraint, Targets) else targets(constraint, n)
    if tg.n != n:
        raise ValueError(f"constraint has {tg.n} targets, the patterns {n} inputs")
    rng = np.random.default_rng(rng)
    at = np.ascontiguousarray(((y[:, None] * x) / np.sqrt(n)).T)
    return tg, rng, at


def _default_window(n):
    return max(2, n // 20)


def _ranks_of(w, tg):
    """Ranks (indices into tg.values) of an admissible weight vector."""
    r = np.empty(tg.n, np.int64)
    for b in tg.blocks():
        r[b] = b.start + np.argsort(np.argsort(w[b], kind="stable"), kind="stable")
    return r


T0, T1 = 1.0, 1e-4   # annealing schedule (see module docstring)
T0_RATCHET = 0.05    # the ratchet's start: hotter starts gave no larger margins (N = 100, alpha = 1)


def anneal(x, y, constraint, kappa=0.0, sweeps=20000, t0=T0, t1=T1, window=None, local_frac=0.5,
           rng=None) -> AnnealResult:
    """Simulated annealing (geometric schedule t0 -> t1 over `sweeps`) to store every
    pattern with margin kappa.  constraint: a prior spec, prior or `Targets`."""
    tg, rng, at = _setup(x, y, constraint, rng)
    r0 = tg.random_ranks(rng)
    r, e, mm, s, _ = _anneal_kernel(at, tg.values, tg.group, tg.starts, r0, float(kappa),
                                    np.geomspace(t0, t1, sweeps), window or _default_window(tg.n),
                                    local_frac, False, 0.0, int(rng.integers(2 ** 31)))
    return AnnealResult(e == 0.0, int(s), float(e), float(mm), tg.values[r])


def max_margin(x, y, constraint, sweeps=20000, t0=T0_RATCHET, t1=T1, dk=0.01, window=None, local_frac=0.5,
               rng=None) -> AnnealResult:
    """Ratcheted annealing for the largest smallest-margin (a lower bound on kappa*;
    negative when the sample is not stored)."""
    tg, rng, at = _setup(x, y, constraint, rng)
    r0 = tg.random_ranks(rng)
    r, e, mm, s, _ = _anneal_kernel(at, tg.values, tg.group, tg.starts, r0, 0.0,
                                    np.geomspace(t0, t1, sweeps), window or _default_window(tg.n),
                                    local_frac, True, float(dk), int(rng.integers(2 ** 31)))
    return AnnealResult(bool(mm >= 0), int(s), float(e), float(mm), tg.values[r])


@dataclasses.dataclass(frozen=True)
class WalkResult:
    overlap: float       # time average of w.w0/N after burn-in
    acceptance: float
    w: np.ndarray        # final state


def version_space_walk(x, y, constraint, w_start, w0, sweeps=2000, burn=None, kappa=0.0, window=None,
                       local_frac=0.5, rng=None) -> WalkResult:
    """Uniform sampling of the admissible permutations with every margin >= kappa, started
    from an admissible solution w_start (from `anneal`)."""
    tg, rng, at = _setup(x, y, constraint, rng)
    if not tg.satisfied_by(w_start, tol=1e-12):
        raise ValueError("w_start does not satisfy the distribution constraint")
    if (at.T @ w_start).min() < kappa:
        raise ValueError("w_start is not in the version space")
    burn = sweeps // 2 if burn is None else burn
    r, ov, acc = _walk_kernel(at, tg.values, tg.group, tg.starts, _ranks_of(w_start, tg), float(kappa),
                              np.asarray(w0, float), int(sweeps), int(burn), window or _default_window(tg.n),
                              local_frac, int(rng.integers(2 ** 31)))
    return WalkResult(float(ov), float(acc), tg.values[r])
