"""Review before paying, through the OpenAI and Replicate imitations: a review run buys the plan and the images and
no clip, a beat regenerated in review costs an image, the clips are bought only once the video is approved (and the
plan and images are not bought again); approving what is not in review, or twice, is refused; the sensor launches
the job the video waits for."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.replicate_server import FakeReplicate
from tests.support import execute, tick, use_home, vidgen_in_process, vidgen_json
from vidgen_core.adapters.ffmpeg import measure
from vidgen_core.domain.catalog import IMAGE_MODELS
from vidgen_core.domain.costs import estimate_request
from vidgen_core.domain.models import Phase
from vidgen_core.persistence.ledger import CallEntry, Ledger
from vidgen_core.persistence.requests import RequestDB, ReviewState, Status
from vidgen_core.pipeline.requests import build_request
from vidgen_core.settings import Settings
from vidgen_dagster.execute import failure_message
from vidgen_dagster.jobs import generate_video, review_video
from vidgen_dagster.partitions import videos

REAL = ["--planner", "openai", "--media", "replicate"]
SMALL = ["--resolution", "720p"]  # a 720p master where the test counts what is bought, not the picture
KINDS = ("image", "video", "music", "speech")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, provider_env: dict) -> Path:
    """A fresh vidgen home for `vidgen` in this process, its providers the imitations."""
    return use_home(tmp_path / "home", monkeypatch)


def bought(replicate: FakeReplicate) -> dict[str, int]:
    return {kind: replicate.paid_by_kind.get(kind, 0) for kind in KINDS}


def ledger_phases(home: Path, video_id: str) -> set[str]:
    return {str(row.phase) for row in Ledger(Settings(home=home).db_url).rows(video_id)}


def test_review_pays_images_only_and_a_beat_in_review_costs_an_image(
    home: Path, fake_openai: FakeOpenAI, fake_replicate: FakeReplicate
) -> None:
    made = vidgen_json("generate", "Create a 10-second Nike ad", "--duration", "10", "--review", *REAL)
    video, beats = made["video_id"], made["beats"]
    assert made["status"] == Status.IN_REVIEW and made["review"] == ReviewState.IN_REVIEW, made
    assert bought(fake_replicate) == {"image": beats, "video": 0, "music": 0, "speech": 0}
    assert ledger_phases(home, video) == {Phase.VIDEO_SPEC, Phase.STORYBOARD}
    preview = Path(made["preview_video"])
    assert measure.motion(preview).frames == 10 * 25 and measure.file_facts(preview).audio_codec == "aac"
    assert made["cost_usd"] == made["video_cost_usd"] > 0  # the plan and the images, all it has spent

    again = vidgen_json("regenerate", video, "--beat", "1", "--prompt", "the Nike shoe on a red running track")
    assert again["status"] == Status.IN_REVIEW and again["review"] == ReviewState.IN_REVIEW and again["takes"]["1"] == 1
    assert bought(fake_replicate) == {"image": beats + 1, "video": 0, "music": 0, "speech": 0}
    assert again["paid_calls"] == 1 and again["cost_usd"] == pytest.approx(IMAGE_MODELS["flux-dev"].usd_per_image)
    assert ledger_phases(home, video) == {Phase.VIDEO_SPEC, Phase.STORYBOARD}
    assert fake_openai.plans == 1  # the plan is a cached call

    shown = vidgen_json("show", video)
    assert shown["review"] == ReviewState.IN_REVIEW and shown["preview_video"] == str(preview)
    record = RequestDB(Settings(home=home).db_url).get(video)  # not complete: no final, and the clips still to buy
    assert (record.status, record.current_phase, record.progress) == (Status.IN_REVIEW, Phase.PREVIEW, 10.0)
    assert record.completed_at is not None  # when its review run ended


def test_a_video_in_review_is_neither_delivered_archived_nor_resumed(
    home: Path, fake_openai: FakeOpenAI, fake_replicate: FakeReplicate
) -> None:
    video = vidgen_json("generate", "Create a 5-second Nike ad", "--review", *REAL)["video_id"]
    waiting = f"{video} is in review: look at its preview (`vidgen show {video}`), then `vidgen approve {video}`"
    files = vidgen_in_process(["deliverables", video])
    assert files.code != 0 and waiting in files.stderr and "Dagster UI" not in files.stderr
    assert vidgen_json("archive", "--older-than", "0")["videos"] == []  # its review run's end is not a delivery
    resumed = vidgen_in_process(["resume", video])
    assert resumed.code == 0 and waiting in resumed.stdout + resumed.stderr
    assert bought(fake_replicate)["video"] == 0


def test_the_whole_graph_refuses_clips_before_the_approval(
    provider_env: dict, settings: Settings, instance: dg.DagsterInstance, fake_replicate: FakeReplicate
) -> None:
    request = build_request(
        "Create a 5-second Nike ad", settings, video_id="vid-unapproved", media="replicate", review=True
    )
    RequestDB(settings.db_url).submit(request)
    instance.add_dynamic_partitions(videos.name, ["vid-unapproved"])
    result = execute(settings, instance, "vid-unapproved")  # generate_video, as a launchpad run without approve
    assert not result.success and "is in review" in failure_message(result)
    assert "vidgen approve vid-unapproved" in failure_message(result)
    assert bought(fake_replicate) == {"image": 0, "video": 0, "music": 0, "speech": 0}


@pytest.mark.parametrize("paid", [Phase.MUSIC, Phase.VOICEOVER])
def test_a_launchpad_run_of_music_or_voice_alone_is_refused_in_review(
    provider_env: dict, settings: Settings, instance: dg.DagsterInstance, fake_replicate: FakeReplicate, paid: Phase
) -> None:
    """Not only the clips: in review, the media step makes the storyboard and nothing else it would pay for."""
    video = f"vid-{paid}"
    RequestDB(settings.db_url).submit(
        build_request("Create a 5-second Nike ad", settings, video_id=video, media="replicate", review=True)
    )
    instance.add_dynamic_partitions(videos.name, [video])
    selection = [dg.AssetKey(Phase.VIDEO_SPEC.value), dg.AssetKey(paid.value)]
    result = execute(settings, instance, video, asset_selection=selection)
    assert not result.success and f"vidgen approve {video}" in failure_message(result)
    assert bought(fake_replicate) == {"image": 0, "video": 0, "music": 0, "speech": 0}
    assert ledger_phases(settings.home, video) <= {Phase.VIDEO_SPEC}


def test_approving_what_is_not_in_review_or_twice_is_refused(home: Path) -> None:
    settings = Settings(home=home)
    requests = RequestDB(settings.db_url)
    plain = build_request("Create a 5-second Nike ad", settings, video_id="vid-plain")
    reviewed = build_request("Create a 5-second Nike ad", settings, video_id="vid-reviewed", review=True)
    requests.submit(plain, status=Status.COMPLETE)
    requests.submit(reviewed, status=Status.QUEUED)
    refused = vidgen_in_process(["approve", "vid-plain"])
    assert refused.code == 2 and "was not made for review" in refused.stderr
    waiting = vidgen_in_process(["approve", "vid-reviewed"])  # its review run has not made the preview yet
    assert waiting.code == 2 and "once its preview is made" in waiting.stderr
    assert requests.get("vid-reviewed").in_review  # a refusal changes nothing
    requests.approve("vid-reviewed")  # as an approval does: then it is queued for the whole graph
    twice = vidgen_in_process(["approve", "vid-reviewed"])
    assert twice.code == 2 and "already approved" in twice.stderr
    assert requests.get("vid-reviewed").review == ReviewState.APPROVED
    unknown = vidgen_in_process(["approve", "vid-nobody"])
    assert unknown.code == 2 and "no video 'vid-nobody'" in unknown.stderr


def test_the_sensor_launches_the_review_run_then_the_whole_graph(
    settings: Settings, instance: dg.DagsterInstance
) -> None:
    requests = RequestDB(settings.db_url)
    requests.submit(build_request("Create a 5-second Nike ad", settings, video_id="vid-rev", review=True))
    requests.submit(build_request("Create a 5-second Nike ad", settings, video_id="vid-full"))
    first = tick(settings, instance, cursor=None)
    assert {r.partition_key: r.job_name for r in first.run_requests} == {
        "vid-rev": review_video.name,
        "vid-full": generate_video.name,
    }
    requests.update("vid-rev", status=Status.IN_REVIEW)
    requests.approve("vid-rev")
    requests.requeue("vid-rev", "req-approved")
    later = tick(settings, instance, cursor=first.cursor)  # (vid-full's run was not launched: asked for again)
    assert {r.partition_key: r.job_name for r in later.run_requests}["vid-rev"] == generate_video.name


@pytest.mark.slow  # the approval renders the whole video
def test_clips_are_bought_only_after_the_approval(
    home: Path, fake_openai: FakeOpenAI, fake_replicate: FakeReplicate
) -> None:
    made = vidgen_json("generate", "Create a 10-second Nike ad", "--duration", "10", "--review", *REAL, *SMALL)
    video, beats = made["video_id"], made["beats"]
    assert bought(fake_replicate) == {"image": beats, "video": 0, "music": 0, "speech": 0}

    approved = vidgen_json("approve", video)
    assert approved["status"] == "complete" and approved["review"] == ReviewState.APPROVED, approved
    clips = approved["chunks"]
    after = bought(fake_replicate)
    assert after["image"] == beats and after["video"] == clips > 0  # the images are reused, the clips bought now
    assert after["music"] == 1  # the paid music bed, bought with the clips
    assert fake_openai.plans == 1 and approved["reused_calls"] >= 1 + beats  # the plan and images from the cache
    assert measure.file_facts(Path(approved["final_video"])).duration_s == pytest.approx(10.0, abs=0.05)
    assert Phase.VIDEO_CHUNKS in ledger_phases(home, video)

    twice = vidgen_in_process(["approve", video])
    assert twice.code == 2 and "already approved" in twice.stderr
    assert bought(fake_replicate) == after


def test_the_launchpad_approves_with_the_spec_config(settings: Settings, instance: dg.DagsterInstance) -> None:
    requests = RequestDB(settings.db_url)
    requests.submit(build_request("Create a 5-second Nike ad", settings, video_id="vid-pad", review=True))
    instance.add_dynamic_partitions(videos.name, ["vid-pad"])
    approve = {"ops": {"video_spec": {"config": {"approve": True}}}}
    result = execute(settings, instance, "vid-pad", run_config=approve, asset_selection=[dg.AssetKey("video_spec")])
    assert result.success, failure_message(result)
    assert requests.get("vid-pad").review == ReviewState.APPROVED
    again = execute(settings, instance, "vid-pad", run_config=approve, asset_selection=[dg.AssetKey("video_spec")])
    assert again.success  # a re-execution of the approving run approves nothing twice and fails nothing


def test_the_launchpad_approval_is_refused_when_the_rerolls_used_the_margin(
    provider_env: dict, settings: Settings, instance: dg.DagsterInstance, fake_replicate: FakeReplicate
) -> None:
    """The request's estimate fits its cap, but not on top of the images and re-rolls already paid: refused before
    the approval, so no run starts buying clips it cannot finish."""
    requests, ledger, price = RequestDB(settings.db_url), Ledger(settings.db_url), IMAGE_MODELS["flux-dev"]
    made = {"video_id": "vid-spent", "media": "replicate", "review": True}
    by_phase = estimate_request(build_request("Create a 5-second Nike ad", settings, **made))
    cap = round(sum(by_phase.values()) + 1.5 * price.usd_per_image, 4)  # room for one re-roll, not two
    requests.submit(
        build_request("Create a 5-second Nike ad", settings, max_cost_usd=cap, **made), status=Status.IN_REVIEW
    )
    for n in range(round(by_phase[Phase.STORYBOARD] / price.usd_per_image) + 2):  # the storyboard and two re-rolls
        entry = CallEntry(
            video_id="vid-spent", user_id="local", phase=Phase.STORYBOARD, item=f"image {n}", provider="replicate",
            model="flux-dev", cache_key=f"image-{n}", estimate_usd=price.usd_per_image,
        )  # fmt: skip
        ledger.paid(ledger.reserve(entry, None), entry.estimate_usd, f"p{n}")
    instance.add_dynamic_partitions(videos.name, ["vid-spent"])
    approve = {"ops": {"video_spec": {"config": {"approve": True}}}}
    result = execute(settings, instance, "vid-spent", run_config=approve)
    assert not result.success and "approving video vid-spent" in failure_message(result)
    assert "raise max_cost_usd" in failure_message(result)
    assert requests.get("vid-spent").in_review
    assert bought(fake_replicate) == {"image": 0, "video": 0, "music": 0, "speech": 0}
