"""Benchmark: the offline 30-second 16:9 ad through `vidgen generate`, end to end.

Reports end-to-end wall time, time inside media work (rendering + ffmpeg), time inside the asset bodies,
orchestration overhead (everything else: imports, instance, run bookkeeping) and peak memory.
Usage: python benchmarks/bench_generate.py [--runs N] [--prompt P]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def one_run(prompt: str, home: Path) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIDGEN_", "DAGSTER_"))}
    env |= {"VIDGEN_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}
    cmd = [sys.executable, "-m", "vidgen_dagster.cli", "generate", prompt, "--aspect", "16:9", "--resolution", "1080p"]
    cmd += ["--json"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"vidgen generate failed:\n{proc.stderr}")
    out = json.loads(proc.stdout)
    in_assets = sum(p["wall_time_s"] for p in out["phases"].values())
    return {
        "wall_s": wall,
        "media_s": out["media_time_s"],
        "asset_bodies_s": in_assets,
        "orchestration_s": wall - in_assets,
        "duration_s": out["duration_s"],
        "size_mb": out["size_bytes"] / 1e6,
        **{f"phase_{k}_s": v["wall_time_s"] for k, v in out["phases"].items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--prompt", default="Create a 30-second Nike ad")
    args = parser.parse_args()
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        one_run(args.prompt, Path(tmp) / "warmup")  # warm the page cache and .pyc files
        for i in range(args.runs):
            runs.append(one_run(args.prompt, Path(tmp) / f"run{i}"))
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    summary = {k: round(statistics.median(r[k] for r in runs), 3) for k in runs[0]}
    summary |= {"runs": args.runs, "peak_rss_mb_largest_process": round(peak_mb, 1), "cores": os.cpu_count()}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_generate.json").write_text(json.dumps(summary, indent=2))
    print(f"offline 30-second 16:9 1080p ad, median of {args.runs} runs on {os.cpu_count()} cores")
    for key, value in summary.items():
        print(f"  {key:32s} {value}")


if __name__ == "__main__":
    main()
