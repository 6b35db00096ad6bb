"""Ctrl-C on `vidgen generate` while `vidgen serve` runs beside it on the same home (its daemon with the run-retry
and run-monitoring daemons, its request sensor): the command stops promptly, the row is failed and stays failed,
Dagster never retries the run, its pool slot is free, and `vidgen resume` finishes the video without paying twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.scheduler.instigation import InstigatorType, TickStatus
from dagster._core.storage.tags import WILL_RETRY_TAG

from tests.dagster.test_beats import REAL, SMALL, journaled
from tests.dagster.test_interrupts import _only_request, _resume_finishes_without_paying_twice
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.replicate_server import FakeReplicate
from tests.service.test_restarts import _runs, _slots_held, serving
from tests.support import instance_at, wait
from vidgen_core.persistence.requests import Status
from vidgen_core.settings import Settings

pytestmark = pytest.mark.slow  # the whole service in subprocesses, and a whole video

ENDED_TICKS = [TickStatus.SUCCESS, TickStatus.SKIPPED, TickStatus.FAILURE]


def _sensor_ticks_after(home: Path, since: float) -> int:
    """How many rounds of the request sensor the service's daemon finished after ``since`` (a Unix time)."""
    with instance_at(home / "dagster") as instance:
        states = instance.all_instigator_state(instigator_type=InstigatorType.SENSOR)
        return sum(
            len(instance.get_ticks(s.instigator_origin_id, s.selector_id, after=since, statuses=ENDED_TICKS))
            for s in states
            if s.instigator_name == "video_requests"
        )


def test_ctrl_c_on_generate_beside_a_running_service_stays_failed_and_resumes_without_paying_twice(
    tmp_path: Path,
    provider_env: dict,
    fake_replicate: FakeReplicate,
    fake_openai: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    home = tmp_path
    vidgen_home = home / "vidgen"
    monkeypatch.setenv("VIDGEN_HOME", str(vidgen_home))  # the CLI (and the in-process resume) use serve's home
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    fake_replicate.time_scale = 0.04
    fake_replicate.hold_after = {"video": 1}  # one clip is paid; the others stay in flight until release()
    with serving(home, "beside"):
        wait("the request sensor's first round", 60, lambda: _sensor_ticks_after(home, 0.0))
        command = [sys.executable, "-m", "vidgen_dagster.cli", "generate", "Create a 20-second Nike ad", *REAL, *SMALL]
        proc = subprocess.Popen(command, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)  # fmt: skip
        try:

            def clip_in_flight() -> bool:
                assert proc.poll() is None, f"generate exited {proc.returncode} too early: {proc.communicate()}"
                flying = {i for i, p in list(fake_replicate.predictions.items()) if p.kind == "video" and p.held}
                paid = fake_replicate.paid_by_kind.get("video", 0) >= 1
                return paid and bool(flying & journaled(Settings(home=vidgen_home)))

            wait("a clip in flight after one was paid", 180, clip_in_flight)
            video = _only_request(vidgen_home).video_id
            (run,) = _runs(home, video)
            assert _slots_held(home, [run.run_id]) == 1  # the media step holds its `replicate` slot
            pressed = time.perf_counter()
            proc.send_signal(signal.SIGINT)  # what Ctrl-C does
            try:
                out, err = proc.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                pytest.fail(f"Ctrl-C did not stop `vidgen generate` within 60 s: {proc.communicate()[1][-3000:]}")
            exit_s = time.perf_counter() - pressed
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(30)
        exited = time.time()

        assert proc.returncode != 0, (out, err)
        said = [line for line in err.splitlines() if not line.startswith(f"[{video}] ")]  # after the progress lines
        assert all(line.startswith("vidgen: ") for line in said), err
        assert [line for line in said if video in line] == [f"vidgen: finish it with `vidgen resume {video}`"], err
        assert "interrupted" in said[0], err
        assert "Traceback" not in err + out and "dagster." not in err and "Error" not in err
        record = _only_request(vidgen_home)
        assert record.status == Status.FAILED and record.error and "interrupted" in record.error
        assert "Error" not in record.error and "/" not in record.error.replace("`", "")

        # Two full rounds of the service's sensor after the exit (the run-retry daemon runs beside them): the run
        # stays failed and unretried, the row stays failed, and the pool holds no slot for it.
        wait("two sensor rounds after the exit", 60, lambda: _sensor_ticks_after(home, exited) >= 2)
        rounds_s = time.time() - exited
        (run,) = _runs(home, video)  # no retry run
        assert run.status == dg.DagsterRunStatus.FAILURE and run.tags.get(WILL_RETRY_TAG) != "true"
        assert _only_request(vidgen_home).status == Status.FAILED
        assert _slots_held(home, [run.run_id]) == 0

        resumed, resume_s = _resume_finishes_without_paying_twice(vidgen_home, fake_openai, fake_replicate, video)
        assert [r.status for r in _runs(home, video)] == [dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.SUCCESS]
        assert _slots_held(home, [r.run_id for r in _runs(home, video)]) == 0
    print(
        f"\nbeside `vidgen serve`: Ctrl-C -> exit {exit_s:.2f} s (exit {proc.returncode}); no retry over two sensor "
        f"rounds ({rounds_s:.1f} s); resume paid {resumed['paid_calls']} in {resume_s:.1f} s"
    )
