"""The requests and uploads tables (SQLAlchemy): SQLite in the vidgen home, Postgres in deployment."""

from __future__ import annotations

import errno
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel

from vidgen_core.domain.errors import InvalidRequest, NotFound, TooBusy, plain_text
from vidgen_core.domain.models import STORED, GenerationRequest, Phase, Take
from vidgen_core.domain.progress import percent

metadata = sa.MetaData()

# How long a write waits for the database's lock. Runs and the daemon are patient (a run must not fail because the
# API held the lock for a second); an API request waits less (``lock_wait``) and answers 503 instead of hanging.
PATIENT_LOCK_WAIT_S = 30.0
_lock_wait_s: ContextVar[float] = ContextVar("lock_wait_s", default=PATIENT_LOCK_WAIT_S)
CONNECT_TIMEOUT_S = 5  # a Postgres server that does not answer

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
)

batches_table = sa.Table(
    "video_batches",
    metadata,
    sa.Column("batch_id", sa.String(40), primary_key=True),
    sa.Column("user_id", sa.String(64), nullable=False, index=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("videos", sa.Integer, nullable=False),
    sa.Column("estimate_usd", sa.Float, nullable=False),
    sa.Column("max_cost_usd", sa.Float),  # the batch's spending cap; None: only each video's own
    sa.Column("backfill_id", sa.String(64)),  # the Dagster partition backfill, once launched
    sa.Column("error", sa.Text),  # why it is not launched yet
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

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


class CallState(StrEnum):
    RESERVED = "reserved"
    PAID = "paid"
    FAILED = "failed"
    REUSED = "reused"


BILLED = (CallState.PAID, CallState.FAILED)  # the provider charged for these (a failed call's actual_usd may be 0)


# The spend ledger (persistence.ledger reads and writes it): one row per provider call a video made or reused.
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


uploads_table = sa.Table(
    "uploads",
    metadata,
    sa.Column("asset_id", sa.String(40), primary_key=True),
    sa.Column("user_id", sa.String(64), nullable=False, index=True),
    sa.Column("key", sa.String(300), nullable=False),
    sa.Column("content_type", sa.String(40), nullable=False),
    sa.Column("size_bytes", sa.Integer, nullable=False),
    sa.Column("filename", sa.String(255), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)


class Status(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETE = "complete"
    FAILED = "failed"


ACTIVE = (Status.QUEUED, Status.RUNNING)
PAGE_SIZE, PAGE_MAX, OFFSET_MAX = 20, 100, 1_000_000  # a page of a user's videos


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

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def wanted_run_key(self) -> str:
        """The run key of the run this request is waiting for (the request id, or a regeneration's)."""
        return self.run_key or self.request_id


class UploadRecord(BaseModel):
    """One uploaded reference image, stored under its owner's prefix."""

    asset_id: str
    user_id: str
    key: str
    content_type: str
    size_bytes: int
    filename: str
    created_at: datetime


def insert_request(conn: sa.Connection, request: GenerationRequest, status: Status = Status.QUEUED) -> None:
    """Store a new request row (its request id must be set)."""
    now = _now()
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


def new_request_id() -> str:
    return f"req-{uuid.uuid4().hex[:16]}"


def new_run_key(request_id: str, why: str) -> str:
    """The run key of a later run a request asks for (a regeneration or a resume); unique, so it is never dropped."""
    return f"{request_id}-{why}-{uuid.uuid4().hex[:8]}"


def batch_run_key(batch_id: str) -> str:
    """What a batch's video waits for: a run of the batch's backfill (the sensor does not launch it)."""
    return f"{BACKFILL_PREFIX}{batch_id}"


BACKFILL_PREFIX = "backfill:"


def new_asset_id() -> str:
    return f"asset-{uuid.uuid4().hex[:16]}"


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(value: Any) -> Any:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return value.replace(tzinfo=UTC) if isinstance(value, datetime) and value.tzinfo is None else value


def _create_tables(engine: sa.Engine) -> None:
    """Make missing tables, and add columns a newer vidgen added to tables an older one made (all nullable)."""
    metadata.create_all(engine)
    inspector = sa.inspect(engine)
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            have = {c["name"] for c in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name not in have:
                    kind = column.type.compile(dialect=engine.dialect)
                    conn.execute(sa.text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}'))


@contextmanager
def lock_wait(seconds: float) -> Iterator[None]:
    """Within this block (and the threads it hands work to), a write waits at most ``seconds`` for the lock."""
    token = _lock_wait_s.set(seconds)
    try:
        yield
    finally:
        _lock_wait_s.reset(token)


@cache
def _engine(url: str) -> sa.Engine:
    """One engine (and pool) per database per process, its tables made on first use."""
    if not url.startswith("sqlite"):
        engine = sa.create_engine(
            url, pool_pre_ping=True, pool_size=10, max_overflow=10, connect_args={"connect_timeout": CONNECT_TIMEOUT_S}
        )
        _create_tables(engine)
        return engine
    path = url.removeprefix("sqlite:///")
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"check_same_thread": False})

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
        _patience(dbapi_conn)
        dbapi_conn.execute("PRAGMA journal_mode=WAL")

    @sa.event.listens_for(engine, "checkout")
    def _patience(dbapi_conn: Any, *_: Any) -> None:
        dbapi_conn.execute(f"PRAGMA busy_timeout={int(_lock_wait_s.get() * 1000)}")

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        # IMMEDIATE takes the write lock at BEGIN, so check-then-insert cannot interleave.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("immediate") else "BEGIN")

    _create_tables(engine)
    return engine


@contextmanager
def locked(engine: sa.Engine, name: str) -> Iterator[sa.Connection]:
    """A transaction holding the write lock named ``name`` until it ends (SQLite: the database's)."""
    with engine.connect().execution_options(immediate=True) as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text(f"SET LOCAL lock_timeout = {int(_lock_wait_s.get() * 1000)}"))
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:n))"), {"n": name})
        yield conn


TRY_AGAIN = "try again shortly, and report it if it lasts"


class Trouble(StrEnum):
    """A database or the disk under it failing, in words a user can act on (never its path or its driver's text)."""

    BUSY = "a database is busy (another process holds its write lock)"
    FULL = "the disk is full"
    READ_ONLY = "a database or a folder cannot be written (read-only)"
    UNREACHABLE = "a database cannot be opened or reached"

    @property
    def fix(self) -> str:
        """What whoever runs vidgen does about it."""
        return {
            Trouble.BUSY: "try again in a few seconds",
            Trouble.FULL: "free some space, then try again",
            Trouble.READ_ONLY: "make it writable, then try again",
            Trouble.UNREACHABLE: "check the disk, or the server VIDGEN_DATABASE_URL names, then try again",
        }[self]

    def said(self, to_caller: bool = False) -> str:
        """The fault and what to do, in one line: for whoever runs vidgen (the CLI, /health), or for an API caller,
        who can only try again."""
        return f"{self.value}; {TRY_AGAIN if to_caller else self.fix}"


_DISK = {
    errno.ENOSPC: Trouble.FULL,
    errno.EDQUOT: Trouble.FULL,
    errno.EROFS: Trouble.READ_ONLY,
    errno.EACCES: Trouble.READ_ONLY,
}
_ERRNO = re.compile(r"\[Errno (\d+)\]")
# What a driver says when its database cannot be opened or reached (SQLite, psycopg); any other operational error
# (no such table, a syntax error) is a bug, and its traceback is wanted.
_UNREACHABLE = (
    "unable to open",
    "disk i/o error",
    "could not connect",
    "connection refused",
    "connection to server",
    "connection timed out",
    "timeout expired",
    "server closed the connection",
    "connection already closed",
    "ssl connection has been closed",
    "could not translate host name",
    "no route to host",
    "terminating connection",
    "the database system is",
)


def plain_error(text: str) -> str:
    """An error's text (all a run's stored error keeps) fit for a user: a disk error in words with its fix;
    otherwise without server paths or class names (errors.plain_text)."""
    found = _ERRNO.search(text)
    if found and (disk := _DISK.get(int(found.group(1)))):
        return f"{disk.value}; {disk.fix}"
    return plain_text(text)


def describe_error(exc: BaseException) -> str:
    """What went wrong, for a user: the error's text without path or class (a vidgen error's too: a MediaError
    carries ffmpeg's own words, temporary paths and all)."""
    return plain_error(str(exc)) or "an unexpected error; see the run's log"


def trouble(exc: BaseException) -> Trouble | None:
    """What a database error or a disk error means for the user; None for any other error (a bug)."""
    if isinstance(exc, OSError) and not isinstance(exc, sa.exc.SQLAlchemyError):
        return _DISK.get(exc.errno or 0)
    if not isinstance(exc, sa.exc.OperationalError):
        return None
    text = str(exc.orig).lower()
    if "locked" in text or "lock timeout" in text or "busy" in text:
        return Trouble.BUSY
    if "full" in text or "no space" in text:
        return Trouble.FULL
    if "readonly" in text or "read-only" in text:
        return Trouble.READ_ONLY
    if any(words in text for words in _UNREACHABLE):
        return Trouble.UNREACHABLE
    return None


class RequestDB:
    """Requests, beat takes and uploads. Cheap to make (engines are shared per URL); safe to share between threads."""

    def __init__(self, url: str) -> None:
        self.url, self.engine = url, _engine(url)

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
                c = requests_table.c
                active = conn.execute(
                    sa.select(c.video_id)
                    .where(c.user_id == request.user_id, c.status.in_(ACTIVE), c.batch_id.is_(None))
                    .order_by(requests_table.c.seq)
                ).scalars()
                busy = list(active)
                if len(busy) >= max_active:
                    raise TooBusy(request.user_id, busy, max_active)
            insert_request(conn, request, status)
        return self.get(request.video_id)

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

    def recent(self, limit: int) -> list[RequestRecord]:
        """The newest requests of every user, newest first."""
        query = sa.select(requests_table).order_by(requests_table.c.seq.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [_record(row) for row in conn.execute(query)]

    def active(self, limit: int = 500) -> list[RequestRecord]:
        """Every queued or running request, oldest first."""
        return self._select(requests_table.c.status.in_(ACTIVE), limit=limit)

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
                requests_table.update().where(requests_table.c.video_id == video_id).values(**fields, updated_at=_now())
            )

    def report(self, video_id: str, phase: Phase, done: int, total: int) -> None:
        """Record progress from inside a run: the phase, its item count, and a percentage that never goes back."""
        fields: dict[str, Any] = {"current_phase": phase, "status": Status.RUNNING}
        if phase == Phase.VIDEO_CHUNKS:
            fields.update(chunk_index=done, total_chunks=total)
        value = percent(phase, done, total)
        c = requests_table.c
        with self.engine.begin() as conn:
            conn.execute(
                requests_table.update()
                .where(c.video_id == video_id, c.status.in_(ACTIVE))
                .values(
                    **fields,
                    progress=sa.case((c.progress > value, c.progress), else_=value),
                    started_at=sa.func.coalesce(c.started_at, _now()),
                    updated_at=_now(),
                )
            )

    def delivered_before(self, cutoff: datetime, limit: int = 10_000) -> list[RequestRecord]:
        """Complete videos finished before ``cutoff`` that are not archived yet, oldest first."""
        c = requests_table.c
        return self._select(c.status == Status.COMPLETE, c.completed_at < cutoff, c.archived_at.is_(None), limit=limit)

    def requeue(self, video_id: str, run_key: str, max_active: int | None = None) -> RequestRecord:
        """Queue a finished or failed video again for the run ``run_key`` (a regeneration or a resume).

        With ``max_active``, refuse (TooBusy) a user who already has that many other videos queued or running.
        """
        record = self.get(video_id)
        c = requests_table.c
        with locked(self.engine, f"user:{record.user_id}") as conn:
            if max_active is not None:
                busy = list(
                    conn.execute(
                        sa.select(c.video_id)
                        .where(c.user_id == record.user_id, c.status.in_(ACTIVE), c.video_id != video_id)
                        .where(c.batch_id.is_(None))
                        .order_by(c.seq)
                    ).scalars()
                )
                if len(busy) >= max_active:
                    raise TooBusy(record.user_id, busy, max_active)
            conn.execute(
                requests_table.update()
                .where(c.video_id == video_id)
                .values(
                    status=Status.QUEUED,
                    run_key=run_key,
                    progress=0.0,
                    current_phase=None,
                    error=None,
                    completed_at=None,
                    started_at=None,
                    updated_at=_now(),
                )
            )
        return self.get(video_id)

    def page(self, user_id: str, limit: int = PAGE_SIZE, offset: int = 0) -> tuple[list[RequestRecord], int]:
        """A page of the user's videos, newest first, and how many they have in all (`vidgen list`, GET /api/videos)."""
        if not 1 <= limit <= PAGE_MAX or not 0 <= offset <= OFFSET_MAX:
            raise InvalidRequest(f"choose a limit from 1 to {PAGE_MAX} and an offset from 0 to {OFFSET_MAX}", "limit")
        c = requests_table.c
        query = sa.select(requests_table).where(c.user_id == user_id).order_by(c.seq.desc()).limit(limit).offset(offset)
        with self.engine.connect() as conn:
            total = conn.execute(sa.select(sa.func.count()).where(c.user_id == user_id)).scalar_one()
            return [_record(row) for row in conn.execute(query)], int(total)

    def takes(self, video_id: str) -> list[Take]:
        """Every take of every beat of a video, oldest first."""
        c = takes_table.c
        query = sa.select(takes_table).where(c.video_id == video_id).order_by(c.beat_index, c.take)
        with self.engine.connect() as conn:
            return [Take.model_validate({k: _utc(v) for k, v in row._mapping.items()}) for row in conn.execute(query)]

    def current_takes(self, video_id: str) -> list[Take]:
        """Each regenerated beat's current take (the one selected last); beats never regenerated are absent."""
        c = takes_table.c
        query = sa.select(takes_table).where(c.video_id == video_id).order_by(c.beat_index, c.selected_at, c.take)
        current: dict[int, Take] = {}
        with self.engine.connect() as conn:
            for row in conn.execute(query):
                current[row.beat_index] = Take.model_validate({k: _utc(v) for k, v in row._mapping.items()})
        return list(current.values())

    def new_take(
        self,
        video_id: str,
        beat_index: int,
        image_prompt: str | None = None,
        motion_prompt: str | None = None,
        run_id: str | None = None,
        check: Callable[[], None] | None = None,
    ) -> Take:
        """Record the beat's next take and make it current. A run that already asked for one gets it back, and only
        a new take is ``check``ed (e.g. against the budget, which already counts the take a run got).

        A prompt not given is the current take's, so a re-roll keeps the custom prompts it was asked with.
        """
        c = takes_table.c
        with locked(self.engine, f"takes:{video_id}") as conn:
            if run_id:
                mine = conn.execute(
                    sa.select(takes_table).where(c.video_id == video_id, c.beat_index == beat_index, c.run_id == run_id)
                ).first()
                if mine:
                    return Take.model_validate({k: _utc(v) for k, v in mine._mapping.items()})
            if check is not None:
                check()
            last = conn.execute(
                sa.select(sa.func.max(c.take)).where(c.video_id == video_id, c.beat_index == beat_index)
            ).scalar()
            now = _now()
            if last is None:  # take 0 (the plan's own) becomes a row too, so going back to it is a selection
                conn.execute(
                    takes_table.insert().values(
                        video_id=video_id, beat_index=beat_index, take=0, created_at=now, selected_at=now
                    )
                )
                last = 0
            current = conn.execute(
                sa.select(c.image_prompt, c.motion_prompt)
                .where(c.video_id == video_id, c.beat_index == beat_index)
                .order_by(c.selected_at.desc(), c.take.desc())
                .limit(1)
            ).one()
            take = Take(
                beat_index=beat_index,
                take=last + 1,
                image_prompt=image_prompt or current.image_prompt,
                motion_prompt=motion_prompt or current.motion_prompt,
            )
            conn.execute(
                takes_table.insert().values(video_id=video_id, run_id=run_id, selected_at=_now(), **take.model_dump())
            )
        return take

    def select_take(self, video_id: str, beat_index: int, take: int) -> Take:
        """Make an earlier take current again (NotFound if the beat never had it)."""
        c = takes_table.c
        where = (c.video_id == video_id, c.beat_index == beat_index, c.take == take)
        with self.engine.begin() as conn:
            if take == 0 and conn.execute(sa.select(takes_table).where(*where)).first() is None:
                return Take(beat_index=beat_index, take=0)  # never regenerated: take 0 is already current
            if conn.execute(takes_table.update().where(*where).values(selected_at=_now())).rowcount == 0:
                raise NotFound(f"beat {beat_index} of video {video_id} has no take {take}")
        return next(t for t in self.current_takes(video_id) if t.beat_index == beat_index)

    def add_upload(self, record: UploadRecord) -> UploadRecord:
        """Record an upload whose bytes are already stored."""
        with self.engine.begin() as conn:
            conn.execute(uploads_table.insert().values(**record.model_dump()))
        return record

    def uploads(self, user_id: str, asset_ids: list[str]) -> list[UploadRecord]:
        """The user's uploads among ``asset_ids`` (others' uploads are invisible)."""
        query = sa.select(uploads_table).where(
            uploads_table.c.user_id == user_id, uploads_table.c.asset_id.in_(asset_ids)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [UploadRecord.model_validate({k: _utc(v) for k, v in row.items()}) for row in rows]


def _record(row: sa.Row) -> RequestRecord:
    data = {k: _utc(v) for k, v in row._mapping.items()}
    data["request"] = GenerationRequest.model_validate(data.pop("options"), context={STORED: True})
    return RequestRecord.model_validate(data)
