"""The FastAPI app: ``uvicorn api.app:create_app --factory``. OpenAPI docs at /docs."""

from __future__ import annotations

import logging

import dagster as dg
import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from api.errors import MESSAGE_CHARS, short_errors, trimmed
from api.limits import BodyLimit, LockWait
from api.links import Links
from api.routes import router
from api.services import Services, check_users
from vidgen_core.adapters.storage import KeyOutsideStore
from vidgen_core.domain.errors import (
    BackfillRefused,
    BudgetExceeded,
    InvalidRequest,
    NotFound,
    NotReady,
    ServiceDown,
    TooBusy,
    TooLarge,
    VidgenError,
    WrongType,
    plain_text,
)
from vidgen_core.persistence.trouble import trouble
from vidgen_core.settings import Settings, get_settings
from vidgen_dagster.service import VidgenService

log = logging.getLogger("vidgen.api")
BUSY_RETRY_AFTER_S = 30
STORAGE_RETRY_AFTER_S = 5
LAUNCH_RETRY_AFTER_S = 30
BATCH_NOT_LAUNCHED = (
    "the service that launches batches is not answering, so nothing of the batch was kept; submit it again in a "
    "minute, and report it if it lasts"
)
CRASHED = (
    "the server failed while answering this request (a fault on our side, not in what you sent); try again, and "
    "report it with the time if it happens again"
)
UPLOAD_PART_OVERHEAD = 64 * 1024  # a multipart part's headers and boundary, generously


def create_app(settings: Settings | None = None, instance: dg.DagsterInstance | None = None) -> FastAPI:
    """The API on the given settings and Dagster instance (default: the environment's and DAGSTER_HOME's)."""
    settings = settings or get_settings()
    users = settings.users_by_key()
    check_users(users)
    if not users:
        log.warning("VIDGEN_API_KEYS is not set: no API keys, every caller is user %r", settings.default_user)
    service = VidgenService(settings, instance).open()
    app = FastAPI(
        title="vidgen",
        version="0.1.0",
        description="Turn one sentence into a finished video ad. Send your key as `X-API-Key`.",
    )
    app.state.services = Services(service=service, links=Links(service.store, settings), users=users)
    upload = settings.upload_max_files * (settings.upload_max_bytes + UPLOAD_PART_OVERHEAD)
    app.add_middleware(BodyLimit, default=settings.max_body_bytes, limits={"/api/upload": upload})
    app.add_middleware(LockWait, seconds=settings.api_lock_wait_s)
    app.add_middleware(  # outside the limit, so a 413 carries CORS headers too
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST"],
        allow_headers=["X-API-Key", "Authorization", "Content-Type"],
    )
    _errors(app, settings)
    app.include_router(router)
    return app


def _errors(app: FastAPI, settings: Settings) -> None:
    """vidgen's errors as 4xx answers that say what to fix, never echoing much of the input or a server path."""
    folders = {settings.home, settings.storage_dir, settings.cache_dir}
    paths = sorted({str(p) for f in folders for p in (f, f.resolve()) if p.is_absolute()}, key=len, reverse=True)

    def plain(text: str) -> str:
        """A message for the caller: no server path or class name, at most MESSAGE_CHARS long."""
        return trimmed(plain_text(text, *paths), MESSAGE_CHARS)

    @app.exception_handler(RequestValidationError)
    def invalid_body(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": short_errors(exc.errors())}, status_code=422)

    @app.exception_handler(InvalidRequest)
    def invalid(_: Request, exc: InvalidRequest) -> JSONResponse:
        if isinstance(exc, TooLarge | WrongType):
            return JSONResponse({"detail": plain(str(exc))}, status_code=413 if isinstance(exc, TooLarge) else 415)
        where = ["body", exc.field] if exc.field else ["body"]
        error = {"loc": where, "msg": plain(str(exc)), "type": "value_error"}
        return JSONResponse({"detail": [error]}, status_code=422)

    @app.exception_handler(NotFound)
    def not_found(_: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse({"detail": plain(str(exc))}, status_code=404)

    @app.exception_handler(NotReady)
    def not_ready(_: Request, exc: NotReady) -> JSONResponse:
        return JSONResponse({"detail": plain(str(exc))}, status_code=409)

    @app.exception_handler(KeyOutsideStore)
    def outside(_: Request, exc: KeyOutsideStore) -> JSONResponse:
        return JSONResponse({"detail": "no such file"}, status_code=404)

    @app.exception_handler(BudgetExceeded)
    def over_budget(_: Request, exc: BudgetExceeded) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=402)

    @app.exception_handler(BackfillRefused)
    def refused(_: Request, exc: BackfillRefused) -> JSONResponse:
        return JSONResponse({"detail": plain(str(exc))}, status_code=502)

    @app.exception_handler(ServiceDown)
    def not_launched(_: Request, exc: ServiceDown) -> JSONResponse:
        """A batch whose backfill could not be launched was withdrawn (batches.launch): the caller submits again."""
        log.warning("batch not launched: %s", exc)
        return JSONResponse(
            {"detail": BATCH_NOT_LAUNCHED}, status_code=503, headers={"Retry-After": str(LAUNCH_RETRY_AFTER_S)}
        )

    @app.exception_handler(TooBusy)
    def busy(_: Request, exc: TooBusy) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=429, headers={"Retry-After": str(BUSY_RETRY_AFTER_S)})

    @app.exception_handler(sa.exc.OperationalError)
    @app.exception_handler(OSError)
    def storage_failed(request: Request, exc: Exception) -> JSONResponse:
        """A database that is locked, full or unreachable (or a full disk): 503, try again shortly."""
        found = trouble(exc)
        if found is None:  # a bug, not the storage: answered here (raising on would skip the CORS headers)
            log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
            return JSONResponse({"detail": CRASHED}, status_code=500)
        log.warning("%s %s: %s (%s)", request.method, request.url.path, found.name, exc)
        return JSONResponse(
            {"detail": found.said(to_caller=True)},
            status_code=503,
            headers={"Retry-After": str(STORAGE_RETRY_AFTER_S)},
        )

    @app.exception_handler(VidgenError)
    def failed(_: Request, exc: VidgenError) -> JSONResponse:
        return JSONResponse({"detail": f"{plain(str(exc))}; try again, and report it if it happens again"}, 500)

    @app.exception_handler(Exception)
    def crashed(_: Request, exc: Exception) -> JSONResponse:
        """Anything else is a bug: a plain answer; the server logs the traceback (Starlette raises it on)."""
        return JSONResponse({"detail": CRASHED}, status_code=500)
