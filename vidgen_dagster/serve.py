"""``vidgen serve``: the whole service on one machine: Dagster webserver + daemon (``dagster dev``) and the API."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from vidgen_core.adapters.storage import BlobStore, VideoKeys, open_store, owner_key
from vidgen_core.domain.errors import VidgenError
from vidgen_core.persistence.batches import BatchDB
from vidgen_core.persistence.ledger import Ledger
from vidgen_core.persistence.requests import RequestDB
from vidgen_core.persistence.takes import LineTakeDB, TakeDB
from vidgen_core.persistence.uploads import UploadDB
from vidgen_core.settings import Settings, running_service
from vidgen_dagster.instance import config_gaps, open_instance

WORKSPACE = Path(__file__).resolve().parents[1] / "workspace.yaml"
READY_TIMEOUT_S = 180.0
STOP_TIMEOUT_S = 20.0
LOOPBACK = "127.0.0.1"
LOOPBACKS = (LOOPBACK, "localhost", "::1")
# A run-status sensor follows at most this many runs per tick (Dagster's default, 5, lets a burst of hundreds of runs
# reach their request rows minutes late); the daemon reads it from its environment. One set outright wins.
SENSOR_RUNS_PER_TICK = {"DAGSTER_RUN_STATUS_SENSOR_PROCESS_LIMIT": "100"}


def ensure_bucket(settings: Settings) -> bool:
    """With ``VIDGEN_STORAGE=s3``, create the bucket if it does not exist; True if it was created."""
    if settings.storage != "s3":
        return False
    import boto3
    from botocore.exceptions import ClientError

    client = boto3.client("s3", endpoint_url=settings.s3_endpoint_url, region_name=settings.s3_region)
    try:
        client.head_bucket(Bucket=settings.s3_bucket)
        return False
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        if code not in ("404", "NoSuchBucket", "NotFound"):  # 403: someone else's, or no right to look at it
            raise VidgenError(f"S3 bucket {settings.s3_bucket}: {code} {exc}") from None
    region = settings.s3_region or client.meta.region_name
    if region and region != "us-east-1":  # us-east-1 refuses a LocationConstraint naming itself
        client.create_bucket(Bucket=settings.s3_bucket, CreateBucketConfiguration={"LocationConstraint": region})
    else:
        client.create_bucket(Bucket=settings.s3_bucket)
    return True


def init(settings: Settings) -> tuple[list[str], list[str]]:
    """Create the Dagster instance (tables, provider pools), the requests tables and, on S3, the bucket. Safe to
    run again; returns what was created beyond the tables (``bucket NAME``) and what the instance's config lacks."""
    gaps = config_gaps(open_instance(settings))
    for table in (RequestDB, TakeDB, LineTakeDB, Ledger, BatchDB, UploadDB):  # each makes its table
        table(settings.db_url)
    created = [f"bucket {settings.s3_bucket}"] if ensure_bucket(settings) else []
    if indexed := index_owners(RequestDB(settings.db_url), open_store(settings)):
        created.append(f"owner index of {indexed} earlier videos")
    return created, gaps


OWNERS_INDEXED = "_owners/_indexed"  # written after the one pass; no video id starts with "_"


def index_owners(db: RequestDB, store: BlobStore) -> int:
    """Give videos planned before the store kept owner indexes (``owner_key``) theirs, so the IO manager finds
    their manifests by video id alone; returns how many it wrote. One pass over the requests, once per store:
    `vidgen serve` runs init at every start, and later videos get their index when their spec is stored."""
    if store.exists(OWNERS_INDEXED):
        return 0
    written, seq = 0, 0
    while page := db.owners(after_seq=seq):
        seq = page[-1][0]
        for _, video_id, user_id in page:
            planned = store.exists(VideoKeys(user_id, video_id).spec())
            if planned and not store.exists(owner_key(video_id)):
                store.put_bytes(owner_key(video_id), user_id.encode())
                written += 1
    store.put_bytes(OWNERS_INDEXED, b"")
    return written


@dataclass(frozen=True)
class Commands:
    """The two processes ``vidgen serve`` starts, and where each listens."""

    dagster: list[str]
    api: list[str]
    ui_url: str
    api_url: str
    warnings: list[str]


def commands(
    host: str = LOOPBACK,
    ui_port: int = 3000,
    api_port: int = 8000,
    ui_host: str | None = None,
    python: str = sys.executable,
) -> Commands:
    """The command lines of ``vidgen serve``. ``host`` binds only the API; the UI, which has no login, stays on
    127.0.0.1 unless ``ui_host`` names another address, and then comes with a warning."""
    ui_bind = ui_host or LOOPBACK
    warnings = []
    if ui_bind not in LOOPBACKS:
        warnings.append(
            f"vidgen serve: warning: the Dagster UI on {ui_bind}:{ui_port} has no login; anyone who reaches it can "
            "launch and delete runs (put it behind an authenticating proxy, see the README)"
        )
    bin_dir = Path(python).parent
    target = ["-w", str(WORKSPACE)] if WORKSPACE.exists() else ["-m", "vidgen_dagster.definitions"]
    return Commands(
        dagster=[str(bin_dir / "dagster"), "dev", *target, "-h", ui_bind, "-p", str(ui_port)],
        api=[
            python,
            "-m",
            "uvicorn",
            "api.app:create_app",
            "--factory",
            *("--host", host, "--port", str(api_port)),
            "--no-access-log",
        ],
        ui_url=f"http://{_local(ui_bind)}:{ui_port}",
        api_url=f"http://{_local(host)}:{api_port}",
        warnings=warnings,
    )


def _default_signals() -> None:
    # Started from make or a non-interactive shell, SIGINT arrives ignored and Dagster would then ignore SIGTERM
    # too; children get the default handlers back so a plain SIGINT stops them.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _spawn(command: list[str], env: dict[str, str], cwd: str | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, env=env, cwd=cwd, start_new_session=True, preexec_fn=_default_signals)


def _local(host: str) -> str:
    """The address this machine reaches a server on that listens on ``host``."""
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status < 500
    except OSError:
        return False


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    """SIGINT each child's process group (dagster dev shuts its webserver, daemon and code server down), then
    SIGKILL whatever is still there after STOP_TIMEOUT_S."""
    for child in children:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGINT)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    for child in children:
        try:
            child.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()


def serve(settings: Settings, host: str, ui_port: int, api_port: int, ui_host: str | None = None) -> int:
    """Run until interrupted; returns 1 if a part of the service dies on its own."""
    planned = commands(host, ui_port, api_port, ui_host)
    for warning in planned.warnings:
        print(warning, file=sys.stderr, flush=True)
    init(settings)
    dagster_home = str(Path(os.environ["DAGSTER_HOME"]).resolve())  # set by init()
    env = {**SENSOR_RUNS_PER_TICK, **os.environ}
    env.update(VIDGEN_HOME=str(settings.home.resolve()), DAGSTER_HOME=dagster_home)
    env["VIDGEN_DAGSTER_URL"] = planned.ui_url  # where the API launches batches' backfills
    # Run dagster dev from DAGSTER_HOME: it reads ./dagster.yaml, which then is the instance's own.
    announce = {"pid": os.getpid(), "ui_url": planned.ui_url, "api_url": planned.api_url}
    settings.service_file.write_text(json.dumps(announce))  # so `vidgen batch` finds this UI, whatever its port
    children = [_spawn(planned.dagster, env, dagster_home), _spawn(planned.api, env)]
    stopping = False

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    ui, api = planned.ui_url, planned.api_url
    started, announced = time.monotonic(), False
    try:
        while not stopping:
            if any(child.poll() is not None for child in children):
                print("vidgen serve: a part of the service stopped; shutting the rest down", file=sys.stderr)
                return 1
            if not announced and _ready(f"{ui}/server_info") and _ready(f"{api}/health"):
                announced = True
                print(f"vidgen is up: Dagster UI {ui}  API {api}/docs  (Ctrl-C stops both)", flush=True)
            if not announced and time.monotonic() - started > READY_TIMEOUT_S:
                print(f"vidgen serve: not ready after {READY_TIMEOUT_S:.0f} s", file=sys.stderr)
                return 1
            time.sleep(0.5)
        return 0
    finally:
        _stop(children)
        if running_service(settings.service_file) == announce:  # another serve of this home may have replaced it
            settings.service_file.unlink()
