"""What one request may take: the largest body the API reads (refused with 413 before any of it is parsed), and how
long it waits for the database's write lock."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vidgen_core.persistence.db import lock_wait


def too_large(limit: int) -> str:
    return f"the request body is over {limit:,} bytes; send less (a batch: split it, an upload: fewer or smaller files)"


class BodyLimit:
    """Refuse a body over its route's limit (``limits`` by path, else ``default``): by its Content-Length before the
    app runs, or, sent without one (chunked), as soon as the bytes streamed in pass the limit."""

    def __init__(self, app: ASGIApp, default: int, limits: dict[str, int]) -> None:
        self.app, self.default, self.limits = app, default, limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.get(scope["path"], self.default)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await JSONResponse({"detail": too_large(limit)}, status_code=413)(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:  # handled by the app's own handler for HTTP errors: a 413 like the one above
                raise HTTPException(413, too_large(limit))
            return message

        await self.app(scope, counted, send)


class LockWait:
    """A request waits at most ``seconds`` for the database's write lock, then fails (503 with Retry-After) instead
    of hanging for the patient wait that runs and the daemon keep."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app, self.seconds = app, seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with lock_wait(self.seconds):
            await self.app(scope, receive, send)
