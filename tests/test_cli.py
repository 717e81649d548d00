"""The command line: JSON keys, sweeps, and one-line errors with exit status 2."""
import json
import subprocess
import sys

import pytest

from replica.cli import main

KEYS = {"prior", "kappa", "dps", "alpha_c", "alpha_rs", "alpha_entropy_zero", "w2_distance", "error_estimate"}


def run(capsys, *argv):
    try:
        rc = main(list(argv))
    except SystemExit as exc:
        rc = exc.code
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_capacity_json(capsys):
    rc, out, _ = run(capsys, "capacity", "--prior", "lognormal:sigma=1", "--dps", "40", "--json")
    assert rc == 0
    d = json.loads(out)
    assert KEYS <= set(d)
    assert d["alpha_c"].startswith("0.73575888234288464319104754032292") and len(d["alpha_c"]) == 42
    assert d["alpha_entropy_zero"] is None and d["dps"] == 40


def test_capacity_sweep_json_and_table(capsys):
    rc, out, _ = run(capsys, "capacity", "--prior", "gaussian", "--kappa", "0:2:5", "--json")
    rows = json.loads(out)
    assert rc == 0 and len(rows) == 5 and all(KEYS <= set(r) for r in rows)
    assert float(rows[0]["alpha_c"]) == 2.0 and abs(float(rows[-1]["alpha_c"]) - 0.2002310156) < 1e-9
    rc, out, _ = run(capsys, "capacity", "--prior", "gaussian", "--kappa", "0:1:3")
    assert rc == 0 and "alpha_c" in out and len(out.strip().splitlines()) == 6


def test_binary_reports_both_capacities(capsys):
    rc, out, _ = run(capsys, "capacity", "--prior", "binary", "--dps", "12", "--json")
    d = json.loads(out)
    # E4's estimate (~5e-12) supports 11 of the 12 digits: no digit below it is printed
    assert abs(float(d["alpha_c"]) - 0.833078599739579) < float(d["error_estimate"]) and len(d["alpha_c"]) == 13
    assert abs(float(d["alpha_rs"]) - 1.27323954473516) < 1e-11  # 12 significant digits
    assert d["alpha_entropy_zero"] == d["alpha_c"]


def test_curve(capsys):
    rc, out, _ = run(capsys, "curve", "--prior", "gaussian", "--alpha", "0:2:5", "--json")
    d = json.loads(out)
    assert rc == 0 and len(d["points"]) == 5
    assert abs(d["points"][0]["q"]) < 1e-20 and d["points"][-1]["status"].startswith("beyond")
    rc, out, _ = run(capsys, "curve", "--prior", "binary", "--alpha", "0.5")
    assert rc == 0 and "entropy" in out


@pytest.mark.parametrize("argv, fragment", [
    (["capacity", "--prior", "nosuch"], "unknown prior family"),
    (["capacity", "--prior", "lognormal:sigma=-1"], "sigma must be > 0"),
    (["capacity", "--prior", "discrete:values=1|2,probs=0.5|0.6"], "sum to 1"),
    (["capacity", "--prior", "gaussian", "--kappa", "-1"], "kappa"),
    (["capacity", "--prior", "gaussian", "--kappa", "0:1"], "start:stop:count"),
    (["capacity", "--prior", "gaussian", "--dps", "3"], "dps"),
    (["capacity", "--prior", "density:expr=exp(w)"], "not normalisable"),
    (["capacity", "--prior", "density:expr=__import__('os')"], "not allowed"),
    (["capacity", "--prior", "file:/nonexistent.npy"], "not found"),
    (["curve", "--prior", "gaussian", "--alpha", "-1"], "alpha"),
])
def test_bad_input_is_one_line_exit_2(capsys, argv, fragment):
    rc, out, err = run(capsys, *argv)
    assert rc == 2
    assert fragment in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_console_script_help():
    out = subprocess.run([sys.executable, "-m", "replica.cli", "capacity", "--help"],
                         capture_output=True, text=True, check=True).stdout
    assert "--kappa" in out and "lognormal" in out and "mixture" in out


def test_validate_capacity_cli(tmp_path, capsys):
    out = tmp_path / "v.jsonl"
    rc, text, _ = run(capsys, "validate", "capacity", "--prior", "gaussian", "--n", "20", "--alpha", "1.2:2.8:5",
                      "--samples", "8", "--out", str(out), "--quiet", "--workers", "1",
                      "--figure", str(tmp_path / "c.png"), "--table", str(tmp_path / "c.md"))
    assert rc == 0 and "| gaussian | 0 | qp |" in text and out.exists() and (tmp_path / "c.png").stat().st_size > 1000
    assert (tmp_path / "c.md").read_text() in text
    rc, _, err = run(capsys, "validate", "capacity", "--prior", "gaussian", "--n", "2")
    assert rc == 2 and "--n" in err
    rc, _, err = run(capsys, "validate", "capacity", "--prior", "lognormal:sigma=1", "--trainer", "qp")
    assert rc == 2 and "qp" in err
    rc, _, err = run(capsys, "validate", "capacity", "--prior", "nosuch")
    assert rc == 2 and "nosuch" in err
    # --recorded-only: the same table from the records, nothing run, and a mixed grid tabulates
    # the loads that exist (a second size on another grid is added without re-running the first)
    n_lines = len(out.read_text().splitlines())
    rc, again, _ = run(capsys, "validate", "capacity", "--prior", "gaussian", "--n", "20", "--alpha", "1.2:2.8:5",
                       "--samples", "8", "--out", str(out), "--recorded-only")
    assert rc == 0 and again.split("records:")[0] == text.split("records:")[0]
    rc, _, _ = run(capsys, "validate", "capacity", "--prior", "gaussian", "--n", "24", "--alpha", "2,2.4",
                   "--samples", "8", "--out", str(out), "--quiet", "--workers", "1")
    rc, mixed, _ = run(capsys, "validate", "capacity", "--prior", "gaussian", "--n", "20,24",
                       "--alpha", "1.2,1.6,2,2.4,2.8", "--samples", "8", "--out", str(out), "--recorded-only")
    assert rc == 0 and len(out.read_text().splitlines()) == n_lines + 16
    assert "| gaussian | 0 | qp |  | 24 | 8 |" in mixed and "1/N -> 0" in mixed
    rc, _, err = run(capsys, "validate", "capacity", "--prior", "sign", "--n", "20", "--out", str(out),
                     "--recorded-only")
    assert rc == 2 and "no records" in err
    rc, _, err = run(capsys, "validate", "kappa", "--prior", "sign", "--recorded-only")
    assert rc == 2 and "capacity" in err


def test_validate_kappa_and_teacher_student_cli(tmp_path, capsys):
    rc, text, _ = run(capsys, "validate", "kappa", "--prior", "sign", "--n", "20,30", "--alpha", "0.5", "--samples",
                      "4", "--out", str(tmp_path / "k.jsonl"), "--quiet", "--workers", "1", "--format", "csv")
    lines = text.strip().splitlines()
    assert rc == 0 and lines[0].startswith("prior,trainer,alpha,N") and len(lines) == 4   # 2 sizes + 1/N -> 0
    rc, text, _ = run(capsys, "validate", "teacher-student", "--teacher", "gaussian", "--student", "spherical",
                      "--student", "sign", "--n", "20", "--alpha", "1", "--samples", "3", "--out",
                      str(tmp_path / "t.jsonl"), "--quiet", "--workers", "1", "--figure", str(tmp_path / "t.png"))
    assert rc == 0 and "| gaussian | spherical | max-margin | 1 | 20 | 3 |" in text
    assert "| gaussian | sign | max-margin | 1 | 20 | 3 |" in text and text.count("| teacher |") == 1
    rc, _, err = run(capsys, "validate", "kappa", "--prior", "binary", "--n", "20")
    assert rc == 2 and "discrete" in err
    rc, _, err = run(capsys, "validate", "teacher-student", "--n", "20")
    assert rc == 2 and "--teacher" in err


def test_value_lists():
    from replica.cli import parse_range

    assert parse_range("0.5,1,2", "alpha") == ([0.5, 1.0, 2.0], True)
    assert parse_range("1:2:3", "alpha") == ([1.0, 1.5, 2.0], True)
    assert parse_range("0.25", "alpha") == ([0.25], False)


def test_save_and_show_round_trip(capsys, tmp_path):
    """--save writes lossless Results (all 40 digits, error, method); show prints them again;
    a file that is not one is refused in one line."""
    import mpmath as mp

    from replica.results import load

    f = tmp_path / "c.json"
    rc, out, _ = run(capsys, "capacity", "--prior", "lognormal:sigma=1", "--dps", "40", "--save", str(f))
    assert rc == 0 and "0.7357588823428846431910475403229" in out
    (r,) = load(f)
    assert r.quantity == "capacity" and r.dps == 40 and r.inputs["prior"] == "lognormal:sigma=1"
    assert mp.nstr(r["alpha_c"], 40).startswith("0.73575888234288464319104754032292") and r.error["alpha_c"] < 1e-39
    rc, out, _ = run(capsys, "show", str(f))
    assert rc == 0 and "alpha_c" in out and "0.7357588823428846431910475403229" in out and "40 digits" in out
    g = tmp_path / "t.json"
    rc, _, _ = run(capsys, "teacher-student", "--teacher", "binary", "--student", "binary", "--rule", "gibbs",
                   "--alpha", "1,1.5", "--save", str(g))
    rs = load(g)
    assert rc == 0 and [x["eps_g"] for x in rs][1] == 0.0 and rs[0].inputs["rule"] == "gibbs"
    rc, _, err = run(capsys, "show", str(tmp_path))
    assert rc == 2 and err.count("\n") == 1
    (tmp_path / "x.json").write_text("{}")
    rc, _, err = run(capsys, "show", str(tmp_path / "x.json"))
    assert rc == 2 and "not a results file written by --save" in err
    rc, _, err = run(capsys, "capacity", "--prior", "binary", "--save", str(tmp_path / "x.txt"))
    assert rc == 2 and "format '.txt' not supported" in err
