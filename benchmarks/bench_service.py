"""Service latency on this machine (127.0.0.1 only, bounded, stops by itself).

1. API under load: uvicorn alone (no daemon, so requests stay queued and nothing else competes for the CPU);
   POST /api/generate then GET /api/status, N requests at C concurrent, one user per request.
2. Submit to run start: `vidgen serve` (webserver + daemon + API, as `make ui`), K videos submitted one at a time;
   time from POST to the run being created (sensor tick) and to the run starting (queue + launch).

    python benchmarks/bench_service.py [--requests 200] [--concurrency 20] [--videos 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
RUNS = """query($tag: String!) { runsOrError(filter: {tags: [{key: "vidgen/request_id", value: $tag}]}) {
  ... on Runs { results { status creationTime startTime } } } }"""


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(command: list[str], env: dict[str, str], ready: str, log: Path) -> subprocess.Popen[bytes]:
    out = log.open("wb")
    process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(ready, timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"not ready: {ready}; see {log}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGINT)
    process.wait(60)


def _summary(samples: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in samples)
    return {
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 1),
        "p99_ms": round(ms[int(0.99 * (len(ms) - 1))], 1),
        "max_ms": round(ms[-1], 1),
    }


async def _load(api: str, keys: list[str], concurrency: int) -> dict[str, object]:
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=api, timeout=60) as client:

        async def call(method: str, url: str, key: str, body: dict | None = None) -> tuple[float, httpx.Response]:
            async with gate:
                started = time.perf_counter()
                response = await client.request(method, url, json=body, headers={"X-API-Key": key})
                return time.perf_counter() - started, response

        started = time.perf_counter()
        body = {"prompt": "A 10-second Nike ad"}
        posts = await asyncio.gather(*(call("POST", "/api/generate", k, body) for k in keys))
        post_wall = time.perf_counter() - started
        ids = [r.json()["video_id"] for _, r in posts]
        started = time.perf_counter()
        gets = await asyncio.gather(*(call("GET", f"/api/status/{v}", k) for v, k in zip(ids, keys, strict=True)))
        get_wall = time.perf_counter() - started
    codes = {
        "post": sorted({r.status_code for _, r in posts}),
        "get": sorted({r.status_code for _, r in gets}),
    }
    return {
        "post": _summary([t for t, _ in posts]) | {"per_s": round(len(keys) / post_wall, 1)},
        "get_status": _summary([t for t, _ in gets]) | {"per_s": round(len(keys) / get_wall, 1)},
        "status_codes": codes,
    }


def api_load(requests: int, concurrency: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        keys = [f"bench-key-{i:04d}" for i in range(requests)]
        env = {
            **os.environ,
            "VIDGEN_HOME": f"{tmp}/vidgen",
            "DAGSTER_HOME": f"{tmp}/dagster",
            "VIDGEN_API_KEYS": ",".join(f"{k}=user{i:04d}" for i, k in enumerate(keys)),
        }
        port = _port()
        command = [str(BIN / "python"), "-m", "uvicorn", "api.app:create_app", "--factory", "--port", str(port),
                   "--no-access-log"]  # fmt: skip
        process = _start(command, env, f"http://127.0.0.1:{port}/health", Path(tmp) / "api.log")
        try:
            return asyncio.run(_load(f"http://127.0.0.1:{port}", keys, concurrency))
        finally:
            _stop(process)


def submit_to_start(videos: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "VIDGEN_HOME": f"{tmp}/vidgen", "DAGSTER_HOME": f"{tmp}/dagster"}
        ui_port, api_port = _port(), _port()
        command = [str(BIN / "vidgen"), "serve", "--ui-port", str(ui_port), "--api-port", str(api_port)]
        process = _start(command, env, f"http://127.0.0.1:{api_port}/health", Path(tmp) / "serve.log")
        time.sleep(5)  # let the daemon's first rounds pass so every sample sees a running sensor
        created, started, finished = [], [], []
        try:
            for _ in range(videos):
                t0 = time.time()
                made = httpx.post(f"http://127.0.0.1:{api_port}/api/generate", json={"prompt": "A 5-second Nike ad"})
                request_id, video_id = made.json()["request_id"], made.json()["video_id"]
                while True:
                    body = {"query": RUNS, "variables": {"tag": request_id}}
                    runs = httpx.post(f"http://127.0.0.1:{ui_port}/graphql", json=body).json()
                    found = runs["data"]["runsOrError"]["results"]
                    if found and found[0]["startTime"]:
                        created.append(found[0]["creationTime"] - t0)
                        started.append(found[0]["startTime"] - t0)
                        break
                    time.sleep(0.1)
                while httpx.get(f"http://127.0.0.1:{api_port}/api/status/{video_id}").json()["status"] == "running":
                    time.sleep(0.25)
                finished.append(time.time() - t0)
        finally:
            _stop(process)
    return {
        "submit_to_run_created_s": [round(x, 2) for x in created],
        "submit_to_run_started_s": [round(x, 2) for x in started],
        "submit_to_complete_s": [round(x, 2) for x in finished],
        "median_start_s": round(statistics.median(started), 2),
        "max_start_s": round(max(started), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--videos", type=int, default=5)
    args = parser.parse_args()
    result = {
        "api_load": api_load(args.requests, args.concurrency),
        "submit_to_run_start": submit_to_start(args.videos),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
