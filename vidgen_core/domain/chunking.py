"""Chunk planning: which clips to ask the video model for, and where each one's first frame comes from."""

from __future__ import annotations

from functools import lru_cache

from vidgen_core.domain.editing import CLIPS_BEFORE_REANCHOR
from vidgen_core.domain.models import ChunkPlan, FrameSource, VideoSpec


@lru_cache(maxsize=512)
def clips_for(duration_s: int, allowed: tuple[int, ...]) -> tuple[int, ...]:
    """Clip lengths from ``allowed`` that cover ``duration_s`` with the least waste, then the fewest clips.

    Longer clips come first so the trimmed clip is the last one of the beat.
    """
    if duration_s <= 0 or not allowed or min(allowed) <= 0:
        raise ValueError("need a positive duration and positive allowed clip lengths")
    limit = duration_s + max(allowed)
    best: list[tuple[int, ...] | None] = [None] * (limit + 1)
    best[0] = ()
    for total in range(1, limit + 1):
        options = [best[total - a] + (a,) for a in allowed if a <= total and best[total - a] is not None]
        if options:
            best[total] = min(options, key=len)
    for total in range(duration_s, limit + 1):
        if best[total] is not None:
            return tuple(sorted(best[total], reverse=True))
    raise ValueError(f"cannot cover {duration_s}s with clips of {allowed}")


def first_frame_source(part: int, reanchor: bool = True) -> FrameSource:
    """Where the ``part``-th clip of a beat starts: its storyboard image for the first clip and every
    ``CLIPS_BEFORE_REANCHOR``-th after it (a long chain drifts from the keyframe, so it re-anchors), otherwise the
    previous clip's last frame. A plan stored before re-anchoring (``VideoSpec.old_plan``) does not: its clips were
    made without it and would be paid for again."""
    anchored = part == 0 or (reanchor and part % CLIPS_BEFORE_REANCHOR == 0)
    return FrameSource.STORYBOARD if anchored else FrameSource.PREVIOUS_CHUNK


def plan_chunks(spec: VideoSpec, allowed: tuple[int, ...]) -> list[ChunkPlan]:
    """Every chunk of the video in timeline order, numbered globally.

    The first chunk of a beat starts from the beat's storyboard image, and so does every ``CLIPS_BEFORE_REANCHOR``-th
    later one (``first_frame_source``); the others start from the previous chunk's last frame. ``use_s`` is what the
    stitcher keeps, so each beat lasts exactly its length.
    """
    plans: list[ChunkPlan] = []
    for beat in spec.beats:
        remaining = float(beat.duration_s)
        for part, clip in enumerate(clips_for(beat.duration_s, tuple(sorted(set(allowed))))):
            use = min(float(clip), remaining)
            plans.append(
                ChunkPlan(
                    index=len(plans),
                    beat_index=beat.index,
                    part=part,
                    clip_s=clip,
                    use_s=use,
                    source=first_frame_source(part, not spec.old_plan),
                )
            )
            remaining -= use
    return plans
