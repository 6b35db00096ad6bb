"""`vidgen generate` end to end, as a user runs it, in a fresh home."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from vidgen_core.media.probe import probe

VIDGEN = [sys.executable, "-m", "vidgen_dagster.cli"]


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIDGEN_", "DAGSTER_"))}
    return env | {"VIDGEN_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}


def test_generate_json_end_to_end(tmp_path: Path) -> None:
    home = tmp_path / "home"
    proc = subprocess.run(
        [*VIDGEN, "generate", "Create a 10-second Nike ad", "--aspect", "1:1", "--user", "ana", "--json"],
        env=_env(home),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["status"] == "complete" and out["cost_usd"] == 0.0
    assert {"video_id", "final_video", "duration_s", "width", "height", "beats", "chunks", "storyboard"} <= set(out)
    final = Path(out["final_video"])
    assert final == home.resolve() / "storage" / "ana" / "videos" / out["video_id"] / "final.mp4"
    info = probe(final)
    assert info.duration_s == pytest.approx(10.0, abs=0.1) == out["duration_s"]
    assert (info.width, info.height) == (out["width"], out["height"]) == (512, 512)
    assert info.has_video and info.has_audio
    assert len(out["storyboard"]) == out["beats"] and all(Path(p).is_file() for p in out["storyboard"])
    assert out["chunks"] >= out["beats"]
    assert f"chunk 1/{out['chunks']}" in proc.stderr and "storyboard done" in proc.stderr  # progress on stderr
    with _instance(home) as instance:
        assert out["video_id"] in instance.get_dynamic_partitions("videos")
        run = instance.get_run_by_id(out["run_id"])
        assert run is not None and run.is_success and run.tags["dagster/partition"] == out["video_id"]


class _instance:
    """The instance the CLI wrote to, opened the way `make ui` opens it."""

    def __init__(self, home: Path) -> None:
        self.home = home / "dagster"

    def __enter__(self) -> dg.DagsterInstance:
        self.old = os.environ.get("DAGSTER_HOME")
        os.environ["DAGSTER_HOME"] = str(self.home)
        self.instance = dg.DagsterInstance.get()
        return self.instance

    def __exit__(self, *exc: object) -> None:
        self.instance.dispose()
        if self.old is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = self.old


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["generate", ""], "prompt is empty"),
        (["generate", "x" * 2001], "at most 2000"),
        (["generate", "Nike ad", "--duration", "3"], "from 5 to 120"),
        (["generate", "Nike ad", "--duration", "500"], "from 5 to 120"),
        (["generate", "Nike ad", "--duration", "abc"], "invalid float"),
        (["generate", "Nike ad", "--model", "sora-9"], "unknown video model"),
        (["generate", "Nike ad", "--aspect", "4:3"], "unknown aspect ratio"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path: Path, args: list[str], fragment: str) -> None:
    home = tmp_path / "home"
    proc = subprocess.run([*VIDGEN, *args], env=_env(home), capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and fragment in proc.stderr and proc.stderr.startswith("vidgen: ")
    assert proc.stdout == "" and not home.exists()


def test_failed_run_exits_1_naming_the_step(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = _env(home) | {"VIDGEN_FFMPEG": "/bin/false"}
    proc = subprocess.run(
        [*VIDGEN, "generate", "Create a 5-second Nike ad", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1
    out = json.loads(proc.stdout)
    step = out["error"].split(":")[0]
    assert out["status"] == "failed" and step in ("music", "video_chunks")
    assert out["error"].startswith(f"{step}: ffmpeg failed to ")
    assert proc.stderr.strip().endswith(f"vidgen: generation failed at {out['error']}")


@pytest.mark.parametrize(
    ("flags", "variable"),
    [(["--planner", "openai"], "OPENAI_API_KEY"), (["--media", "replicate"], "REPLICATE_API_TOKEN")],
)
def test_missing_key_fails_before_anything_is_registered(tmp_path: Path, flags: list[str], variable: str) -> None:
    home = tmp_path / "home"
    env = {k: v for k, v in _env(home).items() if k not in ("OPENAI_API_KEY", "REPLICATE_API_TOKEN")}
    proc = subprocess.run(
        [*VIDGEN, "generate", "Nike ad", *flags], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 2 and f"set {variable} in the environment" in proc.stderr
    assert not home.exists()


def test_generate_with_openai_and_replicate(tmp_path: Path, fake_openai, fake_replicate, provider_env: dict) -> None:
    home = tmp_path / "home"
    env = _env(home) | provider_env
    proc = subprocess.run(
        [*VIDGEN, "generate", "Create a 10-second Nike ad", "--planner", "openai", "--media", "replicate", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["status"] == "complete" and out["cost_usd"] > 0
    assert out["cost_usd"] == pytest.approx(sum(p["cost_usd"] for p in out["phases"].values()), abs=1e-4)
    assert fake_replicate.paid == out["beats"] + out["chunks"] + 1
    for secret in (provider_env["OPENAI_API_KEY"], provider_env["REPLICATE_API_TOKEN"]):
        assert secret not in proc.stdout + proc.stderr
