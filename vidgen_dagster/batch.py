"""Batches of ads: store the checked rows, add their partitions, launch one partition backfill; and report it.
Used by `vidgen batch` and by the API's /api/batch."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from vidgen_core.domain.errors import InvalidRequest
from vidgen_core.persistence.batches import BATCH_TITLE_MAX_CHARS, BatchDB, BatchRecord, BatchState, new_batch_id
from vidgen_core.persistence.ledger import Ledger
from vidgen_core.pipeline.batches import CheckedBatch, check_rows, read_rows
from vidgen_core.settings import Settings
from vidgen_dagster.backfills import BackfillRefused, ServiceDown, backfill_status, launch_backfill
from vidgen_dagster.instance import open_instance
from vidgen_dagster.partitions import videos
from vidgen_dagster.runs import sync_all

EXIT_BAD_INPUT, EXIT_NOT_LAUNCHED = 2, 1


def store_and_launch(
    settings: Settings,
    instance: dg.DagsterInstance,
    batch: BatchRecord,
    checked: CheckedBatch,
    max_active: int | None = None,
    keep_unlaunched: bool = True,
) -> BatchRecord:
    """Store the batch and its requests, add their partitions, and launch its backfill on the webserver.

    If the webserver is down the batch stays stored, with the reason in ``error``, for ``launch`` later (`vidgen
    batch --launch`), unless not ``keep_unlaunched``; if it refuses the backfill, nothing of the batch is kept (see
    ``launch``).
    """
    db = BatchDB(settings.db_url)
    db.store(batch, checked.requests, max_active)
    return launch(db, instance, settings, batch.batch_id, keep_unlaunched)


def launch(
    db: BatchDB, instance: dg.DagsterInstance, settings: Settings, batch_id: str, keep_unlaunched: bool = True
) -> BatchRecord:
    """Add a stored batch's partitions and launch its backfill (once); a webserver that is down is recorded when
    ``keep_unlaunched`` (the CLI can launch it later), else the batch is withdrawn and ServiceDown raised.

    Any other failure (the webserver refuses the backfill, a database fails) withdraws the batch: its rows and
    partitions are deleted and the error raised. None of its videos can have run, so nothing is lost but the
    submission, which the user repeats; a batch kept instead would hold one of the user's batch slots with nothing
    that could ever launch or cancel it.
    """
    batch = db.get(batch_id)
    if batch.backfill_id:
        raise InvalidRequest(f"batch {batch_id} was launched already, as backfill {batch.backfill_id}", "batch_id")
    ids = [r.video_id for r in db.videos(batch_id)]
    try:
        instance.add_dynamic_partitions(videos.name, ids)
        backfill = launch_backfill(settings.dagster_url, batch_id, batch.title, ids, batch.user_id)
    except Exception as exc:
        if keep_unlaunched and isinstance(exc, ServiceDown):
            db.update(batch_id, error=str(exc))
            return db.get(batch_id)
        db.withdraw(batch_id)
        for video_id in ids:
            instance.delete_dynamic_partition(videos.name, video_id)
        raise
    else:
        db.update(batch_id, backfill_id=backfill, error=None)
    return db.get(batch_id)


def backfill_url(settings: Settings, backfill_id: str) -> str:
    """The backfill's page in the Dagster UI."""
    return f"{settings.dagster_url}/runs/b/{backfill_id}"


def state(settings: Settings, instance: dg.DagsterInstance, batch_id: str, user_id: str | None = None) -> dict:
    """The batch's progress (its videos brought in step with their runs first) and its backfill's status."""
    db = BatchDB(settings.db_url)
    batch = db.get(batch_id, user_id)
    sync_all(db.requests, instance, [r for r in db.videos(batch_id) if r.active])
    found: BatchState = db.state(batch_id, Ledger(settings.db_url), user_id)
    return found.model_dump(mode="json") | {
        "backfill_status": backfill_status(instance, batch.backfill_id),
        "backfill_url": backfill_url(settings, batch.backfill_id) if batch.backfill_id else None,
    }


# -- the `vidgen batch` command ---------------------------------------------------------------------------------


def submit(args: argparse.Namespace, settings: Settings) -> int:
    """`vidgen batch FILE`: check every row, price the batch, store it and launch its backfill."""
    path = Path(args.file)
    if not path.is_file():
        raise InvalidRequest(f"no file {args.file!r}; give a .csv (with a header line) or .jsonl file", "file")
    batch_id = new_batch_id()
    checked = check_rows(
        read_rows(path.read_text(encoding="utf-8-sig"), path.name),
        settings,
        batch_id=batch_id,
        default_user=args.user,
        planner=args.planner,
        media=args.media,
    )
    for bad in checked.bad:
        print(f"vidgen: {path.name} line {bad.line}: {bad.error}", file=sys.stderr)
    if checked.bad and not args.skip_invalid:
        print(
            f"vidgen: {len(checked.bad)} bad row(s); nothing was stored (fix them, or --skip-invalid)", file=sys.stderr
        )
        return EXIT_BAD_INPUT
    if not checked.rows:
        raise InvalidRequest("no row of the file can become a video; nothing was stored", "file")
    if args.max_cost is not None and checked.estimate_usd > args.max_cost + 1e-9:
        raise InvalidRequest(
            f"the batch of {len(checked.rows)} ads is estimated at ${checked.estimate_usd:.4f}, over --max-cost "
            f"${args.max_cost:.2f}; raise it, or split the file",
            "max_cost",
        )
    if args.title is not None and len(args.title) > BATCH_TITLE_MAX_CHARS:
        raise InvalidRequest(f"--title is {len(args.title)} characters; give at most {BATCH_TITLE_MAX_CHARS}", "title")
    batch = BatchRecord(
        batch_id=batch_id,
        user_id=args.user or settings.default_user,
        title=args.title or path.name[:BATCH_TITLE_MAX_CHARS],
        videos=len(checked.rows),
        estimate_usd=checked.estimate_usd,
        max_cost_usd=args.max_cost,
        created_at=datetime.now(UTC),
    )
    try:
        made = store_and_launch(settings, open_instance(settings), batch, checked)
    except BackfillRefused as exc:
        print(f"vidgen: {exc}", file=sys.stderr)
        return EXIT_NOT_LAUNCHED
    return _report(made, checked, settings, args.json)


def _report(batch: BatchRecord, checked: CheckedBatch, settings: Settings, as_json: bool) -> int:
    if as_json:
        print(json.dumps(batch.model_dump(mode="json") | {"skipped_lines": [b.line for b in checked.bad]}, indent=2))
    else:
        cap = f", capped at ${batch.max_cost_usd:.2f}" if batch.max_cost_usd is not None else ""
        print(f"batch {batch.batch_id}: {batch.videos} ads stored, estimated ${batch.estimate_usd:.4f}{cap}")
        if batch.backfill_id:
            print(f"  backfill {batch.backfill_id}: {backfill_url(settings, batch.backfill_id)}")
            print(f"  follow it with `vidgen batch --status {batch.batch_id}`")
    if batch.error:
        print(f"vidgen: not launched: {batch.error}", file=sys.stderr)
        return EXIT_NOT_LAUNCHED
    return 0


def status(batch_id: str, settings: Settings, as_json: bool) -> int:
    """`vidgen batch --status BATCH_ID`."""
    found = state(settings, open_instance(settings), batch_id)
    if as_json:
        print(json.dumps(found, indent=2))
        return 0
    batch, counts = found["batch"], found["counts"]
    cap = f" of its ${batch['max_cost_usd']:.2f} cap" if batch["max_cost_usd"] is not None else ""
    print(
        f"batch {batch['batch_id']} ({batch['title']}): {batch['videos']} ads; "
        + ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        + f"; spent ${found['spent_usd']:.4f}{cap} (estimated ${batch['estimate_usd']:.4f})"
    )
    print(
        f"  backfill {batch['backfill_id'] or '-'}: {found['backfill_status']}"
        + (f" ({batch['error']})" if batch["error"] else "")
    )
    for v in found["videos"]:
        name = v["title"] or v["prompt"][:50]
        error = f"  {v['error'][:100]}" if v["error"] else ""
        print(f"  {v['video_id']}  {v['status']:8s} {v['progress']:5.1f}%  ${v['spent_usd']:.4f}  {name}{error}")
    return 0


def launch_stored(batch_id: str, settings: Settings, as_json: bool) -> int:
    """`vidgen batch --launch BATCH_ID`: launch a stored batch whose backfill did not start."""
    try:
        made = launch(BatchDB(settings.db_url), open_instance(settings), settings, batch_id)
    except BackfillRefused as exc:
        print(f"vidgen: {exc}", file=sys.stderr)
        return EXIT_NOT_LAUNCHED
    return _report(made, CheckedBatch(rows=[], bad=[]), settings, as_json)
