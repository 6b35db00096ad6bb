"""``vidgen generate``: register a video partition in the Dagster instance and materialize its whole graph."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from typing import Any, NoReturn

from vidgen_core.errors import InvalidRequest
from vidgen_core.models import GenerationRequest, RenderedVideo, Storyboard
from vidgen_core.planning.requests import build_request
from vidgen_core.records import RequestDB, Status
from vidgen_core.settings import Settings, get_settings
from vidgen_core.storage import VideoKeys, open_store
from vidgen_dagster.instance import open_instance
from vidgen_dagster.runs import REQUEST_TAG, step_failure_text, sync_all

EXIT_BAD_INPUT = 2
EXIT_FAILED = 1


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2, nothing written
        self.exit(EXIT_BAD_INPUT, f"vidgen: {message} (see `{self.prog} --help`)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="vidgen", description="Turn one sentence into a finished video ad.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    gen = sub.add_parser("generate", help="generate a video ad from a prompt")
    gen.add_argument("prompt", help='what the ad is, e.g. "Create a 30-second Nike ad"')
    gen.add_argument("--duration", type=float, metavar="S", help="length in seconds (default: from the prompt, or 30)")
    gen.add_argument("--aspect", metavar="16:9|9:16|1:1", help="aspect ratio (default: from the prompt, or 16:9)")
    gen.add_argument("--model", help="video model from the catalog (default: hailuo-02-fast)")
    gen.add_argument("--user", help="user id that owns the video (default: VIDGEN_DEFAULT_USER)")
    gen.add_argument("--planner", help="who plans the spec: local (default) or openai (needs OPENAI_API_KEY)")
    gen.add_argument("--media", help="who renders media: local (default) or replicate (needs REPLICATE_API_TOKEN)")
    gen.add_argument("--json", action="store_true", help="print one JSON object with the result on stdout")
    run = sub.add_parser("serve", help="run the Dagster UI + daemon (request sensor) and the API until Ctrl-C")
    run.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    run.add_argument("--ui-port", type=int, default=3000, help="Dagster UI port (default: 3000)")
    run.add_argument("--api-port", type=int, default=8000, help="API port (default: 8000)")
    sub.add_parser("init", help="create the Dagster instance, its provider pools and the requests tables")
    return parser


def _progress(video_id: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(f"[{video_id}] %(message)s"))
    logger = logging.getLogger("vidgen")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def generate(request: GenerationRequest, settings: Settings) -> dict[str, Any]:
    """Register the partition, run the graph in-process on the instance, and summarise the outcome."""
    from vidgen_core.media.tools import MediaClock
    from vidgen_dagster.definitions import defs
    from vidgen_dagster.partitions import videos

    started = time.perf_counter()
    instance = open_instance(settings)
    db = RequestDB(settings.db_url)
    request = db.submit(request, status=Status.RUNNING).request  # running: the request sensor leaves it alone
    instance.add_dynamic_partitions(videos.name, [request.video_id])
    _progress(request.video_id)
    result = defs.resolve_job_def("generate_video").execute_in_process(
        instance=instance,
        partition_key=request.video_id,
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
        tags={"vidgen/source": "cli", "vidgen/user": request.user_id, REQUEST_TAG: request.request_id},
    )
    sync_all(db, instance, [db.get(request.video_id)])
    phases: dict[str, dict[str, float]] = {}
    for event in result.get_asset_materialization_events():
        meta = event.step_materialization_data.materialization.metadata
        phases[event.asset_key.to_user_string()] = {
            k: meta[k].value for k in ("cost_usd", "wall_time_s", "list_price_usd") if k in meta
        }
    summary: dict[str, Any] = {
        "video_id": request.video_id,
        "user_id": request.user_id,
        "run_id": result.run_id,
        "status": "complete" if result.success else "failed",
        "cost_usd": round(sum(p.get("cost_usd", 0.0) for p in phases.values()), 4),
        "list_price_usd": round(sum(p.get("list_price_usd", 0.0) for p in phases.values()), 4),
        "wall_time_s": round(time.perf_counter() - started, 3),
        "media_time_s": round(MediaClock.seconds, 3),
        "phases": phases,
    }
    if not result.success:
        summary["error"] = failure_message(result)
        return summary
    store, keys = open_store(settings), VideoKeys(request.user_id, request.video_id)
    final = RenderedVideo.model_validate_json(store.get_bytes(keys.manifest("final_video")))
    board = Storyboard.model_validate_json(store.get_bytes(keys.manifest("storyboard")))
    chunks = json.loads(store.get_bytes(keys.manifest("video_chunks")))["chunks"]
    summary.update(
        final_video=str(store.local_path(final.key)),
        duration_s=final.duration_s,
        width=final.width,
        height=final.height,
        size_bytes=final.size_bytes,
        loudness_lufs=final.loudness_lufs,
        beats=len(board.images),
        chunks=len(chunks),
        storyboard=[str(store.local_path(i.key)) for i in board.images],
    )
    return summary


def failure_message(result: Any) -> str:
    """``step: what went wrong`` for the first failed step of an in-process run."""
    failures = [e for e in result.all_events if e.is_step_failure]
    return step_failure_text(failures[0]) if failures else "run: the run failed before any step ran"


def _redacted(url: str) -> str:
    """A database URL without its password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = get_settings()
    if args.command == "serve":
        from vidgen_dagster.serve import serve

        return serve(settings, args.host, args.ui_port, args.api_port)
    if args.command == "init":
        from vidgen_dagster.serve import init

        init(settings)
        print(f"vidgen: instance ready in {os.environ['DAGSTER_HOME']}, requests in {_redacted(settings.db_url)}")
        return 0
    try:
        request = build_request(
            args.prompt,
            settings,
            duration_s=args.duration,
            aspect=args.aspect,
            model=args.model,
            user_id=args.user,
            planner=args.planner,
            media=args.media,
        )
    except InvalidRequest as exc:
        print(f"vidgen: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    summary = generate(request, settings)
    if args.json:
        print(json.dumps(summary, indent=2))
    elif summary["status"] == "complete":
        print(
            f"final video: {summary['final_video']}\n"
            f"  {summary['duration_s']:.1f} s, {summary['width']}x{summary['height']}, "
            f"{summary['beats']} beats, {summary['chunks']} chunks, {summary['size_bytes'] / 1e6:.1f} MB, "
            f"{summary['loudness_lufs']} LUFS\n"
            f"cost: ${summary['cost_usd']:.4f} (planner {request.planner}, media {request.media}); list price on the "
            f"real models it names: ${summary['list_price_usd']:.2f}\n"
            f"made in {summary['wall_time_s']:.1f} s; inspect run {summary['run_id']} with `make ui`"
        )
    if summary["status"] != "complete":
        print(f"vidgen: generation failed at {summary['error']}", file=sys.stderr)
        return EXIT_FAILED
    return 0


if __name__ == "__main__":
    sys.exit(main())
