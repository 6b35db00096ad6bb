"""The request sensor: new rows become a partition plus one run each, exactly once; rows follow their runs."""

from __future__ import annotations

import errno
import json
import os
import socket
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.events import JobFailureData
from dagster._core.remote_origin import GrpcServerCodeLocationOrigin, RemoteJobOrigin, RemoteRepositoryOrigin
from dagster._core.storage.tags import PARTITION_NAME_TAG, WILL_RETRY_TAG
from dagster._utils.error import SerializableErrorInfo

from tests.support import instance_at, launch, tick
from vidgen_core.adapters.local.planner import LocalPlanner
from vidgen_core.domain.errors import ProviderError
from vidgen_core.persistence.requests import RequestDB, RequestRecord, Status, batch_run_key, requests_table
from vidgen_core.persistence.trouble import Trouble
from vidgen_core.pipeline.requests import build_request
from vidgen_core.settings import Settings
from vidgen_dagster import sensors
from vidgen_dagster.execute import run_video
from vidgen_dagster.failures import INTERRUPTED
from vidgen_dagster.runs import (
    BACKFILL_TAG,
    EXECUTOR_TAG,
    HEARTBEAT_TAG,
    HOST_TAG,
    LOST_AFTER,
    PID_TAG,
    PROCESS_RUN_TAG,
    REQUEST_TAG,
    RETRY_WAIT,
    TITLE_TAG,
    USER_TAG,
    process_gone,
    retry_coming,
    run_failure_text,
    sync,
    sync_video,
)


def _submit(settings: Settings, prompt: str, user: str) -> RequestRecord:
    return RequestDB(settings.db_url).submit(build_request(prompt, settings, user_id=user))


def test_new_requests_become_partitions_and_runs(settings: Settings, instance: dg.DagsterInstance) -> None:
    first = _submit(settings, "A 5-second ad for Nike", "ana")
    second = _submit(settings, "A 5-second ad for Adidas", "ben")
    result = tick(settings, instance, cursor=None)
    assert [(r.run_key, r.partition_key) for r in result.run_requests] == [
        (first.request_id, first.video_id),
        (second.request_id, second.video_id),
    ]
    tags = result.run_requests[0].tags  # the runs list shows whose video a run makes, and which
    assert (tags[REQUEST_TAG], tags[USER_TAG], tags[TITLE_TAG]) == (first.request_id, "ana", "A 5-second ad for Nike")
    assert list(result.dynamic_partitions_requests[0].partition_keys) == [first.video_id, second.video_id]
    assert json.loads(result.cursor)["seq"] == second.seq


@pytest.mark.slow
def test_each_request_runs_once_and_follows_its_run_to_complete(
    settings: Settings, instance: dg.DagsterInstance
) -> None:
    record = _submit(settings, "A 5-second ad for Nike", "ana")
    first = tick(settings, instance, cursor=None)
    launch(settings, instance, first)
    for cursor in (first.cursor, None, "0"):  # the next tick, a lost cursor, a reset one
        assert tick(settings, instance, cursor).run_requests == []
    runs = instance.get_runs(dg.RunsFilter(tags={"dagster/partition": record.video_id}))
    assert len(runs) == 1 and runs[0].tags["dagster/run_key"] == record.request_id
    row = RequestDB(settings.db_url).get(record.video_id)  # the ticks after the run brought the row up to date
    assert row.status == Status.COMPLETE and row.progress == 100.0 and row.error is None
    assert row.run_id == runs[0].run_id and row.completed_at and row.started_at
    assert (row.chunk_index, row.total_chunks) == (1, 1)
    assert row.cost_usd == 0.0


def test_request_follows_its_run_to_failed_with_the_reason(
    settings: Settings, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: LocalPlanner, request: object) -> None:
        raise ProviderError("local", "rules", "the planner is down")

    monkeypatch.setattr(LocalPlanner, "plan", refuse)
    record = _submit(settings, "A 5-second ad for Nike", "ana")
    launch(settings, instance, tick(settings, instance, cursor=None))
    assert tick(settings, instance, cursor=str(record.seq)).run_requests == []  # failed is final, not retried
    row = RequestDB(settings.db_url).get(record.video_id)
    assert row.status == Status.FAILED
    assert row.error == "video_spec: local model rules failed: the planner is down"
    assert row.current_phase == "video_spec" and row.completed_at is not None


@pytest.mark.slow  # waits out the step's two retries (2 s, then 4 s)
def test_a_run_error_names_no_server_path_nor_class(
    settings: Settings, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    where = str(settings.storage_dir / "local-user" / "cache" / "ab" / "plan.json")

    def read_only(self: LocalPlanner, request: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system", where)

    monkeypatch.setattr(LocalPlanner, "plan", read_only)
    record = _submit(settings, "A 5-second ad for Nike", "ana")
    launch(settings, instance, tick(settings, instance, cursor=None))
    tick(settings, instance, cursor=str(record.seq))
    row = RequestDB(settings.db_url).get(record.video_id)
    assert row.status == Status.FAILED
    assert row.error == f"video_spec: {Trouble.READ_ONLY}; {Trouble.READ_ONLY.fix}"


def test_a_run_marked_to_retry_that_nothing_can_retry_fails_its_request(
    settings: Settings, instance: dg.DagsterInstance
) -> None:
    db = RequestDB(settings.db_url)
    record = db.submit(build_request("A 5-second ad for Nike", settings), status=Status.RUNNING)  # `vidgen generate`
    # An in-process run (the CLI's before it carried dagster/max_retries=0): marked to retry, with no origin the
    # retry daemon could relaunch.
    tags = {PARTITION_NAME_TAG: record.video_id, WILL_RETRY_TAG: "true"}
    run = instance.add_run(dg.DagsterRun(job_name="generate_video", status=dg.DagsterRunStatus.STARTED, tags=tags))
    instance.report_run_failed(run)  # its failure event, as the run-status sensor sees it
    tick(settings, instance, cursor=None)
    assert db.get(record.video_id).status == Status.FAILED  # not "running" forever, so `vidgen resume` works


def test_rows_already_running_elsewhere_are_left_alone(settings: Settings, instance: dg.DagsterInstance) -> None:
    db = RequestDB(settings.db_url)
    db.submit(build_request("A 5-second Nike ad", settings), status=Status.RUNNING)  # e.g. `vidgen generate`
    assert tick(settings, instance, cursor=None).run_requests == []


def test_a_run_whose_process_died_is_recognised(settings: Settings) -> None:
    record = _submit(settings, "A 5-second ad for Nike", "ana")
    exited = subprocess.Popen(["true"])
    exited.wait()
    here = {HOST_TAG: socket.gethostname(), HEARTBEAT_TAG: "10"}

    def run(**tags: str) -> dg.DagsterRun:
        return dg.DagsterRun(job_name="generate_video", status=dg.DagsterRunStatus.STARTED, tags={**here, **tags})

    def silent_for(seconds: float) -> RequestRecord:
        return record.model_copy(update={"updated_at": datetime.now(UTC) - timedelta(seconds=seconds)})

    assert process_gone(run(), silent_for(600)) is None  # no step of ours has started yet
    alive = run(**{PID_TAG: str(os.getpid())})
    assert process_gone(alive, silent_for(600)) is None  # alive here, just silent (a step waiting for a pool slot)
    gone = run(**{PID_TAG: str(exited.pid)})
    assert process_gone(gone, silent_for(5)) is None  # an exited pid, but it beat 5 s ago: wait for two beats
    assert "has exited" in (process_gone(gone, silent_for(21)) or "")
    elsewhere = run(**{PID_TAG: "1", HOST_TAG: "another-host"})
    assert process_gone(elsewhere, silent_for(40)) is None
    assert "not been heard from for 46 s" in (process_gone(elsewhere, silent_for(46)) or "")
    on_celery = run(**{PID_TAG: str(exited.pid), EXECUTOR_TAG: "celery"})  # a step process ends; the next may queue
    assert process_gone(on_celery, silent_for(600)) is None
    retry = run(**{PID_TAG: str(exited.pid), PROCESS_RUN_TAG: "its-parent-run"})  # a run retry copies the tags
    assert process_gone(retry, silent_for(600)) is None  # until a step of its own names its process


def test_a_burst_of_300_requests_becomes_300_runs_in_one_tick(settings: Settings, instance: dg.DagsterInstance) -> None:
    db = RequestDB(settings.db_url)
    burst = [db.submit(build_request(f"A 5-second Nike ad number {i}", settings, user_id=f"u{i}")) for i in range(300)]
    first = tick(settings, instance, cursor=None)
    assert sorted(r.run_key for r in first.run_requests) == sorted(r.request_id for r in burst)
    assert [list(add.partition_keys) for add in first.dynamic_partitions_requests] == [[r.video_id for r in burst]]
    assert json.loads(first.cursor)["seq"] == burst[-1].seq  # the whole burst read in one tick, not a page of 100


def _run_failure(message: str, cls_name: str, cause: SerializableErrorInfo | None = None) -> dg.DagsterEvent:
    error = SerializableErrorInfo(message=message, stack=[], cls_name=cls_name, cause=cause)
    return dg.DagsterEvent(
        event_type_value=dg.DagsterEventType.RUN_FAILURE.value,
        job_name="generate_video",
        message=message,
        event_specific_data=JobFailureData(error=error),
    )


def test_a_run_failure_is_an_interrupt_by_its_class_not_its_words() -> None:
    dropped = _run_failure("the connection was interrupted by its peer", "ConnectionError")
    assert run_failure_text(dropped) == "run: the connection was interrupted by its peer"
    wrapped = SerializableErrorInfo(message="KeyboardInterrupt", stack=[], cls_name="KeyboardInterrupt")
    stopped = _run_failure("Execution of run failed.", "DagsterExecutionInterruptedError", wrapped)
    assert run_failure_text(stopped) == f"run: {INTERRUPTED}"
    assert run_failure_text(_run_failure("a step wrapped it", "DagsterError", wrapped)) == f"run: {INTERRUPTED}"


def test_a_failed_run_marked_to_retry_with_no_end_time_is_not_awaited_forever() -> None:
    code = GrpcServerCodeLocationOrigin(host="localhost", port=4000, location_name="vidgen")
    origin = RemoteJobOrigin(RemoteRepositoryOrigin(code, "__repository__"), "generate_video")
    run = dg.DagsterRun(job_name="generate_video", tags={WILL_RETRY_TAG: "true"}, remote_job_origin=origin)
    now = datetime.now(UTC)
    assert retry_coming(run, now) and not retry_coming(run, now - RETRY_WAIT - timedelta(seconds=1))
    assert not retry_coming(run, None)  # no end time known: not "just ended", forever


def test_a_sensor_round_while_the_cli_starts_a_resume_leaves_the_row_running(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`vidgen resume` of a failed video: a sensor round between its RUNNING write and its run's creation sees the
    old failed run as the latest, and must not fail the row again with the old error."""
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    db = RequestDB(settings.db_url)
    record = db.submit(build_request("A 5-second ad for Nike", settings), status=Status.RUNNING)
    with instance_at(tmp_path / "dagster") as instance:
        old = dg.DagsterRun(
            job_name="generate_video", status=dg.DagsterRunStatus.FAILURE, tags={PARTITION_NAME_TAG: record.video_id}
        )
        instance.add_run(old)
    db.update(record.video_id, status=Status.FAILED, run_id=old.run_id, error="run: the old failure")
    seen: list[RequestRecord] = []

    def sensor_round_then_stop(self: dg.JobDefinition, *, instance: dg.DagsterInstance, **_: object) -> None:
        sync_video(db, instance, record.video_id)  # the run does not exist yet
        seen.append(db.get(record.video_id))
        raise KeyboardInterrupt  # stop before running anything

    monkeypatch.setattr(dg.JobDefinition, "execute_in_process", sensor_round_then_stop)
    with pytest.raises(KeyboardInterrupt):
        run_video(db.get(record.video_id), settings, "cli-resume")
    (row,) = seen
    assert (row.status, row.error) == (Status.RUNNING, None) and row.run_id != old.run_id


def test_a_run_presumed_dead_on_another_host_keeps_its_pool_slots(
    settings: Settings, instance: dg.DagsterInstance
) -> None:
    """Silence alone does not prove another host's process gone: it may still run steps in its slot."""
    db = RequestDB(settings.db_url)
    record = db.submit(build_request("A 5-second ad for Nike", settings), status=Status.RUNNING)
    tags = {PARTITION_NAME_TAG: record.video_id, HOST_TAG: "another-host", PID_TAG: "1", HEARTBEAT_TAG: "1"}
    run = dg.DagsterRun(job_name="generate_video", status=dg.DagsterRunStatus.STARTED, tags=tags)
    instance.add_run(run)
    instance.event_log_storage.set_concurrency_slots("replicate", 1)
    instance.event_log_storage.claim_concurrency_slot("replicate", run.run_id, "media")
    db.update(record.video_id, run_id=run.run_id)
    silent = db.get(record.video_id).model_copy(update={"updated_at": datetime.now(UTC) - timedelta(seconds=60)})
    sync(db, instance, silent, instance.get_run_record_by_id(run.run_id))
    assert "not been heard from" in (db.get(record.video_id).error or "")
    assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE  # type: ignore[union-attr]
    held = instance.event_log_storage.get_concurrency_info("replicate").claimed_slots
    assert [slot.run_id for slot in held] == [run.run_id]  # left to Dagster's monitor (free_slots_after_run_end)


def test_a_complete_request_following_a_later_run_starts_its_progress_over(
    settings: Settings, instance: dg.DagsterInstance
) -> None:
    db = RequestDB(settings.db_url)
    record = db.submit(build_request("A 5-second ad for Nike", settings))
    done = datetime.now(UTC) - timedelta(minutes=1)
    db.update(record.video_id, status=Status.COMPLETE, progress=100.0, current_phase="final_video", completed_at=done)
    later = dg.DagsterRun(  # a launchpad run of the video
        job_name="generate_video", status=dg.DagsterRunStatus.STARTED, tags={PARTITION_NAME_TAG: record.video_id}
    )
    instance.add_run(later)
    sync(db, instance, db.get(record.video_id), instance.get_run_record_by_id(later.run_id))
    row = db.get(record.video_id)
    assert (row.status, row.run_id, row.progress, row.current_phase) == (Status.RUNNING, later.run_id, 0.0, None)


def test_a_round_reads_only_new_and_requeued_rows(
    settings: Settings, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A burst already asked for is not read again however long its runs wait in Dagster's queue; a regeneration
    that queues an old row again is asked for by its new run key."""
    db = RequestDB(settings.db_url)
    burst = [db.submit(build_request(f"A 5-second Nike ad number {i}", settings, user_id=f"u{i}")) for i in range(50)]
    first = tick(settings, instance, cursor=None)
    assert len(first.run_requests) == 50
    looked_at: list[list[str]] = []
    real = sensors._run_keys_made
    monkeypatch.setattr(sensors, "_run_keys_made", lambda inst, keys: looked_at.append(keys) or real(inst, keys))
    monkeypatch.setattr(sensors, "REQUEUE_SLACK", timedelta(0))  # no write is in flight here
    second = tick(settings, instance, cursor=first.cursor)
    assert second.run_requests == [] and looked_at == [[]]  # nothing read: no row is new
    db.update(burst[7].video_id, status=Status.COMPLETE)
    db.requeue(burst[7].video_id, "regen-beat1-take1")
    third = tick(settings, instance, cursor=second.cursor)
    assert [(r.run_key, r.partition_key) for r in third.run_requests] == [("regen-beat1-take1", burst[7].video_id)]
    assert looked_at[-1] == ["regen-beat1-take1"]


def test_a_cursor_from_before_the_upgrade_finds_rows_requeued_before_it(
    settings: Settings, instance: dg.DagsterInstance
) -> None:
    """An all-digit cursor says nothing of when its round began: every queued row is looked at, so a row requeued
    before the upgrade (seq below the cursor, its new run key without a run) is asked for."""
    db = RequestDB(settings.db_url)
    old = db.submit(build_request("A 5-second Nike ad", settings, user_id="ana"))
    later = db.submit(build_request("A 5-second Adidas ad", settings, user_id="ben"))
    db.update(old.video_id, status=Status.COMPLETE)
    db.requeue(old.video_id, "regen-beat1-take1")
    db.update(later.video_id, status=Status.COMPLETE)
    found = tick(settings, instance, cursor=str(later.seq))
    assert [(r.run_key, r.partition_key) for r in found.run_requests] == [("regen-beat1-take1", old.video_id)]
    assert sensors.Cursor.parse(found.cursor).seq == later.seq


def test_a_request_whose_run_never_appeared_is_failed_by_the_watch(
    settings: Settings, instance: dg.DagsterInstance
) -> None:
    """`vidgen generate` marks its row running before it creates its run; a process that died in between leaves
    a row no run event will ever reach."""
    db = RequestDB(settings.db_url)
    record = db.submit(build_request("A 5-second ad for Nike", settings), status=Status.RUNNING)
    long_ago = datetime.now(UTC) - LOST_AFTER - timedelta(minutes=1)
    with db.engine.begin() as conn:
        conn.execute(requests_table.update().values(updated_at=long_ago))
    tick(settings, instance, cursor=None)
    row = db.get(record.video_id)
    assert row.status == Status.FAILED and "its run was lost" in (row.error or "")


def test_a_run_of_another_job_brings_its_videos_row_along(settings: Settings, instance: dg.DagsterInstance) -> None:
    """A batch's backfill runs the asset job, not generate_video: its runs' events reach their rows all the same."""
    record = _submit(settings, "A 5-second ad for Nike", "ana")
    RequestDB(settings.db_url).update(record.video_id, run_key=batch_run_key("batch-1"))  # a batch's video
    tags = {PARTITION_NAME_TAG: record.video_id, BACKFILL_TAG: "bf1"}
    run = dg.DagsterRun(job_name="__ASSET_JOB", status=dg.DagsterRunStatus.STARTED, tags=tags)
    instance.add_run(run)
    instance.report_run_failed(run, "the backfill's run failed")
    tick(settings, instance, cursor=str(record.seq))
    row = RequestDB(settings.db_url).get(record.video_id)
    assert (row.status, row.run_id) == (Status.FAILED, run.run_id)
