"""Permutation Monte Carlo keeps the weight distribution exact and stores easy samples."""
import numpy as np

import replica
from validation.disco_sgd import target_weights
from validation.max_margin import random_sample
from validation.permutation_mc import anneal


def test_swaps_keep_the_distribution_and_store_the_patterns():
    prior = replica.prior("lognormal:sigma=1")
    x, y = random_sample(100, 0.3, np.random.default_rng(1))
    r = anneal(x, y, prior, rng=1)
    assert r.success and np.array_equal(np.sort(r.w), np.sort(target_weights(prior, 100)))
    assert (y * (x @ r.w)).min() >= 0


def test_beyond_capacity_nothing_is_stored():
    prior = replica.prior("lognormal:sigma=1")   # E3: alpha_c = 0.736
    res = [anneal(*random_sample(60, 1.6, np.random.default_rng(s)), prior, sweeps=100, rng=s) for s in range(3)]
    assert not any(r.success for r in res) and all(r.energy > 0 for r in res)
