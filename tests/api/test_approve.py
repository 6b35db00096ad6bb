"""POST /api/video/{id}/approve: owner-checked like every route, refused (422, saying why) for a video whose preview
is not made yet, made without review, or approved already; an approval queues the whole graph and shows in the
status."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.support import auth
from vidgen_core.domain.catalog import IMAGE_MODELS
from vidgen_core.domain.costs import estimate_request, left_after_review
from vidgen_core.domain.models import Phase
from vidgen_core.persistence.ledger import CallEntry, Ledger
from vidgen_core.persistence.requests import RequestDB, Status
from vidgen_core.pipeline.requests import build_request
from vidgen_core.settings import Settings


def _generate(client: TestClient, **body: object) -> str:
    response = client.post("/api/generate", json={"prompt": "Create a 6-second Nike ad", **body}, headers=auth("ana"))
    assert response.status_code == 200, response.text
    return response.json()["video_id"]


def _said(response) -> str:
    return response.json()["detail"][0]["msg"]


def test_approve_queues_the_whole_graph_once_and_only_for_a_video_in_review(
    client: TestClient, api_settings: Settings
) -> None:
    requests = RequestDB(api_settings.db_url)
    video = _generate(client, review=True)
    status = client.get(f"/api/status/{video}", headers=auth("ana")).json()
    assert status["review"] == "in review" and status["preview_url"] is None
    early = client.post(f"/api/video/{video}/approve", headers=auth("ana"))
    assert early.status_code == 422 and "once its preview is made" in _said(early)
    assert requests.get(video).in_review  # the refusal changed nothing
    requests.update(video, status=Status.IN_REVIEW, progress=10.0)  # its review run ended (as runs.sync writes it)
    waiting = client.get(f"/api/status/{video}", headers=auth("ana")).json()
    assert waiting["status"] == "in review" and waiting["final_video_url"] is None  # not complete: no final yet
    files = client.get(f"/api/video/{video}/deliverables", headers=auth("ana"))
    assert files.status_code == 409 and f"POST /api/video/{video}/approve" in files.json()["detail"]
    assert client.post(f"/api/video/{video}/approve", headers=auth("ben")).status_code == 404  # not ben's
    assert client.post("/api/video/vid-doesnotexist/approve", headers=auth("ana")).status_code == 404
    assert client.post(f"/api/video/{video}/approve").status_code == 401
    approved = client.post(f"/api/video/{video}/approve", headers=auth("ana"))
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "queued" and approved.json()["video_id"] == video
    record = requests.get(video)
    assert record.run_key and "-approved-" in record.run_key  # a new run of the whole graph
    assert client.get(f"/api/status/{video}", headers=auth("ana")).json()["review"] == "approved"
    requests.update(video, status=Status.COMPLETE)
    twice = client.post(f"/api/video/{video}/approve", headers=auth("ana"))
    assert twice.status_code == 422 and "already approved" in _said(twice)

    plain = _generate(client)
    requests.update(plain, status=Status.COMPLETE)
    refused = client.post(f"/api/video/{plain}/approve", headers=auth("ana"))
    assert refused.status_code == 422 and "not made for review" in _said(refused)
    assert client.get(f"/api/status/{plain}", headers=auth("ana")).json()["review"] is None


def _spend(ledger: Ledger, video: str, images: int) -> None:
    """What a review run and its re-rolls pay: ``images`` storyboard images at the list price."""
    for n in range(images):
        entry = CallEntry(
            video_id=video, user_id="ana", phase=Phase.STORYBOARD, item=f"image {n}", provider="replicate",
            model="flux-dev", cache_key=f"{video}-image-{n}", estimate_usd=IMAGE_MODELS["flux-dev"].usd_per_image,
        )  # fmt: skip
        ledger.paid(ledger.reserve(entry, None), entry.estimate_usd, f"p{n}")


def test_approval_prices_what_is_left_and_refuses_what_the_budget_no_longer_covers(
    client: TestClient, api_settings: Settings
) -> None:
    """Re-rolled images in review neither shrink what is left to pay (the clips cost the same) nor go unchecked: a
    video whose re-rolls used its margin is refused before a clip is bought, instead of failing partway."""
    requests, ledger, image = RequestDB(api_settings.db_url), Ledger(api_settings.db_url), IMAGE_MODELS["flux-dev"]
    made = {"media": "replicate", "review": True, "user_id": "ana", "need_credentials": False}
    by_phase = estimate_request(build_request("Create a 6-second Nike ad", api_settings, **made))
    beats, left = round(by_phase[Phase.STORYBOARD] / image.usd_per_image), left_after_review(by_phase)
    cap = round(sum(by_phase.values()) + 1.5 * image.usd_per_image, 4)  # room for one re-roll, not two
    for video, rerolls in (("vid-one-reroll", 1), ("vid-two-rerolls", 2)):
        request = build_request("Create a 6-second Nike ad", api_settings, video_id=video, max_cost_usd=cap, **made)
        requests.submit(request, status=Status.IN_REVIEW)  # its review run ended
        _spend(ledger, video, beats + rerolls)

    approved = client.post("/api/video/vid-one-reroll/approve", headers=auth("ana"))
    assert approved.status_code == 200, approved.text
    assert approved.json()["estimate_usd"] == pytest.approx(left) and left > 0  # the clips, music and voice
    requests.update("vid-one-reroll", status=Status.COMPLETE)  # its clips made: the user has room again
    refused = client.post("/api/video/vid-two-rerolls/approve", headers=auth("ana"))
    assert refused.status_code == 402, refused.text
    said = refused.json()["detail"]
    assert "approving video vid-two-rerolls" in said and f"${left:.4f}" in said and "raise max_cost_usd" in said
    assert requests.get("vid-two-rerolls").in_review  # nothing queued, nothing bought
