"""The public API: the user's verbs at top level, their doctests, and the Result type."""
import doctest
import importlib
import json

import mpmath as mp
import pytest

import replica
from replica.results import Result, decode, encode

VERBS = ["capacity", "curve", "teacher_student", "phase_diagram", "table", "derive", "check",
         "law", "constraint", "channel"]


def test_verbs_are_exported_with_numpydoc_docstrings():
    for mod in ("replica.phase_diagram", "replica.capacity", "replica.teacher_student"):
        importlib.import_module(mod)      # a submodule of the same name must not shadow the verb
    for name in VERBS:
        assert name in replica.__all__ and callable(getattr(replica, name)), name
        doc = getattr(replica, name).__doc__ or ""
        assert ">>> " in doc, f"{name} has no doctest"
        assert "E" in doc and any(f"E{k}" in doc or "sec." in doc for k in range(1, 9)), \
            f"{name}'s docstring names no THEORY.md equation"


@pytest.mark.parametrize("module", ["replica.api", "replica.results", "replica.capacity", "replica.teacher_student"])
def test_doctests(module):
    res = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert res.attempted > 0 and res.failed == 0, res


def test_result_round_trips_mp_numbers_exactly():
    with mp.workdps(60):
        x = mp.pi / 7
    r = Result("capacity", {"prior": "gaussian", "kappa": mp.mpf("0.3")}, {"alpha_c": x, "nan": float("nan")},
               {"alpha_c": mp.mpf("1e-58")}, "E3", 60)
    back = Result.from_json(json.dumps(r.to_dict()))
    assert back == r and back.values["alpha_c"] == x      # every one of the 60 digits
    assert mp.nstr(back["alpha_c"], 60) == mp.nstr(x, 60)
    assert Result.from_dict(dict(r.to_dict(), values={"alpha_c": encode(x * 2)})) != r


def test_encode_refuses_unknown_objects():
    with pytest.raises(TypeError):
        encode(object())
    assert decode(encode([1, 2.5, None, "a"])) == [1, 2.5, None, "a"]


def test_capacity_result_is_lossless():
    r = replica.capacity("binary", kappa=0, dps=25, entropy=False)
    R = Result.from_json(r.result().to_json())
    assert R["alpha_rs"] == r.alpha_rs and R.dps == 25 and R.error["alpha_c"] == r.error_estimate


@pytest.mark.parametrize("call, msg", [
    (lambda: replica.channel("poisson"), "unknown channel 'poisson'"),
    (lambda: replica.channel("teacher", sigma=1), "unknown parameter 'sigma'"),
    (lambda: replica.channel("teacher", flip=0.7), "flip probability must be in [0, 0.5)"),
    (lambda: replica.table("bogus"), "unknown table 'bogus'"),
    (lambda: replica.derive(teacher="binary"), "needs both a teacher and a student"),
])
def test_api_refuses_bad_input_in_one_line(call, msg):
    with pytest.raises(replica.PriorError, match=msg.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        call()


def test_law_objects_are_accepted_wherever_a_spec_is():
    """scipy.stats frozen laws, sympy.stats variables and measured weights at the API edge
    (replica.capacity(scipy.stats.lognorm(1.0)) raised AttributeError before issue 16).
    A float64 law states its floor: the error estimate is at least ~1e-13, not 1e-20."""
    import numpy as np
    import scipy.stats
    import sympy.stats

    ref = replica.capacity("lognormal:sigma=1", dps=20)
    sc = replica.capacity(scipy.stats.lognorm(1.0), dps=20)
    assert abs(sc.alpha_c - ref.alpha_c) <= sc.error_estimate and 1e-15 < sc.error_estimate < 1e-10
    sy = replica.capacity(sympy.stats.LogNormal("X", 0, 1), dps=20)     # exact: the lognormal family
    assert abs(sy.alpha_c - ref.alpha_c) <= 2 * ref.error_estimate and sy.error_estimate < 1e-18
    w = np.random.default_rng(0).normal(size=2000)
    assert replica.capacity(w, dps=15, entropy=False).alpha_c == replica.capacity(list(w), dps=15, entropy=False).alpha_c
    a = replica.teacher_student(scipy.stats.norm(), "spherical", "gibbs", [1.0])[0]
    b = replica.teacher_student("gaussian", "spherical", "gibbs", [1.0])[0]
    assert a.eps_g == pytest.approx(b.eps_g, abs=1e-12)
    c = replica.teacher_student("binary", scipy.stats.uniform(-1, 2), "gibbs", [1.0])[0]   # a student law
    d = replica.teacher_student("binary", "uniform", "gibbs", [1.0])[0]
    assert c.eps_g == pytest.approx(d.eps_g, abs=1e-9)


def test_law_refuses_other_objects_in_one_line():
    with pytest.raises(replica.PriorError, match="cannot make a prior from a object: give a spec string"):
        replica.capacity(object())


def test_derive_knows_the_student_vocabulary():
    """`--student spherical` is a student name, not a prior family (it was refused as an
    unknown family); sign, bayes and soft: students derive from their constraint's G_S
    (they were refused before the constraints carried sympy pieces)."""
    d = replica.derive(teacher="binary", student="spherical")
    assert "spherical" in d.title and "G_S" in d.names()
    for student, conjugate in (("sign", "a"), ("bayes", "qhat"), ("soft:laplace", "Qhat")):
        d = replica.derive(teacher="binary", student=student)
        assert f"d/d{conjugate}" in d.names() and conjugate in {s.name for s in d.get("G_S").free_symbols}
