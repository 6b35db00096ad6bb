"""The embedded instance's event-log storage, measured (bounded, on scratch homes it removes afterwards).

Storages: Dagster's default SQLite event log (no ``event_log_storage`` in dagster.yaml: an index file and a file per
run under ``history/runs/``), PostgreSQL (dagster-postgres, on a scratch database of the machine's server) and, for
reference, the one-file ``ConsolidatedSqliteEventLogStorage`` vidgen shipped before. Each home otherwise has
vidgen's dagster.yaml.

1. A burst: N runs of ``generate_video`` created and queued the way the daemon does for a sensor tick
   (``create_run_for_job`` writes the run and its planned events, then one event for the enqueue: a queued run and
   ``submit_run`` want a code location origin), on 4 threads as ``sensors.num_submit_workers``.
2. Two videos at once: two ``vidgen generate`` processes (5-second local renders, each its own vidgen home) on the
   same Dagster home; wall time of the pair and of each.

    python benchmarks/bench_event_log.py [--burst 500] [--storages sqlite,postgres,consolidated]
                                         [--parts burst,videos] [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support import temp_database  # noqa: E402

VIDEO_TIMEOUT_S = 600
THREADS = 4  # dagster.yaml's sensors.num_submit_workers
CONSOLIDATED = {
    "module": "dagster._core.storage.event_log",  # the reference only; vidgen no longer configures it
    "class": "ConsolidatedSqliteEventLogStorage",
    "config": {"base_dir": {"env": "DAGSTER_HOME"}},
}


@contextmanager
def dagster_home(storage: str) -> Iterator[Path]:
    """A scratch DAGSTER_HOME with vidgen's dagster.yaml, its event log as ``storage`` says."""
    config = yaml.safe_load((ROOT / "dagster.yaml").read_text())
    config.pop("event_log_storage", None)
    with tempfile.TemporaryDirectory(prefix=f"bench-{storage}-") as tmp, _database(storage) as url:
        home = Path(tmp) / "dagster"
        home.mkdir()
        if storage == "postgres":
            config["storage"] = {"postgres": {"postgres_url": url}}  # postgresql+psycopg2 (SQLAlchemy 2.1)
        elif storage == "consolidated":
            config["event_log_storage"] = CONSOLIDATED
        (home / "dagster.yaml").write_text(yaml.safe_dump(config))
        _init(home)
        yield home


@contextmanager
def _database(storage: str) -> Iterator[str]:
    if storage != "postgres":
        yield ""
        return
    with temp_database() as url:
        yield url


def _instance(home: Path) -> dg.DagsterInstance:
    os.environ["DAGSTER_HOME"] = str(home)
    return dg.DagsterInstance.get()


def _init(home: Path) -> None:
    """Tables and provider pools, as `vidgen init` makes them (two processes at once on a new home would race)."""
    from vidgen_core.settings import Settings
    from vidgen_dagster.instance import configure_pools

    instance = _instance(home)
    configure_pools(instance, Settings(home=home.parent / "vidgen"))
    instance.dispose()


def burst(home: Path, runs: int, threads: int) -> dict[str, float]:
    """Create and queue ``runs`` runs, as the daemon does for one tick's run requests."""
    from vidgen_dagster.definitions import build_definitions

    instance = _instance(home)
    job = build_definitions(str(home.parent / "vidgen")).resolve_job_def("generate_video")
    keys = [f"vid-bench-{i}" for i in range(runs)]
    instance.add_dynamic_partitions("videos", keys)

    def one(key: str) -> float:
        started = time.perf_counter()
        tags = {"dagster/partition": key, "vidgen/source": "bench"}
        run = instance.create_run_for_job(job, tags=tags)  # queued runs need a code location origin
        instance.report_engine_event("queued", run)  # one event, as the queue's enqueue event
        return time.perf_counter() - started

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        each = sorted(pool.map(one, keys))
    wall = time.perf_counter() - started
    made = len(instance.get_run_ids(dg.RunsFilter(tags={"vidgen/source": "bench"})))
    instance.dispose()
    return {
        "runs": made,
        "wall_s": round(wall, 1),
        "runs_per_s": round(runs / wall, 1),
        "ms_per_run_median": round(1000 * each[len(each) // 2], 1),
        "ms_per_run_p95": round(1000 * each[int(len(each) * 0.95)], 1),
    }


def two_videos(home: Path) -> dict[str, float]:
    """Two `vidgen generate` processes at once on one Dagster home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIDGEN_")}
    env |= {"DAGSTER_HOME": str(home), "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    processes = []
    for i in range(2):
        command = [sys.executable, "-m", "vidgen_dagster.cli", "generate", f"Create a 5-second Nike ad {i}", "--json"]
        video_env = env | {"VIDGEN_HOME": str(home.parent / f"vidgen-{i}")}
        processes.append(
            subprocess.Popen(command, env=video_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        )
    ended: dict[int, float] = {}
    while len(ended) < len(processes):
        for i, process in enumerate(processes):
            if i not in ended and process.poll() is not None:
                ended[i] = time.perf_counter() - started
        assert time.perf_counter() - started < VIDEO_TIMEOUT_S, "the videos did not finish"
        time.sleep(0.2)
    for process in processes:
        out, err = process.communicate()
        assert process.returncode == 0 and json.loads(out)["status"] == "complete", err[-2000:]
    times = sorted(ended.values())
    return {"pair_s": round(max(times), 1), "first_s": round(min(times), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--burst", type=int, default=500)
    parser.add_argument("--storages", default="sqlite,postgres,consolidated")
    parser.add_argument("--parts", default="burst,videos", help="which parts to run, comma-separated")
    parser.add_argument("--repeat", type=int, default=1, help="how many times to make the two videos")
    args = parser.parse_args()
    parts = args.parts.split(",")
    result: dict[str, dict] = {}
    for storage in args.storages.split(","):
        with dagster_home(storage) as home:
            result[storage] = {}
            if "burst" in parts:
                result[storage]["burst"] = burst(home, args.burst, THREADS)
                print(json.dumps({storage: result[storage]}), flush=True)
            if "videos" in parts:
                result[storage]["two_videos"] = [two_videos(home) for _ in range(args.repeat)]
            if storage != "postgres":
                result[storage]["disk_mb"] = round(sum(f.stat().st_size for f in home.rglob("*") if f.is_file()) / 1e6)
        print(json.dumps({storage: result[storage]}), flush=True)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
