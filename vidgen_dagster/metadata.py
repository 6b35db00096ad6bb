"""Materialization metadata: a phase's neutral facts (``vidgen_core.domain.shown``) as Dagster metadata values, the
cost and its breakdown, who made the output, the wall time, and the phase's checks."""

from __future__ import annotations

import logging
import time
from urllib.parse import quote

import dagster as dg

from vidgen_core.adapters.storage import BlobStore, LocalStore
from vidgen_core.adapters.storage.s3 import S3Store
from vidgen_core.adapters.storage.signing import preview_signature, signing_key
from vidgen_core.domain.checks import CHECK_DESCRIPTIONS, GATES
from vidgen_core.domain.models import CostLine, Phase, total_usd
from vidgen_core.domain.shown import USD, Preview, Shown, Stored, Table, cost_table
from vidgen_core.pipeline.registry import PHASES
from vidgen_core.pipeline.verify import Outcome
from vidgen_core.settings import Settings, running_service

log = logging.getLogger("vidgen.phase")
COLUMN_TYPES = {int: "int", float: "float", str: "string", bool: "bool"}


def location(store: BlobStore, key: str) -> dg.MetadataValue:
    """Where an output is kept: its file (``path``) on local storage, ``s3://bucket/key`` on S3. Never a presigned
    link (it carries the access key id, and the Dagster UI has no login) nor a host's cache path."""
    if isinstance(store, LocalStore):
        return dg.MetadataValue.path(str(store.local_path(key)))
    if isinstance(store, S3Store):
        return dg.MetadataValue.url(store.s3_uri(key))
    return dg.MetadataValue.text(key)


def table(value: Table) -> dg.MetadataValue:
    schema = dg.TableSchema(columns=[dg.TableColumn(c.name, COLUMN_TYPES[c.type]) for c in value.columns])
    records = [
        dg.TableRecord({c.name: c.type(v) for c, v in zip(value.columns, row, strict=True)}) for row in value.rows
    ]
    return dg.MetadataValue.table(records, schema)


def preview_link(settings: Settings, key: str) -> str | None:
    """The preview's lasting link on the API (VIDGEN_API_URL, else a `vidgen serve` running on this home); None
    without one."""
    service = running_service(settings.service_file)
    api = settings.api_url or (service["api_url"] if service else None)
    if api is None:
        return None
    signature = preview_signature(signing_key(settings), key)
    return f"{api.rstrip('/')}/api/previews/{quote(key)}?signature={signature}"


def metadata_value(name: str, value: Shown, store: BlobStore, settings: Settings) -> dict[str, dg.MetadataValue]:
    """One neutral fact as the metadata the UI shows well: tables with a schema, files as paths or URLs, a preview
    as an image the UI draws (from the API, when it runs) and as the file it is."""
    if isinstance(value, Table):
        return {name: table(value)}
    if isinstance(value, Stored):
        return {name: location(store, value.key)}
    if isinstance(value, Preview):
        shown = {f"{name}_file": location(store, value.key)}
        if link := preview_link(settings, value.key):
            shown[name] = dg.MetadataValue.md(f"![{name}]({link})")
        return shown
    if isinstance(value, dict):
        return {name: dg.MetadataValue.json(value)}
    return {name: dg.MetadataValue.text(value) if isinstance(value, str) else value}  # numbers stay numbers


def phase_metadata(
    phase: Phase,
    costs: list[CostLine],
    made_by: tuple[str, str],
    started: float,
    list_price_usd: float | None,
    facts: dict[str, Shown],
    store: BlobStore,
    settings: Settings,
) -> dict[str, object]:
    """The metadata every materialization records; also logs the phase's completion line.

    Every entry is stored in each materialization event of every video, so the cost breakdown is shown only where
    it says more than ``cost_usd``: when something was bought and the phase's own table does not already price it
    item by item (a ``usd`` column)."""
    cost = total_usd(costs)
    wall = round(time.perf_counter() - started, 3)
    log.info("%s done in %.1fs, cost $%.4f", phase, wall, cost)
    provider, model = made_by
    meta: dict[str, object] = {
        "cost_usd": dg.MetadataValue.float(cost),
        "provider": provider,
        "model": model,
        "wall_time_s": dg.MetadataValue.float(wall),
    }
    if costs and not any(isinstance(v, Table) and USD in v.columns for v in facts.values()):
        meta["cost_breakdown"] = table(cost_table(costs))  # what was bought, line by line
    if list_price_usd is not None:
        meta["list_price_usd"] = dg.MetadataValue.float(round(float(list_price_usd), 4))
    for name, value in facts.items():
        meta.update(metadata_value(name, value, store, settings))
    return meta


def check_results(phase: Phase, outcomes: list[Outcome]) -> list[dg.AssetCheckResult]:
    """Core check outcomes as Dagster check results (failures are errors). A passed check shows its numbers; its
    rule is the check's own description, so only a failure repeats it (empty findings are left out)."""
    return [
        dg.AssetCheckResult(
            asset_key=phase.value,
            check_name=o.name.value,
            passed=o.passed,
            description=None if o.passed else o.description,
            metadata={k: v for k, v in o.metadata.items() if v != ""},
            severity=dg.AssetCheckSeverity.ERROR,
        )
        for o in outcomes
    ]


def check_specs(phase: Phase) -> list[dg.AssetCheckSpec]:
    """The phase's checks (from the registry), each described by what it verifies and its tolerance; only a gate
    blocks what is made from the asset."""
    return [
        dg.AssetCheckSpec(name.value, asset=phase.value, blocking=name in GATES, description=CHECK_DESCRIPTIONS[name])
        for name in PHASES[phase].checks
    ]
