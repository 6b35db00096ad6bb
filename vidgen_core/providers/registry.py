"""Choosing provider adapters: the planner (local or OpenAI) and the media (local or Replicate), independently."""

from __future__ import annotations

from dataclasses import dataclass

from vidgen_core.models import GenerationRequest
from vidgen_core.planning.local import LocalPlanner
from vidgen_core.providers.local_image import LocalImageGenerator
from vidgen_core.providers.local_music import LocalMusicGenerator
from vidgen_core.providers.local_video import LocalVideoGenerator
from vidgen_core.providers.ports import ImageGenerator, MusicGenerator, Planner, VideoGenerator
from vidgen_core.settings import Settings


@dataclass(frozen=True)
class Providers:
    planner: Planner
    images: ImageGenerator
    video: VideoGenerator
    music: MusicGenerator


def build_providers(settings: Settings, request: GenerationRequest) -> Providers:
    """The adapters a request asked for (its ``planner`` and ``media``)."""
    if request.planner == "openai":
        from vidgen_core.planning.openai_planner import OpenAIPlanner

        planner: Planner = OpenAIPlanner(settings)
    else:
        planner = LocalPlanner()
    if request.media == "replicate":
        from vidgen_core.providers.replicate_media import (
            ReplicateImageGenerator,
            ReplicateMusicGenerator,
            ReplicateVideoGenerator,
        )
        from vidgen_core.providers.replicate_runner import ReplicateRunner

        runner = ReplicateRunner(settings)
        return Providers(
            planner,
            ReplicateImageGenerator(runner, request.image_model),
            ReplicateVideoGenerator(runner),
            ReplicateMusicGenerator(runner, request.music_model),
        )
    return Providers(planner, LocalImageGenerator(), LocalVideoGenerator(settings), LocalMusicGenerator(settings))
