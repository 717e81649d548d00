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


from solvers import constraints as C, fixed_point as fp, teacher_student as ts
from solvers.channels import Teacher
from solvers.rs_saddle import ConvergenceError, measures_of

from .capacity import check_alphas
from .common.decimals import to_float
from .common.errors import UserError
from .priors import PriorError, as_prior
from .results import Result


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

    def result(self, inputs: dict | None = None) -> Result:
        """The `Result`; `inputs`: the problem (teacher, student, rule, noise, ...)."""
        d = self.to_dict()
        err, branch = d.pop("eps_error"), d.pop("branch")
        return Result("teacher-student", dict(inputs or {}, alpha=d.pop("alpha")), d, {"eps_g": err},
                      branch, None, bool(math.isfinite(self.R)))


# ---------------------------------------------------------------- the student registry
@dataclasses.dataclass(frozen=True)
class StudentKind:
    """How a student spec becomes a Constraint (solvers.constraints), the rules it is
    defined for (the constraint class's `rules`, default first), and why a rule or a
    channel is refused for it (one line each, shown to the user)."""

    build: object                 # (spec, teacher prior) -> Constraint
    rules: tuple
    help: str
    refuse: tuple = ()            # ((rule, message), ...)
    plain_only: str | None = None  # message when noise, flips or a temperature are given


STUDENTS: dict = {}
PREFIXED: dict = {}     # "soft:" -> kind, for specs that carry a prior after the prefix
DISTRIBUTION = "distribution"


def register_student(name, cls, help, build=None, refuse=(), plain_only=None, prefix=False):
    """One line per student kind: `name` as typed (`prefix`: a head like 'soft:' followed by
    a prior spec); `build(spec, teacher prior)` makes the constraint (default: cls())."""
    kind = StudentKind(build or (lambda spec, pt: cls()), cls.rules, help, tuple(refuse), plain_only)
    (PREFIXED if prefix else STUDENTS)[name] = kind
    return name


def _student_prior(spec):
    p = as_prior(spec)
    if p.grouped:
        raise PriorError("a soft prior made of synapse groups is not supported (groups are a hard "
                         "constraint: give the group spec itself as the student)")
    return p


def _distribution(spec):
    p = as_prior(spec)
    return C.GroupDistribution(p) if p.grouped else C.Distribution(p)


DEFAULT_STUDENT = register_student("spherical", C.Spherical, "norm only (E w^2 = 1)")
register_student("sign", C.Sign, "w >= 0, norm fixed")
register_student(
    "bayes", C.Bayes, "the teacher's prior as a soft prior: the posterior mean", build=lambda spec, pt: C.Bayes(pt),
    refuse=(("max-margin", "the Bayes-optimal student is the posterior mean, not max-margin learning "
                           "(omit --rule; for max-margin give the teacher's spec as the student)"),),
    plain_only="the Bayes-optimal student is implemented for noise-free labels at zero temperature")
register_student("soft:", C.Soft, "a soft prior SPEC on the weights", build=lambda spec, pt: C.Soft(_student_prior(spec[5:])),
                 refuse=(("max-margin", "a soft-prior student is defined for Gibbs learning (use --rule gibbs)"),),
                 prefix=True)
register_student("lasso", C.Soft, "a soft Laplace prior on the weights (L1; Gibbs learning is the Bayesian lasso)",
                 build=lambda spec, pt: C.Soft(_student_prior("laplace")),
                 refuse=(("max-margin", "a soft-prior student is defined for Gibbs learning (use --rule gibbs)"),))
register_student(DISTRIBUTION, C.Distribution, "weights constrained to the distribution SPEC",
                 build=lambda spec, pt: _distribution(spec))


def student_kind(student: str) -> str:
    """The registry key of a student spec: a registered name, a prefix, or 'distribution'."""
    if student is not None and not isinstance(student, str):
        return DISTRIBUTION          # a law object (scipy, sympy, samples): weights constrained to it
    if not isinstance(student, str) or not student.strip():
        raise PriorError("a student is spherical, sign, bayes, soft:SPEC or a prior spec")
    if student in STUDENTS:
        return student
    return next((head for head in PREFIXED if student.startswith(head)), DISTRIBUTION)


def _kind(student):
    key = student_kind(student)
    return STUDENTS.get(key) or PREFIXED[key]


def constraint(student, teacher_prior=None):
    """The weight-side ingredient (solvers.constraints.Constraint) of a student spec."""
    return _kind(student).build(student, teacher_prior)


def check_combination(student, rule=None, noise=0.0, flip=0.0, temperature=0.0) -> str:
    """The rule a student is computed with ('max-margin', 'gibbs' or 'bayes-optimal'), or a
    PriorError saying why the combination is not defined.  rule=None: the student's default."""
    if rule not in (None, "max-margin", "gibbs", "bayes-optimal"):
        raise PriorError(f"unknown rule '{rule}' (use max-margin or gibbs)")
    kind = _kind(student)
    refused = dict(kind.refuse)
    if rule in refused:
        raise PriorError(refused[rule])
    if kind.plain_only and (noise or flip or temperature):
        raise PriorError(kind.plain_only)
    if rule == "bayes-optimal" and rule not in kind.rules:
        raise PriorError("rule 'bayes-optimal' is the student 'bayes'")
    rule = rule or kind.rules[0]
    if temperature and rule != "gibbs":
        raise PriorError("a temperature applies to Gibbs learning only (add --rule gibbs)")
    return rule


# ---------------------------------------------------------------- rules
def _student(con, teacher, w0, p0, refine=False):
    st = con.coupling(w0, p0, teacher)
    return st.refined() if refine else st


def _max_margin_curves(pt, student):
    """The student's Legendre curve (E8) on the standard and the refined rules; the same
    teacher and student share it across calls (phase-diagram cells, --compare, a README
    session), since it costs seconds and does not depend on alpha or the channel."""
    key = None if pt.empirical else (pt.spec, student)   # file: priors may change on disk: never cached
    if key in _CURVES:
        return _CURVES[key]
    con = constraint(student, pt)
    m = measures_of(pt, 96)[0]
    st = _student(con, pt, m.w, m.p)
    fine = None
    if not isinstance(st, ts.SphericalStudent):  # closed form there; quadrature elsewhere
        mf = measures_of(pt, 160)[0]
        ref = _student(con, pt, mf.w, mf.p, refine=True)
        fine = (ref, ts.legendre_curve(ref))
    out = (st, ts.legendre_curve(st), fine)
    if key is not None:
        if len(_CURVES) >= 16:
            _CURVES.pop(next(iter(_CURVES)))
        _CURVES[key] = out
    return out


_CURVES = {}


def _spherical_max_margin(a, channel):
    """E8 with A(R) = sqrt(1 - R^2) exact; error: E on a second rule (20 instead of 12 nodes
    per panel) plus the roots' rounding, 1e-14 (1 + d eps/dR)."""
    r = ts.spherical_max_margin(a, *channel.E_on(12))
    r2 = ts.spherical_max_margin(a, *channel.E_on(20))
    return r, abs(r2.eps_g - r.eps_g) + 1e-14 * (1 + 1 / (math.pi * math.sqrt(max(1 - r.R ** 2, 1e-300))))


def _max_margin(pt, student, alphas, channel):
    spherical = isinstance(constraint(student, pt), C.Spherical) and hasattr(channel, "E_on")
    st, curve, fine = (None, None, None) if spherical else _max_margin_curves(pt, student)
    out = []
    for a in alphas:
        if spherical:
            r, err = _spherical_max_margin(a, channel)
        else:
            r = ts.max_margin(st, a, curve, E=channel.E)
            err = abs(ts.max_margin(fine[0], a, fine[1], E=channel.E).eps_g - r.eps_g) if fine else 0.0
        branch = "max-margin" if r.separable else "max-margin (not separable: kappa < 0; RS not exact there)"
        out.append(TSPoint(a, r.R, 1.0, r.eps_g, r.kappa, None, branch, err))
    return out


def _nishimori(con, channel, alphas):
    """Noise-free Gibbs learning that samples the posterior (E5-E6 on q = R): every stable
    branch and, for a discrete law, the perfect state q = 1; the highest free entropy wins."""
    perfect = con.perfect_state()
    out = []
    for a in alphas:
        branches = [(q, f) for q, _, f, stable in fp.nishimori_branches(con, channel, a) if stable]
        if perfect is not None:
            branches.append((1.0, perfect))
        if not branches:
            raise ConvergenceError(f"{con.label}: no stable fixed point on the Nishimori line at alpha = {a:g}")
        q, f = max(branches, key=lambda b: b[1])
        label = con.branch_label(q == 1.0 and perfect is not None, len(branches) - 1)
        out.append(TSPoint(a, float(q), float(q), con.eps_g((q, q)), None, float(f), label,
                           _nishimori_eps_error(con, channel, a, q)))
    return out


def _nishimori_eps_error(con, channel, alpha, q):
    """The eps_g error from the constraint's q error (a second, different quadrature) and
    the root's rounding; 0 for the perfect state."""
    if q >= 1.0:
        return 0.0
    dq = con.nishimori_q_error(q, channel, alpha) + 4e-16
    lo, hi = max(q - dq, 0.0), min(q + dq, 1.0)
    e = con.eps_g((q, q))
    return max(abs(con.eps_g((lo, lo)) - e), abs(con.eps_g((hi, hi)) - e))


def _unconverged(con, alpha, exc):
    if isinstance(exc, C.VersionSpaceEmpty):
        return TSPoint(alpha, math.nan, 1.0, math.nan, None, None, con.empty_label, math.nan)
    if not con.warn_unconverged:
        raise exc
    warnings.warn(str(exc), RuntimeWarning, stacklevel=3)
    return TSPoint(alpha, math.nan, math.nan, math.nan, None, None, f"not converged: {exc}", math.nan)


GIBBS_NODES = (64, 96)   # the teacher's (and a node-built student's) nodes: the point, its check


def _gibbs(con, channel, pt, alphas):
    """The damped Gibbs fixed point (E5-E6) along alpha, continued from each solution.  eps
    error: the difference to the fixed point on the second discretisation (`on_nodes`: the
    second node count for teacher and node-built students, atoms exact on both; the COARSE
    layout for a continuous soft prior) plus the fixed point's distance to the root (a
    Newton step, or the last step over one minus the contraction rate; at least the
    tolerance) through d eps/dR (it was printed as 0)."""
    n1, n2 = GIBBS_NODES
    pts = fp.gibbs_curve(con, channel, alphas, C.TeacherNodes.of(pt, n1),
                         on_error=lambda a, e: _unconverged(con, a, e))
    check = con.on_nodes(n2)
    pts2 = fp.gibbs_curve(check, channel, alphas, C.TeacherNodes.of(pt, n2), on_error=lambda a, e: None)
    out = []
    for p, p2 in zip(pts, pts2):
        if isinstance(p, TSPoint):
            out.append(p)
            continue
        eps, R = con.eps_g(p.x), p.x[-1]
        err = math.nan if p2 is None else abs(check.eps_g(p2.x) - eps) + \
            max(p.x_error, p2.x_error, con.tol) * (1 + 1 / (math.pi * math.sqrt(max(1 - R * R, 1e-300))))
        out.append(TSPoint(p.alpha, R, p.x[-2], eps, None, p.free_entropy, con.gibbs_label(p.x), err))
    return out


def channel_number(value, name):
    """A channel parameter as a float (text '0.1' allowed); PriorError naming it otherwise."""
    try:
        return to_float(value, name)
    except UserError as exc:
        raise PriorError(str(exc)) from None


def check_channel(noise, flip, temperature):
    """PriorError for output-noise parameters outside their range (E6 note)."""
    if not (math.isfinite(temperature) and temperature >= 0):
        raise PriorError(f"temperature must be >= 0, got {temperature}")
    if not (math.isfinite(noise) and noise >= 0):
        raise PriorError(f"noise sigma must be >= 0, got {noise}")
    if not (0 <= flip < 0.5):
        raise PriorError(f"flip probability must be in [0, 0.5), got {flip}")


def teacher_student(teacher, student=DEFAULT_STUDENT, rule=None, alphas=(1.0,), noise=0.0, flip=0.0,
                    temperature=0.0, channel=None):
    """Generalization of a student learning a teacher's labels, along alpha (THEORY.md E5-E8).

    Parameters
    ----------
    teacher : str
        The teacher's weight prior spec (rescaled to E w0^2 = 1).
    student : str
        ``spherical``, ``sign``, ``bayes``, ``soft:SPEC`` or a prior spec (weights constrained
        to that distribution); see `check_combination` for which rules each admits.
    rule : {None, "max-margin", "gibbs"}
        Max-margin learning (E8, q -> 1) or Gibbs learning of the version space (E5-E6);
        None: the student's default.
    alphas : sequence of str, Decimal, int, float or mpf
        Loads alpha = P/N > 0 (text is an exact decimal; float64 takes the nearest double).
    noise, flip, temperature : float or decimal str
        Gaussian output noise sigma, label-flip probability, Gibbs temperature 1/beta (E6 note).
    channel : solvers.channels.Channel, optional
        The output channel as an object (`replica.channel(...)`, or a class of one's own with
        ``G_E`` and, for max-margin, ``E``) instead of noise/flip/temperature.

    Returns
    -------
    list of TSPoint
        R, q, eps_g = arccos(R)/pi against the clean teacher (E7), the margin (max-margin) or
        the free entropy (Gibbs), the branch, and the eps_g error estimate.

    Examples
    --------
    >>> import replica
    >>> p, = replica.teacher_student("gaussian", "spherical", "gibbs", [1.0])
    >>> round(p.R, 8), round(p.eps_g, 8), p.branch          # the Nishimori line q = R
    (0.48626364, 0.33835947, 'gibbs (Nishimori line q = R)')
    >>> p, = replica.teacher_student("gaussian", "spherical", "max-margin", [1.0])
    >>> round(p.eps_g, 6), round(p.kappa, 6)
    (0.265711, 0.78655)
    """
    noise, flip, temperature = (channel_number(v, n) for v, n in ((noise, "noise"), (flip, "flip"),
                                                                   (temperature, "temperature")))
    if channel is not None:
        if noise or flip or temperature:
            raise PriorError("give the output channel as channel=... or as noise/flip/temperature, not both")
        noise, temperature = float(not channel.plain), channel.temperature   # flags for the rule checks
    check_channel(0.0, 0.0, temperature)
    rule = check_combination(student, rule, noise, flip, temperature)
    if channel is None:
        check_channel(noise, flip, temperature)
        channel = Teacher(noise, flip, temperature)
    alphas = check_alphas(alphas, positive=True)   # float64: the double nearest each decimal
    pt = as_prior(teacher).normalized()
    if pt.grouped:
        raise PriorError("group priors are not supported as teachers yet")
    if rule == "max-margin":
        return _max_margin(pt, student, alphas, channel)
    con = constraint(student, pt)
    if channel.plain and con.nishimori_with(pt):
        return _nishimori(con, channel, alphas)
    return _gibbs(con, channel, pt, alphas)


def transitions(teacher, student, rule="gibbs"):
    """Phase transitions along alpha on the Nishimori line: the first-order transition (the
    free entropies of the poor branch and the perfect state equal) and the spinodal of the
    poor branch, for a discrete teacher learnt by the Bayes-optimal student or by Gibbs
    learning of its own (Ising) law.  [] where there is no such pair of branches."""
    try:
        pt = as_prior(teacher).normalized()
        con = constraint(student, pt)
    except PriorError:
        return []
    if rule == "max-margin" or rule not in ("gibbs",) + con.rules:
        return []
    if pt.grouped or con.perfect_state() is None or not con.nishimori_with(pt):
        return []
    found = fp.nishimori_transitions(con, Teacher())
    if found is None:
        return []
    first, spin = found
    return [{"type": "first-order (poor -> perfect generalization)", "alpha": first},
            {"type": "spinodal (poor branch ends)", "alpha": spin}]


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
    pt = as_prior(teacher).normalized()
    m = measures_of(pt, 96)[0]
    out = []
    from scipy import optimize as opt

    for a in check_alphas(alphas, positive=True):
        cache = {}

        def eps(x):
            st = _student(constraint(f"{family}:{name}={x:.10g}", pt), pt, m.w, m.p)
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
    out = {DEFAULT_STUDENT: teacher_student(teacher, DEFAULT_STUDENT, "max-margin", alphas, noise, flip),
           "sign-constrained": teacher_student(teacher, "sign", "max-margin", alphas, noise, flip),
           "teacher-matched": teacher_student(teacher, teacher, "max-margin", alphas, noise, flip)}
    family = teacher.split(":")[0]
    if family in OPTIMIZABLE and not (noise or flip):
        out[f"optimal {family}"] = [p for _, _, p in optimize_student(teacher, family, alphas)]
    return out
