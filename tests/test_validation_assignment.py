"""The Birkhoff relaxation certifies non-storable samples (validation/assignment.py).
Checked against what must hold: a sample labelled by an admissible teacher is storable,
so its relaxation is feasible; a sample the swap annealer stores has a feasible
relaxation; for non-negative targets a certified sample is not sign-separable either way
round (relaxed w >= 0, so sign-inseparable => relaxation infeasible)."""
import numpy as np
import pytest

from validation.constraint import targets
from validation.max_margin import max_margin, random_sample
from validation.permutation_mc import anneal
from validation.assignment import exact_storable, relaxation_feasible


@pytest.mark.parametrize("spec", ["rectified", "lognormal:sigma=1", "ei:fE=0.8,sigmaE=1,sigmaI=1"])
def test_teacher_labelled_sample_is_never_certified(spec):
    n = 40
    tg = targets(spec, n)
    rng = np.random.default_rng(3)
    for _ in range(3):
        w0 = tg.values[tg.random_ranks(rng)]
        x = rng.standard_normal((2 * n, n))
        h = x @ w0 / np.sqrt(n)
        y = np.sign(h)
        kappa = 0.5 * np.abs(h).min()          # the teacher itself has this margin
        assert relaxation_feasible(x, y, tg, kappa)


def test_certificates_against_annealer_and_sign_qp():
    n, tg = 30, targets("rectified", 30)
    certified = 0
    for alpha in (0.8, 1.0, 1.2, 1.4):
        for seed in range(6):
            x, y = random_sample(n, alpha, np.random.default_rng(seed))
            feasible = relaxation_feasible(x, y, tg)
            if anneal(x, y, tg, sweeps=4000, rng=seed).success:
                assert feasible
            if max_margin(x, y, sign_constrained=True).kappa is None:
                assert not feasible
            certified += not feasible
    assert certified >= 6     # the certificate is not vacuous at these loads


def test_random_labels_far_beyond_capacity_are_certified_for_groups():
    n = 40
    x, y = random_sample(n, 3.0, np.random.default_rng(0))
    assert not relaxation_feasible(x, y, "ei:fE=0.8,sigmaE=1,sigmaI=1")


def test_negative_kappa_is_refused():
    x, y = random_sample(20, 0.5, np.random.default_rng(0))
    with pytest.raises(ValueError, match="kappa >= 0"):
        relaxation_feasible(x, y, "rectified", kappa=-0.1)


@pytest.mark.parametrize("spec, n, alpha, kappa, samples", [
    ("rectified", 20, 0.95, 0.0, 12),
    ("ei:fE=0.8,sigmaE=1,sigmaI=1", 16, 0.45, 0.0, 12),
    ("lognormal:sigma=1", 16, 0.4, 0.4, 12),
])
def test_annealer_agrees_with_the_exact_milp_at_small_n(spec, n, alpha, kappa, samples):
    """At the crossing (about half the samples storable) the swap annealer stores exactly
    the samples the MILP proves storable: no solution missed, none invented."""
    tg = targets(spec, n)
    storable = 0
    for seed in range(samples):
        x, y = random_sample(n, alpha, np.random.default_rng(seed))
        exact, w = exact_storable(x, y, tg, kappa, time_limit=120)
        assert exact is not None, "the MILP did not decide a small sample"
        assert anneal(x, y, tg, kappa=kappa, sweeps=20000, rng=seed).success == exact
        if exact:
            assert tg.satisfied_by(w, tol=1e-12) and ((y[:, None] * x) @ w / np.sqrt(n)).min() >= kappa
        storable += exact
    assert 0.25 * samples <= storable <= 0.75 * samples    # the test sits at the step, not in a trivial tail


def test_exact_milp_finds_a_teacher_and_refuses_negative_kappa():
    n, tg = 16, targets("rectified", 16)
    rng = np.random.default_rng(5)
    w0 = tg.values[tg.random_ranks(rng)]
    x = rng.standard_normal((24, n))
    y = np.sign(x @ w0)
    ok, w = exact_storable(x, y, tg)
    assert ok and ((y[:, None] * x) @ w).min() > 0
    with pytest.raises(ValueError, match="kappa >= 0"):
        exact_storable(x, y, tg, kappa=-0.1)
