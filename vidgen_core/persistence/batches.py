"""The batches table: one row per batch of ads, stored with its videos' requests all or nothing; and a batch's
progress, read from those requests and the ledger."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, Field, ValidationInfo, field_validator

from vidgen_core.domain.errors import NotFound, TooBusy
from vidgen_core.domain.models import STORED, GenerationRequest, stored_cap
from vidgen_core.persistence.db import locked, metadata, open_engine, utc_fields
from vidgen_core.persistence.ledger import Ledger
from vidgen_core.persistence.requests import ACTIVE, RequestDB, RequestRecord, Status, insert_request, requests_table

BATCH_TITLE_MAX_CHARS = 200

batches_table = sa.Table(
    "video_batches",
    metadata,
    sa.Column("batch_id", sa.String(40), primary_key=True),
    sa.Column("user_id", sa.String(64), nullable=False, index=True),
    sa.Column("title", sa.String(BATCH_TITLE_MAX_CHARS), nullable=False),
    sa.Column("videos", sa.Integer, nullable=False),
    sa.Column("estimate_usd", sa.Float, nullable=False),
    sa.Column("max_cost_usd", sa.Float),  # the batch's spending cap; None: only each video's own
    sa.Column("backfill_id", sa.String(64)),  # the Dagster partition backfill, once launched
    sa.Column("error", sa.Text),  # why it is not launched yet
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)


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


class BatchDB:
    """Stores batches with their videos' requests, and reports their progress."""

    def __init__(self, url: str) -> None:
        self.requests = RequestDB(url)
        self.engine = open_engine(url, batches_table)

    def store(
        self, batch: BatchRecord, requests: list[GenerationRequest], max_active: int | None = None
    ) -> BatchRecord:
        """Store the batch and its videos' requests, all or nothing; refuse (TooBusy) a user with ``max_active``
        batches still in flight."""
        with locked(self.engine, f"user:{batch.user_id}") as conn:
            if max_active is not None:
                busy = self._in_flight(conn, batch.user_id)
                if len(busy) >= max_active:
                    raise TooBusy(batch.user_id, busy, max_active, "batch")
            conn.execute(batches_table.insert().values(**batch.model_dump()))
            for request in requests:
                insert_request(conn, request)
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
        return BatchRecord.model_validate(utc_fields(row), context={STORED: True})

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
