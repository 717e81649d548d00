"""Max-margin simulation (QP, Clarabel) against E3's kappa_c(alpha): a small seeded run.
Tolerance: 3 standard errors of the extrapolated intercept, from the measured spread."""
import numpy as np
import pytest

from validation.kappa_sweep import extrapolate, kappa_at, theory_kappa
from validation.max_margin import max_margin, random_sample


def test_qp_solution_has_the_reported_margin():
    x, y = random_sample(60, 0.8, np.random.default_rng(3))
    for sign in (False, True):
        r = max_margin(x, y, sign_constrained=sign)
        margins = y * (x @ r.w) / np.sqrt(60)
        assert abs(np.mean(r.w ** 2) - 1) < 1e-9
        assert abs(margins.min() - r.kappa) < 1e-6 * max(1, r.kappa)   # the binding constraints
        assert (not sign) or r.w.min() > -1e-7


def test_not_separable_is_reported():
    x, y = random_sample(20, 4.0, np.random.default_rng(0))   # far beyond alpha_c = 2
    assert max_margin(x, y).kappa is None


@pytest.mark.parametrize("constraint", ["spherical", "sign"])
def test_kappa_star_extrapolates_to_e3(constraint):
    pts = [kappa_at(n, 0.5, range(24), constraint) for n in (40, 80, 120)]
    k_inf, se = extrapolate(pts)
    theory = theory_kappa(0.5, "sign" if constraint == "sign" else "gaussian")
    assert abs(k_inf - theory) < 3 * se, (k_inf, se, theory)
    assert se < 0.1
