"""The law of the weights after learning: closed forms (Gaussian stays Gaussian under
gradient descent, lognormal stays lognormal under exponentiated gradient), the numerical
push-forward against them, the sympy density against the numerics, and the `geometry:`
prior spec in the capacity (E3) and teacher-student solvers."""
import mpmath as mp
import numpy as np
import pytest
from scipy import integrate

import replica
from replica.geometry import potential
from replica.geometry.law import DualGaussianLaw, GeometryLaw, after_learning
from replica.geometry.symbolic import MU0, SIGMA0, derive_density
from replica.priors import PriorError
from replica.priors.families import LogNormal, Normal


def test_euclidean_from_gaussian_is_exactly_gaussian_with_added_variance():
    mp.mp.dps = 30
    law = after_learning("euclidean", replica.prior("gaussian:mean=0.2,std=0.8"), "0.3", "0.1").parts[0]
    ref = Normal(mp.mpf("0.3"), mp.sqrt(mp.mpf("0.64") + mp.mpf("0.09")))
    assert isinstance(law, DualGaussianLaw)
    for w in ("-2", "0.1", "0.7", "3"):
        w = mp.mpf(w)
        assert abs(law.cdf(w) - ref.cdf(w)) < mp.mpf(10) ** -28
        assert abs(law.pdf(w) - ref.pdf(w)) < mp.mpf(10) ** -28
    assert abs(law.moment(2) - ref.moment(2)) < mp.mpf(10) ** -25


def test_entropic_from_lognormal_is_exactly_lognormal_with_sigma2_added():
    mp.mp.dps = 30
    law = after_learning("entropic", replica.prior("lognormal:sigma=0.5,mu=0.1"), "0.3", "-0.2").parts[0]
    ref = LogNormal(mp.sqrt(mp.mpf("0.25") + mp.mpf("0.09")), mp.mpf("-0.1"))
    for w in ("0.05", "0.5", "1", "4"):
        w = mp.mpf(w)
        assert abs(law.cdf(w) - ref.cdf(w)) < mp.mpf(10) ** -28
        assert abs(law.sf(w) - ref.sf(w)) < mp.mpf(10) ** -28
    assert abs(law.moment(1) - ref.moment(1)) < mp.mpf(10) ** -25
    assert law.cdf(mp.mpf(0)) == 0 and law.cdf(mp.mpf(-1)) == 0  # the entropic domain is w > 0


@pytest.mark.parametrize("pot, init, closed", [
    ("euclidean", "gaussian:std=0.8", lambda: Normal(mp.mpf("0.1"), mp.sqrt(mp.mpf("0.73")))),
    ("entropic", "lognormal:sigma=0.5", lambda: LogNormal(mp.sqrt(mp.mpf("0.34")), mp.mpf("0.1"))),
])
def test_numerical_push_forward_matches_the_closed_forms(pot, init, closed):
    """The general float64 path (GeometryLaw: z-grid nodes, windowed sums, quantile tables)
    against the closed form: CDF and density to 1e-9, quantiles to 1e-8."""
    law = GeometryLaw(potential(pot), replica.prior(init), "0.1", "0.3")
    ref = closed()
    w = np.linspace(0.05, 4, 40) if pot == "entropic" else np.linspace(-3, 3, 41)
    cdf = np.array([float(ref.cdf(mp.mpf(x))) for x in w])
    pdf = np.array([float(ref.pdf(mp.mpf(x))) for x in w])
    assert np.max(np.abs(law.np_cdf(w) - cdf)) < 1e-9
    assert np.max(np.abs(law.np_pdf(w) - pdf)) < 1e-9
    u = np.linspace(1e-6, 1 - 1e-6, 501)
    assert np.max(np.abs(law.np_ppf(u) - ref.np_ppf(u))) < 1e-8
    assert abs(law.cdf(mp.mpf(1)) - ref.cdf(mp.mpf(1))) < 1e-9  # the mp interface, from the tables


@pytest.mark.parametrize("pot, init", [
    ("euclidean", "lognormal:sigma=0.7"), ("pnorm:p=3", "gaussian"), ("pnorm:p=1.5", "lognormal:sigma=0.5"),
    ("user:grad=sinh(w)", "gaussian"), ("entropic", "gamma:k=2"), ("euclidean", "discrete:values=-1|1,probs=0.3|0.7"),
])
def test_push_forward_density_integrates_to_one_and_quantiles_invert_the_cdf(pot, init):
    law = after_learning(pot, replica.prior(init), "0.4", "0.05").parts[0]
    assert law.precision_floor < 1e-6
    split = [0.0] if law.lo < 0 else []
    lo = -np.inf if law.lo < 0 else 0.0
    total = sum(integrate.quad(law.np_pdf, a, b, limit=400, epsabs=1e-12)[0]
                for a, b in zip([lo] + split, split + [np.inf]))
    assert abs(total - 1) < 1e-7
    u = np.linspace(0.001, 0.999, 999)
    # quantile table: cubic Hermite in the normal score (1e-10 for unimodal laws; 3e-8 in the
    # trough between the two smoothed atoms of the discrete case)
    assert np.max(np.abs(law.np_cdf(law.np_ppf(u)) - u)) < 1e-7
    mean = integrate.quad(lambda x: x * law.np_pdf(x), lo, np.inf, limit=400)[0]
    assert abs(float(law.moment(1)) - mean) < max(1e-9, float(law.precision_floor))


def test_heavy_tailed_duals_declare_their_float64_floor():
    """sinh potential from a Laplace law: phi'(w0) = sinh(w0) has exponential tails, the z-grid
    nodes are sparser than s there, and the halved-node estimate says so; CDF and quantiles
    stay consistent."""
    law = after_learning("user:grad=sinh(w)", replica.prior("laplace"), "0.4").parts[0]
    floor = float(law.precision_floor)
    assert floor > 1e-4
    u = np.linspace(0.001, 0.999, 999)
    assert np.max(np.abs(law.np_cdf(law.np_ppf(u)) - u)) < floor


@pytest.mark.parametrize("pot, init", [
    ("euclidean", "gaussian:mean=0.2,std=0.8"), ("entropic", "lognormal:sigma=0.5,mu=0.1"),
    ("pnorm:p=3", "dual"), ("pnorm:p=1.5", "dual"),
])
def test_symbolic_density_equals_the_numeric_one(pot, init):
    pt = potential(pot)
    init_prior = "dual" if init == "dual" else replica.prior(init)
    d = derive_density(pt, init_prior)
    assert d.closed
    if init == "dual":  # dual-Gaussian init phi'(w0) ~ N(0.2, 0.7^2): closed under learning
        d.values.update({MU0: 0.2, SIGMA0: 0.7})
        law = DualGaussianLaw(pt, 0.3, np.sqrt(0.49 + 0.09))
    else:
        law = after_learning(pt, init_prior, 0.3, 0.1).parts[0]
    f = d.numeric(0.1, 0.3)
    w = np.linspace(0.1, 3, 30) if pt.lo == 0 else np.concatenate([np.linspace(-3, -0.1, 15), np.linspace(0.1, 3, 15)])
    assert np.max(np.abs(f(w) - law.np_pdf(w))) < 1e-12


def test_symbolic_density_keeps_the_integral_where_no_closed_form_exists():
    d = derive_density("euclidean", replica.prior("lognormal:sigma=0.5"))
    assert not d.closed and "Integral" in d.text() and "log(u)" in d.text()
    d = derive_density("entropic", replica.prior("lognormal:sigma=0.5"), reaction=True)
    assert not d.closed and "c*u" in d.text()


def test_geometry_prior_spec_round_trip_and_errors():
    p = replica.prior("geometry:potential=entropic,init=lognormal(sigma=0.5),dual_std=0.3")
    assert p.spec == "geometry:potential=entropic,init=lognormal(sigma=0.5),dual_std=0.3"
    assert isinstance(p.parts[0], DualGaussianLaw)
    p = replica.prior("geometry:potential=pnorm(p=3),init=gaussian,dual_std=0.5,dual_mean=0.1,reaction=0.05")
    assert isinstance(p.parts[0], GeometryLaw)
    p = replica.prior("geometry:potential=user(grad=sinh(w)),init=dual(mean=0,std=1),dual_std=0.5")
    assert isinstance(p.parts[0], DualGaussianLaw) and abs(float(p.parts[0].sigma) - np.sqrt(1.25)) < 1e-15
    for spec, fragment in [
        ("geometry:potential=entropic,init=gaussian,dual_std=0.3", "outside the domain"),
        ("geometry:potential=entropic,init=rectified,dual_std=0.3", "outside the domain"),  # an atom at w = 0
        ("geometry:potential=entropic,init=lognormal", "geometry needs"),
        ("geometry:potential=euclidean,init=gaussian,dual_std=-1", "dual_std must be > 0"),
        ("geometry:potential=nosuch,init=gaussian,dual_std=1", "unknown potential"),
        ("geometry:potential=euclidean,init=gaussian,dual_std=1,sigma=2", "unknown parameter"),
        ("geometry:potential=euclidean,init=nosuch(a=1),dual_std=1", "unknown prior family"),
    ]:
        with pytest.raises(PriorError) as err:
            replica.prior(spec)
        assert fragment in str(err.value), spec


def test_capacity_of_exponentiated_gradient_from_lognormal_is_the_lognormal_capacity():
    """E3 with T(z) = exp(mu + sigma z): alpha_c(0) = 2 sigma^2 exp(-sigma^2) (E z T = sigma
    e^{sigma^2/2}, E T^2 = e^{2 sigma^2}, I(0) = 1/2), here with sigma^2 = 0.5^2 + 0.3^2."""
    r = replica.capacity("geometry:potential=entropic,init=lognormal(sigma=0.5),dual_std=0.3", 0, dps=30)
    with mp.workdps(40):
        s2 = mp.mpf("0.25") + mp.mpf("0.09")
        ref = replica.capacity(f"lognormal:sigma={mp.nstr(mp.sqrt(s2), 40)}", 0, dps=30).alpha_c
        assert abs(r.alpha_c - ref) < mp.mpf(10) ** -28
        assert abs(r.alpha_c - 2 * s2 * mp.exp(-s2)) < mp.mpf(10) ** -28
    assert r.error_estimate < mp.mpf(10) ** -28


def test_capacity_of_gradient_descent_from_gaussian_is_gardner():
    for spec in ("geometry:potential=euclidean,init=gaussian,dual_std=0.7",
                 "geometry:potential=euclidean,init=gaussian:mean=0,std=2,dual_std=0.7,reaction=0.1"):
        spec = spec.replace("gaussian:mean=0,std=2", "gaussian(mean=0,std=2)")
        r = replica.capacity(spec, 0, dps=20)
        assert abs(r.alpha_c - 2) < 1e-8  # the general float64 path for the reaction case
    assert replica.capacity("geometry:potential=euclidean,init=gaussian,dual_std=0.7", 0, dps=30).alpha_c == 2


def test_capacity_without_closed_form_reports_its_float64_floor():
    """Euclidean from lognormal(0.5), s = 0.3: E3 from the float64 tables against
    alpha_c = 2 (E zT)^2 / E T^2 with E zT = int psi(F(w)) dw and F(w) = E_z Phi((w - e^{z/2})/0.3)
    by nested mp.quad at 20 digits (110 s, so stored: E zT = 0.65245203192508441353) and
    E T^2 = e^{1/2} + 0.09 exactly.  The reported error must cover the difference."""
    r = replica.capacity("geometry:potential=euclidean,init=lognormal(sigma=0.5),dual_std=0.3", 0, dps=15)
    with mp.workdps(25):
        ref = 2 * mp.mpf("0.65245203192508441353") ** 2 / (mp.exp(mp.mpf(1) / 2) + mp.mpf("0.09"))
        assert abs(r.alpha_c - ref) <= r.error_estimate
    assert 1e-10 <= r.error_estimate < 1e-8


def test_teacher_student_accepts_a_geometry_prior():
    """A lognormal teacher after exponentiated-gradient learning is the lognormal with
    sigma^2 + s^2: the max-margin generalization curves coincide."""
    geo = "geometry:potential=entropic,init=lognormal(sigma=0.5),dual_std=0.3"
    ref = f"lognormal:sigma={np.sqrt(0.34):.17g}"
    a = replica.teacher_student(geo, "spherical", "max-margin", [1.0, 3.0])
    b = replica.teacher_student(ref, "spherical", "max-margin", [1.0, 3.0])
    assert all(abs(x.eps_g - y.eps_g) < 1e-10 for x, y in zip(a, b))
