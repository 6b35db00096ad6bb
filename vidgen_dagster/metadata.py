"""Materialization metadata: cost, cost breakdown, provider, model, wall time, and previews for the UI."""

from __future__ import annotations

import base64
import logging
import time

import dagster as dg

from vidgen_core.adapters.storage import BlobStore, LocalStore
from vidgen_core.adapters.storage.s3 import S3Store
from vidgen_core.domain.models import CostLine, Phase, total_usd
from vidgen_core.pipeline import verify
from vidgen_core.pipeline.verify import Outcome

log = logging.getLogger("vidgen.phase")


def image_md(image: bytes, caption: str, mime: str = "image/jpeg") -> dg.MetadataValue:
    """An image shown inline in the Dagster UI."""
    return dg.MetadataValue.md(f"![{caption}](data:{mime};base64,{base64.b64encode(image).decode()})")


def location_md(store: BlobStore, key: str) -> dict[str, dg.MetadataValue]:
    """Where an output is kept: its file (``path``) on local storage, ``uri: s3://bucket/key`` on S3. Never a
    presigned link (it carries the access key id, and the Dagster UI has no login) nor a host's cache path."""
    if isinstance(store, LocalStore):
        return {"path": dg.MetadataValue.path(str(store.local_path(key)))}
    if isinstance(store, S3Store):
        return {"uri": dg.MetadataValue.url(store.s3_uri(key))}
    return {"key": dg.MetadataValue.text(key)}


def phase_metadata(
    name: Phase,
    costs: list[CostLine],
    provider: str,
    model: str,
    started: float,
    list_price_usd: float | None = None,
    **extra: object,
) -> dict[str, object]:
    """The metadata every materialization records; also logs the phase's completion line."""
    cost = total_usd(costs)
    wall = round(time.perf_counter() - started, 3)
    log.info("%s done in %.1fs, cost $%.4f", name, wall, cost)
    meta: dict[str, object] = {
        "cost_usd": dg.MetadataValue.float(cost),
        "cost_breakdown": dg.MetadataValue.json([c.model_dump() for c in costs]),
        "provider": provider,
        "model": model,
        "wall_time_s": dg.MetadataValue.float(wall),
    }
    if list_price_usd is not None:
        meta["list_price_usd"] = dg.MetadataValue.float(round(float(list_price_usd), 4))
    meta.update(extra)
    return meta


def table_md(header: list[str], rows: list[list[object]]) -> dg.MetadataValue:
    """A markdown table for the UI (one row per beat or chunk)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c).replace("|", "/").replace("\n", " ") for c in row) + " |" for row in rows]
    return dg.MetadataValue.md("\n".join(lines))


def check_results(asset: str, outcomes: list[Outcome]) -> list[dg.AssetCheckResult]:
    """Core check outcomes as Dagster check results (failures are errors)."""
    return [
        dg.AssetCheckResult(
            asset_key=asset,
            check_name=o.name,
            passed=o.passed,
            description=o.description,
            metadata=o.metadata,
            severity=dg.AssetCheckSeverity.ERROR,
        )
        for o in outcomes
    ]


CHECK_DESCRIPTIONS = {
    "one_image_per_beat": "One readable storyboard image per beat, in beat order, each within "
    f"{verify.IMAGE_ASPECT_TOLERANCE:.0%} of the video's aspect ratio.",
    "every_beat_covered": "The chunks cover every beat's length exactly (to 1 µs), each beat starts from its own "
    "storyboard image, and no clip is shorter (by more than one frame) than the part of it the cut uses.",
    "duration_matches_spec": f"The delivered file lasts the spec's duration, within {verify.DURATION_TOLERANCE_S:g} s.",
    "has_video_and_audio": "The delivered file has an H.264 video stream and an AAC audio stream.",
    "resolution_matches_aspect": "The delivered frame's width/height matches the spec's aspect ratio, within "
    f"{verify.ASPECT_TOLERANCE:.0%}.",
    "loudness_on_target": "The delivered file's integrated loudness is within "
    f"{verify.LOUDNESS_TOLERANCE_LU:g} LU of the target (VIDGEN_TARGET_LUFS, default -14 LUFS).",
}


def check_specs(asset: str, names: list[str], blocking: bool = True) -> list[dg.AssetCheckSpec]:
    """The asset's checks, each described by what it verifies and its tolerance (a name without one is a bug)."""
    return [
        dg.AssetCheckSpec(name, asset=asset, blocking=blocking, description=CHECK_DESCRIPTIONS[name]) for name in names
    ]
