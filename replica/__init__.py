"""replica: replica-symmetric theory of weight distribution-constrained perceptrons.

    import replica
    replica.capacity("lognormal:sigma=1", kappa=0, dps=30).alpha_c
    replica.curve("binary", kappa=0, alphas=[0.2, 0.5, 0.8])
"""
from .capacity import CapacityResult, CurvePoint, capacity, curve, curve_mp
from .priors import PriorError, prior
from .teacher_student import TSPoint, teacher_student
from . import geometry as _geometry  # registers the geometry: prior head

__all__ = ["teacher_student", "TSPoint", "capacity", "curve", "curve_mp", "prior", "PriorError", "CapacityResult", "CurvePoint"]
__version__ = "0.1.0"
