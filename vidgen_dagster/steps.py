"""What every asset does around its phase: time it, report its start, turn vidgen errors into Dagster failures,
and return the manifest with the metadata (cost, reuse, provider, model, wall time) and a content data version."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property

import dagster as dg
from pydantic import BaseModel

from vidgen_core.adapters.registry import Providers
from vidgen_core.adapters.storage import BlobStore
from vidgen_core.domain.catalog import Kind
from vidgen_core.domain.costs import list_price
from vidgen_core.domain.models import CostLine, GenerationRequest, Phase, VideoSpec
from vidgen_core.domain.progress import Progress
from vidgen_core.domain.shown import Shown, model_that_ran
from vidgen_core.persistence.requests import RequestDB
from vidgen_core.pipeline.calls import CallCache
from vidgen_core.pipeline.registry import PHASES, shown
from vidgen_core.pipeline.verify import Outcome
from vidgen_core.settings import Settings
from vidgen_dagster.failures import user_errors
from vidgen_dagster.metadata import check_results, phase_metadata
from vidgen_dagster.resources import DatabaseResource, FfmpegResource, ProvidersResource, StoreResource
from vidgen_dagster.runs import process_tags


def content_version(*parts: object) -> str:
    """A data version from what an output is made of (cache keys, takes), so staleness follows content."""
    return hashlib.sha256("\n".join(str(p) for p in parts).encode()).hexdigest()[:24]


_SHARED = ("providers", "calls", "progress")
FFMPEG = ("ffmpeg", "libx264/aac")  # who makes the free phases (stitch, finish)


@dataclass
class Step:
    """One phase of one video inside a run, with the resources its asset declared (``source``: the providers, or
    ffmpeg for a phase made here; either gives the settings)."""

    phase: Phase
    request: GenerationRequest
    run_id: str
    store: BlobStore
    db: DatabaseResource
    context: dg.AssetExecutionContext
    source: ProvidersResource | FfmpegResource
    started: float = field(default_factory=time.perf_counter)

    def phase_step(self, phase: Phase, started: float | None = None) -> Step:
        """Another phase made in this step (a multi-asset), timed from ``started`` (default: the step's start)."""
        other = dataclasses.replace(self, phase=phase, started=started or self.started)
        other.__dict__.update({k: v for k, v in self.__dict__.items() if k in _SHARED})
        return other

    @cached_property
    def providers(self) -> Providers:
        return self._source.for_request(self.request)

    @cached_property
    def calls(self) -> CallCache:
        return self._source.calls(self.request, self.run_id, self.store, self.db)

    @cached_property
    def progress(self) -> Progress:
        return self.db.progress(self.request.video_id)

    @property
    def settings(self) -> Settings:
        return self.source.settings()

    @property
    def _source(self) -> ProvidersResource:
        if not isinstance(self.source, ProvidersResource):
            raise TypeError(f"{self.phase} calls providers: its asset must declare `providers: ProvidersResource`")
        return self.source

    def made_by(self, spec: VideoSpec) -> tuple[str, str]:
        """The provider and the model that made this phase's output (a local renderer's own model when it ran)."""
        kind = PHASES[self.phase].paid
        if kind is None:
            return FFMPEG
        if kind == Kind.LLM:
            return self.providers.planner.provider, self.providers.planner.model
        made = {
            Kind.IMAGE: self.providers.images,
            Kind.VIDEO: self.providers.video,
            Kind.MUSIC: self.providers.music,
            Kind.SPEECH: self.providers.speech,
        }
        asked = {
            Kind.IMAGE: spec.image_model,
            Kind.VIDEO: spec.video_model,
            Kind.MUSIC: spec.music_model,
            Kind.SPEECH: spec.narration.speech_model,
        }
        provider = made[kind].provider
        return provider, model_that_ran(kind, provider, asked[kind])

    def result(
        self,
        spec: VideoSpec,
        value: BaseModel,
        *,
        costs: list[CostLine],
        version: str,
        checks: list[Outcome] | None = None,
        tags: dict[str, str] | None = None,
        **extra: Shown,
    ) -> dg.MaterializeResult:
        """The manifest with its check results and data version. Its metadata (the registry's facts and preview,
        then ``extra``) goes to the materialization alone: as an output's metadata Dagster would store it twice."""
        facts = {**shown(self.phase, spec, value, self.store), **extra}
        price = list_price(spec).get(self.phase)  # paid phases only
        meta = phase_metadata(
            self.phase, costs, self.made_by(spec), self.started, price, facts, self.store, self.settings
        )
        self.context.add_asset_metadata(meta, asset_key=self.phase.value)
        return dg.MaterializeResult(
            asset_key=self.phase.value,
            value=value,
            check_results=check_results(self.phase, checks or []),
            data_version=dg.DataVersion(version),
            tags=tags,
        )


@contextmanager
def step(
    context: dg.AssetExecutionContext,
    phase: Phase,
    store: StoreResource,
    db: DatabaseResource,
    source: ProvidersResource | FfmpegResource,
    find: Callable[[], GenerationRequest] | None = None,
) -> Iterator[Step]:
    """Run one phase of the partition's video: its start reported, vidgen errors as failures that say what to do.

    ``find`` gives the video's request when the stored one is not enough (the spec reads the launchpad config).
    """
    settings = source.settings()
    with user_errors():
        found = find() if find else db.requests().request(context.partition_key)
        current = Step(phase, found, context.run.run_id, store.open(), db, context, source)
        _tag_process(context, settings.heartbeat_s, settings.executor)
        _progress_to_stderr()
        current.progress(phase, 0, 1)
        with Heartbeat(db.requests(), found.video_id, settings.heartbeat_s):
            yield current


def _tag_process(context: dg.AssetExecutionContext, heartbeat_s: float, executor: str) -> None:
    """Name the process running this step on the run, so the run is known dead if the process dies."""
    tags = process_tags(context.run.run_id, heartbeat_s, executor)
    if any(context.run.tags.get(k) != v for k, v in tags.items()):
        context.instance.add_run_tags(context.run.run_id, tags)


def _progress_to_stderr() -> None:
    """vidgen's progress lines go to the step's stderr, which Dagster keeps as the run's compute log (dagster.yaml
    manages no python loggers, so they are not stored as one event each). A process that already shows them (the
    CLI) keeps its own handler."""
    logger = logging.getLogger("vidgen")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


class Heartbeat:
    """Touches the video's request row every ``seconds`` while a step runs: the run's process is alive."""

    def __init__(self, db: RequestDB, video_id: str, seconds: float) -> None:
        self.db, self.video_id, self.seconds, self.stop = db, video_id, seconds, threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True, name=f"heartbeat-{video_id}")

    def _beat(self) -> None:
        while not self.stop.wait(self.seconds):
            self.db.update(self.video_id)

    def __enter__(self) -> Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()
