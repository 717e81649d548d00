"""Resumable sweeps and the capacity-from-simulation pipeline (small, seeded)."""
import json

import numpy as np
from scipy import special

from validation.capacity_sim import probit_crossing, simulate_capacity
from replica.sweep import load, run_sweep


def _square(task):
    return {"y": task["x"] ** 2}


def test_sweep_resumes_and_records_provenance(tmp_path):
    path = tmp_path / "s.jsonl"
    run_sweep(_square, [{"x": 1}, {"x": 2}], str(path), progress=False)
    recs = run_sweep(_square, [{"x": 1}, {"x": 2}, {"x": 3}], str(path), progress=False)
    assert len(recs) == 3 and sorted(r["result"]["y"] for r in recs) == [1, 4, 9]
    assert all("numpy" in r["versions"] for r in load(str(path)))
    assert len(path.read_text().splitlines()) == 3   # nothing ran twice


def test_sweep_runs_on_any_executor(tmp_path):
    """The executor is swappable: a thread pool, or a cluster client exposing
    get_executor() (dask.distributed's shape), with the same records as a serial run."""
    import concurrent.futures as cf

    class Client:            # stands in for dask.distributed.Client
        def get_executor(self):
            return cf.ThreadPoolExecutor(2)

    tasks = [{"x": k} for k in range(5)]
    serial = run_sweep(_square, tasks, str(tmp_path / "a.jsonl"), progress=False)
    with cf.ThreadPoolExecutor(2) as ex:
        threads = run_sweep(_square, tasks, str(tmp_path / "b.jsonl"), executor=ex, progress=False)
    client = run_sweep(_square, tasks, str(tmp_path / "c.jsonl"), executor=Client(), progress=False)
    key = sorted((r["task"]["x"], r["result"]["y"]) for r in serial)
    assert key == sorted((r["task"]["x"], r["result"]["y"]) for r in threads) \
        == sorted((r["task"]["x"], r["result"]["y"]) for r in client)


def test_probit_crossing_recovers_a_known_step():
    """Binomial counts drawn from Phi((1.3 - alpha)/0.1): the fit finds 1.3 within 3 SE, and
    the SE is what 400 repetitions of the experiment show (within 25%)."""
    rng = np.random.default_rng(0)
    alphas = np.linspace(1.0, 1.6, 7)
    p = special.ndtr((1.3 - alphas) / 0.1)
    fits = [probit_crossing(alphas, rng.binomial(40, p), np.full(7, 40)) for _ in range(400)]
    a = np.array([f[0] for f in fits])
    se = np.array([f[1] for f in fits])
    assert abs(a.mean() - 1.3) < 3 * a.std() / 20
    assert abs(np.median(se) / a.std() - 1) < 0.25
    assert probit_crossing([1, 2], [10, 10], [10, 10]) is None   # no step in range


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
    rep = simulate_capacity("gaussian", [n], alphas, samples, str(tmp_path / "c.jsonl"),
                                trainer="qp", progress=False)
    for a, f in zip(alphas, rep.rows[0].fractions):
        exact = _cover(int(round(a * n)), n)
        se = (exact * (1 - exact) / samples) ** 0.5
        assert abs(f - exact) < 3 * se + 1e-12, (a, f, exact, se)
    assert abs(_cover(60, 30) - 0.5) < 1e-15
    json.dumps(rep.to_dict())
