"""Finite-size extrapolation: weighted least squares in N^-p, and the one-parameter scaling fit
to all binomial counts, checked on data of known form."""
import numpy as np
import pytest
from scipy import special

from validation.extrapolation import extrapolate, power_scan
from validation.scaling import fit_scaling

NS = np.array([50.0, 100.0, 200.0, 400.0])


def test_exact_data_give_the_intercept_at_their_own_power_only():
    y = 2.0 - 1.5 * NS ** -0.5
    se = np.full(4, 0.01)
    scan = {round(e.power, 2): e for e in power_scan(NS, y, se)}
    assert scan[0.5].value == pytest.approx(2.0, abs=1e-12)
    assert scan[0.5].chi2 == pytest.approx(0.0, abs=1e-18)
    # the wrong powers undershoot (p > 1/2) or overshoot (p < 1/2) by several SE, yet their
    # chi^2 stays small at this 1% error: four sizes barely tell the power apart
    assert scan[1.0].value < 1.94 and scan[0.25].value > 2.12
    assert 0.3 < scan[0.25].chi2 < 1 and 1 < scan[1.0].chi2 < 3


def test_intercept_error_is_the_weighted_least_squares_one():
    # two points: the line through them, SE from propagating the two errors exactly
    x = np.array([0.02, 0.01])                  # 1/N at N = 50, 100
    e = extrapolate([50, 100], [0.9, 0.95], [0.01, 0.02], 1.0)
    assert e.value == pytest.approx(0.95 + (0.95 - 0.9) * x[1] / (x[0] - x[1]))
    # c0 = (x0 y1 - x1 y0) / (x0 - x1): SE^2 = (x1 s0)^2 + (x0 s1)^2 over (x0 - x1)^2
    assert e.se == pytest.approx(np.hypot(x[1] * 0.01, x[0] * 0.02) / (x[0] - x[1]))


def _scaling_counts(alpha_c, x0, w0, p, ns, grid_halfwidth, m, rng):
    cells = []
    for n in ns:
        shift, width = x0 * n ** -p, w0 * n ** -p
        for a in alpha_c + shift + np.linspace(-grid_halfwidth, grid_halfwidth, 8) * width:
            prob = special.ndtr((alpha_c + shift - a) / width)
            cells.append((n, a, rng.binomial(m, prob), m))
    return [list(c) for c in zip(*cells)]


def test_scaling_fit_recovers_threshold_and_power_from_binomial_counts():
    """Counts drawn from P_N = Phi((a_c + x0 N^-p - alpha)/(w0 N^-p)), sizes and sample
    numbers as in the full runs: the fit returns a_c and p within 3 of its standard errors
    over 20 data sets, and those errors are honest (the z-scores have unit spread)."""
    rng = np.random.default_rng(7)
    z_a, z_p = [], []
    for _ in range(20):
        ns, a, k, m = _scaling_counts(2.0, -2.3, 2.2, 0.6, [50, 100, 200, 400], 2.0, 48, rng)
        fit = fit_scaling(ns, a, k, m, start=1.9)
        assert fit is not None and fit.dof == len(a) - 4
        z_a.append((fit.alpha_c - 2.0) / fit.se)
        z_p.append((fit.power - 0.6) / fit.power_se)
        assert fit.fixed_point_fraction == pytest.approx(special.ndtr(-2.3 / 2.2), abs=0.08)
    assert max(map(abs, z_a)) < 3.5 and max(map(abs, z_p)) < 3.5
    assert 0.6 < np.std(z_a) < 1.5 and abs(np.mean(z_a)) < 0.6


def test_scaling_fit_needs_three_sizes():
    rng = np.random.default_rng(1)
    ns, a, k, m = _scaling_counts(1.0, -0.4, 0.9, 0.45, [50, 100], 2.0, 48, rng)
    assert fit_scaling(ns, a, k, m) is None
