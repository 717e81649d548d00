"""A certificate that a sample can NOT be stored under a distribution constraint: the
Birkhoff-polytope relaxation, an LP (HiGHS through scipy.optimize.linprog).

Storing the sample with the weights a permutation of the targets t (THEORY.md section 4,
`validation.constraint`) means: w = Pi t for a permutation matrix Pi with
y_mu x_mu.w / sqrt(N) >= kappa for every mu.  Relax Pi to a doubly stochastic matrix
(Birkhoff's polytope; its vertices are the permutations, so every solution of the exact
problem is a point of the relaxed one).  A convex combination of permutations of t has
|w| <= |t| = sqrt(N), so for kappa >= 0 a stored permutation also satisfies the linear
margins of the relaxation: **relaxation infeasible => no permutation stores the sample**.
The converse fails (the relaxed vertex is fractional in about P rows), so the fraction
not certified is an upper bound on the fraction storable, and the swap annealer's stored
fraction a lower bound: together they bracket the exact crossing at finite N.

Equal target values are merged (the rectified prior's zeros are one column of
multiplicity N/2), so the LP has N x (distinct values) variables; groups (E/I) get one
block per group.  Cost: ~0.06 s at N = 50, seconds at N = 100, 0.5-2 min at N = 200.
"""
from __future__ import annotations

import numpy as np
from scipy import optimize, sparse

from .constraint import Targets, targets


def _lp(x, y, tg: Targets, kappa: float):
    p_, n = x.shape
    a = (y[:, None] * x) / np.sqrt(n)
    cols, rows_eq, rhs_eq, margin_blocks = [], [], [], []
    offset = 0
    for b in tg.blocks():
        vals, cnt = np.unique(np.round(tg.values[b], 13), return_counts=True)
        m, k = b.stop - b.start, len(vals)
        # Pi_b[i, j]: synapse b.start + i takes (a share of) distinct value j of its block
        rows_eq.append((sparse.kron(sparse.identity(m), np.ones((1, k))), np.ones(m), offset, m * k))
        rows_eq.append((sparse.kron(np.ones((1, m)), sparse.identity(k)), cnt.astype(float), offset, m * k))
        margin_blocks.append((np.kron(a[:, b], vals[None, :]), offset, m * k))
        offset += m * k
    nv = offset

    def place(block, start, width):
        block = sparse.csr_matrix(block)
        left = sparse.csr_matrix((block.shape[0], start))
        right = sparse.csr_matrix((block.shape[0], nv - start - width))
        return sparse.hstack([left, block, right])

    a_eq = sparse.vstack([place(m, s, w) for m, _, s, w in rows_eq]).tocsc()
    b_eq = np.concatenate([r for _, r, _, _ in rows_eq])
    a_ub = -sparse.hstack([sparse.csr_matrix(m) for m, _, _ in margin_blocks]).tocsc()
    return optimize.linprog(np.zeros(nv), A_ub=a_ub, b_ub=np.full(p_, -float(kappa)), A_eq=a_eq, b_eq=b_eq,
                            bounds=(0, 1), method="highs")


def relaxation_feasible(x, y, constraint, kappa: float = 0.0) -> bool:
    """False: certified that no admissible weight vector stores (x, y) with margin kappa.
    True: the relaxation is feasible (the sample may or may not be storable).
    constraint: a prior spec, prior or `Targets`."""
    if kappa < 0:
        raise ValueError(f"the relaxation bounds |w| from above, which certifies only kappa >= 0 (got {kappa})")
    p_, n = x.shape
    tg = constraint if isinstance(constraint, Targets) else targets(constraint, n)
    res = _lp(np.asarray(x, float), np.asarray(y, float), tg, kappa)
    if res.status == 2:
        return False
    if res.status == 0:
        return True
    raise RuntimeError(f"the relaxation LP did not finish: {res.message}")
