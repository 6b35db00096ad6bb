"""Running a video's graph in this process (the CLI), tagged with the process so a killed one is recognised, and a
summary of what came out and what it cost."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

import dagster as dg

from vidgen_core.adapters.storage import VideoKeys, open_store
from vidgen_core.domain.models import Animatic, ChunkSet, Phase, RenderedVideo, Storyboard, Voiceover
from vidgen_core.domain.stopping import stop_run
from vidgen_core.persistence.ledger import BILLED, CallState, Ledger
from vidgen_core.persistence.requests import RequestDB, RequestRecord, Status
from vidgen_core.pipeline.registry import PHASES
from vidgen_core.pipeline.videos import stored_spec
from vidgen_core.settings import Settings
from vidgen_dagster.failures import INTERRUPTED, INTERRUPTS
from vidgen_dagster.instance import open_instance
from vidgen_dagster.jobs import job_for
from vidgen_dagster.runs import (
    MAX_RETRIES_TAG,
    SOURCE_TAG,
    process_tags,
    run_failure_text,
    step_failure_text,
    sync_video,
    video_tags,
)
from vidgen_dagster.service.models import RunSummary


def run_video(
    record: RequestRecord, settings: Settings, source: str, run_config: dict[str, Any] | None = None
) -> RunSummary:
    """Materialize the video's whole graph (a video in review: its review run) in this process on the instance;
    every finished call is reused."""
    from vidgen_core.adapters.ffmpeg.tools import MediaClock
    from vidgen_dagster.definitions import build_definitions
    from vidgen_dagster.partitions import videos

    started = time.perf_counter()
    instance = open_instance(settings)
    db, ledger = RequestDB(settings.db_url), Ledger(settings.db_url)
    # Chosen up front: named in the process tags (so a run retry's copy of them is told apart), and written with
    # RUNNING, so a sensor round before the run exists sees a row naming a newer run than the video's failed one.
    run_id = str(uuid.uuid4())
    db.update(record.video_id, status=Status.RUNNING, run_id=run_id, error=None, completed_at=None)
    config = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}} | (run_config or {})
    tags = {
        SOURCE_TAG: source,
        **video_tags(record),
        # Never retried by Dagster's run retry: its daemon cannot relaunch an in-process run, and a user who pressed
        # Ctrl-C wants it stopped; `vidgen resume` finishes it.
        MAX_RETRIES_TAG: "0",
        **process_tags(run_id, settings.heartbeat_s),
    }
    try:
        instance.add_dynamic_partitions(videos.name, [record.video_id])
        job = build_definitions(str(settings.home)).resolve_job_def(job_for(record))  # this home's (30 ms)
        result = job.execute_in_process(
            instance=instance,
            partition_key=record.video_id,
            raise_on_error=False,
            run_config=config,
            tags=tags,
            run_id=run_id,
        )
    except BaseException as exc:
        if instance.get_run_by_id(run_id) is None:  # stopped before its run existed: nothing else would end the row
            why = INTERRUPTED if isinstance(exc, INTERRUPTS) else "the run could not start; resume the video to retry"
            db.update(record.video_id, status=Status.FAILED, error=f"run: {why}", completed_at=datetime.now(UTC))
        raise
    finally:
        stop_run(run_id)  # the run has ended: none of its calls may outlive it
    sync_video(db, instance, record.video_id)
    return summarize(
        result, db.get(record.video_id), ledger, settings, time.perf_counter() - started, MediaClock.seconds
    )


def summarize(
    result: dg.ExecuteInProcessResult,
    record: RequestRecord,
    ledger: Ledger,
    settings: Settings,
    wall_s: float,
    media_s: float,
) -> RunSummary:
    """What a run made and spent: this run's calls from the ledger, the video's total, and its media."""
    phases: dict[str, dict[str, float]] = {}
    for event in result.get_asset_materialization_events():
        meta = event.step_materialization_data.materialization.metadata
        phases[event.asset_key.to_user_string()] = {
            k: meta[k].value for k in ("cost_usd", "wall_time_s", "list_price_usd", "reused") if k in meta
        }
    rows = [r for r in ledger.rows(record.video_id) if r.run_id == result.run_id]
    store, keys = open_store(settings), VideoKeys(record.user_id, record.video_id)
    spec = stored_spec(store, record)
    summary = RunSummary(
        video_id=record.video_id,
        user_id=record.user_id,
        run_id=result.run_id,
        status=(Status.IN_REVIEW if record.in_review else Status.COMPLETE) if result.success else Status.FAILED,
        cost_usd=round(sum(r.actual_usd for r in rows if r.state in BILLED), 4),
        paid_calls=sum(r.state == CallState.PAID for r in rows),
        reused_calls=sum(r.state == CallState.REUSED for r in rows),
        video_cost_usd=round(ledger.spent(record.video_id), 4),
        max_cost_usd=record.request.max_cost_usd,
        list_price_usd=round(sum(p.get("list_price_usd", 0.0) for p in phases.values()), 4),
        wall_time_s=round(wall_s, 3),
        media_time_s=round(media_s, 3),
        phases=phases,
        plan_notes=spec.plan_notes if spec else [],  # what the planner repaired or warns of
        review=record.review,
    )
    if not result.success:
        return summary.model_copy(update={"error": failure_message(result)})
    board = Storyboard.model_validate_json(store.get_bytes(PHASES[Phase.STORYBOARD].key(keys)))
    storyboard = {
        "beats": len(board.images),
        "takes": {str(i.beat_index): i.take for i in board.images},
        "storyboard": [str(store.local_path(i.key)) for i in board.images],
    }
    if record.in_review:  # the review run: the plan, the images and the preview
        made = Animatic.model_validate_json(store.get_bytes(PHASES[Phase.PREVIEW].key(keys)))
        shown = {"preview_video": str(store.local_path(made.key)), "duration_s": made.duration_s}
        return summary.model_copy(update={**shown, "width": made.width, "height": made.height, **storyboard})
    final = RenderedVideo.model_validate_json(store.get_bytes(PHASES[Phase.FINAL_VIDEO].key(keys)))
    chunks = ChunkSet.model_validate_json(store.get_bytes(PHASES[Phase.VIDEO_CHUNKS].key(keys))).chunks
    said = Voiceover.model_validate_json(store.get_bytes(PHASES[Phase.VOICEOVER].key(keys)))
    return summary.model_copy(
        update={
            "final_video": str(store.local_path(final.key)),
            "duration_s": final.duration_s,
            "width": final.width,
            "height": final.height,
            "size_bytes": final.size_bytes,
            "loudness_lufs": final.loudness_lufs,
            "chunks": len(chunks),
            "lines": len(said.lines),
            **storyboard,
        }
    )


def failure_message(result: Any) -> str:
    """``step: what went wrong`` for the first failed step of an in-process run, else why the run failed."""
    failures = [e for e in result.all_events if e.is_step_failure]
    if failures:
        return step_failure_text(failures[0])
    ends = [e for e in result.all_events if e.event_type == dg.DagsterEventType.RUN_FAILURE]
    return run_failure_text(ends[0] if ends else None)
