"""Errors a user can act on. Each message says what went wrong and what to do."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vidgen_core.domain.models import CostLine


class VidgenError(Exception):
    """Base class for every error raised by vidgen. ``phase`` names the phase it stopped, when a step runs several."""

    phase: str | None = None


class InvalidRequest(VidgenError):
    """The user's input cannot be turned into a video; the message says what to fix, ``field`` which input."""

    def __init__(self, message: str, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


class ProviderError(VidgenError):
    """A model provider failed. Names the provider, the model, the item and the reason.

    ``retryable`` is True when trying the same step again later may succeed (outages, throttling). ``costs`` is what
    the provider billed for the failed call all the same (an answer that was then rejected, GPU time that ran).
    """

    def __init__(
        self,
        provider: str,
        model: str,
        reason: str,
        item: str = "",
        retryable: bool = False,
        costs: list[CostLine] | None = None,
    ) -> None:
        self.provider, self.model, self.item, self.reason = provider, model, item, reason
        self.retryable, self.costs = retryable, costs or []
        where = f" for {item}" if item else ""
        super().__init__(f"{provider} model {model} failed{where}: {reason}")


def scrub(text: str, *secrets: str | None) -> str:
    """``text`` with every given secret replaced by ``***`` (providers sometimes echo keys back)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


# A path's characters: none of the quotes, brackets, separators and sentence marks that end one in a message.
_PATH_CHARS = r"[^\s'\"`()\[\]{}<>,;:|]"
_QUOTED_PATH = re.compile(r"""(['"])(?:file://|~)?/[^'"\n]*\1""")
# file:// URLs, ~/... and any absolute path of one directory or more (/srv/final.mp4), not preceded by a word or a
# host (http://host/a/b keeps its path) unless by an escaped newline (a repr's \\n/tmp/x), and not one of the API's
# own routes (POST /api/upload), which a message names on purpose.
_BARE_PATH = re.compile(
    rf"file://{_PATH_CHARS}*|(?:(?<=\\[nrt])|(?<![\w./~-]))~?/+(?!api/)(?:{_PATH_CHARS}+/+)+{_PATH_CHARS}*"
)
# A Python class: a dotted name ending in Error/Exception/... anywhere, or a class (dotted or not: CamelCase) that
# starts the message (``psycopg2.errors.UndefinedTable: ...``, ``Exception: ...``), with its colon.
_CLASS_NAME = re.compile(
    r"^\s*(?:(?:[A-Za-z_]\w*\.)+[A-Z]\w*|[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+)(?::\s*|\s*$)|^\s*[A-Z]\w*:\s+"
    r"|\b(?:[A-Za-z_]\w*\.)*[A-Z]\w*?(?:Error|Exception|Violation|Interrupt|Warning)\b:?[ \t]*"
)


def plain_text(text: str, *roots: str) -> str:
    """An error's text fit for a user: no server path and no Python class name. A path under one of ``roots`` (the
    server's folders, even with spaces in them) becomes its key below that folder (ana/videos/x/spec.json); any other
    absolute path or file:// URL becomes "a file". The one scrubber of error text: the API's answers, run errors,
    the ledger's errors and the backfill errors all use it."""
    for root in sorted(filter(None, roots), key=len, reverse=True):  # a key under a root is the user's: kept
        root = re.escape(root.rstrip("/"))
        text = re.sub(
            rf"(?:file://)?{root}(?:/+|(?!{_PATH_CHARS}))", lambda m: "" if m[0][-1] == "/" else "a file", text
        )
    text = _BARE_PATH.sub("a file", _QUOTED_PATH.sub("a file", text))
    return _CLASS_NAME.sub("", text).strip()


class MediaError(VidgenError):
    """An ffmpeg/ffprobe operation failed; carries the tail of ffmpeg's own message."""


class ServiceDown(VidgenError):
    """The Dagster webserver that launches backfills cannot be reached."""


class BackfillRefused(VidgenError):
    """The Dagster webserver answered but did not launch the backfill."""


class NotFound(VidgenError):
    """A stored object or request does not exist."""


class NotReady(VidgenError):
    """What was asked for is not made yet (a video still running, or one that failed); the message says when to ask
    again or how to finish it."""


class TooBusy(VidgenError):
    """A user already has as many videos queued or running as they may."""

    def __init__(self, user_id: str, active: list[str], limit: int, what: str = "video") -> None:
        self.user_id, self.active, self.limit = user_id, active, limit
        plural = what if limit == 1 else f"{what}es" if what.endswith("h") else f"{what}s"
        super().__init__(
            f"you may have {limit} {plural} in progress at a time and {', '.join(active)} "
            f"{'is' if len(active) == 1 else 'are'} still queued or running; wait until "
            f"{'it finishes' if len(active) == 1 else 'one finishes'}, then submit again"
        )


class TooLarge(InvalidRequest):
    """An upload is bigger than allowed."""


class WrongType(InvalidRequest):
    """An upload is not a kind of file vidgen accepts (judged by its bytes, not its name)."""


class BudgetExceeded(VidgenError):
    """A call, a run or a regeneration would take a video past its spending cap. Nothing was spent on it."""

    def __init__(
        self,
        video_id: str,
        estimate_usd: float,
        committed_usd: float,
        limit_usd: float,
        what: str,
        batch_id: str | None = None,
    ) -> None:
        self.estimate_usd, self.committed_usd, self.limit_usd = estimate_usd, committed_usd, limit_usd
        already = f" on top of ${committed_usd:.4f} already spent or reserved" if committed_usd else ""
        whose = f"batch {batch_id}" if batch_id else f"video {video_id}"
        super().__init__(
            f"{what} is estimated at ${estimate_usd:.4f}{already}, over {whose}'s budget of "
            f"${limit_usd:.4f}; raise max_cost_usd (--max-cost) or choose cheaper models"
        )
