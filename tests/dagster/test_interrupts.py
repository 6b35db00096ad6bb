"""A CLI run stopped by Ctrl-C or killed, through the OpenAI and Replicate imitations: it stops promptly, keeps what
was made, gives back its pool slot, is never retried by Dagster's run retry, and `vidgen resume` finishes it without
paying twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.tags import MAX_RETRIES_TAG, PARTITION_NAME_TAG, WILL_RETRY_TAG

from tests.dagster.test_beats import REAL, SMALL, charged, journaled
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.replicate_server import FakeReplicate
from tests.support import instance_at, tick, vidgen_in_process, wait
from vidgen_core.persistence.ledger import CallState, Ledger
from vidgen_core.persistence.requests import RequestDB, RequestRecord, Status
from vidgen_core.settings import Settings

pytestmark = pytest.mark.slow  # whole videos through the imitations


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, provider_env: dict) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("VIDGEN_HOME", str(home))
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    return home


def _generate_until_a_clip_is_in_flight(home: Path, replicate: FakeReplicate) -> subprocess.Popen[str]:
    """`vidgen generate` in a process of its own, once one clip is paid and another is journaled and unfinished."""
    replicate.time_scale = 0.04
    replicate.hold_after = {"video": 1}  # one clip is paid; the others stay in flight until release()
    ad = ["generate", "Create a 20-second Nike ad", *REAL, *SMALL, "--json"]
    command = [sys.executable, "-m", "vidgen_dagster.cli", *ad]
    proc = subprocess.Popen(command, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def clip_in_flight() -> bool:
        assert proc.poll() is None, f"generate exited {proc.returncode} too early: {proc.communicate()}"
        if replicate.paid_by_kind.get("video", 0) < 1:
            return False
        flying = {i for i, p in list(replicate.predictions.items()) if p.kind == "video" and p.held}
        return bool(flying & journaled(Settings(home=home)))

    try:
        wait("a clip in flight after one was paid", 180, clip_in_flight)
    except BaseException:
        proc.kill()
        proc.wait(30)
        raise
    return proc


def _stopped(proc: subprocess.Popen[str], replicate: FakeReplicate, what: str) -> tuple[str, str]:
    """The output of a `vidgen` told to stop, which must exit within 60 s although its clips are still held
    "processing"; the held clips are released either way."""
    try:
        return proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(30)
        pytest.fail(f"{what} did not stop `vidgen generate` within 60 s")
    finally:
        replicate.release()


def _only_request(home: Path) -> RequestRecord:
    (record,) = RequestDB(Settings(home=home).db_url).page(Settings(home=home).default_user, 10)[0]
    return record


def _replicate_slots_held(home: Path, run_id: str) -> int:
    """How many of the `replicate` pool's slots the run holds."""
    with instance_at(home / "dagster") as instance:
        info = instance.event_log_storage.get_concurrency_info("replicate")
        return sum(slot.run_id == run_id for slot in info.claimed_slots)


def _runs(home: Path, video_id: str) -> list[dg.DagsterRun]:
    with instance_at(home / "dagster") as instance:
        return list(instance.get_runs(dg.RunsFilter(tags={PARTITION_NAME_TAG: video_id})))


def _resume_finishes_without_paying_twice(home: Path, openai: FakeOpenAI, replicate: FakeReplicate, video: str):
    replicate.release()
    started = time.perf_counter()
    resumed = json.loads(vidgen_in_process(["resume", video, "--json"]).stdout)
    assert resumed["status"] == "complete", resumed
    used = resumed["beats"] + resumed["chunks"] + 1 + resumed["lines"]  # images, clips, music, voice lines
    assert replicate.paid == used and replicate.creates == used  # none created or paid twice
    rows = Ledger(Settings(home=home).db_url).rows(video)
    paid = [r for r in rows if r.state == CallState.PAID]
    assert len({r.cache_key for r in paid}) == len(paid) == used + 1  # + the plan
    assert not [r for r in rows if r.state == CallState.RESERVED]
    assert Ledger(Settings(home=home).db_url).spent(video) == pytest.approx(charged(openai, replicate), abs=1e-4)
    return resumed, time.perf_counter() - started


def test_ctrl_c_stops_the_run_at_once_keeps_what_was_made_and_resume_finishes_it(
    home: Path, fake_replicate: FakeReplicate, fake_openai: FakeOpenAI
) -> None:
    proc = _generate_until_a_clip_is_in_flight(home, fake_replicate)
    run_id = _runs(home, _only_request(home).video_id)[0].run_id
    assert _replicate_slots_held(home, run_id) == 1  # the media step holds its pool slot
    pressed = time.perf_counter()
    proc.send_signal(signal.SIGINT)  # what Ctrl-C does
    out, err = _stopped(proc, fake_replicate, "Ctrl-C")
    exit_s = time.perf_counter() - pressed
    record = _only_request(home)
    video = record.video_id

    assert proc.returncode == 1, err
    assert json.loads(out)["status"] == "failed"
    assert "interrupted" in err and f"vidgen resume {video}" in err
    assert "dagster" not in err and "Error" not in err  # no class name, no traceback
    # The row is failed at once (no sensor round needed), with a plain reason.
    assert record.status == Status.FAILED and record.error is not None
    assert "interrupted" in record.error and "resume" in record.error and "Error" not in record.error
    (run,) = _runs(home, video)
    assert run.status == dg.DagsterRunStatus.FAILURE
    assert (run.tags[MAX_RETRIES_TAG], run.tags[WILL_RETRY_TAG]) == ("0", "false")  # never retried by the daemon
    assert _replicate_slots_held(home, run.run_id) == 0
    rows = Ledger(Settings(home=home).db_url).rows(video)
    assert {r.state for r in rows} == {CallState.PAID, CallState.RESERVED}  # cut-off calls stay reserved, not failed
    kept = {r.prediction_id for r in rows if r.state == CallState.PAID}
    creates_at_exit = fake_replicate.creates

    resumed, resume_s = _resume_finishes_without_paying_twice(home, fake_openai, fake_replicate, video)
    assert kept <= {r.prediction_id for r in Ledger(Settings(home=home).db_url).rows(video)}
    rows_before = len(Ledger(Settings(home=home).db_url).rows(video))

    again = vidgen_in_process(["resume", video])  # a complete video: said so, nothing run, nothing paid
    assert again.code == 0 and "already complete" in again.stdout, again.stderr
    assert len(Ledger(Settings(home=home).db_url).rows(video)) == rows_before and len(_runs(home, video)) == 2
    print(
        f"\nCtrl-C -> exit {exit_s:.2f} s (row failed, resumable at exit); {creates_at_exit} predictions created "
        f"before it; resume paid {resumed['paid_calls']} in {resume_s:.1f} s"
    )


def test_a_killed_run_gives_back_its_pool_slot_and_is_resumable(
    home: Path, fake_replicate: FakeReplicate, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIDGEN_HEARTBEAT_S", "0.5")  # two missed beats (1 s) and an exited pid: dead
    proc = _generate_until_a_clip_is_in_flight(home, fake_replicate)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    killed = time.perf_counter()
    record = _only_request(home)
    (run,) = _runs(home, record.video_id)
    assert record.status == Status.RUNNING and _replicate_slots_held(home, run.run_id) == 1  # what the kill left

    def recognised() -> bool:  # the request sensor's round, as the daemon runs it
        with instance_at(home / "dagster") as instance:
            tick(Settings(home=home), instance, cursor=None)
        return _only_request(home).status == Status.FAILED

    wait("the dead run to be recognised", 30, recognised)
    failed_s = time.perf_counter() - killed
    assert "has exited" in (_only_request(home).error or "")
    (run,) = _runs(home, record.video_id)
    assert run.status == dg.DagsterRunStatus.FAILURE and run.tags[WILL_RETRY_TAG] == "false"
    assert _replicate_slots_held(home, run.run_id) == 0  # freed with the run, not held forever
    _, resume_s = _resume_finishes_without_paying_twice(home, fake_openai, fake_replicate, record.video_id)
    print(f"\nSIGKILL -> row failed, slot freed in {failed_s:.1f} s (0.5 s heartbeat); resume {resume_s:.1f} s")


def test_sigterm_stops_a_generate_run_as_ctrl_c_does(
    home: Path, fake_replicate: FakeReplicate, fake_openai: FakeOpenAI
) -> None:
    """`kill` (or a service manager stopping it) mid-run: the run stops, its row is failed at once with the plain
    reason and is resumable, its pool slot is free; the row does not wait for the sensor to see a dead pid."""
    proc = _generate_until_a_clip_is_in_flight(home, fake_replicate)
    proc.send_signal(signal.SIGTERM)
    out, err = _stopped(proc, fake_replicate, "SIGTERM")
    record = _only_request(home)
    assert proc.returncode == 1, err
    assert json.loads(out)["status"] == "failed" and f"vidgen resume {record.video_id}" in err
    assert record.status == Status.FAILED and "interrupted" in (record.error or "")
    (run,) = _runs(home, record.video_id)
    assert run.status == dg.DagsterRunStatus.FAILURE and _replicate_slots_held(home, run.run_id) == 0


def test_sigterm_before_the_run_starts_stops_generate_as_ctrl_c_does(home: Path) -> None:
    """SIGTERM outside Dagster's execution (here while the video's partition is added): a one-line message naming
    the video to resume and exit 130, its row failed and resumable, not a killed process with its row running."""
    script = (
        "import os, signal, sys, threading\n"
        "import dagster as dg\n"
        "from vidgen_dagster import cli\n"
        "def slow(*args, **kwargs):\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    threading.Event().wait(30)\n"
        "dg.DagsterInstance.add_dynamic_partitions = slow\n"
        "sys.exit(cli.main(['generate', 'Create a 5-second Nike ad']))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=os.environ)
    record = _only_request(home)
    assert done.returncode == 130, (done.returncode, done.stderr)
    assert (
        done.stderr.strip()
        == f"vidgen: interrupted; `vidgen resume {record.video_id}` finishes it without paying twice"
    )
    assert record.status == Status.FAILED and "interrupted" in (record.error or "")
    assert _runs(home, record.video_id) == []  # nothing ran: resume starts it


def test_ctrl_c_while_dagster_stores_a_media_result_stops_the_clips_in_flight(
    home: Path, fake_replicate: FakeReplicate, fake_openai: FakeOpenAI
) -> None:
    """Ctrl-C while Dagster stores what the media step yielded (outside the step's code): Dagster fails the step
    without resuming it, so the step never sees the interrupt; its clips in flight must stop all the same, or the
    process waits on them at exit (here held forever) and never ends."""
    fake_replicate.time_scale = 0.04
    fake_replicate.hold_after = {"video": 0}  # every clip stays in flight until release()
    script = (
        "import os, signal, sys\n"
        "import dagster as dg\n"
        "from vidgen_dagster import cli\n"
        "store = dg.DagsterInstance.handle_new_event\n"
        "def handle(self, event, **kwargs):\n"
        "    store(self, event, **kwargs)\n"
        "    found = event.dagster_event if event.is_dagster_event else None\n"
        "    if found and found.is_step_materialization and found.asset_key == dg.AssetKey('storyboard'):\n"
        "        os.kill(os.getpid(), signal.SIGINT)\n"
        "dg.DagsterInstance.handle_new_event = handle\n"
        f"sys.exit(cli.main(['generate', 'Create a 20-second Nike ad', *{REAL!r}]))\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], env=dict(os.environ), stderr=subprocess.PIPE, text=True)
    _, err = _stopped(proc, fake_replicate, "Ctrl-C while the storyboard was stored")
    record = _only_request(home)
    assert proc.returncode == 1 and f"vidgen resume {record.video_id}" in err, err
    assert record.status == Status.FAILED and "interrupted" in (record.error or "")
