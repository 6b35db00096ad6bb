"""Benchmark: the critical path and batches, through the OpenAI and Replicate imitations at the seed's latencies
(GPT 7 s, image 8 s, clip 45 s, music 120 s) scaled down by one factor, reported scaled back up.

1. A 30-second hailuo-02-fast ad, each run in a fresh home (nothing cached):
   - ours (median of --runs): scaled back up line by line. Each line of work (plan; music; images then clips) keeps
     the overhead it measured beyond its models' time, the two concurrent lines keep their max, and what runs after
     them (stitch, final, orchestration) is added as measured;
   - the seed's order (every call in turn: VIDGEN_REPLICATE_CALLS_IN_FLIGHT=1) on the same imitations;
   - the bound from the spec: plan + max(music, image + the longest beat's clips) + stitch + final.
2. A batch of 15-second ads as one partition backfill on `vidgen serve`: ads per hour against the bound set by the
   provider concurrency limit and the runs allowed at once, and orchestration overhead per ad.

Usage: python benchmarks/bench_providers.py [--scale 0.05] [--runs 3] [--batch 20] [--skip-batch]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.replicate_server import FakeReplicate

BIN = Path(sys.executable).parent
RESULTS = Path(__file__).parent / "results"
SEED_S = {"plan": 7.0, "image": 8.0, "video": 45.0, "music": 120.0}
SPEECH_S = 3.0  # a spoken line: not in the seed; assumed (the imitation's default), far off the critical path
PROMPT = "Create a 30-second Nike ad"


class Imitations:
    """The two imitations with the seed's latencies at ``scale``, and the environment that points vidgen at them."""

    def __init__(self, scale: float) -> None:
        self.scale = scale
        self.openai = FakeOpenAI(latency_s=SEED_S["plan"] * scale).start()
        self.replicate = FakeReplicate().start()
        self.replicate.time_scale = scale
        self.replicate.model_time |= {k: SEED_S[k] for k in ("image", "video", "music")} | {"speech": SPEECH_S}

    def env(self, home: Path, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VIDGEN_", "DAGSTER_"))}
        return env | {
            "VIDGEN_HOME": str(home),
            "DAGSTER_HOME": str(home / "dagster"),
            "OPENAI_API_KEY": self.openai.api_key,
            "OPENAI_BASE_URL": f"{self.openai.url}/v1",
            "REPLICATE_API_TOKEN": self.replicate.token,
            "REPLICATE_BASE_URL": self.replicate.url,
            "VIDGEN_REPLICATE_POLL_INTERVAL_S": str(max(0.02, 1.0 * self.scale)),
            **extra,
        }

    def model_seconds(self) -> float:
        """Seed seconds of every prediction made so far (what a strictly sequential run waits for)."""
        return sum(p.run_s / self.scale for p in self.replicate.predictions.values())

    def stop(self) -> None:
        self.openai.stop()
        self.replicate.stop()


def vidgen(env: dict[str, str], *words: str) -> tuple[dict, float]:
    started = time.perf_counter()
    proc = subprocess.run([str(BIN / "vidgen"), *words, "--json"], env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"vidgen {' '.join(words)} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout), time.perf_counter() - started


def one_ad(scale: float, tmp: Path, name: str, **extra: str) -> dict:
    """One fresh 30-second ad: its CLI JSON, wall time, what the providers were asked, and its bound."""
    fakes = Imitations(scale)
    try:
        env = fakes.env(tmp / name, **extra)
        out, wall = vidgen(env, "generate", PROMPT, "--planner", "openai", "--media", "replicate")
        shown, _ = vidgen(env, "show", out["video_id"])
        chain = max(len(b["clip_keys"]) for b in shown["beats"])
        return {
            "wall_s": wall,
            "phase_s": {k: v["wall_time_s"] for k, v in out["phases"].items()},
            "cost_usd": out["cost_usd"],
            "predictions": fakes.replicate.paid,
            "in_flight": fakes.replicate.max_in_flight,
            "model_s": SEED_S["plan"] + fakes.model_seconds(),
            "chain": chain,
        }
    finally:
        fakes.stop()


def at_real_latency(run: dict, scale: float) -> float:
    """Our wall time with the seed's latencies: each line of work keeps its own overhead (what it took beyond its
    models' time at this scale), and the two lines that run at once (music; images then clips) keep their max."""
    p, chain = run["phase_s"], run["chain"]
    plan = SEED_S["plan"] + p["video_spec"] - SEED_S["plan"] * scale
    music = SEED_S["music"] + p["music"] - SEED_S["music"] * scale
    pictures_model = SEED_S["image"] + chain * SEED_S["video"]
    pictures = pictures_model + p["storyboard"] + p["video_chunks"] - pictures_model * scale
    rest = run["wall_s"] - p["video_spec"] - max(p["music"], p["storyboard"] + p["video_chunks"])
    return plan + max(music, pictures) + rest  # rest: process start, orchestration, stitch and final


def critical_path(scale: float, tmp: Path, runs: int) -> dict[str, object]:
    ours = sorted((one_ad(scale, tmp, f"ours{i}") for i in range(runs)), key=lambda r: r["wall_s"])[runs // 2]
    seq = one_ad(scale, tmp, "seq", VIDGEN_REPLICATE_CALLS_IN_FLIGHT="1")  # every call in turn, as the seed
    real = at_real_latency(ours, scale)
    seq_real = seq["wall_s"] + seq["model_s"] * (1 - scale)  # all of it in turn: every wait scales
    ffmpeg = ours["phase_s"]["stitched_video"] + ours["phase_s"]["final_video"]
    bound_model = SEED_S["plan"] + max(SEED_S["music"], SEED_S["image"] + ours["chain"] * SEED_S["video"])
    bound = bound_model + ffmpeg
    return {
        "scale": scale,
        "wall_at_scale_s": round(ours["wall_s"], 1),
        "seed_order_wall_at_scale_s": round(seq["wall_s"], 1),
        "ours_real_s": round(real, 1),
        "seed_order_real_s": round(seq_real, 1),
        "bound_real_s": round(bound, 1),
        "bound_model_s": bound_model,
        "stitch_final_s": round(ffmpeg, 1),
        "ours_over_bound_pct": round(100 * (real - bound) / bound, 1),
        "ours_cost_usd": ours["cost_usd"],
        "seed_order_cost_usd": seq["cost_usd"],
        "predictions": ours["predictions"],
        "most_in_flight": ours["in_flight"],
        "longest_chain": ours["chain"],
        "phase_s_at_scale": ours["phase_s"],
    }


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _cpu_seconds() -> float:
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    return (sum(int(f) for f in fields) - int(fields[3]) - int(fields[4])) / os.sysconf("SC_CLK_TCK")


def batch(scale: float, count: int, tmp: Path) -> dict[str, float]:
    """``count`` 15-second ads as one backfill on `vidgen serve`, timed from `vidgen batch` to the last one done."""
    fakes = Imitations(scale)
    ui, api = _port(), _port()
    env = fakes.env(tmp / "batch", VIDGEN_DAGSTER_URL=f"http://127.0.0.1:{ui}")
    log = (tmp / "serve.log").open("wb")
    command = [str(BIN / "vidgen"), "serve", "--ui-port", str(ui), "--api-port", str(api)]
    serve = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        while b"vidgen is up" not in (tmp / "serve.log").read_bytes():
            if serve.poll() is not None:
                raise SystemExit((tmp / "serve.log").read_text()[-3000:])
            time.sleep(0.5)
        rows = [{"prompt": f"Create a 15-second ad for brand number {i}", "title": f"ad {i}"} for i in range(count)]
        (tmp / "ads.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
        cpu, started = _cpu_seconds(), time.perf_counter()
        made, _ = vidgen(env, "batch", str(tmp / "ads.jsonl"), "--planner", "openai", "--media", "replicate")
        while True:
            state = httpx.get(f"http://127.0.0.1:{api}/api/batch/{made['batch_id']}", timeout=30).json()
            if state["done"]:
                break
            time.sleep(1.0)
        wall, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
    finally:
        os.killpg(serve.pid, signal.SIGINT)
        serve.wait(60)
        log.close()
        fakes.stop()
    runs = 2  # max_concurrent_runs of the shipped dagster.yaml
    in_flight = runs * 8  # each run's media step keeps up to VIDGEN_REPLICATE_CALLS_IN_FLIGHT=8 calls in flight
    path_s = SEED_S["plan"] + max(SEED_S["music"], SEED_S["image"] + SEED_S["video"])  # 15 s: one clip a beat
    work_s = fakes.model_seconds() / count  # provider seconds one ad occupies
    by_runs = runs * 3600 / path_s
    by_provider = in_flight * 3600 / work_s
    ideal_at_scale = math.ceil(count / runs) * path_s * scale
    overhead_per_ad = (wall - ideal_at_scale) * runs / count
    real_wall = math.ceil(count / runs) * path_s + overhead_per_ad * count / runs
    return {
        "ads": count,
        "complete": state["counts"]["complete"],
        "wall_at_scale_s": round(wall, 1),
        "ads_per_hour_real": round(count * 3600 / real_wall, 1),
        "bound_ads_per_hour": round(min(by_runs, by_provider), 1),
        "bound_by_runs_at_once": round(by_runs, 1),
        "bound_by_provider_in_flight": round(by_provider, 1),
        "overhead_per_ad_s": round(overhead_per_ad, 1),
        "machine_cpu_s_per_ad": round(cpu / count, 1),
        "cost_usd": round(state["spent_usd"], 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=0.05, help="fraction of the seed's latencies to wait")
    parser.add_argument("--runs", type=int, default=3, help="runs of our ad (the median is reported)")
    parser.add_argument("--batch", type=int, default=20, help="ads in the batch")
    parser.add_argument("--skip-batch", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = critical_path(args.scale, Path(tmp), args.runs)
        made = {} if args.skip_batch else batch(args.scale, args.batch, Path(tmp))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_providers.json").write_text(json.dumps({"critical_path": path, "batch": made}, indent=2))
    print(f"30-second hailuo-02-fast ad via the imitations at {path['scale']}x the seed's latencies, at real latency:")
    print("| run | wall | provider cost |\n|---|---|---|")
    print(f"| ours (images at once, beats' chains at once, music beside) | {path['ours_real_s']:.0f} s | "
          f"${path['ours_cost_usd']:.4f} |")  # fmt: skip
    print(f"| the seed's order (every call in turn) | {path['seed_order_real_s']:.0f} s | "
          f"${path['seed_order_cost_usd']:.4f} |")  # fmt: skip
    print(f"| critical-path bound ({path['bound_model_s']:.0f} s of models + {path['stitch_final_s']:.0f} s "
          f"stitch and final) | {path['bound_real_s']:.0f} s | |")  # fmt: skip
    print(f"ours is {path['ours_over_bound_pct']:+.1f}% against the bound; {path['predictions']} predictions, at most "
          f"{path['most_in_flight']} in flight; wall at scale {path['wall_at_scale_s']} s (seed's order "
          f"{path['seed_order_wall_at_scale_s']} s); phases at scale {path['phase_s_at_scale']}")  # fmt: skip
    if made:
        print(f"\nbatch of {made['ads']} 15-second ads as one backfill ({made['complete']} complete):")
        print("| ads per hour (real latency) | bound | bound by runs at once | bound by provider calls in flight | "
              "overhead per ad | machine CPU per ad | cost |")  # fmt: skip
        print("|---|---|---|---|---|---|---|")
        print(f"| {made['ads_per_hour_real']} | {made['bound_ads_per_hour']} | {made['bound_by_runs_at_once']} | "
              f"{made['bound_by_provider_in_flight']} | {made['overhead_per_ad_s']} s | "
              f"{made['machine_cpu_s_per_ad']} s | ${made['cost_usd']:.4f} |")  # fmt: skip


if __name__ == "__main__":
    main()
