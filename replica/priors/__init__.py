"""Weight priors: families, composites (mixtures, groups, E/I), user densities, measured weights."""
from .base import Prior, PriorError
from .families import FAMILIES
from .grammar import describe_families, parse_prior as prior
from .groups import GroupPrior

__all__ = ["Prior", "PriorError", "GroupPrior", "FAMILIES", "prior", "describe_families"]
