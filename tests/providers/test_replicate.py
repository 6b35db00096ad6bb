"""Replicate adapters through the real `replicate` client against the local imitation."""

from __future__ import annotations

from pathlib import Path

import ffmpeg
import numpy as np
import pytest
from PIL import Image

from tests.fakes.replicate_server import MUSICGEN_VERSION, TRANSIENT, FakeReplicate
from tests.support import MemoryJournal
from vidgen_core.adapters.ffmpeg.probe import probe
from vidgen_core.adapters.ffmpeg.tools import ffmpeg_exe
from vidgen_core.adapters.replicate.media import ReplicateMusicGenerator, ReplicateVideoGenerator
from vidgen_core.adapters.replicate.runner import ReplicateRunner
from vidgen_core.domain.catalog import IMAGE_MODELS, MUSIC_MODELS, VIDEO_MODELS
from vidgen_core.domain.errors import ProviderError
from vidgen_core.domain.models import Camera
from vidgen_core.domain.ports import ClipJob, MusicJob
from vidgen_core.settings import Settings


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def runner(provider_env: dict, fake_replicate: FakeReplicate) -> tuple[ReplicateRunner, Sleeps]:
    """A runner that records its sleeps instead of sleeping (so it polls at once), against an imitation whose models
    take a thousandth of their time (music 0.12 s, not 1.2 s, of polling)."""
    fake_replicate.time_scale = 0.001
    sleeps = Sleeps()
    return ReplicateRunner(Settings(replicate_poll_interval_s=0.0), sleep=sleeps), sleeps


def _flux(runner: ReplicateRunner, journal: MemoryJournal | None = None):
    model = IMAGE_MODELS["flux-dev"]
    return runner.run(
        model.provider_id,
        model.inputs("a red shoe", "16:9", 1),
        {},
        model="flux-dev",
        item="storyboard beat 0",
        journal=journal or MemoryJournal(),
    )


def _frame(tmp_path: Path) -> Path:
    path = tmp_path / "first.png"
    Image.new("RGB", (1344, 768), (200, 80, 40)).save(path)
    return path


def test_image_prediction_downloads_real_png(runner, fake_replicate: FakeReplicate) -> None:
    done = _flux(runner[0])
    assert done.outputs[0].startswith(b"\x89PNG") and done.metrics["image_output_count"] == 1
    assert fake_replicate.creates == fake_replicate.paid == 1


def test_video_is_priced_on_the_measured_clip(runner, fake_replicate: FakeReplicate, tmp_path: Path) -> None:
    job = ClipJob(
        first_frame=_frame(tmp_path),
        prompt="dolly in",
        camera=Camera.DOLLY_IN,
        clip_s=5,
        model="kling-v2.1",
        aspect="16:9",
        seed=1,
        item="chunk 0",
    )
    made = ReplicateVideoGenerator(runner[0]).generate(job, tmp_path / "clip.mp4")
    info = probe(made.path)
    assert info.duration_s == pytest.approx(5.0, abs=0.1)
    assert made.costs[0].quantity == pytest.approx(info.duration_s, abs=1e-3)
    assert made.costs[0].usd == pytest.approx(VIDEO_MODELS["kling-v2.1"].clip_cost(info.duration_s))
    sent = fake_replicate.predictions[next(iter(fake_replicate.predictions))].input
    assert sent["start_image"].startswith(fake_replicate.url + "/files/") and sent["mode"] == "standard"


def test_invalid_input_is_a_clear_422(runner, tmp_path: Path) -> None:
    job = ClipJob(
        first_frame=_frame(tmp_path),
        prompt="x",
        camera=Camera.STATIC,
        clip_s=7,
        model="kling-v2.1",
        aspect="16:9",
        seed=1,
        item="chunk 3 (beat 1 hero_orbit)",
    )
    with pytest.raises(ProviderError) as info:
        ReplicateVideoGenerator(runner[0]).generate(job, tmp_path / "clip.mp4")
    message = str(info.value)
    assert message.startswith("replicate model kling-v2.1 failed for chunk 3 (beat 1 hero_orbit)")
    assert "duration must be one of the following: 5, 10" in message


def test_music_runs_by_version_and_costs_gpu_time(runner, fake_replicate: FakeReplicate, tmp_path: Path) -> None:
    job = MusicJob(prompt="energetic", mood="energetic", duration_s=12, seed=1, model="musicgen")
    made = ReplicateMusicGenerator(runner[0], "musicgen").generate(job, tmp_path / "m.wav")
    assert probe(made.path).duration_s == pytest.approx(12, abs=0.05)
    pred = next(iter(fake_replicate.predictions.values()))
    assert pred.version == MUSICGEN_VERSION and pred.input["duration"] == 12
    assert made.costs[0].usd == pytest.approx(
        fake_replicate.model_time["music"] * MUSIC_MODELS["musicgen"].usd_per_gpu_second
    )


def test_model_music_ends_on_a_bar_line_of_the_asked_tempo(runner, tmp_path: Path) -> None:
    """The imitation's 9 s track, at 100 bpm (2.4 s bars) for a 9 s video: heard up to the bar line at 7.2 s, faded
    over that bar, silent after it; as long as the video."""
    job = MusicJob(prompt="calm, 100 bpm", mood="calm", duration_s=9, seed=1, model="musicgen", bpm=100.0)
    made = ReplicateMusicGenerator(runner[0], "musicgen").generate(job, tmp_path / "m.wav")
    raw, _ = (
        ffmpeg.input(str(made.path))
        .output("-", format="f32le", ac=1)
        .run(cmd=ffmpeg_exe(), capture_stdout=True, capture_stderr=True)
    )
    rate = probe(made.path).sample_rate
    samples = np.frombuffer(raw, dtype="<f4")
    assert len(samples) == pytest.approx(9 * rate, abs=rate // 1000)
    level = [float(np.sqrt(np.mean(np.square(samples[int(s * rate) : int((s + 0.2) * rate)])))) for s in (4.0, 6.4)]
    assert level[1] < level[0] / 2  # fading over the last bar
    assert np.max(np.abs(samples[int(7.21 * rate) :])) < 1e-3  # and ended on its line
    assert [p.name for p in tmp_path.iterdir()] == ["m.wav"]  # the model's own file is not left behind


def test_failed_music_predictions_are_billed_for_their_gpu_time(
    runner, fake_replicate: FakeReplicate, tmp_path: Path
) -> None:
    """MusicGen is billed by GPU time, which a failed prediction used too: the failed attempt's cost is on the
    result when a retry succeeds, and on the error when none does; images and clips (billed per output) are not."""
    price = MUSIC_MODELS["musicgen"].usd_per_gpu_second * fake_replicate.model_time["music"]
    job = MusicJob(prompt="energetic", mood="energetic", duration_s=12, seed=1, model="musicgen")
    fake_replicate.fail_next = [TRANSIENT]
    made = ReplicateMusicGenerator(runner[0], "musicgen").generate(job, tmp_path / "m.wav")
    assert [c.usd for c in made.costs] == [pytest.approx(price)] * 2 and fake_replicate.creates == 2
    fake_replicate.fail_next = ["CUDA out of memory"]
    with pytest.raises(ProviderError, match="CUDA out of memory") as info:
        ReplicateMusicGenerator(runner[0], "musicgen").generate(job, tmp_path / "n.wav")
    assert [c.usd for c in info.value.costs] == [pytest.approx(price)]
    billed = fake_replicate.predict_s["music"] * MUSIC_MODELS["musicgen"].usd_per_gpu_second
    assert sum(c.usd for c in [*made.costs, *info.value.costs]) == pytest.approx(billed)
    fake_replicate.fail_next = ["E005: flagged as sensitive"]
    with pytest.raises(ProviderError) as image:
        _flux(runner[0])
    assert image.value.costs == []


def test_throttled_create_waits_retry_after(runner, fake_replicate: FakeReplicate) -> None:
    fake_replicate.throttle_rate, fake_replicate.retry_after = 1.0, 3
    sleeps = runner[1]

    def calm_after_two(seconds: float) -> None:
        sleeps.append(seconds)
        if len([s for s in sleeps if s == 3]) == 2:
            fake_replicate.throttle_rate = 0.0

    runner[0].sleep = calm_after_two
    _flux(runner[0])
    assert sleeps.count(3) == 2 and fake_replicate.throttled == 2 and fake_replicate.paid == 1


def test_transient_failure_makes_a_new_prediction_and_pays_once(runner, fake_replicate: FakeReplicate) -> None:
    fake_replicate.fail_next = [TRANSIENT, TRANSIENT]  # the third try succeeds (replicate_attempts=3)
    done = _flux(runner[0])
    assert fake_replicate.creates == 3 and fake_replicate.paid == 1 and done.outputs


def test_aborted_prediction_is_retried_not_a_crash(runner, fake_replicate: FakeReplicate) -> None:
    fake_replicate.abort_next = 1
    _flux(runner[0])
    assert fake_replicate.creates == 2 and fake_replicate.paid == 1


@pytest.mark.parametrize(
    ("setup", "fragment", "retryable"),
    [
        (
            {
                "fail_next": [
                    "E005: The input or output was flagged as sensitive. Please try again with different inputs."
                ]
            },
            "failed: E005: The input or output was flagged as sensitive",
            False,
        ),
        ({"create_status": [401]}, "API token was rejected (401); check REPLICATE_API_TOKEN", False),
        ({"create_status": [402]}, "insufficient credit (402)", False),
        ({"fail_next": [TRANSIENT] * 3}, "3 predictions failed; last: Prediction interrupted", True),
    ],
)
def test_failures_name_provider_model_item_and_reason(
    runner, fake_replicate: FakeReplicate, setup: dict, fragment: str, retryable: bool
) -> None:
    for key, value in setup.items():
        setattr(fake_replicate, key, value)
    with pytest.raises(ProviderError) as info:
        _flux(runner[0])
    assert str(info.value).startswith("replicate model flux-dev failed for storyboard beat 0: ")
    assert fragment in str(info.value) and info.value.retryable is retryable
    assert fake_replicate.token not in str(info.value)


def test_canceled_prediction_is_a_failure(runner, fake_replicate: FakeReplicate) -> None:
    fake_replicate.time_scale = 1.0  # slow enough to cancel
    journal = MemoryJournal()
    real_sleep = runner[0].sleep

    def cancel_once(seconds: float) -> None:
        real_sleep(seconds)
        if journal.record and not any(p.canceled for p in fake_replicate.predictions.values()):
            runner[0].client.predictions.cancel(journal.record["id"])

    runner[0].sleep = cancel_once
    with pytest.raises(ProviderError, match="was canceled"):
        _flux(runner[0], journal)


def test_retry_after_a_crash_mid_poll_resumes_the_same_prediction(
    provider_env: dict, fake_replicate: FakeReplicate
) -> None:
    journal = MemoryJournal()
    crashing = ReplicateRunner(
        Settings(replicate_poll_interval_s=0.01, replicate_deadline_s=0.2, replicate_backoff_s=0.01)
    )
    fake_replicate.get_failures = 10_000  # every poll fails: the step dies mid-poll
    with pytest.raises(ProviderError, match="gave no result within"):
        _flux(crashing, journal)
    first_id = journal.record["id"]
    fake_replicate.get_failures = 0
    done = _flux(ReplicateRunner(Settings(replicate_poll_interval_s=0.01)), journal)  # the retried step
    assert done.resumed and done.prediction_id == first_id
    assert fake_replicate.creates == 1 and fake_replicate.paid == 1


def test_data_uri_outputs_are_decoded(runner, fake_replicate: FakeReplicate) -> None:
    fake_replicate.data_uri_outputs = True
    assert _flux(runner[0]).outputs[0].startswith(b"\x89PNG")
