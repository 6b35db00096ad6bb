"""Stopping a video's calls promptly (Ctrl-C, a canceled run): no new paid call starts, and a call in flight stops at
its next wait. What finished is kept; a call cut off keeps its ledger reservation and its journaled prediction, so
`vidgen resume` polls that prediction again instead of paying twice."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from vidgen_core.errors import VidgenError

_local = threading.local()


class Stopped(VidgenError):
    """The video's work was told to stop; what finished is kept."""

    def __init__(self) -> None:
        super().__init__("stopped before it finished; what was made is kept")


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
