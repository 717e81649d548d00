"""Distribution-constrained storage as an assignment problem: an LP certificate that a
sample can NOT be stored, and an exact MILP for small N (HiGHS through scipy.optimize).

Storing the sample with the weights a permutation of the targets t (THEORY.md section 4,
`validation.constraint`) means: w = Pi t for a permutation matrix Pi with
y_mu x_mu.w / sqrt(N) >= kappa for every mu.  Equal target values are merged (the
rectified prior's zeros are one column of multiplicity N/2), so Pi has N x (distinct
values) entries; groups (E/I) get one block per group.

- `relaxation_feasible`: Pi relaxed to a doubly stochastic matrix (Birkhoff's polytope;
  its vertices are the permutations, so every exact solution is a relaxed one).  A convex
  combination of permutations of t has |w| <= |t| = sqrt(N), so for kappa >= 0 a stored
  permutation satisfies the relaxation's margins too: **relaxation infeasible => no
  permutation stores the sample**.  The converse fails (the relaxed vertex is fractional
  in about P rows): the fraction not certified bounds the storable fraction from above,
  as the annealer's stored fraction bounds it from below.  Cost: ~0.06 s at N = 50,
  seconds at N = 100, 0.5-2 min at N = 200.
- `exact_storable`: the same constraints with Pi integral, a MILP.  It decides small
  samples exactly (N = 30, alpha ~ 1: 0.1-150 s, most under 20 s); from N ~ 40 HiGHS
  often needs more than minutes (measured: 4 of 11 samples at N = 40, alpha = 0.9 open
  after 120 s, a sample at N = 50 open after 15 min), so it is a check of the annealer at
  small N, not a trainer.  A decision within `time_limit` is exact up to the margin slack
  `eps` below (HiGHS' feasibility tolerance is ~1e-7, so the MILP asks for kappa + eps
  and a reported solution is re-checked in float64).
"""
from __future__ import annotations

import numpy as np
from scipy import optimize, sparse

from .constraint import Targets, targets

EPS = 1e-6   # margin slack of the MILP: solutions it returns store with margin >= kappa + EPS - 1e-7


def _formulation(x, y, tg: Targets):
    """(a_eq, b_eq, a_margin, values): Pi's row and column sums and the margins a_margin @ Pi."""
    p_, n = x.shape
    a = (y[:, None] * x) / np.sqrt(n)
    rows_eq, margin_blocks, values = [], [], []
    offset = 0
    for b in tg.blocks():
        vals, cnt = tg.distinct(b)
        m, k = b.stop - b.start, len(vals)
        # Pi_b[i, j]: synapse b.start + i takes (a share of) distinct value j of its block
        rows_eq.append((sparse.kron(sparse.identity(m), np.ones((1, k))), np.ones(m), offset, m * k))
        rows_eq.append((sparse.kron(np.ones((1, m)), sparse.identity(k)), cnt.astype(float), offset, m * k))
        margin_blocks.append(np.kron(a[:, b], vals[None, :]))
        values.append((b, vals, offset))
        offset += m * k
    nv = offset

    def place(block, start, width):
        block = sparse.csr_matrix(block)
        left = sparse.csr_matrix((block.shape[0], start))
        right = sparse.csr_matrix((block.shape[0], nv - start - width))
        return sparse.hstack([left, block, right])

    a_eq = sparse.vstack([place(m, s, w) for m, _, s, w in rows_eq]).tocsc()
    b_eq = np.concatenate([r for _, r, _, _ in rows_eq])
    a_margin = sparse.hstack([sparse.csr_matrix(m) for m in margin_blocks]).tocsc()
    return a_eq, b_eq, a_margin, values


def _prepare(x, y, constraint, kappa, what):
    if kappa < 0:
        raise ValueError(f"the {what} bounds |w| from above, which certifies only kappa >= 0 (got {kappa})")
    x, y = np.asarray(x, float), np.asarray(y, float)
    tg = constraint if isinstance(constraint, Targets) else targets(constraint, x.shape[1])
    return x, y, tg


def relaxation_feasible(x, y, constraint, kappa: float = 0.0) -> bool:
    """False: certified that no admissible weight vector stores (x, y) with margin kappa.
    True: the relaxation is feasible (the sample may or may not be storable).
    constraint: a prior spec, prior or `Targets`."""
    x, y, tg = _prepare(x, y, constraint, kappa, "relaxation")
    a_eq, b_eq, a_m, _ = _formulation(x, y, tg)
    res = optimize.linprog(np.zeros(a_eq.shape[1]), A_ub=-a_m, b_ub=np.full(x.shape[0], -float(kappa)),
                           A_eq=a_eq, b_eq=b_eq, bounds=(0, 1), method="highs")
    if res.status == 2:
        return False
    if res.status == 0:
        return True
    raise RuntimeError(f"the relaxation LP did not finish: {res.message}")


def exact_storable(x, y, constraint, kappa: float = 0.0, time_limit: float = 60.0, eps: float = EPS):
    """True (with a weight vector that stores the sample: (True, w)), False (no admissible
    permutation stores it with margin kappa + eps: (False, None)) or None when HiGHS did not
    decide within `time_limit` seconds ((None, None))."""
    x, y, tg = _prepare(x, y, constraint, kappa, "MILP")
    a_eq, b_eq, a_m, values = _formulation(x, y, tg)
    nv = a_eq.shape[1]
    cons = [optimize.LinearConstraint(a_eq, b_eq, b_eq), optimize.LinearConstraint(a_m, kappa + eps, np.inf)]
    res = optimize.milp(np.zeros(nv), constraints=cons, integrality=np.ones(nv), bounds=optimize.Bounds(0, 1),
                        options={"time_limit": float(time_limit)})
    if res.status == 2:
        return False, None
    if res.x is None:
        return None, None
    w = np.empty(tg.n)
    for b, vals, off in values:
        pi = np.rint(res.x[off: off + (b.stop - b.start) * len(vals)]).reshape(b.stop - b.start, len(vals))
        w[b] = pi @ vals
    if not tg.satisfied_by(w, tol=1e-9) or ((y[:, None] * x) @ w / np.sqrt(tg.n)).min() < kappa:
        raise RuntimeError("the MILP returned an assignment that does not store the sample (tolerance)")
    return True, w
