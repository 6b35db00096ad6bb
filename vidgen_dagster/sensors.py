"""The request sensor: API-inserted requests become video partitions and runs; request rows follow their runs."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg

from vidgen_core.persistence.requests import BACKFILL_PREFIX, Status
from vidgen_dagster.jobs import generate_video
from vidgen_dagster.partitions import videos
from vidgen_dagster.resources import DatabaseResource
from vidgen_dagster.runs import FOLLOW_FAILED, RUN_KEY_TAG, SOURCE_TAG, in_progress_videos, sync_all, video_tags

# The daemon's sensor loop comes round every 5 s; asking for 5 s would skip every other round (ticks 10 s apart),
# so ask for less and get every round.
TICK_S = 1
# Requests read per tick: a burst of a few hundred becomes runs in one tick (RequestDB.pending's default page is 100).
PAGE = 2000


@dg.sensor(
    job=generate_video,
    minimum_interval_seconds=TICK_S,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Turns new rows of the requests table into a video partition plus its run (run key = request id), "
    "and keeps each active (or lately failed) request's status in step with its latest run, run retries included.",
)
def video_requests(context: dg.SensorEvaluationContext, db: DatabaseResource) -> dg.SensorResult:
    """The cursor is the last request seen. Exactly once: a request with no run yet is asked for again (a lost
    cursor, a daemon that stopped between tick and launch), and its run key lets Dagster drop any duplicate."""
    requests, seen = db.requests(), int(context.cursor or 0)
    new = requests.pending(after_seq=seen, limit=PAGE)
    active = requests.active(limit=PAGE)
    # Ended requests whose video has a later run (a run retry, a re-execution or launchpad run from the UI) follow it.
    ended = requests.failed_since(datetime.now(UTC) - FOLLOW_FAILED, limit=PAGE) + requests.of_videos(
        in_progress_videos(context.instance)
    )
    runs = sync_all(requests, context.instance, [*active, *{r.video_id: r for r in ended if not r.active}.values()])
    waiting = {  # queued rows whose run (the first, or a regeneration's new run key) does not exist yet
        r.video_id: r
        for r in [*active, *new]
        if r.status == Status.QUEUED
        and not r.wanted_run_key.startswith(BACKFILL_PREFIX)  # a batch's backfill launches its runs
        and (r.video_id not in runs or runs[r.video_id].dagster_run.tags.get(RUN_KEY_TAG) != r.wanted_run_key)
    }
    unseen = [video_id for video_id in waiting if video_id not in runs]
    if new:
        shown = ", ".join(r.request_id for r in new[:10]) + (f" and {len(new) - 10} more" if len(new) > 10 else "")
        context.log.info("%d new requests: %s", len(new), shown)
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=r.wanted_run_key,
                partition_key=r.video_id,
                tags={**video_tags(r), SOURCE_TAG: "api"},
            )
            for r in waiting.values()
        ],
        dynamic_partitions_requests=[videos.build_add_request(unseen)] if unseen else [],
        cursor=str(max([seen, *(r.seq for r in new)])),
    )
