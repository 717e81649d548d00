"""Prior specs: grammar, validation, moments, transport identities (THEORY.md sec. 1, E3)."""
import mpmath as mp
import numpy as np
import pytest

import replica
from replica.priors import GroupPrior, PriorError
from solvers.gaussian import mp_norm_isf
from solvers.transport import ez_transport, w2_to_gaussian


@pytest.mark.parametrize("spec, m1, m2", [
    ("gaussian", 0, 1),
    ("gaussian:mean=1,std=2", 1, 5),
    ("binary", 0, 1),
    ("binary:p=0.75", "0.5", 1),
    ("ternary:f0=0.2", 0, "0.8"),
    ("rectified", lambda: 1 / mp.sqrt(2 * mp.pi), "0.5"),
    ("halfnormal", lambda: mp.sqrt(2 / mp.pi), 1),
    ("lognormal:sigma=0.5", lambda: mp.exp(mp.mpf("0.125")), lambda: mp.exp(mp.mpf("0.5"))),
    ("uniform", 0, lambda: mp.mpf(1) / 3),
    ("laplace:scale=2", 0, 8),
    ("exponential:rate=2", "0.5", "0.5"),
    ("gamma:k=3,theta=2", 6, 48),
    ("discrete:values=-1|0|2,probs=0.25|0.5|0.25", "0.25", "1.25"),
    ("mixture:0.5*gaussian+0.5*binary", 0, 1),
    ("mixture:0.5*halfnormal+0.5*-halfnormal", 0, 1),
])
def test_moments(spec, m1, m2):
    mp.mp.dps = 30
    p = replica.prior(spec)
    m1, m2 = (m() if callable(m) else mp.mpf(m) for m in (m1, m2))
    assert abs(p.moment(1) - m1) < mp.mpf(10) ** -25
    assert abs(p.moment(2) - m2) < mp.mpf(10) ** -25


@pytest.mark.parametrize("spec, fragment", [
    ("nosuch", "unknown prior family 'nosuch'"),
    ("lognormal:sigma=0", "sigma must be > 0"),
    ("lognormal:sigma=-1", "sigma must be > 0"),
    ("gaussian:std=-2", "std must be > 0"),
    ("gaussian:sigma=1", "unknown parameter 'sigma'"),
    ("lognormal:sigma=x", "not a number"),
    ("discrete:values=1|2,probs=0.3|0.3", "sum to 1"),
    ("discrete:values=1|2,probs=1.5|-0.5", "non-negative"),
    ("discrete:values=1|2|3,probs=0.5|0.5", "as many values as probs"),
    ("ternary:f0=1.5", "f0 must be in"),
    ("binary:p=1", "p must be in"),
    ("mixture:0.5*gaussian+0.6*binary", "weights must sum to 1"),
    ("mixture:0.5*gaussian 0.5*binary", "expected '+'"),
    ("density:expr=exp(w)", "not normalisable"),
    ("density:expr=w,support=-1|1", "negative"),
    ("density:expr=import os", "density formula"),
    ("file:/no/such/file.csv", "not found"),
    ("", "empty prior spec"),
    ("ei:fE=1.2", "fE must be in"),
    ("gaussian:mean=1,mean=2", "given twice"),
])
def test_bad_specs_raise_one_clear_value_error(spec, fragment):
    with pytest.raises(PriorError) as err:
        replica.prior(spec)
    assert isinstance(err.value, ValueError)
    assert fragment in str(err.value)
    assert "\n" not in str(err.value)


def test_files(tmp_path):
    rng = np.random.default_rng(0)
    data = rng.lognormal(0, 1, 2000)
    np.save(tmp_path / "w.npy", data)
    np.savetxt(tmp_path / "w.csv", data, delimiter=",")
    a, b = replica.prior(f"file:{tmp_path}/w.npy"), replica.prior(f"file:{tmp_path}/w.csv")
    assert a.empirical and len(a.values) == 2000
    assert abs(a.moment(2) - np.mean(data ** 2)) < 1e-10 * np.mean(data ** 2)
    assert abs(a.moment(2) - b.moment(2)) < 1e-9 * a.moment(2)
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(PriorError, match="empty"):
        replica.prior(f"file:{tmp_path}/empty.csv")
    (tmp_path / "bad.csv").write_text("1, 2, x")
    with pytest.raises(PriorError, match="value 3, 'x', is not a number"):
        replica.prior(f"file:{tmp_path}/bad.csv")


@pytest.mark.parametrize("spec", ["lognormal:sigma=0.7", "gaussian", "uniform", "laplace", "exponential"])
def test_ez_transport_z_space_equals_w_space(spec):
    """Stein: E z T(z) = int psi(F(w)) dw; the two quadratures agree to the working precision."""
    mp.mp.dps = 30
    p = replica.prior(spec)
    part = p.parts[0]
    zspace = ez_transport(p)
    wspace = ez_transport(replica.prior(f"mixture:1*{spec.replace(':', '(').replace(',', ',')}{')' if ':' in spec else ''}"))
    assert p.has_closed_transport and part.has_closed_transport
    assert abs(zspace - wspace) < mp.mpf(10) ** -26


def test_transport_map_pushes_gaussian_to_prior():
    mp.mp.dps = 25
    p = replica.prior("gamma:k=2")
    for z in (-3, -0.5, 0, 1, 4):
        w = p.transport(z)
        assert abs(p.cdf(w) - mp.ncdf(z)) < mp.mpf(10) ** -20


def test_w2_identity_and_closed_forms():
    """W2^2 = E T^2 + 1 - 2 E zT; lognormal: E zT = sigma e^{sigma^2/2} exactly."""
    mp.mp.dps = 30
    s = mp.mpf("0.8")
    p = replica.prior("lognormal:sigma=0.8")
    assert abs(ez_transport(p) - s * mp.exp(s ** 2 / 2)) < mp.mpf(10) ** -27
    assert abs(w2_to_gaussian(replica.prior("gaussian"))) < mp.mpf(10) ** -14  # sqrt of ~eps
    # N(1, 1): T(z) = 1 + z, W2 = 1
    assert abs(w2_to_gaussian(replica.prior("gaussian:mean=1")) - 1) < mp.mpf(10) ** -12


def test_negation_is_a_mirror():
    mp.mp.dps = 20
    p = replica.prior("lognormal:sigma=0.5")
    n = p.negated()
    for w in (mp.mpf("0.3"), mp.mpf(2)):
        assert abs(n.cdf(-w) - p.sf(w)) < mp.mpf(10) ** -18
    assert abs(ez_transport(n) - ez_transport(p)) < mp.mpf(10) ** -15


def test_groups_and_ei_balance():
    mp.mp.dps = 30
    g = replica.prior("ei:fE=0.8,sigmaE=1,sigmaI=0.5")
    assert isinstance(g, GroupPrior)
    (fe, pe), (fi, pi) = g.groups
    # E/I balance f_E E|w_E| = f_I E|w_I| and unit second moment overall (E3)
    assert abs(fe * pe.moment(1) + fi * pi.moment(1)) < 1e-25
    assert abs(g.moment(2) - 1) < 1e-25
    with pytest.raises(PriorError, match="must sum to 1"):
        replica.prior("groups:0.7*gaussian+0.2*binary")


def test_sampling_matches_moments():
    rng = np.random.default_rng(1)
    for spec in ("rectified", "ternary:f0=0.3", "lognormal:sigma=0.5", "mixture:0.3*gaussian+0.7*binary"):
        p = replica.prior(spec)
        x = p.sample(200000, rng)
        m2 = float(p.moment(2))
        assert abs(np.mean(x ** 2) - m2) < 5 * np.std(x ** 2) / np.sqrt(len(x))


def test_probabilities_within_rounding_are_renormalised_exactly():
    """probs summing to 1 +- 1e-9 are divided by their sum in mp (check_probs): the law is
    P(-1) = 0.5000000001 / 1.0000000001, and alpha_rs = 8 psi(P(-1))^2 for +-1 atoms (E3:
    E zT = 2 psi(F(-1)), E w^2 = 1).  Before, E w^2 = 1.0000000001: alpha_rs off by 1e-10
    with a claimed error of 1e-30."""
    r = replica.capacity("discrete:values=1|-1,probs=0.5|0.5000000001", 0, dps=30, entropy=False)
    with mp.workdps(60):
        p = mp.mpf("0.5000000001") / mp.mpf("1.0000000001")
        psi = mp.npdf(mp.sqrt(2) * mp.erfinv(2 * p - 1))
        exact = 8 * psi ** 2
        assert abs(r.alpha_rs - exact) <= r.error_estimate < mp.mpf("1e-29")
        # psi is stationary at p = 1/2: the odds move alpha_rs by 2e-20, far above the error
        assert abs(r.alpha_rs - 4 / mp.pi) > mp.mpf("1e-20")
    with mp.workdps(60):    # mixture weights and group fractions likewise
        pr = replica.prior("mixture:0.3*gaussian+0.7000000001*binary")
        assert abs(mp.fsum(pr.probs) + mp.fsum(pr.masses) - 1) < mp.mpf("1e-55")
        g = replica.prior("groups:0.3*gaussian+0.7000000001*binary")
        assert abs(mp.fsum(f for f, _ in g.groups) - 1) < mp.mpf("1e-55")
    with pytest.raises(PriorError, match="sum to 1"):
        replica.prior("discrete:values=1|-1,probs=0.5|0.500000002")


# ---------------------------------------------------------------- exact float64 quantiles of composites
COMPOSITE_SPECS = ["rectified", "mixture:0.5*lognormal+0.5*gaussian",
                   "mixture:0.3*gaussian(mean=-1)+0.7*laplace",
                   "mixture:0.2*binary+0.3*discrete(values=0.5,probs=1)+0.5*lognormal(sigma=0.5)",
                   "mixture:0.4*-lognormal(sigma=0.8)+0.6*halfnormal"]


def _mp_quantile_at(prior, u):
    """F^{-1}(u) at the float64 u itself, in mp (u rounded to float64 is the question asked)."""
    return prior.transport(mp.sqrt(2) * mp.erfinv(2 * mp.mpf(float(u)) - 1))


@pytest.mark.parametrize("spec", COMPOSITE_SPECS)
def test_composite_np_ppf_is_exact(spec):
    """Prior.np_ppf of a mixture inverts the mixed CDF to float64 rounding (it was a table of
    2e5 draws, 6e-2 off at z = 4 for rectified): against the mp quantile at z = 2, 4 and at
    the float u = Phi(z) for z = -4 .. 4."""
    from scipy import special

    mp.mp.dps = 30
    p = replica.prior(spec)
    for z in (2, 4):
        got = float(p.np_ppf(np.array([special.ndtr(z)]))[0])
        ref = p.transport(z)
        assert abs(got - ref) <= 1e-12 * abs(ref)
    for z in (-4, -1.5, -0.3, 0.3, 1.5, 4):
        u = special.ndtr(z)
        got = float(p.np_ppf(np.array([u]))[0])
        ref = _mp_quantile_at(p, u)
        assert abs(got - ref) <= 4e-15 * abs(ref) + 1e-25, (z, got, ref)


@pytest.mark.parametrize("spec", COMPOSITE_SPECS)
def test_composite_np_transport_and_isf_keep_the_upper_tail(spec):
    """np_transport(z) for z up to 10 goes through np_isf(H(z)): relative 1e-14 against the mp
    quantile; S(isf(t)) = t down to t = 1e-300."""
    from scipy import special

    mp.mp.dps = 30
    p = replica.prior(spec)
    zs = np.array([-8.0, -6.0, 6.0, 8.0, 10.0])
    got = p.np_transport(zs)
    for z, g in zip(zs, got):
        ref = p.transport(z)
        assert abs(g - ref) <= 1e-14 * abs(ref) + 1e-25, (z, g, ref)
    t = np.array([1e-300, 1e-100, 1e-12, 1e-3])
    x = p.np_isf(t)
    assert np.all(np.isfinite(x)) and np.all(np.diff(x) < 0)
    for ti, xi in zip(t, x):
        ref = p.transport(mp_norm_isf(mp.mpf(ti)))    # inf{x: S(x) <= t} in mp
        assert abs(xi - ref) <= 1e-13 * abs(ref), (ti, xi, ref)


def test_composite_np_ppf_atoms_jumps_and_edges():
    """An atom is returned exactly for every u in its jump; u = 0 and 1 give the support ends."""
    p = replica.prior("rectified")    # atom 1/2 at 0 + half-normal
    u = np.array([0.0, 1e-300, 0.25, 0.5, 0.5 + 1e-15, 1.0])
    x = p.np_ppf(u)
    assert np.all(x[:4] == 0.0) and x[4] > 0 and x[5] == np.inf
    # F^{-1} just above the jump: F rounds at ulp(1/2) = 1.1e-16, so x is known to ~2 ulp / pdf(0+)
    assert abs(x[4] - np.sqrt(2) * special_erfinv(2 * (u[4] - 0.5))) < 2.2e-16 / 0.39
    m = replica.prior("mixture:0.3*binary+0.7*uniform(low=-0.5,high=0.5)")
    # F(-1-) = 0, F(-1) = 0.15; the uniform fills (0.15, 0.85); the atom at +1 fills (0.85, 1]
    assert np.all(m.np_ppf(np.array([0.01, 0.15, 0.9, 1.0])) == [-1, -1, 1, 1])
    assert abs(m.np_ppf(np.array([0.5]))[0]) < 1e-16
    # S = 0.15 on [0.5, 1): isf(0.15) = inf{x: S(x) <= 0.15} is the uniform's upper end
    x = m.np_isf(np.array([0.1, 0.15]))
    assert x[0] == 1 and abs(x[1] - 0.5) < 1e-15


def special_erfinv(x):
    from scipy import special

    return special.erfinv(x)


def test_composite_np_ppf_is_fast_and_consistent():
    """1e6 quantiles of a two-part mixture in a few seconds, F(F^{-1}(u)) = u to rounding."""
    import time

    p = replica.prior("mixture:0.5*lognormal+0.5*gaussian")
    u = np.random.default_rng(0).random(10 ** 6)
    t0 = time.perf_counter()
    x = p.np_ppf(u)
    assert time.perf_counter() - t0 < 20
    assert np.max(np.abs(p.np_cdf(x) - u)) < 1e-15
    assert np.all(np.diff(p.np_ppf(np.sort(u))) >= 0)


# ---------------------------------------------------------------- adapters (replica.priors.as_prior)
def test_from_scipy_matches_the_family_and_declares_its_floor():
    from scipy import stats

    from replica.priors import from_scipy

    mp.mp.dps = 30
    ref = replica.prior("lognormal:sigma=1")
    p = from_scipy(stats.lognorm(1.0))
    assert p.spec == "scipy:lognorm(s=1)"
    for k in (1, 2, 3):
        assert abs(p.moment(k) / ref.moment(k) - 1) < 1e-12
    for w in (0.05, 0.7, 1, 3, 20):
        assert abs(p.cdf(w) - ref.cdf(w)) < 1e-15 and abs(p.sf(w) / ref.sf(w) - 1) < 1e-12
    floor = p.parts[0].precision_floor
    assert 0 < floor < 1e-11
    r = replica.capacity(from_scipy(stats.gamma(2)), 0, dps=20, entropy=False)
    r0 = replica.capacity("gamma:k=2", 0, dps=20, entropy=False)
    assert r.error_estimate >= 1e-13 and abs(r.alpha_c - r0.alpha_c) <= r.error_estimate


def test_from_scipy_discrete_atoms_and_refusals():
    from scipy import stats

    from replica.priors import from_scipy

    p = from_scipy(stats.binom(3, 0.5))
    assert [float(v) for v in p.values] == [0, 1, 2, 3]
    assert np.allclose([float(q) for q in p.probs], [1 / 8, 3 / 8, 3 / 8, 1 / 8], rtol=0, atol=1e-15)
    with pytest.raises(PriorError, match="infinite support"):
        from_scipy(stats.poisson(2))
    with pytest.raises(PriorError, match="frozen scipy.stats"):
        from_scipy(stats.norm)    # the distribution, not a frozen one


def test_from_sympy_continuous_and_finite():
    import sympy.stats as ss

    from replica.priors import from_sympy

    mp.mp.dps = 30
    ref = replica.prior("lognormal:sigma=1")
    import sympy

    x = sympy.Symbol("x")
    lognormal_density = sympy.exp(-sympy.log(x) ** 2 / 2) / (x * sympy.sqrt(2 * sympy.pi))
    assert from_sympy(ss.LogNormal("X", 0, 1)).spec == "lognormal:mu=0.0,sigma=1.0"   # a known family
    p = from_sympy(ss.ContinuousRV(x, lognormal_density, sympy.Interval(0, sympy.oo)))
    assert p.spec.startswith("sympy:")        # by its density: 1/w at w = 0, its limit used there
    for k in (1, 2):
        assert abs(p.moment(k) / ref.moment(k) - 1) < 1e-25
    for w in (mp.mpf("0.1"), mp.mpf(1), mp.mpf(5)):
        assert abs(p.cdf(w) - ref.cdf(w)) < 1e-25
    n = from_sympy(ss.Normal("Y", 1, 2))
    assert abs(n.moment(1) - 1) < 1e-25 and abs(n.moment(2) - 5) < 1e-24
    b = from_sympy(ss.Beta("B", 2, 3))       # no family of ours: the density path
    assert b.spec.startswith("sympy:") and abs(b.moment(1) - mp.mpf(2) / 5) < 1e-25 \
        and abs(b.moment(2) - mp.mpf(1) / 5) < 1e-25
    d = from_sympy(ss.Die("D", 6))
    assert [int(v) for v in d.values] == [1, 2, 3, 4, 5, 6] and abs(d.moment(1) - mp.mpf(7) / 2) < 1e-25

    a = sympy.Symbol("a", positive=True)
    with pytest.raises(PriorError, match="free parameters"):
        from_sympy(ss.Exponential("E", a))


def test_from_samples_equals_file_prior(tmp_path):
    from replica.priors import from_samples

    rng = np.random.default_rng(3)
    x = rng.normal(size=1000)
    p = from_samples(x)
    np.save(tmp_path / "w.npy", x)
    f = replica.prior(f"file:{tmp_path}/w.npy")
    assert p.empirical and p.values == f.values and p.probs == f.probs
    for k in (1, 2, 4):
        assert abs(float(p.moment(k)) - np.mean(x ** k)) < 1e-12 * max(1, np.mean(np.abs(x) ** k))
    with pytest.raises(PriorError, match="only zeros"):
        from_samples([0.0, 0.0])
    with pytest.raises(PriorError, match="1-D"):
        from_samples(np.ones((2, 3)))


def test_as_prior_dispatch():
    from scipy import stats
    import sympy.stats as ss

    from replica.priors import ScipyLaw, as_prior

    g = replica.prior("gaussian")
    assert as_prior(g) is g and as_prior("gaussian").spec == "gaussian"
    ei = replica.prior("ei:fE=0.8")
    assert as_prior(ei) is ei
    assert isinstance(as_prior(stats.gamma(2)).parts[0], ScipyLaw)
    assert as_prior(ss.Normal("Z", 0, 1)).spec == "gaussian:mean=0.0,std=1.0"
    assert as_prior(ss.Beta("B", 2, 2)).spec.startswith("sympy:")
    assert as_prior([1.0, -1.0, 2.0]).empirical and as_prior((1, 2)).empirical
    for bad in (3.0, {"a": 1}, ["x", 1], np.array(["a"])):
        with pytest.raises(PriorError) as err:
            as_prior(bad)
        assert "\n" not in str(err.value) and "frozen scipy.stats distribution" in str(err.value)
