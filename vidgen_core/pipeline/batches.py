"""Batches of ads: the rows of a CSV or JSONL file checked and priced together, then stored as one video each.

A batch is stored whole or not at all. Its videos are made by one Dagster partition backfill (launched by the
caller); the batch's spending cap is checked by the ledger before every call of every one of its videos.
"""

from __future__ import annotations

import csv
import io
import json
import math
import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, Field, ValidationInfo, field_validator

from vidgen_core.domain.costs import check_request_budget
from vidgen_core.domain.errors import BudgetExceeded, InvalidRequest, NotFound, TooBusy
from vidgen_core.domain.models import STORED, GenerationRequest, stored_cap
from vidgen_core.persistence.ledger import Ledger
from vidgen_core.persistence.records import (
    ACTIVE,
    RequestDB,
    RequestRecord,
    Status,
    batches_table,
    insert_request,
    locked,
    new_request_id,
    requests_table,
)
from vidgen_core.pipeline.requests import build_request, check_providers
from vidgen_core.settings import Settings

# A row's columns (CSV header or JSONL keys); only ``prompt`` is required.
COLUMNS = ("prompt", "title", "duration", "aspect", "model", "user", "max_cost")
BATCH_TITLE_MAX_CHARS = 200  # the batches table's title column
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


class BatchRecord(BaseModel):
    """One stored batch."""

    batch_id: str
    user_id: str
    title: str
    videos: int
    estimate_usd: float
    max_cost_usd: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    backfill_id: str | None = None
    error: str | None = None
    created_at: datetime

    @field_validator("max_cost_usd", mode="before")
    @classmethod
    def _stored_infinity(cls, value: Any, info: ValidationInfo) -> Any:
        return stored_cap(value, info)


class BatchVideo(BaseModel):
    """One video of a batch, as the batch's status shows it."""

    video_id: str
    title: str
    prompt: str
    status: Status
    progress: float
    spent_usd: float
    error: str | None = None


class BatchState(BaseModel):
    """A batch's progress: counts by status, what it spent against its cap, and each video."""

    batch: BatchRecord
    counts: dict[str, int]
    done: bool
    spent_usd: float
    videos: list[BatchVideo]


def new_batch_id() -> str:
    return f"bat-{uuid.uuid4().hex[:12]}"


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


class BatchDB:
    """Stores batches with their videos' requests, and reports their progress."""

    def __init__(self, url: str) -> None:
        self.requests = RequestDB(url)
        self.engine = self.requests.engine

    def store(self, batch: BatchRecord, checked: CheckedBatch, max_active: int | None = None) -> BatchRecord:
        """Store the batch and one request per good row, all or nothing; refuse (TooBusy) a user with
        ``max_active`` batches still in flight."""
        with locked(self.engine, f"user:{batch.user_id}") as conn:
            if max_active is not None:
                busy = self._in_flight(conn, batch.user_id)
                if len(busy) >= max_active:
                    raise TooBusy(batch.user_id, busy, max_active, "batch")
            conn.execute(batches_table.insert().values(**batch.model_dump()))
            for row in checked.rows:
                insert_request(conn, row.request)
        return self.get(batch.batch_id)

    def _in_flight(self, conn: sa.Connection, user_id: str) -> list[str]:
        c = requests_table.c
        query = (
            sa.select(c.batch_id)
            .where(c.user_id == user_id, c.batch_id.is_not(None), c.status.in_(ACTIVE))
            .group_by(c.batch_id)
        )
        return [str(b) for b in conn.execute(query).scalars()]

    def get(self, batch_id: str, user_id: str | None = None) -> BatchRecord:
        """A batch (of ``user_id``, if given: another user's batch is not found)."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(batches_table).where(batches_table.c.batch_id == batch_id)).first()
        if row is None or (user_id is not None and row.user_id != user_id):
            raise NotFound(f"no batch {batch_id!r}; `vidgen batch FILE` prints the ids it makes")
        data = dict(row._mapping)
        data["created_at"] = data["created_at"].replace(tzinfo=data["created_at"].tzinfo or UTC)
        return BatchRecord.model_validate(data, context={STORED: True})

    def withdraw(self, batch_id: str) -> None:
        """Delete a batch that was never launched, with its requests (none of them has run)."""
        c = batches_table.c
        with self.engine.begin() as conn:
            if conn.execute(batches_table.delete().where(c.batch_id == batch_id, c.backfill_id.is_(None))).rowcount:
                conn.execute(requests_table.delete().where(requests_table.c.batch_id == batch_id))

    def update(self, batch_id: str, **fields: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(batches_table.update().where(batches_table.c.batch_id == batch_id).values(**fields))

    def videos(self, batch_id: str) -> list[RequestRecord]:
        """The batch's videos, in file order."""
        return self.requests.in_batch(batch_id)

    def state(self, batch_id: str, ledger: Ledger, user_id: str | None = None) -> BatchState:
        """Where the batch stands: each video's status and spend, counts, and whether every video has ended."""
        batch = self.get(batch_id, user_id)
        records = self.videos(batch_id)
        spent = ledger.batch_spent(batch_id)
        counts = {s.value: 0 for s in Status}
        for r in records:
            counts[r.status.value] += 1
        videos = [
            BatchVideo(
                video_id=r.video_id,
                title=r.title,
                prompt=r.prompt,
                status=r.status,
                progress=r.progress,
                spent_usd=spent.get(r.video_id, 0.0),
                error=r.error,
            )
            for r in records
        ]
        return BatchState(
            batch=batch,
            counts=counts,
            done=bool(records) and not any(r.active for r in records),
            spent_usd=round(sum(spent.values()), 4),
            videos=videos,
        )


def check_batch_budget(request: GenerationRequest, batch: BatchRecord, ledger: Ledger, estimate_usd: float) -> None:
    """Before a batch's video spends anything: refuse it if the batch's cap cannot cover its estimate."""
    if batch.max_cost_usd is None:
        return
    committed = ledger.batch_committed(batch.batch_id)
    if committed + estimate_usd > batch.max_cost_usd + 1e-9:
        raise BudgetExceeded(
            request.video_id, estimate_usd, committed, batch.max_cost_usd, f"video {request.video_id}", batch.batch_id
        )
