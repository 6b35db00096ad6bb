"""The code location the UI loads: workspace.yaml resolves and the definitions validate."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

from vidgen_dagster.definitions import defs

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
