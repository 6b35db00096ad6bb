"""The model upscaler: the request option and its estimate, the Replicate adapter through the imitation (the inputs
its published schema takes, the size and frames on the file, the price per output frame), and the chunk phase's
upscale calls (paid once, reused after, refused by a budget before anything is sent)."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import imageio_ffmpeg
import pytest
from PIL import Image

from tests.fakes.replicate_server import FakeReplicate
from tests.support import MemoryJournal
from vidgen_core.adapters.ffmpeg.probe import probe
from vidgen_core.adapters.local.planner import LocalPlanner
from vidgen_core.adapters.registry import build_providers
from vidgen_core.adapters.replicate.runner import ReplicateRunner
from vidgen_core.adapters.replicate.upscale import ReplicateUpscaler
from vidgen_core.adapters.storage import LocalStore
from vidgen_core.domain.catalog import UPSCALE_MODELS, VIDEO_MODELS, Resolution
from vidgen_core.domain.costs import estimate_request
from vidgen_core.domain.errors import BudgetExceeded, InvalidRequest, ProviderError
from vidgen_core.domain.models import Delivery, Phase
from vidgen_core.domain.ports import ClipJob, Generated, UpscaleJob
from vidgen_core.persistence.ledger import CallState, Ledger
from vidgen_core.pipeline.calls import CallCache
from vidgen_core.pipeline.phases import make_chunks, make_storyboard
from vidgen_core.pipeline.requests import build_request
from vidgen_core.settings import Settings

TOPAZ = "topaz-video-upscale"
RATE_1080 = UPSCALE_MODELS[TOPAZ].usd_per_frame[Resolution.P1080]


@pytest.fixture
def runner(provider_env: dict, fake_replicate: FakeReplicate) -> ReplicateRunner:
    fake_replicate.time_scale = 0.001
    return ReplicateRunner(Settings(replicate_poll_interval_s=0.0), sleep=lambda _s: None)


def _clip(out: Path, size: tuple[int, int], seconds: float, fps: int, colour: str, sound: bool) -> Path:
    """A real H.264 clip (a moving test pattern tinted ``colour``), with a tone when ``sound``."""
    src = f"testsrc2=s={size[0]}x{size[1]}:r={fps}:d={seconds},drawbox=c={colour}@0.5:t=fill"
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", src]
    cmd += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-c:a", "aac"] if sound else []
    cmd += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-shortest", str(out)]
    subprocess.run(cmd, check=True)
    return out


# -- the request -------------------------------------------------------------------------------------------------


def test_a_model_upscaler_with_local_media_is_refused_in_words(settings: Settings) -> None:
    with pytest.raises(InvalidRequest, match="topaz-video-upscale is a paid Replicate model and media is local") as e:
        build_request("Create a 30-second Nike ad", settings, media="local", upscaler=TOPAZ)
    assert e.value.field == "upscaler"
    with pytest.raises(InvalidRequest, match="unknown upscaler 'esrgan'; choose one of: lanczos, topaz-video"):
        build_request("Create a 30-second Nike ad", settings, media="replicate", upscaler="esrgan")


def test_the_estimate_holds_every_clips_upscale_before_any_call(settings: Settings) -> None:
    """Budgets see the upscale before anything is made: each clip's frames at the target's rate; nothing when the
    video model's clips already have the master's size (veo-3-fast makes 720p)."""
    ask = {"media": "replicate", "need_credentials": False}
    plain = estimate_request(build_request("Create a 30-second Nike ad", settings, **ask))
    topaz = estimate_request(build_request("Create a 30-second Nike ad", settings, upscaler=TOPAZ, **ask))
    clip_seconds = plain[Phase.VIDEO_CHUNKS] / VIDEO_MODELS["hailuo-02-fast"].usd_per_second
    frames = clip_seconds * VIDEO_MODELS["hailuo-02-fast"].fps
    assert topaz[Phase.VIDEO_CHUNKS] - plain[Phase.VIDEO_CHUNKS] == pytest.approx(frames * RATE_1080, abs=1e-4)
    assert {p: u for p, u in topaz.items() if p != Phase.VIDEO_CHUNKS} == {
        p: u for p, u in plain.items() if p != Phase.VIDEO_CHUNKS
    }
    veo = {"model": "veo-3-fast", "resolution": "720p", **ask}
    assert estimate_request(build_request("Create a 30-second Nike ad", settings, upscaler=TOPAZ, **veo)) == (
        estimate_request(build_request("Create a 30-second Nike ad", settings, **veo))
    )


# -- the adapter through the imitation ---------------------------------------------------------------------------


def test_the_upscaler_sends_the_published_inputs_and_returns_the_clip_at_the_master_size(
    runner: ReplicateRunner, fake_replicate: FakeReplicate, tmp_path: Path
) -> None:
    """A 910x512 clip of 50 frames at 25 fps with sound (like Veo's) comes back 1920x1080, 50 frames at 25 fps,
    still with its sound, priced at 50 output frames."""
    clip = _clip(tmp_path / "clip.mp4", (910, 512), 2, 25, "red", sound=True)
    job = UpscaleJob(clip, TOPAZ, Resolution.P1080, 25, "chunk 0 (beat 0 hook)", MemoryJournal())
    made = ReplicateUpscaler(runner, TOPAZ).upscale(job, tmp_path / "up.mp4")
    sent = next(iter(fake_replicate.predictions.values()))
    assert sent.model == "topazlabs/video-upscale" and sent.version == "hidden"
    assert set(sent.input) == {"video", "target_resolution", "target_fps"}
    assert (sent.input["target_resolution"], sent.input["target_fps"]) == ("1080p", 25)
    assert sent.input["video"].startswith(fake_replicate.url + "/files/")  # the clip was uploaded
    info = probe(made.path)
    assert (info.width, info.height, info.fps, info.has_audio) == (1920, 1080, 25, True)
    assert round(info.duration_s * info.fps) == 50
    [line] = made.costs
    assert (line.phase, line.unit, line.quantity) == (Phase.VIDEO_CHUNKS, "frame", 50)
    assert line.usd == pytest.approx(50 * RATE_1080, abs=1e-6)
    assert fake_replicate.paid_by_kind == {"upscale": 1}


def test_a_target_the_model_does_not_take_is_refused_like_the_real_api(
    runner: ReplicateRunner, fake_replicate: FakeReplicate, tmp_path: Path
) -> None:
    clip = _clip(tmp_path / "clip.mp4", (910, 512), 1, 25, "blue", sound=False)
    with pytest.raises(ProviderError) as info:
        runner.run(
            "topazlabs/video-upscale",
            {"target_resolution": "2160p", "target_fps": 25},
            {"video": clip},
            model=TOPAZ,
            item="chunk 0",
            journal=MemoryJournal(),
        )
    assert "target_resolution must be one of the following: 720p, 1080p, 4k" in str(info.value)
    assert fake_replicate.creates == fake_replicate.paid == 0


# -- the chunk phase -----------------------------------------------------------------------------------------------


class ShortClips:
    """A video model that makes one-second clips at hailuo-02-fast's size and rate, a different picture per chunk."""

    provider = "local"
    colours = ("red", "green", "blue", "yellow", "cyan", "magenta", "white", "orange")

    def generate(self, job: ClipJob, out: Path) -> Generated:
        index = int(job.item.split()[1])
        _clip(out, VIDEO_MODELS[job.model].size(job.aspect), 1, 25, self.colours[index % 8], sound=False)
        return Generated(path=out, provider="local", model=job.model)


def _chunk_phase(settings: Settings, runner: ReplicateRunner, video_id: str, budget: float | None = None):
    request = build_request("Create a 10-second Nike ad", settings, video_id=video_id)
    spec = (
        LocalPlanner()
        .plan(request)
        .spec.model_copy(update={"delivery": Delivery(resolution=Resolution.P720, upscaler=TOPAZ)})
    )
    store, ledger = LocalStore(settings.storage_dir), Ledger(settings.db_url)
    providers = replace(
        build_providers(settings, request), video=ShortClips(), upscaler=ReplicateUpscaler(runner, TOPAZ)
    )
    calls = CallCache(store, ledger, spec.user_id, spec.video_id, budget_usd=budget)
    board = make_storyboard(spec, store, providers, calls)
    return (lambda: make_chunks(spec, board, store, providers, calls)), store, ledger


def test_each_chunk_is_upscaled_once_paid_at_its_frames_and_reused_after(
    settings: Settings, runner: ReplicateRunner, fake_replicate: FakeReplicate
) -> None:
    make, store, ledger = _chunk_phase(settings, runner, "vid-upscale1")
    chunks = make().chunks
    assert fake_replicate.paid_by_kind == {"upscale": len(chunks)} and len(chunks) >= 2
    rate = UPSCALE_MODELS[TOPAZ].usd_per_frame[Resolution.P720]
    for chunk in chunks:
        info = probe(store.local_path(chunk.key))
        assert (info.width, info.height, chunk.width, chunk.height) == (1280, 720, 1280, 720)
        with Image.open(store.local_path(chunk.last_frame_key)) as last:
            assert last.size == (910, 512)  # the chain goes on from the video model's own frame
        assert chunk.upscaled_by == TOPAZ and [c.usd for c in chunk.costs] == [pytest.approx(25 * rate, abs=1e-6)]
    upscales = [r for r in ledger.rows("vid-upscale1") if r.item.startswith("upscale_")]
    assert [(r.state, r.model, r.provider) for r in upscales] == [(CallState.PAID, TOPAZ, "replicate")] * len(chunks)
    assert sum(r.actual_usd for r in upscales) == pytest.approx(len(chunks) * 25 * rate, abs=1e-6)
    assert all(r.estimate_usd >= r.actual_usd for r in upscales)  # estimated on the asked clip length, 6 s or more
    again = make().chunks
    assert fake_replicate.paid_by_kind == {"upscale": len(chunks)}  # a re-run pays nothing
    assert all(c.reused and c.costs == [] and c.key == old.key for c, old in zip(again, chunks, strict=True))


def test_a_budget_too_small_for_the_upscale_refuses_it_before_it_is_sent(
    settings: Settings, runner: ReplicateRunner, fake_replicate: FakeReplicate
) -> None:
    make, _, ledger = _chunk_phase(settings, runner, "vid-upscale2", budget=0.01)
    with pytest.raises(BudgetExceeded, match=r"budget of \$0.0100"):
        make()
    assert fake_replicate.creates == 0 and ledger.spent("vid-upscale2") == 0.0
