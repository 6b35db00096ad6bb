"""Running Replicate predictions so that failures are clear and nothing is paid for twice.

A prediction is created (429 honoured with its ``retry_after``; POST is never retried by the client), its id is
written to a journal at once, then it is polled with a deadline (5xx and timeouts back off and retry). A retried
step finds the id in the journal and resumes polling the same prediction. Outputs are downloaded immediately,
because Replicate deletes them after an hour.

Replicate bills models priced by hardware time for the time a prediction ran, also when it then failed or was
canceled (an aborted one never ran); models priced per output bill nothing without one. A caller of a time-priced
model passes ``bill`` to price a failed prediction's metrics; those lines ride on the error, or on the result when a
later attempt succeeds (``Finished.failed_costs``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pydantic.v1
import replicate
from replicate.exceptions import ReplicateError

from vidgen_core.domain.errors import ProviderError, scrub
from vidgen_core.domain.models import CostLine
from vidgen_core.domain.ports import Journal
from vidgen_core.domain.stopping import pause
from vidgen_core.settings import Settings

PROVIDER = "replicate"
TERMINAL = {"succeeded", "failed", "canceled", "aborted"}
TRANSIENT_ERROR = re.compile(r"interrupted|please retry|timed? ?out|temporar|unavailable|capacity|internal", re.I)
DOWNLOAD_ATTEMPTS = 3


@dataclass
class Finished:
    """A succeeded prediction with its outputs already downloaded."""

    prediction_id: str
    outputs: list[bytes]
    metrics: dict[str, Any] = field(default_factory=dict)
    resumed: bool = False
    failed_costs: list[CostLine] = field(default_factory=list)  # billed for earlier attempts that failed


class ReplicateRunner:
    """Creates, resumes, polls and downloads predictions for one Replicate account."""

    def __init__(self, settings: Settings, sleep: Callable[[float], None] = pause) -> None:
        self.settings, self.sleep = settings, sleep
        self._token = settings.replicate_api_token.get_secret_value() if settings.replicate_api_token else None
        self._retry_after = threading.local()
        self.client = replicate.Client(
            api_token=self._token,
            base_url=settings.replicate_base_url,
            event_hooks={"response": [self._remember_retry_after]},
        )
        self.client.poll_interval = settings.replicate_poll_interval_s

    def run(
        self,
        ref: str,
        inputs: dict[str, Any],
        files: dict[str, Path],
        *,
        model: str,
        item: str,
        journal: Journal,
        bill: Callable[[dict[str, Any]], CostLine | None] | None = None,
    ) -> Finished:
        """One output of ``ref`` for ``inputs`` (+ ``files`` uploaded as inputs), resuming a journaled prediction.

        ``bill`` prices what a failed or canceled prediction was billed, from its metrics (None: nothing).
        """
        fingerprint = _fingerprint(ref, inputs, files)
        record = journal.load()
        last_error = ""
        billed: list[CostLine] = []
        for attempt in range(self.settings.replicate_attempts):
            resumable = record and record.get("fingerprint") == fingerprint and record.get("status") != "failed"
            if resumable:
                prediction_id, resumed = record["id"], True  # type: ignore[index]
            else:
                prediction_id, resumed = self._create(ref, inputs, files, model, item), False
                journal.save(
                    {
                        "id": prediction_id,
                        "fingerprint": fingerprint,
                        "model": model,
                        "status": "created",
                        "attempt": attempt,
                    }
                )
            prediction = self._wait(prediction_id, model, item)
            status = prediction["status"]
            if status == "succeeded":
                if prediction.get("data_removed") or prediction.get("output") is None:
                    record, last_error = None, "its output was already deleted by Replicate (older than an hour)"
                    continue
                journal.save({"id": prediction_id, "fingerprint": fingerprint, "model": model, "status": status})
                outputs = [self._download(u, model, item) for u in _urls(prediction["output"])]
                return Finished(prediction_id, outputs, prediction.get("metrics") or {}, resumed, billed)
            last_error = prediction.get("error") or status
            if bill and status in ("failed", "canceled") and (line := bill(prediction.get("metrics") or {})):
                billed.append(line)
            journal.save({"id": prediction_id, "fingerprint": fingerprint, "model": model, "status": "failed"})
            record = None
            if status == "canceled":
                raise ProviderError(PROVIDER, model, f"prediction {prediction_id} was canceled", item, costs=billed)
            if status == "failed" and not TRANSIENT_ERROR.search(str(last_error)):
                reason = f"prediction {prediction_id} failed: {last_error}"
                raise ProviderError(PROVIDER, model, reason, item, costs=billed)
        raise ProviderError(
            PROVIDER,
            model,
            f"{self.settings.replicate_attempts} predictions failed; last: {last_error}",
            item,
            retryable=True,
            costs=billed,
        )

    def check_version(self, owner_name: str, version: str, model: str) -> None:
        """Fail early and clearly when a community model's version is gone."""
        try:
            self.client.models.get(owner_name).versions.get(version)
        except ReplicateError as exc:
            raise self._error(exc, model, f"version {version[:12]}") from None

    def _remember_retry_after(self, response: httpx.Response) -> None:
        if response.status_code == 429:
            response.read()
            try:
                body = response.json()
            except ValueError:
                body = {}
            value = body.get("retry_after") or response.headers.get("retry-after")
            self._retry_after.value = float(value) if value else None

    def _create(self, ref: str, inputs: dict[str, Any], files: dict[str, Path], model: str, item: str) -> str:
        throttled = 0
        failures = 0
        while True:
            handles = {name: path.open("rb") for name, path in files.items()}
            try:
                payload = inputs | handles
                if ":" in ref:  # community model, run by version
                    prediction = self.client.predictions.create(version=ref.split(":", 1)[1], input=payload)
                else:
                    prediction = self.client.predictions.create(model=ref, input=payload)
                return prediction.id
            except ReplicateError as exc:
                if exc.status == 429 and throttled < self.settings.replicate_max_throttle_waits:
                    throttled += 1
                    wait = getattr(self._retry_after, "value", None) or self.settings.replicate_backoff_s
                    self.sleep(wait)
                    continue
                if exc.status and exc.status >= 500 and failures < self.settings.replicate_attempts:
                    failures += 1
                    self.sleep(self.settings.replicate_backoff_s * 2 ** (failures - 1))
                    continue
                raise self._error(exc, model, item) from None
            except httpx.TransportError as exc:
                raise ProviderError(
                    PROVIDER, model, f"cannot reach Replicate to create a prediction: {exc}", item, retryable=True
                ) from None
            finally:
                for handle in handles.values():
                    handle.close()

    def _wait(self, prediction_id: str, model: str, item: str) -> dict[str, Any]:
        deadline = time.monotonic() + self.settings.replicate_deadline_s
        failures = 0
        while True:
            try:
                prediction = self.client.predictions.get(prediction_id).dict()
                failures = 0
            except pydantic.v1.ValidationError:  # replicate 1.0.7 cannot parse the newer "aborted" status
                prediction = {"status": "aborted", "error": "the prediction was aborted by Replicate"}
            except ReplicateError as exc:
                if not (exc.status and (exc.status >= 500 or exc.status == 429)):
                    raise self._error(exc, model, item) from None
                prediction, failures = {"status": "unreachable"}, failures + 1
            except httpx.TransportError:
                prediction, failures = {"status": "unreachable"}, failures + 1
            if prediction["status"] in TERMINAL:
                return prediction
            if time.monotonic() > deadline:
                raise ProviderError(
                    PROVIDER,
                    model,
                    f"prediction {prediction_id} gave no result within {self.settings.replicate_deadline_s:g} s",
                    item,
                    retryable=True,
                )
            self.sleep(
                min(self.settings.replicate_backoff_s * 2 ** (failures - 1), 30)
                if failures
                else self.client.poll_interval
            )

    def _download(self, url: str, model: str, item: str) -> bytes:
        if url.startswith("data:"):
            return base64.b64decode(url.split(",", 1)[1])
        for attempt in range(DOWNLOAD_ATTEMPTS):
            try:
                response = httpx.get(url, timeout=self.settings.replicate_download_timeout_s, follow_redirects=True)
                if response.status_code < 500:
                    response.raise_for_status()
                    return response.content
            except httpx.HTTPStatusError as exc:
                raise ProviderError(
                    PROVIDER, model, f"output download failed: HTTP {exc.response.status_code}", item
                ) from None
            except httpx.TransportError:
                pass
            self.sleep(self.settings.replicate_backoff_s * 2**attempt)
        raise ProviderError(PROVIDER, model, "output download kept failing", item, retryable=True)

    def _error(self, exc: ReplicateError, model: str, item: str) -> ProviderError:
        reasons = {
            401: "the API token was rejected (401); check REPLICATE_API_TOKEN",
            402: "insufficient credit (402); add credit to the Replicate account",
            404: "the model or version does not exist (404)",
        }
        reason = reasons.get(exc.status or 0) or f"{exc.title or 'HTTP ' + str(exc.status)}: {exc.detail or ''}"
        if exc.status == 429:
            reason = f"still throttled after {self.settings.replicate_max_throttle_waits} waits: {exc.detail}"
        return ProviderError(
            PROVIDER,
            model,
            scrub(reason.strip(), self._token),
            item,
            retryable=exc.status == 429 or (exc.status or 0) >= 500,
        )


def _urls(output: Any) -> list[str]:
    if isinstance(output, str):
        return [output]
    if isinstance(output, list):
        return [u for o in output for u in _urls(o)]
    raise ValueError(f"unexpected prediction output {output!r}")


def _fingerprint(ref: str, inputs: dict[str, Any], files: dict[str, Path]) -> str:
    hashed = {name: hashlib.sha256(path.read_bytes()).hexdigest() for name, path in files.items()}
    blob = json.dumps({"ref": ref, "inputs": inputs, "files": hashed}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()
