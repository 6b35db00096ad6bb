"""`vidgen generate` as a user runs it, in a fresh home: the whole graph through the installed entry point, and
bad input, missing keys and failures through ``main()`` in this process."""

from __future__ import annotations

import errno
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.webserver import REFUSED, FakeWebserver
from tests.support import (
    CHECKS,
    CliResult,
    cli_env,
    delivered_by_hand,
    instance_at,
    run_checks,
    run_metadata,
    vidgen_in_process,
    vidgen_subprocess,
)
from vidgen_core.adapters.ffmpeg.probe import probe
from vidgen_core.adapters.openai import NO_PRODUCT_NOTE
from vidgen_core.adapters.storage import LocalStore, VideoKeys
from vidgen_core.domain.catalog import IMAGE_MODELS, LLM_MODELS
from vidgen_core.domain.checks import CheckName
from vidgen_core.domain.models import VideoSpec
from vidgen_core.persistence.db import lock_wait
from vidgen_core.persistence.requests import RequestDB
from vidgen_core.settings import Settings
from vidgen_dagster.instance import INSTANCE_TEMPLATE

ASSETS = [
    "video_spec",
    "storyboard",
    "music",
    "voiceover",
    "video_chunks",
    "stitched_video",
    "final_video",
    "aspects",  # empty without --aspects
    "deliverables",
]
REQUIRED_META = {"cost_usd", "provider", "model", "wall_time_s"}


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh vidgen home for an in-process ``vidgen``, with no other vidgen or Dagster settings around."""
    home = tmp_path / "home"
    for key, value in cli_env(home).items():
        monkeypatch.setenv(key, value)
    for key in [k for k in os.environ if k.startswith(("VIDGEN_", "DAGSTER_"))]:
        if key not in ("VIDGEN_HOME", "DAGSTER_HOME"):
            monkeypatch.delenv(key)
    return home


@pytest.mark.slow
def test_generate_json_materializes_the_whole_graph(tmp_path: Path) -> None:
    home = tmp_path / "home"
    args = ["generate", "A 12-second ad for Red Bull", "--aspect", "9:16", "--user", "ana", "--json"]
    proc = vidgen_subprocess(args, cli_env(home))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["status"] == "complete" and out["cost_usd"] == 0.0
    assert {"video_id", "final_video", "duration_s", "width", "height", "beats", "chunks", "storyboard"} <= set(out)
    assert f"chunk 1/{out['chunks']}" in proc.stderr and "storyboard done" in proc.stderr  # progress on stderr

    store, keys = LocalStore(Settings(home=home).storage_dir), VideoKeys("ana", out["video_id"])
    final = Path(out["final_video"])
    assert final == home.resolve() / "storage" / "ana" / "videos" / out["video_id"] / "final.mp4"
    assert final == store.local_path(keys.final()).resolve()
    info = probe(final)
    assert info.duration_s == pytest.approx(12.0, abs=0.1) == out["duration_s"]
    assert (info.width, info.height) == (out["width"], out["height"]) == (1080, 1920)  # the 1080p master
    assert info.has_video and info.has_audio and info.video_codec == "h264"
    assert len(out["storyboard"]) == out["beats"] and all(Path(p).is_file() for p in out["storyboard"])
    assert out["chunks"] >= out["beats"]
    spec_json = store.get_bytes(keys.spec())
    assert b'"duration_s": 12' in spec_json and b'"aspect_ratio": "9:16"' in spec_json
    shown = vidgen_subprocess(["show", out["video_id"]], cli_env(home))  # the frames carry no captions: show does
    spec = VideoSpec.model_validate_json(spec_json)
    for beat in spec.beats:
        said = f"{beat.name} ({beat.shot_type}, {beat.camera.value}, in by {beat.transition.value}): "
        assert said in shown.stdout, shown.stdout
    assert all(store.exists(keys.storyboard(i)) for i in range(out["beats"]))
    assert all(store.exists(keys.chunk(i)) and store.exists(keys.chunk_last_frame(i)) for i in range(out["chunks"]))
    for key in (keys.music(), keys.stitched(), keys.final()):
        assert store.size(key) > 10_000, key

    with instance_at(home / "dagster") as instance:  # the run is in the instance `make ui` opens
        assert out["video_id"] in instance.get_dynamic_partitions("videos")
        run = instance.get_run_by_id(out["run_id"])
        assert run is not None and run.is_success and run.tags["dagster/partition"] == out["video_id"]
        assert (run.tags["vidgen/user"], run.tags["vidgen/title"]) == ("ana", "A 12-second ad for Red Bull")
        meta = run_metadata(instance, out["run_id"])
        checks = run_checks(instance, out["run_id"])
    assert sorted(meta) == sorted(ASSETS)
    for asset, values in meta.items():
        assert set(values) >= REQUIRED_META, asset
        assert values["cost_usd"] == 0.0, asset
    for asset in ("video_spec", "music"):  # bought a line each; images and clips are priced in their own tables
        assert isinstance(meta[asset]["cost_breakdown"], dg.TableMetadataValue), asset
    for asset in ("storyboard", "music", "video_chunks", "stitched_video", "final_video"):  # files, not inline bytes
        assert meta[asset]["preview_file"] == str(store.local_path(keys.preview(asset))), asset
        assert Path(meta[asset]["preview_file"]).read_bytes()[:2] == b"\xff\xd8", asset  # a JPEG
    assert [r.data["beat"] for r in meta["video_spec"]["beat_table"].records] == list(range(out["beats"]))
    assert meta["storyboard"]["model"] == "local-storyboard" and meta["video_chunks"]["model"] == "local-motion"
    assert (meta["video_spec"]["beats"], meta["video_chunks"]["chunks"]) == (out["beats"], out["chunks"])
    assert {c.check_name for c in checks} == CHECKS - {CheckName.PREVIEW_MEASURED}  # the preview: review runs only
    assert all(c.passed for c in checks), [(c.check_name, c.metadata) for c in checks if not c.passed]


def _one_line_error(result: CliResult, code: int, fragment: str) -> None:
    assert result.code == code, result
    assert result.stderr.count("\n") == 1 and fragment in result.stderr and result.stderr.startswith("vidgen: ")
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["generate", ""], "prompt is empty"),
        (["generate", "\x1bA"], "no printable text"),
        (["generate", "x" * 2001], "at most 2000"),
        (["generate", "Nike ad", "--duration", "3"], "from 5 to 120"),
        (["generate", "Nike ad", "--duration", "500"], "from 5 to 120"),
        (["generate", "Nike ad", "--duration", "abc"], "invalid float"),
        (["generate", "Nike ad", "--duration", "nan"], "'nan' is not a finite number"),
        (["generate", "Nike ad", "--max-cost", "1e309"], "'1e309' is not a finite number"),
        (["batch", "ads.csv", "--max-cost", "inf"], "'inf' is not a finite number"),
        (["generate", "Nike ad", "--model", "sora-9"], "unknown video model"),
        (["generate", "Nike ad", "--aspect", "4:3"], "unknown aspect ratio"),
        (["generate", "Nike ad", "--model", "veo-3-fast", "--aspect", "1:1"], "choose another aspect or model"),
        (["generate", "Make an ad"], "names no product or brand the offline planner can read"),
        (["estimate", "Make a 10-second ad"], "--planner openai"),
        (["generate"], "the following arguments are required: prompt"),
        (["make-me-an-ad"], "invalid choice"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(home: Path, args: list[str], fragment: str) -> None:
    _one_line_error(vidgen_in_process(args), 2, fragment)
    assert not home.exists()


@pytest.mark.parametrize(
    ("flags", "variable"),
    [
        (["--planner", "openai"], "OPENAI_API_KEY"),
        (["--media", "replicate"], "REPLICATE_API_TOKEN"),  # the default voice is on Replicate too
        (["--media", "replicate", "--speech-model", "tts-1"], "REPLICATE_API_TOKEN and OPENAI_API_KEY"),
    ],
)
def test_missing_key_fails_before_anything_is_registered(
    home: Path, monkeypatch: pytest.MonkeyPatch, flags: list[str], variable: str
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("REPLICATE_API_TOKEN", raising=False)
    _one_line_error(vidgen_in_process(["generate", "Nike ad", *flags]), 2, f"set {variable} in the environment")
    assert not home.exists()


def test_failed_run_exits_1_naming_the_step_without_retrying(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIDGEN_FFMPEG", "/bin/false")
    result = vidgen_in_process(["generate", "Create a 5-second Nike ad", "--json"])
    assert result.code == 1
    out = json.loads(result.stdout)
    step = out["error"].split(":")[0]
    assert out["status"] == "failed" and step in ("music", "video_chunks")
    assert out["error"].startswith(f"{step}: ffmpeg failed to ")
    *_, failed, hint = result.stderr.strip().splitlines()
    assert failed == f"vidgen: generation failed at {out['error']}"
    assert hint == f"vidgen: finish it with `vidgen resume {out['video_id']}`"
    with instance_at(home / "dagster") as instance:  # a broken ffmpeg is not worth a retry
        events = [e.dagster_event.event_type_value for e in instance.all_logs(out["run_id"]) if e.dagster_event]
    assert "STEP_FAILURE" in events and "STEP_UP_FOR_RETRY" not in events


def test_a_rejected_plan_is_billed_and_said_so(
    home: Path, monkeypatch: pytest.MonkeyPatch, fake_openai: FakeOpenAI, provider_env: dict
) -> None:
    """OpenAI bills an answer vidgen rejects: the failed run says what it was billed, and `vidgen show` counts it."""
    fake_openai.scenario = "refusal"
    result = vidgen_in_process(["generate", "Create a 10-second Nike ad", "--planner", "openai"])
    usage = fake_openai.usage
    billed = LLM_MODELS["gpt-4o"].cost(usage["input"], usage["cached"], usage["output"])
    assert result.code == 1 and fake_openai.plans == 1 and billed > 0
    assert f"vidgen: this run was billed ${billed:.4f}; the video so far: ${billed:.4f}" in result.stderr
    video_id = result.stderr.split("vidgen resume ")[1].split("`")[0]
    shown = json.loads(vidgen_in_process(["show", video_id, "--json"]).stdout)
    assert shown["spent_usd"] == billed and [r["state"] for r in shown["ledger"]] == ["failed"]


@pytest.mark.slow
def test_generate_says_what_the_planner_warned_of(
    home: Path, monkeypatch: pytest.MonkeyPatch, fake_openai: FakeOpenAI, provider_env: dict
) -> None:
    """A plan that names no product is made, and the user is told so where they look: the command's own output."""
    fake_openai.scenario = "no_product"
    result = vidgen_in_process(["generate", "Make a 5-second ad", "--planner", "openai", "--json"])
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)["plan_notes"] == [NO_PRODUCT_NOTE]
    assert f"vidgen: plan: {NO_PRODUCT_NOTE}" in result.stderr.splitlines()


def test_estimate_prices_the_real_providers_without_their_keys(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("REPLICATE_API_TOKEN", raising=False)
    args = ["estimate", "Create a 30-second Nike ad", "--planner", "openai", "--media", "replicate", "--json"]
    result = vidgen_in_process(args)
    assert result.code == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["by_phase"]["storyboard"] == pytest.approx(4 * IMAGE_MODELS["flux-dev"].usd_per_image)
    assert found["estimate_usd"] == pytest.approx(sum(found["by_phase"].values()), abs=1e-4)
    assert found["estimate_usd"] > 0.5 and found["max_cost_usd"] == 10.0 and not found["over_budget"]
    offline = json.loads(vidgen_in_process(["estimate", "Create a 30-second Nike ad", "--json"]).stdout)
    assert offline["estimate_usd"] == 0.0  # the local renderers are free
    assert not home.exists()  # an estimate makes nothing


def test_list_pages_a_users_videos_and_show_says_where_the_final_is(home: Path) -> None:
    settings = Settings()
    mine = [delivered_by_hand(settings, "ana", f"Create a 10-second ad for Brand{i} shoes") for i in range(3)]
    delivered_by_hand(settings, "ben")
    first = vidgen_in_process(["list", "--user", "ana", "--limit", "2", "--json"])
    page = json.loads(first.stdout)
    assert [v["video_id"] for v in page["videos"]] == mine[:0:-1] and (page["total"], page["offset"]) == (3, 0)
    assert page["videos"][0] == {
        "video_id": mine[2], "status": "complete", "progress": 100.0, "cost_usd": 0.0,
        "title": "Create a 10-second ad for Brand2 shoes", "created_at": page["videos"][0]["created_at"],
    }  # fmt: skip
    text = vidgen_in_process(["list", "--user", "ana", "--offset", "2"]).stdout.splitlines()
    assert text[0] == "ana: videos 3-3 of 3, newest first" and len(text) == 2
    assert text[1].split()[:4] == [mine[0], "complete", "100.0%", "$0.0000"] and text[1].endswith("Brand0 shoes")
    more = vidgen_in_process(["list", "--user", "ana", "--limit", "1"]).stdout
    assert more.endswith("more: vidgen list --offset 1\n")
    assert json.loads(vidgen_in_process(["list", "--json"]).stdout)["total"] == 0  # VIDGEN_DEFAULT_USER's
    _one_line_error(vidgen_in_process(["list", "--limit", "0"]), 2, "choose a limit from 1 to 100")

    final = LocalStore(settings.storage_dir).local_path(VideoKeys("ana", mine[0]).final())
    shown = json.loads(vidgen_in_process(["show", mine[0], "--json"]).stdout)
    assert shown["final_video"] == str(final)
    assert vidgen_in_process(["show", mine[0]]).stdout.endswith(f"  final video: {final}\n")


def test_over_budget_is_refused_before_missing_keys_and_an_estimate_says_so(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("REPLICATE_API_TOKEN", raising=False)
    args = ["Create a 30-second Nike ad", "--planner", "openai", "--media", "replicate", "--max-cost", "0.10"]
    over = "over its budget of $0.1000; raise max_cost_usd (--max-cost)"
    _one_line_error(vidgen_in_process(["generate", *args]), 2, over)  # whatever the keys
    estimated = vidgen_in_process(["estimate", *args, "--json"])
    assert estimated.code == 2 and estimated.stderr.startswith("vidgen: this video is estimated at $")
    found = json.loads(estimated.stdout)  # the estimate is still shown, so the user sees what a cap must cover
    assert found["over_budget"] and found["estimate_usd"] > found["max_cost_usd"] == 0.10
    assert f"estimated at ${found['estimate_usd']:.4f}, {over}" in estimated.stderr
    text = vidgen_in_process(["estimate", *args])
    phases = ", ".join(f"{phase} ${usd:.4f}" for phase, usd in found["by_phase"].items())  # the voiceover's too
    assert text.code == 2 and text.stdout == f"estimate: ${found['estimate_usd']:.4f} (budget $0.10)\n  {phases}\n"
    assert found["by_phase"]["voiceover"] > 0
    assert not home.exists()


def test_archive_removes_old_delivered_videos_from_the_partitions_and_keeps_them(home: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from vidgen_core.persistence.requests import RequestDB, Status
    from vidgen_core.pipeline.requests import build_request
    from vidgen_dagster.partitions import videos

    settings = Settings()
    db = RequestDB(settings.db_url)
    now = datetime.now(UTC)
    ages = {
        "vid-old-done": (Status.COMPLETE, 40),
        "vid-new-done": (Status.COMPLETE, 2),
        "vid-old-fail": (Status.FAILED, 40),
    }
    for video_id, (status, days) in ages.items():
        db.submit(build_request("Create a 10-second Nike ad", settings, video_id=video_id))
        db.update(video_id, status=status, completed_at=now - timedelta(days=days))
    (home / "dagster").mkdir(parents=True, exist_ok=True)
    with instance_at(home / "dagster") as instance:
        instance.add_dynamic_partitions(videos.name, list(ages))
    dry = vidgen_in_process(["archive", "--older-than", "30", "--dry-run", "--json"])
    assert dry.code == 0 and json.loads(dry.stdout)["videos"] == ["vid-old-done"]
    assert json.loads(dry.stdout)["partitions_left"] == 2  # what it would leave, not what there is now
    said = vidgen_in_process(["archive", "--older-than", "30", "--dry-run"]).stdout
    assert said.startswith("would archive 1 video(s)") and said.endswith("; 2 partition(s) would be left\n")
    done = vidgen_in_process(["archive", "--older-than", "30", "--json"])
    assert done.code == 0, done.stderr
    assert json.loads(done.stdout)["videos"] == ["vid-old-done"] and json.loads(done.stdout)["partitions_left"] == 2
    with instance_at(home / "dagster") as instance:
        assert sorted(instance.get_dynamic_partitions(videos.name)) == ["vid-new-done", "vid-old-fail"]
    shown = vidgen_in_process(["show", "vid-old-done", "--json"])  # the request, costs and media are kept
    assert (
        shown.code == 0 and json.loads(shown.stdout)["archived_at"] and json.loads(shown.stdout)["status"] == "complete"
    )
    again = vidgen_in_process(["archive", "--older-than", "30", "--json"])
    assert json.loads(again.stdout)["videos"] == []  # archived once
    _one_line_error(vidgen_in_process(["archive", "--older-than", "-1"]), 2, "--older-than must be 0 or more days")


def test_serve_host_binds_only_the_api_and_the_ui_stays_on_loopback() -> None:
    from vidgen_dagster.cli import _parser
    from vidgen_dagster.serve import commands

    args = _parser().parse_args(["serve", "--host", "0.0.0.0", "--ui-port", "3001", "--api-port", "8001"])
    planned = commands(args.host, args.ui_port, args.api_port, args.ui_host)
    assert planned.dagster[planned.dagster.index("-h") + 1 :][:3] == ["127.0.0.1", "-p", "3001"]
    assert planned.api[planned.api.index("--host") + 1 :][:3] == ["0.0.0.0", "--port", "8001"]
    assert planned.ui_url == "http://127.0.0.1:3001" and planned.warnings == []


def test_serve_lets_the_run_status_sensors_follow_a_burst(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Dagster's run-status sensors follow 5 runs a tick unless told more; one set outright is kept."""
    import vidgen_dagster.serve as serve

    class Stopped(Exception):
        pass

    seen: list[dict[str, str]] = []

    def no_spawn(command: list[str], env: dict[str, str], cwd: str | None = None) -> None:
        seen.append(env)
        raise Stopped

    monkeypatch.setattr(serve, "init", lambda settings: home.mkdir(exist_ok=True))
    monkeypatch.setattr(serve, "_spawn", no_spawn)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.delenv("DAGSTER_RUN_STATUS_SENSOR_PROCESS_LIMIT", raising=False)
    with pytest.raises(Stopped):
        serve.serve(Settings(home=home), "127.0.0.1", 3000, 8000)
    monkeypatch.setenv("DAGSTER_RUN_STATUS_SENSOR_PROCESS_LIMIT", "7")
    with pytest.raises(Stopped):
        serve.serve(Settings(home=home), "127.0.0.1", 3000, 8000)
    assert [env["DAGSTER_RUN_STATUS_SENSOR_PROCESS_LIMIT"] for env in seen] == ["100", "7"]


def test_serve_ui_host_exposes_the_ui_with_one_warning_line(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import vidgen_dagster.serve as serve
    from vidgen_dagster.cli import main

    planned = serve.commands("127.0.0.1", 3000, 8000, ui_host="0.0.0.0")
    assert planned.dagster[planned.dagster.index("-h") + 1] == "0.0.0.0"
    assert planned.api[planned.api.index("--host") + 1] == "127.0.0.1"

    class Stopped(Exception):
        pass

    def no_start(settings: Settings) -> tuple[list[str], list[str]]:  # stop before any process is started
        raise Stopped

    monkeypatch.setattr(serve, "init", no_start)
    with pytest.raises(Stopped):
        main(["serve", "--ui-host", "0.0.0.0"])
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and "0.0.0.0:3000" in lines[0] and "no login" in lines[0]
    with pytest.raises(Stopped):
        main(["serve", "--host", "0.0.0.0"])  # the API on the network, the UI still on 127.0.0.1: no warning
    assert capsys.readouterr().err == ""


def test_init_creates_the_s3_bucket_when_missing(
    home: Path, s3_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    monkeypatch.setenv("VIDGEN_S3_BUCKET", "vidgen-made-by-init")
    s3 = boto3.client("s3", endpoint_url=s3_env["VIDGEN_S3_ENDPOINT_URL"], region_name="us-east-1")
    assert "vidgen-made-by-init" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    first = vidgen_in_process(["init"])
    assert first.code == 0, first.stderr
    assert "created bucket vidgen-made-by-init" in first.stdout
    assert "vidgen-made-by-init" in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    again = vidgen_in_process(["init"])  # safe to run again: the bucket is left as it is
    assert again.code == 0 and "created bucket" not in again.stdout


def test_the_cli_finds_a_running_service_on_its_ports(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    service_file = Settings(home=home).service_file
    service_file.parent.mkdir(parents=True)
    ui = "http://127.0.0.1:3917"
    service_file.write_text(json.dumps({"pid": os.getpid(), "ui_url": ui, "api_url": "http://127.0.0.1:8917"}))
    assert Settings(home=home).dagster_url == ui
    monkeypatch.setenv("VIDGEN_DAGSTER_URL", "http://127.0.0.1:4000")  # said outright, it wins
    assert Settings(home=home).dagster_url == "http://127.0.0.1:4000"
    monkeypatch.delenv("VIDGEN_DAGSTER_URL")
    service_file.write_text(json.dumps({"pid": 2**22 + 1, "ui_url": ui, "api_url": ""}))  # above Linux's pid_max:
    assert Settings(home=home).dagster_url == "http://127.0.0.1:3000"  # a killed `vidgen serve` left its file


def test_a_locked_database_or_a_full_disk_is_one_plain_line_and_exit_1(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    RequestDB(Settings(home=home).db_url)  # the requests tables exist
    blocker = sqlite3.connect(home / "vidgen.db", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another process is writing
    try:
        with lock_wait(0.2):  # as patient as a run, but not for 30 s in a test
            locked = vidgen_in_process(["generate", "A 5-second Nike ad"])
    finally:
        blocker.close()
    _one_line_error(locked, 1, "a database is busy (another process holds its write lock); try again")

    def full(*args: object, **kwargs: object) -> None:  # what SQLite says when the disk under the event log fills
        raise sa.exc.OperationalError(
            "INSERT INTO event_logs", {}, sqlite3.OperationalError("database or disk is full")
        )

    monkeypatch.setattr("vidgen_dagster.execute.run_video", full)
    _one_line_error(vidgen_in_process(["generate", "A 5-second Nike ad"]), 1, "the disk is full; free some space")

    def no_space(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(home / "storage" / "final.mp4"))

    monkeypatch.setattr("vidgen_dagster.execute.run_video", no_space)
    out = vidgen_in_process(["generate", "A 5-second Nike ad"])
    _one_line_error(out, 1, "the disk is full")
    assert str(home) not in out.stderr


def test_a_batch_the_webserver_refuses_keeps_nothing(
    home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    webserver = FakeWebserver(REFUSED).start()
    monkeypatch.setenv("VIDGEN_DAGSTER_URL", webserver.url)
    file = tmp_path / "100%.csv"
    file.write_text("prompt\nA 5-second Nike ad\nA 5-second Lego ad\n")
    try:
        refused = vidgen_in_process(["batch", str(file)])
    finally:
        webserver.stop()
    assert refused.code == 1 and refused.stderr.count("\n") == 1 and "submit it again" in refused.stderr
    assert webserver.launched[0]["title"] == "100％.csv"
    assert RequestDB(Settings(home=home).db_url).page("local-user", 10)[1] == 0
    with instance_at(home / "dagster") as instance:
        assert instance.get_dynamic_partitions("videos") == []


def test_make_ui_takes_its_ports_and_hosts() -> None:
    root = Path(__file__).resolve().parents[1]
    planned = subprocess.run(
        ["make", "-n", "-C", str(root), "ui", "UI_PORT=3901", "API_PORT=8901", "HOST=0.0.0.0"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(x for x in planned.splitlines() if "vidgen serve" in x)
    assert line.endswith("serve --host 0.0.0.0 --api-port 8901 --ui-host 127.0.0.1 --ui-port 3901"), line


def test_init_warns_when_an_existing_instance_file_never_gives_a_killed_runs_pool_slots_back(home: Path) -> None:
    config = Path(os.environ["DAGSTER_HOME"]) / "dagster.yaml"
    config.parent.mkdir(parents=True)
    config.write_text("telemetry:\n  enabled: false\n")  # a home made before vidgen's file set it: kept as it is
    old = vidgen_in_process(["init"])
    assert old.code == 0, old.stderr
    (warning,) = old.stderr.splitlines()
    assert warning.startswith("vidgen: warning:") and "free_slots_after_run_end_seconds" in warning
    shutil.copyfile(INSTANCE_TEMPLATE, config)
    shipped = vidgen_in_process(["init"])
    assert shipped.code == 0 and shipped.stderr == ""


def test_ctrl_c_outside_a_run_names_the_video_to_resume(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from vidgen_dagster import cli, execute
    from vidgen_dagster.service.use_cases import VidgenService

    def pressed(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(execute, "run_video", pressed)  # e.g. while the instance opens, before the run starts
    made = vidgen_in_process(["generate", "Create a 5-second Nike ad"])
    (record,) = RequestDB(Settings(home=home).db_url).page(Settings(home=home).default_user, 10)[0]
    assert made.code == cli.EXIT_INTERRUPTED
    assert f"`vidgen resume {record.video_id}` finishes it" in made.stderr and "VIDEO_ID" not in made.stderr
    monkeypatch.setattr(VidgenService, "sync_runs", pressed)  # `vidgen resume` stopped while it syncs the video's row
    resumed = vidgen_in_process(["resume", record.video_id])
    assert resumed.code == cli.EXIT_INTERRUPTED and f"`vidgen resume {record.video_id}`" in resumed.stderr
