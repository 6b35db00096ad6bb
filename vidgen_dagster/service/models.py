"""What the use cases take and give: drafts as users ask for them, typed results the CLI prints and the API
serializes, and the errors only the use cases raise."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from vidgen_core.domain.errors import InvalidRequest
from vidgen_core.domain.models import AssetRole, ReferenceAsset
from vidgen_core.persistence.batches import BatchRecord
from vidgen_core.persistence.requests import RequestRecord, ReviewState, Status
from vidgen_core.pipeline.batches import BadRow
from vidgen_core.pipeline.videos import VideoState


class Via(StrEnum):
    """Who asks. The CLI runs the video in its own process; the API queues it for the request sensor, within the
    user's limits (one video in progress, batches in flight) and withdraws a batch it cannot launch."""

    CLI = "cli"
    API = "api"


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) outside a run's steps, naming the video the user can resume."""

    def __init__(self, video_id: str) -> None:
        super().__init__(video_id)
        self.video_id = video_id


class BadRows(InvalidRequest):
    """Rows of a batch that cannot become videos; nothing of the batch was stored."""

    def __init__(self, bad: list[BadRow], skip_invalid: bool) -> None:
        self.bad, self.skip_invalid = bad, skip_invalid
        super().__init__(f"{len(bad)} bad row(s); nothing was stored", "rows")


@dataclass(frozen=True)
class Draft:
    """What a user asks for, before it is checked (flags or a request body)."""

    prompt: str
    duration_s: float | None = None
    aspect: str | None = None
    model: str | None = None
    user_id: str | None = None
    title: str = ""
    description: str = ""
    reference_assets: list[ReferenceAsset] = field(default_factory=list)
    planner: str | None = None
    media: str | None = None
    max_cost_usd: float | None = None
    resolution: str | None = None
    loudness: str | None = None
    upscaler: str | None = None
    voice: str | None = None
    speech_model: str | None = None
    captions: str | None = None
    caption_style: str | None = None
    language: str | None = None
    aspects: list[str] = field(default_factory=list)  # besides or including the master's; the first is the master
    platforms: list[str] = field(default_factory=list)
    reframe: bool = False
    cutdowns: list[float] = field(default_factory=list)
    mezzanine: bool = False
    review: bool = False
    files: dict[AssetRole, Path] = field(default_factory=dict)  # images to upload first (the CLI's flags), by role


@dataclass(frozen=True)
class BatchDraft:
    """A batch as asked for: its rows (line or index, columns) and what applies to all of them."""

    rows: list[tuple[int, dict[str, Any]]]
    owner: str | None = None  # the API's caller owns every row; else a row's user column, then default_user
    default_user: str | None = None
    planner: str | None = None
    media: str | None = None
    title: str | None = None  # default: "N ads"
    max_cost_usd: float | None = None
    skip_invalid: bool = False


class RunSummary(BaseModel):
    """What a run made and spent (`vidgen generate/regenerate/resume --json`). The media fields are set when it
    succeeded, ``error`` when it did not; ``estimate_usd`` (generate) and ``beat``/``take``/``line_take``
    (regenerate) by the use case that asked for the run. Fields never set are left out of the JSON."""

    video_id: str
    user_id: str
    run_id: str
    status: str  # complete | in review (a review run: its preview made) | failed
    cost_usd: float
    paid_calls: int
    reused_calls: int
    video_cost_usd: float
    max_cost_usd: float | None
    list_price_usd: float
    wall_time_s: float
    media_time_s: float
    phases: dict[str, dict[str, int | float]]
    plan_notes: list[str]
    error: str | None = None
    final_video: str | None = None
    duration_s: float | None = None
    width: int | None = None
    height: int | None = None
    size_bytes: int | None = None
    loudness_lufs: float | None = None
    beats: int | None = None
    takes: dict[str, int] | None = None
    chunks: int | None = None
    lines: int | None = None  # voiceover lines spoken
    storyboard: list[str] | None = None
    review: ReviewState | None = None  # in review (the run made the preview, no clip) or approved
    preview_video: str | None = None  # the review run's preview
    estimate_usd: float | None = None
    beat: int | None = None
    take: int | None = None
    line_take: int | None = None

    @property
    def complete(self) -> bool:
        return self.status == Status.COMPLETE

    @property
    def in_review(self) -> bool:
        """A review run that made its preview: the video waits for its approval, not finished."""
        return self.status == Status.IN_REVIEW

    def as_json(self) -> str:
        return self.model_dump_json(indent=2, exclude_unset=True)


class Estimate(BaseModel):
    estimate_usd: float
    by_phase: dict[str, float]
    by_aspect: dict[str, float] = Field(
        default_factory=dict, description="Images and clips per aspect (the plan, voice and music are made once)."
    )
    max_cost_usd: float | None
    over_budget: bool
    refusal: str | None = Field(default=None, exclude=True)  # why submitting it would be refused


class Queued(BaseModel):
    """A video asked for: queued for the sensor (API), or with the run this process made (CLI)."""

    video_id: str
    request_id: str
    status: Status
    estimate_usd: float
    max_cost_usd: float | None
    planner: str
    media: str
    run: RunSummary | None = None


class Retake(Queued):
    """A regenerated beat, with its current picture take and line take."""

    beat: int
    take: int
    line_take: int


class AlreadyComplete(BaseModel):
    video_id: str
    status: Status
    paid_calls: int = 0
    message: str


class VideoStatus(BaseModel):
    """Where a video is; media as store keys (the API signs them into links)."""

    record: RequestRecord
    cost_usd: float
    storyboard_keys: list[str]  # the images made so far, in beat order
    stitched_key: str | None
    final_key: str | None
    voice_key: str | None = None  # the final's stems and caption files, as its manifest names them
    music_mix_key: str | None = None
    caption_keys: dict[str, str] = Field(default_factory=dict)
    review: ReviewState | None = None  # in review, or approved (None: made without review)
    preview_key: str | None = None  # the review preview, once made


class VideoPage(BaseModel):
    user_id: str
    videos: list[VideoStatus]
    total: int
    limit: int
    offset: int


class RunLine(BaseModel):
    run_id: str
    status: str


class VideoDetails(BaseModel):
    status: VideoStatus
    spec: dict[str, Any] | None
    state: VideoState
    runs: list[RunLine]
    phase_times_s: dict[str, float]


class BatchMade(BaseModel):
    batch: BatchRecord
    videos: list[str]
    skipped: list[BadRow]
