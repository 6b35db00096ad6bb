"""What a video's Dagster runs say: its latest run, why a run failed, what its runs spent; and the request row
kept in step with them (``sync_video``: by the run-status sensors on each run event, by the CLI after its runs)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import dagster as dg

from vidgen_core.domain.models import Phase
from vidgen_core.persistence.ledger import Ledger
from vidgen_core.persistence.requests import BACKFILL_PREFIX, RequestDB, RequestRecord, Status
from vidgen_core.persistence.trouble import plain_error
from vidgen_core.pipeline.registry import percent
from vidgen_dagster.failures import INTERRUPTED, PHASE_KEY, is_interrupt

# Dagster's own tags, as the strings they are (its constants live in private modules).
PARTITION_NAME_TAG, WILL_RETRY_TAG = "dagster/partition", "dagster/will_retry"
AUTO_RETRY_RUN_ID_TAG, MAX_RETRIES_TAG = "dagster/auto_retry_run_id", "dagster/max_retries"
DATA_VERSION_TAG = "dagster/data_version"
REQUEST_TAG = "vidgen/request_id"
USER_TAG, TITLE_TAG = "vidgen/user", "vidgen/title"  # shown in the UI's runs list, where partitions are bare ids
RUN_KEY_TAG = "dagster/run_key"
BACKFILL_TAG = "dagster/backfill"
HOST_TAG, PID_TAG, HEARTBEAT_TAG = "vidgen/host", "vidgen/pid", "vidgen/heartbeat_s"
PROCESS_RUN_TAG = "vidgen/process_run"  # the run whose process the tags above name (a run retry copies them)
EXECUTOR_TAG = "vidgen/executor"
SOURCE_TAG = "vidgen/source"  # what started a run: the api (its sensor) or a CLI command
# Set (to the run's id; a run retry copies tags) on a run failed for its silence on another host: its process may
# still run steps, so its pool slots are left to Dagster's monitor (run_monitoring.free_slots_after_run_end_seconds).
PRESUMED_DEAD_TAG = "vidgen/presumed_dead"
# A request marked running (by the CLI or a run launched by hand) whose run never appears is given up after this.
LOST_AFTER = timedelta(minutes=10)
# A running step touches its request row every heartbeat; a run on another host silent for DEAD_AFTER heartbeats has
# lost its process (on this host, its pid tells: an exited pid and two missed heartbeats).
DEAD_AFTER, GONE_AFTER = 4.5, 2.0
# Dagster's retry daemon looks for failed runs every 5 s; a run marked to be retried whose retry has not appeared
# after RETRY_WAIT will not be retried (no daemon, or nothing it can relaunch) and its request is failed.
RETRY_WAIT = timedelta(seconds=15)
# A failed run marked to be retried is watched this long for a retry that never comes.
FOLLOW_FAILED = timedelta(minutes=10)
_WAITING = {dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING}
_ENDED_BADLY = {dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED, dg.DagsterRunStatus.CANCELING}


def video_tags(record: RequestRecord) -> dict[str, str]:
    """The tags of a video's run: its request, owner and title."""
    return {REQUEST_TAG: record.request_id, USER_TAG: record.user_id, TITLE_TAG: record.title}


def latest_runs(instance: dg.DagsterInstance, video_ids: Iterable[str]) -> dict[str, dg.RunRecord]:
    """The newest run of each video (whoever launched it: sensor, CLI, UI, backfill or a run retry)."""
    ids = list(dict.fromkeys(video_ids))
    if not ids:
        return {}
    latest: dict[str, dg.RunRecord] = {}
    for record in instance.get_run_records(dg.RunsFilter(tags={PARTITION_NAME_TAG: ids})):  # newest first
        latest.setdefault(record.dagster_run.tags[PARTITION_NAME_TAG], record)
    return latest


def video_runs(instance: dg.DagsterInstance, video_id: str) -> list[dg.RunRecord]:
    """Every run of a video, oldest first."""
    return list(instance.get_run_records(dg.RunsFilter(tags={PARTITION_NAME_TAG: video_id}), ascending=True))


def step_failure_text(event: dg.DagsterEvent) -> str:
    """``step: what went wrong`` in the user's words rather than Dagster's."""
    data = event.step_failure_data
    if data.user_failure_data and data.user_failure_data.description:
        phase = data.user_failure_data.metadata.get(PHASE_KEY)
        return f"{phase.value if phase else event.step_key}: {plain_error(data.user_failure_data.description)}"
    if is_interrupt(data.error):
        return f"{event.step_key}: {INTERRUPTED}"
    error = data.error
    while error is not None and error.cause is not None:  # the user's error, not Dagster's wrapper
        error = error.cause
    message = error.message if error else ""  # "module.Class: text"; plain_error drops the class
    return f"{event.step_key}: {plain_error(message) or 'an unexpected error; see the run in the Dagster UI'}"


def failure_reason(instance: dg.DagsterInstance, run: dg.DagsterRun) -> str:
    """Why a run ended without success: its first failed step, else the run's own failure message."""
    if run.status in (dg.DagsterRunStatus.CANCELED, dg.DagsterRunStatus.CANCELING):
        return "the run was canceled"
    steps = instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.STEP_FAILURE, limit=1).records
    if steps and steps[0].event_log_entry.dagster_event:
        return step_failure_text(steps[0].event_log_entry.dagster_event)
    ends = instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE, limit=1).records
    return run_failure_text(ends[0].event_log_entry.dagster_event if ends else None)


def run_failure_text(event: dg.DagsterEvent | None) -> str:
    """``run: why`` for a run that failed outside its steps (its RUN_FAILURE event), in plain words."""
    if event is None or event.message is None:
        return "run: the run failed before any step ran"
    data = event.event_specific_data
    if is_interrupt(getattr(data, "error", None)):
        return f"run: {INTERRUPTED}"
    return f"run: {plain_error(event.message)}"


def phase_times(instance: dg.DagsterInstance, runs: list[dg.RunRecord]) -> dict[str, float]:
    """Each phase's wall time in the latest run that materialized it."""
    timings: dict[str, float] = {}
    for run_id in [r.dagster_run.run_id for r in runs]:
        records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records
        for record in records:
            materialization = record.asset_materialization
            if materialization is not None and "wall_time_s" in materialization.metadata:
                value = materialization.metadata["wall_time_s"].value
                timings[materialization.asset_key.to_user_string()] = float(value)  # type: ignore[arg-type]
    return timings


def process_tags(run_id: str, heartbeat_s: float, executor: str = "in_process") -> dict[str, str]:
    """Tags naming the process that executes a run's steps and its heartbeat, so a dead one can be recognised."""
    return {
        PROCESS_RUN_TAG: run_id,
        HOST_TAG: socket.gethostname(),
        PID_TAG: str(os.getpid()),
        HEARTBEAT_TAG: f"{heartbeat_s:g}",
        EXECUTOR_TAG: executor,
    }


def _pid_exited(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, ValueError):
        return False
    return False


def process_gone(run: dg.DagsterRun, record: RequestRecord) -> str | None:
    """Why a started run's process is known to be dead, or None while it may be alive."""
    pid, host = run.tags.get(PID_TAG), run.tags.get(HOST_TAG)
    if not pid or run.tags.get(PROCESS_RUN_TAG, run.run_id) != run.run_id:
        return None  # a run that has not started a step of ours yet (a run retry carries its parent's tags)
    if run.tags.get(EXECUTOR_TAG, "in_process") != "in_process":
        return None  # steps in processes of their own (Celery, multiprocess) may wait queued: Dagster's monitor rules
    beat = float(run.tags.get(HEARTBEAT_TAG) or 10)
    silent = (datetime.now(UTC) - record.updated_at).total_seconds()
    if host == socket.gethostname():  # its pid says it all: a live run is silent between steps (a pool slot wait)
        return (
            f"the process running it (pid {pid}) has exited"
            if silent > GONE_AFTER * beat and _pid_exited(pid)
            else None
        )
    if silent > DEAD_AFTER * beat:
        return f"the process running it on {host} has not been heard from for {silent:.0f} s"
    return None


def fail_dead_run(instance: dg.DagsterInstance, run: dg.DagsterRun, reason: str) -> dg.DagsterRun:
    """Mark a run whose process died as failed, so it stops looking alive in the UI. Returns the run as stored now,
    with Dagster's retry decision."""
    if run.tags.get(HOST_TAG) != socket.gethostname():  # known dead only by its silence
        instance.add_run_tags(run.run_id, {PRESUMED_DEAD_TAG: run.run_id})
    instance.report_run_failed(run, message=reason)
    return instance.get_run_by_id(run.run_id) or run.with_status(dg.DagsterRunStatus.FAILURE)


def _give_back_slots(instance: dg.DagsterInstance, run: dg.DagsterRun) -> None:
    """Free the pool slots of a run that failed or was canceled: a killed run's steps never give theirs back, and
    Dagster's monitor daemon frees them only later. Not those of a run presumed dead for its silence on another
    host, whose process may still be running steps: the monitor frees them once the run has ended a while."""
    if run.tags.get(PRESUMED_DEAD_TAG) == run.run_id:
        return
    if run.status in (dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED):
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)


def retry_coming(run: dg.DagsterRun, ended: datetime | None) -> bool:
    """Whether Dagster's run retry will still re-execute this failed run: it is marked to be retried, the retry
    daemon can relaunch it (an in-process run, e.g. the CLI's, has no origin to relaunch), and it ended less than
    RETRY_WAIT ago or its retry exists. A run with no known end is taken as ended long ago, never as just now."""
    if run.tags.get(WILL_RETRY_TAG) != "true" or run.remote_job_origin is None:
        return False
    if AUTO_RETRY_RUN_ID_TAG in run.tags:
        return True
    return ended is not None and datetime.now(UTC) - ended < RETRY_WAIT


def _follows(instance: dg.DagsterInstance, record: RequestRecord, run: dg.RunRecord | None) -> bool:
    """Whether an ended request follows ``run``: a later run of its video, made after it ended or re-executing its
    run (the retry may have been made just before the request was failed)."""
    if record.active or run is None:
        return False
    if run.dagster_run.run_id == record.run_id:  # a run failed as dead that finished after all
        return record.status == Status.FAILED and run.dagster_run.status == dg.DagsterRunStatus.SUCCESS
    ended = record.completed_at or record.updated_at
    return run.create_timestamp > ended or _reexecutes(instance, run.dagster_run, record.run_id)


def _reexecutes(instance: dg.DagsterInstance, run: dg.DagsterRun, run_id: str | None) -> bool:
    """Whether ``run`` re-executes the run ``run_id`` (a run retry, or a re-execution from the UI)."""
    if not run_id or run.run_id == run_id or not run.root_run_id:
        return False
    if run_id in (run.parent_run_id, run.root_run_id):
        return True
    earlier = instance.get_run_by_id(run_id)
    return earlier is not None and earlier.root_run_id == run.root_run_id


def _awaited(run: dg.DagsterRun, record: RequestRecord) -> bool:
    """Whether ``run`` is the one a queued request waits for: its run key, or any run of its batch's backfill."""
    if record.wanted_run_key.startswith(BACKFILL_PREFIX):
        return BACKFILL_TAG in run.tags
    return run.tags.get(RUN_KEY_TAG) == record.wanted_run_key


_FINISHED = {"status": Status.COMPLETE, "progress": 100.0, "current_phase": Phase.FINAL_VIDEO}


def _review_ended() -> dict[str, Any]:
    """A review run's success is not the video's: it waits, in review, at its preview's share of the work, for the
    approval that buys its clips (so no client, archiver or deliverables call takes it for a finished video)."""
    return {"status": Status.IN_REVIEW, "progress": percent(Phase.PREVIEW, 1, 1), "current_phase": Phase.PREVIEW}


def _time(timestamp: float | None) -> datetime | None:
    return datetime.fromtimestamp(timestamp, UTC) if timestamp else None


def sync(db: RequestDB, instance: dg.DagsterInstance, record: RequestRecord, run: dg.RunRecord | None) -> None:
    """Bring a request's row in step with its latest run: queued, running, complete, or failed with why. An ended
    request follows a later run of its video (a run retry, a re-execution or a launchpad run from the UI)."""
    if not record.active and not _follows(instance, record, run):
        return
    if run is not None and record.active and record.run_id not in (None, run.dagster_run.run_id):
        own = instance.get_run_record_by_id(record.run_id or "")
        if run.create_timestamp < (own.create_timestamp if own else record.updated_at):
            run = own  # older than the run the row names (the CLI's, written before it is created): not its run
    if run is None:
        if record.status == Status.RUNNING and datetime.now(UTC) - record.updated_at > LOST_AFTER:
            db.update(
                record.video_id,
                status=Status.FAILED,
                error=f"run: its run was lost; finish it with `vidgen resume {record.video_id}`",
            )
        return
    dagster_run, status = run.dagster_run, run.dagster_run.status
    ended = _time(run.end_time) or (run.update_timestamp if status in _ENDED_BADLY else None)
    if status == dg.DagsterRunStatus.STARTED and (dead := process_gone(dagster_run, record)):
        dagster_run = fail_dead_run(instance, dagster_run, dead)
        status, ended = dagster_run.status, datetime.now(UTC)
    _give_back_slots(instance, dagster_run)
    if record.run_id != dagster_run.run_id:  # moving on to another run: the earlier ones (a killed run, the run a
        for earlier_id in {record.run_id, dagster_run.parent_run_id} - {None}:  # retry re-executes) are done with
            if earlier := instance.get_run_by_id(earlier_id or ""):
                _give_back_slots(instance, earlier)
    if record.status == Status.QUEUED and not _awaited(dagster_run, record):
        return  # an older run of the video; the one this request waits for has not been created yet
    fields: dict[str, Any] = {"run_id": dagster_run.run_id}
    if status in _WAITING and record.status == Status.QUEUED:  # the run this request waits for
        fields["status"] = Status.QUEUED
    elif status == dg.DagsterRunStatus.SUCCESS:
        fields.update(
            _review_ended() if record.in_review else _FINISHED,
            error=None,
            completed_at=ended,
            cost_usd=Ledger(db.url).spent(record.video_id),
        )
    elif status in _ENDED_BADLY and not retry_coming(dagster_run, ended):
        fields.update(
            status=Status.FAILED,
            error=failure_reason(instance, dagster_run),
            completed_at=ended or datetime.now(UTC),
            cost_usd=Ledger(db.url).spent(record.video_id),
        )
    else:  # started, failed with a run retry coming, or a later run it follows (a retry, the UI's) not yet started
        fields.update(
            status=Status.RUNNING, error=None, completed_at=None, started_at=record.started_at or _time(run.start_time)
        )
        if not record.active:  # an ended request following a later run starts over, not at its old 100 %
            fields.update(progress=0.0, current_phase=None, chunk_index=None, total_chunks=None)
    if any(getattr(record, k) != v for k, v in fields.items()):
        db.update(record.video_id, **fields)


def sync_video(db: RequestDB, instance: dg.DagsterInstance, video_id: str) -> RequestRecord | None:
    """Bring one video's request row in step with its runs; returns the row as stored now (None: no request)."""
    record = db.find(video_id)
    if record is None:
        return None
    sync(db, instance, record, latest_runs(instance, [video_id]).get(video_id))
    return db.get(video_id)


def watch_runs(db: RequestDB, instance: dg.DagsterInstance) -> list[str]:
    """What no run event announces, looked for among what is in flight, not among all request rows: a started run
    whose process died (failed, with its row), a failed run marked to be retried whose retry never came, and a
    request marked running whose run never appeared. Returns the videos synced."""
    now = datetime.now(UTC)
    started = instance.get_run_records(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
    retrying = instance.get_run_records(
        dg.RunsFilter(
            statuses=[dg.DagsterRunStatus.FAILURE], tags={WILL_RETRY_TAG: "true"}, updated_after=now - FOLLOW_FAILED
        )
    )
    unanswered = [r for r in retrying if AUTO_RETRY_RUN_ID_TAG not in r.dagster_run.tags]
    found = (r.dagster_run.tags.get(PARTITION_NAME_TAG) for r in [*started, *unanswered])
    lost = (r.video_id for r in db.silent_since(now - LOST_AFTER))  # few: a running step beats every few seconds
    videos = list(dict.fromkeys(v for v in [*found, *lost] if v))
    for video_id in videos:
        sync_video(db, instance, video_id)
    return videos
