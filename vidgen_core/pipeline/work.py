"""Work shared by the phases: counting finished items for progress, and running items a few at once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from typing import TypeVar

from vidgen_core.domain.models import Phase
from vidgen_core.domain.progress import Progress

T, R = TypeVar("T"), TypeVar("R")


class Counter:
    """Counts finished items of a phase for its progress reports, from any thread."""

    def __init__(self, progress: Progress, phase: Phase, total: int) -> None:
        self.progress, self.phase, self.total, self.done, self.lock = progress, phase, total, 0, threading.Lock()
        progress(phase, 0, total)

    def one(self) -> str:
        """Count one more finished item; returns "k/n" for the log line."""
        with self.lock:
            self.done += 1
            self.progress(self.phase, self.done, self.total)
            return f"{self.done}/{self.total}"


def concurrently(work: Callable[[T], R], items: Sequence[T], workers: int) -> list[R]:
    """``work`` on every item, ``workers`` at once, results in item order. Every item is finished (or failed)
    before the first failure is raised, so what succeeded is kept."""
    if workers <= 1 or len(items) <= 1:
        return [work(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(workers, len(items)), thread_name_prefix="vidgen-call") as pool:
        futures = [pool.submit(work, item) for item in items]
        wait(futures)
    failed = [f.exception() for f in futures if f.exception() is not None]
    if failed:
        raise failed[0]  # type: ignore[misc]
    return [f.result() for f in futures]
