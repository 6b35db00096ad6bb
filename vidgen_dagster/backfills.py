"""A batch's videos as one Dagster partition backfill, launched through the webserver's public GraphQL API (the
backfills page shows it; the daemon runs it) and read back from the instance."""

from __future__ import annotations

import logging
from typing import Any

import dagster as dg
import httpx

from vidgen_core.domain.errors import BackfillRefused, ServiceDown, plain_text
from vidgen_dagster.jobs import WHOLE_GRAPH
from vidgen_dagster.runs import USER_TAG

BATCH_TAG = "vidgen/batch"
# The backfills list shows a backfill's tags, not its title: the title goes there too (apart from vidgen/title, which
# names one video and which every run of the backfill would inherit).
BATCH_TITLE_TAG = "vidgen/batch_title"
BACKFILL_TITLE_MAX_CHARS = 100  # the longest backfill title Dagster accepts (its MAX_TITLE_LENGTH)
# Dagster refuses a backfill title with any of `" % *` (its INVALID_TITLE_CHARACTERS_REGEX): each becomes a look-alike.
LOOK_ALIKES = str.maketrans({'"': "\u201d", "%": "\uff05", "*": "\u2217"})
log = logging.getLogger("vidgen.batch")
LAUNCH = """
mutation($p: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $p) { __typename
  ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } ... on InvalidSubsetError { message }
  ... on UnauthorizedError { message } ... on PartitionSetNotFoundError { message } } }
"""


def backfill_title(title: str, batch_id: str) -> str:
    """The batch's title as Dagster accepts it for a backfill: look-alikes for the characters it refuses, one line,
    at most BACKFILL_TITLE_MAX_CHARS (the batch keeps the user's title as given)."""
    clean = " ".join(title.translate(LOOK_ALIKES).split()) or batch_id
    return clean if len(clean) <= BACKFILL_TITLE_MAX_CHARS else clean[: BACKFILL_TITLE_MAX_CHARS - 1] + "\u2026"


def _why(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "it did not answer in time"
    if isinstance(exc, httpx.ConnectError):
        return "nothing answers there"
    return "the connection failed"


def launch_backfill(url: str, batch_id: str, title: str, video_ids: list[str], user_id: str) -> str:
    """Launch one partition backfill of every asset over ``video_ids``; returns its id. Its runs are tagged with the
    batch, its title and its owner (a backfill's tags are the same for every run: each video's title is in its
    metadata).

    The partitions must exist and every video's request must be stored. Raises ServiceDown when the webserver
    does not answer, BackfillRefused when it answers without launching the backfill.
    """
    params = {
        "assetSelection": [{"path": [p.value]} for p in WHOLE_GRAPH],
        "partitionNames": video_ids,
        "title": backfill_title(title, batch_id),
        "description": f"vidgen batch {batch_id}: {len(video_ids)} ads",
        "tags": [
            {"key": BATCH_TAG, "value": batch_id},
            {"key": BATCH_TITLE_TAG, "value": title or batch_id},
            {"key": USER_TAG, "value": user_id},
        ],
    }
    try:
        response = httpx.post(f"{url}/graphql", json={"query": LAUNCH, "variables": {"p": params}}, timeout=60)
    except httpx.HTTPError as exc:
        raise ServiceDown(
            f"the Dagster webserver at {url} is not answering ({_why(exc)}); start it with `vidgen serve` "
            f"(or set VIDGEN_DAGSTER_URL), then launch the stored batch with `vidgen batch --launch {batch_id}`"
        ) from None
    try:
        body: dict[str, Any] = response.json() if response.status_code == 200 else {}
    except ValueError:  # not GraphQL: something else listens at that address
        body = {}
    result = (body.get("data") or {}).get("launchPartitionBackfill") or {}
    if result.get("__typename") != "LaunchBackfillSuccess":
        why = result.get("message") or body.get("errors") or result.get("__typename") or f"HTTP {response.status_code}"
        log.error("Dagster refused the backfill of batch %s: %s", batch_id, why)
        raise BackfillRefused(
            f"the Dagster webserver did not launch the backfill of batch {batch_id} "
            f"({plain_text(str(why))[:200]}); nothing of the batch is kept: submit it again, and report "
            "this if it happens again"
        )
    return str(result["backfillId"])


def backfill_status(instance: dg.DagsterInstance, backfill_id: str | None) -> str:
    """The backfill's status as the UI shows it (REQUESTED, COMPLETED_SUCCESS, ...), or "not launched"."""
    if not backfill_id:
        return "not launched"
    backfill = instance.get_backfill(backfill_id)
    return backfill.status.value if backfill else "unknown"
