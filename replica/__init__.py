"""replica: replica-symmetric theory of weight distribution-constrained perceptrons.

    import replica
    replica.capacity("lognormal:sigma=1", kappa=0, dps=30).alpha_c
    replica.curve("binary", kappa=0, alphas=[0.2, 0.5, 0.8])
    replica.teacher_student("binary", "spherical", "gibbs", alphas=[1.0, 2.0])

Verbs: capacity, curve, curve_mp, teacher_student, phase_diagram, table, derive, check;
ingredients: law (1-D weight laws), constraint (the weight side of E1/E5), channel (the
output side); results: Result (lossless to_dict / from_dict).  Conventions: THEORY.md sec. 1.
"""
from . import phase_diagram as _phase_diagram_module  # loaded first: the verb below must win the name
from .api import channel, check, constraint, derive, law, phase_diagram, table
from .capacity import CapacityResult, CurvePoint, capacity, curve, curve_mp
from .priors import PriorError, prior
from .results import Result
from .teacher_student import TSPoint, teacher_student
from .priors import register_head as _register_head


def _geometry_head(spec, body):
    """The geometry: prior head, loaded on first use (replica.geometry brings sympy: not on
    every start-up), registered here so that replica.priors never imports replica.geometry."""
    from .geometry.law import geometry_prior

    return geometry_prior(spec, body)


_register_head("geometry", _geometry_head,
               "weights after learning with a plasticity geometry: "
               "geometry:potential=entropic,init=lognormal(sigma=0.5),dual_std=0.3 "
               "(potentials: euclidean, entropic, pnorm(p=3), user(grad=FORMULA); see 'replica geometry')")

__all__ = ["capacity", "curve", "curve_mp", "teacher_student", "phase_diagram", "table", "derive", "check",
           "law", "constraint", "channel", "prior", "Result", "PriorError", "CapacityResult", "CurvePoint",
           "TSPoint"]
__version__ = "0.1.0"
