"""The model catalog: the one place for model facts (ids, clip durations, fps, resolutions, audio, prices).

Prices are USD and come from ``shared/reference/providers.md``; they drift, so they live only here.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, TypeVar

from pydantic import BaseModel, Field

from vidgen_core.domain.errors import InvalidRequest

Aspect = Literal["16:9", "9:16", "1:1", "4:5"]
ASPECTS: tuple[Aspect, ...] = ("16:9", "9:16", "1:1", "4:5")
M = TypeVar("M")


class Kind(StrEnum):
    VIDEO = "video"
    IMAGE = "image"
    MUSIC = "music"
    LLM = "llm"
    UPSCALE = "upscale"
    SPEECH = "speech"


class Platform(StrEnum):
    """Where an ad runs (its preset: domain/platforms.py)."""

    YOUTUBE = "youtube"
    TIKTOK = "tiktok"
    REELS = "reels"
    SHORTS = "shorts"
    META_FEED = "meta-feed"
    CTV = "ctv"


class Resolution(StrEnum):
    """The master's size, named by its short side: 1080p is 1920x1080, 1080x1920, 1080x1080 or 1080x1350."""

    P720 = "720p"
    P1080 = "1080p"
    P2160 = "2160p"

    @property
    def short_side(self) -> int:
        return int(self.value.removesuffix("p"))


# The master's video bit rate (kbps) at each resolution: YouTube's recommended upload rates for SDR at 24-30 fps.
MASTER_VIDEO_KBPS: dict[Resolution, int] = {Resolution.P720: 5_000, Resolution.P1080: 8_000, Resolution.P2160: 35_000}


def master_size(aspect: Aspect, resolution: Resolution) -> tuple[int, int]:
    """The delivered frame for an aspect at a resolution (clips are upscaled to it)."""
    return frame_size(resolution.short_side, aspect)


def frame_size(short_side: int, aspect: Aspect) -> tuple[int, int]:
    """Width and height (both even) for a resolution's short side and an aspect ratio."""
    num, den = (int(p) for p in aspect.split(":"))
    long_side = round(short_side * max(num, den) / min(num, den) / 2) * 2
    return (long_side, short_side) if num >= den else (short_side, long_side)


class VideoModel(BaseModel, frozen=True):
    """An image-to-video model."""

    name: str
    provider: str
    provider_id: str
    clip_durations_s: tuple[int, ...]
    fps: int
    resolution: str = Field(description="Resolution label used by default, e.g. '512p'.")
    short_side: int
    native_audio: bool = False
    usd_per_second: float = 0.0
    image_input: str = Field(default="first_frame_image", description="Provider input naming the start frame.")
    aspect_input: str | None = Field(default=None, description="Provider input for the aspect ratio, if any.")
    aspects: tuple[Aspect, ...] = ASPECTS
    fixed_inputs: dict[str, str | int | bool] = Field(default_factory=dict)

    def inputs(self, prompt: str, image: object, clip_s: int, aspect: Aspect) -> dict[str, object]:
        """The provider's input for one clip, with this model's own input names."""
        payload: dict[str, object] = {"prompt": prompt, self.image_input: image, "duration": clip_s}
        if self.aspect_input:
            payload[self.aspect_input] = aspect
        return payload | self.fixed_inputs

    def size(self, aspect: Aspect) -> tuple[int, int]:
        """Output frame size for an aspect ratio."""
        return frame_size(self.short_side, aspect)

    def clip_cost(self, seconds: float) -> float:
        """Price of one clip of the given (measured) length."""
        return round(self.usd_per_second * seconds, 6)


class ImageModel(BaseModel, frozen=True):
    """A text-to-image model, and whether it can start from an input image (img2img)."""

    name: str
    provider: str
    provider_id: str
    usd_per_image: float = 0.0
    short_side: int = 768
    fixed_inputs: dict[str, str | int | bool] = Field(default_factory=dict)
    image_input: str | None = Field(default=None, description="Provider input for a start image; None: text only.")
    prompt_strength: float | None = Field(
        default=None, ge=0, le=1, description="How much of the start image is redrawn (1: all of it)."
    )

    def inputs(self, prompt: str, aspect: Aspect, seed: int) -> dict[str, object]:
        return {"prompt": prompt, "aspect_ratio": aspect, "seed": seed} | self.fixed_inputs

    def image_inputs(self) -> dict[str, object]:
        """The inputs that go with a start image (the image itself is sent as a file under ``image_input``)."""
        return {} if self.prompt_strength is None else {"prompt_strength": self.prompt_strength}


class MusicModel(BaseModel, frozen=True):
    """A text-to-music model, billed by GPU time."""

    name: str
    provider: str
    provider_id: str
    usd_per_gpu_second: float = 0.0
    est_gpu_seconds_per_audio_second: float = 0.0
    # Budgets hold this much GPU time per call while it runs: GPU time is only known afterwards, and calls made at the
    # same time must not pass a cap between them (the seed sees music take up to about 2 minutes).
    hold_gpu_seconds: float = 150.0
    max_duration_s: int = 300
    fixed_inputs: dict[str, str | int | bool] = Field(default_factory=dict)

    def inputs(self, prompt: str, duration_s: float, seed: int) -> dict[str, object]:
        return {"prompt": prompt, "duration": max(1, round(duration_s)), "seed": seed} | self.fixed_inputs

    def cost(self, predict_time_s: float) -> float:
        """Price of one prediction from its measured GPU time."""
        return round(predict_time_s * self.usd_per_gpu_second, 6)

    sample_rate_hz: int = 48_000


class LLMModel(BaseModel, frozen=True):
    """A planning LLM; prices are USD per million tokens."""

    name: str
    provider: str
    usd_per_m_input: float
    usd_per_m_cached_input: float
    usd_per_m_output: float

    def cost(self, input_tokens: int, cached_tokens: int, output_tokens: int) -> float:
        """Price of one call from its token usage."""
        uncached = max(input_tokens - cached_tokens, 0)
        usd = (
            uncached * self.usd_per_m_input
            + cached_tokens * self.usd_per_m_cached_input
            + output_tokens * self.usd_per_m_output
        )
        return round(usd / 1e6, 6)


VIDEO_MODELS: dict[str, VideoModel] = {
    m.name: m
    for m in (
        VideoModel(
            name="hailuo-02-fast",
            provider="replicate",
            provider_id="minimax/hailuo-02-fast",
            clip_durations_s=(6, 10),
            fps=25,
            resolution="512p",
            short_side=512,
            usd_per_second=0.0166,
        ),
        VideoModel(
            name="hailuo-02",
            provider="replicate",
            provider_id="minimax/hailuo-02",
            clip_durations_s=(6, 10),
            fps=25,
            resolution="768p",
            short_side=768,
            usd_per_second=0.045,
            fixed_inputs={"resolution": "768p"},
        ),
        VideoModel(
            name="veo-3-fast",
            provider="replicate",
            provider_id="google/veo-3-fast",
            clip_durations_s=(4, 6, 8),
            fps=24,
            resolution="720p",
            short_side=720,
            native_audio=True,
            usd_per_second=0.15,
            image_input="image",
            aspect_input="aspect_ratio",
            aspects=("16:9", "9:16"),
            fixed_inputs={"resolution": "720p", "generate_audio": True},
        ),
        VideoModel(
            name="kling-v2.1",
            provider="replicate",
            provider_id="kwaivgi/kling-v2.1",
            clip_durations_s=(5, 10),
            fps=24,
            resolution="720p",
            short_side=720,
            usd_per_second=0.05,
            image_input="start_image",
            fixed_inputs={"mode": "standard"},
        ),
    )
}

IMAGE_MODELS: dict[str, ImageModel] = {
    m.name: m
    for m in (
        ImageModel(
            name="flux-dev",
            provider="replicate",
            provider_id="black-forest-labs/flux-dev",
            usd_per_image=0.025,
            fixed_inputs={"num_outputs": 1, "output_format": "png", "go_fast": True},
            # img2img (replicate/cog-flux DevPredictor): the output takes the start image's size, and with an image
            # the model runs in bf16 whatever go_fast says. At 28 steps, 0.7 skips the first 8; after FLUX's
            # resolution shift the start is still about 89% noise, so the photo's silhouette, colours and place in
            # the frame survive while light, backdrop and surface follow the prompt. The default 0.8 (93% noise)
            # drifts towards a generic product; 0.5 (76%) keeps the flat sketch backdrop and looks pasted.
            image_input="image",
            prompt_strength=0.7,
        ),
        ImageModel(
            name="flux-schnell",
            provider="replicate",
            provider_id="black-forest-labs/flux-schnell",
            usd_per_image=0.003,
            fixed_inputs={"num_outputs": 1, "output_format": "png"},
        ),
    )
}

MUSIC_MODELS: dict[str, MusicModel] = {
    m.name: m
    for m in (
        MusicModel(
            name="musicgen",
            provider="replicate",
            provider_id="meta/musicgen:671ac645ce5e552cc63a54a2bbff63fcf798043055d2dac5fc9e36a837eedcfb",
            usd_per_gpu_second=0.0014,
            est_gpu_seconds_per_audio_second=2.0,
            max_duration_s=300,
            sample_rate_hz=32_000,
            fixed_inputs={
                "model_version": "stereo-melody-large",
                "output_format": "wav",
                "normalization_strategy": "loudness",
            },
        ),
    )
}

LLM_MODELS: dict[str, LLMModel] = {
    m.name: m
    for m in (
        LLMModel(
            name="gpt-4o", provider="openai", usd_per_m_input=2.50, usd_per_m_cached_input=1.25, usd_per_m_output=10.00
        ),
        LLMModel(
            name="gpt-4.1-mini",
            provider="openai",
            usd_per_m_input=0.40,
            usd_per_m_cached_input=0.10,
            usd_per_m_output=1.60,
        ),
        LLMModel(
            name="gpt-5-mini",
            provider="openai",
            usd_per_m_input=0.25,
            usd_per_m_cached_input=0.025,
            usd_per_m_output=2.00,
        ),
    )
}

LANCZOS = "lanczos"  # the default upscaler: no model, the cut scales every chunk to the master size with Lanczos


class UpscaleModel(BaseModel, frozen=True):
    """A video-to-video upscaler, billed per output frame (output seconds x ``target_fps``) at a rate per target.

    The contract and where each fact comes from are in README.md, "Model upscaler".
    """

    name: str
    provider: str
    provider_id: str
    targets: dict[Resolution, str] = Field(description="The provider's target_resolution for each master size.")
    fps_range: tuple[int, int]
    usd_per_frame: dict[Resolution, float]

    def inputs(self, resolution: Resolution, fps: int) -> dict[str, object]:
        """The provider's input for one clip (the video itself is uploaded beside it), keeping the clip's fps so the
        clip keeps its frames and timing (the model would otherwise interpolate to its default)."""
        low, high = self.fps_range
        if not low <= fps <= high:
            raise InvalidRequest(f"{self.name} takes {low} to {high} fps, not {fps}")
        return {"target_resolution": self.targets[resolution], "target_fps": fps}

    def cost(self, resolution: Resolution, frames: int) -> float:
        """Price of one upscaled clip from its output frames."""
        return round(frames * self.usd_per_frame[resolution], 6)


UPSCALE_MODELS: dict[str, UpscaleModel] = {
    m.name: m
    for m in (
        UpscaleModel(
            name="topaz-video-upscale",
            provider="replicate",
            provider_id="topazlabs/video-upscale",
            targets={Resolution.P720: "720p", Resolution.P1080: "1080p", Resolution.P2160: "4k"},
            fps_range=(15, 60),  # what every version takes (the current schema: 15-120; an older one: 15-60)
            # [3P] the higher of two third-party Replicate price tables, per second at 30 fps, so budgets hold enough:
            usd_per_frame={Resolution.P720: 0.027 / 5 / 30, Resolution.P1080: 0.037 / 30, Resolution.P2160: 0.15 / 30},
        ),
    )
}

LANGUAGES: dict[str, str] = {"en": "English", "es": "Spanish", "fr": "French", "de": "German"}
"""The script languages planned, spoken and captioned end to end, offline and with the real providers."""
DEFAULT_SPEECH_MODEL = "minimax-speech-2.6-turbo"  # on Replicate with the media; OpenAI's voices shut down 2027-01-06


class SpeechModel(BaseModel, frozen=True):
    """A text-to-speech model and its voices. Billed per character of input, or (gpt-4o-mini-tts) per text token in
    and audio token out, from the usage the provider reports.

    The contracts and where each fact comes from are in README.md, "Voiceover: providers".
    """

    name: str
    provider: str
    provider_id: str
    voices: tuple[str, ...]
    default_voice: str
    languages: tuple[str, ...] = tuple(LANGUAGES)
    max_chars: int = 4096
    usd_per_m_chars: float = 0.0
    usd_per_m_text_tokens: float = 0.0
    usd_per_m_audio_tokens: float = 0.0
    est_usd_per_minute: float = Field(default=0.0, description="For budgets, where the price is per audio token.")
    fixed_inputs: dict[str, str | int | bool | float] = Field(default_factory=dict)

    def cost(self, chars: int, text_tokens: int = 0, audio_tokens: int = 0) -> float:
        """Price of one line from its characters (or the tokens the provider reported)."""
        usd = chars * self.usd_per_m_chars + text_tokens * self.usd_per_m_text_tokens
        return round((usd + audio_tokens * self.usd_per_m_audio_tokens) / 1e6, 6)

    def estimate(self, chars: int, seconds: float) -> float:
        """What a line of ``chars`` spoken over about ``seconds`` is expected to cost, before it is made."""
        return round(chars * self.usd_per_m_chars / 1e6 + seconds / 60 * self.est_usd_per_minute, 6)

    def check_length(self, text: str, what: str) -> str:
        """A line this model reads in one call (``what`` names it in the error)."""
        if len(text) > self.max_chars:
            raise InvalidRequest(
                f"{what} has {len(text)} characters and {self.name} reads at most {self.max_chars}; shorten it", "line"
            )
        return text

    def check_voice(self, voice: str) -> str:
        """A voice of this model ('' is its default)."""
        if voice and voice not in self.voices:
            raise InvalidRequest(f"{self.name} has no voice {voice!r}; choose one of: {', '.join(self.voices)}, none")
        return voice or self.default_voice


_OPENAI_VOICES = ("alloy", "ash", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer")
SPEECH_MODELS: dict[str, SpeechModel] = {
    m.name: m
    for m in (
        SpeechModel(
            name="gpt-4o-mini-tts",
            provider="openai",
            provider_id="gpt-4o-mini-tts",
            voices=(*_OPENAI_VOICES, "ballad", "verse", "marin", "cedar"),
            default_voice="coral",
            usd_per_m_text_tokens=0.60,
            usd_per_m_audio_tokens=12.00,
            est_usd_per_minute=0.015,
        ),
        SpeechModel(
            name="tts-1",
            provider="openai",
            provider_id="tts-1",
            voices=_OPENAI_VOICES,
            default_voice="alloy",
            usd_per_m_chars=15.00,
        ),
        SpeechModel(
            name="tts-1-hd",
            provider="openai",
            provider_id="tts-1-hd",
            voices=_OPENAI_VOICES,
            default_voice="alloy",
            usd_per_m_chars=30.00,
        ),
        SpeechModel(
            name="minimax-speech-2.6-turbo",
            provider="replicate",
            provider_id="minimax/speech-2.6-turbo",
            voices=(
                "Wise_Woman",
                "Friendly_Person",
                "Inspirational_girl",
                "Deep_Voice_Man",
                "Calm_Woman",
                "Casual_Guy",
                "Lively_Girl",
                "Patient_Man",
                "Young_Knight",
                "Determined_Man",
                "Lovely_Girl",
                "Decent_Boy",
                "Imposing_Manner",
                "Elegant_Man",
            ),
            default_voice="Friendly_Person",
            max_chars=10_000,
            usd_per_m_chars=60.00,  # $0.06 per 1,000 input tokens, one token a character
            fixed_inputs={"audio_format": "wav", "sample_rate": 32_000, "channel": "mono"},
        ),
    )
}


def speech_model(name: str) -> SpeechModel:
    """Look up a speech model by name."""
    return _lookup(SPEECH_MODELS, "speech", name)


def check_language(language: str) -> str:
    """A script language vidgen plans, speaks and captions end to end."""
    if language not in LANGUAGES:
        known = ", ".join(f"{code} ({name})" for code, name in LANGUAGES.items())
        raise InvalidRequest(f"unknown script language {language!r}; choose one of: {known}")
    return language


# The offline renderers. They cost nothing and imitate whichever catalog model the spec names.
LOCAL_PROVIDER = "local"
LOCAL_MODELS: dict[Kind, str] = {
    Kind.LLM: "local-planner",
    Kind.IMAGE: "local-storyboard",
    Kind.VIDEO: "local-motion",
    Kind.MUSIC: "local-synth",
    Kind.SPEECH: "local-voice",
}


def _lookup(table: dict[str, M], kind: str, name: str) -> M:
    try:
        return table[name]
    except KeyError:
        raise InvalidRequest(f"unknown {kind} model {name!r}; choose one of: {', '.join(table)}") from None


def video_model(name: str) -> VideoModel:
    """Look up a video model by name, with a message listing the known ones."""
    return _lookup(VIDEO_MODELS, "video", name)


def image_model(name: str) -> ImageModel:
    """Look up an image model by name."""
    return _lookup(IMAGE_MODELS, "image", name)


def music_model(name: str) -> MusicModel:
    """Look up a music model by name."""
    return _lookup(MUSIC_MODELS, "music", name)


def llm_model(name: str) -> LLMModel:
    """Look up a planning LLM by name."""
    return _lookup(LLM_MODELS, "LLM", name)


def upscale_model(name: str) -> UpscaleModel:
    """Look up a model upscaler by name."""
    return _lookup(UPSCALE_MODELS, "upscaler", name)


def upscaler_for(name: str, video: VideoModel, resolution: Resolution) -> UpscaleModel | None:
    """The model a video's clips go through: none for lanczos, nor when the video model's clips already have the
    master's short side (the model would be paid for nothing)."""
    if name == LANCZOS or video.short_side >= resolution.short_side:
        return None
    return upscale_model(name)


def check_upscaler(name: str) -> str:
    """An upscaler name: ``lanczos`` (no model) or a catalog upscaler."""
    if name != LANCZOS and name not in UPSCALE_MODELS:
        raise InvalidRequest(f"unknown upscaler {name!r}; choose one of: {', '.join([LANCZOS, *UPSCALE_MODELS])}")
    return name


def check_aspect(aspect: str) -> Aspect:
    """Validate an aspect ratio string."""
    if aspect not in ASPECTS:
        raise InvalidRequest(f"unknown aspect ratio {aspect!r}; choose one of: {', '.join(ASPECTS)}")
    return aspect  # type: ignore[return-value]
