"""The code location the UI loads: workspace.yaml resolves and the definitions validate."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.instance.config import dagster_instance_config
from dagster._core.instance.ref import InstanceRef

from tests.support import CHECKS
from vidgen_core.settings import Settings
from vidgen_dagster.definitions import defs
from vidgen_dagster.instance import configure_pools

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
    assert graph.get(dg.AssetKey("video_request")).is_observable


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


def test_shipped_instance_keeps_every_runs_events_in_one_file_with_the_provider_pools(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    shutil.copyfile(ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    settings = Settings(home=tmp_path / "vidgen")
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(tmp_path))) as instance:
        storage = instance.event_log_storage
        assert type(storage).__name__ == "ConsolidatedSqliteEventLogStorage"
        assert (tmp_path / "event_log.db").is_file()
        configure_pools(instance, settings)  # what `vidgen init` and every CLI command do
        assert storage.supports_global_concurrency_limits
        assert storage.get_concurrency_info("replicate").slot_count == settings.replicate_concurrency
        assert instance.get_settings("sensors") == {"use_threads": True, "num_submit_workers": 4}


def test_deploy_instance_config_turns_telemetry_and_the_community_pop_up_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HOST", "PORT", "USER", "PASSWORD", "DB"):  # only read, never connected to here
        monkeypatch.setenv(f"DAGSTER_PG_{name}", "5432" if name == "PORT" else "x")
    shutil.copyfile(ROOT / "deploy" / "dagster.yaml", tmp_path / "dagster.yaml")
    config, _ = dagster_instance_config(str(tmp_path))
    assert config["telemetry"] == {"enabled": False}
    assert config["nux"] == {"enabled": False}
