"""VIDGEN_EXECUTOR picks where a run's steps execute; the Celery one talks to the configured broker and backend."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from dagster._core.system_config.objects import ResolvedRunConfig

from vidgen_core.settings import get_settings
from vidgen_dagster.definitions import build_definitions

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["in_process", "multiprocess", "celery"])
def test_the_environment_chooses_the_executor(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIDGEN_EXECUTOR", name)
    job = build_definitions(str(tmp_path)).resolve_job_def("generate_video")
    assert job.executor_def.name == name


def test_in_process_is_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VIDGEN_EXECUTOR", raising=False)
    assert build_definitions(str(tmp_path)).resolve_job_def("generate_video").executor_def.name == "in_process"


def test_celery_broker_and_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIDGEN_EXECUTOR", "celery")
    for key in ("VIDGEN_CELERY_BROKER", "VIDGEN_CELERY_BACKEND"):
        monkeypatch.delenv(key, raising=False)
    job = build_definitions(str(tmp_path)).resolve_job_def("generate_video")
    config = ResolvedRunConfig.build(job, {}).execution.execution_engine_config
    worker = yaml.safe_load((ROOT / "deploy" / "celery" / "celery.yaml").read_text())["execution"]["config"]
    # the defaults agree with the shipped worker config: the run's tasks reach the workers and their results come back
    assert config["broker"] == config["backend"] == worker["broker"] == worker["backend"] == "redis://127.0.0.1:6379/0"

    monkeypatch.setenv("VIDGEN_CELERY_BROKER", "redis://127.0.0.1:6379/3")
    get_settings.cache_clear()  # settings are read once per process, as a new process would read them again
    job = build_definitions(str(tmp_path)).resolve_job_def("generate_video")
    config = ResolvedRunConfig.build(job, {}).execution.execution_engine_config
    assert config["broker"] == config["backend"] == "redis://127.0.0.1:6379/3"  # the backend follows the broker
