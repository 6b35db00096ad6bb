"""Batches of ads: store the checked rows, add their partitions, launch one partition backfill; and report it.
Used by the service's batch use cases (`vidgen batch`, /api/batch)."""

from __future__ import annotations

import dagster as dg

from vidgen_core.domain.errors import InvalidRequest, ServiceDown
from vidgen_core.persistence.batches import BatchDB, BatchRecord, BatchState
from vidgen_core.persistence.ledger import Ledger
from vidgen_core.pipeline.batches import CheckedBatch
from vidgen_core.settings import Settings
from vidgen_dagster.backfills import backfill_status, launch_backfill
from vidgen_dagster.partitions import videos


def store_and_launch(
    settings: Settings,
    instance: dg.DagsterInstance,
    batch: BatchRecord,
    checked: CheckedBatch,
    max_active: int | None = None,
    keep_unlaunched: bool = True,
) -> BatchRecord:
    """Store the batch and its requests, add their partitions, and launch its backfill on the webserver.

    If the webserver is down the batch stays stored, with the reason in ``error``, for ``launch`` later (`vidgen
    batch --launch`), unless not ``keep_unlaunched``; if it refuses the backfill, nothing of the batch is kept (see
    ``launch``).
    """
    db = BatchDB(settings.db_url)
    db.store(batch, checked.requests, max_active)
    return launch(db, instance, settings, batch.batch_id, keep_unlaunched)


def launch(
    db: BatchDB, instance: dg.DagsterInstance, settings: Settings, batch_id: str, keep_unlaunched: bool = True
) -> BatchRecord:
    """Add a stored batch's partitions and launch its backfill (once); a webserver that is down is recorded when
    ``keep_unlaunched`` (the CLI can launch it later), else the batch is withdrawn and ServiceDown raised.

    Any other failure (the webserver refuses the backfill, a database fails) withdraws the batch: its rows and
    partitions are deleted and the error raised. None of its videos can have run, so nothing is lost but the
    submission, which the user repeats; a batch kept instead would hold one of the user's batch slots with nothing
    that could ever launch or cancel it.
    """
    batch = db.get(batch_id)
    if batch.backfill_id:
        raise InvalidRequest(f"batch {batch_id} was launched already, as backfill {batch.backfill_id}", "batch_id")
    ids = [r.video_id for r in db.videos(batch_id)]
    try:
        instance.add_dynamic_partitions(videos.name, ids)
        backfill = launch_backfill(settings.dagster_url, batch_id, batch.title, ids, batch.user_id)
    except Exception as exc:
        if keep_unlaunched and isinstance(exc, ServiceDown):
            db.update(batch_id, error=str(exc))
            return db.get(batch_id)
        db.withdraw(batch_id)
        for video_id in ids:
            instance.delete_dynamic_partition(videos.name, video_id)
        raise
    else:
        db.update(batch_id, backfill_id=backfill, error=None)
    return db.get(batch_id)


def backfill_url(settings: Settings, backfill_id: str) -> str:
    """The backfill's page in the Dagster UI."""
    return f"{settings.dagster_url}/runs/b/{backfill_id}"


class BatchReport(BatchState):
    """A batch's progress and its backfill's (`vidgen batch --status`, GET /api/batch/{id})."""

    backfill_status: str
    backfill_url: str | None


def report(settings: Settings, instance: dg.DagsterInstance, batch_id: str, user_id: str | None = None) -> BatchReport:
    """The batch's progress as its request rows say (the ``requests_follow_*_runs`` sensors keep them in step with
    their runs) and its backfill's status; reads only."""
    found = BatchDB(settings.db_url).state(batch_id, Ledger(settings.db_url), user_id)
    backfill = found.batch.backfill_id
    return BatchReport(
        **dict(found),
        backfill_status=backfill_status(instance, backfill),
        backfill_url=backfill_url(settings, backfill) if backfill else None,
    )
