"""The sensors between the requests table and Dagster. Each does work in proportion to what happened since its last
round, not to how many requests are active:

- ``video_requests``: new (and requeued) rows become a video partition plus its run;
- ``requests_follow_<status>_runs``: a run's start or end brings its video's row in step (run retries, re-executions
  and launchpad runs included), on Dagster's own run events;
- ``dead_runs``: what no event announces, among the runs in flight: a run whose process died, a retry that never
  came, a request whose run never appeared.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import dagster as dg

from vidgen_core.persistence.requests import BACKFILL_PREFIX
from vidgen_dagster.jobs import generate_video, job_for, review_video
from vidgen_dagster.partitions import videos
from vidgen_dagster.resources import DatabaseResource
from vidgen_dagster.runs import PARTITION_NAME_TAG, RUN_KEY_TAG, SOURCE_TAG, sync_video, video_tags, watch_runs

# The daemon's sensor loop comes round every 5 s; asking for 5 s would skip every other round (ticks 10 s apart),
# so ask for less and get every round.
TICK_S = 1
# How often the runs in flight are looked at for a dead process (a live step beats every VIDGEN_HEARTBEAT_S).
WATCH_S = 10
# Requests read per tick: a burst of a few hundred becomes runs in one tick (RequestDB.pending's default page is 100).
PAGE = 2000
# A requeued row is looked for among rows written since the last round, less this much: a write whose transaction
# commits after a round has read is still found by the next rounds.
REQUEUE_SLACK = timedelta(seconds=60)
# Before any row was written: a cursor that does not say when its round began looks at every queued row.
EVER = datetime(1970, 1, 1, tzinfo=UTC)
# The run events that change a request's row.
FOLLOWED = (
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.SUCCESS,
    dg.DagsterRunStatus.FAILURE,
    dg.DagsterRunStatus.CANCELED,
)


@dataclass(frozen=True)
class Cursor:
    """The last request seen (its ``seq``) and when the round that saw it began (None: look at every queued row)."""

    seq: int = 0
    at: datetime | None = None

    @classmethod
    def parse(cls, text: str | None) -> Cursor:
        if not text:
            return cls()
        if text.isdigit():  # a cursor from before requeued rows were looked for by time
            return cls(int(text))
        saved = json.loads(text)
        return cls(int(saved["seq"]), datetime.fromisoformat(saved["at"]) if saved.get("at") else None)

    def dump(self) -> str:
        return json.dumps({"seq": self.seq, "at": self.at.isoformat() if self.at else None})


@dg.sensor(
    jobs=[generate_video, review_video],
    minimum_interval_seconds=TICK_S,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Turns new rows of the requests table (and rows requeued by a regeneration or resume) into a video "
    "partition plus its run (run key = request id, or the regeneration's): a review run while the video waits "
    "for its approval, else the whole graph.",
)
def video_requests(context: dg.SensorEvaluationContext, db: DatabaseResource) -> dg.SensorResult:
    """Exactly once: a queued request whose run key has no run is asked for (again, after a lost cursor or a daemon
    that stopped between tick and launch), and the run key lets Dagster drop any duplicate."""
    requests, cursor, now = db.requests(), Cursor.parse(context.cursor), datetime.now(UTC)
    new = requests.pending(after_seq=cursor.seq, limit=PAGE)  # with no cursor: every queued row
    requeued = requests.queued_since(cursor.at - REQUEUE_SLACK if cursor.at else EVER, limit=PAGE)
    queued = {r.video_id: r for r in [*new, *requeued] if not r.wanted_run_key.startswith(BACKFILL_PREFIX)}
    keys = [r.wanted_run_key for r in queued.values()]  # a batch's backfill launches its own runs
    made = _run_keys_made(context.instance, keys)
    waiting = [r for r in queued.values() if r.wanted_run_key not in made]
    if new:
        shown = ", ".join(r.request_id for r in new[:10]) + (f" and {len(new) - 10} more" if len(new) > 10 else "")
        context.log.info("%d new requests: %s", len(new), shown)
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=r.wanted_run_key,
                partition_key=r.video_id,
                job_name=job_for(r),
                tags={**video_tags(r), SOURCE_TAG: "api"},
            )
            for r in waiting
        ],
        # Dagster adds only the keys it does not have (a requeued video's partition exists already).
        dynamic_partitions_requests=[videos.build_add_request([r.video_id for r in waiting])] if waiting else [],
        cursor=Cursor(max([cursor.seq, *(r.seq for r in new)]), now).dump(),
    )


def _run_keys_made(instance: dg.DagsterInstance, keys: list[str]) -> set[str]:
    """Which of these run keys have a run already (one query, however many keys)."""
    if not keys:
        return set()
    records = instance.get_run_records(dg.RunsFilter(tags={RUN_KEY_TAG: keys}))
    return {r.dagster_run.tags[RUN_KEY_TAG] for r in records}


def _follower(status: dg.DagsterRunStatus) -> dg.RunStatusSensorDefinition:
    @dg.run_status_sensor(
        run_status=status,
        name=f"requests_follow_{status.value.lower()}_runs",
        minimum_interval_seconds=TICK_S,
        monitor_all_code_locations=True,  # the CLI's in-process runs have no code location, and are followed too
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Brings a video's request row in step with its runs when one of them is {status.value.lower()}.",
    )
    def follow(context: dg.RunStatusSensorContext, db: DatabaseResource) -> None:
        # A video's run, whichever job it is of: the sensor's and the CLI's generate_video, a batch backfill's asset
        # job, a materialization from the UI (a partition without a request row is left alone).
        if video_id := context.dagster_run.tags.get(PARTITION_NAME_TAG):
            sync_video(db.requests(), context.instance, video_id)

    return follow


followers = {status: _follower(status) for status in FOLLOWED}


@dg.sensor(
    minimum_interval_seconds=WATCH_S,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Fails a started run whose process has died (its heartbeat and pid say so), and the requests of "
    "runs whose retry never came or that never appeared; looks only at runs in flight or lately failed.",
)
def dead_runs(context: dg.SensorEvaluationContext, db: DatabaseResource) -> dg.SkipReason:
    synced = watch_runs(db.requests(), context.instance)
    return dg.SkipReason(f"checked {len(synced)} videos in flight")
