"""Choosing provider adapters from settings (only the offline ones exist so far)."""

from __future__ import annotations

from dataclasses import dataclass

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


def build_providers(settings: Settings) -> Providers:
    """The planner and media adapters (offline only for now; OpenAI and Replicate plug in here)."""
    return Providers(
        planner=LocalPlanner(),
        images=LocalImageGenerator(),
        video=LocalVideoGenerator(settings),
        music=LocalMusicGenerator(settings),
    )
