"""The double-precision E3 path for dense grids against the mpmath reference (30 digits):
every family to a few ulp, including heavy tails (lognormal sigma = 2.5, gamma k = 0.3)
and groups; and the float64 transport T(z) against mpmath beyond |z| = 8.3, where
Phi(z) rounds to 1."""
import mpmath as mp
import numpy as np
import pytest

import replica
from solvers.e3_grid import alpha_c_np, rho_np

SPECS = ["gaussian", "halfnormal", "lognormal:sigma=1", "lognormal:sigma=2.5", "uniform", "laplace", "exponential",
         "gamma:k=2", "gamma:k=0.3", "binary", "ternary:f0=0.5", "ei:fE=0.8,sigmaE=1,sigmaI=1",
         "ei:fE=0.8,sigmaE=2,sigmaI=0.3", "groups:0.5*gaussian+0.5*binary", "rectified"]


@pytest.mark.parametrize("spec", SPECS)
def test_grid_e3_equals_mpmath(spec):
    a, err = alpha_c_np(replica.prior(spec), [0.0, 0.7])
    ref = np.array([float(r.alpha_rs) for r in replica.capacity(spec, [0, mp.mpf("0.7")], dps=30, entropy=False)])
    assert np.all(np.abs(a - ref) <= 8e-16 * ref + 2 * err), (a, ref, err)
    assert np.all(err < 1e-13 * ref)


@pytest.mark.parametrize("spec", ["gaussian", "halfnormal", "lognormal:sigma=1", "laplace", "exponential", "gamma:k=2"])
def test_transport_tails(spec):
    part = replica.prior(spec).parts[0]
    z = np.array([-9.0, -3.0, 0.5, 3.0, 9.0, 11.0])
    ref = np.array([float(part.quantile_from_z(mp.mpf(v))) for v in z])
    assert np.all(np.abs(part.np_transport(z) - ref) <= 1e-12 * np.abs(ref) + 1e-300)


def test_rho_error_is_reported():
    r = rho_np(replica.prior("lognormal:sigma=1"))
    assert 0 < r.error < 1e-14 and "panels" in r.method


@pytest.mark.parametrize("spec, exact", [
    ("gaussian:std=1e-100", lambda: mp.mpf(1)),
    ("lognormal:mu=-300", lambda: mp.exp(mp.mpf(-1) / 2)),                 # rho = sigma e^{-sigma^2/2}
    ("lognormal:sigma=10", lambda: 10 * mp.exp(mp.mpf(-50))),
    ("lognormal:sigma=30", lambda: 30 * mp.exp(mp.mpf(-450))),             # float64 overflows: mp path
    ("uniform:low=-1e-100,high=1e-100", lambda: mp.sqrt(3 / mp.pi)),        # (1/sqrt(pi)) / sqrt(1/3)
    ("gaussian:mean=1e6,std=0.5", lambda: mp.mpf("0.5") / mp.sqrt(mp.mpf(10) ** 12 + mp.mpf("0.25"))),
    ("gaussian:mean=1e308", lambda: mp.mpf(10) ** -308 / mp.sqrt(1 + mp.mpf(10) ** -616)),
])
def test_float_e3_is_scale_free_and_honest(spec, exact):
    """The phase-diagram path rescales in mp first and checks its bounds; where float64
    cannot (e^{2 sigma z} overflows, T(z) - T(0) rounds to 0) it falls back to mp."""
    r = rho_np(replica.prior(spec))
    with mp.workdps(30):
        assert abs(r.rho - exact()) <= r.error + 1e-300
        # float64 T(z) - T(0) keeps ~16 - log10(location / width) digits: 1e6 -> ~1e-10
        assert r.error <= 1e-8 * exact()


def test_float_e3_does_not_use_approximate_quantile_tables():
    """A density's float quantile table is good to ~1e-6: rho_np uses mp for it (it
    reported 7.07110e-7 with error 3e-16 for N(1e6, 1/2), true 7.07107e-7)."""
    r = rho_np(replica.prior("density:expr=exp(-(w-1e6)^2)"))
    exact = 1 / np.sqrt(2e12 + 1)      # s / sqrt(m^2 + s^2), s^2 = 1/2
    assert abs(r.rho - exact) <= r.error and r.error < 1e-12 * exact and "mpmath" in r.method
