"""Worker processes for every parallel command (`validate`, `phase-diagram`, `reproduce`,
`geometry train --seeds`) and for `run_sweep`'s default.

* `executor(workers)`: N worker processes, or `InProcess` for one (the tasks run here, in
  order).  Workers ignore SIGINT (Ctrl-C reaches the parent, which stops them), die with
  the parent (PR_SET_PDEATHSIG on Linux, a polling thread elsewhere) and run BLAS on one
  thread each, so N workers use N cores.
* `completed(executor, fn, tasks)`: (index, result) as tasks finish; when the consumer
  stops early (Ctrl-C, a failed write) the pending tasks are cancelled, and on Ctrl-C the
  worker processes are terminated, so nothing keeps computing results no one records.
* `pool(workers)`: `executor` as a context manager that stops the workers at once when
  the block ends by an exception.
"""
from __future__ import annotations

import concurrent.futures as cf
import contextlib
import ctypes
import os
import signal
import sys
import threading
import time

from .common.errors import UserError

MAX_WORKERS = 256
_THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
# C setters taking an int by value (the names with a trailing '_' alone are Fortran: int *)
_BLAS_SETTERS = ("openblas_set_num_threads", "openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
                 "scipy_openblas_set_num_threads64_", "MKL_Set_Num_Threads")


class InProcess(cf.Executor):
    """One worker: this process.  `submit` runs the call at once; `completed` runs the tasks
    one at a time instead, so each result is recorded before the next task starts."""

    def submit(self, fn, /, *args, **kwargs):
        fut = cf.Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except Exception as exc:      # KeyboardInterrupt propagates
            fut.set_exception(exc)
        return fut


def check_workers(workers):
    """The number of processes `--workers` asks for (None: all cores); UserError unless 1..256."""
    if workers is None:
        return max(1, min(os.cpu_count() or 1, MAX_WORKERS))
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= MAX_WORKERS:
        raise UserError(f"--workers must be a whole number between 1 and {MAX_WORKERS}, got {workers}")
    return workers


def executor(workers=None):
    """N worker processes (`--workers N`; None = all cores), or `InProcess()` for one, which
    also limits this process's BLAS to one thread."""
    n = check_workers(workers)
    if n == 1:
        limit_threads(1)
        return InProcess()
    return cf.ProcessPoolExecutor(max_workers=n, initializer=_init_worker, initargs=(os.getpid(),))


@contextlib.contextmanager
def pool(workers=None):
    """`executor(workers)` for a block: shut down normally at its end, stopped at once
    (pending tasks cancelled, workers terminated) when it ends by an exception."""
    ex = executor(workers)
    try:
        yield ex
    except BaseException:
        stop(ex)
        raise
    ex.shutdown()


def stop(ex):
    """Cancel what has not started and terminate the worker processes (a process pool)."""
    if ex is None or isinstance(ex, InProcess):
        return
    with _no_sigint():                # a second Ctrl-C must not break the cleanup half-way
        procs = list((getattr(ex, "_processes", None) or {}).values())   # shutdown() forgets them
        try:
            ex.shutdown(wait=False, cancel_futures=True)
        except TypeError:             # an executor without cancel_futures (dask)
            ex.shutdown(wait=False)
        for p in procs:
            with contextlib.suppress(Exception):
                p.terminate()
        for p in procs:
            with contextlib.suppress(Exception):
                p.join(2)
                if p.is_alive():
                    p.kill()


@contextlib.contextmanager
def _no_sigint():
    try:
        old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:                # not the main thread: signals are not ours to set
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


def completed(ex, fn, tasks):
    """Yield (k, fn(tasks[k])) as tasks finish: in order in this process when `ex` is None
    or InProcess, else in completion order on `ex`.  Closing the generator early cancels
    the tasks not started; a KeyboardInterrupt also terminates a process pool's workers."""
    if ex is None or isinstance(ex, InProcess):
        for k, t in enumerate(tasks):
            yield k, fn(t)
        return
    futures = {}
    try:
        for k, t in enumerate(tasks):
            futures[ex.submit(fn, t)] = k
        for f in cf.as_completed(futures):
            yield futures[f], f.result()
    except KeyboardInterrupt:
        stop(ex)
        raise
    finally:
        for f in futures:
            f.cancel()


def progress_text(done: int, total: int, start: float, label: str = "{done}/{total} done") -> str:
    """The progress line of a long run, drawn over itself on stderr:
    '<label>, Xs elapsed, ~Ys left', the time left extrapolated from the rate so far."""
    el = time.time() - start
    return "\r" + label.format(done=done, total=total) + f", {el:.0f}s elapsed, ~{el / done * (total - done):.0f}s left"


def limit_threads(n=1):
    """BLAS/OpenMP threads of this process: the environment for libraries not loaded yet,
    and OpenBLAS/MKL already loaded (found in /proc/self/maps) through their setters."""
    for var in _THREAD_ENV:
        os.environ[var] = str(n)
    if not sys.platform.startswith("linux"):
        return
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as fh:
            libs = {line.split()[-1] for line in fh
                    if ".so" in line and ("blas" in line.lower() or "mkl" in line.lower())}
    except OSError:
        return
    for path in sorted(libs):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name in _BLAS_SETTERS:
            setter = getattr(lib, name, None)
            if setter is not None:
                with contextlib.suppress(Exception):
                    setter(ctypes.c_int(n))


def _init_worker(parent_pid):
    """Runs first in each worker process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is the parent's to handle
    _die_with_parent(parent_pid)
    limit_threads(1)


def _die_with_parent(parent_pid):
    """SIGTERM when the parent dies (even by kill -9), so no worker is left orphaned."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            PR_SET_PDEATHSIG = 1
            if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) == 0:
                if os.getppid() != parent_pid:     # the parent died before prctl
                    os._exit(1)
                return
        except (OSError, AttributeError):
            pass

    def watch():
        import time
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="replica-parent-watch").start()
