"""The one door for provider calls: a content-addressed cache in front, the spend ledger and the budget behind.

A call's key hashes the provider, the model, the normalized inputs, the hashes of its input files and the beat's
take. Its outputs live under the owner's prefix (``{user}/cache/..``), so a retry, a re-run, a resume after a crash
or going back to an earlier take finds them and pays nothing; another user never does.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vidgen_core.adapters.storage import BlobStore, CacheKeys
from vidgen_core.adapters.storage.journal import StoreJournal
from vidgen_core.domain.errors import ProviderError
from vidgen_core.domain.models import CostLine, Phase, total_usd
from vidgen_core.domain.ports import Journal
from vidgen_core.domain.stopping import Stopped, run_stop, watching
from vidgen_core.persistence.ledger import CallEntry, Ledger
from vidgen_core.persistence.trouble import describe_error

log = logging.getLogger("vidgen.calls")


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Call:
    """One provider call, described by everything its output depends on."""

    phase: Phase
    item: str
    provider: str
    model: str
    inputs: dict[str, Any]
    files: dict[str, Path] = field(default_factory=dict)
    beat_index: int | None = None
    take: int = 0
    estimate_usd: float = 0.0
    hold_usd: float | None = None  # what the budget holds while it runs, if more than the estimate (GPU time)

    def key(self) -> str:
        """The content address: provider, model, normalized inputs, input-file hashes and take."""
        parts = {
            "provider": self.provider,
            "model": self.model,
            "inputs": self.inputs,
            "files": {name: file_hash(path) for name, path in sorted(self.files.items())},
            "take": self.take,
        }
        return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class Made:
    """What a provider call produced: output files by name, and what it cost."""

    files: dict[str, Path]
    costs: list[CostLine]


@dataclass
class Outcome:
    """A call's outputs in the store (keys by name), whether they came from the cache, and what was paid now."""

    key: str
    outputs: dict[str, str]
    costs: list[CostLine]
    reused: bool

    @property
    def cost_usd(self) -> float:
        return total_usd(self.costs)


_SLOTS: dict[tuple[str, int], threading.BoundedSemaphore] = {}
_SLOTS_LOCK = threading.Lock()


def slots(provider: str, limit: int) -> threading.BoundedSemaphore:
    """The process-wide bound on ``provider``'s calls in flight, shared by every video and phase in the process."""
    with _SLOTS_LOCK:
        return _SLOTS.setdefault((provider, limit), threading.BoundedSemaphore(limit))


class CallCache:
    """Makes calls for one video: cache lookup, budget reservation, the call, its outputs stored, the ledger row.

    ``in_flight(provider)`` bounds the calls made at once in this process, per provider (cache hits are not bounded).
    Once ``stop`` is set no new call starts and calls in flight stop at their next wait (see ``stopping``).
    """

    def __init__(
        self,
        store: BlobStore,
        ledger: Ledger,
        user_id: str,
        video_id: str,
        budget_usd: float | None = None,
        run_id: str | None = None,
        in_flight: Callable[[str], int] | None = None,
        batch_id: str | None = None,
        batch_budget_usd: float | None = None,
    ) -> None:
        self.store, self.ledger = store, ledger
        self.user_id, self.video_id, self.budget_usd, self.run_id = user_id, video_id, budget_usd, run_id
        self.in_flight, self.batch_id, self.batch_budget_usd = in_flight, batch_id, batch_budget_usd
        self.stop = run_stop(run_id)

    def run(self, call: Call, make: Callable[[Path, Journal], Made]) -> Outcome:
        """The outputs of ``call``: from the cache if they exist, else made by ``make(tmp_dir, journal)``. The same
        call asked for twice at once (a line said in two beats) is made once: the second waits and reuses it."""
        key = call.key()
        with _one_at_a_time(key):
            return self._run(call, key, make)

    def _run(self, call: Call, key: str, make: Callable[[Path, Journal], Made]) -> Outcome:
        entry = CacheKeys(self.user_id, key)
        ledger_entry = CallEntry(
            video_id=self.video_id,
            user_id=self.user_id,
            phase=call.phase,
            item=call.item,
            provider=call.provider,
            model=call.model,
            cache_key=key,
            beat_index=call.beat_index,
            take=call.take,
            estimate_usd=call.estimate_usd,
            held_usd=call.hold_usd,
            run_id=self.run_id,
            batch_id=self.batch_id,
        )
        if self.store.exists(entry.record()):
            record = json.loads(self.store.get_bytes(entry.record()))
            self.ledger.reused(ledger_entry)
            log.info("%s %s: reused (cache %s)", call.phase, call.item, key[:12])
            return Outcome(key, record["outputs"], [], reused=True)
        if self.stop.is_set():
            raise Stopped()
        row = self.ledger.reserve(ledger_entry, self.budget_usd, self.batch_budget_usd)  # BudgetExceeded: none spent
        journal = StoreJournal(self.store, entry.journal())
        try:
            with self._slot(call.provider), tempfile.TemporaryDirectory() as tmp, watching(self.stop):
                made = make(Path(tmp), journal)
                outputs = {name: entry.output(name) for name in made.files}
                for name, path in made.files.items():
                    self.store.put_file(outputs[name], path)
        except Stopped:  # cut off, not failed: the reservation and the journal stay for the resume
            raise
        except Exception as exc:  # recorded as failed (with the prediction and what it billed), then raised
            billed = _charged(exc.costs) if isinstance(exc, ProviderError) else 0.0
            self.ledger.failed(row, describe_error(exc), _prediction(journal), billed)
            raise
        prediction = _prediction(journal)
        record = {
            "call": {"phase": call.phase, "item": call.item, "provider": call.provider, "model": call.model},
            "inputs": call.inputs,
            "take": call.take,
            "outputs": outputs,
            "costs": [c.model_dump(mode="json") for c in made.costs],
            "prediction_id": prediction,
        }
        self.store.put_bytes(entry.record(), json.dumps(record, indent=2, default=str).encode())
        self.ledger.paid(row, _charged(made.costs), prediction)
        return Outcome(key, outputs, made.costs, reused=False)

    def _slot(self, provider: str) -> threading.BoundedSemaphore | contextlib.nullcontext[None]:
        return slots(provider, self.in_flight(provider)) if self.in_flight else contextlib.nullcontext()


_held: dict[str, tuple[threading.Lock, int]] = {}  # a call key being made in this process: its lock, its callers
_holding = threading.Lock()


@contextlib.contextmanager
def _one_at_a_time(key: str) -> Iterator[None]:
    """Hold ``key``'s lock: one caller at a time makes (or reuses) a call; the lock is dropped with its last caller."""
    with _holding:
        lock, callers = _held.get(key, (threading.Lock(), 0))
        _held[key] = (lock, callers + 1)
    try:
        with lock:
            yield
    finally:
        with _holding:
            lock, callers = _held[key]
            if callers == 1:
                del _held[key]
            else:
                _held[key] = (lock, callers - 1)


def _charged(costs: list[CostLine]) -> float:
    """What the provider charged, unrounded: the ledger keeps micro-dollars, so its sums equal the provider's bill."""
    return sum(line.usd for line in costs)


def _prediction(journal: StoreJournal) -> str | None:
    record = journal.load()
    return str(record["id"]) if record and record.get("id") else None
