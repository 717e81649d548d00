"""Why the dual change is Gaussian, when it is independent of the weight, and what it is at
small alpha: the statistical physics behind the push-forward model (THEORY.md-style notes).

Mirror descent on the perceptron loss L = sum_mu l(h_mu), h_mu = y_mu w.x^mu / sqrt(N)
(Gaussian patterns x, weights in the initial law's units), moves every dual variable along
the patterns:

    theta_i(T) - theta_i(0) = sum_mu lambda_mu y_mu x_i^mu / sqrt(N),
    lambda_mu = -eta sum_t l'(h_mu(t))                    (exactly, for any potential).

* Gaussian: given the coefficients lambda, the change is a linear combination of the
  Gaussian inputs x_i^mu, hence Gaussian with variance |lambda|^2 / N (for non-Gaussian
  inputs, by the central limit theorem over the P = alpha N patterns).
* Independent of the weight -- only to leading order.  lambda_mu depends on pattern mu's
  margin, which contains w_i x_i^mu / sqrt(N) (the cavity or Onsager reaction).  Expanding,
      theta_i(T) - theta_i(0) = g_i - c w_i,   g_i Gaussian and independent of w_i,
  with c = alpha E[-d lambda / dh].  This term shifts the dual mean by -c E w and, for a
  non-Euclidean potential, deforms the shape: its effect on the variance (2 c Var w) is of
  the same order alpha as s^2 itself, so it is not negligible at finite alpha.  The paper's
  model (Pogodin et al., ICLR 2024: change independent of the weight) is the c -> 0 limit;
  with c kept, Euclidean descent still maps a Gaussian to a Gaussian (w -> (1 - c) w + g),
  while entropic descent maps a lognormal to a law whose log is Gaussian up to the
  curvature of c e^theta (small for small sigma and alpha).
* Lazy (small-alpha) values for hinge-type losses trained to zero loss (hinge, squared
  hinge): patterns are nearly orthogonal, so each active pattern's coefficient stops when
  its margin reaches kappa, lambda_mu = (kappa - h_mu)_+ / A, A = E[1 / phi''(w)] (a dual
  step dtheta moves w by dtheta / phi''(w)).  Hence
      s^2 = alpha E[(kappa - h)_+^2] / A^2,    c = alpha P(h < kappa) / A,    m = 0,
  with h = sqrt(Q) (R |u| + sqrt(1 - R^2) v), Q = E w^2, u, v ~ N(0, 1): R = 0 for random
  labels, R = the student-teacher overlap at initialisation for teacher labels.
  Corrections are relative O(sqrt(alpha)) (pattern cross-talk) and O(s) (phi'' changing
  along the path); for teacher labels the change also carries a signal term proportional
  to the teacher's weight (that is the learning), small while alpha is.  The logistic loss
  has no zero-loss fixed point: its dual std grows with training time and is only fitted.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from solvers.geometry import hinge_lazy_dual

from ..priors.base import PriorError
from .law import init_nodes
from .potentials import potential as make_potential

LAZY_LOSSES = ("hinge", "hinge2")


@dataclasses.dataclass(frozen=True)
class LazyDual:
    dual_mean: float
    dual_std: float
    reaction: float
    alpha: float
    kappa: float
    overlap: float

    def to_dict(self):
        return dataclasses.asdict(self)


def lazy_dual(pot, init, alpha, kappa=0.0, overlap=0.0) -> LazyDual:
    """The small-alpha dual-change parameters (s, c; m = 0) for a hinge-type loss trained to
    zero loss from weights drawn from `init` (a Prior, in its own units; see the module
    docstring for the derivation and its range of validity)."""
    pot = make_potential(pot)
    if not (np.isfinite(alpha) and alpha > 0):
        raise PriorError(f"alpha must be > 0, got {alpha}")
    if not (np.isfinite(kappa) and kappa >= 0):
        raise PriorError(f"kappa must be >= 0, got {kappa}")
    if not -1 <= overlap <= 1:
        raise PriorError(f"the overlap R must be in [-1, 1], got {overlap}")
    u, p = init_nodes(init)
    s, c = hinge_lazy_dual(u, p, pot.hess, float(alpha), float(kappa), float(overlap))
    return LazyDual(0.0, s, c, float(alpha), float(kappa), float(overlap))
