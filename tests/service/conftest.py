"""The whole service as `make ui` runs it (`vidgen serve`), on free ports and a temporary home."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import RUNS_BY_REQUEST, SERVICE_HEADERS, SERVICE_KEY, SERVICE_USER, Service, wait

START_TIMEOUT_S = 180


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="package")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    home = tmp_path_factory.mktemp("service")
    ui_port, api_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "VIDGEN_HOME": str(home / "vidgen"),
        "DAGSTER_HOME": str(home / "dagster"),
        "VIDGEN_API_KEYS": f"{SERVICE_KEY}={SERVICE_USER}",
    }
    log = (home / "serve.log").open("wb")
    command = [str(Path(sys.executable).parent / "vidgen"), "serve", "--ui-port", str(ui_port), "--api-port",
               str(api_port)]  # fmt: skip
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    found = Service(f"http://127.0.0.1:{ui_port}", f"http://127.0.0.1:{api_port}", home, process)
    deadline = time.monotonic() + START_TIMEOUT_S
    while b"vidgen is up" not in (home / "serve.log").read_bytes():
        assert process.poll() is None, (home / "serve.log").read_text()[-3000:]
        assert time.monotonic() < deadline, "vidgen serve did not come up"
        time.sleep(0.5)
    announced = json.loads((home / "vidgen" / "service.json").read_text())  # where the CLI finds the service
    assert (announced["ui_url"], announced["api_url"]) == (found.ui, found.api)
    yield found
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C on `make ui` does
    assert process.wait(60) == 0
    assert not (home / "vidgen" / "service.json").exists()
    log.close()


@pytest.fixture(scope="package")
def finished(service: Service) -> dict:
    """One video submitted through the API and followed until it is done."""
    submitted = time.time()
    made = httpx.post(
        f"{service.api}/api/generate", json={"prompt": "Create a 5-second Nike ad"}, headers=SERVICE_HEADERS
    )
    assert made.status_code == 200, made.text
    request_id, video_id = made.json()["request_id"], made.json()["video_id"]

    def runs() -> list[dict]:
        return service.graphql(RUNS_BY_REQUEST, {"tag": request_id})["runsOrError"]["results"]

    created = wait("the run", 30, runs)
    started = wait("the run to start", 60, lambda: runs()[0]["startTime"])
    seen = []

    def done() -> dict | None:
        status = httpx.get(f"{service.api}/api/status/{video_id}", headers=SERVICE_HEADERS).json()
        seen.append((status["status"], status["current_phase"]))
        return status if status["status"] in ("complete", "failed") else None

    status = wait("the final video", 180, done)
    print(f"submit -> run created {created[0]['creationTime'] - submitted:.2f} s, started {started - submitted:.2f} s")
    return {"status": status, "video_id": video_id, "request_id": request_id, "run": created[0], "seen": seen}
