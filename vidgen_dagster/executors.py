"""The executor a run's steps use, chosen by ``VIDGEN_EXECUTOR``: the run's own process (default), a process per
step, or Celery workers (``deploy/celery``) that share the instance, the requests database and S3."""

from __future__ import annotations

import dagster as dg

from vidgen_core.settings import Settings


def executor_for(settings: Settings) -> dg.ExecutorDefinition:
    """``in_process``, ``multiprocess``, or ``celery`` with the broker and result backend from the settings."""
    if settings.executor == "celery":
        from dagster_celery import celery_executor

        backend = settings.celery_backend or settings.celery_broker
        return celery_executor.configured({"broker": settings.celery_broker, "backend": backend}, name="celery")
    if settings.executor == "multiprocess":
        return dg.multiprocess_executor
    # Steps are sequential within a video and share 2 cores with ffmpeg: no subprocess per step by default.
    return dg.in_process_executor
