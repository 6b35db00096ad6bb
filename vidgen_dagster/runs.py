"""What a video's Dagster runs say: its latest run, why a run failed, what its runs spent; and the request row
kept in step with them (used by the request sensor and the status API)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import dagster as dg
from dagster._core.storage.tags import PARTITION_NAME_TAG, WILL_RETRY_TAG

from vidgen_core.records import ACTIVE, RequestDB, RequestRecord, Status

REQUEST_TAG = "vidgen/request_id"
# A request marked running (by the CLI or a run launched by hand) whose run never appears is given up after this.
LOST_AFTER = timedelta(minutes=10)
_WAITING = {dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING}
_ENDED_BADLY = {dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED, dg.DagsterRunStatus.CANCELING}


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
        return f"{event.step_key}: {data.user_failure_data.description}"
    error = data.error
    while error is not None and error.cause is not None:  # the user's error, not Dagster's wrapper
        error = error.cause
    message = re.sub(r"^[\w.]+: ", "", error.message.strip()) if error else "unknown error"  # drop the class path
    return f"{event.step_key}: {message}"


def failure_reason(instance: dg.DagsterInstance, run: dg.DagsterRun) -> str:
    """Why a run ended without success: its first failed step, else the run's own failure message."""
    if run.status in (dg.DagsterRunStatus.CANCELED, dg.DagsterRunStatus.CANCELING):
        return "the run was canceled"
    steps = instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.STEP_FAILURE, limit=1).records
    if steps and steps[0].event_log_entry.dagster_event:
        return step_failure_text(steps[0].event_log_entry.dagster_event)
    ends = instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE, limit=1).records
    if ends and ends[0].event_log_entry.dagster_event:
        return f"run: {ends[0].event_log_entry.dagster_event.message or 'failed'}"
    return "run: the run failed before any step ran"


def spend(instance: dg.DagsterInstance, runs: list[dg.RunRecord]) -> dict[str, Any]:
    """What every run of a video spent (failed attempts included): total, per asset, cost lines, phase times."""
    by_asset: dict[str, float] = {}
    timings: dict[str, float] = {}
    lines: list[dict[str, Any]] = []
    for run_id in [r.dagster_run.run_id for r in runs]:
        records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records
        for record in records:
            materialization = record.asset_materialization
            if materialization is None:
                continue
            name, meta = materialization.asset_key.to_user_string(), materialization.metadata
            by_asset[name] = round(by_asset.get(name, 0.0) + float(meta["cost_usd"].value), 4)  # type: ignore[arg-type]
            timings[name] = float(meta["wall_time_s"].value)  # type: ignore[arg-type]
            lines += [{**line, "run_id": run_id} for line in meta["cost_breakdown"].value]  # type: ignore[union-attr]
    total = round(sum(by_asset.values()), 4)
    return {"cost_usd": total, "by_asset": by_asset, "wall_time_s": timings, "lines": lines}


def _time(timestamp: float | None) -> datetime | None:
    return datetime.fromtimestamp(timestamp, UTC) if timestamp else None


def sync(db: RequestDB, instance: dg.DagsterInstance, record: RequestRecord, run: dg.RunRecord | None) -> None:
    """Bring an active request's row in step with its latest run: queued, running, complete, or failed with why."""
    if not record.active:
        return
    if run is None:
        if record.status == Status.RUNNING and datetime.now(UTC) - record.updated_at > LOST_AFTER:
            db.update(record.video_id, status=Status.FAILED, error="run: its run was lost; submit the video again")
        return
    dagster_run, status = run.dagster_run, run.dagster_run.status
    fields: dict[str, Any] = {"run_id": dagster_run.run_id}
    if status in _WAITING:
        fields["status"] = Status.QUEUED
    elif status == dg.DagsterRunStatus.SUCCESS:
        fields.update(
            status=Status.COMPLETE,
            progress=100.0,
            current_phase="complete",
            error=None,
            completed_at=_time(run.end_time),
            cost_usd=spend(instance, video_runs(instance, record.video_id))["cost_usd"],
        )
    elif status in _ENDED_BADLY and dagster_run.tags.get(WILL_RETRY_TAG) != "true":
        fields.update(
            status=Status.FAILED,
            error=failure_reason(instance, dagster_run),
            completed_at=_time(run.end_time),
            cost_usd=spend(instance, video_runs(instance, record.video_id))["cost_usd"],
        )
    else:  # started, or failed with a run retry coming
        fields.update(status=Status.RUNNING, started_at=record.started_at or _time(run.start_time))
    if any(getattr(record, k) != v for k, v in fields.items()):
        db.update(record.video_id, **fields)


def sync_all(db: RequestDB, instance: dg.DagsterInstance, records: list[RequestRecord]) -> dict[str, dg.RunRecord]:
    """Sync many requests with one run query; returns the runs found, by video id."""
    runs = latest_runs(instance, [r.video_id for r in records if r.status in ACTIVE])
    for record in records:
        sync(db, instance, record, runs.get(record.video_id))
    return runs
