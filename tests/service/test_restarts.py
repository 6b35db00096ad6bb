"""The whole service (`vidgen serve`) killed mid-video and started again, and a launchpad regeneration whose run is
killed and then re-executed from the UI: the request row follows Dagster's run retry (and holds the user's one-video
lock while it runs), pool slots are given back, and nothing is paid twice."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import dagster as dg
import httpx
import pytest
from dagster._core.storage.tags import PARTITION_NAME_TAG

from tests.dagster.test_beats import charged, journaled
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.replicate_server import FakeReplicate
from tests.support import SERVICE_HEADERS, SERVICE_KEY, SERVICE_USER, Service, instance_at, wait
from vidgen_core.persistence.ledger import CallState, Ledger
from vidgen_core.persistence.requests import RequestDB, Status
from vidgen_core.persistence.takes import TakeDB
from vidgen_core.settings import Settings
from vidgen_dagster.runs import PID_TAG

pytestmark = pytest.mark.slow  # the whole service in subprocesses, twice

START_TIMEOUT_S = 180
LAUNCH = """mutation($p: ExecutionParams!) { launchRun(executionParams: $p) { __typename
  ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }"""
REEXECUTE = """mutation($p: ReexecutionParams!) { launchPipelineReexecution(reexecutionParams: $p) { __typename
  ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }"""
ENDED = ("complete", "failed")
SMALL = {"resolution": "720p"}  # a 720p master: these tests follow runs, retries and payments, not the picture
JOB = {"repositoryLocationName": "vidgen", "repositoryName": "__repository__", "jobName": "generate_video"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tree(root: int) -> list[int]:
    """``root`` and every process descended from it (from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(stat.parent.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _kill(pids: list[int]) -> None:
    for pid in pids:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@contextmanager
def serving(home: Path, name: str) -> Iterator[Service]:
    """`vidgen serve` on free ports over ``home``; stopped with Ctrl-C afterwards (or killed, if it does not stop)."""
    ui_port, api_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "VIDGEN_HOME": str(home / "vidgen"),
        "DAGSTER_HOME": str(home / "dagster"),
        "VIDGEN_API_KEYS": f"{SERVICE_KEY}={SERVICE_USER}",
        "VIDGEN_MEDIA": "replicate",
        # A run silent for 4 s with an exited pid is dead (20 s by default); not less: between two steps a run is
        # silent, and a busy machine must not make a live run look dead.
        "VIDGEN_HEARTBEAT_S": "2",
    }
    log_path = home / f"serve-{name}.log"
    command = [str(Path(sys.executable).parent / "vidgen"), "serve", "--ui-port", str(ui_port), "--api-port",
               str(api_port)]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while b"vidgen is up" not in log_path.read_bytes():
                assert process.poll() is None, log_path.read_text()[-3000:]
                assert time.monotonic() < deadline, "vidgen serve did not come up"
                time.sleep(0.5)
            yield Service(f"http://127.0.0.1:{ui_port}", f"http://127.0.0.1:{api_port}", home, process)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGINT)
                try:
                    process.wait(60)
                except subprocess.TimeoutExpired:
                    _kill(_tree(process.pid))
                    process.wait(10)


def _runs(home: Path, video_id: str) -> list[dg.DagsterRun]:
    """The video's runs, oldest first."""
    with instance_at(home / "dagster") as instance:
        return list(reversed(instance.get_runs(dg.RunsFilter(tags={PARTITION_NAME_TAG: video_id}))))


def _slots_held(home: Path, run_ids: list[str]) -> int:
    with instance_at(home / "dagster") as instance:
        return sum(
            s.run_id in run_ids for s in instance.event_log_storage.get_concurrency_info("replicate").claimed_slots
        )


def _status(service: Service, video_id: str) -> dict:
    return httpx.get(f"{service.api}/api/status/{video_id}", headers=SERVICE_HEADERS, timeout=30).json()


def _clip_in_flight(home: Path, replicate: FakeReplicate) -> bool:
    held = {i for i, p in list(replicate.predictions.items()) if p.kind == "video" and p.held}
    return bool(held & journaled(Settings(home=home / "vidgen")))


def _nothing_paid_twice(home: Path, video_id: str, openai: FakeOpenAI, replicate: FakeReplicate) -> None:
    ledger = Ledger(Settings(home=home / "vidgen").db_url)
    paid = [r for r in ledger.rows(video_id) if r.state == CallState.PAID]
    assert (
        len({r.cache_key for r in paid}) == len(paid) and sum(r.provider == "replicate" for r in paid) == replicate.paid
    )
    assert replicate.creates == replicate.paid  # every prediction created was paid once: none again
    assert ledger.spent(video_id) == pytest.approx(charged(openai, replicate), abs=1e-4)


def test_a_killed_service_leaves_the_video_to_its_run_retry_and_the_row_follows_it(
    tmp_path: Path, provider_env: dict, fake_replicate: FakeReplicate, fake_openai: FakeOpenAI
) -> None:
    home = tmp_path
    db = RequestDB(Settings(home=home / "vidgen").db_url)
    fake_replicate.time_scale = 0.04
    fake_replicate.hold_after = {"video": 1}  # one clip is paid; the others stay in flight until release()
    with serving(home, "first") as service:
        made = httpx.post(f"{service.api}/api/generate", json={"prompt": "Create a 10-second Nike ad", **SMALL},
                          headers=SERVICE_HEADERS, timeout=30)  # fmt: skip
        assert made.status_code == 200, made.text
        video = made.json()["video_id"]
        wait("a clip in flight", 180, lambda: _clip_in_flight(home, fake_replicate))
        (first,) = _runs(home, video)
        assert _slots_held(home, [first.run_id]) == 1
        _kill(_tree(service.process.pid))  # the whole service: serve, dagster dev, daemon, code server, run worker
        service.process.wait(10)
    killed = time.perf_counter()
    assert db.get(video).status == Status.RUNNING

    with serving(home, "second") as service:
        restarted = time.perf_counter()

        def following() -> dg.DagsterRun | None:  # the dead run failed, retried by Dagster, and the row follows
            retry = next((r for r in _runs(home, video) if r.parent_run_id == first.run_id), None)
            row = db.get(video)
            return retry if retry and row.status == Status.RUNNING and row.run_id == retry.run_id else None

        retry = wait("the request to follow the run retry", 120, following)
        follow_s = time.perf_counter() - restarted
        assert _runs(home, video)[0].status == dg.DagsterRunStatus.FAILURE
        assert _slots_held(home, [first.run_id]) == 0  # the dead run's slot is free; the retry holds its own
        assert _status(service, video)["status"] == "running"
        again = httpx.post(f"{service.api}/api/generate", json={"prompt": "Create a 5-second Nike ad"},
                           headers=SERVICE_HEADERS, timeout=30)  # fmt: skip
        assert again.status_code == 429, again.text  # the one-video lock follows the retry

        fake_replicate.release()
        status = wait("the video to be complete", 180, lambda: (s := _status(service, video))["status"] in ENDED and s)
        done_s = time.perf_counter() - killed
        assert status["status"] == "complete", status
        row = db.get(video)
        assert row.run_id == retry.run_id and row.error is None
        assert [r.status for r in _runs(home, video)] == [dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.SUCCESS]
        assert _slots_held(home, [first.run_id, retry.run_id]) == 0
        _nothing_paid_twice(home, video, fake_openai, fake_replicate)
    print(
        f"\nservice killed mid-media; after the restart the row followed the run retry in {follow_s:.1f} s; "
        f"complete {done_s:.1f} s after the kill"
    )


def test_a_launchpad_regeneration_pays_once_through_a_kill_a_run_retry_and_a_re_execution(
    tmp_path: Path, provider_env: dict, fake_replicate: FakeReplicate, fake_openai: FakeOpenAI
) -> None:
    home = tmp_path
    db = RequestDB(Settings(home=home / "vidgen").db_url)
    fake_replicate.time_scale = 0.04
    with serving(home, "only") as service:
        made = httpx.post(f"{service.api}/api/generate", json={"prompt": "Create a 10-second Nike ad", **SMALL},
                          headers=SERVICE_HEADERS, timeout=30)  # fmt: skip
        video = made.json()["video_id"]
        assert wait("the video", 180, lambda: (s := _status(service, video))["status"] in ENDED and s)
        assert db.get(video).status == Status.COMPLETE

        videos_made = sum(p.kind == "video" for p in fake_replicate.predictions.values())
        fake_replicate.hold_after = {"video": videos_made}  # the regeneration's clips stay in flight
        params = {
            "selector": JOB,
            "runConfigData": {"ops": {"video_spec": {"config": {"regenerate_beat": 1}}}},
            "executionMetadata": {"tags": [{"key": PARTITION_NAME_TAG, "value": video}]},
        }
        launched = service.graphql(LAUNCH, {"p": params})["launchRun"]
        assert launched["__typename"] == "LaunchRunSuccess", launched
        regen = launched["run"]["runId"]
        wait("a regenerated clip in flight", 180, lambda: _clip_in_flight(home, fake_replicate))
        worker = int(next(r for r in _runs(home, video) if r.run_id == regen).tags[PID_TAG])
        assert worker in _tree(service.process.pid)  # the run worker this service started
        os.kill(worker, signal.SIGKILL)
        fake_replicate.release()

        def retried() -> dg.DagsterRun | None:
            retry = next((r for r in _runs(home, video) if r.parent_run_id == regen), None)
            return retry if retry and retry.status == dg.DagsterRunStatus.SUCCESS else None

        retry = wait("the run retry to finish the regeneration", 180, retried)
        followed = (retry.run_id, Status.COMPLETE)
        try:
            wait("the request to follow it", 30, lambda: (db.get(video).run_id, db.get(video).status) == followed)
        except AssertionError:
            runs = [(r.run_id, r.status, r.parent_run_id) for r in _runs(home, video)]
            raise AssertionError(f"the request {db.get(video)} did not follow the runs {runs}") from None
        assert [t.take for t in TakeDB(db.url).all(video) if t.beat_index == 1] == [0, 1]
        paid = fake_replicate.paid

        again = service.graphql(REEXECUTE, {"p": {"parentRunId": regen, "strategy": "ALL_STEPS"}})
        rerun = again["launchPipelineReexecution"]
        assert rerun["__typename"] == "LaunchRunSuccess", rerun
        rerun_id = rerun["run"]["runId"]
        wait("the re-execution", 180, lambda: next(r for r in _runs(home, video) if r.run_id == rerun_id).is_finished)
        assert next(r for r in _runs(home, video) if r.run_id == rerun_id).is_success
        assert [t.take for t in TakeDB(db.url).all(video) if t.beat_index == 1] == [0, 1]  # the same take, not a third
        assert fake_replicate.paid == paid  # the re-execution paid nothing: the take's image and clips exist
        _nothing_paid_twice(home, video, fake_openai, fake_replicate)
        assert len(_runs(home, video)) == 4  # the video, the regeneration, its retry, its re-execution: no other
        assert _slots_held(home, [r.run_id for r in _runs(home, video)]) == 0
