"""vidgen's use cases, assembled once for the CLI and the API: submit (generate), estimate, approve a video in
review, regenerate a beat, select a take, resume, show, list, batches, archive, uploads and health. The adapters
parse, call one method and print or serialize its typed result.

Reads (``status``, ``details``, ``videos``, ``show``, ``batch_report``) never write. Request rows are brought in step
with their runs by one named step, ``sync_runs``: the commands that reopen a video call it first, and the sensors
keep every other row in step."""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, BinaryIO

import dagster as dg

from vidgen_core.adapters.storage import BlobStore, VideoKeys, open_store, upload_key
from vidgen_core.domain.captions import SIDECARS
from vidgen_core.domain.costs import by_aspect, check_request_budget, estimate_request
from vidgen_core.domain.errors import InvalidRequest, NotFound, NotReady
from vidgen_core.domain.models import (
    AssetRole,
    Deliverable,
    DeliverableKind,
    Deliverables,
    GenerationRequest,
    Phase,
    ReferenceAsset,
    RenderedVideo,
)
from vidgen_core.persistence.batches import BATCH_TITLE_MAX_CHARS, BatchDB, BatchRecord, new_batch_id
from vidgen_core.persistence.ledger import Ledger
from vidgen_core.persistence.requests import RequestDB, RequestRecord, Status, check_approvable, new_run_key
from vidgen_core.persistence.takes import LineTakeDB, TakeDB
from vidgen_core.persistence.trouble import trouble
from vidgen_core.persistence.uploads import UploadDB, UploadRecord, new_asset_id
from vidgen_core.pipeline.batches import check_rows
from vidgen_core.pipeline.registry import PHASES
from vidgen_core.pipeline.requests import build_request, check_providers
from vidgen_core.pipeline.takes import (
    check_approval_budget,
    check_beat,
    regenerate_beat,
    regenerate_line,
    select_take,
    wants_line_take,
)
from vidgen_core.pipeline.uploads import CheckedImage, check_image
from vidgen_core.pipeline.videos import VideoState, describe, stored_spec
from vidgen_core.settings import Settings
from vidgen_dagster import batch as batches
from vidgen_dagster import execute
from vidgen_dagster.archive import Archived, archive
from vidgen_dagster.batch import BatchReport
from vidgen_dagster.instance import open_instance
from vidgen_dagster.observe import report_request_version
from vidgen_dagster.runs import phase_times, sync_video, video_runs
from vidgen_dagster.service.models import (
    AlreadyComplete,
    BadRows,
    BatchDraft,
    BatchMade,
    Draft,
    Estimate,
    Interrupted,
    Queued,
    Retake,
    RunLine,
    RunSummary,
    Via,
    VideoDetails,
    VideoPage,
    VideoStatus,
)

log = logging.getLogger("vidgen.service")
DAEMON_STALE_S = 60  # a sensor daemon silent this long is not running
Started = Callable[[str], None]  # told the video id just before a run starts in this process


class VidgenService:
    """The use cases on one settings and Dagster instance. Its parts are opened when first used, so an estimate
    writes nothing (not even the requests database)."""

    def __init__(self, settings: Settings, instance: dg.DagsterInstance | None = None) -> None:
        self.settings = settings
        if instance is not None:
            self.instance = instance

    def open(self) -> VidgenService:
        """Open every part now (a server): a broken home fails at start, and request threads share one of each."""
        _ = (self.instance, self.db, self.takes, self.line_takes, self.uploads, self.ledger, self.store)  # opened once
        return self

    @cached_property
    def instance(self) -> dg.DagsterInstance:
        return open_instance(self.settings)

    @cached_property
    def db(self) -> RequestDB:
        return RequestDB(self.settings.db_url)

    @cached_property
    def takes(self) -> TakeDB:
        return TakeDB(self.settings.db_url)

    @cached_property
    def line_takes(self) -> LineTakeDB:
        return LineTakeDB(self.settings.db_url)

    @cached_property
    def uploads(self) -> UploadDB:
        return UploadDB(self.settings.db_url)

    @cached_property
    def ledger(self) -> Ledger:
        return Ledger(self.settings.db_url)

    @cached_property
    def store(self) -> BlobStore:
        return open_store(self.settings)

    # -- new videos ------------------------------------------------------------------------------------------------

    def estimate(self, draft: Draft) -> Estimate:
        """What a draft would cost, before any key is set, and whether its budget would refuse it (its image files
        are checked, not stored)."""
        self._read_files(draft)
        request = self._build(draft)
        by_phase = estimate_request(request)
        try:
            check_request_budget(request, by_phase)
            refusal = None
        except InvalidRequest as exc:  # shown with the estimate, so the user sees what a cap must cover
            refusal = str(exc)
        return Estimate(
            estimate_usd=round(sum(by_phase.values()), 4),
            by_phase={str(k): v for k, v in by_phase.items()},
            by_aspect=dict(by_aspect(by_phase, request.aspect_ratio, request.campaign))
            if request.campaign.aspects
            else {},
            max_cost_usd=request.max_cost_usd,
            over_budget=refusal is not None,
            refusal=refusal,
        )

    def submit(self, draft: Draft, via: Via, started: Started | None = None) -> Queued:
        """A new video: checked (its images, references, budget, then keys), stored, and queued (API) or run here
        (CLI). Image files the draft brings (the CLI's) are uploaded as ``upload`` does, once all checks passed."""
        attached = self._read_files(draft)
        if draft.reference_assets:
            owner = draft.user_id or self.settings.default_user
            ids = [a.asset_id for a in draft.reference_assets]
            known = {u.asset_id for u in self.uploads.of(owner, ids)}
            unknown = [a for a in ids if a not in known]
            if unknown:
                raise InvalidRequest(
                    f"unknown reference assets {unknown}; upload images with POST /api/upload and use its asset_ids",
                    "reference_assets",
                )
        request = self._build(draft)
        estimate = check_request_budget(request)  # an over-budget request is refused whatever the keys; then the keys
        check_providers(self.settings, request.planner, request.media, narration=request.narration)
        if attached:
            stored = self._store_uploads(request.user_id, list(attached.values()))
            added = [ReferenceAsset(asset_id=a, role=role) for role, a in zip(attached, stored, strict=True)]
            request = request.model_copy(update={"reference_assets": [*request.reference_assets, *added]})
        if via is Via.API:
            record = self.db.submit(request, max_active=self.settings.max_active_per_user)
            return _queued(record, estimate)
        record = self.db.submit(request, status=Status.RUNNING)  # the sensor leaves it alone
        run = self._run(record, "cli", started).model_copy(update={"estimate_usd": estimate})
        return _queued(record, estimate, run)

    def _read_files(self, draft: Draft) -> dict[AssetRole, CheckedImage]:
        """The draft's image files, read and checked as uploads are (nothing stored yet), by role."""
        named = {a.role for a in draft.reference_assets}
        if twice := [role.value for role in draft.files if role in named]:
            raise InvalidRequest(f"a {' and a '.join(twice)} image is given twice; give one of each", "files")
        checked = {}
        for role, path in draft.files.items():
            given = f"the {role} image {str(path)!r}"
            try:
                with path.open("rb") as data:
                    checked[role] = self._checked(path.name, data)
            except FileNotFoundError:
                raise InvalidRequest(f"{given} does not exist; give a PNG, JPEG or WebP file", "files") from None
            except OSError as exc:
                said = f"{given} cannot be read ({exc.strerror or exc}); give a readable PNG, JPEG or WebP file"
                raise InvalidRequest(said, "files") from None
        return checked

    def _build(self, draft: Draft) -> GenerationRequest:
        return build_request(
            draft.prompt,
            self.settings,
            duration_s=draft.duration_s,
            aspect=draft.aspect,
            model=draft.model,
            user_id=draft.user_id,
            title=draft.title,
            description=draft.description,
            reference_assets=draft.reference_assets,
            planner=draft.planner,
            media=draft.media,
            max_cost_usd=draft.max_cost_usd,
            resolution=draft.resolution,
            loudness=draft.loudness,
            upscaler=draft.upscaler,
            voice=draft.voice,
            speech_model=draft.speech_model,
            captions=draft.captions,
            caption_style=draft.caption_style,
            language=draft.language,
            aspects=draft.aspects,
            platforms=draft.platforms,
            reframe=draft.reframe,
            cutdowns=draft.cutdowns,
            mezzanine=draft.mezzanine,
            review=draft.review,
            need_credentials=False,  # the budget and the keys are checked by the use case, estimating once
        )

    # -- a video again ---------------------------------------------------------------------------------------------

    def regenerate(
        self,
        video_id: str,
        beat: int,
        via: Via,
        *,
        user_id: str | None = None,
        image_prompt: str | None = None,
        motion_prompt: str | None = None,
        line: str | None = None,
        voice: str | None = None,
        aspects: Sequence[str] | None = None,
        started: Started | None = None,
    ) -> Retake:
        """A new take of one beat, if what is left of the budget covers it: of its picture (one image and its clips
        are paid in each of ``aspects``, default every aspect, the others keeping their take; one image alone while
        the video is in review, whose run makes the storyboard and preview again),
        or with ``line`` and/or ``voice`` of its voiceover line (one line's speech is paid; the clips and music are
        reused, the mix, captions and final made again). Everything else is reused."""
        record = self._settled(self.owned(video_id, user_id), via)
        spec, request = stored_spec(self.store, record), record.request
        image_prompt, motion_prompt = image_prompt or None, motion_prompt or None
        if wants_line_take(image_prompt, motion_prompt, line, voice):
            if aspects:
                raise InvalidRequest("a beat's line is heard in every aspect; give a line take no aspects", "aspects")
            if spec is not None:  # a new voice reads the line the beat says now, even before a run has said it
                spec = spec.with_takes((), self.line_takes.current(video_id))
            said, cost = regenerate_line(self.line_takes, self.ledger, spec, request, beat, line, voice)
            return self._retake(record, beat, f"line{said.take}", cost, via, started)
        take, cost = regenerate_beat(
            self.takes,
            self.ledger,
            spec,
            request,
            beat,
            image_prompt,
            motion_prompt,
            in_review=record.in_review,
            aspects=aspects,
        )
        return self._retake(record, beat, f"take{take.take}", cost, via, started)

    def select_take(
        self,
        video_id: str,
        beat: int,
        take: int,
        via: Via,
        *,
        line: bool = False,
        user_id: str | None = None,
        started: Started | None = None,
    ) -> Retake:
        """Make an earlier take of a beat (of its ``line``) current again. Its calls are all in the cache: it pays
        nothing."""
        record = self._settled(self.owned(video_id, user_id), via)
        check_beat(stored_spec(self.store, record), video_id, beat)
        chosen = select_take(self.line_takes if line else self.takes, video_id, beat, take)
        return self._retake(record, beat, f"{'line' if line else 'take'}{chosen.take}", 0.0, via, started)

    def approve(self, video_id: str, via: Via, *, user_id: str | None = None, started: Started | None = None) -> Queued:
        """Approve a video in review: the whole graph runs (queued for the sensor, or here), buying its clips and
        music and reusing its plan and images from the call cache. Refused, changing nothing, for a video made
        without review, approved already, whose review run has not ended, or whose budget does not cover what is
        left to pay (the estimate: its clips, music and voice) on top of what it spent."""
        record = self._settled(self.owned(video_id, user_id), via)
        check_approvable(record)
        if record.active:  # its review run is asked for or under way: there is nothing to look at yet
            raise InvalidRequest(
                f"video {video_id} is still {record.status}; approve it once its preview is made", "video_id"
            )
        left = check_approval_budget(stored_spec(self.store, record), record.request, self.ledger)
        again = self._again(self.db.approve(record.video_id), "approved", via)
        run = self._run(again, "cli-approve", started) if via is Via.CLI else None
        return _queued(again, left, run)

    def resume(self, video_id: str, started: Started | None = None) -> RunSummary | AlreadyComplete:
        """Finish a failed or killed video in this process, paying only for what is missing."""
        record = self._settled(self.owned(video_id), Via.CLI)
        if record.status == Status.COMPLETE:  # nothing to finish: no run, nothing paid
            said = f"video {video_id} is already complete; see it with `vidgen show {video_id}`"
            return AlreadyComplete(video_id=video_id, status=record.status, message=said)
        if record.status == Status.IN_REVIEW:  # its review run is finished; what comes next is the approval's
            return AlreadyComplete(video_id=video_id, status=record.status, message=_in_review(video_id))
        return self._run(self._again(record, "resume", Via.CLI), "cli-resume", started)

    def _settled(self, record: RequestRecord, via: Via) -> RequestRecord:
        """The one rule before a video is made again: its row in step with its runs (a dead run failed), and refused
        while a run of it is under way or asked for, or (API) while its user is at their limit of active videos:
        checked before a take is made, so a refusal changes nothing (requeue checks both again under its lock)."""
        if record.status != Status.COMPLETE:
            self.sync_runs([record.video_id])
            record = self.db.get(record.video_id)
        if record.active and record.run_id:
            raise InvalidRequest(f"video {record.video_id} is still {record.status}; wait until it ends", "video_id")
        if via is Via.API:
            self.db.check_room(record.user_id, self.settings.max_active_per_user, record.video_id)
        return record

    def _again(self, record: RequestRecord, why: str, via: Via) -> RequestRecord:
        """The video under a new run key: queued for the sensor within the user's limit (API), or for the run this
        process starts next (CLI, which marks it running)."""
        key = new_run_key(record.request_id, why)
        if via is Via.API:
            return self.db.requeue(record.video_id, key, self.settings.max_active_per_user)
        self.db.update(record.video_id, run_key=key)
        return self.db.get(record.video_id)

    def _retake(
        self, record: RequestRecord, beat: int, made: str, cost: float, via: Via, started: Started | None
    ) -> Retake:
        """Run the video again for the take ``made`` of ``beat`` (``take2``, ``line1``); the result names the beat's
        current picture and line takes."""
        report_request_version(self.instance, self.db, record.video_id)  # the UI shows what the take makes stale
        again = self._again(record, f"beat{beat}-{made}", via)
        takes = {"beat": beat, "take": _current(self.takes, again.video_id, beat)}
        takes["line_take"] = _current(self.line_takes, again.video_id, beat)
        run = None
        if via is Via.CLI:
            run = self._run(again, "cli-regenerate", started).model_copy(update=takes)
        return Retake(**dict(_queued(again, cost, run)), **takes)

    def _run(self, record: RequestRecord, source: str, started: Started | None) -> RunSummary:
        if started is not None:
            started(record.video_id)
        try:
            return execute.run_video(record, self.settings, source)
        except KeyboardInterrupt as exc:  # outside the run's steps (those fail the run, which says how to resume)
            raise Interrupted(record.video_id) from exc

    def sync_runs(self, video_ids: list[str]) -> None:
        """Bring these videos' request rows in step with their latest runs: queued, running, complete, or failed
        with why (a run whose process died is failed here). The one step that writes what runs became."""
        for video_id in video_ids:
            sync_video(self.db, self.instance, video_id)

    # -- reads -----------------------------------------------------------------------------------------------------

    def owned(self, video_id: str, user_id: str | None = None) -> RequestRecord:
        """The video's row as stored; someone else's video (with ``user_id``) is as unknown as a missing one."""
        record = self.db.find(video_id)
        if record is None or (user_id is not None and record.user_id != user_id):
            raise NotFound(f"no video {video_id!r}; check the id that generate returned")
        return record

    def status(self, video_id: str, user_id: str | None = None) -> VideoStatus:
        return self._status(self.owned(video_id, user_id))

    def _status(self, record: RequestRecord, spec: dict[str, Any] | None = None) -> VideoStatus:
        keys = VideoKeys(record.user_id, record.video_id)
        spec = spec or self._spec(keys)
        storyboard: list[str] = []
        if spec is not None:
            storyboard = [keys.storyboard(beat["index"]) for beat in spec["beats"]]
            if not self.store.exists(PHASES[Phase.STORYBOARD].key(keys)):  # still drawing: only the ones already there
                storyboard = [key for key in storyboard if self.store.exists(key)]
        final = record.status == Status.COMPLETE and self.store.exists(keys.final())
        made = self._final(keys) if final else None
        return VideoStatus(
            record=record,
            cost_usd=self.ledger.spent(record.video_id),
            storyboard_keys=storyboard,
            stitched_key=keys.stitched() if spec and self.store.exists(keys.stitched()) else None,
            final_key=keys.final() if final else None,
            voice_key=made.voice_key if made else None,
            music_mix_key=made.music_mix_key if made else None,
            caption_keys={kind: key for kind, key in made.captions.items() if kind in SIDECARS} if made else {},
            review=record.review,
            preview_key=keys.animatic() if record.review and self.store.exists(keys.animatic()) else None,
        )

    def _final(self, keys: VideoKeys) -> RenderedVideo | None:
        """The final's manifest (where its voice track, music stem and caption files are), if it has one."""
        try:
            return RenderedVideo.model_validate_json(self.store.get_bytes(PHASES[Phase.FINAL_VIDEO].key(keys)))
        except NotFound:
            return None

    def _spec(self, keys: VideoKeys) -> dict[str, Any] | None:
        try:
            return json.loads(self.store.get_bytes(keys.spec()))
        except NotFound:
            return None

    def details(self, video_id: str, user_id: str | None = None) -> VideoDetails:
        """Everything about a video: its status, plan, beats and takes, ledger and runs."""
        record = self.owned(video_id, user_id)
        spec = self._spec(VideoKeys(record.user_id, record.video_id))
        runs = video_runs(self.instance, video_id)
        return VideoDetails(
            status=self._status(record, spec),
            spec=spec,
            state=describe(self.takes, self.line_takes, self.ledger, self.store, record),
            runs=[RunLine(run_id=r.dagster_run.run_id, status=r.dagster_run.status.value) for r in runs],
            phase_times_s=phase_times(self.instance, runs),
        )

    def deliverables(self, video_id: str, user_id: str | None = None) -> Deliverables:
        """Every file a complete video ships (each aspect, cutdown, platform version, poster, caption file, stem,
        the mezzanine and the zip), from its ``deliverables`` manifest; NotReady while it is not done."""
        record = self.owned(video_id, user_id)
        ask = f"`vidgen show {video_id}` (GET /api/status/{video_id})"
        if record.status == Status.FAILED:
            raise NotReady(
                f"video {video_id} failed, so its deliverables were not made; `vidgen resume {video_id}` finishes it "
                "without paying twice"
            )
        if record.status == Status.IN_REVIEW:  # no clip is made yet, and none until it is approved
            raise NotReady(f"{_in_review(video_id)}; its deliverables are made once it is")
        if record.status != Status.COMPLETE:
            raise NotReady(
                f"video {video_id} is {record.status} ({record.progress:.0f} %); its deliverables are made at the end "
                f"of its run: follow it with {ask} and ask again when it is complete"
            )
        try:
            key = PHASES[Phase.DELIVERABLES].key(VideoKeys(record.user_id, video_id))
            return Deliverables.model_validate_json(self.store.get_bytes(key))
        except NotFound:
            raise NotReady(
                f"video {video_id} was made before deliverables were; materialize its deliverables asset (partition "
                f"{video_id}) in the Dagster UI, then ask again"
            ) from None

    def copy_deliverables(self, video_id: str, out: Path) -> list[tuple[Deliverable, Path]]:
        """Copy every file of a complete video into the folder ``out`` (made if missing), under its listed name; the
        zip is left out (the folder holds what it holds)."""
        made = [f for f in self.deliverables(video_id).files if f.kind is not DeliverableKind.ARCHIVE]
        out.mkdir(parents=True, exist_ok=True)
        copied = []
        for f in made:
            shutil.copyfile(self.store.local_path(f.key), out / f.name)
            copied.append((f, out / f.name))
        return copied

    def show(self, video_id: str) -> VideoState:
        """A video's beats, takes, media, costs, ledger and where its final video is (`vidgen show`)."""
        return describe(self.takes, self.line_takes, self.ledger, self.store, self.owned(video_id))

    def videos(self, user_id: str | None, limit: int, offset: int) -> VideoPage:
        """A user's videos, newest first, a page at a time."""
        user = user_id or self.settings.default_user
        records, total = self.db.page(user, limit, offset)
        found = [self._status(r) for r in records]
        return VideoPage(user_id=user, videos=found, total=total, limit=limit, offset=offset)

    # -- batches ---------------------------------------------------------------------------------------------------

    def submit_batch(self, draft: BatchDraft, via: Via) -> BatchMade:
        """Check every row, price the batch, store it and launch its backfill. A bad row stores nothing (BadRows)
        unless ``skip_invalid``; the API's batches count against the user's batches in flight and are withdrawn
        if the webserver is down, the CLI's are kept for `vidgen batch --launch`."""
        if draft.title is not None and len(draft.title) > BATCH_TITLE_MAX_CHARS:
            raise InvalidRequest(f"the title is {len(draft.title)} characters; give at most {BATCH_TITLE_MAX_CHARS}")
        batch_id = new_batch_id()
        checked = check_rows(
            draft.rows,
            self.settings,
            batch_id=batch_id,
            user_id=draft.owner,
            default_user=draft.default_user,
            planner=draft.planner,
            media=draft.media,
        )
        if checked.bad and (not draft.skip_invalid or not checked.rows):
            raise BadRows(checked.bad, draft.skip_invalid)
        if draft.max_cost_usd is not None and checked.estimate_usd > draft.max_cost_usd + 1e-9:
            raise InvalidRequest(
                f"the batch of {len(checked.rows)} ads is estimated at ${checked.estimate_usd:.4f}, over its "
                f"max_cost_usd ${draft.max_cost_usd:.2f}; raise it (--max-cost), or split the batch",
                "max_cost_usd",
            )
        record = BatchRecord(
            batch_id=batch_id,
            user_id=draft.owner or draft.default_user or self.settings.default_user,
            title=draft.title or f"{len(checked.rows)} ads",
            videos=len(checked.rows),
            estimate_usd=checked.estimate_usd,
            max_cost_usd=draft.max_cost_usd,
            created_at=datetime.now(UTC),
        )
        api = via is Via.API  # an API caller has no way to launch a stored batch later
        limit = self.settings.batch_max_active_per_user if api else None
        made = batches.store_and_launch(self.settings, self.instance, record, checked, limit, keep_unlaunched=not api)
        return BatchMade(batch=made, videos=[r.request.video_id for r in checked.rows], skipped=checked.bad)

    def launch_batch(self, batch_id: str) -> BatchRecord:
        """Launch a stored batch whose backfill did not start (`vidgen batch --launch`)."""
        return batches.launch(BatchDB(self.settings.db_url), self.instance, self.settings, batch_id)

    def batch_report(self, batch_id: str, user_id: str | None = None) -> BatchReport:
        return batches.report(self.settings, self.instance, batch_id, user_id)

    def backfill_url(self, backfill_id: str) -> str:
        return batches.backfill_url(self.settings, backfill_id)

    # -- housekeeping ----------------------------------------------------------------------------------------------

    def archive(self, older_than_days: float, delete_runs: bool = False, dry_run: bool = False) -> Archived:
        """Delivered videos older than the window leave Dagster's partitions; their media, costs and rows stay."""
        if older_than_days < 0:
            raise InvalidRequest("--older-than must be 0 or more days", "older_than")
        return archive(self.db, self.instance, older_than_days, delete_runs, dry_run)

    def upload(self, user_id: str, files: list[tuple[str, BinaryIO]]) -> list[str]:
        """Store reference images (name, bytes to read) under the user's prefix, each decoded and encoded again; all
        are checked before any is kept, and no more of a file is read than one may hold. Returns their asset ids."""
        limit = self.settings.upload_max_files
        if len(files) > limit:
            raise InvalidRequest(f"{len(files)} files sent; send at most {limit} per upload", "files")
        return self._store_uploads(user_id, [self._checked(name, data) for name, data in files])

    def _checked(self, name: str, data: BinaryIO) -> CheckedImage:
        """One image checked (type, size, pixels), reading no more of it than one may hold."""
        max_bytes, max_pixels = self.settings.upload_max_bytes, self.settings.upload_max_pixels
        return check_image(name, data.read(max_bytes + 1), max_bytes, max_pixels)

    def _store_uploads(self, user_id: str, checked: list[CheckedImage]) -> list[str]:
        """Keep checked images under the user's prefix and record them; their asset ids."""
        asset_ids = []
        for image in checked:
            asset_id = new_asset_id()
            key = upload_key(user_id, asset_id, image.extension)
            self.store.put_bytes(key, image.data)
            self.uploads.add(
                UploadRecord(
                    asset_id=asset_id,
                    user_id=user_id,
                    key=key,
                    content_type=image.content_type,
                    size_bytes=len(image.data),
                    filename=image.filename,
                    created_at=datetime.now(UTC),
                )
            )
            asset_ids.append(asset_id)
        return asset_ids

    def health(self) -> dict[str, str]:
        """Whether the requests database takes writes, the store answers and the Dagster instance answers ("ok",
        else "unavailable: why"), and, when they do, whether the sensor daemon runs (reported, not required)."""
        checks = {}
        for name, probe, down in (
            ("database", self.db.ping, "unavailable: an unexpected fault; see the server log"),
            ("storage", self.store.ping, "unavailable: it cannot be read or written; see the server log"),
            ("dagster", lambda: self.instance.get_run_records(limit=1), "unavailable: its instance does not answer"),
        ):
            try:
                probe()
                checks[name] = "ok"
            except Exception as exc:  # which part is down in plain words; the detail goes to the server log
                log.warning("health: %s is down", name, exc_info=True)
                known = trouble(exc)
                checks[name] = f"unavailable: {known.said()}" if known else down
        checks["sensor_daemon"] = self._daemon() if all(v == "ok" for v in checks.values()) else "unknown"
        return checks

    def _daemon(self) -> str:
        sensor = self.instance.get_daemon_heartbeats().get("SENSOR")
        if sensor is None or time.time() - sensor.timestamp > DAEMON_STALE_S:
            return "not running: requests stay queued until `dagster-daemon run` (or `make ui`) is up"
        return "ok"


def _current(takes: TakeDB, video_id: str, beat: int) -> int:
    """The beat's current take in ``takes`` (0: the plan's)."""
    return next((t.take for t in reversed(takes.current(video_id)) if t.beat_index == beat), 0)


def _in_review(video_id: str) -> str:
    """What a video in review waits for, and how to give it."""
    return (
        f"video {video_id} is in review: look at its preview (`vidgen show {video_id}`), then `vidgen approve "
        f"{video_id}` (or POST /api/video/{video_id}/approve) to buy its clips"
    )


def _queued(record: RequestRecord, estimate: float, run: RunSummary | None = None) -> Queued:
    return Queued(
        video_id=record.video_id,
        request_id=record.request_id,
        status=record.status,
        estimate_usd=estimate,
        max_cost_usd=record.request.max_cost_usd,
        planner=record.request.planner,
        media=record.request.media,
        run=run,
    )
