"""A batch's videos as one Dagster partition backfill, launched through the webserver's public GraphQL API (the
backfills page shows it; the daemon runs it) and read back from the instance."""

from __future__ import annotations

from typing import Any

import dagster as dg
import httpx

from vidgen_core.errors import VidgenError
from vidgen_core.models import Phase
from vidgen_dagster.runs import USER_TAG

BATCH_TAG = "vidgen/batch"
LAUNCH = """
mutation($p: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $p) { __typename
  ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } ... on InvalidSubsetError { message }
  ... on UnauthorizedError { message } ... on PartitionSetNotFoundError { message } } }
"""


class ServiceDown(VidgenError):
    """The Dagster webserver that launches backfills cannot be reached."""


def launch_backfill(url: str, batch_id: str, title: str, video_ids: list[str], user_id: str) -> str:
    """Launch one partition backfill of every asset over ``video_ids``; returns its id. Its runs are tagged with the
    batch and its owner (a backfill's tags are the same for every run: each video's title is in its metadata).

    The partitions must exist and every video's request must be stored. Raises ServiceDown when the webserver
    does not answer, VidgenError when it refuses.
    """
    params = {
        "assetSelection": [{"path": [p.value]} for p in Phase],
        "partitionNames": video_ids,
        "title": title[:200] or batch_id,
        "description": f"vidgen batch {batch_id}: {len(video_ids)} ads",
        "tags": [{"key": BATCH_TAG, "value": batch_id}, {"key": USER_TAG, "value": user_id}],
    }
    try:
        response = httpx.post(f"{url}/graphql", json={"query": LAUNCH, "variables": {"p": params}}, timeout=60)
    except httpx.HTTPError as exc:
        raise ServiceDown(
            f"the Dagster webserver at {url} is not answering ({type(exc).__name__}); start it with `vidgen serve` "
            f"(or set VIDGEN_DAGSTER_URL), then launch the stored batch with `vidgen batch --launch {batch_id}`"
        ) from None
    if response.status_code != 200:
        raise VidgenError(f"the Dagster webserver at {url} answered HTTP {response.status_code} to the backfill")
    body: dict[str, Any] = response.json()
    result = (body.get("data") or {}).get("launchPartitionBackfill") or {}
    if result.get("__typename") != "LaunchBackfillSuccess":
        why = result.get("message") or body.get("errors") or result.get("__typename")
        raise VidgenError(f"Dagster refused the backfill for batch {batch_id}: {str(why)[:300]}")
    return str(result["backfillId"])


def backfill_status(instance: dg.DagsterInstance, backfill_id: str | None) -> str:
    """The backfill's status as the UI shows it (REQUESTED, COMPLETED_SUCCESS, ...), or "not launched"."""
    if not backfill_id:
        return "not launched"
    backfill = instance.get_backfill(backfill_id)
    return backfill.status.value if backfill else "unknown"
