"""The API is an adapter over the service: it reaches vidgen_dagster only through the service package, and its reads
write nothing (rows follow their runs through the service's one named step, sync_runs)."""

from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import api
from tests.support import auth
from vidgen_core.persistence.requests import RequestDB, Status
from vidgen_core.pipeline.requests import build_request
from vidgen_core.settings import Settings


def test_the_api_imports_only_the_service_of_vidgen_dagster() -> None:
    found = set()
    for path in Path(api.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("vidgen_dagster"):
                found.add(node.module)
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name.startswith("vidgen_dagster")}
    assert found == {"vidgen_dagster.service"}, found  # one module: the package's own names


def test_reads_leave_a_lost_run_to_the_sync_step(
    client: TestClient, app: FastAPI, api_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = RequestDB(api_settings.db_url)
    video = db.submit(build_request("Create a 6-second Nike ad", api_settings, user_id="ana")).video_id
    db.update(video, status=Status.RUNNING)  # marked running (by a CLI, say) and its run never appeared
    monkeypatch.setattr("vidgen_dagster.runs.LOST_AFTER", timedelta(0))  # given up at once, if anything looks
    before = db.get(video)
    for path in (f"/api/status/{video}", f"/api/video/{video}", "/api/videos"):
        assert client.get(path, headers=auth("ana")).status_code == 200
    assert db.get(video) == before  # not failed, not even touched

    app.state.services.service.sync_runs([video])
    after = db.get(video)
    assert after.status == Status.FAILED and "its run was lost" in (after.error or "")
    assert client.get(f"/api/status/{video}", headers=auth("ana")).json()["status"] == "failed"
