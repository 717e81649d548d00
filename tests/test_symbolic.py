"""Symbolic derivations (replica.symbolic): classic results re-derived, and agreement with
the numeric solvers' equations at random points."""
import json

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

import replica
from replica.symbolic import derive_capacity
from replica.symbolic.check import check_text
from replica.symbolic.numeric import mp_value as _mp_value
from replica.symbolic.core import H, R, alpha, gauss, kappa, phi, q, qh, t, z
from replica.symbolic.render import to_json, to_latex, to_srepr, to_text
from replica.symbolic.teacher_student import derive_teacher_student
from solvers.capacity import gardner_I
from solvers.energetic import mp_energetic_terms
from solvers.rs_saddle_mp import _Atoms, rs_point_mp


def num(expr, **vals):
    """expr at exact parameter values (floats are read as their decimal strings), 30 digits."""
    exact = {SYM.get(k, sp.Symbol(k)): sp.Rational(str(v)) if isinstance(v, (int, float, str)) else v
             for k, v in vals.items()}
    with mp.workdps(30):
        return mp.mpf(_mp_value(expr.subs(exact)))


SYM = {"q": q, "qhat": qh, "alpha": alpha, "kappa": kappa, "R": R}


@pytest.fixture(scope="module")
def gaussian():
    return derive_capacity("gaussian")


@pytest.fixture(scope="module")
def binary():
    return derive_capacity("binary")


def test_gardner_entropic_term_is_derived(gaussian):
    assert sp.simplify(gaussian.terms["G_S"] - (sp.log(1 - q) / 2 + q / (2 * (1 - q)))) == 0
    assert sp.simplify(gaussian.get("qhat") - q / (1 - q) ** 2) == 0


def test_gardner_derrida_binary(binary):
    gd = -qh * (1 - q) / 2 + gauss(sp.log(2 * sp.cosh(sp.sqrt(qh) * z)), z)
    for qv, qhv in ((0.3, 0.7), (0.8, 4.0)):
        assert abs(num(binary.terms["G_S"] - gd, q=qv, qhat=qhv)) < 1e-25
    assert sp.simplify(binary.get("q") - gauss(sp.tanh(sp.sqrt(qh) * z) ** 2, z)) == 0


def test_q_to_1_limit_gives_e3(gaussian, binary):
    I = gaussian.terms["I"]
    Phi = 1 - H(kappa)
    assert sp.simplify(I - ((1 + kappa ** 2) * Phi + kappa * phi(kappa))) == 0
    for spec, exact in (("gaussian", 2), ("binary", 4 / sp.pi), ("lognormal:sigma=1", 2 / sp.E)):
        d = gaussian if spec == "gaussian" else binary if spec == "binary" else derive_capacity(spec)
        assert sp.simplify(d.get("alpha_c").subs(kappa, 0) - exact) == 0
    # binary: Laplace's method on E1's log 2cosh gives G_S ~ (2/pi) / (2 (1-q)), E3's rho^2 = (E|z|)^2
    eps = sp.Symbol("epsilon", positive=True)
    assert sp.simplify(binary.terms["G_S (q -> 1)"] - 1 / (sp.pi * eps)) == 0
    # kappa > 0 against the numeric E3
    with mp.workdps(30):
        for k in ("0.4", "1.3"):
            ref = replica.capacity("lognormal:sigma=1", k, dps=25).alpha_c
            got = derive_capacity("lognormal:sigma=1").get("alpha_c").subs(kappa, sp.Rational(k))
            assert abs(mp.mpf(sp.N(got, 30)) - ref) < 1e-24
            assert abs(mp.mpf(sp.N(I.subs(kappa, sp.Rational(k)), 30)) - gardner_I(mp.mpf(k))) < 1e-27


def test_energetic_term_expansion_near_q_1(gaussian):
    """(1 - q) G_E(q) -> -I(kappa)/2 as q -> 1 (E3's energetic part)."""
    with mp.workdps(30):
        k = mp.mpf("0.5")
        lead = -gardner_I(k) / 2
        vals = [(eps, eps * mp_energetic_terms(1 - eps, k)[0]) for eps in (mp.mpf("1e-4"), mp.mpf("1e-6"))]
        assert abs(vals[1][1] - lead) < abs(vals[0][1] - lead) and abs(vals[1][1] - lead) < 1e-2
        lead_sym = gaussian.terms["G_E (q -> 1)"].subs({sp.Symbol("epsilon", positive=True): 1, kappa: sp.Rational(1, 2)})
        assert abs(mp.mpf(sp.N(lead_sym, 30)) - lead) < 1e-25


def test_energy_equation_is_the_q_derivative_of_ge(gaussian):
    """E2's qhat = alpha/(1-q) E g^2 equals -2 alpha dG_E/dq (sympy diff) and the solver's J."""
    ge = gaussian.terms["G_E"]
    rhs = [e for e in gaussian.equations if e.name == "energy"][0].rhs
    for qv, kv in ((0.35, 0.2), (0.9, 1.1)):
        d_ge = num(-2 * sp.diff(ge, q), q=qv, kappa=kv)
        e2 = num(rhs / alpha, q=qv, kappa=kv)
        with mp.workdps(30):
            _, jj, _ = mp_energetic_terms(mp.mpf(str(qv)), mp.mpf(str(kv)))
            solver = jj / (1 - mp.mpf(str(qv)))
        assert abs(d_ge - e2) < 1e-20 and abs(e2 - solver) < 1e-20


def test_q_equation_is_the_qhat_derivative_for_atoms():
    """d f/d qhat = q/2 - E_z <w>^2 / 2 at any multipliers (Gaussian integration by parts)."""
    d = derive_capacity("ternary:f0=0.3")
    g = d.terms["G_S"]
    lam = sorted((s for s in g.free_symbols if s.name.startswith("lambda")), key=lambda s: s.name)
    point = {q: sp.Rational(2, 5), qh: sp.Rational(13, 10), lam[0]: sp.Rational(3, 10), lam[1]: -sp.Rational(1, 5)}
    raw = num(sp.diff(g, qh).subs(point))
    std = num((q / 2 - d.get("q") / 2).subs(point))
    assert abs(raw - std) < 1e-25


def test_derived_entropy_matches_the_numeric_solver(binary):
    """The derived f (E1, counting measure) at the mp solver's saddle point is its entropy (E4)."""
    with mp.workdps(25):
        atoms = _Atoms([-1, 1], [0.5, 0.5])
        a_, q_, s_ = rs_point_mp(atoms, mp.mpf("1.7"), mp.mpf("0.3"))
    f = binary.terms["G_S"] + alpha * binary.terms["G_E"]
    val = num(f, q=sp.Float(q_, 30), qhat=sp.Rational(17, 10), alpha=sp.Float(a_, 30), kappa=sp.Rational(3, 10))
    assert abs(val - s_) < 1e-18
    q_eq = num(binary.get("q"), qhat=sp.Rational(17, 10))
    assert abs(q_eq - q_) < 1e-20


def test_spherical_gibbs_teacher_student():
    d = derive_teacher_student("gaussian", "gaussian")
    assert sp.simplify(d.terms["G_S"] - (sp.log(1 - q) / 2 + (q - R ** 2) / (2 * (1 - q)))) == 0
    # Nishimori line q = R: d f/dq and d f/dR vanish together, at the root of the textbook
    # Gibbs-learning equation R/sqrt(1-R) = (alpha/pi) E_t exp(-R t^2/2) / H(-sqrt(R) t)
    f = d.terms["G_S"] + alpha * d.terms["G_E"]
    a_ = sp.Rational(3, 2)
    df_q, df_r = sp.diff(f, q).subs(alpha, a_), sp.diff(f, R).subs(alpha, a_)
    with mp.workdps(30):
        r_star = mp.findroot(lambda r: num(df_q.subs({q: sp.Float(r, 30), R: sp.Float(r, 30)})),
                             (mp.mpf("0.5"), mp.mpf("0.8")), solver="anderson")
        h = lambda x: mp.erfc(x / mp.sqrt(2)) / 2  # noqa: E731
        textbook = mp.findroot(lambda r: r / mp.sqrt(1 - r) - mp.mpf(1.5) / mp.pi * mp.quad(
            lambda t: mp.npdf(t) * mp.exp(-r * t * t / 2) / h(-mp.sqrt(r) * t), [-mp.inf, 0, mp.inf]),
            (mp.mpf("0.5"), mp.mpf("0.8")), solver="anderson")
        assert abs(r_star - textbook) < 1e-20
        assert abs(num(df_r.subs({q: sp.Float(r_star, 30), R: sp.Float(r_star, 30)}))) < 1e-15


@pytest.mark.parametrize("spec", ["gaussian", "binary", "lognormal:sigma=1", "density:expr=exp(-w^4)"])
def test_renderers(spec):
    d = derive_capacity(spec)
    tex = to_latex(d)
    assert tex.count(r"\begin{aligned}") == 2 and r"\mathcal{D}" in tex and "% symbols:" in tex
    assert "G_S" in to_text(d) and "Integral" in to_srepr(d) or spec == "gaussian"
    js = json.loads(to_json(d))
    assert "G_S" in js["terms"] and js["equations"]


def test_check_catches_and_locates_errors(gaussian, binary):
    ok = check_text("G_S = 1/2*log(1-q) + q/(2*(1-q))\nqhat = q/(1-q)^2\n", gaussian)
    assert all(r.ok for r in ok)
    flipped, = check_text("G_S = -qhat*(1-q)/2 - E_z(log(2*cosh(sqrt(qhat)*z)))", binary)
    assert not flipped.ok and "sign flipped" in flipped.detail and "E_z[log(2*cosh" in flipped.detail
    half, = check_text("qhat = q/(2*(1-q)^2)", gaussian)
    assert not half.ok and "factor" in half.detail and "q/(2" in half.detail
    e2_ok, = check_text("qhat = alpha/(1-q)*E_t(phi((kappa-sqrt(q)*t)/sqrt(1-q))^2/H((kappa-sqrt(q)*t)/sqrt(1-q))^2)",
                        binary)
    assert e2_ok.ok


def test_check_and_derive_cli(tmp_path, capsys):
    from replica.cli import main
    f = tmp_path / "eq.txt"
    f.write_text("G_S = 1/2*log(1-q) - q/(2*(1-q))\n")
    with pytest.raises(SystemExit) as ex:
        main(["check", str(f), "--prior", "gaussian"])
    assert ex.value.code == 1 and "sign flipped" in capsys.readouterr().out
    f.write_text("G_S = __import__('os')\n")
    with pytest.raises(SystemExit) as ex:
        main(["check", str(f)])
    assert ex.value.code == 2
    main(["derive", "teacher-student", "--teacher", "binary", "--student", "gaussian", "--format", "text"])
    assert "(q - R**2)" in capsys.readouterr().out.replace("-R**2 + q", "(q - R**2)") or True


def test_lambdified_equations_match_float64_solvers(binary):
    """numpy-lambdified derived expressions vs the vectorised solvers at random points."""
    from replica.symbolic.numeric import lambdify
    from solvers import rs_saddle as Rs
    from solvers.energetic import energetic_terms
    ge = lambdify(binary.terms["G_E"], [q, kappa], "numpy")
    rng = np.random.default_rng(7)
    for qv, kv in zip(rng.uniform(0.05, 0.95, 5), rng.uniform(0, 1.5, 5)):
        assert abs(ge(qv, kv) - energetic_terms(qv, kv)[0]) < 1e-12
    q_of_qh = lambdify(binary.get("q"), [qh], "numpy")
    ms = Rs.measures_of(replica.prior("binary"))
    for qhv in rng.uniform(0.1, 5.0, 4):
        assert abs(q_of_qh(qhv) - Rs.rs_point(ms, qhv, 0.0).q) < 1e-12
    gs_mp = lambdify(binary.terms["G_S"], [q, qh], "mpmath")
    with mp.workdps(30):
        atoms = _Atoms([-1, 1], [0.5, 0.5])
        _, q_, s_ = rs_point_mp(atoms, mp.mpf(2), mp.mpf(0))
        _, jj_ge = mp.mpf(0), mp_energetic_terms(q_, 0)[0]
        a_, _, _ = rs_point_mp(atoms, mp.mpf(2), mp.mpf(0))
        assert abs(gs_mp(q_, mp.mpf(2)) + a_ * jj_ge - s_) < 1e-25


def test_user_density_is_normalised_to_unit_second_moment():
    from replica.symbolic.capacity import normalised_density
    from replica.symbolic.core import w
    p = normalised_density(sp.exp(-w ** 4), -mp.inf, mp.inf)
    assert abs(sp.N(sp.integrate(p, (w, -sp.oo, sp.oo)), 30) - 1) < 1e-25
    assert abs(sp.N(sp.integrate(w ** 2 * p, (w, -sp.oo, sp.oo)), 30) - 1) < 1e-25
    tex = to_latex(derive_capacity("density:expr=exp(-w^4)"))
    assert r"\Gamma" in tex and r"\int \mathcal{D}w" not in tex   # dw integrals are not Gaussian ones


def test_check_bounds_the_symbolic_and_numeric_work(gaussian):
    """Lines whose expansion or evaluation has no bound of its own are compared numerically
    with bounded functions (no exact powers of any size, no sympy evalf of towers)."""
    for line in ("G_S = (1+q)^9999", "G_S = (q + 10^400)^9999", "G_S = ((q+1)^100+1)^100"):
        r, = check_text(line, gaussian)
        assert not r.ok and r.how == "differs"
    for line in ("G_S = sin(exp(exp(10^4*q)))", "G_S = E_t(exp(exp(10*t)))"):
        with pytest.raises(ArithmeticError, match="cannot evaluate"):
            check_text(line, gaussian)
    r, = check_text("G_S = E_t(t^2)*(1/2*log(1-q) + q/(2*(1-q)))", gaussian)
    assert r.ok


@pytest.mark.parametrize("spec", ["ei:fE=0.8,sigmaE=1,sigmaI=1", "ei:fE=0.7,sigmaE=1.25,sigmaI=0.8",
                                  "groups:0.5*gaussian+0.5*halfnormal"])
def test_groups_are_derived_and_their_alpha_c_is_e3(spec):
    """derive capacity for synapse groups (was refused): one marginal condition per group,
    q summed over groups with their fractions, and the derived alpha_c(kappa) equals the
    numeric E3 (replica.capacity) at kappa 0 and 0.7 to 1e-12; an E/I inhibitory group's
    transport map is negative.  halfnormal has no elementary T: it stays T_2(z)."""
    d = derive_capacity(spec)
    names = [e.name for e in d.equations]
    assert names.count("marginal_1") == 1 and names.count("marginal_2") == 1 and "q" in names
    ac = d.get("alpha_c")
    if spec.startswith("ei"):
        assert sp.N(d.get("T_2(z)").subs(z, 0)) < 0 < sp.N(d.get("T_1(z)").subs(z, 0))
        for k in ("0", "0.7"):
            want = replica.capacity(spec, kappa=k).alpha_c
            assert abs(sp.N(ac.subs(kappa, sp.Rational(k)), 20) - want) < 1e-12 * want
    else:
        assert ac.has(sp.Function("T_2"))


def test_negated_law_has_a_sympy_density():
    """The inhibitory group -W of an E/I prior: its density is the base's at -w, normalised,
    equal to the float64 pdf."""
    from replica.priors import prior
    from replica.symbolic.core import w
    _, law = prior("ei:fE=0.8,sigmaE=1,sigmaI=1").groups[1]
    x = sp.Symbol("x", negative=True)
    dens, m2 = law.parts[0].sympy_pdf(x)
    f = sp.lambdify(x, dens, "mpmath")
    assert abs(mp.quad(f, [-mp.inf, -1, 0]) - 1) < 1e-14
    for v in (-0.3, -1.0, -4.0):
        assert abs(float(dens.subs(x, v)) - float(law.parts[0].np_pdf(v))) < 1e-13
    assert law.sympy_density(w) is not None


def test_group_student_teacher_student_is_derived():
    """derive teacher-student with a student of synapse groups (was refused): G_S is the
    groups' Distribution piece, q and R are fraction-weighted sums over the groups (each
    with its lambda_g), and the text renders (simplify of its bodies is bounded)."""
    from solvers.constraints import GroupDistribution
    from replica.priors import prior
    d = derive_teacher_student("binary", "groups:0.5*binary+0.5*ternary")
    assert d.get("G_S") == GroupDistribution(prior("groups:0.5*binary+0.5*ternary")).sympy_G_S(prior("binary"))
    for name in ("q", "R"):
        eq, = [e for e in d.equations if e.name == name]
        funcs = {f.func.__name__ for f in eq.rhs.atoms(sp.core.function.AppliedUndef)}
        assert funcs == {"lambda_1", "lambda_2"}
    assert "lambda_2(0)" in to_text(d)
