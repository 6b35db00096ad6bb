"""Cost accounting from the catalog: list prices of a spec on the real models, and estimates of what a request
will spend with the providers it asked for (local renderers are free)."""

from __future__ import annotations

from vidgen_core.domain.catalog import (
    LLM_MODELS,
    Aspect,
    image_model,
    music_model,
    speech_model,
    upscaler_for,
    video_model,
)
from vidgen_core.domain.chunking import clips_for, plan_chunks
from vidgen_core.domain.compose import compose_beats, spec_seed, timeline
from vidgen_core.domain.copywriter import write_script
from vidgen_core.domain.errors import InvalidRequest
from vidgen_core.domain.models import Campaign, Delivery, GenerationRequest, Narration, Phase, VideoSpec
from vidgen_core.domain.prompt import read_prompt
from vidgen_core.domain.script import WORDS_PER_SECOND, words

# A spec call is about 1.5k input and 1k output tokens (providers.md); used only for estimates.
PLAN_TOKENS_IN, PLAN_TOKENS_OUT = 1500, 1000
DEFAULT_LLM = "gpt-4o"
FREE = "local"


def plan_price(llm: str = DEFAULT_LLM) -> float:
    return LLM_MODELS[llm].cost(PLAN_TOKENS_IN, 0, PLAN_TOKENS_OUT) if llm in LLM_MODELS else 0.0


def image_price(model: str) -> float:
    return image_model(model).usd_per_image


def clip_price(model: str, clip_s: float) -> float:
    return video_model(model).clip_cost(clip_s)


def upscale_price(delivery: Delivery, video_name: str, clip_s: float) -> float:
    """What the delivery's model upscaler costs for one clip of the video model (nothing with lanczos)."""
    video = video_model(video_name)
    model = upscaler_for(delivery.upscaler, video, delivery.resolution)
    return 0.0 if model is None else model.cost(delivery.resolution, round(clip_s * video.fps))


def music_price(model: str, duration_s: float) -> float:
    music = music_model(model)
    return round(duration_s * music.est_gpu_seconds_per_audio_second * music.usd_per_gpu_second, 6)


def music_hold(model: str, duration_s: float) -> float:
    """What a music call holds of a budget while it runs: the most its GPU time is expected to cost."""
    music = music_model(model)
    return max(music_price(model, duration_s), round(music.hold_gpu_seconds * music.usd_per_gpu_second, 6))


CHARS_PER_WORD = 6  # a word and the space after it, in ad copy: prices a script before it is written


def line_price(narration: Narration, text: str) -> float:
    """What speaking one line costs with the narration's speech model."""
    return speech_model(narration.speech_model).estimate(len(text), len(words(text)) / WORDS_PER_SECOND)


def script_price(narration: Narration, lines: list[str] | None, seconds: float) -> float:
    """What the voiceover costs: its lines, or (not yet written) a full script over ``seconds``; none unvoiced."""
    if not narration.speaks:
        return 0.0
    if lines is None:
        spoken = seconds * WORDS_PER_SECOND
        return speech_model(narration.speech_model).estimate(round(spoken * CHARS_PER_WORD), spoken / WORDS_PER_SECOND)
    return round(sum(line_price(narration, line) for line in lines if line.strip()), 6)


def _prices(
    beat_seconds: list[int],
    video_name: str,
    image_name: str,
    music_name: str,
    delivery: Delivery,
    narration: Narration,
    lines: list[str] | None,
    campaign: Campaign,
) -> dict[Phase, float]:
    video = video_model(video_name)
    allowed = tuple(sorted(set(video.clip_durations_s)))
    clips = [clip for seconds in beat_seconds for clip in clips_for(seconds, allowed)]
    upscaling = sum(upscale_price(delivery, video_name, clip) for clip in clips)
    images, chunks = (
        round(len(beat_seconds) * image_price(image_name), 6),
        round(video.clip_cost(sum(clips)) + upscaling, 6),
    )
    prices = {
        Phase.VIDEO_SPEC: plan_price(),
        Phase.STORYBOARD: images,
        Phase.VIDEO_CHUNKS: chunks,
        Phase.MUSIC: 0.0 if video.native_audio else music_price(music_name, sum(beat_seconds)),
        Phase.VOICEOVER: script_price(narration, lines, sum(beat_seconds)),
    }
    if native := native_aspects(campaign):  # their own images and clips, once per aspect; plan, voice, music once
        prices[Phase.ASPECTS] = round(len(native) * (images + chunks), 6)
    return prices


def native_aspects(campaign: Campaign) -> tuple[Aspect, ...]:
    """The aspects that get their own (paid) images and clips: every other aspect, unless they are reframed."""
    return () if campaign.reframe else campaign.aspects


def by_aspect(by_phase: dict[Phase, float], master: Aspect, campaign: Campaign) -> dict[Aspect, float]:
    """An estimate's pictures split per aspect: the master's images and clips, each native aspect's share of
    ``Phase.ASPECTS`` (the same beats at the same prices), a reframed aspect at nothing. The plan, voice and music,
    made once for all of them, are in none."""
    native = native_aspects(campaign)
    each = by_phase.get(Phase.ASPECTS, 0.0) / len(native) if native else 0.0
    master_usd = by_phase.get(Phase.STORYBOARD, 0.0) + by_phase.get(Phase.VIDEO_CHUNKS, 0.0)
    return {master: round(master_usd, 6), **{a: round(each if a in native else 0.0, 6) for a in campaign.aspects}}


def list_price(spec: VideoSpec) -> dict[Phase, float]:
    """What each paid phase of this spec would cost on the real models it names, in USD."""
    beats = [b.duration_s for b in spec.beats]
    lines = [b.line for b in spec.beats]
    models = (spec.video_model, spec.image_model, spec.music_model)
    return _prices(beats, *models, spec.delivery, spec.narration, lines, spec.campaign)


def _with_providers(prices: dict[Phase, float], request: GenerationRequest, llm: str) -> dict[Phase, float]:
    media_free = request.media == FREE
    return {
        phase: (
            (0.0 if request.planner == FREE else plan_price(llm))
            if phase == Phase.VIDEO_SPEC
            else (0.0 if media_free else usd)
        )
        for phase, usd in prices.items()
    }


def estimate(spec: VideoSpec, request: GenerationRequest, llm: str = DEFAULT_LLM) -> dict[Phase, float]:
    """What this spec will spend with the request's providers: list prices, with local renderers at zero."""
    return _with_providers(list_price(spec), request, llm)


def estimate_request(request: GenerationRequest, llm: str = DEFAULT_LLM) -> dict[Phase, float]:
    """What a request will spend, before anything is planned: priced on the beats the offline rules would lay out,
    and the script they would write for them; an OpenAI plan's script at its most (every second spoken)."""
    reading = read_prompt(request.prompt)
    beats = compose_beats(request.duration_s, reading.category, reading.archetype, spec_seed(request))
    seconds = [s for _, s in beats]
    lines = None
    if request.planner == FREE:
        laid = timeline([(tpl, s, "", "") for tpl, s in beats])  # the script depends on sections and times only
        lines = [beat.line for beat in write_script(request, reading, laid)]
    models = (request.video_model, request.image_model, request.music_model)
    prices = _prices(seconds, *models, request.delivery, request.narration, lines, request.campaign)
    return _with_providers(prices, request, llm)


# What an approval buys: every paid phase after the plan and the storyboard (a review run made those).
AFTER_REVIEW = (Phase.VIDEO_CHUNKS, Phase.MUSIC, Phase.VOICEOVER, Phase.ASPECTS)


def left_after_review(by_phase: dict[Phase, float]) -> float:
    """What approving a video in review will pay: its estimate's phases not made yet. Re-rolled images are spent
    already and buy nothing later, so they never shrink it."""
    return round(sum(usd for phase, usd in by_phase.items() if phase in AFTER_REVIEW), 4)


def beat_estimate(
    spec: VideoSpec,
    request: GenerationRequest,
    beat_index: int,
    clips: bool = True,
    aspects: tuple[Aspect, ...] | None = None,
) -> float:
    """What regenerating one beat spends: one image and that beat's clips, in the master and every native aspect,
    or only in the named ``aspects`` (None: every one; without ``clips``, in review, the master's image alone: the
    clips and the aspects are bought once the video is approved)."""
    if request.media == FREE:
        return 0.0
    master = aspects is None or spec.aspect_ratio in aspects
    if not clips:
        return round(image_price(spec.image_model), 6) if master else 0.0
    video = video_model(spec.video_model)
    lengths = [p.clip_s for p in plan_chunks(spec, video.clip_durations_s) if p.beat_index == beat_index]
    upscaling = sum(upscale_price(spec.delivery, spec.video_model, clip_s) for clip_s in lengths)
    others = [a for a in native_aspects(spec.campaign) if a != spec.aspect_ratio and (aspects is None or a in aspects)]
    pictures = int(master) + len(others)
    return round(pictures * (image_price(spec.image_model) + video.clip_cost(sum(lengths)) + upscaling), 6)


def line_estimate(spec: VideoSpec, request: GenerationRequest, line: str) -> float:
    """What regenerating one beat's line spends: that line's speech (offline media speak for free)."""
    return 0.0 if request.media == FREE else line_price(spec.narration, line)


def check_request_budget(request: GenerationRequest, by_phase: dict[Phase, float] | None = None) -> float:
    """The request's estimate (``by_phase`` if already made), if its budget covers it; else InvalidRequest naming
    both (nothing is spent)."""
    total = round(sum((estimate_request(request) if by_phase is None else by_phase).values()), 4)
    cap = request.max_cost_usd
    if cap is not None and total > cap + 1e-9:
        raise InvalidRequest(
            f"this video is estimated at ${total:.4f}, over its budget of ${cap:.4f}; "
            "raise max_cost_usd (--max-cost) or choose cheaper models",
            "max_cost_usd",
        )
    return total
