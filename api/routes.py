"""The routes: generate, status, video, upload, signed files, health (the seed's contract). Each parses, calls one
use case of the service and serializes its result."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, HTTPException, Path, Query, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response

from api.errors import short_errors
from api.schemas import (
    BadRowOut,
    BatchIn,
    BatchOut,
    BatchStatusOut,
    DeliverablesOut,
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
from api.services import ServicesDep, UserDep
from api.views import deliverables_out, status_out, video_out
from vidgen_core.adapters.storage import KeyOutsideStore, LocalStore
from vidgen_core.domain.errors import NotFound
from vidgen_core.persistence.requests import OFFSET_MAX, PAGE_MAX, PAGE_SIZE
from vidgen_core.settings import Settings
from vidgen_dagster.service import BadRows, BatchDraft, Draft, Via

router = APIRouter()
VideoId = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{2,62}$", examples=["vid-0123456789ab"])]
AUTH = {401: {"model": ErrorOut, "description": "Missing or unknown API key."}}
BAD_BODY = {400: {"model": ErrorOut, "description": "The body cannot be parsed (not UTF-8 JSON or multipart)."}}
API_FIELD = {"aspect": "aspect_ratio", "max_cost": "max_cost_usd", None: "prompt"}  # a batch column -> its field
NOT_FOUND = {404: {"model": ErrorOut, "description": "No such video for this user."}}
NOT_READY = {409: {"model": ErrorOut, "description": "The video is not complete yet (or failed): what to do."}}
UPLOAD_MAX_FILES = Settings.model_fields["upload_max_files"].default  # what the schema says; the setting rules


@router.post(
    "/api/generate",
    tags=["videos"],
    responses={**AUTH, **BAD_BODY, 429: {"model": ErrorOut, "description": "The user has a video in progress."}},
)
def generate(body: GenerateIn, user: UserDep, found: ServicesDep) -> GenerateOut:
    """Queue a video ad. The request sensor starts its run within seconds; follow it with /api/status."""
    draft = Draft(
        body.prompt,
        duration_s=body.duration,
        aspect=body.aspect_ratio,
        model=body.model.value if body.model else None,
        user_id=user,
        title=body.title,
        description=body.description,
        reference_assets=body.references(),
        max_cost_usd=body.max_cost_usd,
        resolution=body.resolution,
        loudness=body.loudness,
        upscaler=body.upscaler,
        voice=body.voice,
        speech_model=body.speech_model,
        captions=body.captions,
        caption_style=body.caption_style,
        language=body.language,
        aspects=list(body.aspects),
        platforms=list(body.platforms),
        reframe=body.reframe,
        cutdowns=list(body.cutdowns),
        mezzanine=body.mezzanine,
        review=body.review,
    )
    return GenerateOut.model_validate(found.service.submit(draft, Via.API), from_attributes=True)


@router.post(
    "/api/video/{video_id}/approve",
    tags=["videos"],
    responses={
        **AUTH,
        **NOT_FOUND,
        422: {"model": ErrorOut, "description": "Not in review: made without review, approved already, or running."},
        429: {"model": ErrorOut, "description": "The user has a video in progress."},
    },
)
def approve(video_id: VideoId, user: UserDep, found: ServicesDep) -> GenerateOut:
    """Approve a video in review after looking at its preview: its clips and music are made and paid for now, its
    plan and images reused. The estimate is what is left to pay. Follow it with /api/status like a new video."""
    return GenerateOut.model_validate(found.service.approve(video_id, Via.API, user_id=user), from_attributes=True)


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
    """A new take of one beat: one image and that beat's clips are paid (in each of ``aspects``, default every native
    aspect), everything else is reused. With ``line``
    and/or ``voice``, a new take of the beat's voiceover line: one line's speech is paid, the clips and music are
    reused, the mix, captions and final made again (422 says what to fix: an empty line, one over the beat's word
    budget, a voice the speech model does not have). With ``take`` or ``line_take``, go back to an earlier take for
    free. Follow it with /api/status like a new video."""
    service = found.service
    if body.take is not None:
        done = service.select_take(video_id, beat, body.take, Via.API, user_id=user)
    elif body.line_take is not None:
        done = service.select_take(video_id, beat, body.line_take, Via.API, line=True, user_id=user)
    else:
        done = service.regenerate(
            video_id,
            beat,
            Via.API,
            user_id=user,
            image_prompt=body.prompt,
            motion_prompt=body.motion_prompt,
            line=body.line,
            voice=body.voice,
            aspects=body.aspects,
        )
    return RegenerateOut.model_validate(done, from_attributes=True)


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
    draft = BatchDraft(
        [(i, row.as_row()) for i, row in enumerate(body.rows)],
        owner=user,
        title=body.title or None,
        max_cost_usd=body.max_cost_usd,
        skip_invalid=body.skip_invalid,
    )
    try:
        made = found.service.submit_batch(draft, Via.API)
    except BadRows as exc:
        detail = [
            {"loc": ["body", "rows", b.line, API_FIELD.get(b.field, b.field)], "msg": b.error, "type": "value_error"}
            for b in exc.bad
        ]
        raise HTTPException(422, short_errors(detail)) from None
    return BatchOut(
        batch_id=made.batch.batch_id,
        videos=made.videos,
        estimate_usd=made.batch.estimate_usd,
        max_cost_usd=made.batch.max_cost_usd,
        backfill_id=made.batch.backfill_id,
        skipped=[BadRowOut(index=b.line, field=b.field, error=b.error) for b in made.skipped],
    )


@router.get("/api/batch/{batch_id}", tags=["batches"], responses={**AUTH, 404: {"model": ErrorOut}})
def batch_status(
    batch_id: Annotated[str, Path(pattern=r"^bat-[a-f0-9]{12}$")], user: UserDep, found: ServicesDep
) -> BatchStatusOut:
    """A batch's progress: its videos by status, what it spent against its cap, and its backfill."""
    report = found.service.batch_report(batch_id, user)
    return BatchStatusOut(
        **report.batch.model_dump(exclude={"user_id", "created_at"}),
        counts=report.counts,
        done=report.done,
        spent_usd=report.spent_usd,
        backfill_status=report.backfill_status,
        items=report.videos,
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
    page, base = found.service.videos(user, limit, offset), str(request.base_url)
    return VideoListOut(
        videos=[status_out(v, found.links, base) for v in page.videos], total=page.total, limit=limit, offset=offset
    )


@router.get("/api/status/{video_id}", tags=["videos"], responses={**AUTH, **NOT_FOUND})
def status(video_id: VideoId, request: Request, user: UserDep, found: ServicesDep) -> StatusOut:
    """Status, progress, current phase, storyboard/stitched/final links (valid one hour) and, once the final is
    made, its voice track, music stem and caption files', chunk count, cost."""
    return status_out(found.service.status(video_id, user), found.links, str(request.base_url))


@router.get("/api/video/{video_id}", tags=["videos"], responses={**AUTH, **NOT_FOUND})
def video(video_id: VideoId, request: Request, user: UserDep, found: ServicesDep) -> VideoOut:
    """Everything about a video: request, plan, cost breakdown (failed attempts included), timings, runs."""
    return video_out(found.service.details(video_id, user), found.links, str(request.base_url))


@router.get("/api/video/{video_id}/deliverables", tags=["videos"], responses={**AUTH, **NOT_FOUND, **NOT_READY})
def deliverables(video_id: VideoId, request: Request, user: UserDep, found: ServicesDep) -> DeliverablesOut:
    """Every file a complete video ships: each aspect's master, cutdowns, platform versions, posters, captions,
    stems and the ProRes mezzanine, each with its platform, aspect, length, size and a link valid for one hour, and
    the zip of them all."""
    made = found.service.deliverables(video_id, user)
    return deliverables_out(video_id, made, found.links, str(request.base_url))


@router.get(
    "/api/video/{video_id}/deliverables.zip",
    tags=["videos"],
    response_class=RedirectResponse,
    status_code=307,
    responses={**AUTH, **NOT_FOUND, **NOT_READY, 307: {"description": "To the zip's signed link (one hour)."}},
)
def deliverables_zip(video_id: VideoId, request: Request, user: UserDep, found: ServicesDep) -> RedirectResponse:
    """The zip of every file of a complete video: a redirect to its signed link."""
    made = deliverables_out(video_id, found.service.deliverables(video_id, user), found.links, str(request.base_url))
    if made.archive_url is None:
        said = f"video {video_id} has no zip of its deliverables; list them with GET /api/video/{video_id}/deliverables"
        raise HTTPException(404, said)
    return RedirectResponse(made.archive_url, status_code=307)


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
    return UploadOut(asset_ids=found.service.upload(user, [(file.filename or "", file.file) for file in files]))


@router.get(
    "/api/files/{key:path}",
    tags=["files"],
    response_class=FileResponse,
    responses={
        200: {
            "content": {
                **{t: {} for t in ("image/png", "image/jpeg", "video/mp4", "video/quicktime", "audio/x-wav")},
                **{t: {} for t in ("text/vtt", "text/plain", "application/zip")},
            }
        },
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
    store = found.service.store
    if not isinstance(store, LocalStore) or not found.links.valid(key, expires, signature):
        raise HTTPException(403, "this link is not valid or has expired; ask /api/status for a fresh one")
    try:  # even a valid signature never reaches outside the store (``..``, absolute paths, symlinks out)
        return FileResponse(store.local_path(key))
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
        return Response(found.service.store.get_bytes(key), media_type="image/jpeg")
    except (KeyOutsideStore, NotFound):
        raise HTTPException(404, "no preview at this link") from None


@router.get("/health", tags=["health"], responses={503: {"model": HealthOut, "description": "Something is down."}})
def health(found: ServicesDep) -> HealthOut:
    """Whether the requests database takes writes, the storage answers and the Dagster instance answers (each
    within the API's lock wait, VIDGEN_API_LOCK_WAIT_S)."""
    checks = found.service.health()
    healthy = all(v == "ok" for k, v in checks.items() if k != "sensor_daemon")  # the API works without the daemon
    body = HealthOut(
        status="healthy" if healthy else "unhealthy", checks=checks, auth="api_keys" if found.users else "off"
    )
    return body if healthy else JSONResponse(body.model_dump(), status_code=503)  # type: ignore[return-value]
