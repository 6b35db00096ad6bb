"""The deployment instance (deploy/dagster.yaml): Dagster's storage on the machine's PostgreSQL, requests too."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

from tests.support import launch, temp_database, tick
from vidgen_core.adapters.ffmpeg.probe import probe
from vidgen_core.adapters.storage import VideoKeys
from vidgen_core.persistence.requests import RequestDB, Status
from vidgen_core.pipeline.requests import build_request
from vidgen_core.settings import Settings
from vidgen_dagster.instance import configure_pools

pytestmark = pytest.mark.slow  # renders a whole video on the deployment instance

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "dagster.yaml"


@pytest.fixture
def pg_instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[dg.DagsterInstance, str]]:
    with temp_database() as url:
        engine = sa.make_url(url)
        for name, value in {
            "DAGSTER_PG_HOST": engine.host,
            "DAGSTER_PG_PORT": str(engine.port),
            "DAGSTER_PG_USER": engine.username,
            "DAGSTER_PG_PASSWORD": "",
            "DAGSTER_PG_DB": engine.database,
        }.items():
            monkeypatch.setenv(name, value)
        home = tmp_path / "dagster_home"
        home.mkdir()
        shutil.copyfile(DEPLOY, home / "dagster.yaml")
        instance = dg.DagsterInstance.from_config(str(home))
        try:
            yield instance, url
        finally:
            instance.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """Requests tables of this test's own: the session's shared database holds other tests' queued requests, which
    the sensor would (rightly) pick up too."""
    with temp_database() as url:
        yield url


def test_graph_runs_on_the_postgres_instance(
    pg_instance: tuple[dg.DagsterInstance, str], settings: Settings, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    instance, dagster_url = pg_instance
    assert isinstance(instance.run_storage, PostgresRunStorage)
    assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
    assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
    configure_pools(instance, settings)
    assert instance.event_log_storage.get_concurrency_info("replicate").slot_count == settings.replicate_concurrency
    assert instance.event_log_storage.get_concurrency_info("openai").slot_count == settings.openai_concurrency

    monkeypatch.setenv("VIDGEN_DATABASE_URL", pg_url)  # requests in Postgres too, as deployed
    deployed = Settings(home=settings.home)
    assert deployed.db_url == pg_url
    record = RequestDB(pg_url).submit(build_request("A 6-second ad for Nike", deployed, user_id="pg-user"))
    first = tick(deployed, instance, cursor=None)
    assert [r.run_key for r in first.run_requests] == [record.request_id]
    launch(deployed, instance, first)

    row = RequestDB(pg_url).get(record.video_id)
    assert row.status in (Status.RUNNING, Status.COMPLETE)
    tick(deployed, instance, cursor=first.cursor)
    assert RequestDB(pg_url).get(record.video_id).status == Status.COMPLETE
    final = probe(deployed.storage_dir / VideoKeys("pg-user", record.video_id).final())
    assert final.duration_s == pytest.approx(6.0, abs=0.1) and final.has_audio

    with sa.create_engine(dagster_url).connect() as conn:  # Dagster's own tables hold the run and its events
        runs = conn.execute(sa.text("SELECT status FROM runs")).scalars().all()
        events = conn.execute(sa.text("SELECT count(*) FROM event_logs")).scalar_one()
        partitions = conn.execute(sa.text("SELECT partition FROM dynamic_partitions")).scalars().all()
    assert runs == ["SUCCESS"] and events > 20 and partitions == [record.video_id]
