"""Stopping a video's calls promptly (Ctrl-C, a canceled run): no new paid call starts, and a call in flight stops at
its next wait. What finished is kept; a call cut off keeps its ledger reservation and its journaled prediction, so
`vidgen resume` polls that prediction again instead of paying twice."""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

from vidgen_core.domain.errors import VidgenError

_local = threading.local()
# The stop of each run's calls in this process, while any call of it can still run.
_runs: weakref.WeakValueDictionary[str, threading.Event] = weakref.WeakValueDictionary()
_runs_lock = threading.Lock()


class Stopped(VidgenError):
    """The video's work was told to stop; what finished is kept."""

    def __init__(self) -> None:
        super().__init__("stopped before it finished; what was made is kept")


def run_stop(run_id: str | None) -> threading.Event:
    """The event that stops the calls of run ``run_id``, shared by its steps; a new one once it is set (a step retried
    after its calls were stopped starts afresh) or without a run."""
    if run_id is None:
        return threading.Event()
    with _runs_lock:
        stop = _runs.get(run_id)
        if stop is None or stop.is_set():
            stop = _runs[run_id] = threading.Event()
        return stop


def stop_run(run_id: str) -> None:
    """Stop what is left of a run's calls once the run has ended. A step Dagster failed while it was suspended
    (Ctrl-C between two of its results) is never resumed, so it cannot stop its own calls; left running, they would
    keep the process from exiting."""
    with _runs_lock:
        stop = _runs.get(run_id)
    if stop is not None:
        stop.set()


@contextmanager
def watching(stop: threading.Event) -> Iterator[None]:
    """Make ``pause`` in this thread end early (raising Stopped) once ``stop`` is set."""
    before = getattr(_local, "stop", None)
    _local.stop = stop
    try:
        yield
    finally:
        _local.stop = before


def pause(seconds: float) -> None:
    """``time.sleep``, cut short by Stopped when this thread's call is told to stop."""
    stop: threading.Event | None = getattr(_local, "stop", None)
    if stop is None:
        time.sleep(seconds)
    elif stop.wait(seconds):
        raise Stopped()
