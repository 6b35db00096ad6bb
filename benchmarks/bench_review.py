"""Benchmark: review before paying. The time from request to the free preview against the time to the full video,
at the seed's latencies (GPT 7 s, image 8 s, clip 45 s, music 120 s) through the imitations scaled down by one factor
and reported scaled back up, as ``bench_providers`` does; and the preview's render alone, offline.

1. ``vidgen generate --review`` in a fresh home: the plan, the images (at once) and the preview. At real latency: the
   wall at scale plus the plan's and one image's seed seconds not waited for.
2. ``vidgen approve`` on it: the clips and music (the plan and images reused). At real latency: plus the longer of
   the music and the longest beat's clip chain.
3. The same ad without review (``bench_providers.one_ad``, scaled up line by line by ``at_real_latency``).
4. The preview alone, offline: the local plan and storyboard, then ``make_preview`` (median of --runs).

Usage: python benchmarks/bench_review.py [--scale 0.05] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_providers import PROMPT, RESULTS, SEED_S, Imitations, at_real_latency, one_ad, vidgen

REAL = ("--planner", "openai", "--media", "replicate")


def reviewed_ad(scale: float, tmp: Path) -> dict[str, float]:
    """One fresh ad through review then approval; both walls at scale and at real latency."""
    fakes = Imitations(scale)
    try:
        env = fakes.env(tmp / "review")
        review, review_wall = vidgen(env, "generate", PROMPT, "--review", *REAL)
        clips_before = fakes.replicate.paid_by_kind.get("video", 0)
        shown, _ = vidgen(env, "show", review["video_id"])
        chain = max(len(b["clip_keys"]) for b in shown["beats"])
        approved, approve_wall = vidgen(env, "approve", review["video_id"])
    finally:
        fakes.stop()
    review_model = SEED_S["plan"] + SEED_S["image"]  # the plan, then every image at once
    approve_model = max(SEED_S["music"], chain * SEED_S["video"])  # the music beside the clip chains
    return {
        "preview_at_scale_s": round(review_wall, 1),
        "preview_real_s": round(review_wall + review_model * (1 - scale), 1),
        "preview_phase_s": review["phases"]["preview"]["wall_time_s"],
        "review_phase_s_at_scale": {k: v["wall_time_s"] for k, v in review["phases"].items()},
        "review_orchestration_s_at_scale": round(
            review_wall - sum(v["wall_time_s"] for v in review["phases"].values()), 1
        ),
        "review_cost_usd": review["cost_usd"],
        "clips_paid_before_approval": clips_before,
        "approve_at_scale_s": round(approve_wall, 1),
        "approve_real_s": round(approve_wall + approve_model * (1 - scale), 1),
        "approve_cost_usd": approved["cost_usd"],
        "clips_paid_after_approval": approved["paid_calls"],
        "reused_on_approval": approved["reused_calls"],
    }


def offline_preview(runs: int, tmp: Path) -> dict[str, float]:
    """The preview's render alone (music bed, end card, headlines, the one ffmpeg pass) of the offline 30 s ad."""
    from vidgen_core.adapters.registry import build_providers
    from vidgen_core.adapters.storage import LocalStore
    from vidgen_core.persistence.ledger import Ledger
    from vidgen_core.pipeline import phases
    from vidgen_core.pipeline.calls import CallCache
    from vidgen_core.pipeline.preview import make_preview
    from vidgen_core.pipeline.requests import build_request
    from vidgen_core.settings import Settings

    settings = Settings(home=tmp / "offline", openai_api_key=None, replicate_api_token=None)
    request = build_request(PROMPT, settings, video_id="vid-bench-preview")
    store, providers = LocalStore(settings.storage_dir), build_providers(settings, request)
    calls = CallCache(store, Ledger(settings.db_url), request.user_id, request.video_id)
    spec, _ = phases.make_plan(request, providers, calls)
    board = phases.make_storyboard(spec, store, providers, calls, workers=4)
    walls, made = [], None
    for _ in range(runs):
        started = time.perf_counter()
        made = make_preview(spec, board, store, settings)
        walls.append(time.perf_counter() - started)
    assert made is not None
    return {
        "render_s_median": round(statistics.median(walls), 2),
        "render_s_all": [round(w, 2) for w in walls],
        "duration_s": made.duration_s,
        "size": f"{made.width}x{made.height}",
        "size_bytes": made.size_bytes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=0.05, help="fraction of the seed's latencies to wait")
    parser.add_argument("--runs", type=int, default=3, help="offline preview renders (the median is reported)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        reviewed = reviewed_ad(args.scale, Path(tmp))
        full_run = one_ad(args.scale, Path(tmp), "full")
        offline = offline_preview(args.runs, Path(tmp))
    full = round(at_real_latency(full_run, args.scale), 1)
    share = round(100 * reviewed["preview_real_s"] / full, 1)
    found = {"scale": args.scale, **reviewed, "full_real_s": full, "preview_share_pct": share, "offline": offline}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_review.json").write_text(json.dumps(found, indent=2))
    print(f"30-second ad via the imitations at {args.scale}x the seed's latencies, at real latency:")
    print("| | wall | paid |\n|---|---|---|")
    preview, paid = reviewed["preview_real_s"], reviewed["review_cost_usd"]
    print(f"| request -> preview (--review) | {preview:.0f} s | ${paid:.4f} |")
    print(f"| approve -> final | {reviewed['approve_real_s']:.0f} s | ${reviewed['approve_cost_usd']:.4f} |")
    print(f"| request -> final without review | {full:.0f} s | ${full_run['cost_usd']:.4f} |")
    print(f"preview at {share}% of the full time (goal: under 15%); clips paid before approval: "
          f"{reviewed['clips_paid_before_approval']}; the preview step {reviewed['preview_phase_s']} s")  # fmt: skip
    print(f"offline preview render: {offline['render_s_median']} s median of {offline['render_s_all']} for a "
          f"{offline['duration_s']} s {offline['size']} preview ({offline['size_bytes'] / 1e6:.1f} MB)")  # fmt: skip


if __name__ == "__main__":
    main()
