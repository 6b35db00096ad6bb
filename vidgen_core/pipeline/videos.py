"""A video as its owner sees it: each beat (timing, current take, prompts, script, media keys, cost), what was spent
against the budget, and every ledger row. Read by `vidgen show` and `GET /api/video/{id}`."""

from __future__ import annotations

import json
from datetime import datetime

from pydantic import BaseModel, Field

from vidgen_core.adapters.storage import BlobStore, VideoKeys
from vidgen_core.domain.catalog import speech_model, video_model
from vidgen_core.domain.chunking import plan_chunks
from vidgen_core.domain.costs import estimate, list_price
from vidgen_core.domain.errors import NotFound
from vidgen_core.domain.models import NO_VOICE, Camera, Phase, SpecBeat, Transition, VideoSpec, Voiceover
from vidgen_core.persistence.ledger import BILLED, Ledger, LedgerRow
from vidgen_core.persistence.requests import RequestRecord, ReviewState, Status
from vidgen_core.persistence.takes import LineTakeDB, TakeDB
from vidgen_core.pipeline.registry import PHASES


class BeatState(BaseModel):
    index: int
    beat_id: str
    name: str
    shot_type: str
    camera: Camera
    transition: Transition = Field(default=Transition.CUT, description="How the beat begins after the one before.")
    start_s: int
    duration_s: int
    take: int
    takes: list[int]
    image_prompt: str
    motion_prompt: str
    image_key: str | None
    clip_keys: list[str]
    cost_usd: float
    line: str = Field(default="", description="The voiceover line spoken in the beat ('' none).")
    on_screen: str = Field(default="", description="The beat's on-screen copy ('' none).")
    voice: str = Field(default=NO_VOICE, description="The voice that reads the line ('none': the video is unvoiced).")
    spoken_by: str | None = Field(
        default=None,
        description="What actually read the current line where that is not the voice (offline: 'Piper "
        "en_US-joe-medium (offline)'); None: the voice, or not spoken yet.",
    )
    line_take: int = Field(default=0, description="The line's current take (0: the plan's).")
    line_takes: list[int] = Field(default_factory=lambda: [0], description="Every take of the line.")


class VideoState(BaseModel):
    video_id: str
    user_id: str
    status: str
    beats: list[BeatState]
    spent_usd: float
    list_price_usd: float | None
    estimate_usd: float | None
    max_cost_usd: float | None
    batch_id: str | None = None
    archived_at: datetime | None = Field(default=None, description="When it left Dagster's partitions (kept here).")
    final_video: str | None = Field(
        default=None, description="Where the delivered video is: its file on local storage, its s3:// URI on S3."
    )
    plan_notes: list[str] = Field(
        default_factory=list, description="What the planner repaired in the plan, and its warnings (VideoSpec)."
    )
    review: ReviewState | None = Field(default=None, description="In review or approved (None: made without review).")
    preview_video: str | None = Field(default=None, description="Where the review preview is, once made.")
    ledger: list[LedgerRow]


def stored_spec(store: BlobStore, record: RequestRecord) -> VideoSpec | None:
    """The spec the latest run planned, if any."""
    try:
        return VideoSpec.model_validate(json.loads(store.get_bytes(VideoKeys(record.user_id, record.video_id).spec())))
    except NotFound:
        return None


def voice_reading(spec: VideoSpec, beat: SpecBeat) -> str:
    """The voice that reads a beat's line, by name ('none' when the video is unvoiced)."""
    if not spec.narration.speaks:
        return NO_VOICE
    return spec.voice_of(beat) or speech_model(spec.narration.speech_model).default_voice


def readers(store: BlobStore, keys: VideoKeys, spec: VideoSpec) -> dict[int, str]:
    """Each beat's line's actual reader, where the stored voiceover spoke the beat's current line, take and voice
    and kept who read it."""
    try:
        said = Voiceover.model_validate_json(store.get_bytes(PHASES[Phase.VOICEOVER].key(keys)))
    except NotFound:
        return {}
    beats = {beat.index: beat for beat in spec.beats}
    return {
        s.beat_index: s.spoken_by
        for s in said.lines
        if s.spoken_by and (beat := beats.get(s.beat_index)) is not None
        if (s.take, s.text, s.voice) == (beat.line_take, beat.line.strip(), voice_reading(spec, beat))
    }


def describe(
    takes: TakeDB, line_takes: LineTakeDB, ledger: Ledger, store: BlobStore, record: RequestRecord
) -> VideoState:
    """The video's beats, takes, script, media keys and costs, from its spec, takes tables, store and ledger."""
    spec = stored_spec(store, record)
    rows = ledger.rows(record.video_id)
    keys = VideoKeys(record.user_id, record.video_id)
    final = record.status == Status.COMPLETE and store.exists(keys.final())
    beats: list[BeatState] = []
    if spec is not None:
        spec = spec.with_takes(takes.current(record.video_id), line_takes.current(record.video_id))
        plans = plan_chunks(spec, video_model(spec.video_model).clip_durations_s)
        every_take, every_line = takes.all(record.video_id), line_takes.all(record.video_id)
        read_by = readers(store, keys, spec)
        for beat in spec.beats:
            paid = [r.actual_usd for r in rows if r.beat_index == beat.index and r.state in BILLED]
            image = keys.storyboard(beat.index)
            beats.append(
                BeatState(
                    index=beat.index,
                    beat_id=beat.beat_id,
                    name=beat.name,
                    shot_type=beat.shot_type,
                    camera=beat.camera,
                    transition=beat.transition,
                    start_s=beat.start_s,
                    duration_s=beat.duration_s,
                    take=beat.take,
                    takes=sorted({0, *(t.take for t in every_take if t.beat_index == beat.index)}),
                    image_prompt=beat.image_prompt,
                    motion_prompt=beat.motion_prompt,
                    image_key=image if store.exists(image) else None,
                    clip_keys=[keys.chunk(p.index) for p in plans if p.beat_index == beat.index],
                    cost_usd=round(sum(paid), 6),
                    line=beat.line,
                    on_screen=beat.on_screen,
                    voice=voice_reading(spec, beat),
                    spoken_by=read_by.get(beat.index),
                    line_take=beat.line_take,
                    line_takes=sorted({0, *(t.take for t in every_line if t.beat_index == beat.index)}),
                )
            )
    return VideoState(
        video_id=record.video_id,
        user_id=record.user_id,
        status=record.status,
        beats=beats,
        spent_usd=ledger.spent(record.video_id),
        list_price_usd=round(sum(list_price(spec).values()), 4) if spec else None,
        estimate_usd=round(sum(estimate(spec, record.request).values()), 4) if spec else None,
        max_cost_usd=record.request.max_cost_usd,
        batch_id=record.batch_id,
        archived_at=record.archived_at,
        final_video=store.location(keys.final()) if final else None,
        plan_notes=spec.plan_notes if spec else [],
        review=record.review,
        preview_video=store.location(keys.animatic()) if record.review and store.exists(keys.animatic()) else None,
        ledger=rows,
    )


def phase_costs(rows: list[LedgerRow]) -> dict[str, float]:
    """What each phase has really cost, over all runs."""
    totals = {str(p): 0.0 for p in Phase}
    for row in rows:
        if row.state in BILLED:
            totals[str(row.phase)] = round(totals[str(row.phase)] + row.actual_usd, 6)
    return totals
