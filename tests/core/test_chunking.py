"""Chunk planning invariants (hypothesis) against a brute-force reference."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from vidgen_core.adapters.local.planner import LocalPlanner
from vidgen_core.domain.catalog import VIDEO_MODELS
from vidgen_core.domain.chunking import clips_for, plan_chunks
from vidgen_core.domain.editing import CLIPS_BEFORE_REANCHOR
from vidgen_core.domain.models import Chunk, ChunkPlan, ChunkSet, FrameSource
from vidgen_core.pipeline.requests import build_request
from vidgen_core.pipeline.verify import chunk_checks
from vidgen_core.settings import Settings

ALLOWED = st.sets(st.integers(2, 12), min_size=1, max_size=3).map(lambda s: tuple(sorted(s)))


def brute_force(duration: int, allowed: tuple[int, ...]) -> tuple[int, int]:
    """(least waste, fewest clips at that waste) by enumeration."""
    best = None
    for n in range(1, duration // min(allowed) + 2):
        for combo in itertools.combinations_with_replacement(allowed, n):
            if sum(combo) >= duration:
                cand = (sum(combo) - duration, n)
                best = cand if best is None or cand < best else best
    assert best is not None
    return best


@hsettings(max_examples=200, deadline=None)
@given(duration=st.integers(1, 40), allowed=ALLOWED)
def test_clips_cover_with_least_waste_then_fewest_clips(duration: int, allowed: tuple[int, ...]) -> None:
    clips = clips_for(duration, allowed)
    assert sum(clips) >= duration and set(clips) <= set(allowed)
    assert (sum(clips) - duration, len(clips)) == brute_force(duration, allowed)
    assert list(clips) == sorted(clips, reverse=True)


@hsettings(max_examples=120, deadline=None)
@given(
    duration=st.integers(5, 120),
    model=st.sampled_from(sorted(VIDEO_MODELS)),
    prompt=st.sampled_from(["Create a Nike ad", "lifestyle coffee ad", "Introducing the new phone"]),
)
def test_chunks_anchor_each_beat_and_cover_it_exactly(duration: int, model: str, prompt: str) -> None:
    spec = LocalPlanner().plan(build_request(prompt, Settings(), duration_s=duration, model=model)).spec
    plans = plan_chunks(spec, VIDEO_MODELS[model].clip_durations_s)
    assert [p.index for p in plans] == list(range(len(plans)))
    for beat in spec.beats:
        mine = [p for p in plans if p.beat_index == beat.index]
        assert mine, f"beat {beat.index} has no chunk"
        assert mine[0].source == "storyboard" and [p.part for p in mine] == list(range(len(mine)))
        anchored = [p.part for p in mine if p.source == FrameSource.STORYBOARD]  # re-anchors on the keyframe
        assert anchored == list(range(0, len(mine), CLIPS_BEFORE_REANCHOR))
        assert all(p.source == FrameSource.PREVIOUS_CHUNK for p in mine if p.part not in anchored)
        assert abs(sum(p.use_s for p in mine) - beat.duration_s) < 1e-9
        assert all(0 < p.use_s <= p.clip_s for p in mine)
        assert all(p.clip_s in VIDEO_MODELS[model].clip_durations_s for p in mine)
    assert [p.beat_index for p in plans] == sorted(p.beat_index for p in plans)


def test_seed_example_hailuo_fast() -> None:
    assert clips_for(5, (6, 10)) == (6,)
    assert clips_for(15, (6, 10)) == (10, 6)
    assert clips_for(15, (4, 6, 8)) == (8, 8)


@hsettings(max_examples=150, deadline=None)
@given(duration=st.integers(5, 90), allowed=ALLOWED)
def test_a_long_beat_re_anchors_on_its_storyboard_image(duration: int, allowed: tuple[int, ...]) -> None:
    """A one-beat ad as long as 45 clips: the chain restarts from the keyframe every CLIPS_BEFORE_REANCHOR clips, so
    no clip is more than CLIPS_BEFORE_REANCHOR - 1 links from its storyboard image, and chunk_checks agree."""
    base = LocalPlanner().plan(build_request("Create a Nike ad", Settings(), duration_s=5)).spec
    beat = base.beats[0].model_copy(update={"duration_s": duration})
    spec = base.model_copy(update={"duration_s": duration, "beats": [beat]})
    plans = plan_chunks(spec, allowed)
    links = 0
    for plan in plans:
        links = 0 if plan.source == FrameSource.STORYBOARD else links + 1
        assert links < CLIPS_BEFORE_REANCHOR
    assert (plans[-1].part >= CLIPS_BEFORE_REANCHOR) == any(p.source == "storyboard" and p.part for p in plans)
    chunks = ChunkSet(chunks=[_made(p) for p in plans])
    assert all(o.passed for o in chunk_checks(spec, chunks)), chunk_checks(spec, chunks)[0].metadata
    chained = [
        c.model_copy(update={"plan": c.plan.model_copy(update={"source": FrameSource.PREVIOUS_CHUNK})})
        for c in chunks.chunks
    ]
    broken = chunk_checks(spec, ChunkSet(chunks=[chunks.chunks[0], *chained[1:]]))
    assert broken[0].passed is (len(plans) <= CLIPS_BEFORE_REANCHOR)  # a chain that never re-anchors is named


def test_a_plan_stored_before_re_anchoring_keeps_its_chain() -> None:
    """A spec stored before PLAN_VERSION (old_plan) chains every later clip, as its clips were made: re-anchoring
    it would change the first frame, and so the key, of every paid clip after the third."""
    base = LocalPlanner().plan(build_request("Create a Nike ad", Settings(), duration_s=5)).spec
    beat = base.beats[0].model_copy(update={"duration_s": 30})
    spec = base.model_copy(update={"duration_s": 30, "beats": [beat]})
    old = spec.model_copy(update={"plan_version": 0})
    assert [p.source for p in plan_chunks(spec, (5,))][3] == FrameSource.STORYBOARD
    assert [p.source for p in plan_chunks(old, (5,))][1:] == [FrameSource.PREVIOUS_CHUNK] * 5
    chunks = ChunkSet(chunks=[_made(p) for p in plan_chunks(old, (5,))])
    assert chunk_checks(old, chunks)[0].passed


def _made(plan: ChunkPlan) -> Chunk:
    """A chunk as make_chunks records it, lasting its whole clip."""
    return Chunk(
        plan=plan,
        key=f"c{plan.index}.mp4",
        last_frame_key=f"c{plan.index}.png",
        first_frame_key="s.png",
        duration_s=plan.clip_s,
        width=64,
        height=64,
        fps=24,
        has_audio=False,
    )
