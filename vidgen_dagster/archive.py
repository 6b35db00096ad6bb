"""Keep the ``videos`` partitions bounded: delivered videos past the retention window leave Dagster's partition
list (and, if asked, their runs' event logs). Their media, ledger rows and request rows stay, so `vidgen show` and the
API still answer for them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg
from pydantic import BaseModel

from vidgen_core.persistence.requests import RequestDB
from vidgen_dagster.partitions import videos
from vidgen_dagster.runs import video_runs


class Archived(BaseModel):
    """What an archive pass removed."""

    cutoff: datetime
    videos: list[str]
    runs_deleted: int
    partitions_left: int  # after the pass (a dry run: what it would leave)


def archive(
    db: RequestDB,
    instance: dg.DagsterInstance,
    older_than_days: float,
    delete_runs: bool = False,
    dry_run: bool = False,
) -> Archived:
    """Remove complete videos finished more than ``older_than_days`` ago from the partitions (idempotent)."""
    cutoff = datetime.now(UTC) - timedelta(days=older_than_days)
    found = db.delivered_before(cutoff)
    runs = 0
    if not dry_run:
        for record in found:
            if delete_runs:
                for run in video_runs(instance, record.video_id):
                    instance.delete_run(run.dagster_run.run_id)
                    runs += 1
            if instance.has_dynamic_partition(videos.name, record.video_id):
                instance.delete_dynamic_partition(videos.name, record.video_id)
            db.update(record.video_id, archived_at=datetime.now(UTC))
    archived = {r.video_id for r in found}  # gone already, or (a dry run) what would go
    left = sum(p not in archived for p in instance.get_dynamic_partitions(videos.name))
    return Archived(cutoff=cutoff, videos=[r.video_id for r in found], runs_deleted=runs, partitions_left=left)
