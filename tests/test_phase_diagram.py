"""Phase diagrams, tables and the reproduction script: values equal the point solvers,
the cache reuses finished points, spec templates fill in safely, bad input is refused."""
import json

import mpmath as mp
import numpy as np
import pytest

import replica
from replica.cli import main
from replica.phase_diagram import Axis, PhaseDiagram, Problem, fill_spec, phase_diagram
from replica.priors import PriorError
from replica.tables import capacity_table, fmt_value


def test_ei_map_equals_the_mpmath_capacity_at_corners(tmp_path):
    pd = phase_diagram(Problem("alpha_c", prior="ei:fE=0.8"), Axis.parse("sigmaE=0.1:2:7"),
                       Axis.parse("sigmaI=0.1:2:5"), cache=str(tmp_path / "c.jsonl"))
    assert pd.values.shape == (5, 7) and pd.computed == 35
    for i, j in [(0, 0), (4, 6), (2, 3)]:
        spec = f"ei:fE=0.8,sigmaE={pd.x.values[j]!r},sigmaI={pd.y.values[i]!r}"
        ref = float(replica.capacity(spec, 0, dps=25).alpha_c)
        assert abs(pd.values[i, j] - ref) < 1e-14 * ref + 2 * pd.errors[i, j]
    # a larger grid that contains the old one computes only the new points
    pd2 = phase_diagram(Problem("alpha_c", prior="ei:fE=0.8"), Axis.parse("sigmaE=0.1:2:13"),
                        Axis.parse("sigmaI=0.1:2:5"), cache=str(tmp_path / "c.jsonl"))
    assert pd2.computed == 5 * 6 and np.array_equal(pd2.values[:, ::2], pd.values)


def test_alpha_kappa_maps_of_capacity_and_q():
    pd = phase_diagram(Problem("alpha_rs", prior="lognormal:sigma=1"), Axis.parse("sigma=0.5,1"),
                       Axis.parse("kappa=0,1"))
    assert abs(pd.values[0, 1] - 2 / np.e) < 1e-15
    q = phase_diagram(Problem("q", prior="binary"), Axis.parse("alpha=0,0.3,0.6,0.9,1.5"), Axis.parse("kappa=0,0.5"))
    ref = [p.q for p in replica.curve("binary", 0.0, [0.3, 0.6, 0.9])]
    assert np.allclose(q.values[0, 1:4], ref, atol=1e-6) and q.values[0, 0] == 0.0
    assert q.values[0, 4] == 1.0           # beyond alpha_rs = 4/pi: q = 1
    assert np.all(np.diff(q.values[1, :4]) > 0)


def test_teacher_student_map_and_save_load(tmp_path):
    pd = phase_diagram(Problem("eps_g", teacher="lognormal", student="sign"),
                       Axis.parse("alpha=0.5,2"), Axis.parse("teacher.sigma=1"))
    ref = replica.teacher_student("lognormal:sigma=1.0", "sign", "max-margin", [0.5, 2])
    assert np.allclose(pd.values[0], [p.eps_g for p in ref], atol=1e-10)
    pd.save(tmp_path / "d.json")
    back = PhaseDiagram.load(tmp_path / "d.json")
    assert np.array_equal(back.values, pd.values) and back.x == pd.x
    assert pd.csv().splitlines()[0] == "teacher.sigma,alpha,eps_g,error"


def test_spec_templates():
    assert fill_spec("ei:fE=0.8", {"sigmaE": 1.5}) == "ei:fE=0.8,sigmaE=1.5"
    assert fill_spec("lognormal", {"sigma": 2}) == "lognormal:sigma=2.0"
    assert fill_spec("ei:fE=0.8,sigmaE=1", {"sigmaE": 2, "sigmaI": 0.5}) == "ei:fE=0.8,sigmaE=2.0,sigmaI=0.5"
    assert fill_spec("groups:0.8*lognormal(sigma={a})+0.2*-lognormal(sigma={b})", {"a": 1, "b": 0.5}) == \
        "groups:0.8*lognormal(sigma=1.0)+0.2*-lognormal(sigma=0.5)"
    with pytest.raises(PriorError, match="placeholder"):
        fill_spec("groups:0.8*lognormal(sigma={a})+0.2*-lognormal(sigma={b})", {"a": 1})
    with pytest.raises(PriorError):
        Axis.parse("sigma=1:2")
    with pytest.raises(PriorError, match="axis name"):
        Axis.parse("__import__('os')=1,2")
    with pytest.raises(PriorError, match="unknown quantity"):
        Problem("capacity", prior="gaussian")


def test_tables_refuse_digits_the_error_does_not_support():
    t = capacity_table(["lognormal:sigma=1"], [0], dps=25, digits=20)
    assert "0.73575888234288464319" in t.render("markdown")
    assert "\\toprule" in t.render("latex") and t.render("csv").startswith("prior,kappa,alpha_c")
    with pytest.raises(PriorError, match="raise --dps"):
        capacity_table(["gaussian"], [0], dps=20, digits=25)
    with pytest.raises(PriorError, match="error estimate"):
        fmt_value(mp.mpf("0.123456789"), 10, error=1e-6)


def test_cli_phase_diagram_and_errors(tmp_path, capsys):
    rc = main(["phase-diagram", "alpha_c", "--prior", "ei:fE=0.8", "--x", "sigmaE=0.5:1.5:4", "--y",
               "sigmaI=0.5:1.5:3", "--out", str(tmp_path / "p.json"), "--figure", str(tmp_path / "p.png"),
               "--workers", "1", "--quiet"])
    assert rc == 0 and (tmp_path / "p.png").stat().st_size > 1000
    assert json.loads((tmp_path / "p.json").read_text())["precision"] == "float64"
    out = capsys.readouterr().out
    assert "alpha_c on 3 x 4" in out
    for argv, msg in [(["phase-diagram", "nosuch", "--prior", "gaussian"], "unknown quantity"),
                      (["phase-diagram", "alpha_c", "--prior", "gaussian", "--x", "foo=1:2:3"], "foo"),
                      (["phase-diagram", "q", "--prior", "binary", "--x", "sigma=1,2", "--y", "kappa=0,1"], "alpha")]:
        with pytest.raises(SystemExit) as e:
            main(argv + ["--quiet", "--workers", "1"])
        assert e.value.code == 2 and msg in capsys.readouterr().err


def test_lines_on_an_alpha_kappa_map(tmp_path, capsys):
    rc = main(["phase-diagram", "q", "--prior", "gaussian", "--x", "alpha=0.2:1.8:5", "--y", "kappa=0:0.5:3",
               "--lines", "--figure", str(tmp_path / "q.png"), "--workers", "1", "--quiet"])
    assert rc == 0 and (tmp_path / "q.png").exists()


def test_cli_table_latex_and_teacher_student(tmp_path, capsys):
    out = tmp_path / "t.tex"
    rc = main(["table", "capacity", "--prior", "gaussian", "--prior", "lognormal:sigma=1", "--kappa", "0",
               "--digits", "15", "--dps", "25", "--format", "latex", "--output", str(out)])
    text = out.read_text()
    assert rc in (0, None) and "\\toprule" in text and "\\bottomrule" in text
    assert "2.00000000000000" in text and "0.735758882342885" in text   # Gardner and 2/e
    capsys.readouterr()
    main(["table", "teacher-student", "--teacher", "gaussian", "--student", "spherical", "--alpha", "1",
          "--digits", "4", "--format", "csv"])
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].startswith("student,rule,alpha,eps_g")
    # the table prints what the solver returns (E5-E7), rounded to the digits asked for
    eps = float(rows[1].split(",")[3])
    ref = replica.teacher_student("gaussian", "spherical", "max-margin", [1.0])[0].eps_g
    assert eps == pytest.approx(ref, abs=5e-5) and 0.2 < eps < 0.3
    with pytest.raises(SystemExit) as e:
        main(["table", "capacity", "--prior", "gaussian", "--digits", "40", "--dps", "30"])
    assert e.value.code == 2 and "raise --dps" in capsys.readouterr().err


def test_reproduce_quick_writes_every_figure_and_table(tmp_path, monkeypatch):
    from replica import reproduce as rp

    # the student-family step solves optimal students (slow); it has its own test in test_teacher_student
    monkeypatch.setattr(rp, "STEPS", [s for s in rp.STEPS if s[0] != "teacher-student student families"])
    lines = []
    done = rp.reproduce(str(tmp_path), quick=True, log=lines.append)
    files = {p.split("/")[-1] for _, paths, _ in done for p in paths}
    assert {"capacity_vs_w2.png", "ei_capacity_map.pdf", "q_of_alpha.png", "capacity_table.tex"} <= files
    assert all((tmp_path / f).stat().st_size > 500 for f in files)
    assert lines[-1].startswith("total:")
    tex = (tmp_path / "capacity_table.tex").read_text()
    assert "0.735758882342885" in tex


def test_axes_a_quantity_does_not_depend_on_are_refused(capsys, monkeypatch):
    """alpha_c with an alpha axis repeated the E4 solve per alpha (no row finished in 60 s)."""
    with pytest.raises(PriorError, match="alpha_c does not depend on alpha"):
        Problem("alpha_c", prior="binary").point({"alpha": 0.5, "kappa": 0.0})
    with pytest.raises(PriorError, match="eps_g does not depend on kappa"):
        Problem("eps_g", teacher="lognormal").point({"alpha": 1.0, "kappa": 0.5})
    for argv in (["phase-diagram", "alpha_c", "--prior", "binary"],
                 ["phase-diagram", "alpha_c", "--prior", "binary", "--x", "alpha=0.1:1:3", "--y", "kappa=0:1:3"]):
        with pytest.raises(SystemExit) as e:
            main(argv + ["--quiet", "--workers", "1"])
        err = capsys.readouterr().err
        assert e.value.code == 2 and "does not depend on alpha" in err and err.count("\n") == 1
    # the default quantity is q, whose natural axes are the default ones (alpha x kappa)
    from replica.cli import build_parser
    args = build_parser().parse_args(["phase-diagram", "--prior", "binary"])
    assert (args.quantity, args.x, args.y) == ("q", "alpha=0.1:1:10", "kappa=0:1:5")
    # equal points in one row are computed once
    import importlib
    calls = []

    class Fake:
        alpha_c, error_estimate, method = 0.5, 1e-10, "fake"

    monkeypatch.setattr(importlib.import_module("replica.capacity"), "capacity",
                        lambda *a, **k: calls.append(a) or Fake())
    from replica.phase_diagram import evaluate_row, point_value
    pt = Problem("alpha_c", prior="binary").point({"kappa": 0.0})
    rows = evaluate_row([pt, pt, pt])
    assert [point_value(r)[0] for r in rows] == [0.5] * 3 and len(calls) == 1
    assert rows[0]["quantity"] == "alpha_c" and rows[0]["inputs"]["prior"] == "binary"   # a Result dict


def test_cache_records_are_results_and_old_caches_are_read(tmp_path):
    """Each cached point is a Result dict (lossless, with its inputs); a cache written before
    (bare {value, error, method} records) is still read, so its points are not recomputed."""
    import json

    from replica.results import Result
    x, y = Axis.parse("kappa=0,0.5"), Axis.parse("std=1,2")
    c = tmp_path / "c.jsonl"
    d = phase_diagram(Problem("alpha_c", prior="gaussian"), x, y, cache=str(c))
    recs = [json.loads(line) for line in c.read_text().splitlines()]
    r = Result.from_dict(recs[0]["result"])
    assert r.quantity == "alpha_c" and r.values["alpha_c"] == pytest.approx(2.0, abs=1e-12)
    old = tmp_path / "old.jsonl"
    with old.open("w") as fh:
        for rec in recs:
            res = Result.from_dict(rec["result"])
            rec["result"] = {"value": res.values["alpha_c"], "error": res.error["alpha_c"], "method": res.method}
            fh.write(json.dumps(rec) + "\n")
    again = phase_diagram(Problem("alpha_c", prior="gaussian"), x, y, cache=str(old))
    assert again.computed == 0 and np.array_equal(again.values, d.values)
