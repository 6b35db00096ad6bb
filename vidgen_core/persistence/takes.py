"""The takes table: every take of each regenerated beat, the one selected last current. Only rows and queries:
the rules (numbering, the prompts a take keeps, what it may cost) are ``pipeline.takes``'."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from vidgen_core.domain.models import Take
from vidgen_core.persistence.db import locked, metadata, open_engine, utc_fields, utcnow

takes_table = sa.Table(
    "beat_takes",
    metadata,
    sa.Column("video_id", sa.String(64), primary_key=True),
    sa.Column("beat_index", sa.Integer, primary_key=True),
    sa.Column("take", sa.Integer, primary_key=True),
    sa.Column("image_prompt", sa.Text),
    sa.Column("motion_prompt", sa.Text),
    sa.Column("run_id", sa.String(64)),  # the run that asked for it (so a retried run does not add another)
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("selected_at", sa.DateTime(timezone=True), nullable=False),  # the newest selected is current
)
_c = takes_table.c


def _take(row: sa.Row[Any]) -> Take:
    return Take.model_validate(utc_fields(row))


class TakeDB:
    """Reads and writes beat takes. Cheap to make (engines are shared per URL); safe to share between threads."""

    def __init__(self, url: str) -> None:
        self.engine = open_engine(url, takes_table)

    def all(self, video_id: str) -> list[Take]:
        """Every take of every beat of a video, oldest first."""
        query = sa.select(takes_table).where(_c.video_id == video_id).order_by(_c.beat_index, _c.take)
        with self.engine.connect() as conn:
            return [_take(row) for row in conn.execute(query)]

    def current(self, video_id: str) -> list[Take]:
        """Each regenerated beat's current take (the one selected last); beats never regenerated are absent."""
        query = sa.select(takes_table).where(_c.video_id == video_id).order_by(_c.beat_index, _c.selected_at, _c.take)
        with self.engine.connect() as conn:
            return list({row.beat_index: _take(row) for row in conn.execute(query)}.values())

    def select(self, video_id: str, beat_index: int, take: int) -> bool:
        """Make a stored take current again; False if the beat has no such row."""
        where = (_c.video_id == video_id, _c.beat_index == beat_index, _c.take == take)
        with self.engine.begin() as conn:
            return conn.execute(takes_table.update().where(*where).values(selected_at=utcnow())).rowcount > 0

    @contextmanager
    def beat(self, video_id: str, beat_index: int) -> Iterator[BeatTakes]:
        """One beat's takes in a transaction that holds the video's takes lock, so that reading the last take and
        adding the next cannot interleave with another writer."""
        with locked(self.engine, f"takes:{video_id}") as conn:
            yield BeatTakes(conn, video_id, beat_index)


@dataclass(frozen=True)
class BeatTakes:
    """One beat's takes inside ``TakeDB.beat``'s transaction."""

    conn: sa.Connection
    video_id: str
    beat_index: int

    def _rows(self) -> sa.Select[Any]:
        return sa.select(takes_table).where(_c.video_id == self.video_id, _c.beat_index == self.beat_index)

    def of_run(self, run_id: str) -> Take | None:
        """The take the run ``run_id`` asked for, if it did."""
        row = self.conn.execute(self._rows().where(_c.run_id == run_id)).first()
        return _take(row) if row else None

    def latest(self) -> tuple[Take | None, int]:
        """In one read: the take selected last (None for a beat never regenerated) and the highest take number
        stored (0 for none)."""
        rows = self.conn.execute(self._rows().order_by(_c.selected_at, _c.take)).all()
        return (_take(rows[-1]) if rows else None), max((row.take for row in rows), default=0)

    def add(self, take: Take, run_id: str | None = None) -> Take:
        """Store ``take`` as the beat's current one (asked for by ``run_id``, if given)."""
        self.conn.execute(
            takes_table.insert().values(
                video_id=self.video_id,
                run_id=run_id,
                selected_at=utcnow(),
                **take.model_dump(include=set(takes_table.c.keys())),
            )
        )
        return take
