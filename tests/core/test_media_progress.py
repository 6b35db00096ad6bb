"""The media step's progress follows the pictures; music is reported only when the video waits for it; a failed
storyboard check stops the clips."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from vidgen_core.adapters.local.planner import LocalPlanner
from vidgen_core.adapters.registry import build_providers
from vidgen_core.adapters.storage import LocalStore
from vidgen_core.domain.errors import VidgenError
from vidgen_core.domain.models import MusicTrack, Phase, Storyboard
from vidgen_core.domain.ports import Generated, MusicGenerator, VideoGenerator
from vidgen_core.persistence.ledger import Ledger
from vidgen_core.pipeline.calls import CallCache
from vidgen_core.pipeline.phases import make_media, make_storyboard
from vidgen_core.pipeline.registry import ORDER, PHASES, percent
from vidgen_core.pipeline.requests import build_request
from vidgen_core.settings import Settings


def test_the_shares_follow_a_full_run_and_starting_the_aspects_never_runs_ahead_of_the_cut() -> None:
    """The aspects are made from the media beside the master's cut, in whichever order the steps start; progress
    never goes back, so starting them (or finding no aspect to make) must not claim the cut and final done. The
    shares of a full run make 100; the review preview is off its path."""
    cut = percent(Phase.STITCHED_VIDEO, 0, 1)
    assert percent(Phase.ASPECTS, 0, 1) <= cut and percent(Phase.ASPECTS, 1, 1) <= cut
    assert PHASES[Phase.PREVIEW].share == 0.0
    assert sum(e.share for p, e in PHASES.items() if p != Phase.PREVIEW) == 100.0


class After:
    """A provider that starts its work only once ``gate`` is set, and sets ``done`` when it has finished."""

    def __init__(self, inner: MusicGenerator | VideoGenerator, gate: threading.Event) -> None:
        self.inner, self.gate, self.provider, self.done = inner, gate, inner.provider, threading.Event()

    def generate(self, job: Any, out: Path) -> Generated:
        assert self.gate.wait(60), "never released"
        made = self.inner.generate(job, out)
        self.done.set()
        return made


@pytest.mark.slow  # each renders its clips
@pytest.mark.parametrize("music_last", [True, False])
def test_the_current_phase_never_flips_back(settings: Settings, music_last: bool) -> None:
    request = build_request("Create a 10-second Nike ad", settings, video_id="vid-progress")
    spec = LocalPlanner().plan(request).spec
    providers = build_providers(settings, request)
    free, chunks_done = threading.Event(), threading.Event()
    free.set()
    if music_last:  # the music starts only after the last chunk was reported
        music = After(providers.music, chunks_done)
        providers = replace(providers, music=music)
    else:  # the clips start only after the music has finished
        music = After(providers.music, free)
        providers = replace(providers, music=music, video=After(providers.video, music.done))
    calls = CallCache(LocalStore(settings.storage_dir), Ledger(settings.db_url), spec.user_id, spec.video_id)
    reports: list[tuple[Phase, int, int]] = []

    def progress(phase: Phase, done: int, total: int) -> None:
        reports.append((phase, done, total))
        if phase == Phase.VIDEO_CHUNKS and done == total:
            chunks_done.set()

    made = [m for m, _, _ in make_media(spec, LocalStore(settings.storage_dir), providers, calls, progress)]
    assert sorted(type(m).__name__ for m in made) == ["ChunkSet", "MusicTrack", "Storyboard", "Voiceover"]
    phases = [phase for phase, _, _ in reports]
    order = [ORDER.index(phase) for phase in phases]
    assert phases[0] == Phase.STORYBOARD and Phase.VIDEO_CHUNKS in phases
    if music_last:  # the video then waits for its music, and says so
        assert reports[-2:] == [(Phase.MUSIC, 0, 1), (Phase.MUSIC, 1, 1)]
        assert all(p != Phase.MUSIC for p in phases[:-2])
        assert order[:-2] == sorted(order[:-2])
    else:  # music was never what the video waited for
        assert Phase.MUSIC not in phases and order == sorted(order)


class Counting:
    """A video generator that counts the clips asked of it."""

    def __init__(self, inner: VideoGenerator) -> None:
        self.inner, self.provider, self.calls = inner, inner.provider, 0

    def generate(self, job: Any, out: Path) -> Generated:
        self.calls += 1
        return self.inner.generate(job, out)


def test_a_failed_storyboard_check_stops_the_clips_and_keeps_the_music(settings: Settings) -> None:
    request = build_request("Create a 10-second Nike ad", settings, video_id="vid-gate")
    spec = LocalPlanner().plan(request).spec
    store = LocalStore(settings.storage_dir)
    calls = CallCache(store, Ledger(settings.db_url), spec.user_id, spec.video_id)
    providers = build_providers(settings, request)
    make_storyboard(spec, store, providers, calls)
    cached = sorted((settings.storage_dir / spec.user_id / "cache").rglob("image.png"))[1]
    cached.write_bytes(cached.read_bytes()[:300])  # a cached image cut short (say, by a disk that filled up)
    clips = Counting(providers.video)
    made: list[object] = []
    with pytest.raises(VidgenError, match="storyboard check one_image_per_beat failed") as failed:
        for media, _, checks in make_media(spec, store, replace(providers, video=clips), calls):
            made.append(media)
            if isinstance(media, Storyboard):  # the checks that stopped the clips, for the asset to report
                assert [(c.name, c.passed) for c in checks] == [("one_image_per_beat", False)]
    assert clips.calls == 0  # no clip was paid for from a bad storyboard
    assert [type(m) for m in made].count(MusicTrack) == 1 and Storyboard in [type(m) for m in made]
    assert failed.value.phase == Phase.STORYBOARD
    message = str(failed.value)
    assert f"vidgen regenerate {spec.video_id} --beat N" in message and str(settings.home) not in message
