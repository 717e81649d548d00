"""Worker processes (`replica.workers`): Ctrl-C stops every command within seconds with the
finished part saved, kill -9 of the parent leaves no worker behind, `--workers N` means N
processes (0 refused), and parallel output is in task order (same command, same bytes)."""
import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import pytest

from replica import workers
from replica.records import task_key
from test_cli import run  # (rc, stdout, stderr) of replica.cli.main

ROOT = pathlib.Path(__file__).resolve().parents[1]
TASKS = [{"x": k} for k in range(40)]


def _slow(task):
    time.sleep(0.4)
    return {"y": task["x"] ** 2}


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + str(ROOT / "tests")
    return env


def _cli(*argv):
    return [sys.executable, "-m", "replica.cli", *argv]


def _children(pid):
    out = subprocess.run(["ps", "--ppid", str(pid), "-o", "pid="], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def _alive(pid):
    """Running (a zombie waiting for init to reap it is dead)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _wait_for(cond, timeout, what):
    t0 = time.time()
    while not cond():
        if time.time() - t0 > timeout:
            raise AssertionError(f"{what} not within {timeout} s")
        time.sleep(0.1)


def _lines(path):
    p = pathlib.Path(path)
    return p.read_bytes().count(b"\n") if p.exists() else 0


def _sigint(proc):
    """Ctrl-C as a terminal sends it: to the whole process group."""
    os.killpg(proc.pid, signal.SIGINT)


_SWEEP = """
import sys
from replica.sweep import run_sweep
from replica.workers import executor
from test_workers import TASKS, _slow
with executor(2) as ex:
    run_sweep(_slow, TASKS, sys.argv[1], executor=ex, progress=False)
"""


pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc and ps --ppid")


def test_kill_9_leaves_no_worker_and_the_rerun_completes(tmp_path):
    path = tmp_path / "r.jsonl"
    p = subprocess.Popen([sys.executable, "-c", _SWEEP, str(path)], env=_env())
    _wait_for(lambda: _lines(path) >= 4, 60, "4 records")
    kids = _children(p.pid)
    assert len(kids) == 2
    p.kill()
    p.wait()
    _wait_for(lambda: not any(_alive(k) for k in kids), 10, "the workers' exit after kill -9 of the parent")
    subprocess.run([sys.executable, "-c", _SWEEP, str(path)], env=_env(), check=True, timeout=120)
    recs = [json.loads(line) for line in path.read_text().splitlines()]
    assert sorted(task_key(r["task"]) for r in recs) == sorted(task_key(t) for t in TASKS)
    assert all(r["result"]["y"] == r["task"]["x"] ** 2 for r in recs)


def test_sigint_stops_the_pool_and_keeps_what_finished(tmp_path):
    path = tmp_path / "r.jsonl"
    p = subprocess.Popen([sys.executable, "-c", _SWEEP, str(path)], env=_env(), start_new_session=True,
                         stderr=subprocess.PIPE, text=True)
    _wait_for(lambda: _lines(path) >= 4, 60, "4 records")
    kids = _children(p.pid)
    _sigint(p)
    _, err = p.communicate(timeout=20)
    assert p.returncode != 0 and "Interrupted" in err and "rerun the same command to resume" in err
    _wait_for(lambda: not any(_alive(k) for k in kids), 5, "the workers' exit")
    n = _lines(path)
    assert 4 <= n < len(TASKS)
    time.sleep(1.0)
    assert _lines(path) == n                         # nothing still running records more


def test_sigint_stops_a_multi_worker_phase_diagram(tmp_path):
    """The finding: with several workers, Ctrl-C never returned (a second one deadlocked)."""
    cache = tmp_path / "big.jsonl"
    p = subprocess.Popen(_cli("phase-diagram", "q", "--prior", "binary", "--x", "alpha=0.05:1.2:200",
                              "--y", "kappa=0:1:200", "--workers", "2", "--quiet", "--cache", str(cache),
                              "--out", str(tmp_path / "big.json")),
                         env=_env(), start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(lambda: _lines(cache) >= 200, 120, "a finished row")
    kids = _children(p.pid)
    _sigint(p)
    time.sleep(0.05)
    try:
        _sigint(p)                                   # a second Ctrl-C must not deadlock it
    except ProcessLookupError:
        pass
    _, err = p.communicate(timeout=20)
    assert p.returncode == 130 and err.startswith("replica: interrupted:") and "rows finished" in err
    assert len(err.strip().splitlines()) == 1 and "big.jsonl" in err
    _wait_for(lambda: not any(_alive(k) for k in kids), 5, "the workers' exit")
    lines = cache.read_text().splitlines()
    assert len(lines) % 200 == 0 and all(json.loads(x)["task"]["quantity"] == "q" for x in lines)
    assert not (tmp_path / "big.json").exists()


def test_kill_9_of_validate_leaves_no_child(tmp_path):
    out = tmp_path / "o.jsonl"
    p = subprocess.Popen(_cli("validate", "capacity", "--prior", "gaussian", "--n", "100,200", "--alpha",
                              "1.6:2.4:5", "--samples", "12", "--workers", "2", "--quiet", "--out", str(out)),
                         env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for(lambda: _lines(out) >= 2, 120, "2 records")
    kids = _children(p.pid)
    assert len(kids) == 2
    p.kill()
    p.wait()
    _wait_for(lambda: not any(_alive(k) for k in kids), 10, "the workers' exit after kill -9 of validate")


def _probe(_):
    """In a worker: is SIGINT ignored, and how many threads may OpenBLAS use (None: unknown)?"""
    import ctypes

    threads = None
    for line in open("/proc/self/maps"):
        if "openblas" in line and ".so" in line:
            lib = ctypes.CDLL(line.split()[-1])
            for name in ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_",
                         "scipy_openblas_get_num_threads", "openblas_get_num_threads"):
                if hasattr(lib, name):
                    threads = getattr(lib, name)()
                    break
            break
    return signal.getsignal(signal.SIGINT) == signal.SIG_IGN, threads, os.environ.get("OMP_NUM_THREADS")


def test_workers_ignore_sigint_and_use_one_blas_thread():
    import numpy  # noqa: F401  (BLAS loaded before the fork, as in the CLI)

    with workers.executor(2) as ex:
        assert ex._max_workers == 2
        ignored, threads, omp = ex.submit(_probe, None).result()
    assert ignored and omp == "1" and threads in (None, 1)


@pytest.mark.parametrize("argv", [
    ["validate", "capacity", "--prior", "gaussian", "--n", "20", "--alpha", "1.6", "--samples", "2"],
    ["phase-diagram", "alpha_c", "--prior", "lognormal", "--x", "sigma=0.5:1:2", "--y", "kappa=0:1:2"],
    ["reproduce", "--quick"],
    ["geometry", "train", "--potential", "euclidean", "--init", "gaussian", "--n", "100", "--steps", "5"],
])
@pytest.mark.parametrize("n", ["0", "-2"])
def test_workers_zero_or_negative_is_refused(tmp_path, capsys, argv, n):
    if argv[0] == "reproduce":
        argv = argv + [str(tmp_path / "figs")]
    rc, _, err = run(capsys, *argv, "--workers", n)
    assert rc == 2 and "--workers" in err and len(err.strip().splitlines()) == 1


def test_geometry_train_workers_1_starts_no_process(tmp_path, capsys, monkeypatch):
    """The finding: the default --workers 1 ran on all cores (run_sweep made its own pool)."""
    import concurrent.futures as cf

    def refuse(*a, **k):
        raise AssertionError("a process pool was started for --workers 1")

    monkeypatch.setattr(cf, "ProcessPoolExecutor", refuse)
    rc, out, _ = run(capsys, "geometry", "train", "--potential", "entropic", "--init", "lognormal:sigma=0.5",
                     "--n", "200", "--alpha", "0.2", "--steps", "50", "--seeds", "3", "--records",
                     str(tmp_path / "g.jsonl"), "--quiet", "--json")
    assert rc == 0 and [r["seed"] for r in json.loads(out)["records"]] == [0, 1, 2]


def test_geometry_train_seeds_give_the_same_bytes_in_seed_order(tmp_path, capsys):
    """The finding: --json listed the records in completion order."""
    argv = ["geometry", "train", "--potential", "entropic", "--init", "lognormal:sigma=0.5", "--n", "200",
            "--alpha", "0.2", "--steps", "50", "--seeds", "5", "--workers", "2", "--quiet", "--json"]
    outs = [run(capsys, *argv, "--records", str(tmp_path / f"g{k}.jsonl"))[1] for k in range(2)]
    assert outs[0] == outs[1]
    assert [r["seed"] for r in json.loads(outs[0])["records"]] == list(range(5))


def test_phase_diagram_values_do_not_depend_on_workers_cache_or_a_crash(tmp_path, capsys):
    """--out: the same values, errors and methods from 2 workers, 1 worker, and a resume
    after a crash; only `computed` and `seconds` (this run's work) differ.  (A row cut
    between its points would resume along the rest of the row, values within the error.)"""
    argv = ["phase-diagram", "q", "--prior", "binary", "--x", "alpha=0.05:1.2:5", "--y", "kappa=0:1:3", "--quiet"]
    a, b, c = (str(tmp_path / f"{k}.json") for k in "abc")
    assert run(capsys, *argv, "--workers", "2", "--cache", str(tmp_path / "a.jsonl"), "--out", a)[0] == 0
    assert run(capsys, *argv, "--workers", "1", "--out", b)[0] == 0
    lines = (tmp_path / "a.jsonl").read_bytes().splitlines(keepends=True)
    # a crash after a row (a row is one write), in the first line of the next
    (tmp_path / "c.jsonl").write_bytes(b"".join(lines[:5]) + lines[5][:100])
    with pytest.warns(UserWarning, match="last line is incomplete"):
        assert run(capsys, *argv, "--workers", "2", "--cache", str(tmp_path / "c.jsonl"), "--out", c)[0] == 0
    strip = [{k: v for k, v in json.load(open(f)).items() if k not in ("computed", "seconds")} for f in (a, b, c)]
    assert strip[0] == strip[1] == strip[2]
