"""Capacity in closed form (E3) at user precision, against THEORY.md's reference values."""
import mpmath as mp
import pytest

import replica
from solvers.capacity import gardner_I, gardner_I_np


def digits(dps):
    return mp.mpf(10) ** (-dps + 1)


def test_gaussian_is_gardner_at_every_kappa():
    res = replica.capacity("gaussian", [0, "0.5", 1, 2], dps=40)
    with mp.workdps(45):
        assert abs(res[0].alpha_c - 2) < digits(40)
        for r in res[1:]:
            k = mp.mpf(r.kappa)
            exact = 1 / mp.quad(lambda t: (t + k) ** 2 * mp.npdf(t), [-k, mp.inf])
            assert abs(r.alpha_c - exact) < digits(40) * exact
            assert r.error_estimate < digits(38)


@pytest.mark.parametrize("spec, exact", [
    ("rectified", lambda: mp.mpf(1)),                          # sign constraint, Amit et al.
    ("binary", lambda: 4 / mp.pi),                              # RS Gardner-Derrida
    ("lognormal:sigma=1", lambda: 2 / mp.e),                    # THEORY.md table
    ("lognormal:sigma=0.3", lambda: 2 * mp.mpf("0.09") * mp.exp(-mp.mpf("0.09"))),
    ("uniform", lambda: 6 / mp.pi),                             # E zT = 1/sqrt(pi), E T^2 = 1/3
    ("uniform:low=0,high=3", lambda: 2 * (3 / (2 * mp.sqrt(mp.pi))) ** 2 / 3),
    ("ternary:f0=0.5", lambda: 2 * (2 * mp.npdf(mp.sqrt(2) * mp.erfinv(mp.mpf(1) / 2))) ** 2 / mp.mpf("0.5")),
    ("ei:fE=0.8,sigmaE=1,sigmaI=1", lambda: mp.mpf("1.28") / mp.e),  # groups sum, balance a_I = 4 a_E
])
def test_reference_values_alpha_rs(spec, exact):
    r = replica.capacity(spec, 0, dps=30, entropy=False)
    with mp.workdps(35):
        assert abs(r.alpha_rs - exact()) < digits(30) * exact()
        assert r.error_estimate < digits(28)


def test_rs_capacity_is_w2_formula():
    """alpha_c = alpha_Gardner (1 - W2^2 / 2)^2 (E3)."""
    for spec in ("gamma:k=2", "laplace", "mixture:0.3*gaussian+0.7*lognormal(sigma=0.5)"):
        r = replica.capacity(spec, "0.7", dps=25, entropy=False)
        with mp.workdps(30):
            pred = (1 - r.w2_distance ** 2 / 2) ** 2 / gardner_I(mp.mpf("0.7"))
            assert abs(r.alpha_rs - pred) < digits(25)


def test_group_signs_do_not_matter_but_pooling_does():
    """Flipping an input maps an inhibitory weight to an excitatory one (section 1)."""
    a = replica.capacity("groups:0.8*lognormal(sigma=1)+0.2*-lognormal(sigma=0.5)", 0, 25)
    b = replica.capacity("groups:0.8*lognormal(sigma=1)+0.2*lognormal(sigma=0.5)", 0, 25)
    pooled = replica.capacity("mixture:0.8*lognormal(sigma=1)+0.2*-lognormal(sigma=0.5)", 0, 25)
    assert abs(a.alpha_c - b.alpha_c) < digits(25)
    assert abs(a.alpha_c - pooled.alpha_c) > 0.01


def test_error_estimate_is_honest_at_higher_precision():
    lo = replica.capacity("gamma:k=3", "0.4", dps=20, entropy=False)
    hi = replica.capacity("gamma:k=3", "0.4", dps=40, entropy=False)
    assert abs(lo.alpha_c - hi.alpha_c) <= max(lo.error_estimate, digits(20))


def test_density_matches_family():
    a = replica.capacity("density:expr=w*exp(-w),support=0|inf", 0, dps=15)
    b = replica.capacity("gamma:k=2", 0, dps=15)
    assert abs(a.alpha_c - b.alpha_c) < digits(15)


def test_binary_capacity_is_the_entropy_zero():
    """Krauth-Mezard 0.833 (entropy vanishes), RS 4/pi, AT 1.015 (E4)."""
    r = replica.capacity("binary", 0, dps=15)
    assert abs(r.alpha_entropy_zero - mp.mpf("0.833078599739579")) < 2e-15
    assert r.alpha_c == r.alpha_entropy_zero
    assert abs(r.alpha_rs - 4 / mp.pi) < 1e-14
    assert abs(r.alpha_at - 1.0147) < 1e-3
    assert r.error_estimate < 1e-13


def test_I_float_and_mp_agree():
    for k in (0, 0.3, 1.7, 5.0):
        assert abs(gardner_I_np(k) - float(gardner_I(k))) < 1e-14 * float(gardner_I(k))


@pytest.mark.parametrize("kw, fragment", [
    (dict(kappa=-0.1), "kappa"), (dict(kappa=float("nan")), "kappa"), (dict(dps=2), "dps"),
])
def test_bad_arguments(kw, fragment):
    with pytest.raises(ValueError, match=fragment):
        replica.capacity("gaussian", **kw)


@pytest.mark.parametrize("spec, word", [("lognormal:sigma=1", "lattice trapezoid"), ("gamma:k=2", "mp.quad"),
                                        ("ternary", "atoms' quantile steps")])
def test_capacity_names_the_e3_method_it_used(spec, word):
    """The method line says how E3 was computed (it said 'mp.quad' for the lattice laws too)."""
    assert word in replica.capacity(spec, dps=20, entropy=False).method
