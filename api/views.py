"""Status and details of one video, from its request row, its stored objects and its Dagster runs."""

from __future__ import annotations

import json

from api.schemas import RunOut, StatusOut, VideoOut
from api.services import Services
from vidgen_core.adapters.storage import VideoKeys
from vidgen_core.domain.errors import NotFound
from vidgen_core.domain.models import Phase
from vidgen_core.persistence.requests import RequestRecord, Status
from vidgen_core.persistence.takes import TakeDB
from vidgen_core.pipeline.registry import PHASES
from vidgen_core.pipeline.videos import describe, phase_costs
from vidgen_dagster.runs import latest_runs, phase_times, sync, video_runs


def owned_record(found: Services, video_id: str, user_id: str) -> RequestRecord:
    """The caller's video, brought up to date with its run. Someone else's video is as unknown as a missing one."""
    record = found.db.find(video_id)
    if record is None or record.user_id != user_id:
        raise NotFound(f"no video {video_id!r}; check the id returned by POST /api/generate")
    if record.active:
        sync(found.db, found.instance, record, latest_runs(found.instance, [video_id]).get(video_id))
        record = found.db.get(video_id)
    return record


def _spec(found: Services, keys: VideoKeys) -> dict | None:
    try:
        return json.loads(found.store.get_bytes(keys.spec()))
    except NotFound:
        return None


def _animatic(found: Services, keys: VideoKeys, spec: dict | None, base: str) -> list[str]:
    """Links to the storyboard images made so far, in beat order."""
    if spec is None:
        return []
    wanted = [keys.storyboard(beat["index"]) for beat in spec["beats"]]
    if not found.store.exists(PHASES[Phase.STORYBOARD].key(keys)):  # still drawing: only the ones already there
        wanted = [key for key in wanted if found.store.exists(key)]
    return [found.links.url(key, base) for key in wanted]


def _link(found: Services, key: str, base: str) -> str | None:
    return found.links.url(key, base) if found.store.exists(key) else None


def status_of(found: Services, record: RequestRecord, base: str, spec: dict | None = None) -> StatusOut:
    """The status answer; ``spec`` if the caller has already read it."""
    keys = VideoKeys(record.user_id, record.video_id)
    spec = spec or _spec(found, keys)
    return StatusOut(
        video_id=record.video_id,
        title=record.title,
        status=record.status,
        progress=record.progress,
        current_phase=record.current_phase,
        animatic_urls=_animatic(found, keys, spec, base),
        stitched_video_url=_link(found, keys.stitched(), base) if spec else None,
        final_video_url=_link(found, keys.final(), base) if record.status == Status.COMPLETE else None,
        current_chunk_index=record.chunk_index,
        total_chunks=record.total_chunks,
        error=record.error,
        cost_usd=found.ledger.spent(record.video_id),
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


def details_of(found: Services, record: RequestRecord, base: str) -> VideoOut:
    spec = _spec(found, VideoKeys(record.user_id, record.video_id))
    status = status_of(found, record, base, spec)
    runs = video_runs(found.instance, record.video_id)
    state = describe(TakeDB(found.db.url), found.ledger, found.store, record)
    request = record.request
    ended = record.completed_at
    return VideoOut(
        **status.model_dump(exclude={"cost_usd"}),
        cost_usd=state.spent_usd,
        request_id=record.request_id,
        prompt=record.prompt,
        description=record.description,
        model=request.video_model,
        duration_s=request.duration_s,
        aspect_ratio=request.aspect_ratio,
        reference_assets=request.reference_assets,
        planner=request.planner,
        media=request.media,
        spec=spec,
        beats=state.beats,
        list_price_usd=state.list_price_usd,
        estimate_usd=state.estimate_usd,
        max_cost_usd=state.max_cost_usd,
        batch_id=state.batch_id,
        archived_at=state.archived_at,
        ledger=state.ledger,
        cost_by_phase=phase_costs(state.ledger),
        phase_times_s=phase_times(found.instance, runs),
        started_at=record.started_at,
        completed_at=ended,
        generation_time_seconds=round((ended - record.created_at).total_seconds(), 3) if ended else None,
        runs=[RunOut(run_id=r.dagster_run.run_id, status=r.dagster_run.status.value) for r in runs],
    )
