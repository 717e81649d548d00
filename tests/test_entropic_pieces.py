"""The constraints' sympy G_S (solvers.entropic_pieces; THEORY.md E1, E5) against their
float64 `entropic` / `nishimori_entropic` at real fixed points of the Gibbs driver.

Each piece is evaluated by replica.symbolic.numeric.mp_value (integrals by mp.quad) at the
solver's (x, conj, aux); the float64 side uses 80 Gauss-Hermite z nodes, so the two agree
to ~1e-12; asserted to 1e-9.  Stationarity (E5): G_S = qhat q/2 - Rhat R + (multiplier and
log-partition terms) is extremal in every conjugate at the fixed point, i.e.
d(E log Z)/d qhat = -q/2, d(E log Z)/d Rhat = R, d/d a = 0 (norm), d/d lambda_j = 0
(marginal): checked by central differences (h = 1e-4, error O(h^2) ~ 1e-8 plus the
fixed point's own 1e-10 tolerance; asserted below 1e-6).
"""
import mpmath as mp
import numpy as np
import pytest
import sympy as sp

from replica.priors import prior
from replica.symbolic.numeric import mp_value
from solvers import constraints as C
from solvers import symbols as S
from solvers.channels import Margin, Teacher
from solvers.fixed_point import gibbs_point

TOL, FD_H, FD_TOL = 1e-9, 1e-4, 1e-6
NO_TEACHER = C.TeacherNodes([0.0], [1.0])    # capacity (E1): w0 = 0, Rhat = 0


def value(expr, subs):
    with mp.workdps(20):
        return float(mp_value(expr.xreplace({k: sp.Float(v, 20) for k, v in subs.items()})))


def fixed_point(con, teacher_nodes, channel, alpha, start):
    pt = gibbs_point(con, channel, alpha, teacher_nodes, start=start)
    x, aux = con.update(pt.conj, teacher_nodes)      # the aux of this exact conj
    return x, pt.conj, aux, con.entropic(x, pt.conj, aux, teacher_nodes)


def stationary(expr, subs, names):
    for s_ in names:
        up, dn = dict(subs), dict(subs)
        up[s_] += FD_H
        dn[s_] -= FD_H
        d = (value(expr, up) - value(expr, dn)) / (2 * FD_H)
        assert abs(d) < FD_TOL, (s_, d)


@pytest.mark.parametrize("teacher", [None, "binary"])
def test_sign_piece_is_its_entropic(teacher):
    """Sign (E5 on w >= 0): the piece with A = a + qhat from the norm condition equals
    `entropic` and is stationary in a, qhat (and Rhat)."""
    con = C.Sign()
    nodes = NO_TEACHER if teacher is None else C.TeacherNodes.of(prior(teacher))
    ch, start = (Margin(0.0), (0.64, 0.0)) if teacher is None else (Teacher(), None)
    (q, R), (qh, rh), (A, _), want = fixed_point(con, nodes, ch, 0.5, start)
    gs = con.sympy_G_S(None if teacher is None else prior(teacher))
    subs = {S.q: q, S.qh: qh, S.a: A - qh}
    if teacher is not None:
        subs.update({S.R: R, S.Rh: rh})
    assert value(gs, subs) == pytest.approx(want, abs=TOL)
    stationary(gs, subs, [S.a, S.qh] + ([S.Rh] if teacher else []))


def _counting_lambdas(con, aux):
    """lambda in the counting measure at each atom: the solver's lambda (relative to P) plus log p."""
    lam, _ = aux
    return {float(v): float(l_ + np.log(p)) for v, p, l_ in zip(con.measure.w, con.measure.p, lam)}


@pytest.mark.parametrize("spec", ["binary", "ternary"])
def test_distribution_piece_on_atoms_capacity(spec):
    """Capacity (E1, E4) on atoms: the piece in the counting measure, multipliers lambda_j at
    the solver's Lagrange function, equals `entropic` (which adds H(P) back)."""
    con = C.Distribution(prior(spec))
    (q, _), (qh, _), aux, want = fixed_point(con, NO_TEACHER, Margin(0.0), 0.6, (0.2, 0.0))
    gs = con.sympy_G_S()
    lam = _counting_lambdas(con, aux)
    subs = {S.q: q, S.qh: qh}
    mult = sorted((s_ for s_ in gs.free_symbols if s_.name.startswith("lambda")), key=lambda s_: s_.name)
    if spec == "ternary":      # lambda_1 at +-sqrt(2) (shared), lambda_2 at 0
        assert [m.name for m in mult] == ["lambda_1", "lambda_2"]
        subs.update({mult[0]: lam[max(lam)], mult[1]: lam[min(lam, key=abs)]})
    else:
        assert mult == []       # one shared multiplier cancels (Gardner-Derrida's form)
    assert value(gs, subs) == pytest.approx(want, abs=TOL)
    stationary(gs, subs, [S.qh] + mult)


def test_distribution_piece_with_a_teacher():
    """E5, ternary student, binary teacher: lambda(v) at the three atoms, the teacher's
    atoms as a sum; equals `entropic`, stationary in qhat, Rhat and each lambda(v)."""
    con = C.Distribution(prior("ternary"))
    nodes = C.TeacherNodes.of(prior("binary"))
    (q, R), (qh, rh), aux, want = fixed_point(con, nodes, Teacher(), 1.0, None)
    gs = con.sympy_G_S(prior("binary"))
    lam = _counting_lambdas(con, aux)
    r2 = sp.sqrt(2)
    subs = {S.q: q, S.qh: qh, S.R: R, S.Rh: rh}
    subs.update({S.lam(-r2): lam[min(lam)], S.lam(sp.Integer(0)): lam[min(lam, key=abs)], S.lam(r2): lam[max(lam)]})
    assert value(gs, subs) == pytest.approx(want, abs=TOL)
    stationary(gs, subs, [S.qh, S.Rh, S.lam(r2), S.lam(sp.Integer(0))])


def test_gaussian_distribution_piece_is_gardner():
    """A Gaussian law in E1, lambda(w) = -a w^2/2 (Lebesgue measure, so the piece is E1 of
    THEORY.md exactly): the w-integral done by sympy, at Gardner's saddle point
    A = a + qhat = 1/(1-q), qhat = q/(1-q)^2, gives Spherical's G_S plus the entropy of
    N(0,1), (1/2) log(2 pi e) (`entropic` is relative to P)."""
    gs = C.Distribution(prior("gaussian")).sympy_G_S()
    aa = sp.Symbol("aa", positive=True)
    gs = gs.replace(S.lam, lambda x: -aa * x ** 2 / 2)
    gs = gs.replace(lambda e: isinstance(e, sp.Integral) and e.limits[0][0] == S.w, lambda e: e.doit(conds="none"))
    q = 0.6
    qh, A = q / (1 - q) ** 2, 1 / (1 - q)
    got = value(gs.subs(aa, A - qh), {S.q: q, S.qh: qh})
    want = C.Spherical().entropic((q, 0.0), None, None, None) + 0.5 * np.log(2 * np.pi * np.e)
    assert got == pytest.approx(want, abs=TOL)


@pytest.mark.parametrize("student", ["binary", "ternary"])
def test_soft_piece_is_its_entropic(student):
    """A soft prior (E1 soft form, E5) with its norm Q and conjugate Qhat: equals `entropic`,
    stationary in Qhat, qhat and Rhat."""
    con = C.Soft(prior(student))
    nodes = C.TeacherNodes.of(prior("binary"))
    (Q, q, R), (Qh, qh, rh), _, want = fixed_point(con, nodes, Teacher(noise=0.3), 1.0, None)
    gs = con.sympy_G_S(prior("binary"))
    subs = {S.Q: Q, S.Qh: Qh, S.q: q, S.qh: qh, S.R: R, S.Rh: rh}
    assert value(gs, subs) == pytest.approx(want, abs=TOL)
    stationary(gs, subs, [S.Qh, S.qh, S.Rh])


@pytest.mark.parametrize("spec", ["binary", "binary:p=0.7", "ternary"])
def test_bayes_piece_is_nishimori_entropic(spec):
    """The Nishimori line (qhat = Rhat, q = R): the piece equals `nishimori_entropic` at
    q = nishimori_map(qhat) and is stationary in qhat there."""
    con = C.Bayes(prior(spec))
    gs = con.sympy_G_S()
    for qh in (0.5, 2.0):
        q = con.nishimori_map(qh)
        subs = {S.q: q, S.qh: qh}
        assert value(gs, subs) == pytest.approx(con.nishimori_entropic(q, qh), abs=TOL)
        stationary(gs, subs, [S.qh])


@pytest.mark.parametrize("make", [lambda: C.Distribution(prior("binary")), lambda: C.Distribution(prior("ternary")),
                                  lambda: C.Distribution(prior("binary:p=0.7")), lambda: C.Spherical()])
def test_nishimori_piece_is_nishimori_entropic(make):
    """Each constraint with a Nishimori line has its piece there: a discrete Distribution
    student learning its own teacher (the Bayes piece plus the counting entropy), spherical
    (its E5 piece at R = q)."""
    con = make()
    gs = con.sympy_nishimori_G_S()
    if isinstance(con, C.Spherical):
        assert sp.simplify(con.sympy_G_S(prior("gaussian")).subs(S.R, S.q) - gs) == 0
    for qh in (0.5, 2.0):
        q = con.nishimori_map(qh)
        assert value(gs, {S.q: q, S.qh: qh}) == pytest.approx(con.nishimori_entropic(q, qh), abs=TOL)


def test_spherical_piece_without_a_teacher_is_gardner():
    """teacher None is E1: R = 0 in Spherical's piece, Gardner's G_S."""
    gs = C.Spherical().sympy_G_S()
    assert sp.simplify(gs - (sp.log(1 - S.q) / 2 + S.q / (2 * (1 - S.q)))) == 0


def test_rectified_keeps_its_atom_and_groups_are_fractions():
    """rectified: the atom at 0 (mass 1/2) is a term lambda(0) beside the density on (0, oo);
    E/I groups: fraction-weighted pieces with one Lagrange function per group, the fractions
    of the spec (0.8, 0.2), the overlap term once."""
    gs = C.Distribution(prior("rectified")).sympy_G_S()
    assert gs.coeff(S.lam(sp.Integer(0))) == -sp.Rational(1, 2)
    assert gs.has(sp.exp(S.lam(sp.Integer(0))))
    g = C.Distribution(prior("ei:fE=0.8,sigmaE=1,sigmaI=1")).sympy_G_S()
    l1, l2 = sp.Function("lambda_1"), sp.Function("lambda_2")
    assert g.has(l1(S.w)) and g.has(l2(S.w)) and not g.has(S.lam(S.w))
    assert g.coeff(S.q * S.qh) == sp.Rational(1, 2)
    # the excitatory group lives on (0, oo), the inhibitory one on (-oo, 0)
    limits = {i.limits[0][1:] for i in g.atoms(sp.Integral) if i.limits[0][0] == S.w}
    assert limits == {(0, sp.oo), (-sp.oo, 0)}


def test_derive_takes_g_s_from_the_constraints():
    """derive's G_S is the constraint's piece: capacity on atoms (its integrals split), the
    teacher-student Sign, Soft and Bayes students (derivable now), the distribution student."""
    import replica
    from replica.symbolic.core import gauss_linear

    d = replica.derive(prior="binary")
    assert d.get("G_S") == sp.expand(gauss_linear(sp.expand(gauss_linear(C.Distribution(prior("binary")).sympy_G_S()))))
    for student, con in (("sign", C.Sign()), ("bayes", C.Bayes(prior("binary"))),
                         ("soft:binary", C.Soft(prior("binary"))), ("ternary", C.Distribution(prior("ternary")))):
        d = replica.derive(teacher="binary", student=student)
        assert d.get("G_S") == con.sympy_G_S(prior("binary")), student


def test_group_student_piece_with_a_teacher():
    """E5 for a student of synapse groups (binary and ternary halves, one common rescaling),
    binary teacher: the groups' pieces with one lambda_g per group, evaluated at each group's
    Lagrange function, equal the composed `entropic` and are stationary in qhat and Rhat."""
    from sympy.core.function import AppliedUndef

    con = C.GroupDistribution(prior("groups:0.5*binary+0.5*ternary"))
    nodes = C.TeacherNodes.of(prior("binary"))
    (q, R), (qh, rh), aux, want = fixed_point(con, nodes, Teacher(), 1.0, None)
    gs = con.sympy_G_S(prior("binary"))
    subs = {S.q: q, S.qh: qh, S.R: R, S.Rh: rh}
    apps = [f for f in gs.atoms(AppliedUndef) if f.func.__name__.startswith("lambda_")]
    assert {f.func.__name__ for f in apps} == {"lambda_1", "lambda_2"} and len(apps) == 5
    for f in apps:
        (_, d), (_, (lam, _)) = con.parts[int(f.func.__name__[-1]) - 1], aux[int(f.func.__name__[-1]) - 1]
        j = int(np.argmin(abs(d.measure.w - float(f.args[0]))))
        assert abs(d.measure.w[j] - float(f.args[0])) < 1e-12
        subs[f] = float(lam[j] + np.log(d.measure.p[j]))
    assert value(gs, subs) == pytest.approx(want, abs=TOL)
    stationary(gs, subs, [S.qh, S.Rh])
