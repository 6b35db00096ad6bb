"""Batches of ads: the rows of a CSV or JSONL file checked and priced together, then stored as one video each
(``persistence.batches``).

A batch is stored whole or not at all. Its videos are made by one Dagster partition backfill (launched by the
caller); the batch's spending cap is checked by the ledger before every call of every one of its videos.
"""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

from pydantic import BaseModel

from vidgen_core.domain.costs import check_request_budget
from vidgen_core.domain.errors import BudgetExceeded, InvalidRequest
from vidgen_core.domain.models import GenerationRequest
from vidgen_core.persistence.batches import BatchRecord
from vidgen_core.persistence.ledger import Ledger
from vidgen_core.persistence.requests import new_request_id
from vidgen_core.pipeline.requests import build_request, check_providers
from vidgen_core.settings import Settings

# A row's columns (CSV header or JSONL keys); only ``prompt`` is required.
COLUMNS = ("prompt", "title", "duration", "aspect", "model", "user", "max_cost")
_COLUMN_OF = {"aspect_ratio": "aspect", "max_cost_usd": "max_cost", "user_id": "user"}  # request field -> column


class BadRow(BaseModel):
    """A row that cannot become a video: its line in the file, the column at fault and what to fix."""

    line: int
    field: str | None = None
    error: str


class BatchRow(BaseModel):
    """A row that passed every check: its line, the request it becomes and that request's estimate."""

    line: int
    request: GenerationRequest
    estimate_usd: float


class CheckedBatch(BaseModel):
    """Every row of a batch file, checked: the good ones priced, the bad ones with their line numbers."""

    rows: list[BatchRow]
    bad: list[BadRow]

    @property
    def estimate_usd(self) -> float:
        return round(sum(r.estimate_usd for r in self.rows), 4)

    @property
    def requests(self) -> list[GenerationRequest]:
        """The good rows' requests: what the batch stores."""
        return [r.request for r in self.rows]


def read_rows(text: str, name: str = "") -> list[tuple[int, dict[str, Any]]]:
    """The rows of a batch file with their line numbers: JSONL (one object per line) or CSV with a header line.

    The format comes from the name (``.jsonl``/``.ndjson``, ``.csv``), else from the first character. A line of
    JSONL that is not an object comes back as ``{"__error__": why}`` so it is reported with the other bad rows.
    """
    lowered = name.lower()
    jsonl = lowered.endswith((".jsonl", ".ndjson")) or (not lowered.endswith(".csv") and text.lstrip()[:1] == "{")
    return _jsonl(text) if jsonl else _csv(text)


def _jsonl(text: str) -> list[tuple[int, dict[str, Any]]]:
    rows: list[tuple[int, dict[str, Any]]] = []
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            rows.append((line, {"__error__": f"not valid JSON ({exc.msg} at column {exc.colno})"}))
            continue
        rows.append((line, value if isinstance(value, dict) else {"__error__": "a row must be a JSON object"}))
    return rows


def _csv(text: str) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    if "prompt" not in header:
        raise InvalidRequest(
            f"the CSV's first line must be a header with a `prompt` column (and optionally {', '.join(COLUMNS[1:])})",
            "file",
        )
    rows = []
    for row in reader:
        values = {(k or "").strip(): (v.strip() if isinstance(v, str) else v) for k, v in row.items()}
        if any(v for v in values.values()):
            rows.append((reader.line_num, {k: v for k, v in values.items() if v not in ("", None)}))
    return rows


def _number(row: dict[str, Any], column: str) -> float | None:
    value = row.get(column)
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):
        raise InvalidRequest(f"{column} must be a number, not {str(value)[:40]!r}", column)
    return number


def check_rows(
    rows: list[tuple[int, dict[str, Any]]],
    settings: Settings,
    *,
    batch_id: str,
    user_id: str | None = None,
    default_user: str | None = None,
    planner: str | None = None,
    media: str | None = None,
    need_credentials: bool = True,
) -> CheckedBatch:
    """Check every row as a request of its own (and its estimate against its own cap); nothing is stored.

    ``user_id`` (the API's caller) owns every row, and a row naming another user is refused; otherwise a row's
    ``user`` column, else ``default_user``, owns it.
    """
    check_providers(settings, planner, media, need_credentials)  # once for the file, not once a row
    if not rows:
        raise InvalidRequest("the batch has no rows; give one prompt per row", "file")
    if len(rows) > settings.batch_max_rows:
        raise InvalidRequest(
            f"the batch has {len(rows)} rows; at most {settings.batch_max_rows} go in one batch (split the file)",
            "file",
        )
    good, bad = [], []
    for line, row in rows:
        try:
            owner = user_id or row.get("user") or default_user
            good.append(_check_row(line, row, settings, batch_id, user_id, owner, planner, media, need_credentials))
        except InvalidRequest as exc:
            bad.append(BadRow(line=line, field=_COLUMN_OF.get(exc.field or "", exc.field), error=str(exc)))
    return CheckedBatch(rows=good, bad=bad)


def _check_row(
    line: int,
    row: dict[str, Any],
    settings: Settings,
    batch_id: str,
    user_id: str | None,
    owner: Any,
    planner: str | None,
    media: str | None,
    need_credentials: bool,
) -> BatchRow:
    if "__error__" in row:
        raise InvalidRequest(row["__error__"], None)
    unknown = sorted(set(row) - set(COLUMNS))
    if unknown:
        raise InvalidRequest(f"unknown column {unknown[0]!r}; a row may have {', '.join(COLUMNS)}", unknown[0])
    if user_id is not None and row.get("user") not in (None, user_id):
        raise InvalidRequest(f"a row may only be for you ({user_id}), not {str(row['user'])[:40]!r}", "user")
    text = {k: row[k] for k in ("prompt", "title", "aspect", "model") if k in row}
    if any(not isinstance(v, str) for v in text.values()):
        raise InvalidRequest("prompt, title, aspect and model must be text", "prompt")
    request = build_request(
        text.get("prompt", ""),
        settings,
        duration_s=_number(row, "duration"),
        aspect=text.get("aspect"),
        model=text.get("model"),
        user_id=str(owner) if owner is not None else None,
        title=text.get("title", ""),
        planner=planner,
        media=media,
        max_cost_usd=_number(row, "max_cost"),
        need_credentials=need_credentials,
    ).model_copy(update={"batch_id": batch_id, "request_id": new_request_id()})
    return BatchRow(line=line, request=request, estimate_usd=check_request_budget(request))


def check_batch_budget(request: GenerationRequest, batch: BatchRecord, ledger: Ledger, estimate_usd: float) -> None:
    """Before a batch's video spends anything: refuse it if the batch's cap cannot cover its estimate."""
    if batch.max_cost_usd is None:
        return
    committed = ledger.batch_committed(batch.batch_id)
    if committed + estimate_usd > batch.max_cost_usd + 1e-9:
        raise BudgetExceeded(
            request.video_id, estimate_usd, committed, batch.max_cost_usd, f"video {request.video_id}", batch.batch_id
        )
