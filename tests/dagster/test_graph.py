"""The asset graph on a real (temporary) Dagster instance: failures keep finished pieces, re-runs reuse them, and a
partition made in the UI plans from the launchpad's config. (The whole graph for a short video, with its metadata
and checks, is materialized through the CLI in tests/test_cli.py.)"""

from __future__ import annotations

from typing import Any

import dagster as dg
import pytest

from tests.support import execute, metadata_of, stale_assets, submit_and_execute
from vidgen_core.adapters.ffmpeg.probe import probe
from vidgen_core.adapters.storage import VideoKeys
from vidgen_core.domain.models import Phase, VideoSpec, Voiceover
from vidgen_core.persistence.ledger import CallState, Ledger
from vidgen_core.persistence.requests import RequestDB
from vidgen_core.pipeline import verify
from vidgen_core.pipeline.requests import build_request
from vidgen_core.settings import Settings
from vidgen_dagster.execute import failure_message
from vidgen_dagster.partitions import videos


@pytest.mark.slow  # renders whole videos
def test_failed_run_keeps_finished_pieces_and_reruns_pay_only_for_the_rest(
    settings: Settings, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    import vidgen_core.adapters.local.video as local_video

    monkeypatch.setattr(local_video, "ffmpeg_exe", lambda: "/bin/false")  # the video renderer breaks
    failed = submit_and_execute(settings, instance, "Create a 10-second Nike ad", "vid-retry1", resolution="720p")
    assert not failed.success
    failure = next(e for e in failed.all_events if e.is_step_failure)
    assert failure.step_key == "media"  # storyboard, music and chunks are one step; the failure names its phase
    assert failure_message(failed).startswith("video_chunks: ffmpeg failed to encode clip chunk ")
    assert {e.asset_key.to_user_string() for e in failed.get_asset_materialization_events()} == {
        "video_spec",
        "storyboard",
        "music",
        "voiceover",
    }
    monkeypatch.undo()

    retried = execute(settings, instance, "vid-retry1")
    assert retried.success
    meta = metadata_of(retried)
    assert meta["storyboard"]["reused"] == meta["storyboard"]["images"] > 0
    assert meta["video_chunks"]["reused"] == 0

    ledger = Ledger(settings.db_url)
    paid = [r for r in ledger.rows("vid-retry1") if r.state == CallState.PAID]
    failed_calls = [r for r in ledger.rows("vid-retry1") if r.state == CallState.FAILED]
    # the broken renderer's one attempt at each beat's first clip (beats run at once)
    assert [r.phase for r in failed_calls] == [Phase.VIDEO_CHUNKS] * meta["storyboard"]["images"]
    calls = 1 + meta["storyboard"]["images"] + 1 + meta["video_chunks"]["chunks"] + meta["voiceover"]["lines"]
    assert len(paid) == calls  # each call once: the plan, images, music, clips and voice lines

    keys = VideoKeys(settings.default_user, "vid-retry1")
    (settings.storage_dir / keys.chunk(1)).unlink()  # a lost copy: the call cache still holds the clip
    rerun = execute(settings, instance, "vid-retry1")
    assert rerun.success
    meta = metadata_of(rerun)
    assert meta["video_chunks"]["reused"] == meta["video_chunks"]["chunks"]
    assert meta["storyboard"]["reused"] == meta["storyboard"]["images"] and meta["video_spec"]["reused"] == 1
    assert [r for r in ledger.rows("vid-retry1") if r.state == CallState.PAID] == paid  # nothing paid again
    assert probe(settings.storage_dir / keys.final()).duration_s == pytest.approx(10.0, abs=0.1)


@pytest.mark.slow  # renders whole videos
def test_partition_added_by_hand_uses_the_launchpad_prompt(settings: Settings, instance: dg.DagsterInstance) -> None:
    instance.add_dynamic_partitions(videos.name, ["ui-made", "ui-empty"])
    config = {
        "ops": {"video_spec": {"config": {"prompt": "square ad for our bakery", "duration_s": 5, "user_id": "ana"}}}
    }
    assert execute(settings, instance, "ui-made", run_config=config).success
    made = RequestDB(settings.db_url).request("ui-made")
    assert (made.aspect_ratio, made.user_id) == ("1:1", "ana")  # the API shows it to ana
    assert (settings.storage_dir / VideoKeys("ana", "ui-made").final()).is_file()
    failed = execute(settings, instance, "ui-empty")
    assert not failed.success
    assert failure_message(failed).startswith("video_spec: No request is stored for video 'ui-empty'")


@pytest.mark.slow  # renders whole videos
def test_launchpad_config_regenerates_one_beat(settings: Settings, instance: dg.DagsterInstance) -> None:
    assert submit_and_execute(settings, instance, "Create a 15-second Nike ad", "vid-pad1", resolution="720p").success
    ledger = Ledger(settings.db_url)
    paid = len([r for r in ledger.rows("vid-pad1") if r.state == CallState.PAID])
    config = {"ops": {"video_spec": {"config": {"regenerate_beat": 1, "image_prompt": "the Nike shoe on ice"}}}}
    result = execute(settings, instance, "vid-pad1", run_config=config)  # what the launchpad runs
    assert result.success
    meta = metadata_of(result)
    assert meta["video_spec"]["takes"] == {"0": 0, "1": 1, "2": 0}
    assert meta["storyboard"]["reused"] == meta["storyboard"]["images"] - 1
    new = [r for r in ledger.rows("vid-pad1") if r.state == CallState.PAID][paid:]
    assert {(r.phase, r.beat_index, r.take) for r in new} == {(Phase.STORYBOARD, 1, 1), (Phase.VIDEO_CHUNKS, 1, 1)}
    prompts = [row.data["image_prompt"] for row in meta["storyboard"]["beat_table"].records]
    assert "the Nike shoe on ice" in prompts[1]
    again = execute(settings, instance, "vid-pad1")  # a later materialization of the partition keeps the take
    assert again.success and metadata_of(again)["video_spec"]["takes"]["1"] == 1
    assert metadata_of(again)["storyboard"]["reused"] == metadata_of(again)["storyboard"]["images"]


@pytest.mark.slow  # renders whole videos
def test_the_storyboard_checks_run_once_per_media_step(
    settings: Settings, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checks that gate the clips are the ones the storyboard asset reports: the images are read once."""
    counted = {"runs": 0}
    real = verify.storyboard_checks

    def counting(*args: Any) -> list[verify.Outcome]:
        counted["runs"] += 1
        return real(*args)

    monkeypatch.setattr(verify, "storyboard_checks", counting)
    result = submit_and_execute(settings, instance, "Create a 5-second Nike ad", "vid-checks1")
    assert result.success and counted["runs"] == 1
    (check,) = [e for e in result.get_asset_check_evaluations() if e.check_name == "one_image_per_beat"]
    assert check.passed


@pytest.mark.slow  # reads staleness through the UI's GraphQL, which loads the code location (~6 s)
def test_a_launchpad_take_made_by_the_plan_leaves_the_plan_fresh(
    settings: Settings, instance: dg.DagsterInstance
) -> None:
    """The plan's step makes the launchpad's take, so video_request's version changes after Dagster read it at the
    step's start: the plan records the version it was made from, and the UI shows it fresh, not stale."""
    plan_only = {"asset_selection": [dg.AssetKey("video_spec")]}
    RequestDB(settings.db_url).submit(build_request("Create a 15-second Nike ad", settings, video_id="vid-pad2"))
    instance.add_dynamic_partitions(videos.name, ["vid-pad2"])
    assert execute(settings, instance, "vid-pad2", **plan_only).success
    config = {"ops": {"video_spec": {"config": {"regenerate_beat": 1, "image_prompt": "the Nike shoe on ice"}}}}
    result = execute(settings, instance, "vid-pad2", run_config=config, **plan_only)
    assert result.success and metadata_of(result)["video_spec"]["takes"]["1"] == 1
    assert stale_assets(instance, "vid-pad2") == set()  # storyboard and chunks are missing, not stale


def test_music_materializes_alone(settings: Settings, instance: dg.DagsterInstance) -> None:
    """media is one step for three assets, and a subset of it makes only what is selected: no image, no clip."""
    RequestDB(settings.db_url).submit(build_request("Create a 5-second Nike ad", settings, video_id="vid-music1"))
    instance.add_dynamic_partitions(videos.name, ["vid-music1"])
    assert execute(settings, instance, "vid-music1", asset_selection=[dg.AssetKey("video_spec")]).success
    result = execute(settings, instance, "vid-music1", asset_selection=[dg.AssetKey("music")])
    assert result.success
    assert [e.asset_key.to_user_string() for e in result.get_asset_materialization_events()] == ["music"]
    calls = Ledger(settings.db_url).rows("vid-music1")
    assert [r.phase for r in calls] == [Phase.VIDEO_SPEC, Phase.MUSIC]  # each call of the video, in order
    video = settings.storage_dir / VideoKeys(settings.default_user, "vid-music1").prefix
    assert {"storyboard", "chunks"}.isdisjoint(p.name for p in video.iterdir())


def test_the_ui_shows_the_script_beat_by_beat(settings: Settings, instance: dg.DagsterInstance) -> None:
    """The plan's beat table carries each beat's line and on-screen copy, and the voiceover's script table each line
    as it was spoken, where it plays and what it cost: the script read in the UI, not in the manifests."""
    RequestDB(settings.db_url).submit(build_request("Create a 15-second Nike ad", settings, video_id="vid-script1"))
    instance.add_dynamic_partitions(videos.name, ["vid-script1"])
    planned = execute(settings, instance, "vid-script1", asset_selection=[dg.AssetKey("video_spec")])
    assert planned.success
    keys = VideoKeys(settings.default_user, "vid-script1")
    spec = VideoSpec.model_validate_json((settings.storage_dir / keys.spec()).read_bytes())
    shown = [
        (r.data["beat"], r.data["line"], r.data["on_screen"])
        for r in metadata_of(planned)["video_spec"]["beat_table"].records
    ]
    assert shown == [(b.index, b.line, b.on_screen) for b in spec.beats]
    assert sum(bool(line) for _, line, _ in shown) >= 2 and any(on for _, _, on in shown)  # not blank columns
    said = execute(settings, instance, "vid-script1", asset_selection=[dg.AssetKey("voiceover")])
    assert said.success
    meta = metadata_of(said)["voiceover"]
    rows = [r.data for r in meta["script_table"].records]
    spoken = [b for b in spec.beats if b.line]
    assert [(r["beat"], r["take"], r["line"]) for r in rows] == [(b.index, 0, b.line) for b in spoken]
    voiceover = Voiceover.model_validate_json((settings.storage_dir / keys.manifest(Phase.VOICEOVER)).read_bytes())
    assert [(r["start_s"], r["end_s"], r["words"]) for r in rows] == [
        (s.start_s, s.end_s, len(s.words)) for s in voiceover.lines
    ]
    assert all(r["words"] > 0 and r["timed_by"] for r in rows) and meta["lines"] == len(spoken)
