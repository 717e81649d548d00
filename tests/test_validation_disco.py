"""DisCo-SGD: the constraint is met exactly, easy samples are learned, and nothing is
learned beyond the capacity (a heuristic may stop short of capacity; it may never exceed it)."""
import numpy as np

import replica
from validation.constraint import targets
from validation.disco_sgd import disco_sgd
from validation.max_margin import random_sample


def test_projection_keeps_the_distribution_exactly():
    tg = targets("lognormal:sigma=1", 500)
    w = tg.project(np.random.default_rng(0).standard_normal(500))
    assert np.array_equal(np.sort(w), tg.values) and abs(np.mean(w ** 2) - 1) < 1e-12


def test_gaussian_below_and_above_capacity():
    prior = replica.prior("gaussian")
    below = [disco_sgd(*random_sample(100, 0.5, np.random.default_rng(s)), prior, rng=s) for s in range(6)]
    above = [disco_sgd(*random_sample(100, 3.0, np.random.default_rng(s)), prior, steps=600, rng=s)
             for s in range(4)]
    assert all(r.success for r in below) and not any(r.success for r in above)
    assert all(np.array_equal(np.sort(r.w), targets(prior, 100).values) for r in below)


def test_lognormal_never_beats_capacity():
    prior = replica.prior("lognormal:sigma=1")          # E3: alpha_c = 2/e = 0.736
    res = [disco_sgd(*random_sample(100, 1.5, np.random.default_rng(s)), prior, steps=600, rng=s)
           for s in range(4)]
    assert not any(r.success for r in res)
