"""Weight priors: families, composites (mixtures, groups, E/I), user densities, measured weights."""
from .base import Prior, PriorError
from .families import FAMILIES
from .grammar import describe_families, parse_prior as prior
from .groups import GroupPrior
from .registry import LAWS, HEADS, register_head, register_law

__all__ = ["Prior", "PriorError", "GroupPrior", "FAMILIES", "LAWS", "HEADS", "prior", "describe_families",
           "register_law", "register_head"]
from .adapters import ScipyLaw, as_prior, from_samples, from_scipy, from_sympy  # noqa: E402

__all__ += ["ScipyLaw", "as_prior", "from_samples", "from_scipy", "from_sympy"]
