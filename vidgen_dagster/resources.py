"""Resources, one per system the assets use: the object store, the requests/ledger database and the providers.

Their fields are what the launchpad shows; a field set in the environment is an ``EnvVar`` there, so a deployment's
configuration is visible without its values being copied into the code location.
"""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path
from typing import Any

import dagster as dg
from pydantic import PrivateAttr

from vidgen_core.adapters.registry import Providers, build_providers
from vidgen_core.adapters.storage import BlobStore, LocalStore
from vidgen_core.domain.models import GenerationRequest, Phase
from vidgen_core.domain.progress import Progress
from vidgen_core.persistence.batches import BatchDB, BatchRecord
from vidgen_core.persistence.ledger import Ledger
from vidgen_core.persistence.requests import RequestDB, Status
from vidgen_core.persistence.takes import LineTakeDB, TakeDB
from vidgen_core.persistence.uploads import UploadDB
from vidgen_core.pipeline.calls import CallCache
from vidgen_core.pipeline.registry import percent
from vidgen_core.pipeline.requests import build_request
from vidgen_core.settings import Settings, calls_in_flight, get_settings


def from_env(settings: Settings, field: str) -> Any:
    """A setting as a resource field: ``EnvVar`` when its ``VIDGEN_`` variable is set (Dagster reads text and
    whole numbers from the environment; other values are shown as read), else the value read."""
    name, value = f"VIDGEN_{field.upper()}", getattr(settings, field)
    if name not in os.environ or not isinstance(value, str | int):
        return value
    return dg.EnvVar.int(name) if isinstance(value, int) else dg.EnvVar(name)


def _with_fields(resource: dg.ConfigurableResource, home: str | None, fields: tuple[str, ...]) -> Settings:
    """The process's settings with the resource's fields (a launchpad run may set them otherwise)."""
    base = get_settings(home)
    update = {f: getattr(resource, f) for f in fields if getattr(resource, f) != getattr(base, f)}
    return base.model_copy(update=update) if update else base


class StoreResource(dg.ConfigurableResource):
    """Media and manifests in the seed's key layout: the local folder ``root``, or the S3 bucket (``storage: s3``)
    with ``cache_dir`` holding the local copies ffmpeg and Pillow read."""

    storage: str = "local"
    root: str
    cache_dir: str
    s3_bucket: str = "vidgen"
    s3_prefix: str = ""
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    link_ttl_s: int = 3600
    _store: BlobStore | None = PrivateAttr(default=None)

    @classmethod
    def from_settings(cls, settings: Settings) -> StoreResource:
        fields = ("storage", "s3_bucket", "s3_prefix", "s3_endpoint_url", "s3_region", "link_ttl_s")
        return cls(
            root=str(settings.storage_dir),
            cache_dir=str(settings.cache_dir),
            **{f: from_env(settings, f) for f in fields},
        )

    def open(self) -> BlobStore:
        """One store (for S3 one client and cache) per resource."""
        if self._store is None:
            if self.storage == "s3":
                from vidgen_core.adapters.storage.s3 import S3Store

                self._store = S3Store(
                    self.s3_bucket,
                    Path(self.cache_dir),
                    prefix=self.s3_prefix,
                    endpoint_url=self.s3_endpoint_url,
                    region=self.s3_region,
                    link_ttl_s=self.link_ttl_s,
                )
            else:
                self._store = LocalStore(Path(self.root))
        return self._store


class DatabaseResource(dg.ConfigurableResource):
    """The requests, takes, batches and cost ledger tables (SQLite in the vidgen home, or Postgres)."""

    url: str
    _requests: RequestDB | None = PrivateAttr(default=None)
    _ledger: Ledger | None = PrivateAttr(default=None)
    _takes: TakeDB | None = PrivateAttr(default=None)
    _line_takes: LineTakeDB | None = PrivateAttr(default=None)

    @classmethod
    def from_settings(cls, settings: Settings) -> DatabaseResource:
        name = "VIDGEN_DATABASE_URL"
        return cls(url=dg.EnvVar(name) if os.environ.get(name) else settings.db_url)

    def requests(self) -> RequestDB:
        """The requests table (one engine per resource)."""
        if self._requests is None:
            self._requests = RequestDB(self.url)
        return self._requests

    def ledger(self) -> Ledger:
        if self._ledger is None:
            self._ledger = Ledger(self.url)
        return self._ledger

    def takes(self) -> TakeDB:
        """Each beat's takes (the current one is what the next run renders)."""
        if self._takes is None:
            self._takes = TakeDB(self.url)
        return self._takes

    def line_takes(self) -> LineTakeDB:
        """Each beat's line takes (its voiceover line and voice), numbered apart from its picture takes."""
        if self._line_takes is None:
            self._line_takes = LineTakeDB(self.url)
        return self._line_takes

    def uploads(self) -> UploadDB:
        """The images users uploaded (a request's product photo and logo)."""
        return UploadDB(self.url)

    def batch(self, request: GenerationRequest) -> BatchRecord | None:
        """The batch a video came in, if any (its spending cap applies to every call)."""
        return BatchDB(self.url).get(request.batch_id) if request.batch_id else None

    def progress(self, video_id: str) -> Progress:
        """Reports a phase's progress, as the registry's percentage, to the video's request row, where the status API
        reads it."""
        requests = self.requests()

        def report(phase: Phase, done: int, total: int) -> None:
            requests.report(video_id, phase, done, total, percent(phase, done, total))

        return report


PROVIDER_FIELDS = ("openai_model", "replicate_calls_in_flight", "local_calls_in_flight")


class ProvidersResource(dg.ConfigurableResource):
    """The provider adapters per kind (planner, images, video, music) for a video's request, chosen by the catalog
    provider of the models it names (``vidgen_core.adapters.registry``). Credentials are read from the standard
    variables (``OPENAI_API_KEY``, ``REPLICATE_API_TOKEN``) and never shown. ``home`` names a vidgen home other
    than VIDGEN_HOME's (tests); None, not "", when unset, so the launchpad's scaffolded config leaves it out.
    The launchpad shows the settings a run's calls use: the planning model and how many calls one step makes at
    once."""

    home: str | None = None
    openai_model: str
    replicate_calls_in_flight: int
    local_calls_in_flight: int
    _settings: Settings | None = PrivateAttr(default=None)

    @classmethod
    def from_settings(cls, settings: Settings, home: str | None = None) -> ProvidersResource:
        return cls(home=home, **{f: from_env(settings, f) for f in PROVIDER_FIELDS})

    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = _with_fields(self, self.home, PROVIDER_FIELDS)
        return self._settings

    def for_request(self, request: GenerationRequest) -> Providers:
        """The adapters the request's models and providers ask for."""
        return build_providers(self.settings(), request)

    def calls(self, request: GenerationRequest, run_id: str, store: BlobStore, db: DatabaseResource) -> CallCache:
        """The door for this video's provider calls: its owner's cache, the ledger, its budget and its batch's."""
        batch = db.batch(request)
        return CallCache(
            store,
            db.ledger(),
            request.user_id,
            request.video_id,
            request.max_cost_usd,
            run_id=run_id,
            in_flight=partial(calls_in_flight, self.settings()),
            batch_id=request.batch_id,
            batch_budget_usd=batch.max_cost_usd if batch else None,
        )


FFMPEG_FIELDS = ("crf", "x264_preset", "master_preset", "master_x264_params", "audio_rate_hz", "audio_bitrate")


class FfmpegResource(dg.ConfigurableResource):
    """ffmpeg on this machine, and how it encodes the cut and the master: x264 quality and speed, the audio rate
    and bitrate. The master's loudness is the request's delivery standard (``LOUDNESS_TARGETS``), not a setting.
    ``home`` as for ``ProvidersResource``."""

    home: str | None = None
    crf: int
    x264_preset: str
    master_preset: str
    master_x264_params: str
    audio_rate_hz: int
    audio_bitrate: str
    _settings: Settings | None = PrivateAttr(default=None)

    @classmethod
    def from_settings(cls, settings: Settings, home: str | None = None) -> FfmpegResource:
        return cls(home=home, **{f: from_env(settings, f) for f in FFMPEG_FIELDS})

    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = _with_fields(self, self.home, FFMPEG_FIELDS)
        return self._settings


class SpecConfig(dg.Config):
    """Launchpad config of ``video_spec``.

    ``approve: true`` approves a video in review (as `vidgen approve` does) in a run of ``generate_video``, which
    then goes on to its paid clips, reusing its plan and images from the call cache.
    ``regenerate_beat`` (with optional new prompts) makes that beat's next take, paying for one image and its clips
    (in each of ``aspects``, e.g. ["9:16"], alone if given; the other aspects keep their take); with ``line``
    and/or ``voice`` instead, the next take of its voiceover line, paying for that line's speech only.
    ``prompt`` and the rest are read only for a partition added by hand that has no stored request yet; ``user_id``
    is then its owner, whose API key sees it. Every field is optional with no default value, so the launchpad's
    scaffolded config holds none of them and runs as it is.
    """

    approve: bool | None = None
    regenerate_beat: int | None = None
    image_prompt: str | None = None
    motion_prompt: str | None = None
    line: str | None = None
    voice: str | None = None
    aspects: list[str] | None = None
    prompt: str | None = None
    duration_s: int | None = None
    aspect_ratio: str | None = None
    model: str | None = None
    user_id: str | None = None
    max_cost_usd: float | None = None

    def request_for(self, video_id: str, db: DatabaseResource, settings: Settings) -> GenerationRequest:
        """The stored request for a video, or one built from this config (then stored) for hand-made partitions."""
        stored = db.requests().find(video_id)
        if stored is not None:
            return stored.request
        if not self.prompt:
            raise dg.Failure(
                f"No request is stored for video {video_id!r}. Create videos with `vidgen generate`, batches of "
                "them with `vidgen batch FILE` (a partition backfill over stored requests), or give this run a "
                "prompt: ops.video_spec.config.prompt in the launchpad.",
                allow_retries=False,
            )
        request = build_request(
            self.prompt,
            settings,
            duration_s=self.duration_s,
            aspect=self.aspect_ratio,
            model=self.model,
            user_id=self.user_id,
            video_id=video_id,
            max_cost_usd=self.max_cost_usd,
        )
        # Stored as running: this run is its run, so the request sensor must not start another.
        return db.requests().submit(request, status=Status.RUNNING).request
