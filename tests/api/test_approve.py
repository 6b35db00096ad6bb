"""POST /api/video/{id}/approve: owner-checked like every route, refused (422, saying why) for a video whose preview
is not made yet, made without review, or approved already; an approval queues the whole graph and shows in the
status."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support import auth
from vidgen_core.persistence.requests import RequestDB, Status
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
    requests.update(video, status=Status.COMPLETE)  # its review run ended
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
