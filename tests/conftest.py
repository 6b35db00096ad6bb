"""Shared fixtures: an isolated vidgen home and Dagster instance per test, provider imitations; hypothesis profiles;
and the rule that a test which renders a whole video is marked ``slow`` (so ``make test-fast`` stays fast)."""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import dagster as dg
import pytest
from hypothesis import settings as hypothesis_settings

from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.replicate_server import FakeReplicate
from tests.support import temp_database
from vidgen_core.settings import Settings

# CI replays the same examples every run (a red CI is reproducible); a local run keeps exploring. Both print the
# blob that reproduces a failure (`@reproduce_failure`).
hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
hypothesis_settings.register_profile("dev", print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(autouse=True)
def whole_videos_are_slow(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail a test not marked ``slow`` that renders a final video in this process."""
    if request.node.get_closest_marker("slow"):
        return
    from vidgen_core.pipeline import phases

    def refuse(*args: object, **kwargs: object) -> None:
        pytest.fail("this test renders a whole video end to end: mark it @pytest.mark.slow", pytrace=False)

    monkeypatch.setattr(phases, "finalize_video", refuse)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "vidgen")


@pytest.fixture(scope="session")
def blank_instance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty test instance's folder, made once per worker: a new instance runs Dagster's schema migrations (a
    second or more each), a copy of this one opens in a tenth of that."""
    path = tmp_path_factory.mktemp("blank-dagster")
    with dg.instance_for_test(temp_dir=str(path)):
        pass
    return path


@pytest.fixture
def instance(tmp_path: Path, blank_instance: Path) -> Iterator[dg.DagsterInstance]:
    shutil.copytree(blank_instance, tmp_path / "dagster")
    with dg.instance_for_test(temp_dir=str(tmp_path / "dagster")) as inst:
        yield inst


@pytest.fixture
def short_api_lock_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """API settings made after this wait 0.5 s for a held database lock, not 2 s: tests that wait it out run
    sooner, and the wait stays far below a run's."""
    monkeypatch.setenv("VIDGEN_API_LOCK_WAIT_S", "0.5")


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A Postgres database for the requests tables, shared by the session."""
    with temp_database() as url:
        yield url


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def fake_replicate() -> Iterator[FakeReplicate]:
    server = FakeReplicate().start()
    yield server
    server.stop()


@pytest.fixture
def provider_env(
    monkeypatch: pytest.MonkeyPatch, fake_openai: FakeOpenAI, fake_replicate: FakeReplicate
) -> dict[str, str]:
    """Environment pointing the real clients at the imitations, with fast polling and backoff."""
    env = {
        "OPENAI_API_KEY": fake_openai.api_key,
        "OPENAI_BASE_URL": f"{fake_openai.url}/v1",
        "REPLICATE_API_TOKEN": fake_replicate.token,
        "REPLICATE_BASE_URL": fake_replicate.url,
        "VIDGEN_REPLICATE_POLL_INTERVAL_S": "0.02",
        "VIDGEN_REPLICATE_BACKOFF_S": "0.02",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


# A real S3-protocol server (moto) on 127.0.0.1 for the storage tests.
@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer  # its import costs each worker half a second; few tests need it

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_env(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Settings for a fresh bucket on the local S3 server."""
    bucket = f"vidgen-{uuid.uuid4().hex[:8]}"
    env = {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "VIDGEN_STORAGE": "s3",
        "VIDGEN_S3_BUCKET": bucket,
        "VIDGEN_S3_ENDPOINT_URL": s3_endpoint,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").create_bucket(Bucket=bucket)
    return env
