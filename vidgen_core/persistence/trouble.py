"""Why something failed, in words a user can act on: a database, the disk under it or the network to it (Trouble),
and any error's text without server paths or class names."""

from __future__ import annotations

import errno
import re
from enum import StrEnum

import sqlalchemy as sa

from vidgen_core.domain.errors import plain_text

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
