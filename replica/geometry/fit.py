"""The inverse question (Pogodin et al., ICLR 2024): given weights before and after learning,
which plasticity geometry fits best?  (`replica geometry fit`)

For each candidate potential phi the after-distribution is modelled as the push-forward of
(the before-distribution's dual phi'(w_before), smoothed by N(m, s^2)) through (phi')^{-1}:
(m, s) by maximum likelihood, the before sample standing for its law (a Gaussian mixture
over its dual values, binned to 0.02 of their std).
Reported per potential:

* loglik: mean log-likelihood per after-weight, in weight space,
      log f_after(w) = log phi''(w) + log f_theta(phi'(w)),
  so candidates are compared on the same variable (the Jacobian phi'' is what makes the
  comparison fair; without it every geometry would be judged in its own coordinates);
* ks, w2: KS and W2 distances between the after-sample and the fitted law;
* with paired data (same synapses in the same order): the per-synapse dual changes
  d = phi'(w_after) - phi'(w_before), their Gaussian fit and paired log-likelihood
  log phi''(w_after) + log N(d; m, s^2), their KS distance from a Gaussian and their
  dependence on the initial weight (correlations, reaction slope).  The right geometry gives
  Gaussian changes independent of w_before (up to the reaction term, replica.geometry.theory).

A candidate whose domain does not contain every weight (entropic: w > 0) is infeasible.
Candidates are ranked by loglik (paired_loglik with paired data) unless told otherwise.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from solvers.geometry import (DualMixture, PushForward, fit_dual_gaussian, ks_distance, paired_changes,
                              sample_nodes, w2_distance)

from ..priors.base import PriorError
from .potentials import potential as make_potential

DEFAULT_CANDIDATES = ("euclidean", "entropic", "pnorm:p=1.5", "pnorm:p=3")
RANK_KEYS = ("loglik", "paired_loglik", "ks", "w2")
KS_99 = 1.6276  # asymptotic 99% point of the Kolmogorov distribution


@dataclasses.dataclass(frozen=True)
class FitRow:
    potential: str
    feasible: bool
    reason: str | None
    dual_mean: float | None
    dual_std: float | None
    loglik: float | None
    ks: float | None
    w2: float | None
    paired_loglik: float | None = None
    paired: dict | None = None

    def to_dict(self):
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class FitReport:
    rows: tuple              # ranked, best first; infeasible last
    rank_by: str
    n_before: int
    n_after: int
    paired: bool
    ks_critical: float       # approximate 99% two-sample KS critical value for these sizes

    @property
    def best(self) -> FitRow:
        return self.rows[0]

    def to_dict(self):
        return {"rank_by": self.rank_by, "n_before": self.n_before, "n_after": self.n_after, "paired": self.paired,
                "ks_critical": self.ks_critical, "best": self.best.potential,
                "candidates": [r.to_dict() for r in self.rows]}


def _weights(x, name):
    x = np.asarray(x, dtype=float).ravel()
    if x.size < 10:
        raise PriorError(f"{name}: need at least 10 weights, got {x.size}")
    if not np.all(np.isfinite(x)):
        raise PriorError(f"{name}: {int(np.sum(~np.isfinite(x)))} weights are not finite")
    return x


def fit_one(pot, before, after, paired=False) -> FitRow:
    pot = make_potential(pot)
    outside = int(np.sum(~pot.in_domain(before)) + np.sum(~pot.in_domain(after)))
    if outside:
        return FitRow(pot.spec, False, f"{outside} weights outside the domain ({pot.lo:g}, {pot.hi:g})",
                      None, None, None, None, None)
    tb, ta = pot.grad(before), pot.grad(after)
    g, p = sample_nodes(tb)
    m, s, ll_theta = fit_dual_gaussian(ta, g, p)
    jac = float(np.mean(np.log(pot.hess(after))))
    law = PushForward(DualMixture(g, p, m, s), pot)
    row = dict(potential=pot.spec, feasible=True, reason=None, dual_mean=m, dual_std=s, loglik=ll_theta + jac,
               ks=ks_distance(after, law.cdf), w2=w2_distance(after, law.ppf))
    if paired:
        st = paired_changes(tb, ta, before)
        d = ta - tb
        sd = st["dual_std"]
        pll = -math.inf if sd == 0 else float(np.mean(-0.5 * ((d - st["dual_mean"]) / sd) ** 2)
                                                - math.log(sd * math.sqrt(2 * math.pi))) + jac
        row.update(paired_loglik=pll, paired=st)
    return FitRow(**row)


def fit(before, after, candidates=DEFAULT_CANDIDATES, paired=False, rank_by=None) -> FitReport:
    """Rank candidate potentials (specs or Potential objects) by how well they turn the
    before-weights into the after-weights."""
    before, after = _weights(before, "before"), _weights(after, "after")
    if paired and before.size != after.size:
        raise PriorError(f"--paired needs as many weights before as after, got {before.size} and {after.size}")
    rank_by = rank_by or ("paired_loglik" if paired else "loglik")
    if rank_by not in RANK_KEYS:
        raise PriorError(f"rank by one of {', '.join(RANK_KEYS)}, got '{rank_by}'")
    if rank_by == "paired_loglik" and not paired:
        raise PriorError("ranking by paired_loglik needs paired data (--paired)")
    if not candidates:
        raise PriorError("no candidate potentials")
    rows = [fit_one(c, before, after, paired) for c in candidates]
    sign = -1.0 if rank_by in ("loglik", "paired_loglik") else 1.0

    def key(r):
        v = getattr(r, rank_by)
        return (0, sign * v) if r.feasible and v is not None and math.isfinite(v) else (1, 0.0)

    nb, na = before.size, after.size
    return FitReport(tuple(sorted(rows, key=key)), rank_by, nb, na, paired, KS_99 * math.sqrt((nb + na) / (nb * na)))
