"""The reporting port for how far along a video is (the shares of the work are in the phase registry)."""

from __future__ import annotations

from typing import Protocol

from vidgen_core.domain.models import Phase


class Progress(Protocol):
    """Told when a phase starts (``done=0``) and after each item it finishes."""

    def __call__(self, phase: Phase, done: int, total: int) -> None: ...


def no_progress(phase: Phase, done: int, total: int) -> None:
    """The reporter for runs nobody watches (tests, hand-made partitions)."""
