"""How far along a video is: the phases in run order, their share of the work, and the reporting port."""

from __future__ import annotations

from typing import Protocol

from vidgen_core.domain.models import Phase

# Share of a typical run's wall time per phase (seed timings: plan 7 s, images 32 s, chunks 5.5 min, music 2 min).
PHASE_SHARE: dict[Phase, float] = {
    Phase.VIDEO_SPEC: 2.0,
    Phase.STORYBOARD: 8.0,
    Phase.MUSIC: 15.0,
    Phase.VIDEO_CHUNKS: 65.0,
    Phase.STITCHED_VIDEO: 3.0,
    Phase.FINAL_VIDEO: 7.0,
}
PHASES = tuple(PHASE_SHARE)


class Progress(Protocol):
    """Told when a phase starts (``done=0``) and after each item it finishes."""

    def __call__(self, phase: Phase, done: int, total: int) -> None: ...


def no_progress(phase: Phase, done: int, total: int) -> None:
    """The reporter for runs nobody watches (tests, hand-made partitions)."""


def percent(phase: Phase, done: int, total: int) -> float:
    """0-100: the shares of the phases before ``phase`` plus its finished fraction."""
    before = sum(PHASE_SHARE[p] for p in PHASES[: PHASES.index(phase)])
    fraction = done / total if total else 0.0
    return round(before + PHASE_SHARE[phase] * min(max(fraction, 0.0), 1.0), 1)
