"""Benchmark: a 30-second ad through the OpenAI and Replicate imitations with the seed's latencies, scaled.

The seed quotes GPT 7 s, an image 8 s, a chunk 45 s and music 120 s, and $0.51 for this ad on hailuo_fast.
Usage: python benchmarks/bench_providers.py [--scale 0.02] [--prompt P]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.replicate_server import FakeReplicate

SEED_LATENCY_S = {"plan": 7.0, "image": 8.0, "video": 45.0, "music": 120.0}
SEED_COST_USD = 0.51


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=0.02, help="fraction of the seed's latencies to wait")
    parser.add_argument("--prompt", default="Create a 30-second Nike ad")
    args = parser.parse_args()
    openai_fake = FakeOpenAI(latency_s=SEED_LATENCY_S["plan"] * args.scale).start()
    replicate_fake = FakeReplicate().start()
    replicate_fake.time_scale = args.scale
    replicate_fake.model_time = {k: SEED_LATENCY_S[k] for k in ("image", "video", "music")}
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VIDGEN_", "DAGSTER_"))}
        env |= {
            "VIDGEN_HOME": tmp,
            "DAGSTER_HOME": f"{tmp}/dagster",
            "OPENAI_API_KEY": openai_fake.api_key,
            "OPENAI_BASE_URL": f"{openai_fake.url}/v1",
            "REPLICATE_API_TOKEN": replicate_fake.token,
            "REPLICATE_BASE_URL": replicate_fake.url,
            "VIDGEN_REPLICATE_POLL_INTERVAL_S": str(0.5 * args.scale),
        }

        def vidgen(*words: str) -> tuple[dict, float, int]:
            """Run the CLI; its JSON, wall time, and the predictions it paid for."""
            before, start = replicate_fake.paid, time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-m", "vidgen_dagster.cli", *words, "--json"],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode != 0:
                raise SystemExit(proc.stderr)
            return json.loads(proc.stdout), time.perf_counter() - start, replicate_fake.paid - before

        out, wall, _ = vidgen("generate", args.prompt, "--planner", "openai", "--media", "replicate")
        kinds = dict(replicate_fake.paid_by_kind)
        regen, regen_wall, regen_paid = vidgen("regenerate", out["video_id"], "--beat", "2")
        again, again_wall, again_paid = vidgen("resume", out["video_id"])
        shown, _, _ = vidgen("show", out["video_id"])
    openai_fake.stop()
    replicate_fake.stop()
    model_s = SEED_LATENCY_S["plan"] + sum(SEED_LATENCY_S[k] * n for k, n in kinds.items())
    chain = max(len(b["clip_keys"]) for b in shown["beats"])  # the longest beat's clips, made one after another
    critical_s = (
        SEED_LATENCY_S["plan"] + SEED_LATENCY_S["music"] + SEED_LATENCY_S["image"] + chain * SEED_LATENCY_S["video"]
    )
    overhead = wall - critical_s * args.scale
    print(f"30-second ad via imitations at {args.scale:g}x the seed's latencies")
    print(
        f"  wall {wall:.1f} s; model latency on the path {critical_s * args.scale:.1f} s; our overhead {overhead:.1f} s"
    )
    print(
        f"  predictions paid: {kinds}, at most {replicate_fake.max_in_flight} at once, {replicate_fake.creates} created"
    )
    print(
        f"  projected at real latencies: {critical_s / 60:.1f} min + {overhead:.0f} s (plan, music, images at once, "
        f"beats' chains of {chain} clip(s) at once); every call in turn: {model_s / 60:.1f} min"
    )
    for phase, values in out["phases"].items():
        print(f"  {phase:16s} ${values['cost_usd']:.4f}")
    print(f"  total ${out['cost_usd']:.4f} vs the seed's ${SEED_COST_USD:.2f}")
    print(f"regenerate beat 2: ${regen['cost_usd']:.4f}, {regen_paid} predictions, wall {regen_wall:.1f} s")
    print(f"materialize again: ${again['cost_usd']:.4f}, {again_paid} predictions, wall {again_wall:.1f} s")
    print(f"ledger total ${shown['spent_usd']:.4f} over {len(shown['ledger'])} rows")


if __name__ == "__main__":
    main()
