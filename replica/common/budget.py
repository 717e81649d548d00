"""A wall-clock budget for pure-Python work that may not finish (sympy's integrate and
simplify on a user's formula): the block is interrupted by SIGALRM after `seconds`.

Only the main thread can take signals; elsewhere the block runs unbounded.  An outer timer
(a test harness's, another budget) is kept: the sooner deadline wins and the outer one is
re-armed afterwards with what is left of it.
"""
from __future__ import annotations

import contextlib
import signal
import threading
import time


class BudgetExceeded(Exception):
    """The block ran out of its time budget."""


def _raise(signum, frame):
    raise BudgetExceeded()


@contextlib.contextmanager
def time_budget(seconds: float):
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return
    outer_delay, outer_interval = signal.getitimer(signal.ITIMER_REAL)
    if outer_delay and outer_delay <= seconds:   # the outer deadline comes first: leave it alone
        yield
        return
    t0 = time.monotonic()
    old = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        if outer_delay:
            signal.setitimer(signal.ITIMER_REAL, max(outer_delay - (time.monotonic() - t0), 1e-3), outer_interval)
