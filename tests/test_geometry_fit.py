"""The inverse question: which geometry turns 'before' weights into 'after' weights.  Synthetic
data made with each known geometry must be recovered; the distances must be right."""
import numpy as np
import pytest
from scipy import stats

from replica.geometry import potential
from replica.geometry.fit import fit
from replica.priors import PriorError
from solvers.geometry import DualMixture, fit_dual_gaussian, ks_distance, paired_changes, sample_nodes, w2_distance, \
    w2_samples

N = 2000


def _synthetic(gen, before, rng, frac=0.7, shift=0.1):
    """After-weights from a known geometry: phi'(w_after) = phi'(w_before) + m + s xi, s a
    fraction of the before-dual's spread (so that the geometries are distinguishable)."""
    pot = potential(gen)
    tb = pot.grad(before)
    return pot.inv_grad(tb + shift * tb.std() + frac * tb.std() * rng.standard_normal(len(before)))


@pytest.mark.parametrize("gen", ["euclidean", "entropic", "pnorm:p=1.5", "pnorm:p=3"])
def test_fit_recovers_the_geometry_that_generated_the_data(gen):
    rng = np.random.default_rng(11)
    before = np.exp(0.5 * rng.standard_normal(N))          # lognormal before-weights, as in cortex
    after = _synthetic(gen, before, rng)
    paired = fit(before, after, paired=True)               # ranked by the paired likelihood
    by_loglik = max((r for r in paired.rows if r.feasible), key=lambda r: r.loglik)   # the unpaired ranking
    assert paired.best.potential == gen and by_loglik.potential == gen
    best = paired.best
    assert best.ks < paired.ks_critical                    # the true geometry also passes the KS check
    assert best.paired["ks_gaussian"] < stats.kstwo.ppf(0.99, N)
    assert abs(best.paired["corr_change_init"]) < 3 / np.sqrt(N)   # changes independent of the weight
    # infeasible candidates (weights <= 0 for the entropic potential) are ranked last, with a reason
    for r in paired.rows:
        if not r.feasible:
            assert r is paired.rows[-1] and "outside the domain" in r.reason


def test_fit_recovers_a_user_potential_among_the_candidates():
    rng = np.random.default_rng(5)
    before = rng.standard_normal(N)
    after = _synthetic("user:grad=sinh(w)", before, rng, frac=0.5, shift=0.0)
    rep = fit(before, after, ["euclidean", "pnorm:p=3", "user:grad=sinh(w)"], paired=True)
    assert rep.best.potential == "user:grad=sinh(w)"


def test_fit_reports_and_refuses_bad_input():
    rng = np.random.default_rng(0)
    b = np.exp(rng.standard_normal(100))
    with pytest.raises(PriorError, match="as many weights"):
        fit(b, b[:50], paired=True)
    with pytest.raises(PriorError, match="at least 10"):
        fit(b[:5], b)
    with pytest.raises(PriorError, match="paired data"):
        fit(b, b * 1.1, rank_by="paired_loglik")
    d = fit(b, b * np.exp(0.1 * rng.standard_normal(100)), paired=True).to_dict()
    assert d["best"] == d["candidates"][0]["potential"] and {"loglik", "ks", "w2", "paired"} <= set(d["candidates"][0])


def test_ml_dual_fit_and_paired_statistics():
    rng = np.random.default_rng(1)
    g = rng.standard_normal(3000)
    t = g + 0.3 + 0.5 * rng.standard_normal(3000)
    nodes, p = sample_nodes(g)
    m, s, ll = fit_dual_gaussian(t, nodes, p)
    assert abs(m - 0.3) < 0.05 and abs(s - 0.5) < 0.05
    # the ML fit beats the moment-matched start and nearby values
    assert ll >= DualMixture(nodes, p, m + 0.05, s).loglik_grad(t)[0]
    assert ll >= DualMixture(nodes, p, m, s * 1.1).loglik_grad(t)[0]
    st = paired_changes(g, t, g)
    assert abs(st["dual_std"] - 0.5) < 0.03 and abs(st["corr_change_init"]) < 0.06
    st = paired_changes(g, g + 0.5 * g * rng.standard_normal(3000), g)   # spread grows with |w|
    assert abs(st["spearman_spread_init"]) < 0.1 < st["excess_kurtosis"]


def test_distances():
    rng = np.random.default_rng(2)
    x = rng.standard_normal(500)
    assert abs(ks_distance(x, stats.norm.cdf) - stats.kstest(x, "norm").statistic) < 1e-14
    assert abs(w2_samples(x, x + 0.7) - 0.7) < 1e-12
    y = rng.standard_normal(300)
    brute = np.sqrt(np.mean((np.sort(np.repeat(x, 3)) - np.sort(np.repeat(y, 5))) ** 2))
    assert abs(w2_samples(x, y) - brute) < 1e-12
    # W2 of an empirical law to its own law shrinks like 1/sqrt(N) (up to logs)
    w_small = w2_distance(stats.norm.ppf((np.arange(100) + 0.5) / 100), stats.norm.ppf)
    w_big = w2_distance(stats.norm.ppf((np.arange(10000) + 0.5) / 10000), stats.norm.ppf)
    assert w_big < w_small / 5
