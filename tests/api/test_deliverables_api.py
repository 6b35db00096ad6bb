"""GET /api/video/{id}/deliverables and .../deliverables.zip: every file with a signed link, owner-checked, and what
to do while the video is not done."""

from __future__ import annotations

import io
import zipfile

from fastapi.testclient import TestClient

from tests.support import auth, campaign_by_hand
from vidgen_core.adapters.storage import LocalStore
from vidgen_core.persistence.requests import RequestDB, Status
from vidgen_core.pipeline.requests import build_request
from vidgen_core.settings import Settings


def test_every_file_is_listed_with_its_facts_and_a_link_to_its_bytes(
    client: TestClient, api_settings: Settings
) -> None:
    video, made = campaign_by_hand(api_settings, "ana")
    store = LocalStore(api_settings.storage_dir)
    answer = client.get(f"/api/video/{video}/deliverables", headers=auth("ana"))
    assert answer.status_code == 200
    body = answer.json()
    listed = made.files[:-1]  # the zip has its own link
    assert [f["name"] for f in body["files"]] == [f.name for f in listed]
    assert body["total_bytes"] == sum(f.size_bytes for f in listed)
    for f, shown in zip(listed, body["files"], strict=True):
        assert (shown["kind"], shown["aspect"], shown["platform"], shown["size_bytes"]) == (
            f.kind, f.aspect, None, f.size_bytes,
        )  # fmt: skip
        assert shown["length_s"] == f.length_s and (shown["width"], shown["height"]) == (f.width, f.height)
        got = client.get(shown["url"])  # a signed link: no API key needed
        assert got.status_code == 200 and got.content == store.get_bytes(f.key)
    poster = next(f for f in body["files"] if f["kind"] == "poster")
    assert (poster["width"], poster["height"], poster["format"]) == (1280, 720, "jpg")
    zipped = client.get(body["archive_url"])
    with zipfile.ZipFile(io.BytesIO(zipped.content)) as archive:
        assert {i.filename: i.file_size for i in archive.infolist()} == {f.name: f.size_bytes for f in listed}

    moved = client.get(f"/api/video/{video}/deliverables.zip", headers=auth("ana"), follow_redirects=False)
    assert moved.status_code == 307 and "/api/files/" in moved.headers["location"]
    assert client.get(moved.headers["location"]).content == zipped.content


def test_someone_elses_video_is_unknown_and_one_not_done_says_what_to_do(
    client: TestClient, api_settings: Settings
) -> None:
    video, _ = campaign_by_hand(api_settings, "ana")
    for url in (f"/api/video/{video}/deliverables", f"/api/video/{video}/deliverables.zip"):
        assert client.get(url, headers=auth("ben")).status_code == 404
        assert client.get(url).status_code == 401
    db = RequestDB(api_settings.db_url)
    queued = db.submit(build_request("Create a 5-second Nike ad", api_settings, user_id="ana")).video_id
    early = client.get(f"/api/video/{queued}/deliverables", headers=auth("ana"))
    assert early.status_code == 409
    assert (
        f"video {queued} is queued" in early.json()["detail"] and f"GET /api/status/{queued}" in early.json()["detail"]
    )
    db.update(queued, status=Status.FAILED)
    failed = client.get(f"/api/video/{queued}/deliverables.zip", headers=auth("ana"), follow_redirects=False)
    assert failed.status_code == 409 and "failed" in failed.json()["detail"]
