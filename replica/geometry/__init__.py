"""Plasticity geometry (Pogodin et al., ICLR 2024): mirror-descent potentials, the weight
distribution each produces after learning, and the inverse question (which geometry turns a
measured 'before' distribution into an 'after' one).

    from replica import geometry
    geometry.potential("entropic")
    replica.prior("geometry:potential=entropic,init=lognormal(sigma=0.5),dual_std=0.3")
"""
from .law import DualGaussianLaw, GeometryLaw, after_learning, spec_of
from .potentials import POTENTIALS, Potential, describe_potentials, potential

__all__ = ["POTENTIALS", "Potential", "potential", "describe_potentials", "DualGaussianLaw", "GeometryLaw",
           "after_learning", "spec_of"]
