"""Shared fixtures: an isolated vidgen home and Dagster instance per test, provider imitations, media helpers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import numpy as np
import pytest
import sqlalchemy as sa
from PIL import Image

from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.replicate_server import FakeReplicate
from vidgen_core.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "vidgen")


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[dg.DagsterInstance]:
    (tmp_path / "dagster").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "dagster")) as inst:
        yield inst


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


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio between two RGB frames, in dB."""
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def frame_at(video: Path, index: int, tmp: Path) -> np.ndarray:
    """Decode frame ``index`` of a video as an RGB array (via ffmpeg)."""
    import ffmpeg

    from vidgen_core.media.tools import ffmpeg_exe

    out = tmp / f"frame_{index}.png"
    (
        ffmpeg.input(str(video))
        .filter("select", f"eq(n,{index})")
        .output(str(out), vframes=1)
        .overwrite_output()
        .run(cmd=ffmpeg_exe(), quiet=True)
    )
    return np.asarray(Image.open(out).convert("RGB"))
