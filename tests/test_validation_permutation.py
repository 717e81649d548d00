"""Permutation Monte Carlo: the weight distribution stays exact (per group), easy samples
are stored, nothing is stored beyond capacity, the ratchet's margin is a real margin, and
the version-space walk never leaves the version space."""
import numpy as np
import pytest

from validation.constraint import targets
from validation.max_margin import random_sample
from validation.permutation_mc import anneal, max_margin, version_space_walk


def _margins(x, y, w):
    return y * (x @ w) / np.sqrt(x.shape[1])


def test_swaps_keep_the_distribution_and_store_the_patterns():
    x, y = random_sample(100, 0.3, np.random.default_rng(1))
    tg = targets("lognormal:sigma=1", 100)
    r = anneal(x, y, tg, sweeps=2000, rng=1)
    assert r.success and np.array_equal(np.sort(r.w), tg.values)
    assert _margins(x, y, r.w).min() >= 0 and abs(_margins(x, y, r.w).min() - r.min_margin) < 1e-12


def test_groups_keep_their_own_distribution():
    """E/I: the first 80% of positions hold the excitatory targets (positive), the rest the
    inhibitory ones (negative); swaps never mix them."""
    tg = targets("ei:fE=0.8,sigmaE=1,sigmaI=1", 100)
    assert list(tg.starts) == [0, 80, 100] and tg.values[:80].min() > 0 > tg.values[80:].max()
    assert abs(np.mean(tg.values ** 2) - 1) < 1e-12
    x, y = random_sample(100, 0.3, np.random.default_rng(2))
    r = anneal(x, y, tg, sweeps=3000, rng=2)
    assert r.success and tg.satisfied_by(r.w) and (r.w[:80] > 0).all() and (r.w[80:] < 0).all()


def test_beyond_capacity_nothing_is_stored():
    """lognormal(1): E3 alpha_c = 0.736; at alpha = 1.6 no sample of N = 60 is stored."""
    res = [anneal(*random_sample(60, 1.6, np.random.default_rng(s)), "lognormal:sigma=1", sweeps=300, rng=s)
           for s in range(3)]
    assert not any(r.success for r in res) and all(r.energy > 0 for r in res)


def test_ratchet_margin_is_attained_and_beats_plain_storage():
    x, y = random_sample(80, 0.4, np.random.default_rng(3))
    tg = targets("lognormal:sigma=1", 80)
    r = max_margin(x, y, tg, sweeps=3000, rng=3)
    assert tg.satisfied_by(r.w)
    assert abs(_margins(x, y, r.w).min() - r.min_margin) < 1e-12
    assert r.min_margin > anneal(x, y, tg, sweeps=3000, rng=3).min_margin > 0


def test_version_space_walk_stays_inside():
    rng = np.random.default_rng(4)
    w0 = targets("lognormal:sigma=1", 100).values[rng.permutation(100)]
    x = rng.standard_normal((100, 100))
    y = np.sign(x @ w0)
    tg = targets("lognormal:sigma=1", 100)
    start = anneal(x, y, tg, sweeps=2000, rng=4)
    assert start.success
    walk = version_space_walk(x, y, tg, start.w, w0, sweeps=300, rng=5)
    assert tg.satisfied_by(walk.w) and _margins(x, y, walk.w).min() >= 0
    assert 0 < walk.acceptance < 1 and 0 < walk.overlap <= 1
    with pytest.raises(ValueError, match="version space"):
        version_space_walk(x, -y, tg, start.w, w0, sweeps=10)
