"""Choosing provider adapters per kind. A kind's adapter is the one of the provider the catalog names for the
request's model of that kind, or the offline renderer when the request asks for local; so images can come from one
provider and video from another. A new provider is one row per kind it serves in ``ADAPTERS``; a new kind is a field
of ``Providers``, a catalog table and a row here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from vidgen_core.adapters.local.image import LocalImageGenerator
from vidgen_core.adapters.local.music import LocalMusicGenerator
from vidgen_core.adapters.local.planner import LocalPlanner
from vidgen_core.adapters.local.video import LocalVideoGenerator
from vidgen_core.domain.catalog import (
    LANCZOS,
    LOCAL_PROVIDER,
    Kind,
    image_model,
    llm_model,
    music_model,
    speech_model,
    upscale_model,
    video_model,
)
from vidgen_core.domain.errors import InvalidRequest
from vidgen_core.domain.models import GenerationRequest
from vidgen_core.domain.ports import (
    ImageGenerator,
    MusicGenerator,
    Planner,
    SpeechGenerator,
    Upscaler,
    VideoGenerator,
)
from vidgen_core.settings import Settings

if TYPE_CHECKING:
    from vidgen_core.adapters.replicate.runner import ReplicateRunner


@dataclass(frozen=True)
class Providers:
    """One adapter per kind."""

    planner: Planner
    images: ImageGenerator
    video: VideoGenerator
    music: MusicGenerator
    speech: SpeechGenerator
    upscaler: Upscaler | None = None  # a model upscaler run on each clip; None: Lanczos in the cut only


CATALOG: dict[Kind, Callable[[str], Any]] = {
    Kind.LLM: llm_model,
    Kind.IMAGE: image_model,
    Kind.VIDEO: video_model,
    Kind.MUSIC: music_model,
    Kind.UPSCALE: upscale_model,
    Kind.SPEECH: speech_model,
}


def choose(planner: str, media: str, models: dict[Kind, str]) -> dict[Kind, str]:
    """The provider of each kind: local when its switch says local, else its model's catalog ``provider``."""
    offline = {Kind.LLM: planner == LOCAL_PROVIDER} | dict.fromkeys(
        (Kind.IMAGE, Kind.VIDEO, Kind.MUSIC, Kind.SPEECH), media == LOCAL_PROVIDER
    )
    return {kind: LOCAL_PROVIDER if offline[kind] else CATALOG[kind](model).provider for kind, model in models.items()}


def request_models(settings: Settings, request: GenerationRequest) -> dict[Kind, str]:
    """The model of each kind a request names (its plan's LLM is the deployment's)."""
    return {
        Kind.LLM: settings.openai_model,
        Kind.IMAGE: request.image_model,
        Kind.VIDEO: request.video_model,
        Kind.MUSIC: request.music_model,
        Kind.SPEECH: request.narration.speech_model,
    }


def default_models(settings: Settings) -> dict[Kind, str]:
    """The model of each kind a request gets when it names none."""
    return {
        Kind.LLM: settings.openai_model,
        Kind.IMAGE: settings.default_image_model,
        Kind.VIDEO: settings.default_model,
        Kind.MUSIC: settings.default_music_model,
        Kind.SPEECH: settings.default_speech_model,
    }


def default_providers(settings: Settings) -> dict[Kind, str]:
    """Who serves each kind for a request with this deployment's defaults (the UI's kind badges)."""
    return choose(settings.planner, settings.media, default_models(settings))


def paid_provider(settings: Settings, kind: Kind) -> str:
    """The catalog provider of a kind's default model: the pool its steps hold, whatever renders a given video."""
    return CATALOG[kind](default_models(settings)[kind]).provider


class _Clients:
    """Clients shared by the adapters of one request (one Replicate account serves images, video and music)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def replicate(self) -> ReplicateRunner:
        from vidgen_core.adapters.replicate.runner import ReplicateRunner

        return ReplicateRunner(self.settings)


def _openai_planner(clients: _Clients, model: str) -> Planner:
    from vidgen_core.adapters.openai import OpenAIPlanner

    return OpenAIPlanner(clients.settings)


def _replicate_images(clients: _Clients, model: str) -> ImageGenerator:
    from vidgen_core.adapters.replicate.media import ReplicateImageGenerator

    return ReplicateImageGenerator(clients.replicate, model)


def _replicate_video(clients: _Clients, model: str) -> VideoGenerator:
    from vidgen_core.adapters.replicate.media import ReplicateVideoGenerator

    return ReplicateVideoGenerator(clients.replicate)


def _replicate_music(clients: _Clients, model: str) -> MusicGenerator:
    from vidgen_core.adapters.replicate.media import ReplicateMusicGenerator

    return ReplicateMusicGenerator(clients.replicate, model)


def _replicate_upscaler(clients: _Clients, model: str) -> Upscaler:
    from vidgen_core.adapters.replicate.upscale import ReplicateUpscaler

    return ReplicateUpscaler(clients.replicate, model)


def _local_speech(clients: _Clients, model: str) -> SpeechGenerator:
    from vidgen_core.adapters.local.voice import LocalSpeechGenerator

    return LocalSpeechGenerator(clients.settings)


def _openai_speech(clients: _Clients, model: str) -> SpeechGenerator:
    from vidgen_core.adapters.openai_speech import OpenAISpeechGenerator

    return OpenAISpeechGenerator(clients.settings)


def _replicate_speech(clients: _Clients, model: str) -> SpeechGenerator:
    from vidgen_core.adapters.replicate.speech import ReplicateSpeechGenerator

    return ReplicateSpeechGenerator(clients.replicate)


UPSCALERS: dict[str, Callable[[_Clients, str], Upscaler]] = {"replicate": _replicate_upscaler}


def _upscaler(clients: _Clients, request: GenerationRequest) -> Upscaler | None:
    """The request's model upscaler; none for lanczos (requests refuse a model upscaler with local media)."""
    name = request.delivery.upscaler
    if name == LANCZOS or request.media == LOCAL_PROVIDER:
        return None
    return UPSCALERS[CATALOG[Kind.UPSCALE](name).provider](clients, name)


# kind -> provider -> adapter factory (the clients, the model's name). Remote adapters import their SDK when chosen.
ADAPTERS: dict[Kind, dict[str, Callable[[_Clients, str], Any]]] = {
    Kind.LLM: {LOCAL_PROVIDER: lambda c, m: LocalPlanner(), "openai": _openai_planner},
    Kind.IMAGE: {LOCAL_PROVIDER: lambda c, m: LocalImageGenerator(), "replicate": _replicate_images},
    Kind.VIDEO: {LOCAL_PROVIDER: lambda c, m: LocalVideoGenerator(c.settings), "replicate": _replicate_video},
    Kind.MUSIC: {LOCAL_PROVIDER: lambda c, m: LocalMusicGenerator(c.settings), "replicate": _replicate_music},
    Kind.SPEECH: {LOCAL_PROVIDER: _local_speech, "openai": _openai_speech, "replicate": _replicate_speech},
}


def build_providers(settings: Settings, request: GenerationRequest) -> Providers:
    """The adapters for a request: each kind's from its model's provider (local when it asked for local)."""
    models = request_models(settings, request)
    clients = _Clients(settings)
    made = {}
    for kind, provider in choose(request.planner, request.media, models).items():
        factory = ADAPTERS[kind].get(provider)
        if factory is None:
            raise InvalidRequest(f"no {kind} adapter for provider {provider!r} (model {models[kind]!r})")
        made[kind] = factory(clients, models[kind])
    upscaler = _upscaler(clients, request)
    return Providers(made[Kind.LLM], made[Kind.IMAGE], made[Kind.VIDEO], made[Kind.MUSIC], made[Kind.SPEECH], upscaler)
