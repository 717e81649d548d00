"""curve() for continuous priors runs on the continuous-measure engine (solvers/continuum.py,
no atom surrogate): the Gaussian prior must equal Gardner's q(alpha) to 1e-12 up to
alpha = 1.9999, with a q_error (two different rules plus both marginal residuals) that is
not smaller than the actual error.  Reference q from the spherical closed form
alpha(q) = q s / (-int Dt t phi(s t) / H(-s t)), s = sqrt(q / (1 - q)), kappa = 0 (THEORY.md
E1-E2 with lambda quadratic; Gardner 1988), solved in mpmath at dps 30 by
`_gardner_q_mp` below (the literals are its output)."""
import math

import mpmath as mp
import pytest

import replica
from replica.capacity import curve

REFERENCE_Q = {0.5: "0.30739317537974906337", 1.9: "0.97087491745562718427", 1.99: "0.99738039589110937408",
               1.995: "0.99870821886536960686", 1.9999: "0.99997488475510446581"}


def _gardner_alpha_mp(q):
    s = mp.sqrt(q / (1 - q))
    H = lambda x: mp.erfc(x / mp.sqrt(2)) / 2
    integral = mp.quad(lambda t: mp.npdf(t) * t * mp.npdf(s * t) / H(-s * t), [-mp.inf, -10, -1, 0, 1 / s, mp.inf])
    return q * s / (-integral)


def _gardner_q_mp(alpha, q0):
    with mp.workdps(30):
        x = mp.findroot(lambda x: _gardner_alpha_mp(1 - mp.exp(x)) - alpha, mp.log(1 - mp.mpf(q0)),
                        tol=mp.mpf(10) ** -26)
        return 1 - mp.exp(x)


def test_reference_is_gardner():
    # the stored reference is what the mp closed form gives (started 1e-6 away) at the binary
    # float alpha that curve() receives (1.99 in decimal moves q by 2.4e-18)
    with mp.workdps(30):
        q = _gardner_q_mp(mp.mpf(1.99), float(REFERENCE_Q[1.99]) - 1e-6)
        assert abs(q - mp.mpf(REFERENCE_Q[1.99])) < mp.mpf(10) ** -20


@pytest.mark.parametrize("alphas", [[0.5, 1.9], [1.99, 1.995], [1.9999]])
def test_gaussian_curve_is_gardner_to_1e12(alphas):
    """1.99 and 1.995 were 'beyond alpha_rs' on the node engine; 1.9999 (qh ~ 1.6e9) ~18 s."""
    for pt in curve(replica.prior("gaussian"), 0.0, alphas):
        assert pt.status == "ok", pt.status
        err = abs(pt.q - float(REFERENCE_Q[pt.alpha]))
        assert err < 1e-12, (pt.alpha, err)
        assert err <= pt.q_error < 1e-12, (pt.alpha, err, pt.q_error)


def test_laplace_kink_is_a_panel_edge():
    # Laplace's density has a kink at 0: GL panels straddling it left q off by 6.4e-7 at
    # 0.9 alpha_c (the q_error said so); with an edge on it the two rules agree to 1e-13
    pt, = curve(replica.prior("laplace"), 0.0, [0.9 * 1.9260724131181224])
    assert pt.status == "ok"
    assert abs(pt.q - 0.9391266755740922) < 1e-11 and pt.q_error < 1e-11


def test_unresolved_and_beyond_are_said_not_guessed():
    beyond, = curve(replica.prior("gaussian"), 0.0, [2.5])
    assert beyond.status.startswith("beyond alpha_rs = 2 ") and beyond.q == 1.0
    # a prior with an atom stays on the node engine, whose discretised alpha_rs lies below E3's
    near, = curve(replica.prior("rectified"), 0.0, [float(replica.capacity("rectified").alpha_c) * (1 - 1e-7)])
    assert near.status.startswith("not resolved") and math.isnan(near.q)


def test_long_curves_report_progress_and_huge_ones_are_refused(capsys):
    from replica.cli import main
    seen = []
    curve(replica.prior("binary"), 0.0, [0.2, 0.4, 0.6], progress=lambda k, n: seen.append((k, n)))
    assert seen == [(0, 3), (1, 3), (2, 3)]
    with pytest.raises(SystemExit) as ex:
        main(["curve", "--prior", "gaussian", "--alpha", "0:1.5:3000"])
    assert ex.value.code == 2 and "at most 2000 values" in capsys.readouterr().err


def test_a_point_that_does_not_converge_says_so(monkeypatch):
    from solvers import continuum
    from solvers.rs_saddle import ConvergenceError

    def fail(*args, **kw):
        raise ConvergenceError("continuous E2: Lagrange function did not converge at qh=1 (test)")
    monkeypatch.setattr(continuum, "rs_point", fail)
    pt, = curve(replica.prior("uniform"), 0.0, [0.5])
    assert pt.status.startswith("not converged: continuous E2") and math.isnan(pt.q)


def test_at_eigenvalue_on_the_continuum_engine_is_gardners():
    """The replicon (E4's AT eigenvalue, alpha K(q) E_z Var(w|z)^2 / (1-q)^2) is reported on
    the continuous engine (was None).  For a Gaussian law Var(w|z) = 1 - q, so it is
    alpha E_t[(g (g - u))^2], g = phi(u)/H(u), u = -sqrt(q) t / sqrt(1-q), at Gardner's q:
    by mp.quad to 1e-10; RS stable (< 1) below capacity."""
    pts = curve(replica.prior("gaussian"), 0.0, [0.5, 1.9])
    for pt in pts:
        with mp.workdps(30):
            q = mp.mpf(REFERENCE_Q[pt.alpha])
            s = mp.sqrt(1 - q)

            def f(t):
                u = -mp.sqrt(q) * t / s
                g = mp.npdf(u) / (mp.erfc(u / mp.sqrt(2)) / 2)
                return mp.npdf(t) * (g * (g - u)) ** 2
            want = mp.mpf(pt.alpha) * mp.quad(f, [-mp.inf, -1, 0, 1, mp.inf])
        assert abs(pt.at_eigenvalue - float(want)) < 1e-10 * float(want), (pt.alpha, pt.at_eigenvalue, want)
        assert pt.rs_stable is True
