"""One plan, many aspects: an aspect's own images and clips are calls of their own (never the master's), and a new
take of a beat pays again for that beat alone, in the master and in every aspect."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from vidgen_core.adapters.ffmpeg.probe import probe
from vidgen_core.adapters.ffmpeg.tools import ffmpeg_exe
from vidgen_core.adapters.local.planner import LocalPlanner
from vidgen_core.adapters.registry import build_providers
from vidgen_core.adapters.storage import LocalStore
from vidgen_core.domain.catalog import frame_size, image_model, video_model
from vidgen_core.domain.chunking import plan_chunks
from vidgen_core.domain.costs import beat_estimate, by_aspect, estimate_request
from vidgen_core.domain.errors import InvalidRequest
from vidgen_core.domain.models import (
    AspectCut,
    AspectMode,
    AspectSet,
    Campaign,
    ChunkSet,
    Phase,
    RenderedVideo,
    Transition,
    VideoSpec,
)
from vidgen_core.persistence.ledger import CallState, Ledger
from vidgen_core.persistence.takes import TakeDB
from vidgen_core.pipeline import phases
from vidgen_core.pipeline.aspects import aspect_spec, native_pictures
from vidgen_core.pipeline.calls import CallCache
from vidgen_core.pipeline.requests import build_request
from vidgen_core.pipeline.takes import check_aspects, new_take, regenerate_beat, select_take
from vidgen_core.pipeline.verify_aspects import aspect_checks
from vidgen_core.settings import Settings


def _pictures(spec: VideoSpec, settings: Settings) -> None:
    """The master's storyboard and clips, then the 9:16 aspect's, all through one video's call cache."""
    store = LocalStore(settings.storage_dir)
    request = build_request("Create a 10-second Nike ad", settings, video_id=spec.video_id)
    providers = build_providers(settings, request)
    calls = CallCache(store, Ledger(settings.db_url), spec.user_id, spec.video_id)
    board = phases.make_storyboard(spec, store, providers, calls)
    phases.make_chunks(spec, board, store, providers, calls, settings=settings)
    native_pictures(aspect_spec(spec, "9:16"), store, providers, calls, lambda _: 1, settings)


def _paid(settings: Settings, video_id: str, seen: int = 0) -> list[tuple[str, int | None, str]]:
    rows = Ledger(settings.db_url).rows(video_id)[seen:]
    return sorted((r.item, r.beat_index, r.cache_key) for r in rows if r.state == CallState.PAID)


def test_an_aspect_pays_its_own_pictures_and_a_take_repays_its_beat_in_each(settings: Settings) -> None:
    request = build_request("Create a 10-second Nike ad", settings, video_id="vid-aspects", aspects=["16:9", "9:16"])
    spec = LocalPlanner().plan(request).spec.model_copy(update={"campaign": request.campaign})
    _pictures(spec, settings)
    first = _paid(settings, spec.video_id)
    store, tall = LocalStore(settings.storage_dir), aspect_spec(spec, "9:16")
    chunks = plan_chunks(spec, video_model(spec.video_model).clip_durations_s)
    master = [row for row in first if "/" not in row[0]]
    aspect = [row for row in first if row[0].startswith("9x16/")]
    assert len(aspect) == len(master) == len(first) / 2  # every image and clip again, named for its aspect
    assert len({key for *_, key in first}) == len(first)  # and never one of the master's calls
    assert spec.aspect_ratio == "16:9" and len(master) == len(spec.beats) + len(chunks)
    # its files are its own, at its own frame, under deliverables/9x16/
    width, height = frame_size(image_model(spec.image_model).short_side, "9:16")
    keys = phases.keys_for(tall)
    for beat in spec.beats:
        with Image.open(store.local_path(keys.storyboard(beat.index))) as img:
            assert img.size == (width, height)
    clip = probe(store.local_path(keys.chunk(0)))
    assert clip.height > clip.width and "deliverables/9x16/" in keys.chunk(0)

    again = len(Ledger(settings.db_url).rows(spec.video_id))
    beats = [b.model_copy(update={"take": 1}) if b.index == 1 else b for b in spec.beats]
    _pictures(spec.model_copy(update={"beats": beats}), settings)  # a new take of beat 1
    repaid = _paid(settings, spec.video_id, again)
    assert repaid and {beat for _, beat, _ in repaid} == {1}  # beat 1 alone...
    assert sorted(item.removeprefix("9x16/") for item, _, _ in repaid if item.startswith("9x16/")) == sorted(
        item for item, _, _ in repaid if "/" not in item
    )  # ...its image and clips, in the master and in the aspect
    assert {item for item, _, _ in repaid} == {item for item, beat, _ in first if beat == 1}


def test_an_aspects_pictures_are_booked_under_aspects_in_their_beats(settings: Settings) -> None:
    """The estimate prices a native aspect's images and clips under ``aspects``; the ledger books them there too
    (the API's cost_by_phase), each row keeping its variant in its item and its beat (``vidgen show``'s beat cost)."""
    request = build_request("Create a 10-second Nike ad", settings, video_id="vid-booked", aspects=["16:9", "9:16"])
    spec = LocalPlanner().plan(request).spec.model_copy(update={"campaign": request.campaign})
    _pictures(spec, settings)
    rows = [r for r in Ledger(settings.db_url).rows(spec.video_id) if r.state == CallState.PAID]
    tall, master = [r for r in rows if r.item.startswith("9x16/")], [r for r in rows if "/" not in r.item]
    assert tall and {r.phase for r in tall} == {Phase.ASPECTS}
    assert {r.phase for r in master} == {Phase.STORYBOARD, Phase.VIDEO_CHUNKS}
    assert sorted((r.item.removeprefix("9x16/"), r.beat_index) for r in tall) == sorted(
        (r.item, r.beat_index) for r in master
    )


def test_the_estimate_counts_pictures_once_per_native_aspect(settings: Settings) -> None:
    def priced(**campaign: object) -> dict[Phase, float]:
        request = build_request(
            "Create a 30-second Nike ad",
            settings,
            planner="openai",
            media="replicate",
            need_credentials=False,
            **campaign,
        )
        return estimate_request(request)

    one = priced()
    pictures = one[Phase.STORYBOARD] + one[Phase.VIDEO_CHUNKS]
    native = priced(aspects=["16:9", "9:16", "1:1", "4:5"])
    assert native[Phase.ASPECTS] == pytest.approx(3 * pictures)  # three more aspects' images and clips
    assert {p: v for p, v in native.items() if p != Phase.ASPECTS} == one  # the plan, voice and music once
    split = by_aspect(native, "16:9", Campaign(aspects=("9:16", "1:1", "4:5")))
    assert split == pytest.approx({"16:9": pictures, "9:16": pictures, "1:1": pictures, "4:5": pictures})
    reframed = priced(aspects=["16:9", "9:16", "1:1", "4:5"], reframe=True)
    assert reframed == one  # cropped from the master's clips: nothing more
    assert by_aspect(reframed, "16:9", Campaign(aspects=("9:16",), reframe=True)) == {"16:9": pictures, "9:16": 0.0}


def _miscut(spec: VideoSpec, late: int, out: Path) -> Path:
    """The ad's length in frames at a wrong size, one colour per beat under moving grain, beat 1 ``late`` frames
    late: an aspect whose cut failed its checks."""
    fps = video_model(spec.video_model).fps
    frames = [b.duration_s * fps for b in spec.beats]
    frames[0], frames[1] = frames[0] + late, frames[1] - late
    colours = ["red", "blue", "green", "yellow", "white", "purple", "orange", "gray"]
    cmd = [ffmpeg_exe(), "-v", "error", "-y"]
    for i, _ in enumerate(frames):
        cmd += ["-f", "lavfi", "-i", f"color=c={colours[i % len(colours)]}:s=160x90:r={fps}"]
    parts = "".join(f"[{i}:v]trim=end_frame={n},setpts=PTS-STARTPTS[s{i}];" for i, n in enumerate(frames))
    joined = "".join(f"[s{i}]" for i in range(len(frames)))
    graph = f"{parts}{joined}concat=n={len(frames)}:v=1:a=0,noise=alls=20:allf=t+u,format=yuv420p[v]"
    subprocess.run([*cmd, "-filter_complex", graph, "-map", "[v]", "-c:v", "libx264", str(out)], check=True)
    return out


def test_a_failed_aspect_check_says_what_fixes_it(settings: Settings, tmp_path: Path) -> None:
    """Checks are not gates, so `vidgen resume` finds the video complete: a beat off its frame is fixed by a new
    take of it, a wrong size by cutting the aspects again (materializing the aspects asset)."""
    request = build_request("Create a 10-second Nike ad", settings, video_id="vid-miscut", aspects=["16:9", "9:16"])
    planned = LocalPlanner().plan(request).spec
    beats = [b.model_copy(update={"transition": Transition.CUT}) for b in planned.beats]
    spec = planned.model_copy(update={"campaign": request.campaign, "beats": beats})
    store, key = LocalStore(settings.storage_dir), "ana/videos/vid-miscut/deliverables/9x16/final.mp4"
    store.put_file(key, _miscut(spec, 3, tmp_path / "cut.mp4"))
    info = probe(store.local_path(key))
    shown = RenderedVideo(
        key=key, duration_s=info.duration_s, width=info.width, height=info.height, fps=info.fps, has_audio=False,
        size_bytes=info.size_bytes,
    )  # fmt: skip
    cut = AspectCut(
        aspect="9:16", variant="9x16", mode=AspectMode.NATIVE, chunks=ChunkSet(chunks=[]), stitched=shown, final=shown
    )
    timing, size = aspect_checks(spec, AspectSet(cuts=[cut]), store)
    assert not timing.passed and not size.passed
    assert "beat 1's cut is 3 frame(s) late" in timing.description
    assert f"`vidgen regenerate {spec.video_id} --beat 1 --aspect 9:16`" in timing.description  # it alone pays
    assert f"materialize the aspects asset of partition {spec.video_id}" in size.description
    assert "resume" not in timing.description + size.description


def test_a_take_for_some_aspects_leaves_the_others_their_take(settings: Settings, tmp_path: Path) -> None:
    """A beat regenerated for 9:16 only is that beat's take in 9:16 alone: the master keeps its take, and a take
    made after it for every aspect is every aspect's again. The takes table of an older vidgen gets the column."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    with sqlite3.connect(tmp_path / "old.db") as conn:  # beat_takes as vidgen made it before aspects
        conn.execute(
            "CREATE TABLE beat_takes (video_id VARCHAR(64), beat_index INTEGER, take INTEGER, image_prompt TEXT, "
            "motion_prompt TEXT, run_id VARCHAR(64), created_at DATETIME NOT NULL, selected_at DATETIME NOT NULL, "
            "PRIMARY KEY (video_id, beat_index, take))"
        )
    takes = TakeDB(url)
    request = build_request(
        "Create a 10-second Nike ad", settings, video_id="vid-tall", aspects=["16:9", "9:16", "1:1"]
    )
    plan = LocalPlanner().plan(request).spec.model_copy(update={"campaign": request.campaign})
    ledger, video = Ledger(settings.db_url), plan.video_id
    _, paid = regenerate_beat(takes, ledger, plan, request, 1, "the shoe on ice", aspects=["9:16"])
    spec = plan.with_takes(takes.current(video))
    tall, square = aspect_spec(spec, "9:16"), aspect_spec(spec, "1:1")
    assert spec.beats == plan.beats and square.beats == plan.beats  # the master's and 1:1's beat 1 as planned
    assert (tall.beats[1].take, tall.beats[1].image_prompt) == (1, "the shoe on ice")
    assert [b for b in tall.beats if b.index != 1] == [b for b in plan.beats if b.index != 1]
    assert paid == 0.0 and takes.all(video)[-1].aspects == ("9:16",)  # local media are free; kept in the table

    new_take(takes, video, 1, "the shoe in the rain")  # every aspect
    spec = plan.with_takes(takes.current(video))
    assert [t.take for t in takes.current(video)] == [2] and spec.aspect_takes == []
    assert {aspect_spec(spec, a).beats[1].image_prompt for a in ("9:16", "1:1")} == {"the shoe in the rain"}
    new_take(takes, video, 1, aspects=("16:9",))  # a re-roll of the master alone: 9:16 and 1:1 keep take 2
    spec = plan.with_takes(takes.current(video))
    assert spec.beats[1].take == 3 and {aspect_spec(spec, a).beats[1].take for a in ("9:16", "1:1")} == {2}
    assert aspect_spec(spec, "9:16").beats[1].image_prompt == "the shoe in the rain"
    tall = new_take(takes, video, 1, aspects=("9:16",))  # a re-roll in 9:16 keeps 9:16's prompts, not the master's
    assert (tall.take, tall.image_prompt) == (4, "the shoe in the rain")
    select_take(takes, video, 1, 1)  # back to the first 9:16 take: the master keeps its take 3, 1:1 its take 2
    spec = plan.with_takes(takes.current(video))
    assert (spec.beats[1].take, aspect_spec(spec, "9:16").beats[1].take, aspect_spec(spec, "1:1").beats[1].take) == (
        3,
        1,
        2,
    )


def test_a_take_for_some_aspects_is_priced_and_checked_for_them(settings: Settings) -> None:
    request = build_request(
        "Create a 10-second Nike ad",
        settings,
        video_id="vid-priced",
        media="replicate",
        need_credentials=False,
        aspects=["16:9", "9:16", "1:1"],
    )
    spec = LocalPlanner().plan(request).spec.model_copy(update={"campaign": request.campaign})
    every = beat_estimate(spec, request, 1)
    assert beat_estimate(spec, request, 1, aspects=("9:16",)) == pytest.approx(every / 3)
    assert beat_estimate(spec, request, 1, aspects=("16:9", "1:1")) == pytest.approx(2 * every / 3)
    assert check_aspects(spec, ["1:1", "16:9", "9:16"]) is None  # all of them: every aspect
    assert check_aspects(spec, ["1:1", "16:9"]) == ("16:9", "1:1")
    with pytest.raises(InvalidRequest, match="delivered in 16:9, 9:16, 1:1, not 4:5"):
        check_aspects(spec, ["4:5"])
    reframed = spec.model_copy(update={"campaign": spec.campaign.model_copy(update={"reframe": True})})
    with pytest.raises(InvalidRequest, match="cropped from its 16:9 clips"):
        check_aspects(reframed, ["9:16"])
