"""The Dagster instance vidgen uses (``DAGSTER_HOME``), and its provider pools."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import dagster as dg

from vidgen_core.settings import Settings

INSTANCE_TEMPLATE = Path(__file__).resolve().parents[1] / "dagster.yaml"


def pool_limits(settings: Settings) -> dict[str, int]:
    """Slots per provider pool: a provider-bound step holds its provider's (``assets.PLANNER_POOL``, ``MEDIA_POOL``,
    the catalog provider of the default model); a provider added to the catalog gets a limit here."""
    return {"openai": settings.openai_concurrency, "replicate": settings.replicate_concurrency}


def configure_pools(instance: dg.DagsterInstance, settings: Settings) -> None:
    """Set each provider pool's slot count (idempotent)."""
    for pool, limit in pool_limits(settings).items():
        instance.event_log_storage.set_concurrency_slots(pool, limit)


def ensure_config(home: Path) -> None:
    """Give a new Dagster home the embedded config (``dagster.yaml``); an existing one keeps its own."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists() and INSTANCE_TEMPLATE.exists():
        shutil.copyfile(INSTANCE_TEMPLATE, config)


def config_gaps(instance: dg.DagsterInstance) -> list[str]:
    """What an instance's dagster.yaml lacks or has that vidgen advises against (an existing file is kept as it is,
    and keeps working)."""
    gaps = []
    if instance.run_monitoring_settings.get("free_slots_after_run_end_seconds") is None:
        gaps.append(
            "dagster.yaml sets no run_monitoring.free_slots_after_run_end_seconds, so a killed run's pool slots are "
            "never given back; add `free_slots_after_run_end_seconds: 30` under run_monitoring, as in vidgen's"
        )
    if type(instance.event_log_storage).__name__ == "ConsolidatedSqliteEventLogStorage":
        gaps.append(
            "dagster.yaml keeps every run's events in one file (ConsolidatedSqliteEventLogStorage, which Dagster "
            "means for tests; its file watcher covers the whole Dagster home); remove its event_log_storage section "
            "for Dagster's default, as in vidgen's (the UI then no longer shows the older runs' logs)"
        )
    return gaps


def open_instance(settings: Settings) -> dg.DagsterInstance:
    """The instance in DAGSTER_HOME (default ``.vidgen/dagster``, with the embedded SQLite config), pools set."""
    ensure_config(Path(os.environ.setdefault("DAGSTER_HOME", str(settings.dagster_home))))
    instance = dg.DagsterInstance.get()
    configure_pools(instance, settings)
    return instance
