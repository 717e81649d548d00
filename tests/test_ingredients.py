"""Identities of the ingredients, tramp-style: every registered constraint (student kind) and
channel is checked by finite differences, so a new one is tested with no edit here.

Conventions (THEORY.md E5-E6): f = G_S(x) + alpha G_E(x), x the order parameters
(q, R) or (Q, q, R), conjugates qhat = -2 alpha dG_E/dq, Rhat = alpha dG_E/dR,
Qhat = -2 alpha dG_E/dQ.  So at a fixed point dG_S/dq = qhat/2, dG_S/dR = -Rhat,
dG_S/dQ = Qhat/2, and G_S written as a Legendre form is stationary in the conjugates.
"""
import numpy as np
import pytest

from replica.priors import prior
from replica.teacher_student import PREFIXED, STUDENTS, constraint
from solvers import constraints as C
from solvers.channels import CHANNELS, EXAMPLES, Erasure, Margin, Teacher

TEACHER = "binary"
# a spec per registry key where the key alone is not a student spec (prefixes, distributions)
SAMPLE_SPECS = {"soft:": ["soft:laplace", "soft:gaussian"], "distribution": ["gaussian", "lognormal:sigma=0.5", "ternary"]}
SPECS = [s for key in list(STUDENTS) + list(PREFIXED) for s in SAMPLE_SPECS.get(key, [key])]
H = 1e-5


def _conj(con):
    return (0.4, 0.9, 0.7) if con.params == ("Q", "q", "R") else (0.9, 0.7)


def _dual(con, conj):
    """dG_S/dx at the fixed point, from the conjugates."""
    return [c / 2 if name in ("q", "Q") else -c for name, c in zip(con.params, conj)]


def _fd(f, x, i, h=H):
    up, dn = list(x), list(x)
    up[i] += h
    dn[i] -= h
    return (f(up) - f(dn)) / (2 * h)


def _solver_constraints():
    pt = prior(TEACHER)
    out = []
    for spec in SPECS:
        con = constraint(spec, pt)
        if type(con).update is not C.Constraint.update:
            out.append(pytest.param(con, id=spec))
    return out


def _nishimori_constraints():
    out = []
    for spec in SPECS:
        for teacher in (TEACHER, "gaussian"):
            con = constraint(spec, prior(teacher))
            if type(con).nishimori_map is not C.Constraint.nishimori_map:
                out.append(pytest.param(con, id=f"{spec}|{teacher}"))
    return out


@pytest.fixture(scope="module")
def teacher():
    return C.TeacherNodes.of(prior(TEACHER))


def test_every_registered_student_is_covered():
    """The parametrisation below reaches every registry entry (a new kind cannot slip by)."""
    kinds = {type(constraint(s, prior(TEACHER))) for s in SPECS}
    assert {C.Spherical, C.Sign, C.Bayes, C.Soft, C.Distribution} <= kinds
    assert len(SPECS) >= len(STUDENTS) + len(PREFIXED)


@pytest.mark.parametrize("con", _solver_constraints())
def test_entropic_is_stationary_in_the_conjugates(con, teacher):
    """update(conj) returns the derivatives of the log-partition: with x = update(conj0),
    conj -> G_S(x, conj) has zero gradient at conj0 (E5)."""
    c0 = _conj(con)
    x0, _ = con.update(c0, teacher)

    def g(c):
        _, aux = con.update(tuple(c), teacher)
        return con.entropic(x0, tuple(c), aux, teacher)

    for i in range(len(c0)):
        assert abs(_fd(g, c0, i)) < 2e-6, (con.params[i], _fd(g, c0, i))


@pytest.mark.parametrize("con", _solver_constraints())
def test_entropic_gradient_is_the_dual_conjugate(con, teacher):
    """dG_S/dq = qhat/2, dG_S/dR = -Rhat (dG_S/dQ = Qhat/2) at x = update(conj)."""
    c0 = _conj(con)
    x0, aux = con.update(c0, teacher)
    for i, want in enumerate(_dual(con, c0)):
        got = _fd(lambda x: con.entropic(tuple(x), c0, aux, teacher), x0, i, h=1e-6)
        assert got == pytest.approx(want, rel=1e-6, abs=1e-8), con.params[i]


@pytest.mark.parametrize("con", _solver_constraints())
def test_conjugates_are_minus_the_energetic_gradient(con):
    """conjugates(x) make f = G_S + alpha G_E stationary: alpha dG_E(overlaps(x))/dx =
    -dG_S/dx = -dual(conj) (the chain rule of a soft prior's norm Q included)."""
    ch, alpha = Teacher(noise=0.3), 1.7
    x0 = (1.2, 0.5, 0.4) if con.params == ("Q", "q", "R") else (0.5, 0.4)
    conj, _ = con.conjugates(x0, alpha, ch)
    for i, d in enumerate(_dual(con, conj)):
        got = _fd(lambda x: alpha * ch.G_E(*con.overlaps(tuple(x))), x0, i, h=1e-5)
        assert got == pytest.approx(-d, rel=1e-5, abs=1e-8), con.params[i]


@pytest.mark.parametrize("con", _nishimori_constraints())
def test_nishimori_entropic_is_stationary(con):
    """On the Nishimori line (qhat = Rhat, q = R) G_S(q, qhat) is stationary in qhat at
    q = nishimori_map(qhat), and q stays in (0, 1)."""
    for qh in (0.3, 2.0):
        q = con.nishimori_map(qh)
        assert 0 < q < 1
        d = _fd(lambda c: con.nishimori_entropic(q, c[0]), [qh], 0, h=1e-5)
        assert abs(d) < 1e-7, (qh, d)


def test_posterior_mean_overlaps_on_the_nishimori_line():
    """E <w> w0 = E <w>^2 when the channel is the prior's own (Nishimori), for a skewed law."""
    m = prior("binary:p=0.7").nodes()
    R, q = C.posterior_mean_overlaps(0.8, *m)
    assert R == pytest.approx(q, abs=1e-12) and 0.4 < q < 0.9


# ---------------------------------------------------------------- channels
def _channels():
    """One instance per registered channel and example parameter set (the registry's)."""
    return [pytest.param(cls(**kw), id=f"{name}{kw}") for name, (cls, _) in CHANNELS.items()
            for kw in EXAMPLES[name]]


@pytest.mark.parametrize("ch", _channels())
def test_channel_q_to_1_limit(ch):
    """-2 (1 - q) G_E(q, R) -> q_to_1(R) as q -> 1 (E3's I(kappa), E8's E(R, 0)): the
    correction is O(sqrt(1 - q)); at 1 - q = 1e-6 it is below 1e-3 relative."""
    for R in (0.3, 0.8):
        want = ch.q_to_1(R)
        errs = [abs(-2 * d * ch.G_E(1 - d, R) - want) / want for d in (1e-4, 1e-6)]
        assert errs[1] < 1e-3 and errs[1] < errs[0], (R, errs)


@pytest.mark.parametrize("ch", [p for p in _channels() if p.values[0].plain])
def test_nishimori_identities_of_plain_channels(ch):
    """A noise-free channel on R = q: G_E(q, q) is nishimori_G_E(q), and the Nishimori conjugate
    equals both -2 alpha dG_E/dq and alpha dG_E/dR (qhat = Rhat, E6)."""
    alpha = 1.3
    for q in (0.2, 0.6, 0.9):
        g, dq, dr = ch.gradient(q, q, h=1e-6)
        assert g == pytest.approx(ch.nishimori_G_E(q), abs=1e-12)
        qh = ch.nishimori_qhat(q, alpha)
        assert -2 * alpha * dq == pytest.approx(qh, rel=1e-6)
        assert alpha * dr == pytest.approx(qh, rel=1e-6)


def test_gaussian_noise_rescales_the_overlap():
    """Output noise sigma acts as R -> R / sqrt(1 + sigma^2) in the teacher's H (E6 note)."""
    assert Teacher(noise=0.75).G_E(0.6, 0.5) == pytest.approx(Teacher().G_E(0.6, 0.5 / 1.25), abs=1e-13)


def test_margin_channel_at_zero_load_end():
    """G_E(q -> 0) = log H(kappa) (an uncorrelated student): checks the margin sign."""
    for k in (0.0, 0.7):
        from solvers.gaussian import H as Hf
        assert Margin(k).G_E(1e-10) == pytest.approx(float(np.log(Hf(k))), abs=1e-6)


# ---------------------------------------------------------------- the q -> 1 driver (E3)
@pytest.mark.parametrize("student, spec", [("spherical", "gaussian"), ("sign", "rectified"),
                                           ("lognormal:sigma=1", "lognormal:sigma=1"), ("ternary", None)])
@pytest.mark.parametrize("kappa", [0, 0.5])
def test_capacity_limit_driver_matches_capacity(student, spec, kappa):
    """One driver, rho^2 / I(kappa) from the constraint and the channel, gives the capacity
    API's alpha_rs: spherical = Gardner, sign = the rectified law's (E3)."""
    import replica
    from solvers.fixed_point import capacity_limit

    a, err = capacity_limit(constraint(student), Margin(kappa), dps=25)
    r = replica.capacity(spec or student, kappa, dps=25, entropy=False)
    assert abs(a - r.alpha_rs) <= err + r.error_estimate and err < 1e-20


def test_capacity_limit_of_synapse_groups():
    """E/I groups (E3 summed over groups): the Distribution constraint of a group prior
    gives the capacity API's alpha_rs; the closed form 1.28/e at sigma = 1, fE = 0.8."""
    import mpmath as mp

    import replica
    from solvers.fixed_point import capacity_limit

    with mp.workdps(40):
        p = prior("ei:fE=0.8,sigmaE=1,sigmaI=1")
    a, err = capacity_limit(C.Distribution(p), Margin(0), dps=25)
    with mp.workdps(30):
        assert abs(a - mp.mpf("1.28") / mp.e) <= err and err < 1e-20


@pytest.mark.parametrize("rule", ["gibbs", "max-margin"])
def test_erasure_is_a_smaller_load(rule):
    """A channel added as one class: erasing labels with probability e is learning at
    alpha (1 - e) (E6, E8), through replica.teacher_student(channel=...)."""
    import replica

    a = replica.teacher_student("binary", "spherical", rule, [2.0, 3.0], channel=Erasure(0.5, flip=0.1))
    b = replica.teacher_student("binary", "spherical", rule, [1.0, 1.5], flip=0.1)
    assert [p.eps_g for p in a] == pytest.approx([p.eps_g for p in b], abs=1e-9)


def test_erasure_on_the_nishimori_line():
    """Plain erasures keep the Nishimori line: Ising Gibbs learning at alpha = 2, 3 with half
    the labels lost is the same as alpha = 1, 1.5 (poor branch, then perfect generalization)."""
    import replica

    a = replica.teacher_student("binary", "binary", "gibbs", [2.0, 3.0], channel=Erasure(0.5))
    b = replica.teacher_student("binary", "binary", "gibbs", [1.0, 1.5])
    assert [(p.eps_g, p.branch) for p in a] == [(p.eps_g, p.branch) for p in b]
    assert a[1].eps_g == 0.0 and a[0].eps_g > 0.3


def test_a_student_kind_is_one_registry_line():
    """'lasso' (one register_student line) is Gibbs learning with a soft Laplace prior: the
    same fixed point as soft:laplace, refused for max-margin in one line, and in the
    identity suite above with no edit."""
    import replica

    assert "lasso" in STUDENTS and "lasso" in SPECS
    a = replica.teacher_student("gaussian", "lasso", None, [1.0, 2.0])
    b = replica.teacher_student("gaussian", "soft:laplace", "gibbs", [1.0, 2.0])
    assert [p.eps_g for p in a] == [p.eps_g for p in b] and 0.2 < a[1].eps_g < a[0].eps_g < 0.35
    with pytest.raises(replica.PriorError, match="defined for Gibbs learning"):
        replica.teacher_student("gaussian", "lasso", "max-margin", [1.0])


@pytest.mark.parametrize("spec, student", [("gaussian", "spherical"), ("binary", "binary"), ("ternary", "ternary")])
@pytest.mark.parametrize("kappa, alpha", [(0.0, 0.3), (0.0, 0.6), (0.5, 0.3)])
def test_the_gibbs_driver_with_a_margin_channel_is_the_capacity_saddle_point(spec, student, kappa, alpha):
    """One driver for E1-E2 and E5-E6: the Gardner volume is the Gibbs fixed point of the
    margin channel with no teacher (w0 = 0, so Rhat = 0).  It gives curve()'s q; the free
    entropy of a discrete law is in the counting measure there (+ H(P), E4)."""
    import replica
    from solvers.fixed_point import gibbs_point

    con = constraint(student)
    pt = gibbs_point(con, Margin(kappa), alpha, C.TeacherNodes([0.0], [1.0]), start=(0.2, 0.0))
    ref = replica.curve(spec, kappa, [alpha])[0]
    shannon = float(prior(spec).shannon_entropy()) if student != "spherical" else 0.0
    assert pt.x[0] == pytest.approx(ref.q, abs=1e-9)
    assert pt.free_entropy == pytest.approx(ref.free_entropy + shannon, abs=1e-8)


# ---------------------------------------------------------------- sympy pieces
@pytest.mark.parametrize("ch", _channels())
def test_channel_sympy_piece_is_its_G_E(ch):
    """Each channel's sympy G_E, evaluated by replica.symbolic's lambdify (mp.quad), equals the
    float64 G_E the drivers use: the derived and the evaluated equation are the same."""
    from replica.symbolic.numeric import lambdify
    from solvers import symbols as S

    f = lambdify(ch.sympy_G_E(), [S.q, S.R, S.kappa, S.sigma])
    for q, R in ((0.5, 0.4), (0.8, 0.7)):
        got = float(f(q, R, getattr(ch, "kappa", 0.0), getattr(ch, "noise", 0.0)))
        assert got == pytest.approx(float(ch.G_E(q, R)), rel=1e-11, abs=1e-12), (q, R)


def test_the_derivation_asks_the_ingredients():
    """derive's G_E is the channel's piece; its spherical G_S, derived by sympy from E5's
    integrals, is the Spherical constraint's piece, and that is what `entropic` evaluates."""
    import sympy as sp

    import replica
    from solvers import symbols as S

    assert replica.derive(prior="gaussian").get("G_E") == Margin().sympy_G_E()
    d = replica.derive(teacher="binary", student="spherical")
    assert d.get("G_E") == Teacher().sympy_G_E()
    gs = C.Spherical().sympy_G_S(teacher=prior("binary"))   # teacher None would be E1 (R = 0)
    assert sp.simplify(d.get("G_S") - gs) == 0
    x = (0.6, 0.5)
    assert float(gs.subs({S.q: x[0], S.R: x[1]})) == pytest.approx(C.Spherical().entropic(x, None, None, None),
                                                                    abs=1e-14)
