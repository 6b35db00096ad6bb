"""The requests database's plumbing, shared by its tables: one engine per URL (SQLite in the vidgen home, Postgres
in deployment), each table made on first use, named write locks, and how long a write waits for one."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa

metadata = sa.MetaData()  # every table of the requests database; each module adds its own

# How long a write waits for the database's lock. Runs and the daemon are patient (a run must not fail because the
# API held the lock for a second); an API request waits less (``lock_wait``) and answers 503 instead of hanging.
PATIENT_LOCK_WAIT_S = 30.0
_lock_wait_s: ContextVar[float] = ContextVar("lock_wait_s", default=PATIENT_LOCK_WAIT_S)
CONNECT_TIMEOUT_S = 5  # a Postgres server that does not answer
_making_tables = threading.Lock()


def utcnow() -> datetime:
    return datetime.now(UTC)


def utc_fields(row: sa.Row[Any] | sa.RowMapping) -> dict[str, Any]:
    """A row as a dict, its times in UTC (SQLite hands back naive datetimes; every stored time is UTC)."""
    mapping = row._mapping if isinstance(row, sa.Row) else row
    return {k: v.replace(tzinfo=UTC) if isinstance(v, datetime) and v.tzinfo is None else v for k, v in mapping.items()}


def open_engine(url: str, *tables: sa.Table) -> sa.Engine:
    """The database's engine (one pool per URL per process), with ``tables`` made the first time they are asked for."""
    engine = _engine(url)
    for table in tables:
        _make_table(url, table.name)
    return engine


@cache
def _make_table(url: str, name: str) -> None:
    """Make a missing table, or add the columns a newer vidgen added to the one an older vidgen made (all nullable)."""
    engine, table = _engine(url), metadata.tables[name]
    with _making_tables:
        table.create(engine, checkfirst=True)
        have = {c["name"] for c in sa.inspect(engine).get_columns(name)}
        with engine.begin() as conn:
            for column in table.columns:
                if column.name not in have:
                    kind = column.type.compile(dialect=engine.dialect)
                    conn.execute(sa.text(f'ALTER TABLE {name} ADD COLUMN "{column.name}" {kind}'))


@cache
def _engine(url: str) -> sa.Engine:
    if not url.startswith("sqlite"):
        return sa.create_engine(
            url, pool_pre_ping=True, pool_size=10, max_overflow=10, connect_args={"connect_timeout": CONNECT_TIMEOUT_S}
        )
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

    return engine


@contextmanager
def lock_wait(seconds: float) -> Iterator[None]:
    """Within this block (and the threads it hands work to), a write waits at most ``seconds`` for the lock."""
    token = _lock_wait_s.set(seconds)
    try:
        yield
    finally:
        _lock_wait_s.reset(token)


@contextmanager
def locked(engine: sa.Engine, name: str) -> Iterator[sa.Connection]:
    """A transaction holding the write lock named ``name`` until it ends (SQLite: the database's)."""
    with engine.connect().execution_options(immediate=True) as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text(f"SET LOCAL lock_timeout = {int(_lock_wait_s.get() * 1000)}"))
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:n))"), {"n": name})
        yield conn
