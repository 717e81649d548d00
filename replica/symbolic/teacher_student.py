"""Symbolic teacher-student Gibbs learning, replica symmetric (THEORY.md E5, E6, E7).

    G_S = extr [ qhat q/2 - Rhat R - E_{P_S} lambda + E_{w0 ~ P_T} E_z log Z(z, w0) ]
    Z(z, w0) = int dw exp( lambda(w) - qhat w^2/2 + (sqrt(qhat) z + Rhat w0) w )
    G_E = 2 E_t H(-R t / sqrt(q - R^2)) log H(-sqrt(q) t / sqrt(1 - q))     (noise-free)
"""
from __future__ import annotations

import sympy as sp

from solvers.channels import Teacher
from solvers.constraints import Bayes, Distribution, Sign, Soft, Spherical
from solvers.entropic_pieces import group_measures, teacher_average, teacher_measure
from solvers.symbols import Q, Qh

from ..priors import PriorError, prior as parse_prior
from .capacity import EPS
from .core import Derivation, Equation, R, Rh, a, alpha, gauss, lam, phi, q, qh, w, w0, z


def energetic_ts(noise: bool = False):
    """E6, the teacher channel's own sympy piece (solvers.channels.Teacher.sympy_G_E); with
    Gaussian output noise sigma the teacher's field has variance 1 + sigma^2."""
    return Teacher(noise=1.0 if noise else 0.0).sympy_G_E()


def spherical_student():
    """Do the w-, z- and w0-integrals of E5 for lambda = -a w^2/2 (E w0^2 = 1), eliminate
    (a, qhat, Rhat): G_S = log(1-q)/2 + (q - R^2) / (2 (1-q))."""
    A = sp.Symbol("A", positive=True)  # a + qhat
    b = sp.Symbol("b", real=True)      # sqrt(qhat) z + Rhat w0
    log_z = sp.expand_log(sp.log(sp.simplify(sp.integrate(sp.exp(-A * w ** 2 / 2 + b * w), (w, -sp.oo, sp.oo)))),
                          force=True)
    # E b^2 = qhat + Rhat^2 (z ~ N(0,1), E w0^2 = 1, z and w0 independent); log Z is quadratic in b
    coeff = sp.Poly(sp.expand(log_z), b)
    e_log_z = coeff.coeff_monomial(1) + coeff.coeff_monomial(b ** 2) * (qh + Rh ** 2)
    g = (A - qh) / 2 + qh * q / 2 - Rh * R + e_log_z
    sol = sp.solve([sp.diff(g, A), sp.diff(g, qh), sp.diff(g, Rh)], [A, qh, Rh], dict=True)[0]
    val = g.subs(sol)
    diff = (val - val.subs({q: 0, R: 0})).subs(q, 1 - EPS)
    gs = sp.expand(sp.simplify(sp.expand_log(sp.simplify(diff), force=True))).subs(EPS, 1 - q)
    # the constraint's piece is what derive prints, in powers of 1 - q as the elimination gives it
    # any teacher: the spherical G_S sees it only through E w0^2 = 1
    piece = sp.expand(Spherical().sympy_G_S(teacher=True).subs(q, 1 - EPS)).subs(EPS, 1 - q)
    if sp.simplify(gs - piece) != 0:
        raise ArithmeticError(f"E5's spherical elimination ({gs}) disagrees with the constraint's G_S ({piece})")
    gs = piece
    eqs = [Equation("qhat", qh, sp.factor(sol[qh]), "d/dqhat = d/da = d/dRhat = 0 (E5, spherical)"),
           Equation("Rhat", Rh, sp.factor(sol[Rh]), "")]
    return gs, eqs


def constrained_student(ps, pt):
    """E5 for a distribution-constrained student: G_S is the Distribution constraint's piece
    (atoms as sums, densities over their support); the q and R equations by parts in z."""
    gs = Distribution(ps).sympy_G_S(pt)      # synapse groups included (one lambda_g per group)
    groups, tm = group_measures(ps, w, "P_S"), teacher_measure(pt)
    q_sum = r_sum = 0
    for k, (f, m) in enumerate(groups):
        fn = lam if len(groups) == 1 else sp.Function(f"lambda_{k + 1}")
        expo = fn(w) - qh * w ** 2 / 2 + (sp.sqrt(qh) * z + Rh * w0) * w
        mean = m.base_integral(w * sp.exp(expo)) / m.base_integral(sp.exp(expo))
        q_sum += f * teacher_average(gauss(mean ** 2, z), tm)
        r_sum += f * teacher_average(gauss(w0 * mean, z), tm)
    eqs = [Equation("q", q, q_sum, "d f / d qhat = 0, by parts in z (E5)"),
           Equation("R", R, r_sum, "d f / d Rhat = 0 (E5)")]
    return gs, eqs


def stationary_student(con, pt):
    """G_S of a Sign, Soft or Bayes student (the constraint's piece) and its stationarity in
    the conjugates and multipliers, 0 = d G_S / d x, as sympy derivatives (E5)."""
    gs = con.sympy_G_S(pt)
    names = {Sign: (a, qh, Rh), Soft: (Qh, qh, Rh), Bayes: (qh,)}[type(con)]
    eqs = [Equation(f"d/d{x.name}", sp.Integer(0), sp.diff(gs, x), "stationarity of G_S (E5)") for x in names]
    return gs, eqs


def derive_teacher_student(teacher: str, student: str, noise: bool = False) -> Derivation:
    pt = parse_prior(teacher)
    if pt.grouped:
        raise PriorError("group priors are not supported in the symbolic teacher-student derivation")
    terms, notes = {}, []
    soft = Soft.name + ":"
    kind = soft if student.startswith(soft) else student
    if kind in (Sign.name, Bayes.name, soft):   # built here: replica.symbolic stays below replica's registry
        con = {Sign.name: lambda: Sign(), Bayes.name: lambda: Bayes(pt),
               soft: lambda: Soft(parse_prior(student[len(soft):]))}[kind]()
        gs, eqs = stationary_student(con, pt)
        notes.append(f"{con.label}: G_S is the constraint's piece (solvers.entropic_pieces); "
                     "extremise over its conjugates." + (" On the Nishimori line qhat = Rhat, q = R."
                                                          if kind == Bayes.name else ""))
        eps = {Soft.name + ":": (sp.acos(R / sp.sqrt(Q)) / sp.pi, "a soft prior's norm Q (E7)"),
               Bayes.name: (sp.acos(sp.sqrt(q)) / sp.pi, "the posterior mean on the Nishimori line")}.get(kind)
        return _finish(teacher, student, noise, gs, eqs, notes, *(eps or ()))
    spherical = student == Spherical.name
    ps = parse_prior("gaussian" if spherical else student)
    if spherical or (student.split(":")[0] == "gaussian" and ps.parts and ps.parts[0].mean == 0):
        gs, eqs = spherical_student()
        notes.append("Spherical student (norm constraint only); the teacher enters through E w0^2 = 1.")
    else:
        gs, eqs = constrained_student(ps, pt)
        notes.append("Distribution-constrained student: extremise over lambda (marginal E2 as in capacity).")
    return _finish(teacher, student, noise, gs, eqs, notes)


def _finish(teacher, student, noise, gs, eqs, notes, eps_g=sp.acos(R) / sp.pi,
            eps_note="against the clean teacher, unit norms (E7)"):
    terms = {}
    terms["G_S"] = gs
    terms["G_E"] = energetic_ts(noise)
    terms["f"] = sp.Symbol("G_S") + alpha * sp.Symbol("G_E")
    eqs.append(Equation("eps_g", sp.Symbol("epsilon_g"), eps_g, "generalisation error " + eps_note))
    return Derivation(f"RS teacher-student (Gibbs), teacher {teacher}, student {student}"
                      + (", Gaussian output noise sigma" if noise else ""), f"{teacher} -> {student}",
                      terms, eqs, notes)


__all__ = ["derive_teacher_student", "energetic_ts", "spherical_student", "phi"]
