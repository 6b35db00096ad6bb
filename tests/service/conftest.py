"""The whole service as `make ui` runs it (`vidgen serve`), on free ports and a temporary home."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

API_KEY, USER = "svc-key-0123456789", "svc-user"
START_TIMEOUT_S = 180
HEADERS = {"X-API-Key": API_KEY}
RUNS = """query($tag: String!) { runsOrError(filter: {tags: [{key: "vidgen/request_id", value: $tag}]}) {
  ... on Runs { results { runId status creationTime startTime tags { key value } } } } }"""
T = TypeVar("T")


def wait(what: str, seconds: float, check: Callable[[], T]) -> T:
    """Poll ``check`` until it returns something truthy."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Service:
    ui: str
    api: str
    home: Path
    process: subprocess.Popen[bytes]

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        response = httpx.post(f"{self.ui}/graphql", json={"query": query, "variables": variables or {}}, timeout=30)
        response.raise_for_status()
        body = response.json()
        assert "errors" not in body, body
        return body["data"]


@pytest.fixture(scope="package")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    home = tmp_path_factory.mktemp("service")
    ui_port, api_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "VIDGEN_HOME": str(home / "vidgen"),
        "DAGSTER_HOME": str(home / "dagster"),
        "VIDGEN_API_KEYS": f"{API_KEY}={USER}",
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
    yield found
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C on `make ui` does
    assert process.wait(60) == 0
    log.close()


@pytest.fixture(scope="package")
def finished(service: Service) -> dict:
    """One video submitted through the API and followed until it is done."""
    submitted = time.time()
    made = httpx.post(f"{service.api}/api/generate", json={"prompt": "Create a 5-second Nike ad"}, headers=HEADERS)
    assert made.status_code == 200, made.text
    request_id, video_id = made.json()["request_id"], made.json()["video_id"]
    runs = wait("the run", 30, lambda: service.graphql(RUNS, {"tag": request_id})["runsOrError"]["results"])
    started = wait("the run to start", 60, lambda: service.graphql(RUNS, {"tag": request_id})["runsOrError"]
                    ["results"][0]["startTime"])  # fmt: skip
    seen = []

    def done() -> dict | None:
        status = httpx.get(f"{service.api}/api/status/{video_id}", headers=HEADERS).json()
        seen.append((status["status"], status["current_phase"]))
        return status if status["status"] in ("complete", "failed") else None

    status = wait("the final video", 180, done)
    print(
        f"submit -> run created {runs[0]['creationTime'] - submitted:.2f} s, -> run started {started - submitted:.2f} s"
    )
    return {"status": status, "video_id": video_id, "request_id": request_id, "run": runs[0], "seen": seen}
