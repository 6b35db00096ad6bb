"""Batches through the running service: `vidgen batch FILE` and POST /api/batch each become one Dagster partition
backfill (the backfills page lists it), the daemon makes every ad, and both report the batch's progress."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import httpx
import pytest

from tests.support import SERVICE_HEADERS, SERVICE_USER, Service, wait
from vidgen_core.adapters.ffmpeg.probe import probe

pytestmark = pytest.mark.slow  # the whole service in subprocesses

BACKFILL = """query($id: String!) { partitionBackfillOrError(backfillId: $id) { __typename
  ... on PartitionBackfill { id status numPartitions title tags { key value } } } }"""
BACKFILLS = """{ partitionBackfillsOrError { ... on PartitionBackfills { results { id } } } }"""
FEED = """{ runsFeedOrError(limit: 20, view: BACKFILLS) { ... on RunsFeedConnection { results { __typename id
  tags { key value } } } } }"""  # what the UI's backfills list shows of each: its id, its tags, its target
WEBAPP = Path(dg.__file__).parents[1] / "dagster_webserver" / "webapp" / "build"


def _vidgen(service: Service, *words: str) -> subprocess.CompletedProcess[str]:
    """The CLI on the service's home; it finds the service's UI (on a free port) by itself."""
    env = {k: v for k, v in os.environ.items() if k != "VIDGEN_DAGSTER_URL"}
    env |= {"VIDGEN_HOME": str(service.home / "vidgen"), "DAGSTER_HOME": str(service.home / "dagster")}
    vidgen = str(Path(sys.executable).parent / "vidgen")
    return subprocess.run([vidgen, *words], env=env, capture_output=True, text=True, timeout=120, check=False)


def test_a_batch_file_and_an_api_batch_are_backfills_that_make_every_ad(service: Service, tmp_path: Path) -> None:
    rows = [
        {"prompt": "Create a 5-second Nike ad", "title": "Nike"},
        {"prompt": "A 5-second ad for Oatly oat milk", "aspect": "1:1", "title": "Oatly"},
        {"prompt": "A 5-second Lego ad", "aspect": "9:16", "title": "Lego"},
    ]
    file = tmp_path / "ads.jsonl"
    file.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    made = _vidgen(service, "batch", str(file), "--user", SERVICE_USER, "--max-cost", "1", "--json")
    assert made.returncode == 0, made.stderr
    batch = json.loads(made.stdout)
    assert (batch["videos"], batch["max_cost_usd"], batch["error"]) == (3, 1.0, None)
    backfill = service.graphql(BACKFILL, {"id": batch["backfill_id"]})["partitionBackfillOrError"]
    assert (backfill["numPartitions"], backfill["title"]) == (3, "ads.jsonl")
    assert {"key": "vidgen/batch", "value": batch["batch_id"]} in backfill["tags"]
    assert {"key": "vidgen/user", "value": SERVICE_USER} in backfill["tags"]  # its runs name their owner
    listed = service.graphql(BACKFILLS)["partitionBackfillsOrError"]["results"]
    assert batch["backfill_id"] in [b["id"] for b in listed]  # what the UI's backfills page lists

    api_rows = [{"prompt": "Create a 5-second Adidas ad"}, {"prompt": "a 900-second ad"}]
    posted = httpx.post(
        f"{service.api}/api/batch", json={"rows": api_rows, "skip_invalid": True}, headers=SERVICE_HEADERS
    )
    assert posted.status_code == 200, posted.text
    assert [s["index"] for s in posted.json()["skipped"]] == [1] and posted.json()["backfill_id"]

    def done(batch_id: str) -> dict | None:
        shown = _vidgen(service, "batch", "--status", batch_id, "--json")
        assert shown.returncode == 0, shown.stderr
        state = json.loads(shown.stdout)
        return state if state["done"] else None

    state = wait("the file's batch", 300, lambda: done(batch["batch_id"]))
    assert state["counts"]["complete"] == 3, state
    assert state["backfill_status"] in ("REQUESTED", "COMPLETED_SUCCESS", "COMPLETED")
    for video, row in zip(state["videos"], rows, strict=True):
        final = service.home / "vidgen" / "storage" / SERVICE_USER / "videos" / video["video_id"] / "final.mp4"
        info = probe(final)
        assert info.duration_s == pytest.approx(5.0, abs=0.1) and info.has_audio, video
        wide = {"16:9": info.width > info.height, "1:1": info.width == info.height, "9:16": info.width < info.height}
        assert wide[row.get("aspect", "16:9")], (row, info)
    api_batch = posted.json()["batch_id"]
    wait("the API's batch", 300, lambda: done(api_batch))
    status = httpx.get(f"{service.api}/api/batch/{api_batch}", headers=SERVICE_HEADERS).json()
    assert (status["videos"], status["counts"]["complete"], status["done"]) == (1, 1, True)
    assert status["items"][0]["video_id"] == posted.json()["videos"][0]


def test_a_title_dagster_refuses_is_launched_as_a_look_alike_and_linked_to_its_page(
    service: Service, tmp_path: Path
) -> None:
    file = tmp_path / '100% "real" *juice*.csv'
    file.write_text("prompt\nA 5-second ad for Ferngully oat milk\n")
    made = _vidgen(service, "batch", str(file), "--user", SERVICE_USER)
    assert made.returncode == 0, made.stderr
    link = next(word for word in made.stdout.split() if word.startswith(service.ui))
    backfill_id = link.rsplit("/", 1)[1]
    assert link == f"{service.ui}/runs/b/{backfill_id}"
    routes = "".join(p.read_text(errors="ignore") for p in WEBAPP.rglob("*.js"))
    assert 'path:"/runs/b/:backfillId"' in routes  # the UI's route of a backfill's page
    backfill = service.graphql(BACKFILL, {"id": backfill_id})["partitionBackfillOrError"]
    assert backfill["title"] == "100％ ”real” ∗juice∗.csv"
    feed = service.graphql(FEED)["runsFeedOrError"]["results"]
    listed = next(e for e in feed if e["id"] == backfill_id)
    assert {"key": "vidgen/batch_title", "value": file.name} in listed["tags"]
    batch_id = next(t["value"] for t in listed["tags"] if t["key"] == "vidgen/batch")
    status = httpx.get(f"{service.api}/api/batch/{batch_id}", headers=SERVICE_HEADERS).json()
    assert status["title"] == file.name and status["backfill_id"] == backfill_id
