"""The forward question: the weight distribution a plasticity geometry produces from an
initial one, and how well it matches trained weights (`replica geometry predict`)."""
from __future__ import annotations

import dataclasses
import math

import mpmath as mp
import numpy as np

from solvers.geometry import ks_critical, ks_distance, qq_points, w2_distance, w2_null_quantile

from ..common.errors import Refused
from ..priors.base import PriorError
from ..priors.grammar import parse_prior
from .law import after_learning, init_nodes, spec_of
from .potentials import potential as make_potential
from .symbolic import derive_density
from .theory import lazy_dual

QUANTILES = (0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99)
LEVEL = 0.99


@dataclasses.dataclass(frozen=True)
class Comparison:
    """Predicted law against a sample of n weights: KS with the exact 99% critical value of the
    one-sample Kolmogorov statistic at this n, W2 with the 99% quantile of W2 between the law
    and n of its own draws (parametric bootstrap).  consistent: both below."""

    n: int
    ks: float
    ks_critical: float
    w2: float
    w2_tolerance: float
    consistent: bool

    def to_dict(self):
        return dataclasses.asdict(self)


def compare(law_prior, weights, level=LEVEL, reps=200, rng=0) -> Comparison:
    """KS and W2 of a single-part continuous prior against measured/trained weights."""
    part = law_prior.parts[0]
    x = np.asarray(weights, dtype=float)
    ks = ks_distance(x, part.np_cdf)
    w2 = w2_distance(x, part.np_ppf)
    ksc = ks_critical(len(x), level)
    tol = w2_null_quantile(part.np_ppf, lambda n, r: part.np_sample(n, r), len(x), level, reps, rng)
    return Comparison(len(x), ks, ksc, w2, tol, bool(ks <= ksc and w2 <= tol))


@dataclasses.dataclass(frozen=True)
class Prediction:
    potential: str
    init: str
    spec: str                 # geometry prior spec: replica capacity / teacher-student accept it
    dual_mean: float
    dual_std: float
    reaction: float
    source: str               # where the dual parameters come from
    closed_form: bool
    density: str | None       # sympy text of p_after(w) with the parameters as symbols
    density_latex: str | None
    table_error: float | None  # estimated CDF-integral error of the float64 tables (no closed form)
    mean: float
    std: float
    quantiles: dict
    comparison: Comparison | None = None
    qq: tuple | None = None   # (predicted quantiles, sorted sample) when compared

    def to_dict(self):
        d = dataclasses.asdict(self)
        d["comparison"] = None if self.comparison is None else self.comparison.to_dict()
        d.pop("qq")
        return d


def default_dual_std(pot, init) -> float:
    """Half the standard deviation of the initial dual variable phi'(w0): a visible but
    moderate change, in the potential's own dual units."""
    u, p = init_nodes(init)
    g = pot.grad(u)
    mu = p @ g
    return 0.5 * float(np.sqrt(p @ (g - mu) ** 2))


def predict(potential, init, dual_std=None, dual_mean=0.0, reaction=0.0, alpha=None, kappa=0.0, overlap=0.0,
            weights=None) -> Prediction:
    """The law of the weights after learning with `potential` from `init` (a prior spec).
    Dual parameters: given (dual_std, dual_mean, reaction); or, with `alpha`, the small-alpha
    theory for hinge-type losses (replica.geometry.theory); or the default half initial dual
    std.  `weights` (an array) adds the comparison with trained or measured weights."""
    pot = make_potential(potential)
    init_spec = init if isinstance(init, str) else init.spec
    init_prior = parse_prior(init_spec) if isinstance(init, str) else init
    pot.check_prior(init_prior)
    if alpha is not None:
        if dual_std is not None:
            raise PriorError("give either --dual-std or --alpha (small-alpha theory), not both")
        lz = lazy_dual(pot, init_prior, alpha, kappa, overlap)
        dual_mean, dual_std, reaction = lz.dual_mean, lz.dual_std, lz.reaction
        source = (f"small-alpha theory, hinge loss to zero loss (alpha={alpha:g}, kappa={kappa:g}, R={overlap:g}): "
                  "s^2 = alpha E(kappa-h)_+^2/A^2, c = alpha P(h<kappa)/A")
    elif dual_std is None:
        dual_std = default_dual_std(pot, init_prior)
        source = "default: half the std of the initial dual variable phi'(w0)"
    else:
        source = "given"
    for name, v in (("dual_std", dual_std), ("dual_mean", dual_mean), ("reaction", reaction)):
        if not math.isfinite(v):
            raise PriorError(f"{name} must be finite, got {v}")
    spec = spec_of(pot, init_spec, dual_std, dual_mean, reaction)
    with np.errstate(all="ignore"):   # overflow shows as non-finite moments or quantiles, refused below
        law = after_learning(pot, init_prior, dual_std, dual_mean, reaction, spec=spec)
        part = law.parts[0]
        with mp.workdps(15):
            m1, m2 = float(law.moment(1)), float(law.moment(2))
        qs = part.np_ppf(np.array(QUANTILES))
    der = derive_density(pot, init_prior, reaction=bool(reaction))
    if not (math.isfinite(m1) and math.isfinite(m2) and np.all(np.isfinite(qs))):
        raise Refused(f"the law after learning with dual std s = {float(dual_std):.4g}, mean m = {float(dual_mean):.4g} "
                      "leaves double precision (its moments or quantiles are not finite): the dual change is "
                      "too large for this potential")
    comp = qq = None
    if weights is not None:
        comp = compare(law, weights)
        qq = qq_points(weights, part.np_ppf)
    return Prediction(pot.spec, init_spec, spec, float(dual_mean), float(dual_std), float(reaction), source,
                      der.closed, der.text() if der.closed else None,
                      der.latex() if der.closed else None,
                      float(part.precision_floor) if hasattr(part, "precision_floor") else None, m1, math.sqrt(max(m2 - m1 * m1, 0.0)),
                      {f"{q:g}": float(v) for q, v in zip(QUANTILES, qs)}, comp, qq)
