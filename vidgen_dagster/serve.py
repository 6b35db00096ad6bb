"""``vidgen serve``: the whole service on one machine: Dagster webserver + daemon (``dagster dev``) and the API."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import FrameType

from vidgen_core.records import RequestDB
from vidgen_core.settings import Settings
from vidgen_dagster.instance import open_instance

WORKSPACE = Path(__file__).resolve().parents[1] / "workspace.yaml"
READY_TIMEOUT_S = 180.0
STOP_TIMEOUT_S = 20.0


def init(settings: Settings) -> None:
    """Create the Dagster instance (tables, provider pools) and the requests tables. Safe to run again."""
    open_instance(settings)
    RequestDB(settings.db_url)


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


def serve(settings: Settings, host: str, ui_port: int, api_port: int) -> int:
    """Run until interrupted; returns 1 if a part of the service dies on its own."""
    init(settings)
    dagster_home = str(Path(os.environ["DAGSTER_HOME"]).resolve())  # set by init()
    env = {**os.environ, "VIDGEN_HOME": str(settings.home.resolve()), "DAGSTER_HOME": dagster_home}
    env["VIDGEN_DAGSTER_URL"] = f"http://{_local(host)}:{ui_port}"  # where the API launches batches' backfills
    bin_dir = Path(sys.executable).parent
    target = ["-w", str(WORKSPACE)] if WORKSPACE.exists() else ["-m", "vidgen_dagster.definitions"]
    children = [
        # Run from DAGSTER_HOME: dagster dev reads ./dagster.yaml, which then is the instance's own.
        _spawn([str(bin_dir / "dagster"), "dev", *target, "-h", host, "-p", str(ui_port)], env, dagster_home),
        _spawn(
            [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--host", host,
             "--port", str(api_port), "--no-access-log"],
            env,
        ),
    ]  # fmt: skip
    stopping = False

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    ui, api = f"http://{host}:{ui_port}", f"http://{host}:{api_port}"
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
