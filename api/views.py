"""A video's status and details as the API answers them: the service's results, with store keys signed into links."""

from __future__ import annotations

from api.links import Links
from api.schemas import DeliverableOut, DeliverablesOut, ReferenceAssetOut, RunOut, StatusOut, VideoOut
from vidgen_core.domain.models import DeliverableKind, Deliverables
from vidgen_core.pipeline.videos import phase_costs
from vidgen_dagster.service import VideoDetails, VideoStatus


def status_out(found: VideoStatus, links: Links, base: str) -> StatusOut:
    record = found.record
    return StatusOut(
        video_id=record.video_id,
        title=record.title,
        status=record.status,
        progress=record.progress,
        current_phase=record.current_phase,
        animatic_urls=[links.url(key, base) for key in found.storyboard_keys],
        stitched_video_url=links.url(found.stitched_key, base) if found.stitched_key else None,
        final_video_url=links.url(found.final_key, base) if found.final_key else None,
        voice_url=links.url(found.voice_key, base) if found.voice_key else None,
        music_mix_url=links.url(found.music_mix_key, base) if found.music_mix_key else None,
        caption_urls={kind: links.url(key, base) for kind, key in found.caption_keys.items()},
        review=found.review,
        preview_url=links.url(found.preview_key, base) if found.preview_key else None,
        current_chunk_index=record.chunk_index,
        total_chunks=record.total_chunks,
        error=record.error,
        cost_usd=found.cost_usd,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


def video_out(found: VideoDetails, links: Links, base: str) -> VideoOut:
    record, state = found.status.record, found.state
    request, ended = record.request, record.completed_at
    return VideoOut(
        **status_out(found.status, links, base).model_dump(exclude={"cost_usd"}),
        cost_usd=state.spent_usd,
        request_id=record.request_id,
        prompt=record.prompt,
        description=record.description,
        model=request.video_model,
        duration_s=request.duration_s,
        aspect_ratio=request.aspect_ratio,
        reference_assets=[ReferenceAssetOut(asset_id=a.asset_id, role=a.role) for a in request.reference_assets],
        planner=request.planner,
        media=request.media,
        spec=found.spec,
        beats=state.beats,
        list_price_usd=state.list_price_usd,
        estimate_usd=state.estimate_usd,
        max_cost_usd=state.max_cost_usd,
        batch_id=state.batch_id,
        archived_at=state.archived_at,
        ledger=state.ledger,
        cost_by_phase=phase_costs(state.ledger),
        phase_times_s=found.phase_times_s,
        started_at=record.started_at,
        completed_at=ended,
        generation_time_seconds=round((ended - record.created_at).total_seconds(), 3) if ended else None,
        runs=[RunOut(run_id=r.run_id, status=r.status) for r in found.runs],
    )


def deliverables_out(video_id: str, made: Deliverables, links: Links, base: str) -> DeliverablesOut:
    files = [f for f in made.files if f.kind is not DeliverableKind.ARCHIVE]
    archive = next((f for f in made.files if f.kind is DeliverableKind.ARCHIVE), None)
    return DeliverablesOut(
        video_id=video_id,
        files=[DeliverableOut(**f.model_dump(exclude={"key"}), url=links.url(f.key, base)) for f in files],
        archive_url=links.url(archive.key, base) if archive else None,
        total_bytes=sum(f.size_bytes for f in files),
    )
