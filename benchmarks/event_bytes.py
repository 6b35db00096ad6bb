"""Benchmark: the bytes of Dagster event JSON one offline 30-second ad leaves in the event log (issue 16: at most
40 KB), with a breakdown by event type and by asset, so what grows can be found and cut.

Each event is measured as Dagster stores it: ``serialize_value`` of its ``EventLogEntry`` (the ``event`` column).
Usage: python benchmarks/event_bytes.py [--prompt P] [--home DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

PROMPT = "Create a 30-second Nike ad"
LIMIT = 40_000  # bytes per 30-second ad


@dataclass
class EventBytes:
    """Serialized event bytes of a video's runs: the total, and per event type, per asset and per metadata entry."""

    total: int = 0
    events: int = 0
    by_type: Counter[str] = field(default_factory=Counter)
    count_by_type: Counter[str] = field(default_factory=Counter)
    by_asset: Counter[str] = field(default_factory=Counter)
    by_metadata: Counter[str] = field(default_factory=Counter)  # "asset.entry": the entry's share of its event

    def add(self, entry: dg.EventLogEntry) -> None:
        size = len(dg.serialize_value(entry))
        event = entry.dagster_event
        kind = event.event_type_value if event else "LOG_MESSAGE"
        self.total, self.events = self.total + size, self.events + 1
        self.by_type[kind] += size
        self.count_by_type[kind] += 1
        key = _asset_key(event)
        asset = key.to_user_string() if key else (entry.step_key or "(run)")
        self.by_asset[asset] += size
        if entry.step_key:  # a run's own events (resource init times) carry no vidgen metadata
            for name, value in _metadata(event).items():
                self.by_metadata[f"{asset}.{name}"] += len(dg.serialize_value(value))

    @property
    def metadata(self) -> int:
        """The part vidgen chooses: its metadata values (without Dagster's wrapping of each entry)."""
        return sum(self.by_metadata.values())

    def report(self) -> str:
        lines = [f"{self.total:,} bytes in {self.events} events (limit {LIMIT:,})"]
        lines += [f"of which {self.metadata:,} B are metadata values", "", "by event type:"]
        for kind, size in self.by_type.most_common():
            lines.append(f"  {kind:<32} {self.count_by_type[kind]:>4} events {size:>8,} B")
        lines += ["", "by asset (or step):"]
        lines += [f"  {asset:<32} {size:>8,} B" for asset, size in self.by_asset.most_common()]
        lines += ["", "largest metadata entries:"]
        lines += [f"  {name:<40} {size:>8,} B" for name, size in self.by_metadata.most_common(15)]
        return "\n".join(lines)

    def as_dict(self) -> dict[str, object]:
        return {
            "total": self.total,
            "events": self.events,
            "by_type": dict(self.by_type),
            "count_by_type": dict(self.count_by_type),
            "by_asset": dict(self.by_asset),
            "by_metadata": dict(self.by_metadata),
        }


def _asset_key(event: dg.DagsterEvent | None) -> dg.AssetKey | None:
    """The asset an event is about (a check evaluation names it in its data)."""
    if event is None:
        return None
    return event.asset_key or getattr(event.event_specific_data, "asset_key", None)


def _metadata(event: dg.DagsterEvent | None) -> dict[str, dg.MetadataValue]:
    """The metadata an event carries: a materialization's, a check's, or a handled output's."""
    if event is None:
        return {}
    data = event.event_specific_data
    if event.is_step_materialization:
        return dict(event.step_materialization_data.materialization.metadata)
    return dict(getattr(data, "metadata", None) or {})


def measure(instance: dg.DagsterInstance, run_ids: list[str]) -> EventBytes:
    """Every stored event of these runs, as serialized."""
    found = EventBytes()
    for run_id in run_ids:
        for entry in instance.all_logs(run_id):
            found.add(entry)
    return found


def generate(home: Path, prompt: str = PROMPT) -> str:
    """One offline ad through `vidgen generate` in a fresh home (the embedded dagster.yaml); its video id."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIDGEN_", "DAGSTER_"))}
    env |= {"VIDGEN_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}
    cmd = [sys.executable, "-m", "vidgen_dagster.cli", "generate", prompt, "--json"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"vidgen generate failed:\n{proc.stderr}")
    return json.loads(proc.stdout)["video_id"]


def measure_video(dagster_home: Path, video_id: str) -> EventBytes:
    """The event bytes of every run of one video (its partition) in that Dagster home."""
    old = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    try:
        with dg.DagsterInstance.get() as instance:
            runs = instance.get_run_records(dg.RunsFilter(tags={"dagster/partition": video_id}))
            return measure(instance, [r.dagster_run.run_id for r in runs])
    finally:
        if old is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = old


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompt", default=PROMPT)
    parser.add_argument("--home", type=Path, help="keep the vidgen home here (default: a temporary folder)")
    parser.add_argument("--json", action="store_true", help="print the breakdown as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = args.home or Path(tmp) / "vidgen"
        found = measure_video(home / "dagster", generate(home, args.prompt))
    print(json.dumps(found.as_dict(), indent=2) if args.json else found.report())


if __name__ == "__main__":
    main()
