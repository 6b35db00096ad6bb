"""The beat as a unit, through the OpenAI and Replicate imitations, on local storage and on S3 (moto):
regenerating one beat pays for it alone, re-runs and going back pay nothing, a killed run resumes without paying
twice, and budgets refuse before spending."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.replicate_server import FakeReplicate
from tests.support import (
    execute,
    frame_at,
    instance_at,
    metadata_of,
    psnr,
    tick,
    use_home,
    vidgen_in_process,
    vidgen_json,
    wait,
)
from vidgen_core.adapters.ffmpeg.probe import probe
from vidgen_core.adapters.storage import VideoKeys, open_store
from vidgen_core.domain.catalog import (
    DEFAULT_SPEECH_MODEL,
    IMAGE_MODELS,
    LLM_MODELS,
    MUSIC_MODELS,
    SPEECH_MODELS,
    VIDEO_MODELS,
)
from vidgen_core.domain.chunking import plan_chunks
from vidgen_core.domain.models import VideoSpec
from vidgen_core.persistence.ledger import CallState, Ledger
from vidgen_core.persistence.requests import RequestDB, Status
from vidgen_core.settings import Settings

pytestmark = pytest.mark.slow  # whole videos through the imitations
REAL = ["--planner", "openai", "--media", "replicate"]
SMALL = ["--resolution", "720p"]  # a 720p master: what these tests check (calls, takes, runs) is the same at 1080p


@pytest.fixture(params=["local", "s3"])
def home(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, provider_env: dict) -> Path:
    """A fresh vidgen home for `vidgen` in this process, its media in a folder or in a bucket on moto."""
    if request.param == "s3":
        request.getfixturevalue("s3_env")
    return use_home(tmp_path / "home", monkeypatch)


def charged(openai: FakeOpenAI, replicate: FakeReplicate, clip_model: str = "hailuo-02-fast") -> float:
    """What the imitations charged: OpenAI's tokens, every succeeded image and clip at its price, and the GPU time
    of every music prediction that ran (a failed one too)."""
    usd = openai.plans * LLM_MODELS["gpt-4o"].cost(
        openai.usage["input"], openai.usage["cached"], openai.usage["output"]
    )
    for prediction in replicate.predictions.values():
        if not prediction.metrics or (prediction.kind != "music" and prediction.output is None):  # not paid
            continue
        if prediction.kind == "image":
            usd += IMAGE_MODELS["flux-dev"].usd_per_image
        elif prediction.kind == "video":
            usd += VIDEO_MODELS[clip_model].clip_cost(float(prediction.input["duration"]))
        elif prediction.kind == "speech":  # the default voice, per character
            usd += SPEECH_MODELS[DEFAULT_SPEECH_MODEL].cost(len(prediction.input["text"]))
        else:
            usd += MUSIC_MODELS["musicgen"].cost(prediction.metrics["predict_time"])
    return usd


def journaled(settings: Settings) -> set[str]:
    """The prediction ids written to the call cache's journals (in the folder or the bucket)."""
    if settings.storage == "s3":
        s3 = boto3.client("s3", endpoint_url=settings.s3_endpoint_url, region_name="us-east-1")
        listed = s3.list_objects_v2(Bucket=settings.s3_bucket).get("Contents", [])
        bodies = [
            s3.get_object(Bucket=settings.s3_bucket, Key=o["Key"])["Body"].read()
            for o in listed
            if o["Key"].endswith("/prediction.json")
        ]
    else:
        bodies = [p.read_bytes() for p in settings.storage_dir.glob("*/cache/*/*/prediction.json")]
    return {json.loads(body)["id"] for body in bodies if body}


def _frames(video: Path, spec: VideoSpec, tmp: Path) -> dict[int, object]:
    """The middle frame of each beat."""
    tmp.mkdir()
    fps = probe(video).fps
    return {b.index: frame_at(video, int((b.start_s + b.duration_s / 2) * fps), tmp) for b in spec.beats}


def test_regenerating_one_beat_pays_for_it_alone(
    home: Path, tmp_path: Path, fake_openai: FakeOpenAI, fake_replicate: FakeReplicate
) -> None:
    started = time.perf_counter()
    made = vidgen_json("generate", "Create a 15-second Nike ad", *REAL, *SMALL)  # 4 renders; the shortest 3-beat ad
    full_s = time.perf_counter() - started
    assert made["status"] == "complete", made
    video, settings = made["video_id"], Settings(home=home)
    store, keys = open_store(settings), VideoKeys(made["user_id"], video)
    first = tmp_path / "first.mp4"
    first.write_bytes(store.get_bytes(keys.final()))
    spec = VideoSpec.model_validate_json(store.get_bytes(keys.spec()))
    assert len(spec.beats) >= 3
    clips = [p for p in plan_chunks(spec, VIDEO_MODELS[spec.video_model].clip_durations_s) if p.beat_index == 2]
    before, plans = dict(fake_replicate.paid_by_kind), fake_openai.plans

    started = time.perf_counter()
    regen = vidgen_json("regenerate", video, "--beat", "2", "--prompt", "the Nike shoe on a glowing red running track")
    regen_s = time.perf_counter() - started
    assert regen["status"] == "complete" and (regen["beat"], regen["take"]) == (2, 1) and regen["takes"]["2"] == 1
    kinds = ("image", "video", "music", "speech")
    bought = {k: fake_replicate.paid_by_kind.get(k, 0) - before.get(k, 0) for k in kinds}
    assert bought == {"image": 1, "video": len(clips), "music": 0, "speech": 0}  # one image and beat 2's clips
    assert fake_openai.plans == plans == 1  # the plan is a cached call: never planned again
    assert (
        regen["paid_calls"] == 1 + len(clips)
        and regen["reused_calls"] == 1 + 1 + len(spec.beats) - 1 + (made["chunks"] - len(clips)) + made["lines"]
    )  # the plan, the music, the other images and clips, every voice line
    expected = IMAGE_MODELS["flux-dev"].usd_per_image + sum(
        VIDEO_MODELS[spec.video_model].clip_cost(p.clip_s) for p in clips
    )
    assert regen["cost_usd"] == pytest.approx(expected, abs=1e-3)

    second = tmp_path / "second.mp4"
    second.write_bytes(store.get_bytes(keys.final()))
    assert probe(second).duration_s == pytest.approx(15.0, abs=0.1)
    old, new = _frames(first, spec, tmp_path / "a"), _frames(second, spec, tmp_path / "b")
    for beat in spec.beats:
        same = psnr(old[beat.index], new[beat.index])
        assert (same < 30) if beat.index == 2 else (same > 40), (beat.index, same)

    with instance_at(home / "dagster") as instance:  # the whole partition again, as the UI or a backfill runs it
        again = execute(settings, instance, video)
    assert again.success
    meta = metadata_of(again)
    assert meta["video_spec"]["takes"]["2"] == 1 and meta["storyboard"]["reused"] == len(spec.beats)
    assert meta["video_chunks"]["reused"] == made["chunks"] and meta["music"]["reused"] == 1
    assert fake_replicate.paid_by_kind == {k: before.get(k, 0) + bought[k] for k in before}  # paid nothing

    back = vidgen_json("regenerate", video, "--beat", "2", "--take", "0")
    assert back["status"] == "complete" and back["takes"]["2"] == 0 and back["paid_calls"] == 0
    assert (
        fake_replicate.paid == sum(before.values()) + 1 + len(clips) and fake_replicate.creates == fake_replicate.paid
    )
    third = tmp_path / "third.mp4"
    third.write_bytes(store.get_bytes(keys.final()))
    restored = _frames(third, spec, tmp_path / "c")
    assert all(psnr(old[b.index], restored[b.index]) > 40 for b in spec.beats)  # take 0 is back, for free

    shown = vidgen_json("show", video)
    beat2 = shown["beats"][2]
    assert (beat2["take"], beat2["takes"]) == (0, [0, 1]) and beat2["image_key"] == keys.storyboard(2)
    assert beat2["clip_keys"] == [keys.chunk(p.index) for p in clips]
    first_beat2 = IMAGE_MODELS["flux-dev"].usd_per_image + sum(
        VIDEO_MODELS[spec.video_model].clip_cost(p.clip_s) for p in clips
    )
    voiced = [r for r in shown["ledger"] if r["phase"] == "voiceover" and r["beat_index"] == 2 and r["state"] == "paid"]
    line = sum(r["actual_usd"] for r in voiced)  # its voice line, if this video paid for it (the cache is the user's)
    assert line == pytest.approx(len(voiced) * SPEECH_MODELS[DEFAULT_SPEECH_MODEL].cost(len(spec.beats[2].line)))
    assert beat2["cost_usd"] == pytest.approx(2 * first_beat2 + line, abs=1e-4)  # both takes were paid, once each
    assert shown["spent_usd"] == pytest.approx(charged(fake_openai, fake_replicate), abs=1e-4)
    assert shown["spent_usd"] == pytest.approx(made["cost_usd"] + regen["cost_usd"], abs=1e-4)
    states = {row["state"] for row in shown["ledger"]}
    assert states == {"paid", "reused"}
    print(
        f"\n15 s ad: ${made['cost_usd']:.4f} in {full_s:.1f} s; beat 2 again: ${regen['cost_usd']:.4f} in "
        f"{regen_s:.1f} s; ledger ${shown['spent_usd']:.4f} = imitations ${charged(fake_openai, fake_replicate):.4f}"
    )


def test_a_killed_run_resumes_without_paying_twice(
    home: Path, fake_replicate: FakeReplicate, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_replicate.time_scale = 0.04
    fake_replicate.hold_after = {"video": 1}  # one clip is paid; the others stay in flight until the kill
    monkeypatch.setenv("VIDGEN_HEARTBEAT_S", "0.5")  # a run silent for 2.25 s is dead (45 s by default)
    env = dict(os.environ)
    ad = ["generate", "Create a 20-second Nike ad", *REAL, *SMALL, "--json"]
    command = [sys.executable, "-m", "vidgen_dagster.cli", *ad]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:

        def clip_in_flight() -> bool:  # one clip paid, and another created, journaled, and not finished
            assert proc.poll() is None, f"generate exited {proc.returncode} before the kill: {proc.communicate()}"
            if fake_replicate.paid_by_kind.get("video", 0) < 1:
                return False
            flying = {i for i, p in list(fake_replicate.predictions.items()) if p.kind == "video" and p.held}
            return bool(flying & journaled(Settings(home=home)))

        wait("a clip in flight after one was paid", 180, clip_in_flight)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        fake_replicate.release()
    killed = time.perf_counter()
    db = RequestDB(Settings(home=home).db_url)
    (record,) = db.page(Settings(home=home).default_user, 10)[0]
    assert record.status == Status.RUNNING  # what the killed process left behind

    def recognised() -> bool:  # the sensor's rounds (every daemon loop) recognise the dead process
        with instance_at(home / "dagster") as instance:
            tick(Settings(home=home), instance, cursor=None)
        return db.get(record.video_id).status == Status.FAILED

    wait("the dead run to be recognised", 30, recognised)
    detect_s = time.perf_counter() - killed
    dead = db.get(record.video_id)
    assert "has exited" in (dead.error or ""), dead.error
    with instance_at(home / "dagster") as instance:
        run = instance.get_run_by_id(dead.run_id or "")
        assert run is not None and run.is_failure  # the UI shows it failed too, not still running
    paid_before = fake_replicate.paid

    started = time.perf_counter()
    resumed = vidgen_json("resume", record.video_id)
    resume_s = time.perf_counter() - started
    assert resumed["status"] == "complete", resumed
    used = resumed["beats"] + resumed["chunks"] + 1 + resumed["lines"]  # images, clips, music, voice lines
    assert fake_replicate.paid == used and fake_replicate.creates == used  # none paid or created twice
    assert fake_openai.plans == 1
    rows = Ledger(Settings(home=home).db_url).rows(record.video_id)
    paid = [r for r in rows if r.state == CallState.PAID]
    assert len({r.cache_key for r in paid}) == len(paid) == used + 1  # + the plan
    assert not [r for r in rows if r.state == CallState.RESERVED]
    assert db.get(record.video_id).status == Status.COMPLETE
    print(
        f"\nSIGKILL recognised in {detect_s:.1f} s; {paid_before} paid before, {resumed['paid_calls']} paid by the "
        f"resume in {resume_s:.1f} s"
    )


def test_a_budget_below_the_estimate_refuses_before_any_call(
    home: Path, fake_openai: FakeOpenAI, fake_replicate: FakeReplicate
) -> None:
    estimate = json.loads(vidgen_in_process(["estimate", "Create a 30-second Nike ad", *REAL, "--json"]).stdout)
    result = vidgen_in_process(["generate", "Create a 30-second Nike ad", *REAL, "--max-cost", "0.10"])
    assert result.code == 2 and result.stdout == ""
    assert f"estimated at ${estimate['estimate_usd']:.4f}, over its budget of $0.1000" in result.stderr
    assert fake_replicate.creates == 0 and fake_openai.plans == 0


def test_a_budget_reached_mid_run_stops_cleanly(
    home: Path, fake_openai: FakeOpenAI, fake_replicate: FakeReplicate
) -> None:
    # MusicGen is billed by GPU time: 120 s here, four times what the catalog expects for 15 s of music.
    estimate = vidgen_in_process(["estimate", "Create a 15-second Nike ad", *REAL, "--json"])
    cap = round(json.loads(estimate.stdout)["estimate_usd"] + 0.02, 2)
    out = vidgen_json("generate", "Create a 15-second Nike ad", *REAL, "--max-cost", str(cap))
    assert out["status"] == "failed" and "over video" in out["error"] and f"budget of ${cap:.4f}" in out["error"]
    ledger = Ledger(Settings(home=home).db_url)
    assert 0 < ledger.spent(out["video_id"]) <= cap and ledger.committed(out["video_id"]) <= cap
    assert fake_replicate.creates == fake_replicate.paid  # nothing was started that the budget did not cover
    store, keys = open_store(Settings(home=home)), VideoKeys(out["user_id"], out["video_id"])
    assert store.exists(keys.storyboard(0)) and store.exists(keys.music())  # what was made is kept
    assert RequestDB(Settings(home=home).db_url).get(out["video_id"]).status == Status.FAILED
