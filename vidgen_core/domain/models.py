"""Domain models shared by every layer: requests, specs, and the manifests each phase produces."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator

from vidgen_core.domain.catalog import (
    DEFAULT_SPEECH_MODEL,
    LANCZOS,
    Aspect,
    Platform,
    Resolution,
    check_upscaler,
    speech_model,
)
from vidgen_core.domain.errors import VidgenError


class Section(StrEnum):
    OPENING = "opening"
    PRODUCT = "product"
    DYNAMIC = "dynamic"
    CLOSING = "closing"


PRODUCT_SECTIONS = frozenset({Section.PRODUCT, Section.CLOSING})
"""The sections whose beats make the product the hero (a packshot, its detail, it beside the brand): where a model
that takes an input image is given the product photo. Opening and dynamic beats are scenes and action, which a
packshot to start from would flatten."""


class Energy(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Camera(StrEnum):
    """Camera movements the beats ask for; every renderer must honour them."""

    STATIC = "static"
    DOLLY_IN = "dolly_in"
    PUSH_IN = "push_in"
    PAN_LEFT = "pan_left"
    PAN_RIGHT = "pan_right"
    TILT_UP = "tilt_up"
    TILT_DOWN = "tilt_down"
    ORBIT = "orbit"
    TRACKING = "tracking"
    CRANE_UP = "crane_up"


class Phase(StrEnum):
    """The pipeline's phases, each named for its asset: progress, costs, the ledger and the API use these names."""

    VIDEO_SPEC = "video_spec"
    STORYBOARD = "storyboard"
    MUSIC = "music"
    VOICEOVER = "voiceover"
    VIDEO_CHUNKS = "video_chunks"
    STITCHED_VIDEO = "stitched_video"
    FINAL_VIDEO = "final_video"
    PREVIEW = "preview"
    ASPECTS = "aspects"
    DELIVERABLES = "deliverables"


class FrameSource(StrEnum):
    """Where a chunk's first frame comes from: its beat's storyboard image, or the previous chunk's last frame."""

    STORYBOARD = "storyboard"
    PREVIOUS_CHUNK = "previous_chunk"


class Transition(StrEnum):
    """How a beat begins after the one before: a hard cut, a crossfade, or a dip through black."""

    CUT = "cut"
    CROSSFADE = "crossfade"
    DIP_TO_BLACK = "dip_to_black"


class Loudness(StrEnum):
    """Which loudness standard the master meets: streaming and social (-14 LUFS) or broadcast (EBU R128, -23)."""

    STREAMING = "streaming"
    BROADCAST = "broadcast"


class Captions(StrEnum):
    """Where the script's words are shown: burned into the picture (and written as SRT and WebVTT files beside it),
    only as those files, or nowhere."""

    BURNED = "burned"
    SIDECAR = "sidecar"
    OFF = "off"


class CaptionStyle(StrEnum):
    """How burned captions look: each word lit as it is spoken on a box, plain text on a box, or outlined text."""

    HIGHLIGHT = "highlight"
    BOX = "box"
    OUTLINE = "outline"


NO_VOICE = "none"  # the voice that says nothing: no voiceover, no captions


class Narration(BaseModel, frozen=True):
    """Who reads the script and how its words are shown. Applied to the plan after planning, like ``Delivery``: a
    new voice pays for speech only, and captions are free."""

    voice: str = Field(default="", description="A voice of the speech model; '' its default; 'none' no voiceover.")
    speech_model: str = Field(default=DEFAULT_SPEECH_MODEL, description="The catalog speech model (offline: imitated).")
    captions: Captions = Captions.BURNED
    caption_style: CaptionStyle = CaptionStyle.HIGHLIGHT

    @model_validator(mode="after")
    def _known_voice(self) -> Narration:
        try:
            model = speech_model(self.speech_model)
            if self.speaks:
                model.check_voice(self.voice)
        except VidgenError as exc:  # pydantic reports a ValueError as a validation error
            raise ValueError(str(exc)) from None
        return self

    @property
    def speaks(self) -> bool:
        return self.voice != NO_VOICE


class AssetRole(StrEnum):
    """What an uploaded image is for: the product to show, or the logo for the end card."""

    PRODUCT = "product"
    LOGO = "logo"


class ReferenceAsset(BaseModel, frozen=True):
    """An uploaded image a request uses, and its role."""

    asset_id: str
    role: AssetRole = AssetRole.PRODUCT

    @model_validator(mode="before")
    @classmethod
    def _bare_id(cls, value: Any) -> Any:
        """A bare id (requests stored before roles) is a product photo."""
        return {"asset_id": value} if isinstance(value, str) else value


class Delivery(BaseModel, frozen=True):
    """How the master is delivered: its size and loudness. Applied to the plan after planning, so changing it never
    plans again or pays for a plan."""

    resolution: Resolution = Resolution.P1080
    loudness: Loudness = Loudness.STREAMING
    upscaler: str = Field(default=LANCZOS, description="lanczos (no model), or a catalog upscaler run on each clip.")

    @field_validator("upscaler")
    @classmethod
    def _known_upscaler(cls, value: str) -> str:
        try:
            return check_upscaler(value)
        except VidgenError as exc:  # pydantic reports a ValueError as a validation error of this field
            raise ValueError(str(exc)) from None


class Campaign(BaseModel, frozen=True):
    """Every file one brief ships besides its master: more aspects of the same plan (made natively, or reframed from
    the master at no provider cost), cutdowns, platform versions and a ProRes mezzanine. Applied after planning: the
    plan is one for all of them."""

    aspects: tuple[Aspect, ...] = Field(
        default=(), description="Aspects delivered besides the master's (the request's aspect_ratio)."
    )
    reframe: bool = Field(
        default=False, description="Crop the other aspects from the master's clips (no provider cost)."
    )
    platforms: tuple[Platform, ...] = Field(default=(), description="Platform versions (their presets: platforms.py).")
    cutdowns: tuple[int, ...] = Field(default=(), description="Shorter versions cut from the same clips, in seconds.")
    mezzanine: bool = Field(default=False, description="A ProRes 422 HQ master with PCM audio besides the mp4.")

    @property
    def asked(self) -> bool:
        return bool(self.aspects or self.platforms or self.cutdowns or self.mezzanine)


class CostLine(BaseModel, frozen=True):
    """One priced unit of work: what was bought, from whom, how much, for how many dollars."""

    phase: Phase
    provider: str
    model: str
    item: str
    quantity: float
    unit: str
    usd: float


def total_usd(lines: list[CostLine]) -> float:
    """Sum of a list of cost lines, rounded to a hundredth of a cent."""
    return round(float(sum(line.usd for line in lines)), 4)


USER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"  # a storage prefix: no slashes, no dots first


STORED = "stored"  # the validation context key of a record read back from the database


def stored_cap(value: Any, info: ValidationInfo) -> Any:
    """A spending cap read back as inf was stored, before caps had to be finite, from 1e309 meaning "no cap": it is
    read as None (a record read with context {STORED: True}). A new infinite cap is still refused."""
    stored = bool(info.context and info.context.get(STORED))
    return None if stored and isinstance(value, float) and not math.isfinite(value) else value


class GenerationRequest(BaseModel):
    """What a user asked for, with duration and aspect already resolved (from flags or the prompt)."""

    video_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{2,62}$")
    request_id: str = Field(default="", pattern=r"^(req-[a-z0-9]{12,32})?$")
    user_id: str = Field(pattern=USER_ID_PATTERN)
    prompt: str
    title: str = ""
    description: str = ""
    reference_assets: list[ReferenceAsset] = Field(
        default_factory=list, description="Images the user uploaded, each with its role (product photo, logo)."
    )
    delivery: Delivery = Field(default_factory=Delivery)
    narration: Narration = Field(default_factory=Narration)
    campaign: Campaign = Field(default_factory=Campaign)
    review: bool = Field(default=False, description="Stop after the plan, storyboard and free preview until approved.")
    language: str | None = Field(
        default=None, description="The script's language (ISO 639-1, e.g. 'en'); None: the prompt's own."
    )
    duration_s: int
    aspect_ratio: Aspect
    video_model: str
    image_model: str
    music_model: str
    planner: Literal["local", "openai"] = "local"
    media: Literal["local", "replicate"] = "local"
    max_cost_usd: float | None = Field(
        default=None, ge=0, allow_inf_nan=False, description="Spending cap for this video; None: no cap."
    )
    batch_id: str | None = Field(default=None, description="The batch the video came in, if any.")
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    @field_validator("max_cost_usd", mode="before")
    @classmethod
    def _stored_infinity(cls, value: Any, info: ValidationInfo) -> Any:
        return stored_cap(value, info)

    def plan_inputs(self) -> dict[str, object]:
        """What the plan depends on (not when or under which request id it was asked, its budget, batch, delivery or
        uploaded images: those are applied to the plan after planning, so adding a logo never plans again)."""
        excluded = {"request_id", "created_at", "max_cost_usd", "batch_id", "delivery", "narration", "reference_assets"}
        excluded |= {"campaign", "review"}
        if self.language is None:  # the prompt's own, as every request before the field had it: stored plans keep keys
            excluded.add("language")
        dumped = self.model_dump(mode="json", exclude=excluded)
        return dumped | {"reference_assets": []}  # as every request without images had it: stored plans keep keys

    def asset(self, role: AssetRole) -> str | None:
        """The id of the uploaded image with this role, if any (the first one)."""
        return next((a.asset_id for a in self.reference_assets if a.role == role), None)


class Take(BaseModel):
    """One version of a beat. Take 0 is the plan's; each regeneration adds one, optionally with new prompts."""

    beat_index: int = Field(ge=0)
    take: int = Field(ge=0)
    image_prompt: str | None = None
    motion_prompt: str | None = None
    line: str | None = Field(default=None, description="A line take's voiceover line; None: the current one.")
    voice: str | None = Field(default=None, description="A line take's voice; None: the video's.")
    aspects: tuple[Aspect, ...] | None = Field(
        default=None, description="A picture take's aspects (the master's or others'); None: every aspect."
    )
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    def applies_to(self, aspect: Aspect) -> bool:
        return self.aspects is None or aspect in self.aspects


class SpecBeat(BaseModel):
    """One beat of the ad, placed on the timeline."""

    index: int = Field(ge=0)
    beat_id: str
    name: str
    section: Section
    start_s: int = Field(ge=0)
    duration_s: int = Field(gt=0)
    shot_type: str
    camera: Camera
    energy: Energy
    image_prompt: str
    motion_prompt: str
    take: int = Field(default=0, ge=0, description="Which take of this beat the spec asks for.")
    transition: Transition = Field(
        default=Transition.CUT, description="How this beat begins after the one before (beat 0 fades in from black)."
    )
    line: str = Field(default="", description="The voiceover line spoken in this beat; '' lets the music speak.")
    on_screen: str = Field(default="", description="The beat's on-screen copy (a headline); '' shows none.")
    line_take: int = Field(default=0, ge=0, description="Which take of this beat's line the spec asks for.")
    voice: str | None = Field(default=None, description="This beat's voice, from a line take; None: the video's.")

    @property
    def end_s(self) -> int:
        return self.start_s + self.duration_s


def product_name(brand: str, product: str) -> str:
    """Brand and product as one name, as prompts say it ("Ferngully organic oat milk"); '' when both are empty."""
    return " ".join(part for part in (brand.strip(), product.strip()) if part)


PLAN_VERSION = 1  # 1: long beats re-anchor, a model's chained clips are colour-matched, the music's tempo is fitted


class VideoSpec(BaseModel):
    """The plan for one video: what to show, how it sounds, and which models make it."""

    video_id: str
    user_id: str
    prompt: str
    title: str
    brand: str = ""  # who makes it ("Ferngully"); "" when the prompt names none (and in specs stored before brands)
    product: str  # what is advertised ("organic oat milk"); "" when only a brand is named
    category: str
    style: str
    music_mood: str
    archetype: str
    duration_s: int
    aspect_ratio: Aspect
    video_model: str
    image_model: str
    music_model: str
    seed: int
    beats: list[SpecBeat] = Field(min_length=1)
    plan_notes: list[str] = Field(
        default_factory=list, description="Repairs the planner made to the plan, and its warnings (no product named)."
    )
    call_to_action: str = Field(default="", description="The end card's line, e.g. 'Shop now'; '' in older specs.")
    delivery: Delivery = Field(default_factory=Delivery, description="The request's, applied after planning.")
    product_image: str | None = Field(default=None, description="Store key of the uploaded product photo, if any.")
    logo: str | None = Field(default=None, description="Store key of the uploaded logo, if any.")
    language: str = Field(default="en", description="The script's language (ISO 639-1).")
    narration: Narration = Field(default_factory=Narration, description="The request's, applied after planning.")
    campaign: Campaign = Field(default_factory=Campaign, description="The request's, applied after planning.")
    variant: str = Field(
        default="",
        description="Which deliverable of the plan this spec renders ('' the master; '9x16', '16x9-15s', ...): its "
        "files are kept under deliverables/{variant}/.",
    )
    aspect_takes: list[Take] = Field(
        default_factory=list,
        description="Takes of beats another aspect of the campaign has instead of the master's (a take made for "
        "some aspects only), each naming its aspect and its prompts in full; none: every aspect has the master's.",
    )
    plan_version: int = Field(
        default=0,
        description="The rules the plan's paid media follow. Plans stored before PLAN_VERSION read 0 and keep their "
        "calls (no re-anchoring, no colour matching, music without a fitted tempo), so a re-run never pays again.",
    )

    @property
    def name(self) -> str:
        return product_name(self.brand, self.product)

    @property
    def old_plan(self) -> bool:
        """A plan stored before PLAN_VERSION 1: its paid media are remade by the rules they were made by."""
        return self.plan_version < 1

    def voice_of(self, beat: SpecBeat) -> str:
        """The voice that reads a beat: its line take's, else the video's ('' the model's default)."""
        return beat.voice or self.narration.voice

    def with_takes(self, takes: Sequence[Take], line_takes: Sequence[Take] = ()) -> VideoSpec:
        """This plan with each beat's current take in its aspect (and its prompts, where the take gave new ones) and
        current line take (its line and voice, where it gave them). ``takes`` are oldest selected first: a beat's
        take in an aspect is the last that applies to it. Where another aspect of the campaign has another take of a
        beat, that take (its prompts resolved) is kept in ``aspect_takes`` for ``aspects.aspect_spec``."""
        spoken = {t.beat_index: t for t in line_takes}
        beats = []
        for beat in self.beats:
            if (said := spoken.get(beat.index)) is not None:
                beat = beat.model_copy(
                    update={"line_take": said.take, "line": said.line or beat.line, "voice": said.voice or beat.voice}
                )
            beats.append(beat)
        others: list[Take] = []
        for aspect in (a for a in self.campaign.aspects if a != self.aspect_ratio):
            for beat in beats:
                theirs, ours = _take_in(takes, beat.index, aspect), _take_in(takes, beat.index, self.aspect_ratio)
                if theirs != ours:
                    others.append(_resolved(theirs or Take(beat_index=beat.index, take=0), beat, aspect))
        mine = [
            beat if (ours := _take_in(takes, beat.index, self.aspect_ratio)) is None else _taken(beat, ours)
            for beat in beats
        ]
        return self.model_copy(update={"beats": mine, "aspect_takes": others})

    @model_validator(mode="after")
    def _timeline_is_exact(self) -> VideoSpec:
        start = 0
        for i, beat in enumerate(self.beats):
            if beat.index != i or beat.start_s != start:
                raise ValueError(f"beat {i} must start at {start}s with index {i}")
            start += beat.duration_s
        if start != self.duration_s:
            raise ValueError(f"beats sum to {start}s but the video is {self.duration_s}s")
        return self


def _take_in(takes: Sequence[Take], beat: int, aspect: Aspect) -> Take | None:
    """A beat's current take in an aspect: the last selected that applies to it (None: the beat's as planned)."""
    return next((t for t in reversed(takes) if t.beat_index == beat and t.applies_to(aspect)), None)


def _taken(beat: SpecBeat, take: Take) -> SpecBeat:
    """The beat as ``take`` makes it: its number, and the prompts it gave (else the plan's)."""
    update = {"take": take.take, "image_prompt": take.image_prompt or beat.image_prompt}
    return beat.model_copy(update=update | {"motion_prompt": take.motion_prompt or beat.motion_prompt})


def _resolved(take: Take, beat: SpecBeat, aspect: Aspect) -> Take:
    """``take`` of ``beat`` for one aspect, its prompts filled from the plan where it gave none."""
    made = _taken(beat, take)
    return take.model_copy(
        update={"aspects": (aspect,), "image_prompt": made.image_prompt, "motion_prompt": made.motion_prompt}
    )


class ChunkPlan(BaseModel, frozen=True):
    """One image-to-video call: which beat, how long a clip, and where its first frame comes from."""

    index: int
    beat_index: int
    part: int = Field(ge=0, description="Position of this chunk within its beat (0 starts from the storyboard).")
    clip_s: int
    use_s: float = Field(description="Seconds of this clip kept in the stitched video.")
    source: FrameSource

    @field_validator("use_s")
    @classmethod
    def _positive(cls, v: float) -> float:
        if v <= 0:
            raise ValueError("a chunk must contribute some footage")
        return v


class StoryboardImage(BaseModel):
    beat_index: int
    take: int = 0
    key: str
    cache_key: str = ""
    width: int
    height: int
    prompt: str
    reused: bool = False
    costs: list[CostLine] = Field(
        default_factory=list, description="What this output cost in this run (none if reused)."
    )

    @property
    def cost_usd(self) -> float:
        return total_usd(self.costs)


class Storyboard(BaseModel):
    """Manifest of the storyboard phase: one image per beat."""

    images: list[StoryboardImage]
    costs: list[CostLine] = []


class Chunk(BaseModel):
    plan: ChunkPlan
    take: int = 0
    key: str
    cache_key: str = ""
    last_frame_key: str
    first_frame_key: str
    duration_s: float
    width: int
    height: int
    fps: float
    has_audio: bool
    reused: bool = False
    costs: list[CostLine] = Field(
        default_factory=list, description="What this output cost in this run (none if reused)."
    )
    upscaled_by: str | None = Field(
        default=None, description="The model upscaler ``key`` went through; ``last_frame_key`` is the video model's."
    )

    @property
    def cost_usd(self) -> float:
        return total_usd(self.costs)


class ChunkSet(BaseModel):
    """Manifest of the chunk phase: every generated clip, in timeline order."""

    chunks: list[Chunk]
    costs: list[CostLine] = []


class MusicTrack(BaseModel):
    """Manifest of the music phase. ``key`` is None when the video model brings its own audio."""

    key: str | None
    duration_s: float
    mood: str
    skipped: bool = False
    reason: str = ""
    cache_key: str = ""
    reused: bool = False
    costs: list[CostLine] = []
    bpm: float | None = Field(
        default=None, description="Tempo fitted to the cut (beat boundaries on its grid); None without music."
    )


class WordTime(BaseModel, frozen=True):
    """One spoken word on the video's timeline (seconds from the video's start)."""

    word: str
    start_s: float
    end_s: float


class SpokenLine(BaseModel):
    """One beat's line as spoken: where it sits on the timeline, how much it was stretched, and its words' times."""

    beat_index: int
    take: int = Field(default=0, description="The line take it speaks.")
    text: str
    voice: str
    model: str
    key: str = Field(description="The line's audio as the engine made it (before placement and stretch).")
    cache_key: str = ""
    start_s: float = Field(description="Where the line starts on the timeline.")
    end_s: float = Field(description="Where it ends, after any stretch.")
    speech_s: float = Field(description="Its length as the engine spoke it.")
    stretch: float = Field(
        default=1.0, description="Played length over spoken length (under 1: sped up, at least MIN_STRETCH)."
    )
    words: list[WordTime] = Field(default_factory=list)
    timed_by: str = Field(default="", description="'engine' (its alignment) or 'envelope' (estimated, then checked).")
    spoken_by: str | None = Field(
        default=None,
        description="What actually read it where that is not ``voice`` (offline: 'Piper en_US-joe-medium (offline)'); "
        "None: the voice asked for, or a line spoken before this was kept.",
    )
    reused: bool = False
    costs: list[CostLine] = Field(default_factory=list)

    @property
    def cost_usd(self) -> float:
        return total_usd(self.costs)


class Voiceover(BaseModel):
    """Manifest of the voiceover phase: every beat's spoken line, in beat order; none when the video has no voice."""

    lines: list[SpokenLine] = Field(default_factory=list)
    language: str = "en"
    skipped: bool = False
    reason: str = ""
    costs: list[CostLine] = []


class RenderedVideo(BaseModel):
    """Manifest of a stitched or final video. The loudness fields are measured on the final's encoded file
    (``ebur128=peak=true``); a check compares them with ``LOUDNESS_TARGETS[loudness_standard]`` (domain.sound)."""

    key: str
    duration_s: float
    width: int
    height: int
    fps: float
    has_audio: bool
    size_bytes: int
    mode: str = ""
    loudness_lufs: float | None = Field(default=None, description="Integrated loudness (LUFS) of the final.")
    loudness_standard: Loudness | None = Field(default=None, description="The standard the final was mastered to.")
    true_peak_dbtp: float | None = Field(default=None, description="True peak (dBTP) of the encoded audio.")
    max_short_term_lufs: float | None = Field(default=None, description="Loudest 3 s window (LUFS; R128 s1).")
    max_momentary_lufs: float | None = Field(default=None, description="Loudest 400 ms window (LUFS).")
    loudness_range_lu: float | None = Field(default=None, description="Loudness range, LRA (LU).")
    loudness_attempts: int = Field(
        default=0, description="Encodes it took to meet the standard on the encoded file (1: first time; 0: none)."
    )
    voice_key: str | None = Field(default=None, description="The whole voice track as in the final mix (voice.wav).")
    music_mix_key: str | None = Field(
        default=None, description="The music after ducking, at its gain in the final mix (music_mix.wav)."
    )
    captions: dict[str, str] = Field(
        default_factory=dict, description="Caption files by format (srt, vtt, ass): their store keys."
    )
    captions_burned: bool = False
    made_from: str = Field(
        default="", description="What the cut was made from (a hash of its clips, plan and encoder): equal, it is kept."
    )
    costs: list[CostLine] = []


class Animatic(BaseModel):
    """Manifest of the review preview: the storyboard on the plan's timeline, rendered here for free."""

    key: str
    duration_s: float
    width: int
    height: int
    fps: int
    frames: int = Field(description="Frames in the file, as the container counts them.")
    size_bytes: int
    has_audio: bool
    render_s: float = Field(description="Wall time of the render (music, end card, headlines and the encode).")
    takes: dict[str, int] = Field(default_factory=dict, description="Each beat's take that the preview shows.")
    costs: list[CostLine] = []


class AspectMode(StrEnum):
    """How an aspect's picture was made: the master's own, made natively (its own images and clips, paid), or
    cropped from the master's clips following the product (free)."""

    MASTER = "master"
    NATIVE = "native"
    REFRAMED = "reframed"


class AspectCut(BaseModel):
    """One aspect of the plan, rendered: its images and clips (native), or the master's reframed, cut and mixed with
    the video's one voice and music."""

    aspect: Aspect
    variant: str = Field(description="Where its files are kept: deliverables/{variant}/ ('' the master).")
    mode: AspectMode
    storyboard: Storyboard | None = None
    chunks: ChunkSet
    stitched: RenderedVideo
    final: RenderedVideo
    costs: list[CostLine] = []


class AspectSet(BaseModel):
    """Every aspect besides the master's."""

    cuts: list[AspectCut] = Field(default_factory=list)
    costs: list[CostLine] = []


class DeliverableKind(StrEnum):
    VIDEO = "video"  # a full-length mp4 of one aspect (for a platform, if named)
    CUTDOWN = "cutdown"  # a shorter version cut from the same clips
    POSTER = "poster"  # a JPEG still of the hero beat with the title
    MEZZANINE = "mezzanine"  # ProRes 422 HQ with PCM audio
    CAPTIONS = "captions"  # SRT / WebVTT
    STEM = "stem"  # the voice or the ducked music as in the mix
    ARCHIVE = "archive"  # all of the above in one zip


class Deliverable(BaseModel):
    """One file a campaign ships, with what a trafficker needs to know about it."""

    kind: DeliverableKind
    name: str = Field(description="Its file name in the zip and in `vidgen deliverables --out`.")
    key: str
    aspect: Aspect
    platform: Platform | None = None
    length_s: float | None = Field(default=None, description="Its running time; None for a still or a text file.")
    width: int | None = None
    height: int | None = None
    size_bytes: int
    format: str = Field(description="mp4, mov, jpg, srt, vtt, wav or zip.")


class Deliverables(BaseModel):
    """Every file of the brief: made here from what was already paid for, never calling a provider."""

    files: list[Deliverable] = Field(default_factory=list)
    costs: list[CostLine] = []
