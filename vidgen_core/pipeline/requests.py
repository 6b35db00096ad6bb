"""Turning raw user input into a validated generation request."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import TypeVar

from pydantic import ValidationError

from vidgen_core.domain.catalog import (
    LANCZOS,
    Aspect,
    Platform,
    Resolution,
    VideoModel,
    check_aspect,
    check_language,
    check_upscaler,
    image_model,
    llm_model,
    music_model,
    speech_model,
    video_model,
)
from vidgen_core.domain.costs import check_request_budget
from vidgen_core.domain.errors import InvalidRequest
from vidgen_core.domain.models import (
    NO_VOICE,
    Campaign,
    Captions,
    CaptionStyle,
    Delivery,
    GenerationRequest,
    Loudness,
    Narration,
    ReferenceAsset,
)
from vidgen_core.domain.platforms import PLATFORMS
from vidgen_core.domain.prompt import find_aspect, find_duration, read_prompt, readable, sanitize
from vidgen_core.settings import Settings

PLANNERS = ("local", "openai")
MEDIA = ("local", "replicate")
T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)


OPENAI_READS_ANY = "or plan with OpenAI, which reads any language (--planner openai, or VIDGEN_PLANNER=openai)"
NO_PRODUCT = (
    "the prompt names no product or brand the offline planner can read; name one, e.g. "
    '"a 15-second ad for Ferngully organic oat milk" (it reads English, German, French, Spanish and Chinese), '
    + OPENAI_READS_ANY
)
UNREADABLE = (
    "the offline planner reads prompts in English, German, French, Spanish and Chinese, and this one is written in "
    "another script; write it in one of those, " + OPENAI_READS_ANY
)


def new_video_id() -> str:
    """A fresh partition-safe video id ([a-z0-9-] only)."""
    return f"vid-{uuid.uuid4().hex[:12]}"


def _about(field: str, check: Callable[[str], T], value: str) -> T:
    """Run a catalog check, naming the input it was about if it fails."""
    try:
        return check(value)
    except InvalidRequest as exc:
        raise InvalidRequest(str(exc), field) from None


def _choice(field: str, kind: type[E], value: str) -> E:
    """One of an enum's values, or an error naming the field and the values it takes."""
    try:
        return kind(value)
    except ValueError:
        raise InvalidRequest(f"unknown {field} {value!r}; choose one of: {', '.join(kind)}", field) from None


def _upscaler(name: str, media: str) -> str:
    """A known upscaler; a model upscaler is a paid Replicate call, so offline media refuses it rather than drop it."""
    chosen = _about("upscaler", check_upscaler, name)
    if chosen != LANCZOS and media == "local":
        raise InvalidRequest(
            f"the upscaler {chosen} is a paid Replicate model and media is local; render with Replicate "
            f"(--media replicate), or keep the upscaler {LANCZOS}, which every video gets anyway",
            "upscaler",
        )
    return chosen


MIN_CUTDOWN_S = 6  # a bumper: the shortest ad the platforms sell


def _platforms(names: Sequence[str]) -> tuple[Platform, ...]:
    return tuple(dict.fromkeys(_choice("platforms", Platform, name) for name in names))


def _aspects(names: Sequence[str]) -> tuple[Aspect, ...]:
    return tuple(dict.fromkeys(_about("aspects", check_aspect, name) for name in names))


def _campaign(
    master: Aspect,
    seconds: int,
    aspects: tuple[Aspect, ...],
    platforms: tuple[Platform, ...],
    reframe: bool,
    cutdowns: Sequence[float],
    mezzanine: bool,
    model: VideoModel,
) -> Campaign:
    """The files besides the master: the other aspects (asked, or a platform's), each a length the video can be cut
    to and every platform takes; natively only in aspects the model makes."""
    others = tuple(a for a in dict.fromkeys([*aspects, *(PLATFORMS[p].aspect for p in platforms)]) if a != master)
    if not reframe and (unmade := [a for a in others if a not in model.aspects]):
        raise InvalidRequest(
            f"{model.name} makes {' or '.join(model.aspects)} video, not {', '.join(unmade)}; reframe them from the "
            "master (--reframe, free), or choose another model",
            "aspects",
        )
    lengths = sorted({round(c) for c in cutdowns}, reverse=True)
    if bad := [c for c in lengths if not MIN_CUTDOWN_S <= c < seconds]:
        raise InvalidRequest(
            f"a cutdown of {bad[0]} s cannot be cut from a {seconds} s ad; choose lengths from {MIN_CUTDOWN_S} s to "
            f"under {seconds} s, e.g. 15,6",
            "cutdowns",
        )
    for platform in platforms:
        preset = PLATFORMS[platform]
        if preset.max_s is not None and seconds > preset.max_s:
            raise InvalidRequest(
                f"{platform} takes ads up to {preset.max_s} s and this one is {seconds} s; make it shorter",
                "platforms",
            )
        if preset.lengths and not {seconds, *lengths} & set(preset.lengths):
            raise InvalidRequest(
                f"{platform} takes ads of exactly {' or '.join(map(str, preset.lengths))} s; make the ad one of "
                "those lengths, or add a cutdown to one (--cutdowns 15)",
                "platforms",
            )
    return Campaign(aspects=others, reframe=reframe, platforms=platforms, cutdowns=tuple(lengths), mezzanine=mezzanine)


def _narration(
    settings: Settings, voice: str | None, model: str | None, captions: str | None, style: str | None
) -> Narration:
    """Who reads the script and how its words are shown: a known speech model and one of its voices (or none)."""
    speaker = _about("speech_model", speech_model, model or settings.default_speech_model)
    if voice and voice != NO_VOICE:
        _about("voice", speaker.check_voice, voice)
    return Narration(
        voice=voice or "",
        speech_model=speaker.name,
        captions=_choice("captions", Captions, captions or Captions.BURNED),
        caption_style=_choice("caption_style", CaptionStyle, style or CaptionStyle.HIGHLIGHT),
    )


def _language(language: str | None, narration: Narration) -> str | None:
    """The script's language, if vidgen writes, speaks and captions it (None: the prompt's own)."""
    if language is None:
        return None
    chosen = _about("language", check_language, language)
    model = speech_model(narration.speech_model)
    if narration.speaks and chosen not in model.languages:
        raise InvalidRequest(
            f"{model.name} does not speak {chosen}; choose another speech model or language, or the voice none",
            "language",
        )
    return chosen


def check_providers(
    settings: Settings,
    planner: str | None,
    media: str | None,
    need_credentials: bool = True,
    narration: Narration | None = None,
) -> tuple[str, str]:
    """The planner and media to use (argument, else setting), if known and their keys are set (with a voiced
    ``narration``, its speech model's key too)."""
    planner, media = planner or settings.planner, media or settings.media
    if planner not in PLANNERS or media not in MEDIA:
        raise InvalidRequest(f"choose a planner from {PLANNERS} and media from {MEDIA}")
    if planner == "openai":
        llm_model(settings.openai_model)
    speech = narration.speech_model if narration is not None and narration.speaks else None
    missing = settings.missing_credentials(planner, media, speech) if need_credentials else []
    if missing:
        voiced = f" and speech model {speech}" if speech and media != "local" else ""
        raise InvalidRequest(
            f"set {' and '.join(missing)} in the environment to use planner {planner}, media {media}{voiced}, "
            "or choose --planner local --media local"
        )
    return planner, media


def build_request(
    prompt: str,
    settings: Settings,
    *,
    duration_s: float | None = None,
    aspect: str | None = None,
    model: str | None = None,
    user_id: str | None = None,
    title: str = "",
    description: str = "",
    reference_assets: list[ReferenceAsset] | list[str] | None = None,
    video_id: str | None = None,
    planner: str | None = None,
    media: str | None = None,
    max_cost_usd: float | None = None,
    resolution: str | None = None,
    loudness: str | None = None,
    upscaler: str | None = None,
    voice: str | None = None,
    speech_model: str | None = None,
    captions: str | None = None,
    caption_style: str | None = None,
    language: str | None = None,
    aspects: Sequence[str] = (),
    platforms: Sequence[str] = (),
    reframe: bool = False,
    cutdowns: Sequence[float] = (),
    mezzanine: bool = False,
    review: bool = False,
    need_credentials: bool = True,
) -> GenerationRequest:
    """Validate user input and resolve duration and aspect (flag, then prompt, then default).

    Raises InvalidRequest with a message saying what to fix; nothing is stored or registered. The offline planner
    refuses a prompt it reads no product or brand in, rather than make an ad for "your product". A request to be
    made (``need_credentials``) must fit its budget, then have its providers' keys; an estimate needs neither.
    """
    if not prompt or not prompt.strip():
        raise InvalidRequest('the prompt is empty; describe the ad, e.g. "Create a 30-second Nike ad"', "prompt")
    if len(prompt) > settings.max_prompt_chars:
        raise InvalidRequest(
            f"the prompt is {len(prompt)} characters; shorten it to at most {settings.max_prompt_chars}", "prompt"
        )
    clean = sanitize(prompt)
    if not clean:
        raise InvalidRequest("the prompt has no printable text; describe the ad in words", "prompt")
    source, field = ("the duration", "duration") if duration_s is not None else ("the prompt", "prompt")
    seconds = duration_s if duration_s is not None else find_duration(clean)
    seconds = settings.default_duration_s if seconds is None else seconds
    if not settings.min_duration_s <= seconds <= settings.max_duration_s:
        raise InvalidRequest(
            f"{source} asks for {seconds:g} s; choose a duration from {settings.min_duration_s} "
            f"to {settings.max_duration_s} seconds",
            field,
        )
    wanted, targets = _aspects(aspects), _platforms(platforms)
    aspect_ratio = (
        _about("aspect_ratio", check_aspect, aspect)
        if aspect is not None
        else (next(iter(wanted), None) or find_aspect(clean) or next((PLATFORMS[p].aspect for p in targets), None))
        or settings.default_aspect
    )
    chosen = _about("model", video_model, model or settings.default_model)
    if aspect_ratio not in chosen.aspects:
        raise InvalidRequest(
            f"{chosen.name} makes {' or '.join(chosen.aspects)} video, not {aspect_ratio}; "
            "choose another aspect or model",
            "aspect_ratio",
        )
    planner, media = check_providers(settings, planner, media, need_credentials=False)
    narration = _narration(settings, voice, speech_model, captions, caption_style)
    campaign = _campaign(aspect_ratio, round(seconds), wanted, targets, reframe, cutdowns, mezzanine, chosen)
    try:
        request = GenerationRequest(
            video_id=video_id or new_video_id(),
            user_id=user_id or settings.default_user,
            prompt=clean,
            title=sanitize(title)[:200] or clean[:80],
            description=sanitize(description)[: settings.max_prompt_chars],
            reference_assets=reference_assets or [],
            delivery=Delivery(
                resolution=_choice("resolution", Resolution, resolution or settings.default_resolution),
                loudness=_choice("loudness", Loudness, loudness or Loudness.STREAMING),
                upscaler=_upscaler(upscaler or LANCZOS, media),
            ),
            narration=narration,
            campaign=campaign,
            review=review,
            language=_language(language, narration),
            duration_s=round(seconds),
            aspect_ratio=check_aspect(aspect_ratio),
            video_model=chosen.name,
            planner=planner,
            media=media,
            max_cost_usd=settings.max_cost_usd if max_cost_usd is None else max_cost_usd,
            image_model=image_model(settings.default_image_model).name,
            music_model=music_model(settings.default_music_model).name,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise InvalidRequest(f"invalid {field}: {first['msg']}", field) from None
    if planner == "local" and not readable(clean):
        raise InvalidRequest(UNREADABLE, "prompt")
    if planner == "local" and not read_prompt(clean).name:
        raise InvalidRequest(NO_PRODUCT, "prompt")
    if need_credentials:  # an over-budget request is refused whatever the keys; then the keys
        check_request_budget(request)
        check_providers(settings, planner, media, narration=request.narration)
    return request
