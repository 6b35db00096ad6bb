"""Continuity inside a beat: the local camera keeps its pace across a seam, and a model's chained clips are
colour-matched to their beat's keyframe, checked on decoded frames."""

from __future__ import annotations

import dataclasses
import itertools
import subprocess
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from PIL import Image

from vidgen_core.adapters.ffmpeg import ops
from vidgen_core.adapters.ffmpeg.colour import delta_e, fit_transfer, match_colour, match_frame, to_lab
from vidgen_core.adapters.ffmpeg.probe import probe
from vidgen_core.adapters.ffmpeg.tools import ffmpeg_exe
from vidgen_core.adapters.local.planner import LocalPlanner
from vidgen_core.adapters.local.video import LocalVideoGenerator, beat_maps
from vidgen_core.adapters.registry import build_providers
from vidgen_core.adapters.storage import LocalStore
from vidgen_core.domain.catalog import VIDEO_MODELS
from vidgen_core.domain.chunking import clips_for
from vidgen_core.domain.editing import CLIPS_BEFORE_REANCHOR
from vidgen_core.domain.models import Camera, FrameSource, Storyboard, StoryboardImage
from vidgen_core.domain.ports import ClipJob, Generated
from vidgen_core.persistence.ledger import Ledger
from vidgen_core.pipeline.calls import CallCache
from vidgen_core.pipeline.phases import make_chunks
from vidgen_core.pipeline.requests import build_request
from vidgen_core.settings import Settings

W, H, FPS = 256, 144, 24
RAW_RGB = ("-f", "rawvideo", "-pix_fmt", "rgb24", "-")
EXACT = ("-sws_flags", ops.EXACT_RGB, *RAW_RGB)
X264 = ("-c:v", "libx264", "-preset", "ultrafast", "-crf", "16", "-pix_fmt", "yuv420p")


def _pace(maps: list[np.ndarray], width: int, height: int) -> np.ndarray:
    """How far the picture moves on screen between consecutive frames: grid points of frame n+1 mapped to the
    storyboard and back through frame n, mean distance in pixels."""
    xs, ys = np.meshgrid(np.linspace(0, width, 9), np.linspace(0, height, 9))
    points = np.stack([xs.ravel(), ys.ravel(), np.ones(xs.size)])
    return np.array(
        [
            np.linalg.norm((np.linalg.inv(a) @ b @ points - points)[:2], axis=0).mean()
            for a, b in itertools.pairwise(maps)
        ]
    )


@hsettings(max_examples=60, deadline=None)
@given(
    camera=st.sampled_from([c for c in Camera if c is not Camera.STATIC]),
    model=st.sampled_from(sorted(VIDEO_MODELS)),
    seconds=st.integers(11, 30),
)
def test_the_local_camera_keeps_its_pace_across_a_seam(camera: Camera, model: str, seconds: int) -> None:
    """At every chained seam the on-screen motion is like its neighbours' (no ease to a standstill, no jump), and
    the camera rests only at the beat's two ends."""
    spec = VIDEO_MODELS[model]
    clips = clips_for(seconds, spec.clip_durations_s)[:CLIPS_BEFORE_REANCHOR]  # a chain, not yet re-anchored
    if len(clips) < 2:
        return
    width, height = spec.size("16:9")
    maps = beat_maps(camera, clips, spec.fps, width, height)
    starts = np.cumsum([0, *(c * spec.fps for c in clips)])[:-1]
    shown = [m for n, m in enumerate(maps) if n not in starts[1:]]  # the cut drops a chained clip's repeated frame
    pace = _pace(shown, width, height)
    seams = [start - 1 - part for part, start in enumerate(starts[1:])]  # pace[s]: a clip's last frame to the next's
    median = float(np.median(pace))
    for s in seams:
        ratio = pace[s] / median
        assert 0.3 < ratio < 2.0, (s, ratio)
        neighbours = pace[s - 2 : s + 3] / median
        assert (neighbours > 0.1).all(), neighbours  # no stall on either side
    assert pace[0] < 0.1 * median and pace[-1] < 0.1 * median  # the beat starts and ends at rest


def _gray(video: Path) -> np.ndarray:
    info = probe(video)
    out = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-i", str(video), *EXACT],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(out, np.uint8).reshape(-1, info.height, info.width, 3).astype(np.float32).mean(axis=3)


@pytest.mark.slow  # renders two chained 6-second clips
def test_chained_local_clips_neither_stall_nor_jump_at_the_seam(tmp_path: Path) -> None:
    """Two chained hailuo clips on file: the seam (the first clip's last frame to the second's frame 1, as the cut
    shows it once the repeated frame 0 is dropped) moves like the frames around it, and the second clip starts as
    bright as the first ends (the last frame is decoded without the fast path's darkening)."""
    settings = Settings(home=tmp_path / "home")
    rng = np.random.default_rng(3)
    image = Image.fromarray(rng.integers(0, 255, (48, 84, 3), dtype=np.uint8)).resize((1344, 768), Image.BICUBIC)
    image.save(tmp_path / "board.png")
    video = LocalVideoGenerator(settings)
    job = ClipJob(
        tmp_path / "board.png", "pan", Camera.PAN_RIGHT, 6, "hailuo-02-fast", "16:9", 1, "a", continued_by_s=6
    )
    first = video.generate(job, tmp_path / "a.mp4").path
    last = ops.last_frame(first, tmp_path / "a_last.png")
    job = dataclasses.replace(job, first_frame=last, seed=2, item="b", continues_s=6, continued_by_s=None)
    second = video.generate(job, tmp_path / "b.mp4").path
    a, b = _gray(first), _gray(second)
    shown = np.concatenate([a, b[1:]])
    pace = np.abs(np.diff(shown, axis=0)).mean(axis=(1, 2))
    seam = len(a) - 1
    median = float(np.median(pace[len(a) // 2 : seam + len(b) // 2]))
    assert pace[seam] / median < 3.0  # the goal; it was 4.5 at the 35 s seam of a 60 s kling ad
    assert (pace[seam - 3 : seam + 3] > 0.1 * median).all()  # no run of still frames around it
    assert abs(float(b[0].mean() - a[-1].mean())) < 0.3  # was about one level darker per link


def _write_clip(frames: list[np.ndarray], out: Path, fps: int = FPS) -> Path:
    height, width = frames[0].shape[:2]
    subprocess.run(
        [
            ffmpeg_exe(),
            "-v",
            "error",
            "-y",
            *RAW_RGB[:4],
            "-s",
            f"{width}x{height}",
            "-r",
            str(fps),
            "-i",
            "-",
            *X264,
            str(out),
        ],
        input=b"".join(f.tobytes() for f in frames),
        check=True,
    )
    return out


def _cast(image: np.ndarray, amount: float, shift: int = 0) -> np.ndarray:
    """The image panned by ``shift`` pixels with a warm colour cast of ``amount`` (0: none)."""
    moved = np.roll(image, shift, axis=1).astype(np.float32)
    return np.clip(moved * np.array([1 + 0.25 * amount, 1.0, 1 - 0.3 * amount]) + [12 * amount, 0, 0], 0, 255).astype(
        np.uint8
    )


def _keyframe(path: Path) -> np.ndarray:
    y, x = np.mgrid[0:H, 0:W]
    image = np.stack([x * 255 / W, y * 255 / H, 128 + 60 * np.sin(x / 14.0)], axis=2).clip(0, 255).astype(np.uint8)
    Image.fromarray(image).save(path)
    return image


def _decoded(video: Path, index: int) -> np.ndarray:
    info = probe(video)
    out = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-i", str(video), "-vf", f"select=eq(n\\,{index})", "-frames:v", "1", *EXACT],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(out, np.uint8).reshape(info.height, info.width, 3)


def test_a_colour_cast_is_matched_back_to_the_keyframe_from_the_seam_on(tmp_path: Path) -> None:
    """A clip whose colour drifts (a warm cast ramping to its last frame) is matched to the keyframe: its last
    frame's ΔE to the keyframe drops from about 29 to under 10, its frame 0 (the seam) is kept (re-encoding only),
    the file keeps its size, rate and frame count; the frame the next clip continues from is the model's last frame
    mapped in numpy, close to the matched clip's last frame, and the same every time (the next call's key)."""
    key = _keyframe(tmp_path / "key.png")
    raw = _write_clip([_cast(key, n / 47) for n in range(48)], tmp_path / "raw.mp4")
    last = ops.last_frame(raw, tmp_path / "raw_last.png")
    transfer = fit_transfer(last, tmp_path / "key.png")
    match_colour(raw, transfer, tmp_path / "matched.mp4", Settings())
    matched = tmp_path / "matched.mp4"
    before = delta_e(np.asarray(Image.open(last).convert("RGB")), key)
    after = delta_e(_decoded(matched, 47), key)
    assert before > 25 and after < 10 and after < before / 3, (before, after)
    assert transfer.delta_e_before == pytest.approx(before) and transfer.delta_e_after < 10
    assert delta_e(_decoded(matched, 0), _decoded(raw, 0)) < 2.0  # frame 0 unchanged but for one more encode
    assert delta_e(_decoded(matched, 24), key) < delta_e(_decoded(raw, 24), key)  # half way, half matched
    info = probe(matched)
    assert (info.width, info.height, info.fps, info.video_frames) == (W, H, FPS, 48)
    next_first = np.asarray(Image.open(match_frame(last, transfer, tmp_path / "next.png")).convert("RGB"))
    assert delta_e(next_first, _decoded(matched, 47)) < 2.0 and delta_e(next_first, key) < 10
    again = match_frame(last, fit_transfer(last, tmp_path / "key.png"), tmp_path / "again.png")
    assert again.read_bytes() == (tmp_path / "next.png").read_bytes()


class Drifting:
    """A model that continues a clip from its first frame, panning, with a warm cast creeping in."""

    provider = "replicate"

    def __init__(self) -> None:
        self.calls = 0

    def generate(self, job: ClipJob, out: Path) -> Generated:
        self.calls += 1
        first = np.asarray(Image.open(job.first_frame).convert("RGB").resize((W, H)))
        frames = job.clip_s * FPS
        _write_clip([_cast(first, 0.5 * n / (frames - 1), n // 4) for n in range(frames)], out)
        return Generated(out, self.provider, job.model)


def _mean_delta_e(a: np.ndarray, b: np.ndarray) -> float:
    """ΔE between two frames' mean colours: what the transfer matches (the drifting model pans, so pixels move)."""
    return float(np.linalg.norm(to_lab(a).reshape(-1, 3).mean(0) - to_lab(b).reshape(-1, 3).mean(0)))


def test_chained_model_clips_are_matched_and_the_next_continues_from_the_match(
    settings: Settings, tmp_path: Path
) -> None:
    """A 30 s veo beat (clips 8+8+8+6): the chained clips 1 and 2 are matched to the keyframe; clip 0 and the
    re-anchored clip 3 start from the storyboard and are kept as the model made them. Each chained clip starts from
    the stored (matched) last frame, and a re-run reuses every call: the matched frames, and so the next calls'
    cache keys, are the same."""
    request = build_request("Create a 30-second Nike ad", settings, model="veo-3-fast", video_id="vid-drift1")
    planned = LocalPlanner().plan(request).spec
    beat = planned.beats[0].model_copy(update={"duration_s": 30})
    spec = planned.model_copy(update={"beats": [beat], "duration_s": 30})
    store = LocalStore(settings.storage_dir)
    key = f"{spec.user_id}/videos/{spec.video_id}/storyboard/beat_00.png"
    _keyframe(tmp_path / "key.png")
    store.put_bytes(key, (tmp_path / "key.png").read_bytes())
    board = Storyboard(images=[StoryboardImage(beat_index=0, key=key, width=W, height=H, prompt="p")])
    drifting = Drifting()
    providers = build_providers(settings, request)
    providers = dataclasses.replace(providers, video=drifting)

    def run() -> list:
        calls = CallCache(store, Ledger(settings.db_url), spec.user_id, spec.video_id)
        return make_chunks(spec, board, store, providers, calls, settings=settings).chunks

    chunks = run()
    assert [c.plan.source for c in chunks] == [FrameSource.STORYBOARD, *[FrameSource.PREVIOUS_CHUNK] * 2, "storyboard"]
    keyframe = np.asarray(Image.open(store.local_path(key)).convert("RGB"))
    for chunk in chunks:
        stored = store.local_path(chunk.key)
        raw = next((settings.storage_dir / spec.user_id / "cache").rglob(f"{chunk.cache_key}/clip.mp4"))
        last = np.asarray(Image.open(store.local_path(chunk.last_frame_key)).convert("RGB"))
        shown_last = _decoded(stored, probe(stored).video_frames - 1)
        if chunk.plan.source == FrameSource.PREVIOUS_CHUNK:
            raw_last = _decoded(raw, probe(raw).video_frames - 1)
            assert _mean_delta_e(last, keyframe) < _mean_delta_e(raw_last, keyframe) - 3
            assert delta_e(last, shown_last) < 2.0  # the model's frame matched in numpy; the clip's, encoded
        else:
            assert np.abs(last.astype(int) - shown_last).max() <= 1
            assert stored.read_bytes() == raw.read_bytes()  # a clip from the storyboard is the model's own
    for before, after in itertools.pairwise(chunks):
        if after.plan.source == FrameSource.PREVIOUS_CHUNK:
            assert after.first_frame_key == before.last_frame_key
    made = drifting.calls
    again = run()
    assert drifting.calls == made == 4 and all(c.reused for c in again)
    assert [c.cache_key for c in again] == [c.cache_key for c in chunks]
