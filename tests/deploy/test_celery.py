"""Steps on a distributed executor: two dagster-celery workers run the steps of three videos, sharing only the
Postgres instance, the Postgres requests database, S3 (moto) and Redis, as deploy/celery/README.md deploys them."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import boto3
import dagster as dg
import pytest
import redis
import sqlalchemy as sa
import yaml
from celery import Celery

from tests.support import temp_database, wait
from vidgen_core.adapters.ffmpeg.probe import probe
from vidgen_core.adapters.storage import VideoKeys
from vidgen_core.persistence.batches import BatchDB, BatchRecord
from vidgen_core.persistence.requests import RequestDB
from vidgen_core.pipeline.batches import check_rows
from vidgen_core.settings import Settings
from vidgen_dagster.partitions import videos

pytestmark = pytest.mark.slow  # renders whole videos on Celery workers

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REDIS_URL = "redis://127.0.0.1:6379/5"  # a db of its own, flushed before and after; never db 0
WORKERS = ("worker1", "worker2")
PRODUCTS = ("Nike", "Adidas", "Puma")
DURATION_S = 10
STEPS = {"video_spec", "media", "stitched_video", "final_video", "aspects", "deliverables"}  # media: the 4 media
ASSETS = {"video_spec", "storyboard", "music", "video_chunks", "stitched_video", "final_video", "aspects"}
ASSETS |= {"deliverables"}
CELERY_WORKER = "Celery worker"  # the metadata key of the engine event a worker reports when it takes a step


@pytest.fixture
def redis_db() -> Iterator[str]:
    """Redis db 5 on 127.0.0.1:6379, empty; a missing Redis fails the test (it is part of the deployment)."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is not reachable at {REDIS_URL} ({exc}): start redis-server on 127.0.0.1:6379")
    client.flushdb()
    yield REDIS_URL
    client.flushdb()
    client.close()


@dataclass
class Deployment:
    """The shared parts: environment (Postgres instance, requests DB, S3, Redis), DAGSTER_HOME and worker config."""

    env: dict[str, str]
    dagster_home: Path
    worker_yaml: Path
    tmp: Path

    def home(self, name: str) -> dict[str, str]:
        """The environment of one process with its own vidgen home (local cache only: nothing shared on disk)."""
        return self.env | {"VIDGEN_HOME": str(self.tmp / f"home-{name}")}


@pytest.fixture
def deployment(tmp_path: Path, s3_env: dict[str, str], pg_url: str, redis_db: str) -> Iterator[Deployment]:
    with temp_database() as dagster_url:
        db = sa.make_url(dagster_url)
        dagster_home = tmp_path / "dagster_home"
        dagster_home.mkdir()
        shutil.copyfile(ROOT / "deploy" / "dagster.yaml", dagster_home / "dagster.yaml")
        config = yaml.safe_load((ROOT / "deploy" / "celery" / "celery.yaml").read_text())
        config["execution"]["config"] |= {"broker": redis_db, "backend": redis_db}
        worker_yaml = tmp_path / "celery.yaml"
        worker_yaml.write_text(yaml.safe_dump(config))
        base = {k: v for k, v in os.environ.items() if not k.startswith(("VIDGEN_", "DAGSTER_"))}
        env = (
            base
            | s3_env
            | {
                "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",  # `dagster-celery` starts `celery`
                "PYTHONPATH": str(ROOT),
                "DAGSTER_HOME": str(dagster_home),
                "DAGSTER_PG_HOST": str(db.host),
                "DAGSTER_PG_PORT": str(db.port),
                "DAGSTER_PG_USER": str(db.username),
                "DAGSTER_PG_PASSWORD": "",
                "DAGSTER_PG_DB": str(db.database),
                "VIDGEN_DATABASE_URL": pg_url,
                "VIDGEN_EXECUTOR": "celery",
                "VIDGEN_CELERY_BROKER": redis_db,
                "VIDGEN_CELERY_BACKEND": redis_db,
                "VIDGEN_DEFAULT_RESOLUTION": "720p",  # a 720p master: the test follows steps across workers
            }
        )
        deployed = Deployment(env, dagster_home, worker_yaml, tmp_path)
        # `vidgen init` first, as the README deploys it: the instance's tables exist before two workers start
        # (two workers creating them at once collide on Postgres: "type run_tags already exists")
        init = subprocess.run(
            [str(BIN / "vidgen"), "init"], env=deployed.home("init"), capture_output=True, text=True, timeout=120
        )
        assert init.returncode == 0, init.stderr
        yield deployed


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group (wrapper, celery and its pool), then SIGKILL whatever is left after 20 s."""
    pgid = process.pid  # start_new_session: the group is the wrapper's pid
    for sig, grace in ((signal.SIGTERM, 20.0), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            process.poll()
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.2)
    process.wait(timeout=10)


@pytest.fixture
def workers(deployment: Deployment) -> Iterator[dict[str, Path]]:
    """Two workers (one step at a time each), each in its own process group and vidgen home; logs by node name."""
    host = socket.gethostname()
    processes: list[subprocess.Popen[bytes]] = []
    logs: dict[str, Path] = {}
    try:
        for name in WORKERS:
            logs[f"{name}@{host}"] = log = deployment.tmp / f"{name}.log"
            with log.open("wb") as out:
                command = [str(BIN / "dagster-celery"), "worker", "start", "-A", "dagster_celery.app"]
                command += ["-y", str(deployment.worker_yaml), "-n", name, "-l", "info", "--", "--concurrency=1"]
                processes.append(
                    subprocess.Popen(
                        command,
                        cwd=ROOT,
                        env=deployment.home(name),
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
        app = Celery(broker=deployment.env["VIDGEN_CELERY_BROKER"], backend=deployment.env["VIDGEN_CELERY_BACKEND"])

        def ready() -> bool:
            for process, log in zip(processes, logs.values(), strict=True):
                if process.poll() is not None:
                    pytest.fail(f"worker exited ({process.returncode}):\n{log.read_text()[-3000:]}")
            answered = {name for reply in app.control.ping(timeout=1.0) for name in reply}
            return answered >= set(logs)

        try:
            wait("both Celery workers to answer a ping", 120, ready)
        finally:
            app.close()
        yield logs
    finally:
        for process in processes:
            _stop(process)


@dataclass
class Launched:
    video_id: str
    user_id: str
    process: subprocess.Popen[str]


def _launch(deployment: Deployment, video_id: str, request_id: str, user_id: str) -> Launched:
    """`dagster job execute` of the whole graph for one partition: the run's process orchestrates, workers execute."""
    tags = json.dumps({"dagster/partition": video_id, "vidgen/request_id": request_id})
    command = [str(BIN / "dagster"), "job", "execute", "-m", "vidgen_dagster.definitions", "-j", "generate_video"]
    process = subprocess.Popen(
        [*command, "--tags", tags],
        cwd=ROOT,
        env=deployment.home(f"run-{video_id}"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    return Launched(video_id, user_id, process)


def _events(instance: dg.DagsterInstance, run_id: str) -> list[dg.EventLogEntry]:
    return [r.event_log_entry for r in instance.get_records_for_run(run_id, limit=10_000).records]


def _step_timings(entries: list[dg.EventLogEntry]) -> dict[str, dict[str, float]]:
    """Per step: submitted to the queue, taken by a worker, started, succeeded (timestamps) and its own wall time."""
    steps: dict[str, dict[str, float]] = defaultdict(dict)
    for entry in entries:
        event, key = entry.dagster_event, entry.step_key
        if event is None or key is None:
            continue
        if event.event_type == dg.DagsterEventType.ENGINE_EVENT and "Submitting celery task" in (event.message or ""):
            steps[key]["submitted"] = entry.timestamp
        elif event.event_type == dg.DagsterEventType.ENGINE_EVENT and CELERY_WORKER in event.engine_event_data.metadata:
            steps[key]["taken"] = entry.timestamp
        elif event.event_type == dg.DagsterEventType.STEP_START:
            steps[key]["started"] = entry.timestamp
        elif event.event_type == dg.DagsterEventType.STEP_SUCCESS:
            steps[key]["succeeded"] = entry.timestamp
        elif event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
            wall = entry.asset_materialization.metadata.get("wall_time_s")
            steps[key]["own"] = float(wall.value) if wall is not None else 0.0
    return steps


def test_two_celery_workers_share_the_steps_of_three_videos(
    deployment: Deployment, workers: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = time.perf_counter()
    for key, value in deployment.env.items():
        if key.startswith(("VIDGEN_", "DAGSTER_PG_")):
            monkeypatch.setenv(key, value)
    settings = Settings(home=tmp_path / "home-submitter")
    requests = RequestDB(settings.db_url)
    instance = dg.DagsterInstance.from_config(str(deployment.dagster_home))
    try:
        launched: list[Launched] = []
        try:
            # a batch of ads, stored as `vidgen batch` stores it; each partition's run is launched here as the
            # batch's backfill would launch it (the backfill daemon is not part of this test)
            rows = [(line, {"prompt": f"A {DURATION_S}-second ad for {p}"}) for line, p in enumerate(PRODUCTS, 1)]
            checked = check_rows(rows, settings, batch_id="bat-0000000ce1e7", default_user="celery-user")
            batch = BatchRecord(
                batch_id="bat-0000000ce1e7", user_id="celery-user", title="celery", videos=len(rows),
                estimate_usd=checked.estimate_usd, created_at=datetime.now(UTC),
            )  # fmt: skip
            BatchDB(settings.db_url).store(batch, checked.requests)
            for row in checked.rows:
                record = requests.get(row.request.video_id)
                instance.add_dynamic_partitions(videos.name, [record.video_id])
                launched.append(_launch(deployment, record.video_id, record.request_id, record.user_id))
            deadline = time.monotonic() + 600
            for run in launched:
                output, _ = run.process.communicate(timeout=max(1.0, deadline - time.monotonic()))
                logs = "\n".join(f"--- {n}\n{p.read_text()[-2000:]}" for n, p in workers.items())
                assert run.process.returncode == 0, f"{run.video_id}:\n{output[-4000:]}\n{logs}"
        finally:
            for run in launched:
                if run.process.poll() is None:
                    os.killpg(run.process.pid, signal.SIGKILL)
                    run.process.wait(timeout=10)
        wall_s = time.perf_counter() - started

        s3 = boto3.client("s3", endpoint_url=deployment.env["VIDGEN_S3_ENDPOINT_URL"], region_name="us-east-1")
        bucket = deployment.env["VIDGEN_S3_BUCKET"]
        ran_on: dict[str, dict[str, str]] = {}
        timings: list[tuple[str, str, dict[str, float]]] = []
        for run in launched:
            (record,) = instance.get_run_records(dg.RunsFilter(tags={"dagster/partition": run.video_id}))
            assert record.dagster_run.status == dg.DagsterRunStatus.SUCCESS
            entries = _events(instance, record.dagster_run.run_id)
            taken = [
                (e.step_key, e.dagster_event.engine_event_data.metadata[CELERY_WORKER].value)
                for e in entries
                if e.dagster_event
                and e.dagster_event.event_type == dg.DagsterEventType.ENGINE_EVENT
                and CELERY_WORKER in e.dagster_event.engine_event_data.metadata
            ]
            ran_on[run.video_id] = dict(taken)
            why = [  # if a step was taken twice, say why (a retry's reason, a failure) rather than only counting
                (e.step_key, e.dagster_event_type, e.dagster_event.message)
                for e in entries
                if e.dagster_event
                and e.dagster_event_type
                in (
                    dg.DagsterEventType.STEP_UP_FOR_RETRY,
                    dg.DagsterEventType.STEP_FAILURE,
                    dg.DagsterEventType.STEP_RESTARTED,
                )
            ]
            assert len(taken) == len(ran_on[run.video_id]) and set(ran_on[run.video_id]) == STEPS, (taken, why)
            succeeded = {e.step_key for e in entries if e.dagster_event_type == dg.DagsterEventType.STEP_SUCCESS}
            assert succeeded == STEPS
            timings += [(run.video_id, step, t) for step, t in _step_timings(entries).items()]

            # Steps passed data only through storage: every manifest and the final cut are objects in the bucket.
            keys = VideoKeys(run.user_id, run.video_id)
            listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"{keys.prefix}/")
            stored = {o["Key"] for o in listed.get("Contents", [])}
            manifests = {keys.spec()} | {keys.manifest(s) for s in ASSETS - {"video_spec"}}
            assert manifests | {keys.final(), keys.stitched()} <= stored, sorted(stored)
            final = tmp_path / f"{run.video_id}.mp4"
            s3.download_file(bucket, keys.final(), str(final))
            info = probe(final)
            assert info.duration_s == pytest.approx(DURATION_S, abs=0.1) and info.has_audio
            assert requests.get(run.video_id).request.duration_s == DURATION_S

        used = {worker for steps in ran_on.values() for worker in steps.values()}
        assert used == set(workers), f"steps ran on {used}, not on both of {sorted(workers)}"
        for name in ("submitter", *WORKERS, *(f"run-{r.video_id}" for r in launched)):
            assert not (tmp_path / f"home-{name}" / "storage").exists()  # no media on a local disk, only in S3
    finally:
        instance.dispose()
    _report(wall_s, ran_on, timings)


def _report(wall_s: float, ran_on: dict[str, dict[str, str]], timings: list[tuple[str, str, dict[str, float]]]) -> None:
    """Print which worker ran each step and the Celery overhead per step (visible with ``pytest -s``)."""
    print(f"\nthree {DURATION_S}-second videos on 2 Celery workers: {wall_s:.1f} s")
    overheads = []
    for video_id, step, t in sorted(timings, key=lambda x: (x[0], x[2].get("submitted", 0))):
        queued, boot = t["taken"] - t["submitted"], t["started"] - t["taken"]
        overhead = (t["succeeded"] - t["taken"]) - t.get("own", 0.0)  # on the worker, beyond the step's own work
        overheads.append(overhead)
        print(
            f"{video_id} {step:15} {ran_on[video_id][step]:25} own {t.get('own', 0.0):5.2f} s  queued {queued:5.2f} s"
            f"  worker start {boot:4.2f} s  overhead {overhead:5.2f} s"
        )
    overheads.sort()
    print(f"overhead per step: median {overheads[len(overheads) // 2]:.2f} s, max {overheads[-1]:.2f} s")
