"""The requests table: one row per video, its request and how far its run has got."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel

from vidgen_core.domain.errors import InvalidRequest, NotFound, TooBusy
from vidgen_core.domain.models import STORED, GenerationRequest, Phase
from vidgen_core.persistence.db import locked, metadata, open_engine, utc_fields, utcnow

requests_table = sa.Table(
    "video_requests",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("request_id", sa.String(40), nullable=False, unique=True),
    sa.Column("video_id", sa.String(64), nullable=False, unique=True),
    sa.Column("user_id", sa.String(64), nullable=False, index=True),
    sa.Column("prompt", sa.Text, nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("options", sa.JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("current_phase", sa.String(32)),
    sa.Column("progress", sa.Float, nullable=False, default=0.0),
    sa.Column("chunk_index", sa.Integer),
    sa.Column("total_chunks", sa.Integer),
    sa.Column("error", sa.Text),
    sa.Column("run_id", sa.String(64)),
    sa.Column("cost_usd", sa.Float),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True)),
    sa.Column("completed_at", sa.DateTime(timezone=True)),
    sa.Column("run_key", sa.String(80)),  # the run the request wants next; a regeneration asks for a new one
    sa.Column("batch_id", sa.String(40), index=True),  # the batch it came in, if any
    sa.Column("archived_at", sa.DateTime(timezone=True)),  # its partition was removed from Dagster (kept here)
    sa.Column("approved_at", sa.DateTime(timezone=True)),  # a review video's storyboard approved: clips may be paid
)


class Status(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETE = "complete"
    IN_REVIEW = "in review"  # its review run ended: the preview is made, the clips wait for the approval
    FAILED = "failed"


class ReviewState(StrEnum):
    IN_REVIEW = "in review"
    APPROVED = "approved"


ACTIVE = (Status.QUEUED, Status.RUNNING)
PAGE_SIZE, PAGE_MAX, OFFSET_MAX = 20, 100, 1_000_000  # a page of a user's videos
BACKFILL_PREFIX = "backfill:"


class RequestRecord(BaseModel):
    """One row of ``video_requests``: the request and how far its run has got."""

    seq: int
    request_id: str
    video_id: str
    user_id: str
    prompt: str
    title: str
    description: str
    request: GenerationRequest
    status: Status
    current_phase: str | None = None
    progress: float = 0.0
    chunk_index: int | None = None
    total_chunks: int | None = None
    error: str | None = None
    run_id: str | None = None
    cost_usd: float | None = None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None = None
    completed_at: datetime | None = None
    run_key: str | None = None
    batch_id: str | None = None
    archived_at: datetime | None = None
    approved_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def in_review(self) -> bool:
        """Asked for review and not approved yet: its runs make the plan, storyboard and preview, never a clip."""
        return self.request.review and self.approved_at is None

    @property
    def review(self) -> ReviewState | None:
        """Where a review video stands (None: made without review)."""
        if not self.request.review:
            return None
        return ReviewState.IN_REVIEW if self.approved_at is None else ReviewState.APPROVED

    @property
    def wanted_run_key(self) -> str:
        """The run key of the run this request is waiting for (the request id, or a regeneration's)."""
        return self.run_key or self.request_id


def new_request_id() -> str:
    return f"req-{uuid.uuid4().hex[:16]}"


def new_run_key(request_id: str, why: str) -> str:
    """The run key of a later run a request asks for (a regeneration or a resume); unique, so it is never dropped."""
    return f"{request_id}-{why}-{uuid.uuid4().hex[:8]}"


def batch_run_key(batch_id: str) -> str:
    """What a batch's video waits for: a run of the batch's backfill (the sensor does not launch it)."""
    return f"{BACKFILL_PREFIX}{batch_id}"


def insert_request(conn: sa.Connection, request: GenerationRequest, status: Status = Status.QUEUED) -> None:
    """Store a new request row (its request id must be set)."""
    now = utcnow()
    conn.execute(
        requests_table.insert().values(
            request_id=request.request_id,
            video_id=request.video_id,
            user_id=request.user_id,
            prompt=request.prompt,
            title=request.title,
            description=request.description,
            options=request.model_dump(mode="json"),
            batch_id=request.batch_id,
            run_key=batch_run_key(request.batch_id) if request.batch_id else None,
            status=status,
            progress=0.0,
            created_at=now,
            updated_at=now,
        )
    )


class RequestDB:
    """The requests table. Cheap to make (engines are shared per URL); safe to share between threads."""

    def __init__(self, url: str) -> None:
        self.url, self.engine = url, open_engine(url, requests_table)

    def ping(self) -> None:
        """Raise unless the database answers and its write lock can be taken (within this context's lock wait):
        reads still answer while another process holds the lock, but every write would wait, then fail."""
        with locked(self.engine, "health"):
            pass

    def submit(
        self, request: GenerationRequest, max_active: int | None = None, status: Status = Status.QUEUED
    ) -> RequestRecord:
        """Store a new request (queued for the sensor unless its run is already under way).

        With ``max_active``, refuse (TooBusy) a user who already has that many queued or running.
        """
        if not request.request_id:
            request = request.model_copy(update={"request_id": new_request_id()})
        with locked(self.engine, f"user:{request.user_id}") as conn:
            if max_active is not None:  # a batch's videos count against the batch limits, not this one
                _check_room(conn, request.user_id, max_active)
            insert_request(conn, request, status)
        return self.get(request.video_id)

    def check_room(self, user_id: str, max_active: int, video_id: str | None = None) -> None:
        """TooBusy if the user already has ``max_active`` videos (other than ``video_id``) queued or running: asked
        before a regeneration makes its take, so a refused one changes nothing."""
        with self.engine.connect() as conn:
            _check_room(conn, user_id, max_active, video_id)

    def find(self, video_id: str) -> RequestRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(requests_table).where(requests_table.c.video_id == video_id)).first()
        return _record(row) if row else None

    def get(self, video_id: str) -> RequestRecord:
        record = self.find(video_id)
        if record is None:
            raise NotFound(f"no request stored for video {video_id!r}")
        return record

    def request(self, video_id: str) -> GenerationRequest:
        """The generation request of a video (NotFound if none)."""
        return self.get(video_id).request

    def pending(self, after_seq: int, limit: int = 100) -> list[RequestRecord]:
        """Queued requests with ``seq`` above ``after_seq``, oldest first: what a sensor has not yet seen."""
        return self._select(requests_table.c.seq > after_seq, requests_table.c.status == Status.QUEUED, limit=limit)

    def in_batch(self, batch_id: str) -> list[RequestRecord]:
        """A batch's videos, in the order they were stored."""
        return self._select(requests_table.c.batch_id == batch_id, limit=100_000)

    def owners(self, after_seq: int, limit: int = 1000) -> list[tuple[int, str, str]]:
        """(seq, video id, user id) of every request after ``after_seq``, oldest first: a page of who owns what."""
        c = requests_table.c
        query = sa.select(c.seq, c.video_id, c.user_id).where(c.seq > after_seq).order_by(c.seq).limit(limit)
        with self.engine.connect() as conn:
            return [(row.seq, row.video_id, row.user_id) for row in conn.execute(query)]

    def queued_since(self, since: datetime, limit: int = 500) -> list[RequestRecord]:
        """Requests queued (or requeued: a regeneration, a resume) and written after ``since``, oldest first."""
        c = requests_table.c
        return self._select(c.status == Status.QUEUED, c.updated_at > since, limit=limit)

    def silent_since(self, since: datetime, limit: int = 500) -> list[RequestRecord]:
        """Running requests nothing has written since ``since`` (a running step beats every few seconds)."""
        c = requests_table.c
        return self._select(c.status == Status.RUNNING, c.updated_at < since, limit=limit)

    def _select(self, *where: Any, limit: int) -> list[RequestRecord]:
        query = sa.select(requests_table).where(*where).order_by(requests_table.c.seq).limit(limit)
        with self.engine.connect() as conn:
            return [_record(row) for row in conn.execute(query)]

    def update(self, video_id: str, **fields: Any) -> None:
        """Set fields of a request (no-op for videos without one, e.g. partitions made by hand)."""
        with self.engine.begin() as conn:
            conn.execute(
                requests_table.update()
                .where(requests_table.c.video_id == video_id)
                .values(**fields, updated_at=utcnow())
            )

    def report(self, video_id: str, phase: Phase, done: int, total: int, percent: float) -> None:
        """Record progress from inside a run: the phase, its item count, and ``percent`` (the caller's, from the
        phase registry) as a percentage that never goes back."""
        fields: dict[str, Any] = {"current_phase": phase, "status": Status.RUNNING}
        if phase == Phase.VIDEO_CHUNKS:
            fields.update(chunk_index=done, total_chunks=total)
        c = requests_table.c
        with self.engine.begin() as conn:
            conn.execute(
                requests_table.update()
                .where(c.video_id == video_id, c.status.in_(ACTIVE))
                .values(
                    **fields,
                    progress=sa.case((c.progress > percent, c.progress), else_=percent),
                    started_at=sa.func.coalesce(c.started_at, utcnow()),
                    updated_at=utcnow(),
                )
            )

    def delivered_before(self, cutoff: datetime, limit: int = 10_000) -> list[RequestRecord]:
        """Complete videos finished before ``cutoff`` that are not archived yet, oldest first."""
        c = requests_table.c
        return self._select(c.status == Status.COMPLETE, c.completed_at < cutoff, c.archived_at.is_(None), limit=limit)

    def requeue(self, video_id: str, run_key: str, max_active: int | None = None) -> RequestRecord:
        """Queue a finished or failed video again for the run ``run_key`` (a regeneration or a resume).

        Refuses (InvalidRequest) a video already queued or running, so two regenerations at once cannot ask for two
        runs of it; with ``max_active``, refuses (TooBusy) a user who already has that many other videos queued or
        running.
        """
        record = self.get(video_id)
        c = requests_table.c
        with locked(self.engine, f"user:{record.user_id}") as conn:
            if max_active is not None:
                _check_room(conn, record.user_id, max_active, video_id)
            queued = conn.execute(
                requests_table.update()
                .where(c.video_id == video_id, c.status.not_in(ACTIVE))  # one statement: no writer slips in between
                .values(
                    status=Status.QUEUED,
                    run_key=run_key,
                    progress=0.0,
                    current_phase=None,
                    error=None,
                    completed_at=None,
                    started_at=None,
                    updated_at=utcnow(),
                )
            )
            if queued.rowcount == 0:
                status = conn.execute(sa.select(c.status).where(c.video_id == video_id)).scalar_one()
                raise InvalidRequest(f"video {video_id} is still {status}; wait until it ends", "video_id")
        return self.get(video_id)

    def approve(self, video_id: str) -> RequestRecord:
        """Record the approval of a video in review, once (``check_approvable``). One statement, so two approvals at
        once cannot both pass."""
        check_approvable(self.get(video_id))
        c = requests_table.c
        with self.engine.begin() as conn:
            done = conn.execute(
                requests_table.update()
                .where(c.video_id == video_id, c.approved_at.is_(None))
                .values(approved_at=utcnow(), updated_at=utcnow())
            )
        record = self.get(video_id)
        if done.rowcount == 0:
            check_approvable(record)
        return record

    def page(self, user_id: str, limit: int = PAGE_SIZE, offset: int = 0) -> tuple[list[RequestRecord], int]:
        """A page of the user's videos, newest first, and how many they have in all (`vidgen list`, GET /api/videos)."""
        if not 1 <= limit <= PAGE_MAX or not 0 <= offset <= OFFSET_MAX:
            raise InvalidRequest(f"choose a limit from 1 to {PAGE_MAX} and an offset from 0 to {OFFSET_MAX}", "limit")
        c = requests_table.c
        query = sa.select(requests_table).where(c.user_id == user_id).order_by(c.seq.desc()).limit(limit).offset(offset)
        with self.engine.connect() as conn:
            total = conn.execute(sa.select(sa.func.count()).where(c.user_id == user_id)).scalar_one()
            return [_record(row) for row in conn.execute(query)], int(total)


def check_approvable(record: RequestRecord) -> None:
    """InvalidRequest, saying why, unless the video is in review: made without review, or approved already."""
    if not record.request.review:
        raise InvalidRequest(
            f"video {record.video_id} was not made for review: its clips are made without an approval", "video_id"
        )
    if record.approved_at is not None:
        raise InvalidRequest(
            f"video {record.video_id} was already approved ({record.approved_at:%Y-%m-%d %H:%M} UTC)", "video_id"
        )


def _check_room(conn: sa.Connection, user_id: str, max_active: int, besides: str | None = None) -> None:
    """TooBusy if the user has ``max_active`` videos (not counting ``besides`` or a batch's) queued or running."""
    c = requests_table.c
    query = sa.select(c.video_id).where(c.user_id == user_id, c.status.in_(ACTIVE), c.batch_id.is_(None))
    if besides is not None:
        query = query.where(c.video_id != besides)
    busy = list(conn.execute(query.order_by(c.seq)).scalars())
    if len(busy) >= max_active:
        raise TooBusy(user_id, busy, max_active)


def _record(row: sa.Row[Any]) -> RequestRecord:
    data = utc_fields(row)
    data["request"] = GenerationRequest.model_validate(data.pop("options"), context={STORED: True})
    return RequestRecord.model_validate(data)
