"""Capacity from simulation with the distribution kept exact (swap-move annealing), small
and seeded: N = 60, 16 samples at 4 loads.  The crossing of the stored fraction (probit
fit) lies within 3 of its standard errors of E3.  (The full runs, N = 50-400 with 1/N
and N^-1/2 extrapolations, are in validation/results/.)"""
import numpy as np
import pytest

import replica
from validation.capacity_sim import simulate_capacity


@pytest.mark.parametrize("spec, alphas", [("lognormal:sigma=1", [0.5, 0.65, 0.8, 0.95]),
                                          ("ei:fE=0.8,sigmaE=1,sigmaI=1", [0.3, 0.42, 0.54, 0.66])])
def test_swap_annealing_capacity_matches_e3(spec, alphas, tmp_path):
    rep = simulate_capacity(spec, [60], alphas, 16, str(tmp_path / "c.jsonl"), sweeps=20000, progress=False)
    row = rep.rows[0]
    theory = float(replica.capacity(spec, 0, dps=15).alpha_c)
    assert row.crossing is not None and row.crossing_error < 0.05
    assert abs(row.crossing - theory) < 3 * row.crossing_error, (row.fractions, row.crossing, row.crossing_error)
    assert row.fractions[0] > 0.5 > row.fractions[-1]


def test_restarts_stop_at_the_first_success_and_are_part_of_the_record(tmp_path):
    from validation.capacity_sim import capacity_task
    from validation.reports import capacity_table

    base = {"prior": "rectified", "kappa": 0.0, "trainer": "permutation", "sweeps": 2000, "t0": 1.0, "n": 30}
    easy = capacity_task(dict(base, alpha=0.3, seed=1, restarts=3))
    assert easy["stored"] and easy["restarts_run"] == 1
    hard = capacity_task(dict(base, alpha=2.0, seed=1, restarts=3))     # twice the sign-constrained capacity
    assert not hard["stored"] and hard["restarts_run"] == 3 and hard["sweeps_run"] == 3 * 2000
    path = str(tmp_path / "r.jsonl")
    one = simulate_capacity("rectified", [30], [0.3, 2.0], 2, path, sweeps=2000, progress=False)
    three = simulate_capacity("rectified", [30], [0.3, 2.0], 2, path, sweeps=2000, progress=False, restarts=3)
    assert one.restarts == 1 and three.restarts == 3
    assert "3 x 2000" in capacity_table(three, 1.0) and "3 x 2000" not in capacity_table(one, 1.0)
    with pytest.raises(ValueError, match="permutation trainer"):
        simulate_capacity("gaussian", [30], [1.0], 2, path, trainer="qp", restarts=2, progress=False)


def test_relaxation_bounds_the_annealer_sample_by_sample(tmp_path):
    """'relaxation' counts a sample as stored unless the LP certifies it cannot be: every
    sample the annealer stores is counted, and some it does not store are certified."""
    path = str(tmp_path / "b.jsonl")
    kw = dict(ns=[30], alphas=[0.8, 1.0, 1.2], samples=8, path=path, progress=False)
    low = simulate_capacity("rectified", sweeps=10000, **kw)
    up = simulate_capacity("rectified", trainer="relaxation", **kw)
    assert all(a <= b for a, b in zip(low.rows[0].stored, up.rows[0].stored))
    assert sum(up.rows[0].stored) < sum(up.rows[0].total)        # the certificate is not vacuous


def test_scaling_fit_of_exact_separability_finds_covers_threshold(tmp_path):
    """Spherical weights by the exact QP at N = 25, 50, 100 (32 samples, 9 loads): Cover's law
    puts P_N(2) = 1/2 at every N and the width of the step at ~ N^-1/2, so the scaling fit
    returns alpha_c = 2 and p = 1/2 within 3 of its standard errors, and a fixed-point
    fraction near 1/2."""
    rep = simulate_capacity("gaussian", [25, 50, 100], list(np.linspace(1.5, 2.5, 9)), 32,
                            str(tmp_path / "q.jsonl"), trainer="qp", progress=False)
    sc = rep.scaling
    assert sc is not None and sc.se < 0.06 and sc.power_se < 0.2
    assert abs(sc.alpha_c - 2.0) < 3 * sc.se, sc
    assert abs(sc.power - 0.5) < 3 * sc.power_se, sc
    assert abs(sc.fixed_point_fraction - 0.5) < 0.15, sc
