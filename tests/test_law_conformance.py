"""Conformance of every prior law, scipy.stats style: the same identities checked for each
registered family (iterated from the registry: a new `register_law` is tested with no
edit here, at its defaults unless SAMPLE_SPECS gives parameters) and for composites
(rectified, mixtures of parts, atoms + parts, a negated component, scaled and normalised
laws, adapter-built laws).

    cdf(ppf(u)) = u and sf(isf(t)) = t down to t = 1e-12 (float64, continuous laws)
    pdf = d cdf / dw (central differences)
    mp and float64 agree (cdf, pdf, transport)
    moments = mp.quad of w^k pdf (plus the atoms)
    sample moments = exact moments within 5 standard errors (seeded)
    transport T(z) monotone, equal to ppf(Phi(z)), and to the mp T in the tails z = +-6
"""
import mpmath as mp
import numpy as np
import pytest
from scipy import special, stats

import replica
from replica.priors import LAWS, PriorError, from_samples, from_scipy

# parameters for laws whose defaults are not enough (or to cover a second regime)
SAMPLE_SPECS = {
    "discrete": ["discrete:values=-1|0|2,probs=0.25|0.5|0.25"],
    "gamma": ["gamma", "gamma:k=0.5,theta=2"],
    "lognormal": ["lognormal", "lognormal:sigma=0.4,mu=1"],
    "gaussian": ["gaussian:mean=1,std=2"],
    "weibull": ["weibull", "weibull:k=0.8,scale=2"],
}


def _family_cases():
    for name in LAWS:
        for spec in SAMPLE_SPECS.get(name, [name]):
            yield pytest.param(lambda spec=spec: replica.prior(spec), id=spec)


COMPOSITES = [
    pytest.param(lambda: replica.prior("mixture:0.5*lognormal+0.5*gaussian"), id="mix-lognormal-gaussian"),
    pytest.param(lambda: replica.prior("mixture:0.3*gaussian(mean=-1)+0.7*laplace"), id="mix-gaussian-laplace"),
    pytest.param(lambda: replica.prior("mixture:0.3*binary+0.7*uniform(low=-0.5,high=0.5)"), id="mix-atoms-uniform"),
    pytest.param(lambda: replica.prior("mixture:0.2*ternary+0.8*exponential(rate=2)"), id="mix-atoms-exponential"),
    pytest.param(lambda: replica.prior("mixture:0.4*-lognormal(sigma=0.5)+0.6*gaussian"), id="mix-negated"),
    pytest.param(lambda: replica.prior("lognormal:sigma=0.5").negated(), id="negated-lognormal"),
    pytest.param(lambda: replica.prior("gamma:k=2").scaled(3), id="scaled-gamma"),
    pytest.param(lambda: replica.prior("laplace:scale=2,loc=1").normalized(), id="normalized-laplace"),
    pytest.param(lambda: replica.prior("rectified:f0=0.3").normalized(), id="normalized-rectified"),
    pytest.param(lambda: from_scipy(stats.gamma(2.5, scale=0.5)), id="scipy-gamma"),
    pytest.param(lambda: from_scipy(stats.lognorm(0.7)).scaled(2), id="scipy-lognorm-scaled"),
    pytest.param(lambda: from_scipy(stats.binom(4, 0.3)), id="scipy-binom"),
    pytest.param(lambda: from_samples(np.random.default_rng(5).normal(size=300)), id="samples"),
]
CASES = list(_family_cases()) + COMPOSITES
EPS = np.finfo(float).eps


@pytest.fixture(autouse=True)
def _dps():
    old = mp.mp.dps
    mp.mp.dps = 20
    yield
    mp.mp.dps = old


def _float_floor(p):
    """Absolute accuracy the law declares for integrals in w (float64-backed parts)."""
    return max([float(getattr(c, "precision_floor", 0)) for c in p.parts], default=0.0)


def _continuous(p):
    return bool(p.parts) and not p.values


def _interior_points(p):
    """Points inside the bulk of the continuous part, away from atoms and support ends."""
    u = np.array([0.02, 0.1, 0.3, 0.47, 0.7, 0.9, 0.98])   # 0.47: off laplace's kink at the mode
    x = np.unique(p.np_ppf(u))
    lo, hi = (float(v) for v in p.support)
    vals = np.array([float(v) for v in p.values])
    scale = float(mp.sqrt(p.moment(2)))
    keep = (x > lo + 1e-3 * scale) & (x < hi - 1e-3 * scale)
    if vals.size:
        keep &= np.min(np.abs(x[:, None] - vals[None, :]), axis=1) > 1e-3 * scale
    return x[keep], scale


@pytest.mark.parametrize("make", CASES)
def test_cdf_of_ppf_and_sf_of_isf(make):
    p = make()
    u = np.array([1e-12, 1e-6, 0.01, 0.2, 0.5, 0.8, 0.99, 1 - 1e-6])
    x = p.np_ppf(u)
    assert np.all(np.diff(x) >= 0)
    t = np.array([1e-12, 1e-8, 1e-3, 0.3])
    y = p.np_isf(t)
    assert np.all(np.diff(y) <= 0)
    if not _continuous(p):
        # generalised inverse: F(x) >= u, and F just below x is < u unless x is where F jumps
        assert np.all(p.np_cdf(x) >= u * (1 - 1e-12))
        assert np.all(p.np_sf(y) <= t * (1 + 1e-12))
        return
    # conditioning of the checks themselves: F(x(1 + d)) moves by d x pdf(x)
    cond_u = np.abs(x) * p.np_pdf(x)
    assert np.all(np.abs(p.np_cdf(x) - u) <= 1e-12 * np.minimum(u, 1 - u) + 8 * EPS * (cond_u + u)), (x, p.np_cdf(x) - u)
    cond_t = np.abs(y) * p.np_pdf(y)
    assert np.all(np.abs(p.np_sf(y) - t) <= 1e-12 * t + 8 * EPS * (cond_t + t)), (y, p.np_sf(y) / t - 1)


@pytest.mark.parametrize("make", CASES)
def test_pdf_is_the_derivative_of_cdf(make):
    p = make()
    if not p.parts:
        pytest.skip("no continuous part")
    x, scale = _interior_points(p)
    h = 1e-5 * scale
    # F(x+h) - F(x-h) against Simpson's rule for the density (exact to O(h^4), O(h^2) at a
    # kink such as laplace's mode, where a plain central difference of F is only O(h))
    fd = (p.np_cdf(x + h) - p.np_cdf(x - h)) / (2 * h)
    dens = p.np_pdf(x)
    simpson = (p.np_pdf(x - h) + 4 * dens + p.np_pdf(x + h)) / 6
    assert np.all(np.abs(fd - simpson) <= 1e-7 * dens + 1e-9 / scale), (x, fd, simpson)
    mp_dens = np.array([float(p.pdf(mp.mpf(v))) for v in x])
    assert np.all(np.abs(mp_dens - dens) <= 1e-13 * dens)


@pytest.mark.parametrize("make", CASES)
def test_mp_and_float64_agree(make):
    p = make()
    floor = _float_floor(p)
    z = np.array([-3.0, -1.0, -0.2, 0.4, 1.5, 3.0])
    xs = p.np_transport(z)
    for zi, xi in zip(z, xs):
        ref = float(p.transport(mp.mpf(zi)))
        assert abs(xi - ref) <= 1e-12 * abs(ref) + 1e-12 * (1 + abs(ref)) * (not _continuous(p)) + 10 * floor, (zi, xi, ref)
    x, _ = _interior_points(p) if p.parts else (np.array([float(v) + 0.5 for v in p.values]), 1)
    for xi in x:
        # scipy's incomplete gamma and sums of many atoms are good to ~1e-14 relative
        c, sf = p.cdf(mp.mpf(xi)), p.sf(mp.mpf(xi))
        assert abs(float(c) - p.np_cdf(np.array([xi]))[0]) <= 2e-14 * float(c) + 10 * floor
        assert abs(float(sf) - p.np_sf(np.array([xi]))[0]) <= 2e-14 * float(sf) + 10 * floor


@pytest.mark.parametrize("make", CASES)
def test_moments_are_integrals_of_the_density(make):
    p = make()
    floor = _float_floor(p)
    atoms = [(mp.mpf(v), mp.mpf(q)) for v, q in zip(p.values, p.probs)]
    for k in (1, 2, 3):
        total = mp.fsum(q * v ** k for v, q in atoms)
        for c, part in zip(p.masses, p.parts):
            cuts = part.np_transport(np.array([-8.0, -5, -3, -1, 0, 1, 3, 5, 8]))
            pts = sorted({float(v) for v in cuts if np.isfinite(v)} | ({0.0} if part.lo < 0 < part.hi else set()))
            pts = [part.lo] + [mp.mpf(v) for v in pts if part.lo < v < part.hi] + [part.hi]
            total += mp.mpf(c) * mp.quad(lambda w: w ** k * part.pdf(w), pts)
        m = p.moment(k)
        scale = mp.sqrt(p.moment(2)) ** k
        tol = (1e-10 if floor else 1e-14) * scale
        assert abs(total - m) <= tol, (k, total, m)


@pytest.mark.parametrize("make", CASES)
def test_sample_moments(make):
    p = make()
    x = p.sample(100_000, np.random.default_rng(20240))
    for k in (1, 2):
        xk = x ** k
        se = np.std(xk) / np.sqrt(x.size)
        assert abs(np.mean(xk) - float(p.moment(k))) <= 5 * se + 1e-12, (k, np.mean(xk), float(p.moment(k)), se)


@pytest.mark.parametrize("make", CASES)
def test_transport_monotone_and_tails(make):
    p = make()
    floor = _float_floor(p)
    z = np.linspace(-8, 8, 401)
    t = p.np_transport(z)
    assert np.all(np.isfinite(t)) and np.all(np.diff(t) >= 0)
    # below 0 T(z) is ppf(Phi(z)) exactly; above, ppf(Phi(z)) is limited by the rounding of
    # Phi(z) near 1 (1 ulp / pdf), which np_transport avoids through isf(H(z))
    lowz = z[z < 0]
    assert np.all(np.abs(p.np_ppf(special.ndtr(lowz)) - t[z < 0]) <= 1e-12 * np.abs(t[z < 0]) + 10 * floor)
    hiz = np.array([0.5, 2.0, 4.0])
    direct = p.np_ppf(special.ndtr(hiz))
    via = p.np_transport(hiz)
    dens = p.np_pdf(via) if _continuous(p) else np.inf
    assert np.all(np.abs(direct - via) <= 1e-13 * np.abs(via) + 4 * EPS / dens + 10 * floor)
    for zi in (-6.0, 6.0):
        ref = p.transport(mp.mpf(zi))
        got = p.np_transport(np.array([zi]))[0]
        assert abs(got - ref) <= 1e-12 * abs(ref) + 1e-12 * (1 + abs(ref)) * (not _continuous(p)) + 10 * floor, (zi, got, ref)


@pytest.mark.parametrize("make", CASES)
def test_mp_ppf_isf_and_the_law_protocol(make):
    """The scipy-named mp quantiles: F(ppf(u)) = u and S(isf(u)) = u at 20 digits for a
    continuous law (u = 1e-30 included: no 1 - u is formed), the generalised inverse at
    atoms, agreement with the float64 ppf, and the protocol's atoms and precision floor."""
    p = make()
    floor = _float_floor(p)
    assert float(p.precision_floor) == floor
    assert [v for v, _ in p.atoms] == [mp.mpf(v) for v in p.values]
    for u in (mp.mpf("1e-30"), mp.mpf("0.0437"), mp.mpf("0.6")):   # off the atoms' cumulative sums
        x, y = p.ppf(u), p.isf(u)
        if _continuous(p) and not floor:
            # conditioning: x itself is rounded to 20 digits (near a support end -1 + 2e-30 is -1)
            tol = lambda v: mp.mpf("1e-15") * u + 10 * mp.eps * abs(v) * p.pdf(v)  # noqa: E731
            assert abs(p.cdf(x) - u) <= tol(x) and abs(p.sf(y) - u) <= tol(y), (u, x, y)
        else:
            assert p.cdf(x) >= u * (1 - mp.mpf("1e-12")) and p.sf(y) <= u * (1 + mp.mpf("1e-12"))
        if u > 1e-20:
            ref = float(p.np_ppf(np.array([float(u)]))[0])
            assert abs(float(x) - ref) <= 1e-11 * (1 + abs(ref)) + 10 * floor, (u, x, ref)
    with pytest.raises(PriorError, match="0 < u < 1"):
        p.ppf(1)


@pytest.mark.parametrize("make", CASES)
def test_sympy_density_is_the_normalised_pdf(make):
    """A law's sympy density (the piece `derive` uses) equals the pdf of the law rescaled to
    E w^2 = 1 and integrates to 1 on its support; laws without a closed form give None."""
    import sympy as sp

    p = make()
    w = sp.Symbol("w", real=True)
    expr = p.sympy_density(w)
    if expr is None:
        assert p.values or len(p.parts) != 1 or p.parts[0].sympy_pdf(sp.Symbol("x")) is None \
            or not (p.parts[0].lo in (0, -mp.inf) and p.parts[0].hi == mp.inf
                    or p.parts[0].lo == -mp.inf and p.parts[0].hi == 0)
        pytest.skip("no closed-form density")
    f = sp.lambdify(w, expr, modules="mpmath")
    unit = p.normalized()
    x, _ = _interior_points(unit)
    for xi in x:
        assert abs(f(mp.mpf(xi)) / unit.pdf(mp.mpf(xi)) - 1) < mp.mpf("1e-15"), xi
    cuts = [unit.ppf(u) for u in (mp.mpf("0.1"), mp.mpf("0.5"), mp.mpf("0.9"))]   # the median: laplace's kink
    lo, hi = unit.parts[0].lo, unit.parts[0].hi     # (-oo, 0] for a negated law
    near = [mp.mpf("1e-10"), mp.mpf("1e-5")]        # w^(k-1) singularities at 0 (gamma k < 1)
    pts = [lo] + (near if lo == 0 else []) + cuts + ([-x for x in near[::-1]] if hi == 0 else []) + [hi]
    assert abs(mp.quad(f, sorted(pts)) - 1) < mp.mpf("1e-15")
