"""The routes: generate, status, video, upload, signed files, health (the seed's contract)."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, File, HTTPException, Path, Query, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse, Response

from api.errors import short_errors
from api.schemas import (
    BadRowOut,
    BatchIn,
    BatchOut,
    BatchStatusOut,
    ErrorOut,
    GenerateIn,
    GenerateOut,
    HealthOut,
    RegenerateIn,
    RegenerateOut,
    StatusOut,
    UploadOut,
    VideoListOut,
    VideoOut,
)
from api.services import Services, ServicesDep, UserDep
from api.views import details_of, owned_record, status_of
from vidgen_core.adapters.storage import KeyOutsideStore, LocalStore, upload_key
from vidgen_core.domain.costs import beat_estimate, check_request_budget
from vidgen_core.domain.errors import InvalidRequest, NotFound
from vidgen_core.persistence.batches import BatchRecord, new_batch_id
from vidgen_core.persistence.requests import OFFSET_MAX, PAGE_MAX, PAGE_SIZE, new_run_key
from vidgen_core.persistence.takes import TakeDB
from vidgen_core.persistence.trouble import trouble
from vidgen_core.persistence.uploads import UploadDB, UploadRecord, new_asset_id
from vidgen_core.pipeline.batches import check_rows
from vidgen_core.pipeline.requests import build_request
from vidgen_core.pipeline.takes import regenerate as new_take
from vidgen_core.pipeline.uploads import check_image
from vidgen_core.pipeline.videos import stored_spec
from vidgen_core.settings import Settings
from vidgen_dagster import batch as batches
from vidgen_dagster.observe import report_request_version

router = APIRouter()
log = logging.getLogger("vidgen.api")
VideoId = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{2,62}$", examples=["vid-0123456789ab"])]
DAEMON_STALE_S = 60
AUTH = {401: {"model": ErrorOut, "description": "Missing or unknown API key."}}
BAD_BODY = {400: {"model": ErrorOut, "description": "The body cannot be parsed (not UTF-8 JSON or multipart)."}}
API_FIELD = {"aspect": "aspect_ratio", "max_cost": "max_cost_usd", None: "prompt"}  # a batch column -> its field
NOT_FOUND = {404: {"model": ErrorOut, "description": "No such video for this user."}}
UPLOAD_MAX_FILES = Settings.model_fields["upload_max_files"].default  # what the schema says; the setting rules


@router.post(
    "/api/generate",
    tags=["videos"],
    responses={**AUTH, **BAD_BODY, 429: {"model": ErrorOut, "description": "The user has a video in progress."}},
)
def generate(body: GenerateIn, user: UserDep, found: ServicesDep) -> GenerateOut:
    """Queue a video ad. The request sensor starts its run within seconds; follow it with /api/status."""
    if body.reference_assets:
        known = {u.asset_id for u in UploadDB(found.db.url).of(user, body.reference_assets)}
        unknown = [a for a in body.reference_assets if a not in known]
        if unknown:
            raise InvalidRequest(
                f"unknown reference assets {unknown}; upload images with POST /api/upload and use its asset_ids",
                "reference_assets",
            )
    request = build_request(
        body.prompt,
        found.settings,
        duration_s=body.duration,
        aspect=body.aspect_ratio,
        model=body.model.value if body.model else None,
        user_id=user,
        title=body.title,
        description=body.description,
        reference_assets=body.reference_assets,
        max_cost_usd=body.max_cost_usd,
    )
    estimate = check_request_budget(request)
    record = found.db.submit(request, max_active=found.settings.max_active_per_user)
    return GenerateOut(
        video_id=record.video_id,
        request_id=record.request_id,
        status=record.status,
        estimate_usd=estimate,
        max_cost_usd=request.max_cost_usd,
    )


@router.post(
    "/api/video/{video_id}/beats/{beat}/regenerate",
    tags=["videos"],
    responses={
        **AUTH,
        **BAD_BODY,
        **NOT_FOUND,
        402: {"model": ErrorOut, "description": "What is left of the video's budget does not cover it."},
        429: {"model": ErrorOut, "description": "The user has a video in progress."},
    },
)
def regenerate(
    video_id: VideoId,
    beat: Annotated[int, Path(ge=0, le=99, description="The beat's index, as in storyboard/beat_NN.png.")],
    body: RegenerateIn,
    user: UserDep,
    found: ServicesDep,
) -> RegenerateOut:
    """A new take of one beat: one image and that beat's clips are paid, everything else is reused. With
    ``take``, go back to an earlier take for free. Follow it with /api/status like a new video."""
    record = owned_record(found, video_id, user)
    take = new_take(
        TakeDB(found.db.url), found.ledger, found.store, record, beat, body.prompt, body.motion_prompt, body.take
    )
    report_request_version(found.instance, found.db, video_id)  # the UI shows what the new take makes stale
    queued = found.db.requeue(
        video_id, new_run_key(record.request_id, f"beat{beat}-take{take.take}"), found.settings.max_active_per_user
    )
    spec = stored_spec(found.store, record)
    cost = beat_estimate(spec, record.request, beat) if spec and body.take is None else 0.0
    return RegenerateOut(
        video_id=video_id,
        request_id=queued.request_id,
        status=queued.status,
        estimate_usd=cost,
        max_cost_usd=record.request.max_cost_usd,
        beat=beat,
        take=take.take,
    )


@router.post(
    "/api/batch",
    tags=["batches"],
    responses={
        **AUTH,
        **BAD_BODY,
        429: {"model": ErrorOut, "description": "The user has as many batches in flight as allowed."},
        502: {"model": ErrorOut, "description": "The Dagster webserver refused the backfill; nothing was kept."},
        503: {"model": ErrorOut, "description": "Not launched, nothing kept: submit it again after Retry-After."},
    },
)
def submit_batch(body: BatchIn, user: UserDep, found: ServicesDep) -> BatchOut:
    """Queue many ads as one Dagster partition backfill. Every row is checked first; with a bad row nothing is
    stored (422 naming each row) unless ``skip_invalid``. Follow it with GET /api/batch/{batch_id}."""
    settings, batch_id = found.settings, new_batch_id()
    checked = check_rows(
        [(i, row.as_row()) for i, row in enumerate(body.rows)], settings, batch_id=batch_id, user_id=user
    )
    skipped = [BadRowOut(index=b.line, field=b.field, error=b.error) for b in checked.bad]
    if skipped and (not body.skip_invalid or not checked.rows):
        detail = [
            {"loc": ["body", "rows", b.index, API_FIELD.get(b.field, b.field)], "msg": b.error, "type": "value_error"}
            for b in skipped
        ]
        raise HTTPException(422, short_errors(detail))
    if body.max_cost_usd is not None and checked.estimate_usd > body.max_cost_usd + 1e-9:
        raise InvalidRequest(
            f"the batch is estimated at ${checked.estimate_usd:.4f}, over its max_cost_usd ${body.max_cost_usd:.2f}",
            "max_cost_usd",
        )
    record = BatchRecord(
        batch_id=batch_id,
        user_id=user,
        title=body.title or f"{len(checked.rows)} ads",
        videos=len(checked.rows),
        estimate_usd=checked.estimate_usd,
        max_cost_usd=body.max_cost_usd,
        created_at=datetime.now(UTC),
    )
    made = batches.store_and_launch(  # withdrawn if not launched: an API caller has no way to launch it later
        settings, found.instance, record, checked, settings.batch_max_active_per_user, keep_unlaunched=False
    )
    return BatchOut(
        batch_id=batch_id,
        videos=[r.request.video_id for r in checked.rows],
        estimate_usd=made.estimate_usd,
        max_cost_usd=made.max_cost_usd,
        backfill_id=made.backfill_id,
        skipped=skipped,
    )


@router.get("/api/batch/{batch_id}", tags=["batches"], responses={**AUTH, 404: {"model": ErrorOut}})
def batch_status(
    batch_id: Annotated[str, Path(pattern=r"^bat-[a-f0-9]{12}$")], user: UserDep, found: ServicesDep
) -> BatchStatusOut:
    """A batch's progress: its videos by status, what it spent against its cap, and its backfill."""
    state = batches.state(found.settings, found.instance, batch_id, user)
    return BatchStatusOut(
        **state["batch"],
        counts=state["counts"],
        done=state["done"],
        spent_usd=state["spent_usd"],
        backfill_status=state["backfill_status"],
        items=state["videos"],
    )


@router.get("/api/videos", tags=["videos"], responses={**AUTH})
def videos(
    request: Request,
    user: UserDep,
    found: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = PAGE_SIZE,
    offset: Annotated[int, Query(ge=0, le=OFFSET_MAX)] = 0,
) -> VideoListOut:
    """The caller's videos, newest first, a page at a time."""
    records, total = found.db.page(user, limit, offset)
    base = str(request.base_url)
    return VideoListOut(videos=[status_of(found, r, base) for r in records], total=total, limit=limit, offset=offset)


@router.get("/api/status/{video_id}", tags=["videos"], responses={**AUTH, **NOT_FOUND})
def status(video_id: VideoId, request: Request, user: UserDep, found: ServicesDep) -> StatusOut:
    """Status, progress, current phase, storyboard/stitched/final links (valid one hour), chunk count, cost."""
    return status_of(found, owned_record(found, video_id, user), str(request.base_url))


@router.get("/api/video/{video_id}", tags=["videos"], responses={**AUTH, **NOT_FOUND})
def video(video_id: VideoId, request: Request, user: UserDep, found: ServicesDep) -> VideoOut:
    """Everything about a video: request, plan, cost breakdown (failed attempts included), timings, runs."""
    return details_of(found, owned_record(found, video_id, user), str(request.base_url))


@router.post(
    "/api/upload",
    tags=["assets"],
    responses={
        **AUTH,
        **BAD_BODY,
        413: {"model": ErrorOut, "description": "A file is too large."},
        415: {"model": ErrorOut, "description": "A file is not a PNG, JPEG or WebP image."},
    },
)
def upload(
    files: Annotated[
        list[UploadFile],
        File(min_length=1, json_schema_extra={"maxItems": UPLOAD_MAX_FILES}, description="1 to 10 images."),
    ],
    user: UserDep,
    found: ServicesDep,
) -> UploadOut:
    """Store reference images under the caller's prefix. All files are checked before any is kept."""
    limit = found.settings.upload_max_files
    if len(files) > limit:
        raise InvalidRequest(f"{len(files)} files sent; send at most {limit} per upload", "files")
    max_bytes, max_pixels = found.settings.upload_max_bytes, found.settings.upload_max_pixels
    checked = []
    for file in files:  # every file is checked before any is stored
        data = file.file.read(max_bytes + 1)
        checked.append(check_image(file.filename or "", data, max_bytes, max_pixels))
    asset_ids = []
    for image in checked:  # what is kept is the decoded image encoded again, never the bytes as sent
        asset_id = new_asset_id()
        key = upload_key(user, asset_id, image.extension)
        found.store.put_bytes(key, image.data)
        UploadDB(found.db.url).add(
            UploadRecord(
                asset_id=asset_id,
                user_id=user,
                key=key,
                content_type=image.content_type,
                size_bytes=len(image.data),
                filename=image.filename,
                created_at=datetime.now(UTC),
            )
        )
        asset_ids.append(asset_id)
    return UploadOut(asset_ids=asset_ids)


@router.get(
    "/api/files/{key:path}",
    tags=["files"],
    response_class=FileResponse,
    responses={
        200: {"content": {"image/png": {}, "video/mp4": {}}},
        403: {"model": ErrorOut, "description": "The link's signature is wrong or it has expired."},
        404: {"model": ErrorOut, "description": "No file at this key in the store."},
    },
)
def files(
    key: str,
    expires: Annotated[int, Query()],
    signature: Annotated[str, Query(pattern="^[0-9a-f]{64}$")],
    found: ServicesDep,
):
    """A stored file behind a signed link from /api/status (local storage; with S3 the links go to S3)."""
    if not isinstance(found.store, LocalStore) or not found.links.valid(key, expires, signature):
        raise HTTPException(403, "this link is not valid or has expired; ask /api/status for a fresh one")
    try:  # even a valid signature never reaches outside the store (``..``, absolute paths, symlinks out)
        return FileResponse(found.store.local_path(key))
    except (KeyOutsideStore, NotFound):
        raise HTTPException(404, "no file at this link; ask /api/status for a fresh one") from None


@router.get(
    "/api/previews/{key:path}",
    tags=["files"],
    response_class=Response,
    responses={
        200: {"content": {"image/jpeg": {}}},
        403: {"model": ErrorOut, "description": "The link's signature is wrong."},
        404: {"model": ErrorOut, "description": "No preview at this key in the store."},
    },
)
def previews(key: str, signature: Annotated[str, Query(pattern="^[0-9a-f]{64}$")], found: ServicesDep) -> Response:
    """A phase's preview (a small JPEG) behind the lasting link its Dagster materialization shows."""
    if not found.links.preview_valid(key, signature):
        raise HTTPException(403, "this preview link is not valid")
    try:
        return Response(found.store.get_bytes(key), media_type="image/jpeg")
    except (KeyOutsideStore, NotFound):
        raise HTTPException(404, "no preview at this link") from None


@router.get("/health", tags=["health"], responses={503: {"model": HealthOut, "description": "Something is down."}})
def health(found: ServicesDep) -> HealthOut:
    """Whether the requests database takes writes, the storage answers and the Dagster instance answers (each
    within the API's lock wait, VIDGEN_API_LOCK_WAIT_S)."""
    checks = {}
    for name, probe, down in (
        ("database", found.db.ping, "unavailable: an unexpected fault; see the server log"),
        ("storage", found.store.ping, "unavailable: it cannot be read or written; see the server log"),
        ("dagster", lambda: found.instance.get_run_records(limit=1), "unavailable: its instance does not answer"),
    ):
        try:
            probe()
            checks[name] = "ok"
        except Exception as exc:  # report which part is down in plain words; the detail goes to the server log
            log.warning("health: %s is down", name, exc_info=True)
            known = trouble(exc)
            checks[name] = f"unavailable: {known.said()}" if known else down
    healthy = all(v == "ok" for v in checks.values())
    checks["sensor_daemon"] = _daemon(found) if healthy else "unknown"  # reported, not required: the API still works
    body = HealthOut(
        status="healthy" if healthy else "unhealthy", checks=checks, auth="api_keys" if found.users else "off"
    )
    return body if healthy else JSONResponse(body.model_dump(), status_code=503)  # type: ignore[return-value]


def _daemon(found: Services) -> str:
    beats = found.instance.get_daemon_heartbeats()
    sensor = beats.get("SENSOR")
    if sensor is None or time.time() - sensor.timestamp > DAEMON_STALE_S:
        return "not running: requests stay queued until `dagster-daemon run` (or `make ui`) is up"
    return "ok"
