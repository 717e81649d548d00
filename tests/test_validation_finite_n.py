"""The finite-N reference values of a distribution constraint (validation/constraint.py):
E3 of the N targets and the RS entropy estimate of the finite-N capacity.  Checked against
identities: with the Shannon entropy in place of the finite count, binary targets give E4's
Krauth-Mezard capacity; the count of a permutation set is the multinomial; the estimate
rises with N towards E3 and stays below E3 of the targets."""
import numpy as np
import pytest
from scipy import special

from validation.constraint import entropy_alpha, target_measures, targets, targets_alpha_rs, targets_entropy_alpha


def test_binary_targets_with_shannon_entropy_give_krauth_mezard():
    ms, s0 = target_measures(targets("binary", 40))
    assert entropy_alpha(ms, np.log(2.0)) == pytest.approx(0.833078599739579, abs=1e-8)
    # the finite count C(40, 20) is smaller than 2^40, so the finite-N estimate is lower
    assert s0 == pytest.approx((special.gammaln(41) - 2 * special.gammaln(21)) / 40, rel=1e-12)
    assert entropy_alpha(ms, s0) < 0.8330785


def test_counts_merge_equal_targets():
    _, s0 = target_measures(targets("rectified", 50))        # 25 zeros, 25 distinct positive values
    assert s0 == pytest.approx((special.gammaln(51) - special.gammaln(26)) / 50, rel=1e-12)
    _, s0 = target_measures(targets("gaussian", 50))
    assert s0 == pytest.approx(special.gammaln(51) / 50, rel=1e-12)


def test_entropy_estimate_rises_towards_e3_below_e3_of_the_targets():
    est = [targets_entropy_alpha(targets("gaussian", n)) for n in (30, 60)]
    e3 = [targets_alpha_rs(targets("gaussian", n)) for n in (30, 60)]
    assert est[0] < est[1] < 2.0
    assert all(a < b for a, b in zip(est, e3))
    assert est[0] == pytest.approx(1.7939, abs=2e-3)     # 2 - alpha_N ~ 6/N: far below E3 at this N
