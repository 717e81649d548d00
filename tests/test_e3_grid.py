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
