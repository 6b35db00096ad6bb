"""When something under the API fails: a locked or unreachable database is a 503 with Retry-After within the API's
short lock wait (runs stay patient) and /health says so; any other fault is a plain 500. No answer names a server
path or a Python class."""

from __future__ import annotations

import errno
import logging
import re
import sqlite3
import threading
import time
from collections.abc import Iterator

import dagster as dg
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.app import CRASHED, create_app
from tests.support import ORIGIN, auth
from vidgen_core.persistence.db import PATIENT_LOCK_WAIT_S
from vidgen_core.persistence.requests import RequestDB, Status
from vidgen_core.persistence.trouble import Trouble
from vidgen_core.settings import Settings

CLASS_NAME = re.compile(r"\b[A-Z]\w*(?:Error|Exception)\b")


@pytest.fixture
def held(api_settings: Settings) -> Iterator[sqlite3.Connection]:
    """The requests database's write lock, held by another connection (as a long write elsewhere would)."""
    RequestDB(api_settings.db_url)  # the tables exist
    blocker = sqlite3.connect(api_settings.home / "vidgen.db", isolation_level=None, check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")
    yield blocker
    blocker.close()


def _plain(body: str, api_settings: Settings) -> None:
    assert str(api_settings.home.resolve()) not in body and "/tmp" not in body and "sqlite" not in body.lower()
    assert not CLASS_NAME.search(body), body


@pytest.mark.usefixtures("short_api_lock_wait")
def test_a_locked_database_is_a_503_within_the_lock_wait_and_health_says_so(
    client: TestClient, api_settings: Settings, held: sqlite3.Connection
) -> None:
    started = time.monotonic()
    answer = client.post("/api/generate", json={"prompt": "A 5-second Nike ad"}, headers=auth("ana"))
    waited = time.monotonic() - started
    print(f"locked database: 503 after {waited:.2f} s (lock wait {api_settings.api_lock_wait_s} s)")
    assert answer.status_code == 503 and answer.headers["retry-after"] == "5", answer.text
    assert answer.json()["detail"] == Trouble.BUSY.said(to_caller=True)  # Trouble's words, as the CLI's line
    _plain(answer.text, api_settings)
    health = client.get("/health")
    assert health.status_code == 503 and health.json()["checks"]["database"] == f"unavailable: {Trouble.BUSY.said()}"
    _plain(health.text, api_settings)
    assert client.get("/api/videos", headers=auth("ana")).status_code == 200  # reads still answer
    held.execute("ROLLBACK")
    assert client.get("/health").status_code == 200
    assert client.post("/api/generate", json={"prompt": "A 5-second Nike ad"}, headers=auth("ana")).status_code == 200


@pytest.mark.usefixtures("short_api_lock_wait")
def test_runs_and_the_daemon_wait_for_the_lock_longer_than_the_api(
    client: TestClient, api_settings: Settings, held: sqlite3.Connection
) -> None:
    video = client.post("/api/generate", json={"prompt": "A 5-second Nike ad"}, headers=auth("ana"))
    assert video.status_code == 503  # the lock is held: the API gives up after its wait
    held.execute("ROLLBACK")
    made = client.post("/api/generate", json={"prompt": "A 5-second Nike ad"}, headers=auth("ana")).json()
    held.execute("BEGIN IMMEDIATE")
    release = threading.Timer(api_settings.api_lock_wait_s * 2, lambda: held.execute("ROLLBACK"))
    release.start()  # held twice as long as an API request waits, far less than a run waits
    try:
        RequestDB(api_settings.db_url).update(made["video_id"], status=Status.RUNNING)  # as a run's step writes
    finally:
        release.join()
    assert RequestDB(api_settings.db_url).get(made["video_id"]).status == Status.RUNNING
    assert api_settings.api_lock_wait_s * 2 < PATIENT_LOCK_WAIT_S


def test_any_other_fault_is_a_plain_500_and_health_names_no_class(
    api_settings: Settings, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError(f"{api_settings.home.resolve()}/secret")  # a bug whose text names a server path

    monkeypatch.setattr("vidgen_dagster.service.use_cases.build_request", broken)
    monkeypatch.setattr(instance, "get_run_records", broken)
    with TestClient(create_app(api_settings, instance), raise_server_exceptions=False) as client:
        crashed = client.post("/api/generate", json={"prompt": "A 5-second Nike ad"}, headers=auth("ana"))
        assert crashed.status_code == 500 and "try again" in crashed.json()["detail"]
        _plain(crashed.text, api_settings)
        health = client.get("/health")
        assert health.status_code == 503 and health.json()["checks"]["dagster"].startswith("unavailable: ")
        _plain(health.text, api_settings)
        assert "KeyError" not in health.text


@pytest.mark.parametrize(
    "fault",
    [
        sa.exc.OperationalError("SELECT 1", {}, sqlite3.OperationalError("no such table: video_requests")),
        sa.exc.OperationalError("SELEC 1", {}, sqlite3.OperationalError('near "SELEC": syntax error')),
        FileNotFoundError(errno.ENOENT, "No such file or directory", "/srv/vidgen/x.json"),
    ],
    ids=["no-such-table", "syntax-error", "missing-file"],
)
def test_a_database_or_file_bug_is_a_logged_500_with_cors_headers(
    api_settings: Settings,
    instance: dg.DagsterInstance,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    fault: Exception,
) -> None:
    """Not a fault to wait out (no 503, no Retry-After): a bug, answered like any other, with its traceback logged
    and the CORS headers a browser needs to read the answer."""

    def broken(*args: object, **kwargs: object) -> None:
        raise fault

    monkeypatch.setattr("vidgen_dagster.service.use_cases.build_request", broken)
    with (
        caplog.at_level(logging.ERROR, "vidgen.api"),
        TestClient(create_app(api_settings, instance), raise_server_exceptions=False) as client,
    ):
        crashed = client.post(
            "/api/generate", json={"prompt": "A 5-second Nike ad"}, headers={"Origin": ORIGIN, **auth("ana")}
        )
    assert crashed.status_code == 500 and crashed.json()["detail"] == CRASHED, crashed.text
    assert "retry-after" not in crashed.headers
    assert crashed.headers["access-control-allow-origin"] == ORIGIN
    assert any(r.exc_info and r.exc_info[1] is fault for r in caplog.records)
