"""The whole graph through the OpenAI and Replicate imitations, with the real client packages."""

from __future__ import annotations

import itertools
import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest

from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.replicate_server import TRANSIENT, FakeReplicate
from tests.support import cli_env, execute, instance_at, metadata_of, run_checks, run_metadata, vidgen_subprocess
from vidgen_core.adapters.ffmpeg.probe import probe
from vidgen_core.adapters.storage import VideoKeys
from vidgen_core.domain.catalog import (
    DEFAULT_SPEECH_MODEL,
    IMAGE_MODELS,
    LLM_MODELS,
    MUSIC_MODELS,
    SPEECH_MODELS,
    VIDEO_MODELS,
)
from vidgen_core.domain.costs import music_hold, music_price
from vidgen_core.domain.models import ChunkSet, FrameSource, Phase, SpokenLine, Voiceover
from vidgen_core.persistence.batches import BatchDB, BatchRecord
from vidgen_core.persistence.ledger import CallState, Ledger
from vidgen_core.persistence.requests import RequestDB
from vidgen_core.pipeline.batches import check_rows
from vidgen_core.pipeline.requests import build_request
from vidgen_core.settings import Settings
from vidgen_dagster.execute import failure_message
from vidgen_dagster.partitions import videos

pytestmark = pytest.mark.slow  # each test renders a whole video through the imitations
# Tests of calls, retries and payments render a 720p master (resolution="720p"): those are the same at 1080p. The
# CLI's cost test and the native-audio test (its 1080x1920 master) keep the default.


def _run(
    settings: Settings,
    instance: dg.DagsterInstance,
    video_id: str,
    prompt: str = "Create a 15-second Nike ad",
    **kw: object,
) -> dg.ExecuteInProcessResult:
    request = build_request(prompt, settings, video_id=video_id, planner="openai", media="replicate", **kw)
    RequestDB(settings.db_url).submit(request)
    instance.add_dynamic_partitions(videos.name, [video_id])
    return execute(settings, instance, video_id)


def _lines(settings: Settings, video_id: str) -> list[SpokenLine]:
    """The voice lines of a video as its voiceover manifest stored them."""
    key = VideoKeys(settings.default_user, video_id).manifest("voiceover")
    return Voiceover.model_validate_json(settings.storage_dir.joinpath(key).read_bytes()).lines


def test_cli_video_costs_what_the_providers_charged_and_keeps_secrets(
    tmp_path: Path, provider_env: dict, fake_openai: FakeOpenAI, fake_replicate: FakeReplicate
) -> None:
    home = tmp_path / "home"
    args = ["generate", "Create a 15-second Nike ad", "--planner", "openai", "--media", "replicate", "--json"]
    proc = vidgen_subprocess(args, cli_env(home) | provider_env)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["status"] == "complete" and out["cost_usd"] > 0
    assert out["cost_usd"] == pytest.approx(sum(p["cost_usd"] for p in out["phases"].values()), abs=1e-4)
    with instance_at(home / "dagster") as instance:
        meta, checks = run_metadata(instance, out["run_id"]), run_checks(instance, out["run_id"])
        logs = json.dumps([str(e) for e in instance.all_logs(out["run_id"])])

    u = fake_openai.usage
    assert meta["video_spec"]["cost_usd"] == pytest.approx(
        LLM_MODELS["gpt-4o"].cost(u["input"], u["cached"], u["output"]), abs=1e-4
    )
    beats, chunks = meta["video_spec"]["beats"], meta["video_chunks"]["chunks"]
    assert (beats, chunks) == (out["beats"], out["chunks"])
    assert meta["storyboard"]["cost_usd"] == pytest.approx(beats * IMAGE_MODELS["flux-dev"].usd_per_image)
    store = Settings(home=home).storage_dir
    keys = VideoKeys(out["user_id"], out["video_id"])
    seconds = sum(probe(store / keys.chunk(i)).duration_s for i in range(chunks))
    assert meta["video_chunks"]["cost_usd"] == pytest.approx(
        VIDEO_MODELS["hailuo-02-fast"].clip_cost(seconds), abs=1e-4
    )
    assert meta["music"]["cost_usd"] == pytest.approx(
        fake_replicate.model_time["music"] * MUSIC_MODELS["musicgen"].usd_per_gpu_second
    )
    spoken = [p.input["text"] for p in fake_replicate.predictions.values() if p.kind == "speech"]
    assert len(spoken) == out["lines"] == meta["voiceover"]["lines"] > 0
    assert meta["voiceover"]["cost_usd"] == pytest.approx(
        sum(SPEECH_MODELS[DEFAULT_SPEECH_MODEL].cost(len(text)) for text in spoken), abs=1e-4
    )
    assert fake_replicate.paid == fake_replicate.creates == beats + chunks + 1 + out["lines"]
    final = probe(store / keys.final())
    assert final.duration_s == pytest.approx(15.0, abs=0.1) and final.has_audio
    assert checks and all(c.passed for c in checks), [(c.check_name, c.metadata) for c in checks if not c.passed]
    assert {meta[a]["provider"] for a in ("storyboard", "video_chunks", "music")} == {"replicate"}
    assert meta["video_spec"]["provider"] == "openai"

    stored = " ".join(p.read_bytes().decode(errors="replace") for p in home.rglob("*.json"))
    for secret in (provider_env["OPENAI_API_KEY"], provider_env["REPLICATE_API_TOKEN"]):
        assert secret not in proc.stdout + proc.stderr and secret not in logs and secret not in stored


def test_throttling_and_transient_failures_complete_without_double_charges(
    provider_env: dict, settings: Settings, instance: dg.DagsterInstance, fake_replicate: FakeReplicate
) -> None:
    fake_replicate.throttle_rate, fake_replicate.retry_after = 0.2, 0.05
    fake_replicate.transient_fail_rate = 0.1
    result = _run(settings, instance, "vid-stress1", "Create a 30-second Nike ad", resolution="720p")
    assert result.success, failure_message(result)
    meta = metadata_of(result)
    lines = _lines(settings, "vid-stress1")
    said = {(line.text, line.voice) for line in lines}  # a line said in two beats is one call
    assert len(lines) == meta["voiceover"]["lines"] > len(said)  # the imitation's script repeats its product line
    used = meta["video_spec"]["beats"] + meta["video_chunks"]["chunks"] + 1 + len(said)
    assert fake_replicate.paid == used  # every paid prediction's output is in the video
    failed = sum(p.outcome != "succeeded" for p in fake_replicate.predictions.values())
    assert fake_replicate.throttled > 0 and failed > 0  # both faults really happened (seeded)
    assert fake_replicate.creates == fake_replicate.paid + failed


def test_permanent_failure_ends_the_run_with_an_actionable_message(
    provider_env: dict, settings: Settings, instance: dg.DagsterInstance, fake_replicate: FakeReplicate
) -> None:
    # Planner and music succeed first; then the first storyboard image is refused by the model.
    original = fake_replicate._create

    def refuse_images(model, version, kind, headers, body):
        if kind == "image":
            fake_replicate.fail_next = ["E005: The input or output was flagged as sensitive."]
        return original(model, version, kind, headers, body)

    fake_replicate._create = refuse_images
    result = _run(settings, instance, "vid-fail1")
    assert not result.success
    message = failure_message(result)
    assert message.startswith("storyboard: replicate model flux-dev failed for storyboard beat 0: prediction ")
    assert "flagged as sensitive" in message
    attempts = [e for e in result.all_events if e.event_type_value == "STEP_RESTARTED"]
    assert not attempts  # a permanent failure is not retried


def test_native_audio_model_skips_music(
    provider_env: dict, settings: Settings, instance: dg.DagsterInstance, fake_replicate: FakeReplicate
) -> None:
    result = _run(settings, instance, "vid-veo2", "An 8-second vertical ad for a coffee shop", model="veo-3-fast")
    assert result.success, failure_message(result)
    meta = metadata_of(result)
    assert meta["music"]["skipped"] is True and meta["music"]["cost_usd"] == 0.0
    assert "native audio" in meta["music"]["reason"]
    assert "music" not in fake_replicate.paid_by_kind
    final = probe(settings.storage_dir / VideoKeys(settings.default_user, "vid-veo2").final())
    assert final.has_audio and (final.width, final.height) == (1080, 1920)  # upscaled to the 1080p master
    assert final.duration_s == pytest.approx(8.0, abs=0.1)


def test_a_model_upscaler_runs_on_every_chunk_and_is_paid_in_the_ledger(
    provider_env: dict, settings: Settings, instance: dg.DagsterInstance, fake_replicate: FakeReplicate
) -> None:
    result = _run(settings, instance, "vid-topaz1", resolution="720p", upscaler="topaz-video-upscale")
    assert result.success, failure_message(result)
    keys = VideoKeys(settings.default_user, "vid-topaz1")
    chunks = ChunkSet.model_validate_json((settings.storage_dir / keys.manifest(Phase.VIDEO_CHUNKS)).read_text())
    assert fake_replicate.paid_by_kind["upscale"] == len(chunks.chunks)
    for chunk in chunks.chunks:  # the clips are the upscaled ones, on the file
        info = probe(settings.storage_dir / chunk.key)
        assert (info.width, info.height, chunk.upscaled_by) == (1280, 720, "topaz-video-upscale")
    rows = [r for r in Ledger(settings.db_url).rows("vid-topaz1") if r.item.startswith("upscale_")]
    assert [r.state for r in rows] == [CallState.PAID] * len(chunks.chunks)
    upscale_lines = [line for c in chunks.chunks for line in c.costs if line.model == "topaz-video-upscale"]
    assert len(upscale_lines) == len(rows)
    assert sum(r.actual_usd for r in rows) == pytest.approx(sum(line.usd for line in upscale_lines), abs=1e-6)


def test_transient_outage_is_retried_by_dagster_and_resumes(
    provider_env: dict, settings: Settings, instance: dg.DagsterInstance, fake_replicate: FakeReplicate
) -> None:
    original, failed = fake_replicate._create, []

    def music_outage(model, version, kind, headers, body):  # every attempt at the music fails: the step fails ...
        if kind == "music" and len(failed) < 3:
            failed.append(kind)
            fake_replicate.fail_next = [TRANSIENT]
        return original(model, version, kind, headers, body)

    fake_replicate._create = music_outage
    result = _run(settings, instance, "vid-outage1", "Create a 10-second Nike ad", resolution="720p")
    assert result.success, failure_message(result)  # ... and Dagster's retry policy runs it again
    assert len(failed) == 3 and [e for e in result.all_events if e.event_type_value == "STEP_RESTARTED"]
    meta = metadata_of(result)  # the retry reused the images and clips made beside the failed music
    assert meta["video_chunks"]["reused"] == meta["video_chunks"]["chunks"] > 0


def test_images_and_beats_run_at_once_within_the_limit(
    provider_env: dict,
    settings: Settings,
    instance: dg.DagsterInstance,
    fake_replicate: FakeReplicate,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VIDGEN_REPLICATE_CALLS_IN_FLIGHT", "3")
    fake_replicate.time_scale = 0.02  # an image 0.16 s, a clip 0.9 s: long enough to overlap
    # Veo's clips are 4, 6 or 8 s, so a 10 s beat is a chain of two.
    result = _run(settings, instance, "vid-fast1", "Create a 30-second Nike ad", model="veo-3-fast", resolution="720p")
    assert result.success, failure_message(result)
    assert 2 <= fake_replicate.max_in_flight <= 3  # at once, and never more than the setting
    chunks = ChunkSet.model_validate_json(
        settings.storage_dir.joinpath(
            VideoKeys(settings.default_user, "vid-fast1").manifest("video_chunks")
        ).read_bytes()
    ).chunks
    by_beat: dict[int, list] = {}
    for chunk in chunks:
        by_beat.setdefault(chunk.plan.beat_index, []).append(chunk)
    assert any(len(c) > 1 for c in by_beat.values())  # a beat with a chain of clips
    for beat_chunks in by_beat.values():  # inside a beat, each clip starts where the previous one ended
        assert [c.plan.part for c in beat_chunks] == list(range(len(beat_chunks)))
        for before, after in itertools.pairwise(beat_chunks):
            if after.plan.source == FrameSource.PREVIOUS_CHUNK:  # not a re-anchor on the storyboard image
                assert after.first_frame_key == before.last_frame_key
    assert [c.plan.index for c in chunks] == list(range(len(chunks)))
    lines = _lines(settings, "vid-fast1")
    # Veo brings its own sound: no music, but the voice lines, a line said in two beats paid once (one call)
    said = {(line.text, line.voice) for line in lines}
    assert fake_replicate.paid == fake_replicate.creates == len(by_beat) + len(chunks) + len(said)


def test_music_is_made_beside_the_images_and_clips(
    provider_env: dict, settings: Settings, instance: dg.DagsterInstance, fake_replicate: FakeReplicate
) -> None:
    fake_replicate.time_scale = 0.05  # music 6 s, an image 0.4 s, a clip 2.25 s
    result = _run(settings, instance, "vid-music1", "Create a 15-second Nike ad", resolution="720p")
    assert result.success, failure_message(result)
    made = {k: [p for p in fake_replicate.predictions.values() if p.kind == k] for k in ("image", "video", "music")}
    (music,) = made["music"]
    assert music.created < min(p.created for p in made["video"])  # asked for before the first clip
    assert music.created + music.run_s > max(p.created for p in made["video"])  # still playing when the last clip began
    assert {e.step_key for e in result.all_events if e.is_step_success} == {
        "video_spec",
        "media",
        "aspects",
        "stitched_video",
        "final_video",
        "deliverables",
    }


def test_a_failed_beat_keeps_the_others_and_a_resume_pays_only_for_it(
    provider_env: dict, settings: Settings, instance: dg.DagsterInstance, fake_replicate: FakeReplicate
) -> None:
    original, refused, lock = fake_replicate._create, [], threading.Lock()

    def refuse_one_clip(model, version, kind, headers, body):  # clips are created from several threads at once
        with lock:
            if kind == "video" and not refused:
                refused.append(1)
                fake_replicate.fail_next = ["E005: The input or output was flagged as sensitive."]
            return original(model, version, kind, headers, body)

    fake_replicate._create = refuse_one_clip
    failed = _run(settings, instance, "vid-beat1", "Create a 30-second Nike ad", resolution="720p")
    assert not failed.success and "flagged as sensitive" in failure_message(failed)
    ledger = Ledger(settings.db_url)
    clips = [r for r in ledger.rows("vid-beat1") if r.phase == Phase.VIDEO_CHUNKS]
    assert sum(r.state == CallState.FAILED for r in clips) == 1
    kept = sum(r.state == CallState.PAID for r in clips)
    assert kept >= 1  # the other beats' clips were made and paid for, and are kept
    paid = fake_replicate.paid
    fake_replicate._create = original
    resumed = execute(settings, instance, "vid-beat1")
    assert resumed.success, failure_message(resumed)
    meta = metadata_of(resumed)
    assert meta["video_chunks"]["reused"] == kept
    assert fake_replicate.paid - paid == meta["video_chunks"]["chunks"] - kept  # only what was missing


def test_a_batch_cap_stops_new_spending_and_keeps_what_was_made(
    provider_env: dict, settings: Settings, instance: dg.DagsterInstance, fake_replicate: FakeReplicate
) -> None:
    rows = [(line, {"prompt": f"Create a 10-second Nike ad, take {line}"}) for line in (1, 2)]
    checked = check_rows(rows, settings, batch_id="bat-0000000000c1", planner="openai", media="replicate")
    # room for one ad, not two: its music holds GPU time for up to 150 s while it runs (see README "Budgets")
    one = checked.rows[0].estimate_usd - music_price("musicgen", 10) + music_hold("musicgen", 10)
    cap = round(one + 0.05, 4)
    batch = BatchRecord(
        batch_id="bat-0000000000c1", user_id=settings.default_user, title="capped", videos=2,
        estimate_usd=checked.estimate_usd, max_cost_usd=cap, created_at=datetime.now(UTC),
    )  # fmt: skip
    BatchDB(settings.db_url).store(batch, checked.requests)
    first, second = (r.request.video_id for r in checked.rows)
    instance.add_dynamic_partitions(videos.name, [first, second])
    assert execute(settings, instance, first).success
    paid = fake_replicate.paid
    refused = execute(settings, instance, second)
    assert not refused.success
    assert failure_message(refused).startswith(f"video_spec: video {second} is estimated at $")
    assert "over batch bat-0000000000c1's budget" in failure_message(refused)
    ledger = Ledger(settings.db_url)
    assert fake_replicate.paid == paid and ledger.rows(second) == []  # nothing new was spent, not even the plan
    assert 0 < ledger.batch_committed("bat-0000000000c1") <= cap
    assert probe(settings.storage_dir / VideoKeys(settings.default_user, first).final()).duration_s == pytest.approx(
        10.0, abs=0.1
    )  # what was made is kept
