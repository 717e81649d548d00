"""Plasticity geometry (Pogodin et al., ICLR 2024): mirror-descent potentials, the weight
distribution each produces after learning, and the inverse question (which geometry turns a
measured 'before' distribution into an 'after' one).

    from replica import geometry
    geometry.predict("entropic", "lognormal:sigma=0.5", dual_std=0.3).spec
    geometry.fit(w_before, w_after, paired=True).best.potential
    replica.prior("geometry:potential=entropic,init=lognormal(sigma=0.5),dual_std=0.3")
"""
from .fit import DEFAULT_CANDIDATES, FitReport, fit
from .law import DualGaussianLaw, GeometryLaw, after_learning, spec_of
from .potentials import POTENTIALS, Potential, describe_potentials, potential
from .predict import Prediction, compare, predict
from .symbolic import derive_density
from .theory import lazy_dual

__all__ = ["POTENTIALS", "Potential", "potential", "describe_potentials", "DualGaussianLaw", "GeometryLaw",
           "after_learning", "spec_of", "predict", "Prediction", "compare", "fit", "FitReport", "DEFAULT_CANDIDATES",
           "derive_density", "lazy_dual"]
