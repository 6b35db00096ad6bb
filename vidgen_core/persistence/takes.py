"""The takes tables: every take of each regenerated beat, the one selected last current. A beat has two kinds of
take, numbered apart: a picture take (``beat_takes``: new image and motion prompts, paid as an image and clips) and
a line take (``line_takes``: a new voiceover line or voice, paid as one line's speech). Only rows and queries: the
rules (numbering, what a take keeps, what it may cost) are ``pipeline.takes``'."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar

import sqlalchemy as sa

from vidgen_core.domain.models import Take
from vidgen_core.persistence.db import locked, metadata, open_engine, utc_fields, utcnow

VOICE_MAX_CHARS = 64  # a voice's name, as a line take keeps it (the catalog's longest has 18 characters)


def _takes_table(name: str, *fields: sa.Column[Any]) -> sa.Table:
    """A takes table: one row per take of a beat, with the ``fields`` a take of its kind gives."""
    return sa.Table(
        name,
        metadata,
        sa.Column("video_id", sa.String(64), primary_key=True),
        sa.Column("beat_index", sa.Integer, primary_key=True),
        sa.Column("take", sa.Integer, primary_key=True),
        *fields,
        sa.Column("run_id", sa.String(64)),  # the run that asked for it (so a retried run does not add another)
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("selected_at", sa.DateTime(timezone=True), nullable=False),  # the newest selected is current
    )


takes_table = _takes_table(
    "beat_takes",
    sa.Column("image_prompt", sa.Text),
    sa.Column("motion_prompt", sa.Text),
    sa.Column("aspects", sa.String(64)),  # the aspects it applies to, as "9:16,1:1"; NULL: every aspect
)
line_takes_table = _takes_table(
    "line_takes", sa.Column("line", sa.Text), sa.Column("voice", sa.String(VOICE_MAX_CHARS))
)


def _take(row: sa.Row[Any]) -> Take:
    fields = utc_fields(row)
    if fields.get("aspects") is not None:
        fields["aspects"] = tuple(fields["aspects"].split(","))
    return Take.model_validate(fields)


class TakeDB:
    """Reads and writes beat (picture) takes. Cheap to make (engines are shared per URL); safe to share between
    threads."""

    table: ClassVar[sa.Table] = takes_table
    what: ClassVar[str] = "take"  # how a message names one

    def __init__(self, url: str) -> None:
        self.engine = open_engine(url, self.table)

    def all(self, video_id: str) -> list[Take]:
        """Every take of every beat of a video, oldest first."""
        c = self.table.c
        query = sa.select(self.table).where(c.video_id == video_id).order_by(c.beat_index, c.take)
        with self.engine.connect() as conn:
            return [_take(row) for row in conn.execute(query)]

    def current(self, video_id: str) -> list[Take]:
        """Each regenerated beat's current takes, oldest selected first: the one selected last, and before it each
        take still current in an aspect that no take selected after it applies to (a take made for some aspects
        only leaves the others theirs). Beats never regenerated are absent."""
        c = self.table.c
        query = sa.select(self.table).where(c.video_id == video_id).order_by(c.beat_index, c.selected_at, c.take)
        with self.engine.connect() as conn:
            by_beat: dict[int, list[Take]] = {}
            for row in conn.execute(query):
                by_beat.setdefault(row.beat_index, []).append(_take(row))
        return [take for takes in by_beat.values() for take in _still_current(takes)]

    def select(self, video_id: str, beat_index: int, take: int) -> bool:
        """Make a stored take current again; False if the beat has no such row."""
        c = self.table.c
        where = (c.video_id == video_id, c.beat_index == beat_index, c.take == take)
        with self.engine.begin() as conn:
            return conn.execute(self.table.update().where(*where).values(selected_at=utcnow())).rowcount > 0

    @contextmanager
    def beat(self, video_id: str, beat_index: int) -> Iterator[BeatTakes]:
        """One beat's takes in a transaction that holds the video's takes lock, so that reading the last take and
        adding the next cannot interleave with another writer. Both kinds of take share the lock: each checks what
        is left of the video's one budget before it adds a take."""
        with locked(self.engine, f"takes:{video_id}") as conn:
            yield BeatTakes(self.table, conn, video_id, beat_index)


def _still_current(takes: list[Take]) -> list[Take]:
    """Of one beat's takes (oldest selected first), those current in some aspect, in the same order."""
    kept: list[Take] = []
    covered: set[str] = set()
    for take in reversed(takes):
        if take.aspects is None:
            kept.append(take)  # every aspect not covered by a later one: nothing older is current anywhere
            break
        if set(take.aspects) - covered:
            kept.append(take)
            covered |= set(take.aspects)
    return kept[::-1]


class LineTakeDB(TakeDB):
    """Reads and writes line takes: a beat's voiceover line and voice, taken apart from its picture."""

    table = line_takes_table
    what = "line take"


@dataclass(frozen=True)
class BeatTakes:
    """One beat's takes inside ``TakeDB.beat``'s transaction."""

    table: sa.Table
    conn: sa.Connection
    video_id: str
    beat_index: int

    def _rows(self) -> sa.Select[Any]:
        c = self.table.c
        return sa.select(self.table).where(c.video_id == self.video_id, c.beat_index == self.beat_index)

    def of_run(self, run_id: str) -> Take | None:
        """The take the run ``run_id`` asked for, if it did."""
        row = self.conn.execute(self._rows().where(self.table.c.run_id == run_id)).first()
        return _take(row) if row else None

    def latest(self, aspect: str | None = None) -> tuple[Take | None, int]:
        """In one read: the take selected last (in ``aspect``, if given; None for a beat never regenerated) and the
        highest take number stored (0 for none)."""
        rows = self.conn.execute(self._rows().order_by(self.table.c.selected_at, self.table.c.take)).all()
        takes = [_take(row) for row in rows]
        mine = [t for t in takes if aspect is None or t.applies_to(aspect)]  # type: ignore[arg-type]
        return (mine[-1] if mine else None), max((t.take for t in takes), default=0)

    def add(self, take: Take, run_id: str | None = None) -> Take:
        """Store ``take`` as the beat's current one (asked for by ``run_id``, if given)."""
        fields = take.model_dump(include=set(self.table.c.keys()))
        if fields.get("aspects") is not None:
            fields["aspects"] = ",".join(fields["aspects"])
        self.conn.execute(
            self.table.insert().values(video_id=self.video_id, run_id=run_id, selected_at=utcnow(), **fields)
        )
        return take
