"""Choosing provider adapters: the planner (local or OpenAI) and the media (local or Replicate), independently."""

from __future__ import annotations

from dataclasses import dataclass

from vidgen_core.adapters.local.image import LocalImageGenerator
from vidgen_core.adapters.local.music import LocalMusicGenerator
from vidgen_core.adapters.local.planner import LocalPlanner
from vidgen_core.adapters.local.video import LocalVideoGenerator
from vidgen_core.domain.models import GenerationRequest
from vidgen_core.domain.ports import ImageGenerator, MusicGenerator, Planner, VideoGenerator
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
        from vidgen_core.adapters.openai import OpenAIPlanner

        planner: Planner = OpenAIPlanner(settings)
    else:
        planner = LocalPlanner()
    if request.media == "replicate":
        from vidgen_core.adapters.replicate.media import (
            ReplicateImageGenerator,
            ReplicateMusicGenerator,
            ReplicateVideoGenerator,
        )
        from vidgen_core.adapters.replicate.runner import ReplicateRunner

        runner = ReplicateRunner(settings)
        return Providers(
            planner,
            ReplicateImageGenerator(runner, request.image_model),
            ReplicateVideoGenerator(runner),
            ReplicateMusicGenerator(runner, request.music_model),
        )
    return Providers(planner, LocalImageGenerator(), LocalVideoGenerator(settings), LocalMusicGenerator(settings))
