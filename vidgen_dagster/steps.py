"""What every asset does around its phase: time it, report its start, turn vidgen errors into Dagster failures,
and return the manifest with the metadata (cost, reuse, provider, model, wall time) and a content data version."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import dagster as dg
from pydantic import BaseModel

from vidgen_core.adapters.registry import Providers
from vidgen_core.adapters.storage import BlobStore
from vidgen_core.domain.models import CostLine, GenerationRequest, Phase
from vidgen_core.domain.progress import Progress
from vidgen_core.persistence.records import RequestDB
from vidgen_core.pipeline.calls import CallCache
from vidgen_core.pipeline.verify import Outcome
from vidgen_dagster.failures import user_errors
from vidgen_dagster.metadata import check_results, phase_metadata
from vidgen_dagster.resources import VidgenResource
from vidgen_dagster.runs import process_tags


def content_version(*parts: object) -> str:
    """A data version from what an output is made of (cache keys, takes), so staleness follows content."""
    return hashlib.sha256("\n".join(str(p) for p in parts).encode()).hexdigest()[:24]


_SHARED = ("store", "providers", "calls", "progress")


@dataclass
class Step:
    """One phase of one video inside a run."""

    phase: Phase
    vidgen: VidgenResource
    request: GenerationRequest
    run_id: str
    started: float = field(default_factory=time.perf_counter)

    def phase_step(self, phase: Phase, started: float | None = None) -> Step:
        """Another phase made in this step (a multi-asset), timed from ``started`` (default: the step's start)."""
        other = Step(phase, self.vidgen, self.request, self.run_id, started or self.started)
        other.__dict__.update({k: v for k, v in self.__dict__.items() if k in _SHARED})
        return other

    @cached_property
    def store(self) -> BlobStore:
        return self.vidgen.store()

    @cached_property
    def providers(self) -> Providers:
        return self.vidgen.providers(self.request.video_id)

    @cached_property
    def calls(self) -> CallCache:
        return self.vidgen.calls(self.request, self.run_id)

    @cached_property
    def progress(self) -> Progress:
        return self.vidgen.progress(self.request.video_id)

    def result(
        self,
        value: BaseModel,
        *,
        costs: list[CostLine],
        provider: str,
        model: str,
        version: str,
        list_price: float | None = None,
        checks: list[Outcome] | None = None,
        tags: dict[str, str] | None = None,
        **extra: Any,
    ) -> dg.MaterializeResult:
        """The manifest with its metadata, check results, data version and event tags."""
        return dg.MaterializeResult(
            asset_key=self.phase.value,
            value=value,
            metadata=phase_metadata(self.phase, costs, provider, model, self.started, list_price, **extra),
            check_results=check_results(self.phase.value, checks or []),
            data_version=dg.DataVersion(version),
            tags=tags,
        )


@contextmanager
def step(
    context: dg.AssetExecutionContext,
    vidgen: VidgenResource,
    phase: Phase,
    find: Callable[[], GenerationRequest] | None = None,
) -> Iterator[Step]:
    """Run one phase of the partition's video: its start reported, vidgen errors as failures that say what to do.

    ``find`` gives the video's request when the stored one is not enough (the spec reads the launchpad config).
    """
    with user_errors():
        found = find() if find else vidgen.requests().request(context.partition_key)
        current = Step(phase, vidgen, found, context.run.run_id)
        _tag_process(context, vidgen.settings().heartbeat_s, vidgen.settings().executor)
        current.progress(phase, 0, 1)
        with Heartbeat(vidgen.requests(), found.video_id, vidgen.settings().heartbeat_s):
            yield current


def _tag_process(context: dg.AssetExecutionContext, heartbeat_s: float, executor: str) -> None:
    """Name the process running this step on the run, so the run is known dead if the process dies."""
    tags = process_tags(context.run.run_id, heartbeat_s, executor)
    if any(context.run.tags.get(k) != v for k, v in tags.items()):
        context.instance.add_run_tags(context.run.run_id, tags)


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
