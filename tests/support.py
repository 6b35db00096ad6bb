"""Helpers the tests share: running the graph and the CLI, the daemon's sensor steps, API users, the service,
a scratch Postgres database, and frame comparison."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import dagster as dg
import httpx
import numpy as np
import sqlalchemy as sa
from PIL import Image

from vidgen_core.domain.checks import CheckName
from vidgen_core.persistence.requests import RequestDB
from vidgen_core.pipeline.requests import build_request
from vidgen_core.settings import Settings
from vidgen_dagster.instance import ensure_config

T = TypeVar("T")
CHECKS = set(CheckName)  # every asset check the graph defines

# --- the asset graph, in process --------------------------------------------------------------------------------


def execute(settings: Settings, instance: dg.DagsterInstance, video_id: str, **kw: Any) -> dg.ExecuteInProcessResult:
    """Materialize the whole graph for one stored video partition."""
    from vidgen_dagster.definitions import build_definitions

    job = build_definitions(str(settings.home)).resolve_job_def("generate_video")
    return job.execute_in_process(instance=instance, partition_key=video_id, raise_on_error=False, **kw)


def submit_and_execute(
    settings: Settings, instance: dg.DagsterInstance, prompt: str, video_id: str, **request: Any
) -> dg.ExecuteInProcessResult:
    """Store a request for ``video_id``, add its partition, and materialize the graph."""
    from vidgen_dagster.partitions import videos

    RequestDB(settings.db_url).submit(build_request(prompt, settings, video_id=video_id, **request))
    instance.add_dynamic_partitions(videos.name, [video_id])
    return execute(settings, instance, video_id)


def metadata_of(result: dg.ExecuteInProcessResult) -> dict[str, dict[str, Any]]:
    """Each materialized asset's metadata values, by asset name."""
    return {
        e.asset_key.to_user_string(): {
            k: v.value for k, v in e.step_materialization_data.materialization.metadata.items()
        }
        for e in result.get_asset_materialization_events()
    }


def run_metadata(instance: dg.DagsterInstance, run_id: str) -> dict[str, dict[str, Any]]:
    """Each asset's materialization metadata values in one stored run (e.g. one the CLI made)."""
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records
    return {
        r.event_log_entry.dagster_event.asset_key.to_user_string(): {
            k: v.value for k, v in r.event_log_entry.asset_materialization.metadata.items()
        }
        for r in records
    }


STALE = "query($partition: String!) { assetNodes { assetKey { path } staleStatus(partition: $partition) } }"


def stale_assets(instance: dg.DagsterInstance, video_id: str) -> set[str]:
    """The video's assets the Dagster UI shows as stale, read as the UI reads them: through GraphQL, from the code
    location that workspace.yaml names (served from its own process, as `make ui` serves it)."""
    from dagster_graphql.test.utils import define_out_of_process_context, execute_dagster_graphql

    workspace = Path(__file__).resolve().parents[1] / "workspace.yaml"
    with define_out_of_process_context(str(workspace), None, instance) as context:
        nodes = execute_dagster_graphql(context, STALE, {"partition": video_id}).data["assetNodes"]
    return {"/".join(n["assetKey"]["path"]) for n in nodes if n["staleStatus"] == "STALE"}


def run_checks(instance: dg.DagsterInstance, run_id: str) -> list[dg.AssetCheckEvaluation]:
    """The asset check evaluations stored for one run."""
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records
    return [r.event_log_entry.dagster_event.event_specific_data for r in records]


# --- the CLI ----------------------------------------------------------------------------------------------------


def cli_env(home: Path) -> dict[str, str]:
    """The environment of a user with a fresh vidgen home and no vidgen or Dagster settings of their own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIDGEN_", "DAGSTER_"))}
    return env | {"VIDGEN_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}


def vidgen_subprocess(args: list[str], env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run the installed entry point as a user does."""
    return subprocess.run(
        [sys.executable, "-m", "vidgen_dagster.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


def vidgen_in_process(args: list[str]) -> CliResult:
    """``vidgen ARGS`` through ``main()`` in this process, with settings read afresh from the environment."""
    from vidgen_core.adapters.ffmpeg.tools import ffmpeg_exe, ffprobe_exe
    from vidgen_core.settings import get_settings
    from vidgen_dagster.cli import main

    for cached in (get_settings, ffmpeg_exe, ffprobe_exe):
        cached.cache_clear()
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(args)
            except SystemExit as exc:  # argparse's own errors
                code = int(exc.code or 0)
    finally:
        for cached in (get_settings, ffmpeg_exe, ffprobe_exe):
            cached.cache_clear()
    return CliResult(code, out.getvalue(), err.getvalue())


def vidgen_json(*args: str) -> dict:
    """``vidgen ARGS --json`` in this process, its answer parsed."""
    result = vidgen_in_process([*args, "--json"])
    assert result.stdout, result.stderr
    return json.loads(result.stdout)


def use_home(home: Path, monkeypatch: Any) -> Path:
    """Point `vidgen` in this process at a fresh home (and its Dagster instance)."""
    monkeypatch.setenv("VIDGEN_HOME", str(home))
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    return home


@contextmanager
def instance_at(dagster_home: Path) -> Iterator[dg.DagsterInstance]:
    """The instance in ``dagster_home``, opened the way `make ui` opens it (with the embedded config)."""
    ensure_config(dagster_home)
    old = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    instance = dg.DagsterInstance.get()
    try:
        yield instance
    finally:
        instance.dispose()
        if old is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = old


# --- the request sensor, as the daemon runs it ------------------------------------------------------------------


def tick(settings: Settings, instance: dg.DagsterInstance, cursor: str | None) -> dg.SensorResult:
    """One round of vidgen's sensors as the daemon runs them: the dead-run watch, the run-status sensors on every
    run event, then the request sensor (its result returned)."""
    from vidgen_dagster.resources import DatabaseResource
    from vidgen_dagster.sensors import dead_runs, video_requests

    resources = {"db": DatabaseResource.from_settings(settings)}  # VIDGEN_DATABASE_URL as the launchpad shows it
    dead_runs(dg.build_sensor_context(instance=instance, resources=resources))
    follow_runs(instance, resources)
    return video_requests(dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources))


RUN_EVENTS = {  # the event each followed run status is announced by
    dg.DagsterRunStatus.STARTED: dg.DagsterEventType.RUN_START,
    dg.DagsterRunStatus.SUCCESS: dg.DagsterEventType.RUN_SUCCESS,
    dg.DagsterRunStatus.FAILURE: dg.DagsterEventType.RUN_FAILURE,
    dg.DagsterRunStatus.CANCELED: dg.DagsterEventType.RUN_CANCELED,
}


def follow_runs(instance: dg.DagsterInstance, resources: dict[str, Any]) -> None:
    """Every run-status event in the instance, oldest first, through the sensor that follows that status (each
    context built as Dagster's docs build one to test a run-status sensor)."""
    from vidgen_dagster.sensors import followers

    events = [
        (record, status)
        for status, event_type in RUN_EVENTS.items()
        for record in instance.fetch_run_status_changes(event_type, limit=10_000).records
    ]
    for record, status in sorted(events, key=lambda e: e[0].storage_id):
        run = instance.get_run_by_id(record.run_id)
        event = record.event_log_entry.dagster_event
        if run is not None and event is not None:
            name = followers[status].name
            followers[status](dg.build_run_status_sensor_context(name, event, instance, run, resources=resources))


def launch(settings: Settings, instance: dg.DagsterInstance, result: dg.SensorResult) -> None:
    """Add the tick's partitions, then run each requested run (in process) with the tags the daemon gives it."""
    from vidgen_dagster.definitions import build_definitions

    for add in result.dynamic_partitions_requests:
        instance.add_dynamic_partitions(add.partitions_def_name, list(add.partition_keys))
    definitions = build_definitions(str(settings.home))
    for request in result.run_requests:
        tags = {**request.tags, "dagster/run_key": request.run_key}
        job = definitions.resolve_job_def(request.job_name or "generate_video")
        job.execute_in_process(instance=instance, partition_key=request.partition_key, tags=tags, raise_on_error=False)


def run_pending(settings: Settings, instance: dg.DagsterInstance) -> dg.SensorResult:
    """One tick, its runs, and the tick after that brings the request rows up to date."""
    first = tick(settings, instance, cursor=None)
    launch(settings, instance, first)
    return tick(settings, instance, cursor=first.cursor)


def delivered_by_hand(settings: Settings, user: str, prompt: str = "Create a 12-second Nike ad") -> str:
    """A complete video without rendering it: its request, the local planner's spec and a stand-in final.mp4."""
    from vidgen_core.adapters.local.planner import LocalPlanner
    from vidgen_core.adapters.storage import VideoKeys, open_store
    from vidgen_core.persistence.requests import Status

    db = RequestDB(settings.db_url)
    request = db.submit(build_request(prompt, settings, user_id=user)).request
    keys, store = VideoKeys(user, request.video_id), open_store(settings)
    store.put_bytes(keys.spec(), LocalPlanner().plan(request).spec.model_dump_json().encode())
    store.put_bytes(keys.final(), b"not really an mp4")
    db.update(request.video_id, status=Status.COMPLETE, progress=100.0, completed_at=datetime.now(UTC))
    return request.video_id


# --- API users --------------------------------------------------------------------------------------------------

KEYS = {"ana": "key-ana-0123456789", "ben": "key-ben-0123456789"}
ORIGIN = "https://app.example.com"


def auth(user: str) -> dict[str, str]:
    return {"X-API-Key": KEYS[user]}


# --- the whole service (`vidgen serve`) -------------------------------------------------------------------------

SERVICE_KEY, SERVICE_USER = "svc-key-0123456789", "svc-user"
SERVICE_HEADERS = {"X-API-Key": SERVICE_KEY}
RUNS_BY_REQUEST = """query($tag: String!) { runsOrError(filter: {tags: [{key: "vidgen/request_id", value: $tag}]}) {
  ... on Runs { results { runId status creationTime startTime tags { key value } } } } }"""


def wait(what: str, seconds: float, check: Callable[[], T]) -> T:
    """Poll ``check`` until it returns something truthy."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class Service:
    ui: str
    api: str
    home: Path
    process: subprocess.Popen[bytes]

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        response = httpx.post(f"{self.ui}/graphql", json={"query": query, "variables": variables or {}}, timeout=30)
        response.raise_for_status()
        body = response.json()
        assert "errors" not in body, body
        return body["data"]


# --- a scratch Postgres database ---------------------------------------------------------------------------------

PG_ADMIN_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"


@contextmanager
def temp_database() -> Iterator[str]:
    """A fresh database on the machine's PostgreSQL (127.0.0.1:5432, trust auth), dropped afterwards."""
    name = f"vidgen_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- frames -----------------------------------------------------------------------------------------------------


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio between two RGB frames, in dB."""
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def frame_at(video: Path, index: int, tmp: Path, exact: bool = False) -> np.ndarray:
    """Decode frame ``index`` of a video as an RGB array (via ffmpeg; ``exact``: converted to RGB as
    ``ops.last_frame`` does, without the fast path's rounding)."""
    import ffmpeg

    from vidgen_core.adapters.ffmpeg.ops import EXACT_RGB
    from vidgen_core.adapters.ffmpeg.tools import ffmpeg_exe

    out = tmp / f"frame_{index}.png"
    picked = ffmpeg.input(str(video)).filter("select", f"eq(n,{index})")
    if exact:  # the scale filter converts to RGB, with these flags
        picked = picked.filter("scale", flags=EXACT_RGB).filter("format", "rgb24")
    picked.output(str(out), vframes=1).overwrite_output().run(cmd=ffmpeg_exe(), quiet=True)
    return np.asarray(Image.open(out).convert("RGB"))


class MemoryJournal:
    """A prediction journal kept in memory, for adapter tests that call a provider directly."""

    def __init__(self) -> None:
        self.record: dict[str, Any] | None = None

    def load(self) -> dict[str, Any] | None:
        return self.record

    def save(self, record: dict[str, Any]) -> None:
        self.record = record


# --- a campaign's deliverables, from stand-in media -----------------------------------------------------------------


def stand_in_video(path: Path, size: tuple[int, int], seconds: float, sound: bool = True) -> Path:
    """An H.264 yuv420p mp4 (testsrc2: sharp, moving) with an AAC tone when ``sound``, 30 fps."""
    from vidgen_core.adapters.ffmpeg.tools import ffmpeg_exe

    width, height = size
    args = [ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=s={width}x{height}:r=30:d={seconds}"]
    if sound:
        args += ["-f", "lavfi", "-i", f"sine=f=440:r=48000:d={seconds}", "-c:a", "aac", "-ac", "2"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-t", str(seconds), str(path)]
    subprocess.run(args, check=True)
    return path


def fake_cut_down(spec: Any, chunks: Any, music: Any, voiceover: Any, length_s: int, store: Any, settings: Any):
    """``cut_down`` stood in for (the real one is measured in test_cutdowns): a stand-in video of ``length_s``."""
    from vidgen_core.adapters.ffmpeg.probe import probe
    from vidgen_core.adapters.storage import VideoKeys
    from vidgen_core.domain.models import RenderedVideo
    from vidgen_core.pipeline.cutdowns import variant_of
    from vidgen_core.pipeline.phases import keys_for

    variant = variant_of(spec, length_s)
    source, key = keys_for(spec).final(), VideoKeys(spec.user_id, spec.video_id, variant).final()
    info = probe(store.local_path(source))
    with tempfile_dir() as tmp:
        store.put_file(key, stand_in_video(tmp / "cut.mp4", (info.width, info.height), length_s))
    video = RenderedVideo(
        key=key, duration_s=length_s, width=info.width, height=info.height, fps=30, has_audio=True,
        size_bytes=store.size(key),
    )  # fmt: skip
    return spec.model_copy(update={"variant": variant, "duration_s": length_s}), video


def fake_platform_version(spec: Any, final: Any, platform: Any, store: Any, settings: Any):
    """``platform_version`` stood in for (the real one is measured in test_platform_versions): the file as it is, kept
    where the real one keeps it (one per platform and length)."""
    from vidgen_core.adapters.storage import VideoKeys, length_variant

    key = VideoKeys(spec.user_id, spec.video_id, length_variant(str(platform), spec.duration_s)).final()
    store.copy(final.key, key)
    return final.model_copy(update={"key": key})


@contextmanager
def tempfile_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp)


def campaign_by_hand(settings: Settings, user: str, seconds: int = 5, **campaign: Any) -> tuple[str, Any]:
    """A complete video with stand-in media (a 720p master with captions and stems, a reframed aspect per
    ``aspects``) and its deliverables made and stored as the asset would; returns its id and the manifest. Cutdowns
    and platform versions need ``fake_cut_down`` and ``fake_platform_version`` patched in."""
    from vidgen_core.adapters.ffmpeg.tools import ffmpeg_exe
    from vidgen_core.adapters.local.planner import LocalPlanner
    from vidgen_core.adapters.storage import VideoKeys, open_store
    from vidgen_core.domain.models import (
        AspectCut,
        AspectMode,
        AspectSet,
        ChunkSet,
        MusicTrack,
        Phase,
        RenderedVideo,
        Voiceover,
    )
    from vidgen_core.persistence.requests import Status
    from vidgen_core.pipeline.deliverables import make_deliverables
    from vidgen_core.pipeline.registry import PHASES

    db = RequestDB(settings.db_url)
    prompt = f"Create a {seconds}-second ad for Nike Air Max"
    request = db.submit(build_request(prompt, settings, user_id=user, resolution="720p", **campaign)).request
    spec = LocalPlanner().plan(request).spec.model_copy(update={"campaign": request.campaign})
    store, keys = open_store(settings), VideoKeys(user, request.video_id)
    store.put_bytes(keys.spec(), spec.model_dump_json().encode())

    def rendered(variant: str, size: tuple[int, int]) -> tuple[Any, Any]:
        at = VideoKeys(user, request.video_id, variant)
        with tempfile_dir() as tmp:
            store.put_file(at.stitched(), stand_in_video(tmp / "stitched.mp4", size, seconds, sound=False))
            store.put_file(at.final(), stand_in_video(tmp / "final.mp4", size, seconds))
        made = {"duration_s": seconds, "width": size[0], "height": size[1], "fps": 30}
        stitched = RenderedVideo(key=at.stitched(), has_audio=False, size_bytes=store.size(at.stitched()), **made)
        return stitched, RenderedVideo(key=at.final(), has_audio=True, size_bytes=store.size(at.final()), **made)

    stitched, final = rendered("", (1280, 720))
    store.put_bytes(keys.captions("srt"), b"1\n00:00:00,500 --> 00:00:02,000\nJust do it.\n")
    store.put_bytes(keys.captions("vtt"), b"WEBVTT\n\n00:00.500 --> 00:02.000\nJust do it.\n")
    with tempfile_dir() as tmp:
        tone = stand_in_video(tmp / "tone.mp4", (64, 36), seconds)
        for key in (keys.voice(), keys.music_mix()):
            wav = tmp / "stem.wav"
            subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-i", str(tone), str(wav)], check=True)
            store.put_file(key, wav)
    captions = {"srt": keys.captions("srt"), "vtt": keys.captions("vtt")}
    final = final.model_copy(
        update={"captions": captions, "voice_key": keys.voice(), "music_mix_key": keys.music_mix()}
    )
    cuts = []
    for aspect in request.campaign.aspects:
        variant = aspect.replace(":", "x")
        w, h = (int(p) for p in aspect.split(":"))
        size = (720, round(720 * h / w / 2) * 2) if w < h else (round(720 * w / h / 2) * 2, 720)
        cut_stitched, cut_final = rendered(variant, size)
        cuts.append(
            AspectCut(
                aspect=aspect, variant=variant, mode=AspectMode.REFRAMED, chunks=ChunkSet(chunks=[]),
                stitched=cut_stitched, final=cut_final,
            )
        )  # fmt: skip
    music = MusicTrack(key=None, duration_s=seconds, mood="energetic")
    made = make_deliverables(
        spec, stitched, final, ChunkSet(chunks=[]), music, Voiceover(), AspectSet(cuts=cuts), store, settings
    )
    store.put_bytes(PHASES[Phase.DELIVERABLES].key(keys), made.model_dump_json().encode())
    db.update(request.video_id, status=Status.COMPLETE, progress=100.0, completed_at=datetime.now(UTC))
    return request.video_id, made
