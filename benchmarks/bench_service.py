"""Service latency on this machine (127.0.0.1 only, bounded, stops by itself).

1. API under load: uvicorn alone (no daemon, so requests stay queued and nothing else competes for the CPU);
   POST /api/generate then GET /api/status, N requests at C concurrent, one user per request.
2. Submit to run start: `vidgen serve` (webserver + daemon + API, as `make ui`), K videos submitted one at a time;
   time from POST to the run being created (sensor tick) and to the run starting (queue + launch).
3. A burst: `vidgen serve` with run execution paused (`max_concurrent_runs: 0`, so runs stay queued and nothing
   else competes for the CPU), B submissions at C concurrent; time from the last submission to the last run created,
   the sensor ticks that requested runs, and runs created per second.

    python benchmarks/bench_service.py [--requests 200] [--concurrency 20] [--videos 5] [--burst 500]
                                       [--parts api,start] (burst: --parts burst)
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
from collections import Counter
from pathlib import Path

import httpx
import yaml

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]
ALL_RUNS = """{ runsOrError(filter: {tags: [{key: "vidgen/source", value: "api"}]}, limit: 100000) {
  ... on Runs { results { creationTime status } } } }"""
TICKS = """{ sensorOrError(sensorSelector: {repositoryLocationName: "vidgen", repositoryName: "__repository__",
  sensorName: "video_requests"}) { ... on Sensor { sensorState { ticks(limit: 1000) {
  timestamp endTimestamp status runIds } } } } }"""
BURST_TIMEOUT_S = 1200
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


def _graphql(ui: str, query: str) -> dict:
    return httpx.post(f"{ui}/graphql", json={"query": query}, timeout=60).json()["data"]


def burst(submissions: int, concurrency: int) -> dict[str, object]:
    """B submissions at once with runs paused: how fast the request sensor turns them into (queued) runs."""
    with tempfile.TemporaryDirectory() as tmp:
        dagster_home = Path(tmp) / "dagster"
        dagster_home.mkdir()
        config = yaml.safe_load((ROOT / "dagster.yaml").read_text())
        config["concurrency"]["runs"]["max_concurrent_runs"] = 0  # paused: runs are created and stay queued
        (dagster_home / "dagster.yaml").write_text(yaml.safe_dump(config))
        env = {
            **os.environ,
            "VIDGEN_HOME": f"{tmp}/vidgen",
            "DAGSTER_HOME": str(dagster_home),
            "VIDGEN_MAX_ACTIVE_PER_USER": str(submissions + 1),
        }
        ui_port, api_port = _port(), _port()
        ui, api = f"http://127.0.0.1:{ui_port}", f"http://127.0.0.1:{api_port}"
        command = [str(BIN / "vidgen"), "serve", "--ui-port", str(ui_port), "--api-port", str(api_port)]
        process = _start(command, env, f"{api}/health", Path(tmp) / "serve.log")
        try:
            _start_wait(f"{ui}/server_info")
            time.sleep(10)  # let the daemon's first rounds pass so the sensor is running

            async def submit_all() -> tuple[float, float]:
                gate = asyncio.Semaphore(concurrency)
                async with httpx.AsyncClient(base_url=api, timeout=60) as client:

                    async def one(i: int) -> None:
                        async with gate:
                            made = await client.post("/api/generate", json={"prompt": f"A 5-second Nike ad number {i}"})
                            made.raise_for_status()

                    first = time.time()
                    await asyncio.gather(*(one(i) for i in range(submissions)))
                    return first, time.time()

            first_submit, last_submit = asyncio.run(submit_all())
            deadline = time.monotonic() + BURST_TIMEOUT_S
            while True:
                runs = _graphql(ui, ALL_RUNS)["runsOrError"]["results"]
                created = [r["creationTime"] for r in runs]
                if len(created) >= submissions or time.monotonic() > deadline:
                    break
                time.sleep(1)
            while True:  # the tick that created the last runs has finished: count its runs
                ticks = _graphql(ui, TICKS)["sensorOrError"]["sensorState"]["ticks"]
                if all(t["status"] != "STARTED" for t in ticks) or time.monotonic() > deadline:
                    break
                time.sleep(1)
            runs = _graphql(ui, ALL_RUNS)["runsOrError"]["results"]  # statuses once the tick is over
        finally:
            _stop(process)
    with_runs = sorted(
        (t for t in ticks if t["runIds"] and t["timestamp"] >= first_submit - 5), key=lambda t: t["timestamp"]
    )
    last_created = max(created)
    return {
        "submissions": submissions,
        "runs_created": len(created),
        "run_statuses": dict(Counter(r["status"] for r in runs)),  # all QUEUED: every run was also submitted
        "submit_wall_s": round(last_submit - first_submit, 2),
        "last_submit_to_last_run_created_s": round(last_created - last_submit, 2),
        "first_submit_to_last_run_created_s": round(last_created - first_submit, 2),
        "runs_per_s": round(len(created) / (last_created - first_submit), 1),
        "ticks_with_runs": len(with_runs),
        "runs_per_tick": [len(t["runIds"]) for t in with_runs],
        "tick_s": [round((t["endTimestamp"] or t["timestamp"]) - t["timestamp"], 1) for t in with_runs],
    }


def _start_wait(url: str) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"not ready: {url}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--videos", type=int, default=5)
    parser.add_argument("--burst", type=int, default=500)
    parser.add_argument("--parts", default="api,start", help="which parts to run, comma-separated: api,start,burst")
    args = parser.parse_args()
    parts, result = args.parts.split(","), {}
    if "api" in parts:
        result["api_load"] = api_load(args.requests, args.concurrency)
    if "start" in parts:
        result["submit_to_run_start"] = submit_to_start(args.videos)
    if "burst" in parts:
        result["burst"] = burst(args.burst, args.concurrency)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
