"""Resumable sweeps and the capacity-from-simulation pipeline (small, seeded)."""
import json

from validation.capacity_sim import crossing, simulate_capacity
from validation.sweep import load, run_sweep


def _square(task):
    return {"y": task["x"] ** 2}


def test_sweep_resumes_and_records_provenance(tmp_path):
    path = tmp_path / "s.jsonl"
    run_sweep(_square, [{"x": 1}, {"x": 2}], str(path), progress=False)
    recs = run_sweep(_square, [{"x": 1}, {"x": 2}, {"x": 3}], str(path), progress=False)
    assert len(recs) == 3 and sorted(r["result"]["y"] for r in recs) == [1, 4, 9]
    assert all("numpy" in r["versions"] for r in load(str(path)))
    assert len(path.read_text().splitlines()) == 3   # nothing ran twice


def test_crossing_interpolation():
    a_c, err = crossing([1.0, 2.0, 3.0], [1.0, 0.6, 0.2], [0.05, 0.05, 0.05])
    assert abs(a_c - 2.25) < 1e-12 and err > 0


def _cover(p_, n):
    """Cover (1965): probability that P random dichotomies of N-dim points are linearly
    separable through the origin, 2^(1-P) sum_{k<N} C(P-1, k) (exact at finite N)."""
    from math import comb
    return sum(comb(p_ - 1, k) for k in range(n)) / 2 ** (p_ - 1)


def test_qp_separability_matches_cover_at_finite_n(tmp_path):
    """Spherical weights: the stored fraction against Cover's exact finite-N law (the
    N -> oo limit of which is E3's alpha_c = 2).  Tolerance: 3 binomial standard errors."""
    n, samples = 30, 200
    alphas = [1.6, 2.0, 2.4]
    rows, _ = simulate_capacity("gaussian", [n], alphas, samples, str(tmp_path / "c.jsonl"),
                                trainer="qp", progress=False)
    for a, f in zip(alphas, rows[0]["fractions"]):
        exact = _cover(int(round(a * n)), n)
        se = (exact * (1 - exact) / samples) ** 0.5
        assert abs(f - exact) < 3 * se + 1e-12, (a, f, exact, se)
    assert abs(_cover(60, 30) - 0.5) < 1e-15
    json.dumps(rows)
