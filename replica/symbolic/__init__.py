"""Symbolic (sympy) derivation of the RS saddle-point equations: `derive_capacity`,
`derive_teacher_student`, renderers and the equation checker."""
from .capacity import derive_capacity

__all__ = ["derive_capacity"]
