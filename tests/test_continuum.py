"""The continuous-measure E2 engine (solvers/continuum.py) against closed forms.

Gaussian law: the distribution constraint is the spherical one, lambda = beta w^2/2, and
E2 gives 1 - q = 1/P with P = (1 + sqrt(1 + 4 qh))/2 (THEORY.md E2, Gardner)."""
import numpy as np
import pytest

from replica.priors import prior
from solvers import continuum as C


@pytest.mark.parametrize("qh", [0.01, 1.0, 100.0, 1e4])
def test_gaussian_law_equals_gardner(qh):
    law = C.ContinuousLaw(prior("gaussian").normalized())
    pt, _ = C.group_point(law, qh)
    exact = 2.0 / (1.0 + np.sqrt(1.0 + 4.0 * qh))
    assert abs(pt.one_minus_q - exact) <= 1e-12 * exact
    assert abs((1 - pt.q) - exact) <= 1e-13
    assert pt.residual < 1e-10


def test_lognormal_two_rules_agree():
    # two different panel layouts (order 8 / width 2 and order 11 / width 2.7): the
    # error estimate the engine reports is their difference
    law = C.ContinuousLaw(prior("lognormal:sigma=1").normalized())
    a, _ = C.group_point(law, 1.0)
    b, _ = C.group_point(law, 1.0, C.SECOND)
    assert abs(a.q - b.q) < 1e-12
    assert 0.64 < a.q < 0.66       # 0.648941826684708 (both rules); the node engine: -8e-9, -2.1e-7, -2.7e-7 at 64, 128, 256 nodes
