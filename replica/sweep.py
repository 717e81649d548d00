"""Resumable parallel sweeps: tasks run on any concurrent.futures executor (local processes
by default; a dask.distributed Client is accepted as it is and used through its
`get_executor()`, which returns concurrent.futures-compatible futures),
results are appended to a JSONL file as they finish, and tasks already in the file are
skipped, so an interrupted sweep resumes where it stopped.  Every record carries its task
(seed, N, trainer settings) and the package versions."""
from __future__ import annotations

import concurrent.futures as cf
import json
import os
import sys
import time
from importlib import metadata


def versions():
    out = {"python": sys.version.split()[0]}
    for pkg in ("replica", "numpy", "scipy", "mpmath", "clarabel", "numba"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return out


def task_key(task: dict) -> str:
    return json.dumps(task, sort_keys=True)


def done_keys(path):
    if not path or not os.path.exists(path):
        return set()
    keys = set()
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if line:
                keys.add(task_key(json.loads(line)["task"]))
    return keys


def load(path):
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def run_sweep(fn, tasks, path, executor=None, progress=True, run=True):
    """Run fn(task) -> dict for every task not yet in `path`; append {"task", "result",
    "versions"} records.  Returns the records of `tasks` (the file may hold others: more
    seeds, other sizes, other settings).  run=False runs nothing and returns the records
    of `tasks` already in the file."""
    todo = [t for t in tasks if task_key(t) not in done_keys(path)] if run else []
    if hasattr(executor, "get_executor"):      # a dask.distributed Client
        executor = executor.get_executor()
    own = executor is None
    if own:
        executor = cf.ProcessPoolExecutor(max_workers=os.cpu_count() or 1) if len(todo) > 1 else None
    vers = versions()
    start = time.time()
    try:
        futures = {}
        if executor is None:
            results = ((t, fn(t)) for t in todo)
        else:
            futures = {executor.submit(fn, t): t for t in todo}
            results = ((futures[f], f.result()) for f in cf.as_completed(futures))
        with open(path, "a", encoding="utf-8") as fh:
            for k, (task, res) in enumerate(results, 1):
                fh.write(json.dumps({"task": task, "result": res, "versions": vers}) + "\n")
                fh.flush()
                if progress:
                    el = time.time() - start
                    left = el / k * (len(todo) - k)
                    print(f"\r{k}/{len(todo)} done, {el:.0f}s elapsed, ~{left:.0f}s left", end="", file=sys.stderr)
        if progress and todo:
            print(file=sys.stderr)
    finally:
        if own and executor is not None:
            executor.shutdown()
    if not os.path.exists(path):
        return []
    wanted = {task_key(t) for t in tasks}
    return [r for r in load(path) if task_key(r["task"]) in wanted]


def select(records, template):
    """The records whose task has every field of `template` with the same value."""
    return [r for r in records if all(r["task"].get(k) == v for k, v in template.items())]


def grid(values):
    """Grid values as they are stored in task keys: 10 significant digits, so that
    0.55 + 0.05 k from any range arithmetic finds the same records."""
    return [float(f"{float(v):.10g}") for v in values]
