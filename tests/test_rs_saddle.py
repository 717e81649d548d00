"""Finite-alpha RS saddle point (E1, E2, E4): Gardner's solution, identities, limits."""
import mpmath as mp
import numpy as np
import pytest

import replica
from solvers import rs_saddle as R
from solvers.energetic import energetic_terms, mp_energetic_terms
from solvers.rs_saddle_mp import _Atoms, rs_point_mp


def gardner(qh, kappa):
    """Spherical prior: qh = q / (1 - q)^2, G_S = log(1-q)/2 + q/(2(1-q)) (E1)."""
    q = (2 * qh + 1 - np.sqrt(4 * qh + 1)) / (2 * qh)
    ge, jj, _ = energetic_terms(q, kappa)
    alpha = qh * (1 - q) / jj
    return q, alpha, 0.5 * np.log(1 - q) + q / (2 * (1 - q)) + alpha * ge


@pytest.mark.parametrize("kappa", [0.0, 0.8])
@pytest.mark.parametrize("qh", [0.3, 3.0, 40.0])
def test_generic_solver_reproduces_gardner(qh, kappa):
    """The Gaussian prior through the general Lagrange-function solver equals the closed form."""
    ms = R.measures_of(replica.prior("gaussian"), 64)
    pt = R.rs_point(ms, qh, kappa)
    q, alpha, f = gardner(qh, kappa)
    assert abs(pt.q - q) < 1e-9
    assert abs(pt.alpha - alpha) < 1e-8 * alpha
    assert abs(pt.free_entropy - f) < 1e-8 * abs(f)


def test_spherical_at_is_marginal_only_at_capacity():
    """Gardner: the spherical RS solution is stable below alpha_c (AT eigenvalue < 1)."""
    ms = R.measures_of(replica.prior("gaussian"), 64)
    eig = [R.rs_point(ms, qh, 0.0).at_eigenvalue for qh in (0.5, 5, 50)]
    assert all(e < 1 for e in eig) and eig == sorted(eig)


def test_free_entropy_derivative_is_energetic_term():
    """Envelope theorem on E1: d f / d alpha = G_E(q) at the saddle point."""
    ms = R.measures_of(replica.prior("ternary:f0=0.3"))
    a, h = 0.6, 1e-4
    lo, mid, hi = (R.point_at_alpha(ms, x, 0.0) for x in (a - h, a, a + h))
    deriv = (hi.free_entropy - lo.free_entropy) / (2 * h)
    assert abs(deriv - energetic_terms(mid.q, 0.0)[0]) < 1e-6


def test_binary_entropy_zero_and_at_float64():
    p = replica.prior("binary")
    ms = R.measures_of(p)
    h = float(p.shannon_entropy())
    zero = R.find_qh_root(ms, lambda pt: pt.entropy, 0.0, h)
    at = R.find_qh_root(ms, lambda pt: pt.at_eigenvalue - 1, 0.0, h)
    assert abs(zero.alpha - 0.8330786) < 1e-7     # Krauth & Mezard 1989
    assert abs(at.alpha - 1.015) < 1e-3           # Gardner & Derrida 1988


def test_alpha_tends_to_e3_as_q_to_1_for_atoms():
    """qh -> inf: alpha(qh) -> E3 (4/pi for binary), q -> 1 (E2 -> E3)."""
    ms = R.measures_of(replica.prior("discrete:values=-1|0|2,probs=0.25|0.5|0.25"))
    e3 = float(replica.capacity("discrete:values=-1|0|2,probs=0.25|0.5|0.25", 0, 20, entropy=False).alpha_rs)
    assert abs(R.alpha_rs_limit(ms, 0.0) - e3) < 1e-14
    prev = 0
    for qh in (1e2, 1e3, 1e4, 1e5):
        pt = R.rs_point(ms, qh, 0.0)
        assert prev < pt.alpha < e3
        prev = pt.alpha
    assert 1 - pt.q < 1e-2 and abs(pt.alpha - e3) < 2e-2 * e3


def test_continuous_prior_limit_approaches_e3_with_more_nodes():
    """The node discretisation's own E3 converges to the continuous E3."""
    e3 = float(replica.capacity("rectified", 0, 20).alpha_rs)
    errs = [abs(R.alpha_rs_limit(R.measures_of(replica.prior("rectified"), n), 0.0) - e3) for n in (32, 64, 128)]
    assert errs[0] > errs[1] > errs[2] and errs[2] < 0.02


def test_curve_gaussian_matches_gardner_in_alpha():
    pts = replica.curve("gaussian", 0.0, [0.5, 1.0, 1.5])
    for pt in pts:
        q, alpha, _ = gardner(pt.qh, 0.0)
        assert abs(pt.alpha - alpha) < 1e-9 and abs(pt.q - q) < 1e-8
        assert pt.q_error < 1e-8
    assert replica.curve("gaussian", 0.0, [2.0])[0].status.startswith("beyond")


def test_mp_and_float64_saddle_agree():
    """Same equations in mpmath (breakpoint quadrature) and float64 (trapezoid grid)."""
    ms = R.measures_of(replica.prior("ternary:f0=0.4"))
    pt = R.rs_point(ms, 3.0, 0.5, float(replica.prior("ternary:f0=0.4").shannon_entropy()))
    with mp.workdps(20):
        atoms = _Atoms([-1, 0, 1], ["0.3", "0.4", "0.3"], ms[0].lam)
        alpha, q, s = rs_point_mp(atoms, 3, mp.mpf("0.5"))
    assert abs(float(q) - pt.q) < 1e-11
    assert abs(float(alpha) - pt.alpha) < 1e-10
    assert abs(float(s) - pt.entropy) < 1e-10


def test_energetic_float_vs_mp():
    for q in (0.1, 0.9, 0.9999):
        for k in (0.0, 1.0):
            with mp.workdps(20):
                ref = [float(x) for x in mp_energetic_terms(q, k)]
            got = energetic_terms(q, k)
            for a, b in zip(got, ref):
                assert abs(a - b) < 1e-10 * max(1, abs(b))


def test_lagrange_function_enforces_the_marginal_and_stein_identity():
    """E_z p(w|z) = P(w) (E2), and Stein's lemma: E_z z <w>_z / sqrt(qh) = E_z Var(w|z) = 1 - q."""
    pt = replica.curve("rectified", 0.0, [0.6])[0]
    (lag,) = pt.lagrange
    m = R.Measure(np.array(lag["w"]), np.array(lag["p"]), lam=np.array(lag["lambda"]))
    z, zw, _ = R.z_grid(m, pt.qh, m.lam)
    _, pi = R.posterior_of(m, m.lam, pt.qh, z)
    assert np.sum(np.abs(zw @ pi - m.p)) < 1e-10
    mean = pi @ m.w
    var = pi @ m.w ** 2 - mean ** 2
    assert abs(zw @ mean ** 2 - pt.q) < 1e-10
    assert abs(zw @ (z * mean) / np.sqrt(pt.qh) - (1 - pt.q)) < 1e-9
    assert abs(zw @ var - (1 - pt.q)) < 1e-9


def test_high_precision_curve_for_atoms():
    (hp,) = replica.curve_mp("binary", 0, [0.5], dps=20)
    (fp,) = replica.curve("binary", 0.0, [0.5])
    assert abs(float(hp.q) - fp.q) < 1e-11 and abs(float(hp.entropy) - fp.entropy) < 1e-11
    assert hp.q_error < 1e-19 and hp.entropy_error < 1e-19
    with pytest.raises(ValueError, match="atoms"):
        replica.curve_mp("gaussian", 0, [0.5], dps=20)


@pytest.mark.parametrize("q", [1e-14, 1e-8, 1e-4])
def test_energetic_terms_at_small_q_with_margin(q):
    """At q -> 0, u = kappa for every t: G_E = log H(kappa), J = g(kappa)^2,
    K = [g (g - kappa)]^2.  (Both paths once returned 0 here: the kink kappa/sqrt(q) lay far
    outside the Gaussian range and stretched the panels; the binary prior's AT scan at
    kappa = 0.7 then failed with NaN.)"""
    from solvers.energetic import energetic_terms, mp_energetic_terms
    from solvers.gaussian import g_ratio, log_H

    for kappa in (0.3, 0.7, 2.0):
        g = float(g_ratio(np.array(kappa)))
        ref = np.array([float(log_H(np.array(kappa))), g * g, (g * (g - kappa)) ** 2])
        tol = 3 * np.sqrt(q) * (1 + kappa) ** 2         # the O(sqrt(q)) drift from q = 0
        assert np.allclose(energetic_terms(q, kappa), ref, rtol=tol, atol=0)
        with mp.workdps(20):
            assert np.allclose([float(x) for x in mp_energetic_terms(q, kappa)], ref, rtol=tol, atol=0)


def test_gauss_hermite_rule_is_finite_and_exact_for_many_nodes():
    """numpy's hermegauss overflows from ~300 nodes (NaN weights): --nodes 512 used to print
    'beyond alpha_rs' for a lognormal at alpha = 0.5."""
    from solvers.gaussian import gauss_hermite

    for n in (64, 512, 2000):
        x, w = gauss_hermite(n)
        assert np.all(np.isfinite(w))
        assert np.sum(w) == pytest.approx(1, abs=1e-13)
        assert np.sum(w * x ** 4) == pytest.approx(3, abs=1e-12)


def test_lognormal_saddle_point_converges_in_the_node_count():
    import replica
    from solvers.rs_saddle import measures_of, rs_point

    pts = [rs_point(measures_of(replica.prior("lognormal:sigma=1"), n), 30.0, 0.0) for n in (256, 512)]
    assert 0.5 < pts[0].alpha < 0.56
    assert pts[1].alpha == pytest.approx(pts[0].alpha, abs=1e-3) and pts[1].q == pytest.approx(pts[0].q, abs=1e-3)
