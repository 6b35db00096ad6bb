"""The whole asset graph materialized for short videos on a real (temporary) Dagster instance."""

from __future__ import annotations

import dagster as dg
import pytest

from vidgen_core.media.probe import probe
from vidgen_core.planning.requests import build_request
from vidgen_core.records import RequestDB
from vidgen_core.settings import Settings
from vidgen_core.storage import LocalStore, VideoKeys
from vidgen_dagster.cli import failure_message
from vidgen_dagster.definitions import build_definitions
from vidgen_dagster.partitions import videos

ASSETS = ["video_spec", "storyboard", "music", "video_chunks", "stitched_video", "final_video"]
REQUIRED_META = {"cost_usd", "cost_breakdown", "provider", "model", "wall_time_s"}


def _run(
    settings: Settings,
    instance: dg.DagsterInstance,
    prompt: str,
    video_id: str,
    **kw: object,
) -> dg.ExecuteInProcessResult:
    RequestDB(settings.db_url).submit(build_request(prompt, settings, video_id=video_id, **kw))
    instance.add_dynamic_partitions(videos.name, [video_id])
    return _execute(settings, instance, video_id)


def _execute(
    settings: Settings, instance: dg.DagsterInstance, video_id: str, **kw: object
) -> dg.ExecuteInProcessResult:
    job = build_definitions(str(settings.home)).resolve_job_def("generate_video")
    return job.execute_in_process(instance=instance, partition_key=video_id, raise_on_error=False, **kw)


def _metadata(result: dg.ExecuteInProcessResult) -> dict[str, dict[str, object]]:
    return {
        e.asset_key.to_user_string(): {
            k: v.value for k, v in e.step_materialization_data.materialization.metadata.items()
        }
        for e in result.get_asset_materialization_events()
    }


def test_whole_graph_for_a_short_video(settings: Settings, instance: dg.DagsterInstance) -> None:
    result = _run(settings, instance, "A 12-second vertical ad for Red Bull", "vid-graph1")
    assert result.success
    meta = _metadata(result)
    assert sorted(meta) == sorted(ASSETS)
    for asset, values in meta.items():
        assert set(values) >= REQUIRED_META, asset
        assert values["cost_usd"] == 0.0 and isinstance(values["cost_breakdown"], list)
    for asset in ("storyboard", "video_chunks", "stitched_video", "final_video"):
        assert "data:image/jpeg;base64," in meta[asset]["preview"]
    assert "data:image/png;base64," in meta["music"]["preview"] and "| beat |" in meta["video_spec"]["preview"]
    checks = result.get_asset_check_evaluations()
    assert {c.check_name for c in checks} == {
        "one_image_per_beat",
        "every_beat_covered",
        "duration_matches_spec",
        "has_video_and_audio",
        "resolution_matches_aspect",
        "loudness_on_target",
    }
    assert all(c.passed for c in checks), [(c.check_name, c.metadata) for c in checks if not c.passed]

    store, keys = LocalStore(settings.storage_dir), VideoKeys(settings.default_user, "vid-graph1")
    spec_json = store.get_bytes(keys.spec())
    beats = meta["video_spec"]["beats"]
    assert b'"duration_s": 12' in spec_json and b'"aspect_ratio": "9:16"' in spec_json
    assert all(store.exists(keys.storyboard(i)) for i in range(beats))
    chunks = meta["video_chunks"]["chunks"]
    assert all(store.exists(keys.chunk(i)) and store.exists(keys.chunk_last_frame(i)) for i in range(chunks))
    for key in (keys.music(), keys.stitched(), keys.final()):
        assert store.size(key) > 10_000, key
    final = probe(store.local_path(keys.final()))
    assert final.duration_s == pytest.approx(12.0, abs=0.1)
    assert (final.width, final.height) == (512, 910) and final.has_audio and final.video_codec == "h264"
    assert instance.get_run_by_id(result.run_id).tags["dagster/partition"] == "vid-graph1"


def test_rerun_reuses_finished_pieces(settings: Settings, instance: dg.DagsterInstance) -> None:
    assert _run(settings, instance, "Create a 15-second Nike ad", "vid-reuse1").success
    keys = VideoKeys(settings.default_user, "vid-reuse1")
    (settings.storage_dir / keys.chunk(1)).unlink()  # as if the run had died while making chunk 1
    result = _execute(settings, instance, "vid-reuse1")
    assert result.success
    meta = _metadata(result)
    assert meta["video_chunks"]["reused"] == meta["video_chunks"]["chunks"] - 1
    assert meta["storyboard"]["reused"] == meta["storyboard"]["images"]


def test_native_audio_model_skips_music(settings: Settings, instance: dg.DagsterInstance) -> None:
    result = _run(settings, instance, "An 8 second ad for a coffee shop", "vid-veo1", model="veo-3-fast")
    assert result.success
    meta = _metadata(result)
    assert meta["music"]["skipped"] is True and meta["music"]["cost_usd"] == 0.0
    assert "native audio" in meta["music"]["reason"]
    final = probe(settings.storage_dir / VideoKeys(settings.default_user, "vid-veo1").final())
    assert final.has_audio and final.duration_s == pytest.approx(8.0, abs=0.1)


def test_partition_added_by_hand_uses_the_launchpad_prompt(settings: Settings, instance: dg.DagsterInstance) -> None:
    instance.add_dynamic_partitions(videos.name, ["ui-made", "ui-empty"])
    config = {"ops": {"video_spec": {"config": {"prompt": "square ad for our bakery", "duration_s": 5}}}}
    assert _execute(settings, instance, "ui-made", run_config=config).success
    assert RequestDB(settings.db_url).request("ui-made").aspect_ratio == "1:1"
    failed = _execute(settings, instance, "ui-empty")
    assert not failed.success
    assert failure_message(failed).startswith("video_spec: No request is stored for video 'ui-empty'")


def test_failed_run_keeps_finished_pieces_and_a_retry_pays_only_for_the_rest(
    settings: Settings, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    import vidgen_core.providers.local_video as local_video

    monkeypatch.setattr(local_video, "ffmpeg_exe", lambda: "/bin/false")  # the video renderer breaks
    failed = _run(settings, instance, "Create a 10-second Nike ad", "vid-retry1")
    assert not failed.success
    failure = next(e for e in failed.all_events if e.is_step_failure)
    assert failure.step_key == "video_chunks"
    assert {e.asset_key.to_user_string() for e in failed.get_asset_materialization_events()} == {
        "video_spec",
        "storyboard",
        "music",
    }
    monkeypatch.undo()
    retried = _execute(settings, instance, "vid-retry1")
    assert retried.success
    meta = _metadata(retried)
    assert meta["storyboard"]["reused"] == meta["storyboard"]["images"] > 0
    assert meta["video_chunks"]["reused"] == 0
