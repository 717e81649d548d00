"""High-precision RS saddle point by trapezoid sums (E1, E2, E4) against independent methods:
mp.quad of closed-form integrands, the mp.quad energetic terms, the float64 solver, and the
zero-entropy capacities of the former mp.quad implementation."""
import mpmath as mp
import numpy as np
import pytest

import replica
from solvers import rs_saddle as R
from solvers.energetic import mp_energetic_terms
from solvers.rs_saddle_mp import _Atoms, energetic_ge_jj, entropy_zero_mp

# zero-entropy capacities (E4) at 30 digits from the mp.quad (tanh-sinh) implementation at dc77211
KM_BINARY = "0.833078599739579233689086893267"          # Krauth & Mezard 1989: 0.833078...
TERNARY_K05 = "0.613373744054738037410447008967"


def test_binary_moments_equal_tanh_integrals():
    """Binary +-1, lambda = 0: pi = (1 +- tanh(r z))/2, q = E tanh^2(r z), log Z = log cosh(r z) - qh/2."""
    with mp.workdps(30):
        qh = mp.mpf("2.5")
        r = mp.sqrt(qh)
        marg, pp, q, logz = _Atoms([-1, 1], [1, 1]).moments([0, 0], qh)
        q_ref = mp.quad(lambda z: mp.tanh(r * z) ** 2 * mp.npdf(z), [-mp.inf, 0, mp.inf])
        lz_ref = mp.quad(lambda z: mp.log(mp.cosh(r * z)) * mp.npdf(z), [-mp.inf, 0, mp.inf]) - qh / 2
        assert abs(q - q_ref) < mp.mpf(10) ** -29
        assert abs(logz - lz_ref) < mp.mpf(10) ** -29
        assert abs(marg[0] - mp.mpf(1) / 2) < mp.mpf(10) ** -29
        # E pi_0 pi_1 = (1 - q) / 4
        assert abs(pp[0][1] - (1 - q_ref) / 4) < mp.mpf(10) ** -29


@pytest.mark.parametrize("q, kappa", [("0.56", "0"), ("0.8", "1")])
def test_energetic_trapezoid_equals_mp_quad(q, kappa):
    with mp.workdps(25):
        ge, jj = energetic_ge_jj(mp.mpf(q), mp.mpf(kappa))
        ge_ref, jj_ref, _ = mp_energetic_terms(mp.mpf(q), mp.mpf(kappa))
        assert abs(ge - ge_ref) < mp.mpf(10) ** -23 and abs(jj - jj_ref) < mp.mpf(10) ** -23


def test_asymmetric_atoms_at_large_qh_match_float64():
    """An atom negligible at z = 0 that leads in the tail (the outward sweep must not lose it)."""
    vals, probs, qh, kappa = [-1, 0, 3], [0.45, 0.5, 0.05], 40.0, 0.5
    p = np.array(probs)
    w = np.array(vals, float) / np.sqrt(p @ np.array(vals, float) ** 2)
    ms = [R.Measure(w, p)]
    pt = R.rs_point(ms, qh, kappa, float(-(p @ np.log(p))))
    from solvers.rs_saddle_mp import point_mp
    with mp.workdps(20):
        mpt = point_mp(_Atoms(vals, probs, ms[0].lam), qh, kappa)
    assert abs(float(mpt.q) - pt.q) < 1e-11
    assert abs(float(mpt.alpha) - pt.alpha) < 1e-10
    assert abs(float(mpt.entropy) - pt.entropy) < 1e-10


def test_binary_entropy_zero_30_digits_and_error_bound():
    """30 digits of Krauth-Mezard; at 20 digits the error estimate covers the true error."""
    r = replica.capacity("binary", 0, dps=30)
    lo = replica.capacity("binary", 0, dps=20)
    with mp.workdps(40):
        ref = mp.mpf(KM_BINARY)
        assert abs(r.alpha_entropy_zero - ref) < mp.mpf(10) ** -30
        assert abs(lo.alpha_c - ref) <= lo.error_estimate < mp.mpf(10) ** -19


def test_ternary_entropy_zero_matches_mp_quad_implementation():
    p = replica.prior("ternary")
    ms = R.measures_of(p)
    sh = float(p.shannon_entropy())
    zero = R.find_qh_root(ms, lambda pt: pt.entropy, 0.5, sh)
    a, q, qh, err = entropy_zero_mp(p.values, p.probs, mp.mpf("0.5"), zero.qh, ms[0].lam, 30)
    with mp.workdps(40):
        assert abs(a - mp.mpf(TERNARY_K05)) < mp.mpf(10) ** -29 and err < mp.mpf(10) ** -29
    assert abs(float(a) - zero.alpha) < 1e-9


@pytest.mark.parametrize("spec", ["binary", "ternary:f0=0.2", "discrete:values=-1|0|2,probs=0.25|0.5|0.25"])
def test_float64_curve_q_error_of_atoms_bounds_the_30_digit_answer(spec):
    """The float64 curve of a discrete prior claimed q_error = 0 (atoms are exact), while its
    q was off by up to 3.7e-15 from the 30-digit saddle point.  Its claim is now a second z
    rule, the roots' mismatch, the marginal residuals and a rounding floor: above the actual
    error at every load, and still small."""
    from replica.capacity import curve, curve_mp
    for a in (0.2, 0.9, 1.1):
        p, = curve(spec, alphas=[a])
        m, = curve_mp(spec, alphas=[str(a)], dps=30)
        assert abs(p.q - float(m.q)) <= p.q_error < 1e-12, a
