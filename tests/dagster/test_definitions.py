"""The code location the UI loads: workspace.yaml resolves and the definitions validate."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import pytest
import yaml
from dagster._core.instance.config import dagster_instance_config
from dagster._core.instance.ref import InstanceRef

from tests.support import CHECKS, metadata_of
from vidgen_core.adapters.local.planner import LocalPlanner
from vidgen_core.domain.errors import BudgetExceeded
from vidgen_core.persistence.records import RequestDB
from vidgen_core.pipeline.requests import build_request
from vidgen_core.settings import Settings
from vidgen_dagster.assets import _new_take
from vidgen_dagster.definitions import build_definitions, defs
from vidgen_dagster.instance import config_gaps, configure_pools
from vidgen_dagster.partitions import videos
from vidgen_dagster.resources import SpecConfig

ROOT = Path(__file__).resolve().parents[2]


def test_workspace_validates(tmp_path: Path) -> None:
    env = dict(os.environ, DAGSTER_HOME=str(tmp_path), VIDGEN_HOME=str(tmp_path / "vidgen"))
    dagster = Path(sys.executable).parent / "dagster"
    proc = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Validation successful" in proc.stdout + proc.stderr


def test_graph_shape() -> None:
    graph = defs.resolve_asset_graph()
    parents = {
        k.to_user_string(): sorted(p.to_user_string() for p in graph.get(k).parent_keys)
        for k in graph.get_all_asset_keys()
    }
    assert parents == {
        "video_request": [],
        "video_spec": ["video_request"],
        "storyboard": ["video_request", "video_spec"],
        "music": ["video_spec"],
        "video_chunks": ["storyboard", "video_request", "video_spec"],
        "stitched_video": ["video_chunks", "video_spec"],
        "final_video": ["music", "stitched_video", "video_spec"],
    }
    assert all(graph.get(k).partitions_def.name == "videos" for k in graph.get_all_asset_keys())
    assert all(graph.get(k).code_version for k in graph.materializable_asset_keys)
    assert graph.get(dg.AssetKey("video_request")).is_external  # reported by runless observations


def test_every_asset_check_says_what_it_verifies() -> None:
    graph = defs.resolve_asset_graph()
    described = {key.name: graph.get_check_spec(key).description for key in graph.asset_check_keys}
    assert set(described) == CHECKS
    assert all(text and len(text) > 30 for text in described.values()), described
    assert "0.1 s" in described["duration_matches_spec"] and "1 LU" in described["loudness_on_target"]


def test_shipped_instance_config_turns_telemetry_and_the_community_pop_up_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))  # the event log's folder, as `vidgen` sets it
    shutil.copyfile(ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(tmp_path))) as instance:
        assert instance.telemetry_enabled is False
        assert instance.nux_enabled is False
        assert instance.get_settings("concurrency")["runs"]["max_concurrent_runs"] == 2


def test_shipped_instance_keeps_dagsters_default_event_log_with_the_provider_pools(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    shutil.copyfile(ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    settings = Settings(home=tmp_path / "vidgen")
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(tmp_path))) as instance:
        storage = instance.event_log_storage
        assert type(storage).__name__ == "SqliteEventLogStorage"  # a file per run, under history/runs only
        assert (tmp_path / "history" / "runs" / "index.db").is_file()
        configure_pools(instance, settings)  # what `vidgen init` and every CLI command do
        assert storage.supports_global_concurrency_limits
        assert storage.get_concurrency_info("replicate").slot_count == settings.replicate_concurrency
        assert instance.get_settings("sensors") == {"use_threads": True, "num_submit_workers": 4}


def test_both_instance_files_have_dagsters_monitor_give_back_a_killed_runs_pool_slots(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    for name in ("HOST", "PORT", "USER", "PASSWORD", "DB"):  # the deployment file is only read, never connected to
        monkeypatch.setenv(f"DAGSTER_PG_{name}", "5432" if name == "PORT" else "x")
    shutil.copyfile(ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(tmp_path))) as instance:
        assert instance.run_monitoring_enabled
        assert instance.run_monitoring_settings["free_slots_after_run_end_seconds"] == 30
        assert config_gaps(instance) == []
    shutil.copyfile(ROOT / "deploy" / "dagster.yaml", tmp_path / "dagster.yaml")
    deploy = InstanceRef.from_dir(str(tmp_path)).settings["run_monitoring"]  # what its instance's settings are
    assert deploy["enabled"] and deploy["free_slots_after_run_end_seconds"] == 30


def test_a_home_made_with_the_one_file_event_log_keeps_it_and_is_told_of_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    config = yaml.safe_load((ROOT / "dagster.yaml").read_text())
    config["event_log_storage"] = {  # what vidgen shipped before
        "module": "dagster._core.storage.event_log",
        "class": "ConsolidatedSqliteEventLogStorage",
        "config": {"base_dir": {"env": "DAGSTER_HOME"}},
    }
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(config))
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(tmp_path))) as instance:
        configure_pools(instance, Settings(home=tmp_path / "vidgen"))  # it still works
        (gap,) = config_gaps(instance)
        assert "remove its event_log_storage section" in gap


def test_deploy_instance_config_turns_telemetry_and_the_community_pop_up_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HOST", "PORT", "USER", "PASSWORD", "DB"):  # only read, never connected to here
        monkeypatch.setenv(f"DAGSTER_PG_{name}", "5432" if name == "PORT" else "x")
    shutil.copyfile(ROOT / "deploy" / "dagster.yaml", tmp_path / "dagster.yaml")
    config, _ = dagster_instance_config(str(tmp_path))
    assert config["telemetry"] == {"enabled": False}
    assert config["nux"] == {"enabled": False}


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, {"video_spec": {"local"}, "storyboard": {"pillow"}, "music": {"numpy"}, "video_chunks": {"ffmpeg"}}),
        (
            {"VIDGEN_PLANNER": "openai", "VIDGEN_MEDIA": "replicate"},
            {
                "video_spec": {"openai"},
                "storyboard": {"replicate"},
                "music": {"replicate"},
                "video_chunks": {"replicate"},
            },
        ),
    ],
)
def test_kind_badges_say_what_renders_in_this_deployment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: dict[str, set[str]]
) -> None:
    for key in ("VIDGEN_PLANNER", "VIDGEN_MEDIA"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    graph = build_definitions(str(tmp_path)).resolve_asset_graph()
    kinds = {k.to_user_string(): set(graph.get(k).kinds) for k in graph.get_all_asset_keys()}
    assert kinds == {**expected, "stitched_video": {"ffmpeg"}, "final_video": {"ffmpeg"}, "video_request": set()}


def test_a_partitions_title_and_owner_are_in_its_plans_metadata_and_its_request_observation(
    settings: Settings, instance: dg.DagsterInstance
) -> None:
    request = build_request("Create a 10-second Nike ad", settings, user_id="ana", title='Spring "sale" 100%')
    RequestDB(settings.db_url).submit(request)
    instance.add_dynamic_partitions(videos.name, [request.video_id])
    job = build_definitions(str(settings.home)).resolve_job_def("generate_video")
    planned = job.execute_in_process(
        instance=instance, partition_key=request.video_id, asset_selection=[dg.AssetKey("video_spec")]
    )
    shown = metadata_of(planned)["video_spec"]  # the asset's partition page shows its latest materialization
    assert (shown["title"], shown["user"]) == ('Spring "sale" 100%', "ana")
    (observed,) = instance.fetch_observations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey("video_request"), asset_partitions=[request.video_id]), limit=1
    ).records
    meta = observed.asset_observation.metadata
    assert (meta["title"].value, meta["user"].value) == ('Spring "sale" 100%', "ana")


def test_a_rerun_of_a_launchpad_reroll_gets_its_take_back_when_the_budget_is_spent(settings: Settings) -> None:
    """A run retry or a UI re-execution of a launchpad re-roll: the ledger already counts its take's calls, so the
    budget is checked for a new take only, not for the one its root run already got."""
    request = build_request(
        "A 15-second ad for Nike shoes", settings, media="replicate", max_cost_usd=5.0, need_credentials=False
    )
    db = RequestDB(settings.db_url)
    db.submit(request)
    spent = {"usd": 0.0}
    ledger = SimpleNamespace(committed=lambda video_id: spent["usd"])
    step = SimpleNamespace(request=request, vidgen=SimpleNamespace(ledger=lambda: ledger, requests=lambda: db))
    plan = LocalPlanner().plan(request).spec
    config = SpecConfig(regenerate_beat=1)
    _new_take(step, plan, config, "root-run")  # type: ignore[arg-type]
    spent["usd"] = 4.99  # the take's calls, paid or reserved by the killed run
    _new_take(step, plan, config, "root-run")  # type: ignore[arg-type]  # its retry: the same take, not refused
    assert [(t.beat_index, t.take) for t in db.current_takes(request.video_id)] == [(1, 1)]
    with pytest.raises(BudgetExceeded):  # another re-roll is still checked
        _new_take(step, plan, config, "another-run")  # type: ignore[arg-type]
