"""No wrong number with exit 0: E3 is scale invariant, its error estimate bounds the real
error (against closed forms, not a rerun of the method), and results outside the bounds
0 < E z T <= sd/rms <= 1, alpha_c <= alpha_Gardner are refused (THEORY.md sec. 1, E3)."""
import os
import subprocess
import sys

import mpmath as mp
import pytest

import replica
from replica.common.errors import Refused
from replica.priors import PriorError
from solvers.capacity import gardner_I

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_cli(*args, timeout=120):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, "-m", "replica.cli", *args], capture_output=True, text=True,
                          env=env, timeout=timeout, cwd=ROOT)


# ---------------------------------------------------------------- scale invariance
@pytest.mark.parametrize("spec, unit", [
    ("gaussian:std=1e-100", "gaussian"),
    ("gaussian:std=1e-40", "gaussian"),
    ("gaussian:std=1e-60", "gaussian"),
    ("lognormal:mu=-300", "lognormal"),
    ("lognormal:mu=-100", "lognormal"),
    ("lognormal:mu=1e6", "lognormal"),
    ("uniform:low=-1e-100,high=1e-100", "uniform"),
    ("laplace:scale=1e-100", "laplace"),
    ("exponential:rate=1e100", "exponential"),
    ("gamma:theta=1e-100", "gamma"),
])
def test_capacity_does_not_depend_on_units(spec, unit):
    """The prior is rescaled to E w^2 = 1 (sec. 1): a spec in other units is the same law.
    Before the fix: std=1e-100 gave 1.0909, mu=-300 0.267, uniform 1.261, gamma rc 3."""
    a = replica.capacity(spec, [0, 1], dps=30)
    b = replica.capacity(unit, [0, 1], dps=30)
    for ra, rb in zip(a, b):
        assert abs(ra.alpha_c - rb.alpha_c) <= mp.mpf("1e-28") * rb.alpha_c
        assert ra.error_estimate <= mp.mpf("1e-29") * rb.alpha_c


@pytest.mark.parametrize("spec, exact", [
    ("gaussian:std=1e-100", lambda: mp.mpf(2)),
    ("uniform:low=-1e-100,high=1e-100", lambda: 6 / mp.pi),
    ("lognormal:mu=-300", lambda: 2 / mp.e),
])
def test_rescaled_priors_against_closed_forms(spec, exact):
    r = replica.capacity(spec, 0, dps=30)
    with mp.workdps(40):
        assert abs(r.alpha_c - exact()) <= r.error_estimate


def test_far_gaussian_density_is_located():
    """exp(-(w - 1e6)^2) = N(1e6, 1/2): its tables and float quantiles sit at its mass."""
    import numpy as np
    from scipy import stats

    law = replica.prior("density:expr=exp(-(w-1e6)^2)").parts[0]
    assert abs(law.center - 10 ** 6) < 1e-6 and 1 < law.spread < 20
    u = np.array([1e-6, 0.1, 0.5, 0.9, 1 - 1e-6])
    assert np.allclose(law.np_ppf(u), stats.norm.ppf(u, 1e6, np.sqrt(0.5)), rtol=0, atol=1e-4)
    with mp.workdps(50):
        x = mp.mpf(10) ** 6 + mp.mpf("0.3")   # exactly representable at 30 digits only with 1e6 lost
    with mp.workdps(30):
        assert abs(law.cdf(x) - mp.ncdf(mp.mpf("0.3"), sigma=mp.sqrt(mp.mpf(1) / 2))) < mp.mpf("1e-27")


@pytest.mark.parametrize("expr, fragment", [
    ("exp(w)", "not normalisable"),
    ("exp(-(w-1048576)^2)+exp(-(w+1048576)^2)", "mass near"),   # both bumps on probes
])
def test_density_location_refusals(expr, fragment):
    with pytest.raises(PriorError, match=fragment):
        replica.prior(f"density:expr={expr}")


@pytest.mark.slow
def test_far_gaussian_density_at_dps_30():
    """alpha_c = 2 rho^2, rho = s / sqrt(m^2 + s^2): 1 / (1e12 + 1/2) (printed
    6.6e+360287719207 before: the anchors sat at scale 1 near 0).  ~40 s."""
    r = replica.capacity("density:expr=exp(-(w-1e6)^2)", 0, dps=30)
    with mp.workdps(50):
        exact = 1 / (mp.mpf(10) ** 12 + mp.mpf(1) / 2)
        assert abs(r.alpha_c - exact) <= r.error_estimate < mp.mpf("1e-29") * exact


def test_geometry_law_with_huge_dual_std_is_lognormal():
    """entropic from lognormal(0.5) with dual_std s is lognormal(sqrt(1/4 + s^2)):
    at s = 1e6 alpha_c = 2 sigma^2 e^{-sigma^2} (1.6e+434275495722 before)."""
    r = replica.capacity("geometry:potential=entropic,init=lognormal(sigma=0.5),dual_std=1e6", 0, dps=30)
    with mp.workdps(60):
        s2 = mp.mpf("0.25") + mp.mpf(10) ** 12
        exact = 2 * s2 * mp.exp(-s2)
        assert abs(r.alpha_c - exact) <= r.error_estimate
        assert r.error_estimate < mp.mpf("1e-29") * exact


# ---------------------------------------------------------------- error estimates vs closed forms
def _lognormal_exact(sigma, kappa, dps):
    with mp.workdps(dps + 30):
        s = mp.mpf(sigma)
        return s ** 2 * mp.exp(-s ** 2) / gardner_I(mp.mpf(kappa))


def _printed(x, dps):
    with mp.workdps(dps + 30):
        return mp.mpf(mp.nstr(x, dps, strip_zeros=False))


@pytest.mark.parametrize("sigma, dps", [
    ("0.1", 30), ("1", 30), ("3", 30), ("10", 30), ("70", 30), ("100", 30), ("1e6", 30),
    ("100", 60), ("1", 100), ("3", 100),
])
def test_error_estimate_bounds_the_real_error_of_the_printed_value(sigma, dps):
    """alpha_c = sigma^2 e^{-sigma^2} / I(kappa) for lognormal(sigma), any mu (E3).  The
    printed value (dps significant digits) must be within the estimate; the estimate must
    not exceed a few units in the last printed digit (sigma = 100 at dps 30 lost 15
    digits silently, at dps 60 the estimate was 1e-19)."""
    kappas = ["0", "1", "10", "30"] if dps == 30 else ["0"]
    res = replica.capacity(f"lognormal:sigma={sigma}", kappas, dps=dps)
    for k, r in zip(kappas, res):
        exact = _lognormal_exact(sigma, k, dps)
        with mp.workdps(dps + 30):
            real = abs(_printed(r.alpha_c, dps) - exact)
            assert real <= r.error_estimate, (sigma, k, real, r.error_estimate)
            assert r.error_estimate <= 20 * mp.mpf(10) ** (-dps + 1) * exact


def test_error_estimate_covers_printing_at_low_precision():
    r = replica.capacity("gaussian", "0.3", dps=8)
    with mp.workdps(40):
        exact = 1 / gardner_I(mp.mpf("0.3"))
        assert abs(_printed(r.alpha_c, 8) - exact) <= r.error_estimate <= mp.mpf("1e-7") * exact


# ---------------------------------------------------------------- bounds
def test_a_transport_integral_above_the_cauchy_schwarz_bound_is_refused(monkeypatch):
    """E z T <= sd(w) / rms(w) <= 1: a violated bound is withheld, exit 3, not printed."""
    import solvers.capacity as cap

    monkeypatch.setattr(cap, "ez_transport", lambda part, error=False: (mp.mpf(3), mp.mpf(0)))
    with pytest.raises(Refused, match="Cauchy-Schwarz"):
        replica.capacity("laplace", 0, dps=15)


def test_a_nonfinite_transport_integral_is_refused(monkeypatch):
    import solvers.capacity as cap

    monkeypatch.setattr(cap, "ez_transport", lambda part, error=False: (mp.inf, mp.mpf(0)))
    with pytest.raises(Refused, match="not finite"):
        replica.capacity("laplace", 0, dps=15)


def test_an_unresolved_transport_integral_is_refused(monkeypatch):
    import solvers.capacity as cap

    monkeypatch.setattr(cap, "ez_transport", lambda part, error=False: (mp.mpf("1e-20"), mp.mpf("1e-10")))
    with pytest.raises(Refused, match="not resolved"):
        replica.capacity("laplace", 0, dps=15)


def test_the_mean_bound_is_sharp_for_a_shifted_gaussian():
    """rho = sd / rms exactly for N(m, s^2) (T affine): the bound is attained, not violated."""
    r = replica.capacity("gaussian:mean=1e6,std=0.5", 0, dps=30)
    with mp.workdps(50):
        m, s = mp.mpf(10) ** 6, mp.mpf("0.5")
        exact = 2 * s ** 2 / (m ** 2 + s ** 2)
        assert abs(r.alpha_c - exact) <= r.error_estimate < mp.mpf("1e-29") * exact


def test_gaussian_mean_1e308_is_computed_not_overflowed():
    """E w^2 = 1e616 overflows float64, not mp: alpha_c = 2 / (1 + 1e616)."""
    r = replica.capacity("gaussian:mean=1e308", 0, dps=20)
    with mp.workdps(40):
        exact = 2 / (1 + mp.mpf(10) ** 616)
        assert abs(r.alpha_c - exact) <= r.error_estimate


# ---------------------------------------------------------------- degenerate and bad priors
@pytest.mark.parametrize("spec", [
    "discrete:values=3,probs=1",
    "discrete:values=1|1,probs=0.5|0.5",      # merged into one atom
    "discrete:values=1|-1,probs=1|0",         # zero-probability atom dropped
])
def test_point_masses_are_a_clear_usage_error(spec):
    with pytest.raises(PriorError, match="point mass"):
        replica.capacity(spec, 0)


def test_constant_weight_file_is_a_point_mass(tmp_path):
    import numpy as np

    path = tmp_path / "w.npy"
    np.save(path, np.full(100, 0.7))
    with pytest.raises(PriorError, match="point mass"):
        replica.capacity(f"file:{path}", 0)


@pytest.mark.parametrize("spec, fragment", [
    ("uniform:low=-inf,high=inf", "low must be finite"),
    ("gaussian:std=inf", "std must be finite"),
    ("gaussian:mean=inf", "mean must be finite"),
    ("lognormal:mu=-inf", "mu must be finite"),
    ("laplace:scale=inf", "scale must be finite"),
])
def test_infinite_parameters_are_usage_errors(spec, fragment):
    with pytest.raises(PriorError, match=fragment):
        replica.prior(spec)


def test_an_atom_too_light_for_the_entropy_solver_is_refused_with_alpha_rs():
    """probs 1e-300|1: the float64 E4 solver drops atoms below 1e-10 of the heaviest (a
    brentq traceback before); E3 alone is exact: alpha_rs = 2 (2 psi(1e-300))^2 / E w^2."""
    with pytest.raises(Refused, match=r"1\.0e-300.*alpha_rs .*= 1\.09958813347827e-596"):
        replica.capacity("discrete:values=1|-1,probs=1e-300|1", 0)
    r = replica.capacity("discrete:values=1|-1,probs=1e-300|1", 0, dps=20, entropy=False)
    with mp.workdps(40):
        p = mp.mpf("1e-300") / (1 + mp.mpf("1e-300"))
        x = mp.findroot(lambda t: mp.log(mp.ncdf(t)) - mp.log(p), -37)   # Phi(x) = p
        psi = mp.npdf(x)
        exact = 2 * (2 * psi) ** 2    # E w^2 = 1 for +-1
        assert abs(r.alpha_rs - exact) <= r.error_estimate


@pytest.mark.parametrize("spec, code, fragment", [
    ("discrete:values=3,probs=1", 2, "point mass"),
    ("gaussian:std=inf", 2, "finite"),
    ("discrete:values=1|-1,probs=1e-300|1", 3, "refused"),
])
def test_cli_degenerate_priors_exit_with_a_reason(spec, code, fragment):
    r = run_cli("capacity", "--prior", spec)
    assert r.returncode == code, r.stderr
    assert fragment in r.stderr and "Traceback" not in r.stderr
    assert r.stderr.count("\n") == 1


def test_long_e4_solves_warn_with_an_estimate():
    """binary --dps 100 took 124 s with no output (reliability report); with trapezoid sums
    it takes ~4 s, and a solve beyond about a minute (dps ~ 350 for 2 atoms) warns first."""
    from replica.capacity import _warn_runtime, e4_seconds
    assert 0.3 <= e4_seconds(2, 30) <= 1 and 3 <= e4_seconds(2, 100) <= 8 and 15 <= e4_seconds(2, 200) <= 35
    with pytest.warns(RuntimeWarning, match=r"E4\) at 500 digits for 2 atoms takes about 2 min \(about dps"):
        _warn_runtime(replica.prior("binary"), 500, 1)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _warn_runtime(replica.prior("binary"), 100, 1)   # 6 s: no warning


def test_gaussian_tail_at_huge_arguments():
    """mpmath's erfc raised 'int too large to convert to float' near |x| ~ 1e77 (binary
    capacity at --dps 200 died with rc 3); the tail series takes over beyond 1e20."""
    import mpmath as mp
    from solvers.gaussian import mp_H, mp_Phi
    with mp.workdps(50):
        for x in (mp.mpf("2e20"), mp.mpf("3e25")):
            ref = mp.exp(-x * x / 2) / (x * mp.sqrt(2 * mp.pi)) * (1 - 1 / x ** 2 + 3 / x ** 4)
            assert abs(mp_H(x) / ref - 1) < mp.mpf(10) ** -48
        x = mp.mpf("1.5e20")   # just past the switch: erfc with enough guard digits agrees
        with mp.workdps(150):
            exact = mp.erfc(x / mp.sqrt(2)) / 2
        assert abs(mp_H(x) / exact - 1) < mp.mpf(10) ** -48
        assert mp_H(mp.mpf("-1e100")) == 1 and mp_Phi(mp.mpf("1e100")) == 1
        assert 0 < mp_H(mp.mpf("1e100")) < mp.mpf(10) ** mp.mpf("-1e199")


def test_overflowing_geometry_laws_are_refused_in_one_line(capsys):
    """No numpy overflow warnings before the refusal (reliability report: pnorm p = 1000)."""
    from replica.cli import main
    for argv in (["capacity", "--prior", "geometry:potential=pnorm(p=1000),init=gaussian,dual_std=0.3"],
                 ["geometry", "predict", "--potential", "entropic", "--init", "lognormal:sigma=0.5", "--alpha", "1e6"]):
        with pytest.raises(SystemExit) as ex:
            main(argv)
        err = [s for s in capsys.readouterr().err.splitlines() if s.strip()]
        assert ex.value.code == 3 and len(err) == 1 and err[0].startswith("replica: refused: "), err


# ---------------------------------------------------------------- the issue-17 sweep
SWEEP_KAPPAS = ["0", "1", "10"]


@pytest.mark.parametrize("dps", [15, 30, 100])
def test_lognormal_sweep_estimates_bound_every_printed_row(dps):
    """lognormal sigma in {0.1, 0.5, 1, 3, 10, 100} x kappa in {0, 1, 10} against
    alpha_c = sigma^2 e^{-sigma^2} / I(kappa) (E3): the estimate bounds the real error of
    the value, of the JSON string and of each table row (with the row's own error column);
    the whole grid takes ~1.5 s (the lattice trapezoid)."""
    from replica.output import capacity_dict, capacity_text

    for sigma in ("0.1", "0.5", "1", "3", "10", "100"):
        res = replica.capacity(f"lognormal:sigma={sigma}", SWEEP_KAPPAS, dps=dps)
        rows = capacity_text([r.result() for r in res], dps, sweep=True)[3:]
        for k, r, row in zip(SWEEP_KAPPAS, res, rows):
            exact = _lognormal_exact(sigma, k, dps)
            with mp.workdps(dps + 30):
                assert abs(r.alpha_c - exact) <= r.error_estimate, (sigma, k)
                d = capacity_dict(r.result())
                assert abs(mp.mpf(d["alpha_c"]) - exact) <= mp.mpf(d["error_estimate"]), (sigma, k, d)
                _, alpha_row, _, err_row = row.split()
                assert abs(mp.mpf(alpha_row) - exact) <= mp.mpf(err_row), (sigma, k, row)
                # and the estimate is not inflated: within a few units of the dps-th digit
                assert r.error_estimate <= 10 * mp.mpf(10) ** (-dps + 1) * exact


def test_an_estimate_beyond_the_requested_precision_warns_and_trims_the_digits():
    """A scipy law is evaluated in float64 (precision_floor ~1e-13): at dps 20 the estimate
    exceeds the request, which warns, and the printed value stops at what it supports."""
    from scipy import stats

    from replica.output import capacity_dict

    with pytest.warns(RuntimeWarning, match="of the 20 requested digits are supported"):
        r = replica.capacity(stats.lognorm(1), 0, dps=20)
    d = capacity_dict(r.result())
    with mp.workdps(50):
        exact = 2 / mp.e
        assert abs(r.alpha_c - exact) <= r.error_estimate
        assert abs(mp.mpf(d["alpha_c"]) - exact) <= mp.mpf(d["error_estimate"])
    assert len(d["alpha_c"].replace("0.", "", 1)) < 20


def test_a_result_within_the_requested_precision_does_not_warn():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = replica.capacity("lognormal:sigma=1", 0, dps=30)
    assert len(r.to_dict()["alpha_c"]) == 32      # '0.' and all 30 digits
