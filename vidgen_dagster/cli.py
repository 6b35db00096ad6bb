"""The ``vidgen`` command: generate, approve, regenerate one beat, resume, list, show, estimate, batch, archive; serve
and init the service. Each command parses its flags, calls one use case of the service and prints its result."""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import sqlalchemy as sa

from vidgen_core.domain.catalog import DEFAULT_SPEECH_MODEL, LANGUAGES, SPEECH_MODELS, Platform
from vidgen_core.domain.errors import BackfillRefused, InvalidRequest, VidgenError
from vidgen_core.domain.models import NO_VOICE, AssetRole, Captions, CaptionStyle
from vidgen_core.persistence.batches import BATCH_TITLE_MAX_CHARS, BatchRecord
from vidgen_core.persistence.ledger import LedgerRow
from vidgen_core.persistence.requests import PAGE_SIZE
from vidgen_core.persistence.trouble import trouble
from vidgen_core.pipeline.batches import read_rows
from vidgen_core.pipeline.videos import VideoState
from vidgen_core.settings import Settings, get_settings
from vidgen_dagster.service.models import AlreadyComplete, BadRows, BatchDraft, Draft, RunSummary, Via
from vidgen_dagster.service.use_cases import VidgenService

EXIT_BAD_INPUT = 2
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130  # Ctrl-C outside a run (inside one, the run fails and says how to resume)
EXIT_NOT_LAUNCHED = 1  # a batch stored but not launched, or refused by the webserver
RUN_COMMANDS = {"generate", "regenerate", "resume", "approve"}  # SIGTERM stops them as Ctrl-C does
SCRIPT_INDENT = " " * 12  # `show` prints a beat's script under its prompt


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2, nothing written
        self.exit(EXIT_BAD_INPUT, f"vidgen: {message} (see `{self.prog} --help`)\n")


def _number(text: str) -> float:
    """A number flag's value; NaN and infinity are no duration or cap (``inf`` would be stored as no cap at all)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid float value: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number; give one such as 2.5")
    return value


def _listed(text: str) -> list[str]:
    """A comma-separated flag's values ("16:9, 9:16" or "16:9,9:16")."""
    return [part.strip() for part in text.split(",") if part.strip()]


def _lengths(text: str) -> list[float]:
    return [_number(part) for part in _listed(text)]


def _request_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("prompt", help='what the ad is, e.g. "Create a 30-second Nike ad"')
    parser.add_argument("--duration", type=_number, metavar="S", help="length in seconds (default: prompt, or 30)")
    parser.add_argument("--aspect", metavar="16:9|9:16|1:1|4:5", help="aspect (default: from the prompt, or 16:9)")
    parser.add_argument("--model", help="video model from the catalog (default: hailuo-02-fast)")
    parser.add_argument("--user", help="user id that owns the video (default: VIDGEN_DEFAULT_USER)")
    parser.add_argument("--planner", help="who plans the spec: local (default) or openai (needs OPENAI_API_KEY)")
    parser.add_argument("--media", help="who renders media: local (default) or replicate (REPLICATE_API_TOKEN)")
    parser.add_argument("--max-cost", type=_number, metavar="USD", help="spending cap (default: VIDGEN_MAX_COST_USD)")
    parser.add_argument("--resolution", metavar="720p|1080p|2160p", help="the master's size (default: 1080p)")
    parser.add_argument(
        "--loudness", metavar="streaming|broadcast", help="streaming: -14 LUFS (default); broadcast: -23 (EBU R128)"
    )
    parser.add_argument(
        "--upscaler",
        metavar="lanczos|topaz-video-upscale",
        help="lanczos (default, free) or a paid model run on each clip (needs --media replicate)",
    )
    parser.add_argument(
        "--voice",
        metavar="NAME|none",
        help=f"who reads the script: a voice of the speech model (default: its own), or {NO_VOICE} for no voiceover",
    )
    parser.add_argument(
        "--speech-model",
        metavar="|".join(SPEECH_MODELS),
        help=f"the speech model (default: VIDGEN_DEFAULT_SPEECH_MODEL, else {DEFAULT_SPEECH_MODEL}; media local "
        "imitates it offline for free)",
    )
    parser.add_argument(
        "--captions",
        metavar="|".join(Captions),
        help="burned: drawn in the picture, with SRT and WebVTT files (default); sidecar: the files only; off: none",
    )
    parser.add_argument(
        "--caption-style", metavar="|".join(CaptionStyle), help="how burned captions look (default: highlight)"
    )
    parser.add_argument(
        "--language", metavar="|".join(LANGUAGES), help="the script's language (default: the prompt's own)"
    )
    parser.add_argument(
        "--aspects",
        type=_listed,
        metavar="16:9,9:16,1:1,4:5",
        help="every aspect to deliver from one plan, the master's first (each made natively, or see --reframe)",
    )
    parser.add_argument(
        "--reframe", action="store_true", help="crop the other aspects from the master's clips (no provider cost)"
    )
    parser.add_argument(
        "--platform",
        type=_listed,
        metavar="|".join(Platform),
        help="platform versions, comma-separated: each sets aspect, size, loudness, bitrate, length and safe zones",
    )
    parser.add_argument(
        "--cutdowns", type=_lengths, metavar="15,6", help="shorter versions cut from the same clips (seconds)"
    )
    parser.add_argument("--mezzanine", action="store_true", help="also a ProRes 422 HQ master with PCM audio")
    parser.add_argument(
        "--review",
        action="store_true",
        help="stop after the plan, the storyboard and a free preview; `vidgen approve ID` makes the clips",
    )
    parser.add_argument(
        "--product-image", type=Path, metavar="FILE", help="a photo of the product (PNG, JPEG, WebP) to show in the ad"
    )
    parser.add_argument("--logo", type=Path, metavar="FILE", help="the brand's logo (PNG, JPEG, WebP) for the end card")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="vidgen", description="Turn one sentence into a finished video ad.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    gen = sub.add_parser("generate", help="generate a video ad from a prompt")
    _request_flags(gen)
    gen.add_argument("--json", action="store_true", help="print one JSON object with the result on stdout")
    est = sub.add_parser("estimate", help="what a prompt would cost, without making anything")
    _request_flags(est)
    est.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    regen = sub.add_parser(
        "regenerate", help="make a new take of one beat's picture or line (or go back to an earlier one)"
    )
    regen.add_argument("video_id")
    regen.add_argument("--beat", type=int, required=True, metavar="N", help="the beat's index (storyboard/beat_NN)")
    regen.add_argument("--prompt", help="a new image prompt for the beat (default: keep its current take's)")
    regen.add_argument("--motion-prompt", help="a new motion prompt for its clips (default: keep its current take's)")
    regen.add_argument(
        "--aspect",
        action="append",
        metavar="W:H",
        help="make the new picture take in this aspect only (repeatable, or a comma list; default: every aspect, "
        "the others keep their take and pay nothing)",
    )
    regen.add_argument("--take", type=int, metavar="K", help="go back to take K, already paid for (free)")
    regen.add_argument(
        "--line", help="a new voiceover line for the beat: pays its speech only; the picture and music are kept"
    )
    regen.add_argument("--voice", metavar="NAME", help="a new voice for the beat's line (alone: reads its line again)")
    regen.add_argument("--line-take", type=int, metavar="K", help="go back to take K of the beat's line (free)")
    regen.add_argument("--json", action="store_true", help="print one JSON object with the result on stdout")
    approve = sub.add_parser(
        "approve", help="approve a video in review (its preview looked at): make and pay for its clips now"
    )
    approve.add_argument("video_id")
    approve.add_argument("--json", action="store_true", help="print one JSON object with the result on stdout")
    resume = sub.add_parser("resume", help="finish a failed or killed video, paying only for what is missing")
    resume.add_argument("video_id")
    resume.add_argument("--json", action="store_true", help="print one JSON object with the result on stdout")
    videos = sub.add_parser("list", help="a user's videos, newest first, a page at a time (like GET /api/videos)")
    videos.add_argument("--user", help="whose videos (default: VIDGEN_DEFAULT_USER)")
    videos.add_argument("--limit", type=int, default=PAGE_SIZE, metavar="N", help=f"at most N (default: {PAGE_SIZE})")
    videos.add_argument("--offset", type=int, default=0, metavar="K", help="skip the K newest (default: 0)")
    videos.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    show = sub.add_parser("show", help="a video's beats, takes, media, costs, ledger and where its final video is")
    show.add_argument("video_id")
    show.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    files = sub.add_parser(
        "deliverables",
        help="every file a complete video ships (aspects, cutdowns, platform versions, posters, captions, stems, "
        "mezzanine, zip): listed, or copied into a folder",
    )
    files.add_argument("video_id", help="the video's id, as generate printed it")
    files.add_argument("--out", type=Path, metavar="DIR", help="copy every file into DIR (made if missing)")
    files.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    batch = sub.add_parser(
        "batch",
        help="many ads from a CSV or JSONL file, made by one Dagster partition backfill",
        description="Each row: prompt, and optionally title, duration, aspect, model, user, max_cost. Every row is "
        "checked first; a file with a bad row stores nothing unless --skip-invalid. Needs the service "
        "(`vidgen serve`): the backfill is launched on its webserver (VIDGEN_DAGSTER_URL).",
    )
    batch.add_argument("file", nargs="?", help="the rows: .csv with a header line, or .jsonl (one object per line)")
    batch.add_argument("--max-cost", type=_number, metavar="USD", help="spending cap for the whole batch")
    batch.add_argument("--skip-invalid", action="store_true", help="store the good rows even if some are bad")
    batch.add_argument("--title", help="the batch's name in the backfills page (default: the file's name)")
    batch.add_argument("--user", help="owner of rows without a user column (default: VIDGEN_DEFAULT_USER)")
    batch.add_argument("--planner", help="local (default) or openai, for every row")
    batch.add_argument("--media", help="local (default) or replicate, for every row")
    batch.add_argument("--status", metavar="BATCH_ID", help="show a batch's progress instead")
    batch.add_argument("--launch", metavar="BATCH_ID", help="launch a stored batch whose backfill did not start")
    batch.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    old = sub.add_parser(
        "archive",
        help="remove delivered videos older than DAYS from the Dagster partitions (media, costs and requests stay)",
    )
    old.add_argument("--older-than", type=_number, required=True, metavar="DAYS", help="retention window in days")
    old.add_argument("--delete-runs", action="store_true", help="also delete their runs' event logs from Dagster")
    old.add_argument("--dry-run", action="store_true", help="only list what would be archived")
    old.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    run = sub.add_parser("serve", help="run the Dagster UI + daemon (request sensor) and the API until Ctrl-C")
    run.add_argument("--host", default="127.0.0.1", help="address the API listens on (default: 127.0.0.1)")
    run.add_argument(
        "--ui-host",
        help="address the Dagster UI listens on (default: 127.0.0.1). The UI has no login: prefer an "
        "authenticating proxy in front of 127.0.0.1",
    )
    run.add_argument("--ui-port", type=int, default=3000, help="Dagster UI port (default: 3000)")
    run.add_argument("--api-port", type=int, default=8000, help="API port (default: 8000)")
    sub.add_parser(
        "init",
        help="create the Dagster instance, its provider pools, the requests tables and (VIDGEN_STORAGE=s3) the bucket",
    )
    return parser


def _progress(video_id: str) -> None:
    """Progress lines of this video's run on stderr (one handler, however many runs this process makes)."""
    logger = logging.getLogger("vidgen")
    for old in [h for h in logger.handlers if h.get_name() == "vidgen-progress"]:
        logger.removeHandler(old)
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name("vidgen-progress")
    handler.setFormatter(logging.Formatter(f"[{video_id}] %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def _redacted(url: str) -> str:
    """A database URL without its password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _draft(args: argparse.Namespace) -> Draft:
    return Draft(
        args.prompt,
        duration_s=args.duration,
        aspect=args.aspect,
        model=args.model,
        user_id=args.user,
        planner=args.planner,
        media=args.media,
        max_cost_usd=args.max_cost,
        resolution=args.resolution,
        loudness=args.loudness,
        upscaler=args.upscaler,
        voice=args.voice,
        speech_model=args.speech_model,
        captions=args.captions,
        caption_style=args.caption_style,
        language=args.language,
        aspects=args.aspects or [],
        platforms=args.platform or [],
        reframe=args.reframe,
        cutdowns=args.cutdowns or [],
        mezzanine=args.mezzanine,
        review=args.review,
        files={
            role: path for role, path in ((AssetRole.PRODUCT, args.product_image), (AssetRole.LOGO, args.logo)) if path
        },
    )


def _ctrl_c(_signum: int, _frame: object) -> None:
    os.kill(os.getpid(), signal.SIGINT)


@contextmanager
def _sigterm_as_ctrl_c(command: str) -> Iterator[None]:
    """In a run command, SIGTERM (`kill`, a service manager, a closed terminal's shell) does what Ctrl-C does: the
    run stops, its request is failed at once and resumable, instead of the process dying with the row left running
    until the sensor sees its pid gone."""
    if command not in RUN_COMMANDS or threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.signal(signal.SIGTERM, _ctrl_c)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def _finished(run: RunSummary | None, as_json: bool, request_line: str) -> int:
    if run is None:
        raise ValueError("the CLI's commands run their video in this process")
    if as_json:
        print(run.as_json())
    elif run.in_review:  # a review run: the plan, the storyboard and the free preview
        print(
            f"in review: preview {run.preview_video}\n"
            f"  {run.duration_s:.1f} s, {run.width}x{run.height}, {run.beats} beats; storyboard: "
            f"{', '.join(run.storyboard or [])}\n"
            f"cost: ${run.cost_usd:.4f} this run ({run.paid_calls} calls made, {run.reused_calls} reused; "
            f"{request_line}); no clip is paid for until `vidgen approve {run.video_id}`\n"
            f"  new take of a beat at the price of an image: `vidgen regenerate {run.video_id} --beat N`"
        )
    elif run.complete:
        cap = run.max_cost_usd
        estimate = f"; estimated ${run.estimate_usd:.4f}" if run.estimate_usd is not None else ""
        print(
            f"final video: {run.final_video}\n"
            f"  {run.duration_s:.1f} s, {run.width}x{run.height}, "
            f"{run.beats} beats, {run.chunks} chunks, {(run.size_bytes or 0) / 1e6:.1f} MB, "
            f"{run.loudness_lufs} LUFS\n"
            f"cost: ${run.cost_usd:.4f} this run ({run.paid_calls} calls made, "
            f"{run.reused_calls} reused from the cache; {request_line}){estimate}\n"
            f"  the video so far: ${run.video_cost_usd:.4f}"
            + (f" of its ${cap:.2f} budget" if cap is not None else "")
            + f"; list price on the real models it names: ${run.list_price_usd:.2f}\n"
            f"made in {run.wall_time_s:.1f} s; see it with `vidgen show {run.video_id}` or `make ui`\n"
            f"its files (every version, posters, captions, stems, zip): `vidgen deliverables {run.video_id} --out DIR`"
        )
    for note in run.plan_notes:  # e.g. a plan that names no product, or beats the planner merged
        print(f"vidgen: plan: {note}", file=sys.stderr)
    if not (run.complete or run.in_review):
        print(f"vidgen: generation failed at {run.error}", file=sys.stderr)
        if run.cost_usd:  # providers bill calls that fail, or whose answers are rejected, too
            print(
                f"vidgen: this run was billed ${run.cost_usd:.4f}; the video so far: ${run.video_cost_usd:.4f}",
                file=sys.stderr,
            )
        print(f"vidgen: finish it with `vidgen resume {run.video_id}`", file=sys.stderr)
        return EXIT_FAILED
    return 0


def _show(state: VideoState) -> str:
    lines = [
        f"{state.video_id} ({state.user_id}): {state.status}; spent ${state.spent_usd:.4f}"
        + (f" of ${state.max_cost_usd:.2f}" if state.max_cost_usd is not None else "")
        + (f"; list price ${state.list_price_usd:.2f}" if state.list_price_usd is not None else "")
        + (f"; batch {state.batch_id}" if state.batch_id else "")
        + (f"; archived {state.archived_at:%Y-%m-%d}" if state.archived_at else "")
        + (f"; {state.review}" if state.review else "")
    ]
    for b in state.beats:
        takes = ",".join(str(t) for t in b.takes)
        lines.append(  # the frames carry no captions: shot and camera are said here
            f"  beat {b.index:2d}  {b.start_s:3d}-{b.start_s + b.duration_s:3d}s  take {b.take} (of {takes})  "
            f"${b.cost_usd:.4f}  {b.name} ({b.shot_type}, {b.camera.value}, in by {b.transition.value}): "
            f"{b.image_prompt[:70]}"
        )
        if b.line:  # the script: what is said, by whom, which take of it; and what is shown
            takes = ",".join(str(t) for t in b.line_takes)
            read = f", read by {b.spoken_by}" if b.spoken_by else ""  # the offline stand-in for the voice
            lines.append(f'{SCRIPT_INDENT}line: "{b.line}" (voice {b.voice}{read}, line take {b.line_take} of {takes})')
        if b.on_screen:
            lines.append(f'{SCRIPT_INDENT}on screen: "{b.on_screen}"')
    lines += [f"  plan: {note}" for note in state.plan_notes]
    lines.append(f"  {len(state.ledger)} ledger rows: " + ", ".join(_counts(state.ledger)))
    if state.preview_video:
        lines.append(f"  preview: {state.preview_video}")
    if state.final_video:
        lines.append(f"  final video: {state.final_video}")
    return "\n".join(lines)


def _counts(rows: list[LedgerRow]) -> list[str]:
    states: dict[str, int] = {}
    for row in rows:
        states[row.state] = states.get(row.state, 0) + 1
    return [f"{n} {s}" for s, n in sorted(states.items())]


def _estimate(args: argparse.Namespace, service: VidgenService) -> int:
    found = service.estimate(_draft(args))  # what it would cost, before any key is set
    if args.json:
        print(found.model_dump_json(indent=2))
    else:
        cap = found.max_cost_usd
        print(f"estimate: ${found.estimate_usd:.4f}" + (f" (budget ${cap:.2f})" if cap is not None else ""))
        print("  " + ", ".join(f"{phase} ${usd:.4f}" for phase, usd in found.by_phase.items()))
        if found.by_aspect:  # the pictures per aspect; the plan, voice and music once for all
            print("  images and clips by aspect: " + ", ".join(f"{a} ${usd:.4f}" for a, usd in found.by_aspect.items()))
    if found.refusal is not None:
        print(f"vidgen: {found.refusal}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


def _generate(args: argparse.Namespace, service: VidgenService) -> int:
    made = service.submit(_draft(args), Via.CLI, _progress)
    return _finished(made.run, args.json, f"planner {made.planner}, media {made.media}")


def _show_video(args: argparse.Namespace, service: VidgenService) -> int:
    state = service.show(args.video_id)
    print(state.model_dump_json(indent=2) if args.json else _show(state))
    return 0


def _list_videos(args: argparse.Namespace, service: VidgenService) -> int:
    page = service.videos(args.user, args.limit, args.offset)
    found = [
        {
            "video_id": v.record.video_id,
            "status": v.record.status,
            "progress": v.record.progress,
            "cost_usd": v.cost_usd,
            "title": v.record.title,
            "created_at": v.record.created_at.isoformat(),
        }
        for v in page.videos
    ]
    if args.json:
        print(json.dumps({"user_id": page.user_id, "videos": found, "total": page.total, **_window(args)}))
        return 0
    first = args.offset + 1 if found else args.offset
    print(f"{page.user_id}: videos {first}-{args.offset + len(found)} of {page.total}, newest first")
    for v in found:
        print(f"  {v['video_id']}  {v['status']:<8}  {v['progress']:5.1f}%  ${v['cost_usd']:.4f}  {v['title']}")
    if args.offset + len(found) < page.total:
        print(f"  more: vidgen list --offset {args.offset + len(found)}")
    return 0


def _window(args: argparse.Namespace) -> dict[str, int]:
    return {"limit": args.limit, "offset": args.offset}


def _deliverables(args: argparse.Namespace, service: VidgenService) -> int:
    if args.out is not None:
        rows = [(f, str(path)) for f, path in service.copy_deliverables(args.video_id, args.out)]
    else:
        rows = [(f, service.store.location(f.key)) for f in service.deliverables(args.video_id).files]
    if args.json:
        where = "path" if args.out is not None else "location"
        found = [f.model_dump(mode="json") | {where: at} for f, at in rows]
        print(json.dumps({"video_id": args.video_id, "files": found}, indent=2))
        return 0
    total = sum(f.size_bytes for f, _ in rows if f.kind != "archive")
    copied = f" copied into {args.out}" if args.out else ""
    print(f"{args.video_id}: {len(rows)} files, {total / 1e6:.1f} MB{copied}")
    for f, at in rows:
        length = f"{f.length_s:g}s" if f.length_s else "-"
        size = f"{f.width}x{f.height}" if f.width else "-"
        print(f"  {f.kind:<9} {f.platform or '-':<9} {f.aspect:<5} {length:>4} {size:>9} {f.size_bytes:>11,}  {at}")
    return 0


def _regenerate(args: argparse.Namespace, service: VidgenService) -> int:
    aspects = [a.strip() for given in args.aspect or [] for a in given.split(",") if a.strip()] or None
    asked = [args.prompt, args.motion_prompt, args.line, args.voice, aspects]
    back = [k for k in (args.take, args.line_take) if k is not None]
    if back and (len(back) > 1 or any(a is not None for a in asked)):
        raise InvalidRequest(
            "going back to an earlier take keeps what it was made with; give a take (--take or --line-take) alone, "
            "or what the new take should have",
            "take",
        )
    if back:
        line = args.line_take is not None
        done = service.select_take(args.video_id, args.beat, back[0], Via.CLI, line=line, started=_progress)
    else:
        done = service.regenerate(
            args.video_id,
            args.beat,
            Via.CLI,
            image_prompt=args.prompt,
            motion_prompt=args.motion_prompt,
            line=args.line,
            voice=args.voice,
            aspects=aspects,
            started=_progress,
        )
    return _finished(done.run, args.json, f"beat {done.beat} take {done.take}, line take {done.line_take}")


def _approve(args: argparse.Namespace, service: VidgenService) -> int:
    done = service.approve(args.video_id, Via.CLI, started=_progress)
    return _finished(done.run, args.json, f"approved; estimated ${done.estimate_usd:.4f} left to pay")


def _resume(args: argparse.Namespace, service: VidgenService) -> int:
    done = service.resume(args.video_id, _progress)
    if isinstance(done, AlreadyComplete):  # nothing to finish: no run, nothing paid
        print(done.model_dump_json(indent=2) if args.json else f"vidgen: {done.message}")
        return 0
    return _finished(done, args.json, "resumed")


def _batch(args: argparse.Namespace, service: VidgenService) -> int:
    if sum(x is not None for x in (args.file, args.status, args.launch)) != 1:
        raise InvalidRequest("give a FILE to submit, or --status BATCH_ID, or --launch BATCH_ID", "file")
    if args.status:
        return _batch_status(args, service)
    try:
        if args.launch:
            return _launched(service.launch_batch(args.launch), [], service, args.json)
        path = Path(args.file)
        if not path.is_file():
            raise InvalidRequest(f"no file {args.file!r}; give a .csv (with a header line) or .jsonl file", "file")
        draft = BatchDraft(
            read_rows(path.read_text(encoding="utf-8-sig"), path.name),
            default_user=args.user,
            planner=args.planner,
            media=args.media,
            title=args.title if args.title is not None else path.name[:BATCH_TITLE_MAX_CHARS],
            max_cost_usd=args.max_cost,
            skip_invalid=args.skip_invalid,
        )
        made = service.submit_batch(draft, Via.CLI)
    except BadRows as exc:
        for bad in exc.bad:
            print(f"vidgen: {Path(args.file).name} line {bad.line}: {bad.error}", file=sys.stderr)
        said = "no row of the file can become a video" if exc.skip_invalid else f"{len(exc.bad)} bad row(s)"
        fix = "" if exc.skip_invalid else " (fix them, or --skip-invalid)"
        print(f"vidgen: {said}; nothing was stored{fix}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BackfillRefused as exc:
        print(f"vidgen: {exc}", file=sys.stderr)
        return EXIT_NOT_LAUNCHED
    for bad in made.skipped:
        print(f"vidgen: {path.name} line {bad.line}: {bad.error}", file=sys.stderr)
    return _launched(made.batch, [b.line for b in made.skipped], service, args.json)


def _launched(batch: BatchRecord, skipped: list[int], service: VidgenService, as_json: bool) -> int:
    if as_json:
        print(json.dumps(batch.model_dump(mode="json") | {"skipped_lines": skipped}, indent=2))
    else:
        cap = f", capped at ${batch.max_cost_usd:.2f}" if batch.max_cost_usd is not None else ""
        print(f"batch {batch.batch_id}: {batch.videos} ads stored, estimated ${batch.estimate_usd:.4f}{cap}")
        if batch.backfill_id:
            print(f"  backfill {batch.backfill_id}: {service.backfill_url(batch.backfill_id)}")
            print(f"  follow it with `vidgen batch --status {batch.batch_id}`")
    if batch.error:
        print(f"vidgen: not launched: {batch.error}", file=sys.stderr)
        return EXIT_NOT_LAUNCHED
    return 0


def _batch_status(args: argparse.Namespace, service: VidgenService) -> int:
    found = service.batch_report(args.status)
    if args.json:
        print(found.model_dump_json(indent=2))
        return 0
    batch = found.batch
    cap = f" of its ${batch.max_cost_usd:.2f} cap" if batch.max_cost_usd is not None else ""
    print(
        f"batch {batch.batch_id} ({batch.title}): {batch.videos} ads; "
        + ", ".join(f"{n} {s}" for s, n in found.counts.items() if n)
        + f"; spent ${found.spent_usd:.4f}{cap} (estimated ${batch.estimate_usd:.4f})"
    )
    error = f" ({batch.error})" if batch.error else ""
    print(f"  backfill {batch.backfill_id or '-'}: {found.backfill_status}{error}")
    for v in found.videos:
        name = v.title or v.prompt[:50]
        said = f"  {v.error[:100]}" if v.error else ""
        print(f"  {v.video_id}  {v.status:8s} {v.progress:5.1f}%  ${v.spent_usd:.4f}  {name}{said}")
    return 0


def _archive(args: argparse.Namespace, service: VidgenService) -> int:
    done = service.archive(args.older_than, args.delete_runs, args.dry_run)
    if args.json:
        print(done.model_dump_json(indent=2))
    else:
        verb, left = ("would archive", "would be left") if args.dry_run else ("archived", "left")
        print(
            f"{verb} {len(done.videos)} video(s) delivered before {done.cutoff:%Y-%m-%d %H:%M} UTC"
            + (f", deleted {done.runs_deleted} run(s)" if done.runs_deleted else "")
            + f"; {done.partitions_left} partition(s) {left}"
        )
    return 0


COMMANDS = {
    "approve": _approve,
    "archive": _archive,
    "batch": _batch,
    "deliverables": _deliverables,
    "estimate": _estimate,
    "generate": _generate,
    "list": _list_videos,
    "show": _show_video,
    "regenerate": _regenerate,
    "resume": _resume,
}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        with _sigterm_as_ctrl_c(args.command):
            return _command(args, get_settings())
    except VidgenError as exc:  # the input, or what it asks for, cannot be done: the message says what to change
        print(f"vidgen: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (sa.exc.OperationalError, OSError) as exc:  # a database or the disk failed: one line, never a traceback
        found = trouble(exc)
        if found is None:
            raise
        print(f"vidgen: {found.said()}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt as exc:
        video = getattr(exc, "video_id", None) or getattr(args, "video_id", None)
        hint = (
            f"`vidgen resume {video}` finishes it"
            if video
            else "`vidgen list` shows your videos; `vidgen resume VIDEO_ID` finishes one"
        )
        print(f"vidgen: interrupted; {hint} without paying twice", file=sys.stderr)
        return EXIT_INTERRUPTED


def _command(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "serve":
        from vidgen_dagster.serve import serve

        return serve(settings, args.host, args.ui_port, args.api_port, args.ui_host)
    if args.command == "init":
        from vidgen_dagster.serve import init

        try:
            created, gaps = init(settings)
        except VidgenError as exc:
            print(f"vidgen: {exc}", file=sys.stderr)
            return EXIT_FAILED
        print(f"vidgen: instance ready in {os.environ['DAGSTER_HOME']}, requests in {_redacted(settings.db_url)}")
        for what in created:
            print(f"vidgen: created {what}")
        for gap in gaps:
            print(f"vidgen: warning: {gap}", file=sys.stderr)
        return 0
    return COMMANDS[args.command](args, VidgenService(settings))


if __name__ == "__main__":
    sys.exit(main())
