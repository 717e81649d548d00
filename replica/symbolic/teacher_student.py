"""Symbolic teacher-student Gibbs learning, replica symmetric (THEORY.md E5, E6, E7).

    G_S = extr [ qhat q/2 - Rhat R - E_{P_S} lambda + E_{w0 ~ P_T} E_z log Z(z, w0) ]
    Z(z, w0) = int dw exp( lambda(w) - qhat w^2/2 + (sqrt(qhat) z + Rhat w0) w )
    G_E = 2 E_t H(-R t / sqrt(q - R^2)) log H(-sqrt(q) t / sqrt(1 - q))     (noise-free)
"""
from __future__ import annotations

import sympy as sp

from solvers.channels import Teacher
from solvers.constraints import Bayes, Sign, Soft, Spherical

from ..priors import PriorError, prior as parse_prior
from .capacity import EPS, _atoms
from .core import Derivation, Equation, R, Rh, alpha, gauss, lam, phi, q, qh, w, w0, z


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
    eqs = [Equation("qhat", qh, sp.factor(sol[qh]), "d/dqhat = d/da = d/dRhat = 0 (E5, spherical)"),
           Equation("Rhat", Rh, sp.factor(sol[Rh]), "")]
    return gs, eqs


def constrained_student(ps, pt):
    """E5 for a distribution-constrained student; integrals kept (atoms as sums)."""
    expo = lam(w) - qh * w ** 2 / 2 + (sp.sqrt(qh) * z + Rh * w0) * w
    if ps.is_discrete:
        vals, probs = _atoms(ps)
        zsum = sp.Add(*[sp.exp(expo.subs(w, v)) for v in vals])
        e_lam = sp.Add(*[p_ * lam(v) for v, p_ in zip(vals, probs)])
        mean = sp.Add(*[v * sp.exp(expo.subs(w, v)) for v in vals]) / zsum
    else:
        zsum = sp.Integral(sp.exp(expo), (w, -sp.oo, sp.oo))
        e_lam = sp.Integral(sp.Function("P_S")(w) * lam(w), (w, -sp.oo, sp.oo))
        mean = sp.Integral(w * sp.exp(expo), (w, -sp.oo, sp.oo)) / zsum
    if pt.is_discrete:
        tv, tp = _atoms(pt)
        avg_t = lambda f: sp.Add(*[p_ * f.subs(w0, v) for v, p_ in zip(tv, tp)])  # noqa: E731
    else:
        avg_t = lambda f: sp.Integral(sp.Function("P_T")(w0) * f, (w0, -sp.oo, sp.oo))  # noqa: E731
    g = qh * q / 2 - Rh * R - e_lam + avg_t(gauss(sp.log(zsum), z))
    eqs = [Equation("q", q, avg_t(gauss(mean ** 2, z)), "d f / d qhat = 0, by parts in z (E5)"),
           Equation("R", R, avg_t(gauss(w0 * mean, z)), "d f / d Rhat = 0 (E5)")]
    return g, eqs


def derive_teacher_student(teacher: str, student: str, noise: bool = False) -> Derivation:
    if student in (Sign.name, Bayes.name) or student.startswith(Soft.name + ":"):
        raise PriorError(f"the symbolic teacher-student derivation covers the {Spherical.name} student and "
                         f"distribution-constrained students (a prior spec), not '{student}'")
    spherical = student == Spherical.name
    pt, ps = parse_prior(teacher), parse_prior("gaussian" if spherical else student)
    for p_ in (pt, ps):
        if p_.grouped:
            raise PriorError("group priors are not supported in the symbolic teacher-student derivation")
    terms, notes = {}, []
    if spherical or (student.split(":")[0] == "gaussian" and ps.parts and ps.parts[0].mean == 0):
        gs, eqs = spherical_student()
        notes.append("Spherical student (norm constraint only); the teacher enters through E w0^2 = 1.")
    else:
        gs, eqs = constrained_student(ps, pt)
        notes.append("Distribution-constrained student: extremise over lambda (marginal E2 as in capacity).")
    terms["G_S"] = gs
    terms["G_E"] = energetic_ts(noise)
    terms["f"] = sp.Symbol("G_S") + alpha * sp.Symbol("G_E")
    eqs.append(Equation("eps_g", sp.Symbol("epsilon_g"), sp.acos(R) / sp.pi,
                        "generalisation error against the clean teacher, unit norms (E7)"))
    return Derivation(f"RS teacher-student (Gibbs), teacher {teacher}, student {student}"
                      + (", Gaussian output noise sigma" if noise else ""), f"{teacher} -> {student}",
                      terms, eqs, notes)


__all__ = ["derive_teacher_student", "energetic_ts", "spherical_student", "phi"]
