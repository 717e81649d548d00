"""Resumable parallel sweeps: tasks run on any concurrent.futures executor (local processes
by default; a dask.distributed Client is accepted as it is and used through its
`get_executor()`, which returns concurrent.futures-compatible futures),
results are appended to a JSONL file as they finish, and tasks already in the file are
skipped, so an interrupted sweep resumes where it stopped.  Every record carries its task
(seed, N, trainer settings) and the package versions."""
from __future__ import annotations

import contextlib
import sys
import time

from . import workers
from .common.errors import Interrupted, UserError
from .records import RecordFile, task_key, versions  # noqa: F401  (versions: still importable from here)


def done_keys(path):
    """Keys of the tasks recorded in `path`."""
    return set(RecordFile(path).records) if path else set()


def load(path):
    """The records of `path`, each task once (the first record of it), in file order."""
    return list(RecordFile(path).records.values())


def run_sweep(fn, tasks, path, executor=None, progress=True, run=True):
    """Run fn(task) -> dict for every task not yet in `path`; append {"task", "result",
    "versions"} records (`replica.records`).  Returns the records of `tasks` in the order of
    `tasks`, each once (the file may hold others: more seeds, other sizes, other settings).
    run=False runs nothing and returns the records of `tasks` already in the file.
    executor: any concurrent.futures executor or a dask Client; None = `workers.executor()`
    (all cores) when more than one task is left."""
    store = RecordFile(path)
    wanted = list(dict.fromkeys(task_key(t) for t in tasks))
    todo = list({task_key(t): t for t in tasks if task_key(t) not in store}.values()) if run else []
    if todo:
        store.check_writable()          # before the work, not after it
    if hasattr(executor, "get_executor"):      # a dask.distributed Client
        executor = executor.get_executor()
    own = executor is None and len(todo) > 1
    if own:
        executor = workers.executor(None)
    start = time.time()
    try:
        results = workers.completed(executor, fn, todo)
        try:
            for k, (i, res) in enumerate(results, 1):
                store.append([(todo[i], res)])
                if progress:
                    print(workers.progress_text(k, len(todo), start), end="", file=sys.stderr)
        finally:
            results.close()
            if progress and todo:
                print(file=sys.stderr)
    except KeyboardInterrupt:
        workers.stop(executor)          # Ctrl-C: nothing may keep computing unrecorded results
        with contextlib.suppress(UserError):    # a failed write is told in the message below
            store.close()
        raise Interrupted(f"{store.written} of {len(todo)} new results saved in {store.saved_in()}; "
                          f"rerun the same command to resume") from None
    except BaseException:
        if own:
            workers.stop(executor)
        store.close()
        raise
    if own:
        executor.shutdown()
    store.close()
    return [store.records[key] for key in wanted if key in store.records]


def select(records, template):
    """The records whose task has every field of `template` with the same value."""
    return [r for r in records if all(r["task"].get(k) == v for k, v in template.items())]


def grid(values):
    """Grid values as they are stored in task keys: 10 significant digits, so that
    0.55 + 0.05 k from any range arithmetic finds the same records."""
    return [float(f"{float(v):.10g}") for v in values]
