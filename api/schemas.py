"""Request and response bodies of the API (the seed's field names)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from vidgen_core.domain.catalog import (
    LANCZOS,
    LANGUAGES,
    SPEECH_MODELS,
    UPSCALE_MODELS,
    VIDEO_MODELS,
    Platform,
    Resolution,
)
from vidgen_core.domain.models import (
    NO_VOICE,
    AssetRole,
    Captions,
    CaptionStyle,
    DeliverableKind,
    Loudness,
    ReferenceAsset,
)
from vidgen_core.persistence.batches import BATCH_TITLE_MAX_CHARS, BatchVideo
from vidgen_core.persistence.ledger import LedgerRow
from vidgen_core.persistence.requests import ReviewState, Status
from vidgen_core.persistence.takes import VOICE_MAX_CHARS
from vidgen_core.pipeline.videos import BeatState
from vidgen_core.settings import Settings

VideoModelName = StrEnum("VideoModelName", {name: name for name in VIDEO_MODELS})  # type: ignore[misc]
UpscalerName = StrEnum("UpscalerName", {name: name for name in (LANCZOS, *UPSCALE_MODELS)})  # type: ignore[misc]
SpeechModelName = StrEnum("SpeechModelName", {name: name for name in SPEECH_MODELS})  # type: ignore[misc]
Language = StrEnum("Language", {code: code for code in LANGUAGES})  # type: ignore[misc]
LINE_MAX_CHARS = 1000  # far over any beat's word budget: the use case says the budget
_DEFAULTS = Settings.model_fields
ASSET_ID_PATTERN = r"^asset-[0-9a-f]{16}$"  # as uploads.new_asset_id makes them
AssetId = Annotated[str, StringConstraints(pattern=ASSET_ID_PATTERN)]


class ReferenceAssetIn(BaseModel):
    """An uploaded image and what it is for; a bare asset id is a product photo."""

    model_config = ConfigDict(extra="forbid")

    asset_id: AssetId
    role: AssetRole = Field(default=AssetRole.PRODUCT, description="product: the product photo; logo: the logo.")

    @model_validator(mode="before")
    @classmethod
    def _bare_id(cls, value: Any) -> Any:
        return {"asset_id": value} if isinstance(value, str) else value


def _bare_ids_too(schema: dict[str, Any]) -> None:
    """The schema says what the validator takes: an item is an object or a bare asset id."""
    schema["items"] = {"anyOf": [{"type": "string", "pattern": ASSET_ID_PATTERN}, schema["items"]]}


class ReferenceAssetOut(BaseModel):
    asset_id: str
    role: AssetRole


class GenerateIn(BaseModel):
    """What to make. Only ``prompt`` is required; duration and aspect can also be said in the prompt."""

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={
            "examples": [
                {"prompt": "Create a 30-second Nike ad", "aspect_ratio": "16:9"},
                {
                    "prompt": "Create a 15-second ad for Ferngully oat milk",
                    "aspect_ratio": "9:16",
                    "reference_assets": [
                        {"asset_id": "asset-0123456789abcdef", "role": "product"},
                        {"asset_id": "asset-fedcba9876543210", "role": "logo"},
                    ],
                },
            ]
        },
    )

    prompt: str = Field(min_length=1, max_length=_DEFAULTS["max_prompt_chars"].default)
    title: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=_DEFAULTS["max_prompt_chars"].default)
    model: VideoModelName | None = Field(default=None, description="Video model (default: hailuo-02-fast).")
    duration: float | None = Field(
        default=None,
        ge=_DEFAULTS["min_duration_s"].default,
        le=_DEFAULTS["max_duration_s"].default,
        description="Seconds (default: from the prompt, else 30).",
    )
    aspect_ratio: Literal["16:9", "9:16", "1:1", "4:5"] | None = None
    resolution: Resolution | None = Field(default=None, description="The master's size (default: 1080p).")
    loudness: Loudness | None = Field(
        default=None, description="streaming: -14 LUFS, true peak -1 dBTP (default); broadcast: EBU R128 -23 LUFS."
    )
    upscaler: UpscalerName | None = Field(
        default=None, description="lanczos (default, free) or a paid model run on each clip (media replicate only)."
    )
    voice: str | None = Field(
        default=None,
        max_length=VOICE_MAX_CHARS,
        description=f"Who reads the script: a voice of the speech model (default: its own), or '{NO_VOICE}' for no "
        "voiceover (and no captions).",
    )
    speech_model: SpeechModelName | None = Field(
        default=None, description="The speech model (default: the server's; media local imitates it for free)."
    )
    captions: Captions | None = Field(
        default=None,
        description="burned: drawn in the picture, with SRT and WebVTT files (default); sidecar: the files only; "
        "off: none.",
    )
    caption_style: CaptionStyle | None = Field(
        default=None, description="How burned captions look: highlight (default), box or outline."
    )
    language: Language | None = Field(default=None, description="The script's language (default: the prompt's).")
    aspects: list[Literal["16:9", "9:16", "1:1", "4:5"]] = Field(
        default_factory=list,
        max_length=4,
        description="Every aspect to deliver from one plan; the first is the master's (unless aspect_ratio says).",
    )
    reframe: bool = Field(
        default=False, description="Crop the other aspects from the master's clips (free) instead of making them."
    )
    platforms: list[Platform] = Field(
        default_factory=list,
        max_length=len(Platform),
        description="Platform versions: each sets aspect, size, loudness, bitrate, length limits and safe zones.",
    )
    cutdowns: list[int] = Field(
        default_factory=list, max_length=4, description="Shorter versions cut from the same clips, e.g. [15, 6]."
    )
    mezzanine: bool = Field(default=False, description="Also a ProRes 422 HQ master with PCM audio.")
    review: bool = Field(
        default=False,
        description="Stop after the plan, the storyboard and a free preview; POST .../approve makes the clips.",
    )
    reference_assets: list[ReferenceAssetIn] = Field(
        default_factory=list,
        max_length=len(AssetRole),
        description="Images from /api/upload (`asset_ids`), each with its role: at most one product photo (shown "
        "in the storyboard) and one logo (on the end card). A bare id is a product photo.",
        json_schema_extra=_bare_ids_too,
    )
    max_cost_usd: float | None = Field(default=None, ge=0, description="Spending cap (default: the server's).")

    @field_validator("reference_assets")
    @classmethod
    def _one_of_each_role(cls, assets: list[ReferenceAssetIn]) -> list[ReferenceAssetIn]:
        roles = [a.role for a in assets]
        if twice := sorted({role.value for role in roles if roles.count(role) > 1}):
            raise ValueError(
                f"more than one {' and more than one '.join(twice)}; give at most one product photo and one logo "
                "(a bare asset id is a product photo)"
            )
        return assets

    def references(self) -> list[ReferenceAsset]:
        """The reference assets with their roles, as the request keeps them."""
        return [ReferenceAsset(asset_id=a.asset_id, role=a.role) for a in self.reference_assets]


class GenerateOut(BaseModel):
    video_id: str
    request_id: str
    status: Status
    estimate_usd: float = Field(description="What the video is expected to cost with the providers it uses.")
    max_cost_usd: float | None


class RegenerateIn(BaseModel):
    """A new take of one beat: of its picture (optionally with new prompts), or of its voiceover line (``line``
    and/or ``voice``); or ``take`` / ``line_take`` to go back to an earlier one for free."""

    model_config = ConfigDict(extra="forbid")

    prompt: str | None = Field(
        default=None, min_length=1, max_length=2000, description="New image prompt (default: the current take's)."
    )
    motion_prompt: str | None = Field(
        default=None, min_length=1, max_length=2000, description="New motion prompt (default: the current take's)."
    )
    take: int | None = Field(default=None, ge=0, description="An earlier take to make current again.")
    line: str | None = Field(
        default=None,
        max_length=LINE_MAX_CHARS,
        description="A new voiceover line, within the beat's word budget: pays its speech only (default: keep it).",
    )
    voice: str | None = Field(
        default=None,
        max_length=VOICE_MAX_CHARS,
        description="A new voice of the video's speech model for the line (alone: reads the line again).",
    )
    line_take: int | None = Field(default=None, ge=0, description="An earlier take of the line to make current.")
    aspects: list[Literal["16:9", "9:16", "1:1", "4:5"]] | None = Field(
        default=None,
        min_length=1,
        description="The aspects the new picture take is made in (the master's or others'); the other aspects keep "
        "their take of the beat and pay nothing (default: every aspect).",
    )

    @model_validator(mode="after")
    def _take_or_prompts(self) -> RegenerateIn:
        back = [k for k in (self.take, self.line_take) if k is not None]
        asked = (self.prompt, self.motion_prompt, self.line, self.voice, self.aspects)
        if back and (len(back) > 1 or any(a is not None for a in asked)):
            raise ValueError(
                "going back to an earlier take keeps what it was made with; give a take (take or line_take) alone, "
                "or what the new take should have"
            )
        return self


class RegenerateOut(GenerateOut):
    beat: int
    take: int = Field(description="The beat's current picture take.")
    line_take: int = Field(description="The beat's current line take.")


class StatusOut(BaseModel):
    """Where a video is: polled by clients every couple of seconds."""

    video_id: str
    title: str
    status: Status = Field(
        description="queued, running, complete, failed, or 'in review': its preview is made and its clips wait for "
        "POST /api/video/{id}/approve."
    )
    progress: float = Field(ge=0, le=100)
    current_phase: str | None
    animatic_urls: list[str] = Field(description="Storyboard images made so far (links valid for one hour).")
    stitched_video_url: str | None
    final_video_url: str | None
    voice_url: str | None = Field(default=None, description="The voice track as in the final mix (voice.wav).")
    music_mix_url: str | None = Field(
        default=None, description="The music after ducking, at its gain in the final mix (music_mix.wav)."
    )
    caption_urls: dict[str, str] = Field(
        default_factory=dict, description="The caption files by format (srt, vtt), once the final is made."
    )
    review: ReviewState | None = Field(
        default=None, description="'in review' (no clip is paid until POST .../approve) or 'approved'; null: no review."
    )
    preview_url: str | None = Field(default=None, description="The free review preview (mp4), once made.")
    current_chunk_index: int | None
    total_chunks: int | None
    error: str | None
    cost_usd: float | None
    created_at: datetime
    updated_at: datetime


class RunOut(BaseModel):
    run_id: str
    status: str


class VideoOut(StatusOut):
    """Everything about one video: the request, the plan, costs and timings."""

    request_id: str
    prompt: str
    description: str
    model: str
    duration_s: int
    aspect_ratio: str
    reference_assets: list[ReferenceAssetOut]
    planner: str
    media: str
    spec: dict[str, Any] | None = Field(description="The plan (beats, style, music mood) once made.")
    beats: list[BeatState] = Field(description="Each beat: timing, current take, prompts, media keys, its cost.")
    list_price_usd: float | None = Field(description="The video on the real models it names.")
    estimate_usd: float | None = Field(description="The video with the providers it uses.")
    max_cost_usd: float | None
    batch_id: str | None = Field(default=None, description="The batch it came in, if any.")
    archived_at: datetime | None = Field(default=None, description="When it left Dagster's partitions (kept here).")
    ledger: list[LedgerRow] = Field(description="Every provider call, paid, reused or failed, over all runs.")
    cost_by_phase: dict[str, float]
    phase_times_s: dict[str, float]
    started_at: datetime | None
    completed_at: datetime | None
    generation_time_seconds: float | None
    runs: list[RunOut]


class DeliverableOut(BaseModel):
    """One file of a campaign, with what a trafficker needs to know about it and a link valid for one hour."""

    kind: DeliverableKind
    name: str = Field(description="Its file name, as in the zip: nike-air-max_9x16_15s_tiktok.mp4.")
    aspect: str
    platform: Platform | None = None
    length_s: float | None = Field(description="Its running time; null for a still or a caption file.")
    width: int | None = None
    height: int | None = None
    size_bytes: int
    format: str = Field(description="mp4, mov, jpg, srt, vtt, wav or zip.")
    url: str = Field(description="A signed link to the file, valid for one hour.")


class DeliverablesOut(BaseModel):
    """Every file a complete video ships, and the zip of all of them."""

    video_id: str
    files: list[DeliverableOut] = Field(description="Each aspect, cutdown, platform version, poster, caption, stem.")
    archive_url: str | None = Field(description="A signed link to the zip of every file, valid for one hour.")
    total_bytes: int = Field(description="The files' sizes summed (the zip left out).")


class VideoListOut(BaseModel):
    videos: list[StatusOut]
    total: int
    limit: int
    offset: int


class UploadOut(BaseModel):
    asset_ids: list[str]


class HealthOut(BaseModel):
    status: Literal["healthy", "unhealthy"]
    checks: dict[str, str]
    auth: Literal["api_keys", "off"]


class ErrorOut(BaseModel):
    detail: str


class BatchRowIn(BaseModel):
    """One ad of a batch: the fields of /api/generate, checked row by row (a bad row is reported by its index)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    prompt: str = Field(max_length=_DEFAULTS["max_prompt_chars"].default)
    title: str = Field(default="", max_length=200)
    duration: float | None = Field(default=None, description="Seconds (default: from the prompt, else 30).")
    aspect_ratio: Literal["16:9", "9:16", "1:1"] | None = None
    model: VideoModelName | None = Field(default=None, description="Video model (default: hailuo-02-fast).")
    max_cost_usd: float | None = Field(default=None, ge=0, description="This ad's own spending cap.")

    def as_row(self) -> dict[str, Any]:
        """The row as a batch file has it."""
        row = {"prompt": self.prompt, "title": self.title, "duration": self.duration, "aspect": self.aspect_ratio}
        row |= {"model": self.model.value if self.model else None, "max_cost": self.max_cost_usd}
        return {k: v for k, v in row.items() if v not in (None, "")}


class BatchIn(BaseModel):
    """Many ads at once, made by one partition backfill. Limits: rows per batch (VIDGEN_BATCH_MAX_ROWS) and batches
    in flight per user (VIDGEN_BATCH_MAX_ACTIVE_PER_USER); a batch does not count against the one-video limit."""

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={"examples": [{"rows": [{"prompt": "Create a 15-second Nike ad"}], "max_cost_usd": 5}]},
    )

    rows: list[BatchRowIn] = Field(min_length=1, max_length=_DEFAULTS["batch_max_rows"].default)
    title: str = Field(default="", max_length=BATCH_TITLE_MAX_CHARS)
    max_cost_usd: float | None = Field(default=None, ge=0, description="Spending cap for the whole batch.")
    skip_invalid: bool = Field(default=False, description="Store the good rows even if some are bad.")


class BadRowOut(BaseModel):
    index: int = Field(description="The row's index in `rows` (from 0).")
    field: str | None
    error: str


class BatchOut(BaseModel):
    batch_id: str
    videos: list[str] = Field(description="The video ids, in row order (skipped rows left out).")
    estimate_usd: float
    max_cost_usd: float | None
    backfill_id: str | None = Field(description="The Dagster partition backfill making the videos.")
    skipped: list[BadRowOut] = Field(default_factory=list)


class BatchStatusOut(BaseModel):
    batch_id: str
    title: str
    videos: int
    counts: dict[str, int] = Field(description="Videos by status.")
    done: bool = Field(description="Every video has ended (complete or failed).")
    estimate_usd: float
    max_cost_usd: float | None
    spent_usd: float
    backfill_id: str | None
    backfill_status: str
    error: str | None = Field(description="Why the backfill is not launched yet, if it is not.")
    items: list[BatchVideo]
