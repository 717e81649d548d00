"""`replica geometry {predict, fit, train}`: JSON with plain numbers, the end-to-end
train -> fit demonstration, geometry priors in `replica capacity`, one-line errors (exit 2)."""
import json

import numpy as np
import pytest

from test_cli import run  # (rc, stdout, stderr) of replica.cli.main


def test_predict_json_and_text(capsys):
    rc, out, _ = run(capsys, "geometry", "predict", "--potential", "entropic", "--init", "lognormal:sigma=0.5",
                     "--dual-std", "0.3", "--json")
    d = json.loads(out)
    assert rc == 0 and d["spec"] == "geometry:potential=entropic,init=lognormal(sigma=0.5),dual_std=0.3"
    assert d["closed_form"] and isinstance(d["dual_std"], float) and d["source"] == "given"
    assert abs(d["quantiles"]["0.5"] - 1.0) < 1e-12 and abs(d["mean"] - np.exp(0.34 / 2)) < 1e-12
    rc, out, _ = run(capsys, "geometry", "predict", "--potential", "pnorm:p=3", "--init", "gaussian")
    assert rc == 0 and "default: half the std" in out and "dual change: mean m = 0, std s =" in out
    rc, out, _ = run(capsys, "geometry", "predict", "--potential", "euclidean", "--init", "gaussian", "--alpha", "0.1",
                     "--kappa", "1", "--json")
    d = json.loads(out)
    assert abs(d["reaction"] - 0.1 * 0.8413447460685429) < 1e-9 and d["source"].startswith("small-alpha")


def test_train_then_fit_recovers_the_geometry_end_to_end(tmp_path, capsys):
    b, a = str(tmp_path / "b.npy"), str(tmp_path / "a.npy")
    rc, out, _ = run(capsys, "geometry", "train", "--potential", "entropic", "--init", "lognormal:sigma=0.5",
                     "--n", "1000", "--alpha", "0.2", "--out-before", b, "--out-after", a, "--json")
    d = json.loads(out)
    assert rc == 0 and d["converged"] and d["fitted"]["consistent"]
    rc, out, _ = run(capsys, "geometry", "fit", "--before", b, "--after", a, "--json")
    assert rc == 0 and json.loads(out)["best"] == "entropic"
    rc, out, _ = run(capsys, "geometry", "fit", "--before", b, "--after", a, "--paired")
    assert rc == 0 and "best (paired_loglik): entropic" in out
    rc, out, _ = run(capsys, "geometry", "predict", "--potential", "entropic", "--init", "lognormal:sigma=0.5",
                     "--alpha", "0.2", "--kappa", "1", "--compare", a)
    assert rc == 0 and "KS =" in out and "99% critical" in out


def test_qq_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    rng = np.random.default_rng(0)
    w = rng.standard_normal(300)
    np.save(tmp_path / "w.npy", w)
    png = tmp_path / "qq.png"
    rc, _, _ = run(capsys, "geometry", "predict", "--potential", "euclidean", "--init", "gaussian", "--dual-std", "0.1",
                   "--compare", str(tmp_path / "w.npy"), "--qq", str(png))
    assert rc == 0 and png.stat().st_size > 1000


def test_capacity_of_a_geometry_prior(capsys):
    rc, out, _ = run(capsys, "capacity", "--prior", "geometry:potential=euclidean,init=gaussian,dual_std=0.5",
                     "--json")
    assert rc == 0 and float(json.loads(out)["alpha_c"]) == 2.0
    rc, out, _ = run(capsys, "priors")
    assert "geometry" in out


@pytest.mark.parametrize("argv, fragment", [
    (["geometry", "predict", "--potential", "nosuch", "--init", "gaussian"], "unknown potential"),
    (["geometry", "predict", "--potential", "entropic", "--init", "gaussian"], "outside the domain"),
    (["geometry", "predict", "--potential", "euclidean", "--init", "gaussian", "--dual-std", "-1"], "--dual-std"),
    (["geometry", "predict", "--potential", "euclidean", "--init", "gaussian", "--dual-std", "1", "--alpha", "0.1"],
     "not both"),
    (["geometry", "predict", "--potential", "user:grad=w^2", "--init", "gaussian"], "not strictly convex"),
    (["geometry", "predict", "--potential", "user:grad=exec(w)", "--init", "gaussian"], "potential formula"),
    (["geometry", "fit", "--before", "/no/such.npy", "--after", "/no/such.npy"], "not found"),
    (["geometry", "train", "--potential", "entropic", "--init", "gaussian"], "outside the domain"),
    (["geometry", "train", "--potential", "euclidean", "--init", "gaussian", "--n", "5"], "--n"),
    (["geometry", "train", "--potential", "euclidean", "--init", "gaussian", "--seeds", "2"], "--records"),
    (["capacity", "--prior", "geometry:potential=entropic,init=lognormal"], "geometry needs"),
])
def test_bad_input_is_one_line_exit_2(capsys, argv, fragment):
    rc, _, err = run(capsys, *argv)
    assert rc == 2 and fragment in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_fit_paired_size_mismatch_is_one_line(tmp_path, capsys):
    np.save(tmp_path / "b.npy", np.ones(20) + np.arange(20))
    np.save(tmp_path / "a.npy", np.ones(30) + np.arange(30))
    rc, _, err = run(capsys, "geometry", "fit", "--before", str(tmp_path / "b.npy"), "--after",
                     str(tmp_path / "a.npy"), "--paired")
    assert rc == 2 and "as many weights" in err and len(err.strip().splitlines()) == 1


def test_help_explains_itself(capsys):
    for sub in ("predict", "fit", "train"):
        rc, out, _ = run(capsys, "geometry", sub, "--help")
        assert rc == 0 and "phi" in out and "pnorm" in out
