"""User-facing teacher-student API (THEORY.md section 3): `replica.teacher_student(...)`.

Students: "spherical" (norm only), "sign" (w >= 0, norm fixed), "bayes" (the teacher's prior
as a soft prior: Bayes-optimal posterior mean), "soft:SPEC" (a soft prior), or any prior spec
(the student's weights are constrained to that distribution).  Rules: "max-margin" (E8; every
student but bayes and soft) and "gibbs" (E5-E6; every student but bayes, whose rule is the
posterior mean).  `check_combination` names the rule of each student kind or why a pair is
not defined.  Output noise (Gaussian, label flips) and a Gibbs temperature are options.
"""
from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np

from solvers import teacher_student as ts
from solvers.rs_saddle import measures_of

from .priors import PriorError, prior as parse_prior

STUDENT_KINDS = ("spherical", "sign", "bayes")


@dataclasses.dataclass(frozen=True)
class TSPoint:
    alpha: float
    R: float
    q: float
    eps_g: float                 # arccos(R)/pi against the clean teacher (E7)
    kappa: float | None          # max-margin: the margin (negative = not separable)
    free_entropy: float | None   # Gibbs: f at the saddle point
    branch: str
    eps_error: float             # |eps_g - eps_g with refined quadrature| (0 where exact)

    def to_dict(self):
        return dataclasses.asdict(self)


def _student(spec, teacher, w0, p0, refine=False):
    if spec == "spherical":
        return ts.SphericalStudent(w0, p0)
    if spec == "sign":
        st = ts.SignStudent(w0, p0)
        return st.refined() if refine else st
    ps = parse_prior(spec).normalized()
    if getattr(ps, "groups", None):
        raise PriorError("group priors are not supported as students yet")
    st = ts.TransportStudent(w0, p0, ps.np_ppf, teacher)
    return st.refined() if refine else st


def _max_margin_curves(pt, student):
    """The student's Legendre curve (E8) on the standard and the refined rules; the same
    teacher and student share it across calls (phase-diagram cells, --compare, a README
    session), since it costs seconds and does not depend on alpha or the channel."""
    key = None if pt.empirical else (pt.spec, student)   # file: priors may change on disk: never cached
    if key in _CURVES:
        return _CURVES[key]
    m = measures_of(pt, 96)[0]
    st = _student(student, pt, m.w, m.p)
    fine = None
    if not isinstance(st, ts.SphericalStudent):  # closed form there; quadrature elsewhere
        mf = measures_of(pt, 160)[0]
        ref = _student(student, pt, mf.w, mf.p, refine=True)
        fine = (ref, ts.legendre_curve(ref))
    out = (st, ts.legendre_curve(st), fine)
    if key is not None:
        if len(_CURVES) >= 16:
            _CURVES.pop(next(iter(_CURVES)))
        _CURVES[key] = out
    return out


_CURVES = {}


def _bayes_optimal(pt, alphas):
    """Student with the teacher's prior as a soft prior (Bayes-optimal): all Nishimori-line
    branches; for a discrete prior also the perfect state q = 1 (f = -H(P) relative to the
    prior).  The posterior-mean student has eps_g = arccos(sqrt(q))/pi (THEORY.md sec. 3)."""
    m = measures_of(pt, 48)[0]
    perfect_f = -float(pt.shannon_entropy()) if pt.is_discrete else -math.inf
    out = []
    for a in alphas:
        branches = [(q, f) for q, _, f, stable in ts.bayes_branches(a, m.w, m.p) if stable]
        if pt.is_discrete:
            branches.append((1.0, perfect_f))
        q, f = max(branches, key=lambda b: b[1])
        label = "Bayes-optimal (posterior mean), Nishimori q = R"
        if len(branches) > 1:
            label += f"; {len(branches) - 1} other stable branch(es), lower free entropy"
        out.append(TSPoint(a, float(q), float(q), float(np.arccos(np.sqrt(q)) / np.pi), None, float(f), label, 0.0))
    return out


def _gibbs_constrained(pt, student, alphas, channel):
    """Gibbs learning with the student's weights constrained to P_S (E5-E6), continued along
    alpha from the previous solution."""
    ps = parse_prior(student)
    if getattr(ps, "groups", None):
        raise PriorError("group priors are not supported as students yet")
    m_t = measures_of(pt, 64)[0]
    m_s = measures_of(ps, 64)[0]
    out, start = [], (0.05, 0.05)
    for a in sorted(alphas):
        q, R, qh, rh, f = ts.gibbs_constrained(a, m_s, m_t.w, m_t.p, start=start, **channel)
        start = (q, R)
        out.append(TSPoint(a, float(R), float(q), float(np.arccos(R) / np.pi), None, float(f),
                           "gibbs (distribution-constrained student)", 0.0))
    order = {a: i for i, a in enumerate(alphas)}
    return sorted(out, key=lambda p: order[p.alpha])


def _gibbs_soft(pt, spec, alphas, channel):
    """Gibbs learning with the soft prior P_S = spec on the student's weights; its norm Q is
    free and eps_g = arccos(R / sqrt(Q)) / pi (E7)."""
    ps = parse_prior(spec)
    if getattr(ps, "groups", None):
        raise PriorError("group priors are not supported as students yet")
    ms, mt = measures_of(ps, 64)[0], measures_of(pt, 64)[0]
    out, start = [], (1.0, 0.3, 0.3)
    for a in alphas:
        Q, q, R, f = ts.gibbs_soft_prior(a, ms.w, ms.p, mt.w, mt.p, start=start, **channel)
        start = (Q, q, R)
        out.append(TSPoint(a, float(R), float(q), float(np.arccos(R / np.sqrt(Q)) / np.pi), None, float(f),
                           f"gibbs (soft prior {spec}, student norm Q = {Q:.6f})", 0.0))
    return out


def student_kind(student: str) -> str:
    """'spherical', 'sign', 'bayes', 'soft' (soft:SPEC) or 'distribution' (a prior spec)."""
    if not isinstance(student, str) or not student.strip():
        raise PriorError("a student is spherical, sign, bayes, soft:SPEC or a prior spec")
    if student in STUDENT_KINDS:
        return student
    return "soft" if student.startswith("soft:") else "distribution"


def check_combination(student, rule=None, noise=0.0, flip=0.0, temperature=0.0) -> str:
    """The rule a student is computed with ('max-margin', 'gibbs' or 'bayes-optimal'), or a
    PriorError saying why the combination is not defined.  rule=None: the student's default."""
    if rule not in (None, "max-margin", "gibbs", "bayes-optimal"):
        raise PriorError(f"unknown rule '{rule}' (use max-margin or gibbs)")
    kind = student_kind(student)
    if kind == "bayes":
        if rule == "max-margin":
            raise PriorError("the Bayes-optimal student is the posterior mean, not max-margin learning "
                             "(omit --rule; for max-margin give the teacher's spec as the student)")
        if noise or flip or temperature:
            raise PriorError("the Bayes-optimal student is implemented for noise-free labels at zero temperature")
        return "bayes-optimal"
    if rule == "bayes-optimal":
        raise PriorError("rule 'bayes-optimal' is the student 'bayes'")
    if kind == "soft":
        if rule == "max-margin":
            raise PriorError("a soft-prior student is defined for Gibbs learning (use --rule gibbs)")
        rule = "gibbs"
    rule = rule or "max-margin"
    if temperature and rule != "gibbs":
        raise PriorError("a temperature applies to Gibbs learning only (add --rule gibbs)")
    return rule


def _is_ising(spec):
    p = parse_prior(spec) if student_kind(spec) == "distribution" else None
    return p is not None and p.is_discrete and len(p.values) == 2 and p.values[0] == -p.values[1] \
        and p.probs[0] == p.probs[1]


def transitions(teacher, student, rule="gibbs"):
    """Phase transitions along alpha: for Ising teacher and student under Gibbs learning the
    first-order transition (free entropies equal) and the spinodal of the poor branch."""
    if (rule in ("gibbs", "bayes-optimal") and _is_ising(teacher)
            and (student == "bayes" or (rule == "gibbs" and _is_ising(student)))):
        first, spin = ts.ising_transitions()
        return [{"type": "first-order (poor -> perfect generalization)", "alpha": first},
                {"type": "spinodal (poor branch ends)", "alpha": spin}]
    return []


def teacher_student(teacher, student="spherical", rule=None, alphas=(1.0,), noise=0.0, flip=0.0,
                    temperature=0.0):
    """R, q, eps_g (and margin or free entropy) along alpha for one teacher/student pair.
    `noise`: Gaussian output noise sigma; `flip`: label-flip probability; `temperature`:
    Gibbs learning at 1/beta (E6 note; 0 = version space).  eps_g is always against the
    clean teacher (E7)."""
    if not (math.isfinite(temperature) and temperature >= 0):
        raise PriorError(f"temperature must be >= 0, got {temperature}")
    rule = check_combination(student, rule, noise, flip, temperature)
    channel = {"beta": 1.0 / temperature if temperature else math.inf, "noise": noise, "flip": flip}
    plain = not (noise or flip or temperature)
    if not (math.isfinite(noise) and noise >= 0):
        raise PriorError(f"noise sigma must be >= 0, got {noise}")
    if not (0 <= flip < 0.5):
        raise PriorError(f"flip probability must be in [0, 0.5), got {flip}")
    alphas = [float(a) for a in alphas]
    if any(not math.isfinite(a) or a <= 0 for a in alphas):
        raise PriorError("alpha values must be finite and > 0")
    pt = parse_prior(teacher).normalized()
    if getattr(pt, "groups", None):
        raise PriorError("group priors are not supported as teachers yet")
    out = []
    if student.startswith("soft:"):
        return _gibbs_soft(pt, student[5:], alphas, channel)
    if student == "bayes":
        return _bayes_optimal(pt, alphas)
    if rule == "gibbs" and plain and _is_ising(teacher) and _is_ising(student):
        for a in alphas:
            poor = ts.ising_poor_branch(a)
            perfect = TSPoint(a, 1.0, 1.0, 0.0, None, 0.0, "perfect generalization (q = R = 1)", 0.0)
            if poor is None or poor[2] < 0:
                out.append(perfect if poor is None else dataclasses.replace(
                    perfect, branch="perfect generalization (q = R = 1); poor branch metastable"))
            else:
                q, qh, f = (float(x) for x in poor)
                out.append(TSPoint(a, q, q, float(np.arccos(q) / np.pi), None, f,
                                   "poor generalization (Nishimori q = R); perfect state metastable", 0.0))
        return out
    if rule == "gibbs" and student not in STUDENT_KINDS:
        return _gibbs_constrained(pt, student, alphas, channel)
    if rule == "gibbs" and student == "sign":
        m_t = measures_of(pt, 64)[0]
        # the alpha -> 0 point: the half-normal student, q = (E|z|)^2 = 2/pi, R = sqrt(2/pi) E w0
        # (a start at R > q could send qhat negative for a teacher with E w0 = 0)
        q0 = 2 / np.pi
        start = (q0, min(np.sqrt(q0) * float(m_t.p @ m_t.w), 0.99 * np.sqrt(q0)))
        for a in sorted(alphas):
            try:
                q, R, qh, rh, f = ts.gibbs_sign(a, m_t.w, m_t.p, start=start, **channel)
            except ts.VersionSpaceEmpty:
                out.append(TSPoint(a, math.nan, 1.0, math.nan, None, None,
                                   "version space empty (q -> 1): the labels are not separable with w >= 0", math.nan))
                continue
            except ArithmeticError as exc:      # critical slowing down just before the end
                warnings.warn(str(exc), RuntimeWarning, stacklevel=2)
                out.append(TSPoint(a, math.nan, math.nan, math.nan, None, None, f"not converged: {exc}", math.nan))
                continue
            start = (q, R)
            out.append(TSPoint(a, float(R), float(q), float(np.arccos(R) / np.pi), None, float(f),
                               "gibbs (sign-constrained student, norm fixed)", 0.0))
        return out
    if rule == "gibbs":
        start = (0.3, 0.3)
        for a in alphas:
            if plain:
                q, R, f = ts.gibbs_spherical(a)
                label = "gibbs (Nishimori line q = R)"
            else:
                q, R, f = ts.gibbs_spherical_general(a, start=start, **channel)
                start, label = (q, R), "gibbs (spherical student, noisy channel / temperature)"
            out.append(TSPoint(a, float(R), float(q), float(np.arccos(R) / np.pi), None, float(f), label, 0.0))
        return out
    st, curve, fine = _max_margin_curves(pt, student)
    for a in alphas:
        r = ts.max_margin(st, a, curve, noise, flip)
        err = abs(ts.max_margin(fine[0], a, fine[1], noise, flip).eps_g - r.eps_g) if fine else 0.0
        branch = "max-margin" if r.separable else "max-margin (not separable: kappa < 0; RS not exact there)"
        out.append(TSPoint(a, r.R, 1.0, r.eps_g, r.kappa, None, branch, err))
    return out


OPTIMIZABLE = {"lognormal": ("sigma", (0.02, 3.0)), "gamma": ("k", (0.2, 20.0)),
               "ternary": ("f0", (0.0, 0.95)), "rectified": ("f0", (0.0, 0.95))}


def optimize_student(teacher, family, alphas, rule="max-margin", xatol=2e-3):
    """The best student prior within a one-parameter family, re-optimised at each alpha
    (max-margin, E8): returns [(alpha, parameter, TSPoint)]."""
    if rule != "max-margin":
        raise PriorError("the optimal student prior is computed for max-margin learning")
    if family not in OPTIMIZABLE:
        raise PriorError(f"cannot optimise family '{family}' (choose from {', '.join(OPTIMIZABLE)})")
    name, (lo, hi) = OPTIMIZABLE[family]
    pt = parse_prior(teacher).normalized()
    m = measures_of(pt, 96)[0]
    out = []
    from scipy import optimize as opt

    for a in [float(x) for x in alphas]:
        cache = {}

        def eps(x):
            st = _student(f"{family}:{name}={x:.10g}", pt, m.w, m.p)
            cache[x] = ts.max_margin(st, a, ts.legendre_curve(st, 120))
            return cache[x].eps_g

        res = opt.minimize_scalar(eps, bounds=(lo, hi), method="bounded", options={"xatol": xatol})
        r = cache[res.x]
        out.append((a, float(res.x), TSPoint(a, r.R, 1.0, r.eps_g, r.kappa, None,
                                            f"max-margin, optimal {family} {name}={res.x:.4g}", 0.0)))
    return out


def compare_students(teacher, alphas, noise=0.0, flip=0.0):
    """The paper's comparison (max-margin): spherical, sign-constrained, teacher-matched and,
    when the teacher's family is optimisable, the optimal prior of that family at each alpha.
    Returns {label: [TSPoint]} (the optimal entries carry the parameter in `branch`)."""
    out = {"spherical": teacher_student(teacher, "spherical", "max-margin", alphas, noise, flip),
           "sign-constrained": teacher_student(teacher, "sign", "max-margin", alphas, noise, flip),
           "teacher-matched": teacher_student(teacher, teacher, "max-margin", alphas, noise, flip)}
    family = teacher.split(":")[0]
    if family in OPTIMIZABLE and not (noise or flip):
        out[f"optimal {family}"] = [p for _, _, p in optimize_student(teacher, family, alphas)]
    return out
