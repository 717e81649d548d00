"""Finite-size extrapolation: weighted least squares in N^-p, checked on data of known form."""
import numpy as np
import pytest

from validation.extrapolation import extrapolate, power_scan

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
