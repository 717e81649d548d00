"""The user's verbs that are not solvers of their own: ingredients (`law`, `constraint`,
`channel`), `table`, `phase_diagram`, `derive` and `check`.  `capacity`, `curve` and
`teacher_student` live in their modules; `replica/__init__.py` exports all of them.

Spec strings stay the user's currency: they are parsed here, once, into objects.
"""
from __future__ import annotations

import inspect

from solvers.channels import CHANNELS

from .priors import PriorError, as_prior


def law(spec):
    """A 1-D weight law (THEORY.md sec. 1) from a spec string or a law object.

    Parameters
    ----------
    spec : str, Prior, scipy.stats frozen law, sympy.stats random variable or array
        A prior spec (``replica priors`` lists the grammar), a law object, a frozen
        ``scipy.stats`` distribution (float64: it declares a precision floor of ~1e-13 that
        the error estimates include), a ``sympy.stats`` variable, or measured weights.

    Returns
    -------
    Prior
        atoms and continuous parts with scipy.stats-named methods (``cdf``, ``sf``,
        ``moment``, ``np_ppf``, ``sample``), in the spec's own units; ``.normalized()``
        rescales to E w^2 = 1, the solvers' convention.

    Examples
    --------
    >>> import replica
    >>> p = replica.law("ternary:f0=0.5")
    >>> [float(v) for v in p.values], [float(x) for x in p.probs]
    ([-1.0, 0.0, 1.0], [0.25, 0.5, 0.25])
    >>> float(replica.law("gaussian:std=2").moment(2))
    4.0
    >>> import mpmath as mp, scipy.stats
    >>> r = replica.capacity(scipy.stats.lognorm(1.0), dps=20)    # E3 at the law's float64 floor
    >>> print(mp.nstr(r.alpha_c, 12), r.error_estimate > 1e-15)
    0.735758882343 True
    """
    return as_prior(spec)


def constraint(student, teacher=None):
    """The weight side of E5 for a student spec: a `solvers.constraints.Constraint`.

    Parameters
    ----------
    student : str
        ``spherical``, ``sign``, ``bayes``, ``soft:SPEC`` or a prior spec (weights constrained
        to that distribution); the registry is ``replica.teacher_student.STUDENTS``.
    teacher : str, optional
        The teacher's prior spec, for students defined by it (``bayes``).

    Examples
    --------
    >>> import replica
    >>> c = replica.constraint("spherical")
    >>> c.name, c.params, c.rules
    ('spherical', ('q', 'R'), ('max-margin', 'gibbs'))
    >>> round(c.nishimori_map(1.0), 12)     # q = qhat / (1 + qhat) on the Nishimori line
    0.5
    """
    from .teacher_student import constraint as build

    pt = None if teacher is None else law(teacher).normalized()
    return build(student, pt)


def channel(name="teacher", **params):
    """The output side of E1/E6: a `solvers.channels.Channel` by registry name.

    Parameters
    ----------
    name : str
        ``margin`` (capacity, param ``kappa``), ``teacher`` (``noise``, ``flip``,
        ``temperature``) or ``label-flip`` (``flip``); ``solvers.channels.CHANNELS`` lists them.
    **params
        The channel's parameters.

    Examples
    --------
    >>> import replica
    >>> ch = replica.channel("margin", kappa=0.0)
    >>> round(ch.q_to_1(), 12)                  # Gardner's I(0) = 1/2 (E3)
    0.5
    >>> round(float(replica.channel("teacher").G_E(0.5, 0.5)), 12)  # E6, q = R = 1/2: exactly -1/2
    -0.5
    """
    if name not in CHANNELS:
        raise PriorError(f"unknown channel '{name}' (known: {', '.join(CHANNELS)})")
    cls, _ = CHANNELS[name]
    allowed = [p for p in inspect.signature(cls).parameters]
    bad = [k for k in params if k not in allowed]
    if bad:
        raise PriorError(f"channel {name}: unknown parameter '{bad[0]}' (allowed: {', '.join(allowed) or 'none'})")
    if name != "margin":
        from .teacher_student import check_channel

        check_channel(params.get("noise", 0.0), params.get("flip", 0.0), params.get("temperature", 0.0))
    return cls(**params)


def table(kind, *args, **kwargs):
    """A paper table (`replica.tables.Table`; ``.render("markdown" | "latex" | "csv")``).

    Parameters
    ----------
    kind : {"capacity", "teacher-student"}
        ``capacity``: ``table("capacity", priors, kappas, dps=30, digits=12)`` (E3/E4);
        ``teacher-student``: ``table("teacher-student", teacher, students, rule, alphas)`` (E5-E8).

    Examples
    --------
    >>> import replica
    >>> t = replica.table("capacity", ["gaussian"], [0], dps=15, digits=10)
    >>> t.rows[0][:3]
    ['gaussian', '0.0', '2.000000000']
    """
    from .tables import capacity_table, teacher_student_table

    makers = {"capacity": capacity_table, "teacher-student": teacher_student_table}
    if kind not in makers:
        raise PriorError(f"unknown table '{kind}' (one of {', '.join(makers)})")
    return makers[kind](*args, **kwargs)


def phase_diagram(quantity, x, y, cache=None, progress=False, **problem):
    """A quantity on a 2-D grid (`replica.phase_diagram.PhaseDiagram`, float64).

    Parameters
    ----------
    quantity : str
        ``alpha_c``, ``w2``, ``q``, ``eps_g``, ... (``replica.phase_diagram.QUANTITIES``).
    x, y : str
        Axes ``NAME=start:stop:count`` or ``NAME=a,b,c``; NAME is ``alpha``, ``kappa``, a
        prior parameter, or ``teacher.NAME`` / ``student.NAME``.
    cache : str, optional
        A JSONL record file: finished points are reused and appended.
    **problem
        ``prior``, ``teacher``, ``student``, ``rule``, ``alpha``, ``kappa``, ``nodes``.

    Examples
    --------
    >>> import replica
    >>> d = replica.phase_diagram("alpha_c", "kappa=0,1", "std=1,2", prior="gaussian")
    >>> [round(float(v), 6) for v in d.values[0]]   # any std: E w^2 = 1; 1 / I(kappa) (E3)
    [2.0, 0.519572]
    """
    from .phase_diagram import Axis, Problem, phase_diagram as run

    return run(Problem(quantity, **problem), Axis.parse(x), Axis.parse(y), cache=cache, progress=progress)


def derive(prior=None, teacher=None, student=None, noise=False):
    """The RS saddle-point equations, symbolically (sympy; `replica.symbolic.core.Derivation`).

    Parameters
    ----------
    prior : str, optional
        Capacity of this prior (E1-E4).
    teacher, student : str, optional
        Teacher-student generalization (E5-E8) instead; both are needed.
    noise : bool
        Gaussian output noise in the teacher's channel.

    Examples
    --------
    >>> import replica
    >>> d = replica.derive(prior="gaussian")
    >>> "G_E" in d.names()
    True
    """
    from .symbolic.capacity import derive_capacity
    from .symbolic.teacher_student import derive_teacher_student

    if teacher is not None or student is not None:
        if not (teacher and student):
            raise PriorError("a teacher-student derivation needs both a teacher and a student")
        if prior is not None:
            raise PriorError("give a prior (capacity) or a teacher and a student, not both")
        return derive_teacher_student(teacher, student, noise=noise)
    return derive_capacity(prior or "gaussian")


def check(text, prior=None, teacher=None, student=None):
    """Check the user's equations (lines ``NAME = EXPRESSION``) against `derive`.

    Returns a list of `replica.symbolic.check.LineResult` (``.ok``, ``.how``, ``.detail``);
    the whitelist grammar of `replica.formula` reads the text (no eval, no sympify).

    Examples
    --------
    >>> import replica
    >>> [r.ok for r in replica.check("qhat = q/(1-q)^2")]         # spherical prior, E2
    [True]
    >>> [r.ok for r in replica.check("qhat = q/(2*(1-q)^2)")]     # a factor 2 off
    [False]
    """
    from .symbolic.check import check_text

    return check_text(text, derive(prior, teacher, student))
