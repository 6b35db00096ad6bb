"""The resource that hands assets their settings, storage, request store and providers."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import dagster as dg
from pydantic import PrivateAttr

from vidgen_core.adapters.registry import Providers, build_providers
from vidgen_core.adapters.storage import BlobStore, open_store
from vidgen_core.domain.models import GenerationRequest
from vidgen_core.domain.progress import Progress
from vidgen_core.persistence.batches import BatchDB, BatchRecord
from vidgen_core.persistence.ledger import Ledger
from vidgen_core.persistence.requests import RequestDB, Status
from vidgen_core.pipeline.calls import CallCache
from vidgen_core.pipeline.requests import build_request
from vidgen_core.settings import Settings, calls_in_flight, get_settings


class SpecConfig(dg.Config):
    """Launchpad config of ``video_spec``.

    ``regenerate_beat`` (with optional new prompts) makes that beat's next take, paying for one image and its clips.
    ``prompt`` and the rest are read only for a partition added by hand that has no stored request yet; ``user_id``
    is then its owner, whose API key sees it. Every field is optional with no default value, so the launchpad's
    scaffolded config holds none of them and runs as it is.
    """

    regenerate_beat: int | None = None
    image_prompt: str | None = None
    motion_prompt: str | None = None
    prompt: str | None = None
    duration_s: int | None = None
    aspect_ratio: str | None = None
    model: str | None = None
    user_id: str | None = None
    max_cost_usd: float | None = None


class VidgenResource(dg.ConfigurableResource):
    """Settings, storage, requests and providers. ``home`` overrides VIDGEN_HOME (tests use a temp dir); None (not
    "") when unset, so the launchpad's scaffolded config leaves it out."""

    home: str | None = None
    _settings: Settings | None = PrivateAttr(default=None)
    _store: BlobStore | None = PrivateAttr(default=None)
    _requests: RequestDB | None = PrivateAttr(default=None)
    _ledger: Ledger | None = PrivateAttr(default=None)

    def settings(self) -> Settings:
        """Read once per resource, not on every asset and IO call."""
        if self._settings is None:
            self._settings = Settings(home=Path(self.home)) if self.home else get_settings()
        return self._settings

    def store(self) -> BlobStore:
        """One store (and for S3 one client and cache) per resource."""
        if self._store is None:
            self._store = open_store(self.settings())
        return self._store

    def requests(self) -> RequestDB:
        """The requests table (one engine per resource)."""
        if self._requests is None:
            self._requests = RequestDB(self.settings().db_url)
        return self._requests

    def ledger(self) -> Ledger:
        if self._ledger is None:
            self._ledger = Ledger(self.settings().db_url)
        return self._ledger

    def batch(self, request: GenerationRequest) -> BatchRecord | None:
        """The batch a video came in, if any (its spending cap applies to every call)."""
        return BatchDB(self.settings().db_url).get(request.batch_id) if request.batch_id else None

    def calls(self, request: GenerationRequest, run_id: str) -> CallCache:
        """The door for this video's provider calls: its owner's cache, the ledger, its budget and its batch's."""
        batch = self.batch(request)
        return CallCache(
            self.store(),
            self.ledger(),
            request.user_id,
            request.video_id,
            request.max_cost_usd,
            run_id=run_id,
            in_flight=partial(calls_in_flight, self.settings()),
            batch_id=request.batch_id,
            batch_budget_usd=batch.max_cost_usd if batch else None,
        )

    def providers(self, video_id: str) -> Providers:
        """The providers the video's request asked for."""
        return build_providers(self.settings(), self.requests().request(video_id))

    def progress(self, video_id: str) -> Progress:
        """Reports a phase's progress to the video's request row, where the status API reads it."""
        return partial(self.requests().report, video_id)

    def request_for(self, video_id: str, config: SpecConfig) -> GenerationRequest:
        """The stored request for a video, or one built from run config (then stored) for hand-made partitions."""
        stored = self.requests().find(video_id)
        if stored is not None:
            return stored.request
        if not config.prompt:
            raise dg.Failure(
                f"No request is stored for video {video_id!r}. Create videos with `vidgen generate`, batches of "
                "them with `vidgen batch FILE` (a partition backfill over stored requests), or give this run a "
                "prompt: ops.video_spec.config.prompt in the launchpad.",
                allow_retries=False,
            )
        request = build_request(
            config.prompt,
            self.settings(),
            duration_s=config.duration_s,
            aspect=config.aspect_ratio,
            model=config.model,
            user_id=config.user_id,
            video_id=video_id,
            max_cost_usd=config.max_cost_usd,
        )
        # Stored as running: this run is its run, so the request sensor must not start another.
        return self.requests().submit(request, status=Status.RUNNING).request
