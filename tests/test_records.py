"""Record files survive faults (`replica.records`, through `run_sweep` and `phase-diagram
--cache`): a truncated last line, garbage and foreign lines, duplicates from concurrent
runs, other package versions, read-only media and a full disk lose nothing and give one
line, never a traceback."""
import json
import os
import pathlib
import shutil
import subprocess
import sys
import time
import warnings

import pytest

from replica import records
from replica.common.errors import UserError
from replica.records import RecordFile, task_key
from replica.sweep import load, run_sweep

ROOT = pathlib.Path(__file__).resolve().parents[1]
TASKS = [{"x": k} for k in range(12)]


def _square(task):
    return {"y": task["x"] ** 2, "pad": "p" * 2000}     # 12 records overflow a 12 kB tmpfs


def _slow_square(task):
    time.sleep(0.3)
    return _square(task)


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + str(ROOT / "tests")
    return env


def _lines(path):
    return pathlib.Path(path).read_bytes().splitlines()


def _keys(path):
    return [task_key(json.loads(line)["task"]) for line in _lines(path)]


def _sweep(path, tasks=TASKS, fn=_square):
    return run_sweep(fn, tasks, str(path), executor=None if len(tasks) < 2 else _serial(), progress=False)


def _serial():
    from replica.workers import InProcess
    return InProcess()


def test_truncated_last_line_is_skipped_recomputed_and_cut(tmp_path):
    path = tmp_path / "r.jsonl"
    ref = _sweep(path)
    data = path.read_bytes()
    path.write_bytes(data[:-60])                    # a crash or a full disk mid-write
    with pytest.warns(UserWarning, match="last line is incomplete"):
        recs = _sweep(path)
    assert recs == ref                              # same results, in task order
    assert _keys(path) == [task_key(t) for t in TASKS]   # the fragment is gone, nothing twice
    with warnings.catch_warnings():
        warnings.simplefilter("error")              # repaired: read again without a warning
        assert load(str(path)) == ref


def test_garbage_and_foreign_lines_are_counted_in_one_warning(tmp_path):
    path = tmp_path / "r.jsonl"
    ref = _sweep(path, TASKS[:6])
    with open(path, "ab") as fh:
        fh.write(b'{"foo": 1}\n\xff\xfe not utf-8\nnot json\n[1, 2]\n')
    with pytest.warns(UserWarning, match=r"4 line\(s\) skipped.*2 not UTF-8 JSON, 2 without task/result"):
        recs = _sweep(path)
    assert recs[:6] == ref and len(recs) == 12


@pytest.mark.parametrize("content, fragment", [
    (None, "is a folder"),
    (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)), "binary file"),
    (b'{"quantity": "q", "values": [[1]]}', "holds no records"),
])
def test_folder_binary_or_foreign_file_is_one_line_user_error(tmp_path, content, fragment):
    path = tmp_path / "r.jsonl"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    with pytest.raises(UserError, match=fragment) as exc:
        _sweep(path, fn=_must_not_run)
    assert "\n" not in str(exc.value)


def _must_not_run(task):
    raise AssertionError("computed although the record file is unusable")


def test_cli_record_file_errors_and_warnings_are_one_line(tmp_path):
    """`replica validate --out` on a folder: exit 2, one line; on a truncated file: a warning
    line `replica: warning: ...`, the same table as before."""
    cmd = [sys.executable, "-m", "replica.cli", "validate", "capacity", "--prior", "gaussian", "--n", "20",
           "--alpha", "1.6,2.4", "--samples", "3", "--workers", "1", "--quiet"]
    (tmp_path / "d.jsonl").mkdir()
    p = subprocess.run(cmd + ["--out", str(tmp_path / "d.jsonl")], capture_output=True, text=True, env=_env())
    assert p.returncode == 2 and p.stderr.startswith("replica: error: record file") and "folder" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1
    out = tmp_path / "o.jsonl"
    ref = subprocess.run(cmd + ["--out", str(out)], capture_output=True, text=True, env=_env())
    out.write_bytes(out.read_bytes()[:-30])
    again = subprocess.run(cmd + ["--out", str(out)], capture_output=True, text=True, env=_env())
    assert again.returncode == 0 and again.stdout == ref.stdout
    assert again.stderr.startswith("replica: warning: record file") and "Traceback" not in again.stderr


def test_repeated_tasks_count_once_the_first_record(tmp_path):
    path = tmp_path / "r.jsonl"
    _sweep(path, TASKS[:4])
    lines = _lines(path)
    forged = json.loads(lines[1])
    forged["result"]["y"] = -1
    with open(path, "ab") as fh:
        fh.write(lines[0] + b"\n" + json.dumps(forged).encode() + b"\n")
    with pytest.warns(UserWarning, match=r"2 record\(s\) repeat the task"):
        recs = load(str(path))
    assert [r["result"]["y"] for r in recs] == [0, 1, 4, 9]


def test_records_of_other_versions_are_used_with_one_warning(tmp_path):
    path = tmp_path / "r.jsonl"
    _sweep(path, TASKS[:4])
    lines = [json.loads(x) for x in _lines(path)]
    for rec in lines[:3]:
        rec["versions"]["replica"] = "0.0.0-other"
    path.write_text("".join(json.dumps(r) + "\n" for r in lines))
    with pytest.warns(UserWarning, match=r"3 of 4 records were written by other package versions "
                                         r"\(e\.g\. replica 0\.0\.0-other\)"):
        recs = _sweep(path, TASKS[:4], fn=_must_not_run)
    assert [r["result"]["y"] for r in recs] == [0, 1, 4, 9]


def test_a_second_writer_skips_what_the_first_recorded(tmp_path):
    """The check under the lock: two handles on one file, the same task: one line."""
    path = str(tmp_path / "r.jsonl")
    a, b = RecordFile(path), RecordFile(path)
    a.append([({"x": 1}, {"y": 1})])
    b.append([({"x": 1}, {"y": 1}), ({"x": 2}, {"y": 4})])
    a.append([({"x": 2}, {"y": 4})])
    a.close(), b.close()
    assert _keys(path) == [task_key({"x": 1}), task_key({"x": 2})] and b.skipped == 1 and a.skipped == 1


_CONCURRENT = """
import sys
from replica.sweep import run_sweep
from replica.workers import executor
from test_records import TASKS, _slow_square
with executor(2) as ex:
    recs = run_sweep(_slow_square, TASKS, sys.argv[1], executor=ex, progress=False)
assert len(recs) == len(TASKS), len(recs)
"""


def test_two_concurrent_runs_on_one_file_record_each_task_once(tmp_path):
    path = tmp_path / "r.jsonl"
    procs = [subprocess.Popen([sys.executable, "-c", _CONCURRENT, str(path)], env=_env()) for _ in range(2)]
    assert [p.wait(120) for p in procs] == [0, 0]
    keys = _keys(path)
    assert sorted(keys) == sorted(task_key(t) for t in TASKS) and len(keys) == len(set(keys))


def test_two_concurrent_validate_runs_give_the_single_run_table(tmp_path):
    """The finding: two `validate --out` on one file reported samples/alpha 24 instead of 12."""
    cmd = [sys.executable, "-m", "replica.cli", "validate", "capacity", "--prior", "gaussian", "--n", "20,40",
           "--alpha", "1.6:2.4:5", "--samples", "6", "--workers", "1", "--quiet", "--format", "csv"]
    ref = subprocess.run(cmd + ["--out", str(tmp_path / "ref.jsonl")], capture_output=True, text=True, env=_env())
    out = tmp_path / "conc.jsonl"
    procs = [subprocess.Popen(cmd + ["--out", str(out)], stdout=subprocess.PIPE, text=True, env=_env())
             for _ in range(2)]
    tables = [p.communicate(timeout=300)[0] for p in procs]
    assert ref.returncode == 0 and all(p.returncode == 0 for p in procs)
    assert tables == [ref.stdout, ref.stdout]
    keys = _keys(out)
    assert len(keys) == len(set(keys)) == 60


# ---------------------------------------------------------------- read-only media, full disk
@pytest.fixture
def mount(tmp_path):
    """mount(size, ro=False) -> a fresh tmpfs folder; skips where mounting is not allowed."""
    mounted = []

    def make(size="1m"):
        d = tmp_path / f"mnt{len(mounted)}"
        d.mkdir()
        if shutil.which("mount") is None or os.geteuid() != 0:
            pytest.skip("tmpfs needs root and mount(8); not available here")
        p = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(d)], capture_output=True,
                           text=True)
        if p.returncode != 0:
            pytest.skip(f"mount -t tmpfs not allowed here: {p.stderr.strip()}")
        mounted.append(d)
        return d

    yield make
    for d in mounted:
        subprocess.run(["umount", "-l", str(d)], capture_output=True)


def _readonly(mount, plain, files):
    """A folder holding `files` (name -> bytes) that cannot be written: a tmpfs remounted
    read-only as root; chmod 555 for another user (root ignores chmod, so not then)."""
    if os.geteuid() == 0:
        d = mount()
        for name, data in files.items():
            (d / name).write_bytes(data)
        p = subprocess.run(["mount", "-o", "remount,ro", str(d)], capture_output=True, text=True)
        if p.returncode != 0:
            pytest.skip(f"remount ro not allowed: {p.stderr.strip()}")
        return d
    d = plain
    d.mkdir()
    for name, data in files.items():
        (d / name).write_bytes(data)
        os.chmod(d / name, 0o444)
    os.chmod(d, 0o555)
    return d


def test_read_only_media(tmp_path, mount):
    full = tmp_path / "full.jsonl"
    ref = _sweep(full)
    data = full.read_bytes()
    half = b"".join(line + b"\n" for line in data.splitlines()[:6])
    ro = _readonly(mount, tmp_path / "ro", {"full.jsonl": data, "half.jsonl": half})
    try:
        assert _sweep(ro / "full.jsonl", fn=_must_not_run) == ref      # nothing to write: works
        for name in ("half.jsonl", "new.jsonl"):                        # refused before any work
            with pytest.raises(UserError, match="not writable"):
                _sweep(ro / name, fn=_must_not_run)
    finally:
        if os.geteuid() != 0:
            os.chmod(ro, 0o755)


def _fill_and_check(path, fallback_dir):
    """Run TASKS into `path` on a full disk: one-line UserError naming the fallback file,
    the record file still readable, file + fallback = every task once, and the rerun after
    appending the fallback computes nothing."""
    with pytest.warns(UserWarning, match="could not write"):
        with pytest.raises(UserError, match="No space left on device") as exc:
            _sweep(path)
    msg = str(exc.value)
    fallback = msg.split("are in '")[1].split("'")[0]
    assert "\n" not in msg and pathlib.Path(fallback).parent == pathlib.Path(fallback_dir)
    kept = _keys(path)                                  # every line parses: no fragment left
    assert 0 < len(kept) < len(TASKS)
    saved = _keys(fallback)
    assert sorted(kept + saved) == sorted(task_key(t) for t in TASKS)
    return fallback


def test_full_disk_tmpfs(tmp_path, mount):
    """A real full disk: a 12 kB tmpfs."""
    d = mount("12k")
    fallback = _fill_and_check(d / "r.jsonl", records.tempfile.gettempdir())
    recs = load(fallback)
    assert len(recs) >= 1
    os.unlink(fallback)


def test_full_disk_simulated(tmp_path, monkeypatch):
    """ENOSPC from the writer after four records (where no tmpfs can be mounted, this is the test)."""
    import errno

    real_write, real_mkstemp, fallbacks, calls = records._write_all, records.tempfile.mkstemp, [], []

    def write_all(fd, data):
        if fd not in fallbacks:
            calls.append(fd)
            if len(calls) > 4:
                os.write(fd, data[:10])                 # a partial line, as a full disk leaves
                raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    def mkstemp(**kw):
        fd, name = real_mkstemp(dir=str(tmp_path / "tmp"), **kw)
        fallbacks.append(fd)
        return fd, name

    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(records, "_write_all", write_all)
    monkeypatch.setattr(records.tempfile, "mkstemp", mkstemp)
    path = tmp_path / "r.jsonl"
    fallback = _fill_and_check(path, tmp_path / "tmp")
    monkeypatch.undo()
    with open(path, "ab") as fh:                        # what the error message says to do
        fh.write(pathlib.Path(fallback).read_bytes())
    assert len(_sweep(path, fn=_must_not_run)) == len(TASKS)


def test_fallback_failing_too_stops_the_work(tmp_path, monkeypatch):
    import errno

    def no_space(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(records, "_write_all", no_space)
    ran = []

    def fn(task):
        ran.append(task)
        return _square(task)

    with pytest.raises(UserError, match="nor to a fallback file"):
        _sweep(tmp_path / "r.jsonl", fn=fn)
    assert len(ran) == 1                                # no work goes on with nowhere to save it


def test_phase_diagram_cache_on_read_only_media(tmp_path, mount, capsys):
    """A complete --cache on read-only media redraws; one with rows missing is refused
    before any row is computed."""
    from test_cli import run

    argv = ["phase-diagram", "alpha_c", "--prior", "lognormal", "--x", "sigma=0.5:1:3", "--y", "kappa=0:1:3",
            "--workers", "1", "--quiet"]
    full = tmp_path / "c.jsonl"
    assert run(capsys, *argv, "--cache", str(full))[0] == 0
    data = full.read_bytes()
    part = b"".join(data.splitlines(keepends=True)[:3])
    ro = _readonly(mount, tmp_path / "ro", {"full.jsonl": data, "part.jsonl": part})
    try:
        rc, out, _ = run(capsys, *argv, "--cache", str(ro / "full.jsonl"))
        assert rc == 0 and "0 points computed" in out
        rc, _, err = run(capsys, *argv, "--cache", str(ro / "part.jsonl"))
        assert rc == 2 and "not writable" in err and len(err.strip().splitlines()) == 1
    finally:
        if os.geteuid() != 0:
            os.chmod(ro, 0o755)


@pytest.mark.slow
def test_kill_9_of_validate_then_rerun_gives_the_uninterrupted_records(tmp_path):
    """The real command: kill -9 mid-run, rerun: the same results (apart from timings), each
    sample once, and the same table."""
    cmd = [sys.executable, "-m", "replica.cli", "validate", "capacity", "--prior", "gaussian", "--n", "100,200",
           "--alpha", "1.6:2.4:5", "--samples", "4", "--workers", "2", "--quiet", "--format", "csv"]
    ref = subprocess.run(cmd + ["--out", str(tmp_path / "ref.jsonl")], capture_output=True, text=True, env=_env())
    out = tmp_path / "kill.jsonl"
    p = subprocess.Popen(cmd + ["--out", str(out)], stdout=subprocess.DEVNULL, env=_env())
    t0 = time.time()
    while (not out.exists() or len(_lines(out)) < 8) and time.time() - t0 < 120:
        time.sleep(0.1)
    p.kill()
    p.wait()
    assert 8 <= len(_lines(out)) < 40
    again = subprocess.run(cmd + ["--out", str(out)], capture_output=True, text=True, env=_env())
    assert again.returncode == 0 and again.stdout.split("records:")[0] == ref.stdout.split("records:")[0]

    def results(path):
        recs = [json.loads(x) for x in _lines(path)]
        return sorted((task_key(r["task"]), json.dumps({k: v for k, v in r["result"].items() if k != "seconds"}))
                      for r in recs)

    assert results(out) == results(tmp_path / "ref.jsonl") and len(results(out)) == 40
