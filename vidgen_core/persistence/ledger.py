"""The spend ledger table: one row per provider call a video made or reused, in the requests database.

A call first reserves its estimate (refused if it would pass the video's budget), then becomes paid (with what the
provider charged), failed (with what the provider charged all the same: a rejected answer, GPU time that ran), or,
for a cache hit, reused. A video's cost is the sum of its billed rows, paid and failed, over all runs.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from pydantic import BaseModel

from vidgen_core.domain.errors import BudgetExceeded
from vidgen_core.domain.models import Phase
from vidgen_core.persistence.db import locked, metadata, open_engine, utc_fields, utcnow


class CallState(StrEnum):
    RESERVED = "reserved"
    PAID = "paid"
    FAILED = "failed"
    REUSED = "reused"


BILLED = (CallState.PAID, CallState.FAILED)  # the provider charged for these (a failed call's actual_usd may be 0)

ledger_table = sa.Table(
    "spend_ledger",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("video_id", sa.String(64), nullable=False, index=True),
    sa.Column("user_id", sa.String(64), nullable=False),
    sa.Column("batch_id", sa.String(40), index=True),
    sa.Column("run_id", sa.String(64)),
    sa.Column("phase", sa.String(32), nullable=False),
    sa.Column("beat_index", sa.Integer),
    sa.Column("take", sa.Integer, nullable=False),
    sa.Column("item", sa.String(120), nullable=False),
    sa.Column("provider", sa.String(32), nullable=False),
    sa.Column("model", sa.String(64), nullable=False),
    sa.Column("cache_key", sa.String(64), nullable=False),
    sa.Column("prediction_id", sa.String(120)),
    sa.Column("estimate_usd", sa.Float, nullable=False),
    sa.Column("held_usd", sa.Float),  # held while reserved instead of the estimate (GPU time is known only after)
    sa.Column("actual_usd", sa.Float, nullable=False, default=0.0),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)


class LedgerRow(BaseModel):
    id: int
    video_id: str
    user_id: str
    batch_id: str | None = None
    run_id: str | None
    phase: Phase
    beat_index: int | None
    take: int
    item: str
    provider: str
    model: str
    cache_key: str
    prediction_id: str | None
    estimate_usd: float
    held_usd: float | None = None
    actual_usd: float
    state: CallState
    error: str | None
    created_at: datetime
    updated_at: datetime


class CallEntry(BaseModel):
    """What the ledger needs to know about one call before it is made."""

    video_id: str
    user_id: str
    phase: Phase
    item: str
    provider: str
    model: str
    cache_key: str
    beat_index: int | None = None
    take: int = 0
    estimate_usd: float = 0.0
    held_usd: float | None = None  # held instead of the estimate while reserved (calls billed by GPU time)
    run_id: str | None = None
    batch_id: str | None = None

    @property
    def hold(self) -> float:
        """What the budget holds while the call runs."""
        return max(self.estimate_usd, self.held_usd or 0.0)


class Ledger:
    """Reads and writes the spend ledger. Cheap to make; safe to share between threads."""

    def __init__(self, url: str) -> None:
        self.engine = open_engine(url, ledger_table)

    def reserve(self, entry: CallEntry, budget_usd: float | None, batch_budget_usd: float | None = None) -> int:
        """Reserve a call's estimate and return its row id, or raise BudgetExceeded and reserve nothing.

        The video's budget and its batch's (``batch_budget_usd``) are both checked. A call reserved before (by a run
        that died mid-call) keeps its row: resuming it adds nothing.
        """
        c = ledger_table.c
        scope = f"ledger:batch:{entry.batch_id}" if entry.batch_id else f"ledger:{entry.video_id}"
        with locked(self.engine, scope) as conn:
            again = conn.execute(
                sa.select(c.id).where(
                    c.video_id == entry.video_id, c.cache_key == entry.cache_key, c.state == CallState.RESERVED
                )
            ).scalar()
            if again is not None:
                conn.execute(
                    ledger_table.update().where(c.id == again).values(run_id=entry.run_id, updated_at=utcnow())
                )
                return int(again)
            if budget_usd is not None:
                committed = _committed(conn, entry.video_id)
                if committed + entry.hold > budget_usd + 1e-9:
                    raise BudgetExceeded(
                        entry.video_id, entry.hold, committed, budget_usd, f"{entry.phase} {entry.item}"
                    )
            if entry.batch_id and batch_budget_usd is not None:
                committed = _committed(conn, entry.batch_id, c.batch_id)
                if committed + entry.hold > batch_budget_usd + 1e-9:
                    what = f"{entry.phase} {entry.item} of video {entry.video_id}"
                    raise BudgetExceeded(entry.video_id, entry.hold, committed, batch_budget_usd, what, entry.batch_id)
            now = utcnow()
            row = conn.execute(
                ledger_table.insert().values(
                    **entry.model_dump() | {"held_usd": entry.hold if entry.held_usd is not None else None},
                    state=CallState.RESERVED,
                    actual_usd=0.0,
                    created_at=now,
                    updated_at=now,
                )
            )
            return int(row.inserted_primary_key[0])

    def paid(self, row_id: int, actual_usd: float, prediction_id: str | None) -> None:
        self._set(row_id, state=CallState.PAID, actual_usd=round(actual_usd, 6), prediction_id=prediction_id)

    def failed(self, row_id: int, error: str, prediction_id: str | None = None, actual_usd: float = 0.0) -> None:
        """Record a failed call at what the provider billed for it (nothing, unless it answered or ran)."""
        self._set(
            row_id,
            state=CallState.FAILED,
            error=error[:2000],
            prediction_id=prediction_id,
            actual_usd=round(actual_usd, 6),
        )

    def reused(self, entry: CallEntry) -> None:
        """Record a cache hit: the output was already paid for, so nothing is spent."""
        now = utcnow()
        with self.engine.begin() as conn:
            conn.execute(
                ledger_table.insert().values(
                    **entry.model_dump(), state=CallState.REUSED, actual_usd=0.0, created_at=now, updated_at=now
                )
            )

    def _set(self, row_id: int, **fields: object) -> None:
        with self.engine.begin() as conn:
            conn.execute(ledger_table.update().where(ledger_table.c.id == row_id).values(**fields, updated_at=utcnow()))

    def rows(self, video_id: str) -> list[LedgerRow]:
        """Every row of a video, oldest first."""
        query = sa.select(ledger_table).where(ledger_table.c.video_id == video_id).order_by(ledger_table.c.id)
        with self.engine.connect() as conn:
            return [LedgerRow.model_validate(utc_fields(r)) for r in conn.execute(query)]

    def spent(self, video_id: str) -> float:
        """What a video has really cost: the sum of its billed rows (paid and failed), over all its runs."""
        c = ledger_table.c
        query = sa.select(sa.func.coalesce(sa.func.sum(c.actual_usd), 0.0)).where(
            c.video_id == video_id, c.state.in_(BILLED)
        )
        with self.engine.connect() as conn:
            return round(float(conn.execute(query).scalar_one()), 6)

    def committed(self, video_id: str) -> float:
        """Spent plus still reserved: what the budget is checked against."""
        with self.engine.connect() as conn:
            return _committed(conn, video_id)

    def batch_committed(self, batch_id: str) -> float:
        """Spent plus still reserved over every video of a batch: what the batch's cap is checked against."""
        with self.engine.connect() as conn:
            return _committed(conn, batch_id, ledger_table.c.batch_id)

    def batch_spent(self, batch_id: str) -> dict[str, float]:
        """What each video of a batch has really cost (videos that spent nothing are absent)."""
        c = ledger_table.c
        query = (
            sa.select(c.video_id, sa.func.sum(c.actual_usd))
            .where(c.batch_id == batch_id, c.state.in_(BILLED))
            .group_by(c.video_id)
        )
        with self.engine.connect() as conn:
            return {video: round(float(usd), 6) for video, usd in conn.execute(query)}


def _committed(conn: sa.Connection, owner: str, column: sa.ColumnElement | None = None) -> float:
    """Billed plus reserved for one video (or, with ``column``, one batch)."""
    c = ledger_table.c
    paid = sa.func.coalesce(sa.func.sum(sa.case((c.state.in_(BILLED), c.actual_usd), else_=0.0)), 0.0)
    holding = sa.func.coalesce(c.held_usd, c.estimate_usd)  # a hold is never below its estimate
    held = sa.func.coalesce(sa.func.sum(sa.case((c.state == CallState.RESERVED, holding), else_=0.0)), 0.0)
    row = conn.execute(sa.select(paid, held).where((c.video_id if column is None else column) == owner)).one()
    return round(float(row[0]) + float(row[1]), 6)
