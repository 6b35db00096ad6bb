"""The HTTP API through FastAPI's TestClient: the seed's contract, users and limits, bad input, signed links."""

from __future__ import annotations

import io
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import dagster as dg
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from api.app import create_app
from tests.support import KEYS, ORIGIN, auth, delivered_by_hand, run_pending, stale_assets
from vidgen_core.adapters.ffmpeg.probe import probe
from vidgen_core.adapters.local.planner import LocalPlanner
from vidgen_core.adapters.storage import LocalStore, VideoKeys
from vidgen_core.domain.errors import ProviderError
from vidgen_core.domain.models import Phase
from vidgen_core.persistence.ledger import CallEntry, Ledger
from vidgen_core.persistence.requests import RequestDB, Status
from vidgen_core.persistence.takes import TakeDB
from vidgen_core.pipeline.requests import build_request
from vidgen_core.settings import Settings
from vidgen_dagster.partitions import videos


def _png(size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def _generate(client: TestClient, user: str = "ana", **body: object) -> dict:
    response = client.post("/api/generate", json={"prompt": "Create a 6-second Nike ad", **body}, headers=auth(user))
    assert response.status_code == 200, response.text
    return response.json()


def test_generate_queues_a_request(client: TestClient) -> None:
    made = _generate(client, title="Spring drop")
    assert made["status"] == "queued" and made["video_id"].startswith("vid-") and made["request_id"].startswith("req-")
    status = client.get(f"/api/status/{made['video_id']}", headers=auth("ana")).json()
    assert status["status"] == "queued" and status["progress"] == 0.0 and status["title"] == "Spring drop"
    assert status["animatic_urls"] == [] and status["final_video_url"] is None and status["error"] is None


def test_keys_map_to_users_and_scope_every_route(client: TestClient) -> None:
    video = _generate(client)["video_id"]
    assert client.get(f"/api/status/{video}").status_code == 401
    bad = client.get(f"/api/status/{video}", headers={"X-API-Key": "nope"})
    assert bad.status_code == 401 and bad.json()["detail"] == "this API key is not valid"
    bearer = client.get(f"/api/status/{video}", headers={"Authorization": "Bearer key-ana-0123456789"})
    assert bearer.status_code == 200
    for path in (f"/api/status/{video}", f"/api/video/{video}"):
        other = client.get(path, headers=auth("ben"))
        assert other.status_code == 404 and video in other.json()["detail"]
    assert client.get("/api/status/vid-doesnotexist", headers=auth("ana")).status_code == 404


def test_one_active_video_per_user(client: TestClient) -> None:
    first = _generate(client)["video_id"]
    second = client.post("/api/generate", json={"prompt": "Create a Nike ad"}, headers=auth("ana"))
    assert second.status_code == 429 and second.headers["retry-after"] == "30"
    assert first in second.json()["detail"] and "wait until it finishes" in second.json()["detail"]
    _generate(client, user="ben")


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"prompt": ""}, "prompt", "at least 1 character"),
        ({"prompt": "   "}, "prompt", "the prompt is empty"),
        ({"prompt": "ad", "duration": 500}, "duration", "less than or equal to 120"),
        ({"prompt": "a 300-second ad"}, "prompt", "choose a duration from 5 to 120"),
        ({"prompt": "Make an ad"}, "prompt", "names no product or brand the offline planner can read; name one"),
        ({"prompt": "广告"}, "prompt", "or plan with OpenAI, which reads any language"),
        ({"prompt": "ad", "model": "sora"}, "model", "Input should be"),
        ({"prompt": "ad", "aspect_ratio": "4:3"}, "aspect_ratio", "Input should be"),
        ({"prompt": "ad", "model": "veo-3-fast", "aspect_ratio": "1:1"}, "aspect_ratio", "choose another aspect"),
        ({"prompt": "ad", "reference_assets": ["asset-0123456789abcdef"]}, "reference_assets", "POST /api/upload"),
        ({"prompt": "ad", "reference_assets": ["asset-nope"]}, "asset_id", "should match pattern"),  # [.., 0, ..]
        ({"prompt": "ad", "durations": 5}, "durations", "Extra inputs are not permitted"),
        ({"prompt": "Nike ad", "upscaler": "esrgan"}, "upscaler", "Input should be 'lanczos' or 'topaz-video-upscale'"),
        ({"prompt": "Nike ad", "upscaler": "topaz-video-upscale"}, "upscaler", "media is local; render with Replicate"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(client: TestClient, body: dict, field: str | int, words: str) -> None:
    response = client.post("/api/generate", json=body, headers=auth("ana"))
    assert response.status_code == 422, response.text
    error = response.json()["detail"][0]
    assert error["loc"][-1] == field and words in error["msg"]
    assert client.post("/api/generate", json={"prompt": "Nike ad"}, headers=auth("ana")).status_code == 200


def test_upload_sniffs_types_and_rejects_names_and_size(client: TestClient, api_settings: Settings) -> None:
    ok = client.post("/api/upload", files=[("files", ("shoe.png", _png(), "image/png"))], headers=auth("ana"))
    assert ok.status_code == 200
    (asset,) = ok.json()["asset_ids"]
    stored = list((api_settings.storage_dir / "ana" / "assets").glob(f"{asset}.png"))
    assert len(stored) == 1 and Image.open(stored[0]).size == (64, 48)

    jpeg = io.BytesIO()
    Image.new("RGB", (20, 20)).save(jpeg, "JPEG")
    named_wrong = client.post(
        "/api/upload", files=[("files", ("x.txt", jpeg.getvalue(), "text/plain"))], headers=auth("ana")
    )
    assert named_wrong.status_code == 200  # judged by content: a JPEG whatever its name says
    assert list((api_settings.storage_dir / "ana" / "assets").glob("*.jpg"))

    cases = [
        (("evil.png", b"#!/bin/sh\nrm -rf /\n", "image/png"), 415, "not a PNG, JPEG or WebP"),
        (("../../etc/passwd.png", _png(), "image/png"), 422, "not a plain file name"),
        (("a\\b.png", _png(), "image/png"), 422, "not a plain file name"),
        (("big.png", _png((2000, 2000)) + b"\0" * api_settings.upload_max_bytes, "image/png"), 413, "MB limit"),
    ]
    before = sorted((api_settings.storage_dir / "ana" / "assets").iterdir())
    for file, code, words in cases:
        response = client.post("/api/upload", files=[("files", ("fine.png", _png(), "image/png")), ("files", file)],
                               headers=auth("ana"))  # fmt: skip
        assert response.status_code == code, (file[0], response.text)
        assert words in str(response.json()["detail"])
    assert sorted((api_settings.storage_dir / "ana" / "assets").iterdir()) == before  # nothing kept from a bad batch

    assert _generate(client, reference_assets=[asset])["status"] == "queued"
    theirs = client.post("/api/generate", json={"prompt": "ad", "reference_assets": [asset]}, headers=auth("ben"))
    assert theirs.status_code == 422  # another user's upload is unknown to them


@pytest.mark.slow
def test_status_follows_the_run_to_a_playable_final(
    client: TestClient, api_settings: Settings, instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    video = _generate(client)["video_id"]
    run_pending(api_settings, instance)
    status = client.get(f"/api/status/{video}", headers=auth("ana")).json()
    assert status["status"] == "complete" and status["progress"] == 100.0 and status["error"] is None
    assert status["current_chunk_index"] == status["total_chunks"] >= 1
    assert status["cost_usd"] == 0.0

    final = client.get(status["final_video_url"])  # a signed link: no API key needed, one hour
    assert final.status_code == 200 and final.headers["content-type"] == "video/mp4"
    (tmp_path / "final.mp4").write_bytes(final.content)
    info = probe(tmp_path / "final.mp4")
    assert info.duration_s == pytest.approx(6.0, abs=0.1) and info.has_audio
    board = client.get(status["animatic_urls"][0])
    assert board.status_code == 200 and Image.open(io.BytesIO(board.content)).format == "PNG"
    assert client.get(status["stitched_video_url"]).status_code == 200

    link = urlsplit(status["final_video_url"])
    query = parse_qs(link.query)
    forged = f"{link.path}?expires={int(time.time()) + 999_999}&signature={query['signature'][0]}"
    assert client.get(forged).status_code == 403
    expires = int(query["expires"][0])
    assert 3590 <= expires - time.time() <= 3600

    details = client.get(f"/api/video/{video}", headers=auth("ana")).json()
    assert details["spec"]["duration_s"] == 6 and len(details["spec"]["beats"]) == len(status["animatic_urls"]) >= 1
    assert set(details["cost_by_phase"]) == {phase.value for phase in Phase}  # every phase, free ones at $0
    assert all(t >= 0 for t in details["phase_times_s"].values()) and details["generation_time_seconds"] > 0
    assert [r["status"] for r in details["runs"]] == ["SUCCESS"]
    assert _generate(client)["status"] == "queued"  # finished: the user may submit again


def test_failed_run_shows_the_reason_and_frees_the_user(
    client: TestClient, api_settings: Settings, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: LocalPlanner, request: object) -> None:
        raise ProviderError("local", "rules", "the planner is down")

    monkeypatch.setattr(LocalPlanner, "plan", refuse)
    video = _generate(client)["video_id"]
    run_pending(api_settings, instance)
    status = client.get(f"/api/status/{video}", headers=auth("ana")).json()
    assert (
        status["status"] == "failed" and status["error"] == "video_spec: local model rules failed: the planner is down"
    )
    assert _generate(client)["status"] == "queued"


def test_health_reports_each_part(client: TestClient, api_settings: Settings) -> None:
    healthy = client.get("/health")
    assert healthy.status_code == 200
    body = healthy.json()
    assert body["status"] == "healthy" and body["auth"] == "api_keys"
    assert {k: body["checks"][k] for k in ("database", "storage", "dagster")} == {
        "database": "ok", "storage": "ok", "dagster": "ok"
    }  # fmt: skip
    assert body["checks"]["sensor_daemon"].startswith("not running")  # no daemon in this test
    api_settings.storage_dir.mkdir(parents=True, exist_ok=True)
    api_settings.storage_dir.chmod(0o500)
    try:
        if client.get("/health").status_code == 200:  # root ignores permissions: break the path instead
            api_settings.storage_dir.chmod(0o700)
            api_settings.storage_dir.rmdir()
            api_settings.storage_dir.write_text("not a folder")
        broken = client.get("/health")
        assert broken.status_code == 503 and broken.json()["checks"]["storage"].startswith("unavailable")
    finally:
        if api_settings.storage_dir.is_dir():
            api_settings.storage_dir.chmod(0o700)


def test_cors_allows_only_the_configured_origins(client: TestClient) -> None:
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-api-key"}
    allowed = client.options("/api/generate", headers={"Origin": ORIGIN, **preflight})
    assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == ORIGIN
    denied = client.options("/api/generate", headers={"Origin": "https://evil.example", **preflight})
    assert "access-control-allow-origin" not in denied.headers


def test_docs_and_schema_are_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    assert {"/api/generate", "/api/status/{video_id}", "/api/video/{video_id}", "/api/upload", "/health"} <= set(
        schema["paths"]
    )


@pytest.mark.slow
def test_regenerate_one_beat_through_the_api(
    client: TestClient, api_settings: Settings, instance: dg.DagsterInstance
) -> None:
    made = _generate(client, prompt="Create a 12-second Nike ad", resolution="720p")  # the beat, not the size
    video = made["video_id"]
    assert made["estimate_usd"] == 0.0 and made["max_cost_usd"] == api_settings.max_cost_usd  # local renderers
    run_pending(api_settings, instance)
    before = client.get(f"/api/video/{video}", headers=auth("ana")).json()
    assert before["status"] == "complete" and [b["take"] for b in before["beats"]] == [0] * len(before["beats"])
    url = f"/api/video/{video}/beats/1/regenerate"
    assert client.post(url, json={}, headers=auth("ben")).status_code == 404  # not ben's video
    missing = client.post(f"/api/video/{video}/beats/9/regenerate", json={}, headers=auth("ana"))
    assert missing.status_code == 422 and "has beats 0 to" in missing.json()["detail"][0]["msg"]

    queued = client.post(url, json={"prompt": "the shoe in slow motion rain"}, headers=auth("ana"))
    assert queued.status_code == 200, queued.text
    body = queued.json()
    assert (body["beat"], body["take"], body["status"], body["request_id"]) == (1, 1, "queued", made["request_id"])
    again = client.post(url, json={}, headers=auth("ana"))
    assert again.status_code == 422 and "still queued" in again.json()["detail"][0]["msg"]
    status = client.get(f"/api/status/{video}", headers=auth("ana")).json()
    assert status["status"] == "queued" and status["progress"] == 0.0
    # what the UI shows (the voiceover too: every take comes in through the request; its lines are reused)
    assert stale_assets(instance, video) == {"video_spec", "storyboard", "voiceover", "video_chunks"}

    run_pending(api_settings, instance)  # the sensor asks for the regeneration's run by its new run key
    assert stale_assets(instance, video) == set()
    after = client.get(f"/api/video/{video}", headers=auth("ana")).json()
    assert after["status"] == "complete" and len(after["runs"]) == 2
    beat = after["beats"][1]
    assert (beat["take"], beat["takes"], beat["image_prompt"]) == (1, [0, 1], "the shoe in slow motion rain")
    assert [b["take"] for b in after["beats"]].count(0) == len(after["beats"]) - 1
    rows = after["ledger"]
    assert {r["state"] for r in rows} == {"paid", "reused"} and after["cost_usd"] == 0.0
    regenerated = [r for r in rows if r["state"] == "paid" and r["take"] == 1]
    assert {r["phase"] for r in regenerated} == {"storyboard", "video_chunks"}
    assert all(r["beat_index"] == 1 for r in regenerated)
    assert client.post(url, json={"take": 7}, headers=auth("ana")).status_code == 404
    back = client.post(url, json={"take": 0}, headers=auth("ana"))
    assert back.status_code == 200 and back.json()["take"] == 0 and back.json()["estimate_usd"] == 0.0


def test_a_reroll_keeps_the_takes_prompts_and_a_complete_video_links_its_final(
    client: TestClient, api_settings: Settings
) -> None:
    video, db = delivered_by_hand(api_settings, "ana"), RequestDB(api_settings.db_url)
    details = client.get(f"/api/video/{video}", headers=auth("ana")).json()
    final = client.get(details["final_video_url"])  # a signed link to the file, no API key needed
    assert final.status_code == 200 and final.content == b"not really an mp4"
    url = f"/api/video/{video}/beats/1/regenerate"
    custom = {"prompt": "the shoe in slow motion rain", "motion_prompt": "slow push in"}
    assert client.post(url, json=custom, headers=auth("ana")).json()["take"] == 1
    db.update(video, status=Status.COMPLETE)  # as if its run had finished
    assert client.post(url, json={}, headers=auth("ana")).json()["take"] == 2
    db.update(video, status=Status.COMPLETE)
    beat = client.get(f"/api/video/{video}", headers=auth("ana")).json()["beats"][1]
    assert (beat["take"], beat["image_prompt"], beat["motion_prompt"]) == (2, custom["prompt"], "slow push in")


def test_a_regeneration_names_the_aspects_it_is_made_in(client: TestClient, api_settings: Settings) -> None:
    """``aspects`` must be aspects the video is delivered in, and go with a new picture take only."""
    video, db = delivered_by_hand(api_settings, "ana"), RequestDB(api_settings.db_url)
    url = f"/api/video/{video}/beats/1/regenerate"
    other = client.post(url, json={"aspects": ["9:16"]}, headers=auth("ana"))
    assert other.status_code == 422 and "is delivered in 16:9, not 9:16" in other.text
    back = client.post(url, json={"take": 0, "aspects": ["16:9"]}, headers=auth("ana"))
    assert back.status_code == 422 and "going back to an earlier take" in back.text
    said = client.post(url, json={"line": "Run the rain.", "aspects": ["16:9"]}, headers=auth("ana"))
    assert said.status_code == 422 and "heard in every aspect" in said.text
    assert client.post(url, json={"aspects": ["16:9"]}, headers=auth("ana")).json()["take"] == 1  # its one aspect
    db.update(video, status=Status.COMPLETE)
    assert TakeDB(api_settings.db_url).current(video)[0].aspects is None  # every aspect it has


def test_a_regeneration_refused_for_the_users_limit_leaves_the_beat_as_it_was(
    client: TestClient, api_settings: Settings
) -> None:
    video = delivered_by_hand(api_settings, "ana")
    busy = _generate(client)["video_id"]  # ana's one active video
    for body in ({"prompt": "the shoe in slow motion rain"}, {"take": 0}):
        refused = client.post(f"/api/video/{video}/beats/1/regenerate", json=body, headers=auth("ana"))
        assert refused.status_code == 429 and busy in refused.json()["detail"]
    details = client.get(f"/api/video/{video}", headers=auth("ana")).json()
    assert details["status"] == "complete" and (details["beats"][1]["take"], details["beats"][1]["takes"]) == (0, [0])


def test_videos_are_listed_newest_first_a_page_at_a_time(client: TestClient, api_settings: Settings) -> None:
    db = RequestDB(api_settings.db_url)
    mine = [db.submit(build_request(f"Nike ad number {i}", api_settings, user_id="ana")).video_id for i in range(3)]
    db.submit(build_request("ben's Nike ad", api_settings, user_id="ben"))
    first = client.get("/api/videos?limit=2", headers=auth("ana")).json()
    assert [v["video_id"] for v in first["videos"]] == mine[:0:-1] and first["total"] == 3
    rest = client.get("/api/videos?limit=2&offset=2", headers=auth("ana")).json()
    assert [v["video_id"] for v in rest["videos"]] == [mine[0]]
    assert client.get("/api/videos", headers=auth("ben")).json()["total"] == 1
    assert client.get("/api/videos?limit=0", headers=auth("ana")).status_code == 422


def test_budgets_are_checked_before_anything_is_queued(
    settings: Settings, instance: dg.DagsterInstance, fake_replicate: object, provider_env: dict
) -> None:
    paid = Settings(home=settings.home, api_keys=f"{KEYS['ana']}=ana", media="replicate")
    with TestClient(create_app(paid, instance)) as client:
        refused = client.post(
            "/api/generate", json={"prompt": "Create a 30-second Nike ad", "max_cost_usd": 0.05}, headers=auth("ana")
        )
        assert refused.status_code == 422, refused.text
        error = refused.json()["detail"][0]
        assert error["loc"] == ["body", "max_cost_usd"] and "over its budget of $0.0500" in error["msg"]
        made = client.post("/api/generate", json={"prompt": "Create a 15-second Nike ad"}, headers=auth("ana")).json()
        assert made["estimate_usd"] > 0.3 and made["max_cost_usd"] == paid.max_cost_usd

        # The video is made and has spent all but a cent of a $0.50 cap: one more beat does not fit.
        db, video = RequestDB(paid.db_url), made["video_id"]
        request = db.request(video)
        spec = LocalPlanner().plan(request).spec
        LocalStore(paid.storage_dir).put_bytes(VideoKeys("ana", video).spec(), spec.model_dump_json().encode())
        db.update(
            video,
            status=Status.COMPLETE,
            options=request.model_copy(update={"max_cost_usd": 0.5}).model_dump(mode="json"),
        )
        ledger = Ledger(paid.db_url)
        entry = CallEntry(
            video_id=video,
            user_id="ana",
            phase=Phase.VIDEO_CHUNKS,
            item="chunk_00",
            provider="replicate",
            model="hailuo-02-fast",
            cache_key="k" * 64,
            estimate_usd=0.49,
        )
        ledger.paid(ledger.reserve(entry, 0.5), 0.49, "p1")
        over = client.post(f"/api/video/{video}/beats/0/regenerate", json={}, headers=auth("ana"))
        assert over.status_code == 402 and "over video" in over.json()["detail"] and "$0.5000" in over.json()["detail"]
        assert (
            TakeDB(db.url).all(video) == [] and db.get(video).status == Status.COMPLETE
        )  # nothing recorded, nothing queued


def test_bad_batches_are_refused_whole_and_a_batch_dagster_cannot_launch_is_not_kept(
    client: TestClient, api_settings: Settings, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIDGEN_DAGSTER_URL", "http://127.0.0.1:9")  # nothing listens: the backfill cannot start
    rows = [{"prompt": "Create a 6-second Nike ad"}, {"prompt": "ad", "duration": 500}, {"prompt": "   "}]
    bad = client.post("/api/batch", json={"rows": rows}, headers=auth("ana"))
    assert bad.status_code == 422
    assert [(d["loc"], d["msg"][:24]) for d in bad.json()["detail"]] == [
        (["body", "rows", 1, "duration"], "the duration asks for 50"),
        (["body", "rows", 2, "prompt"], "the prompt is empty; des"),
    ]
    assert RequestDB(api_settings.db_url).page("ana", 10)[1] == 0  # a bad batch stores nothing
    other = client.post("/api/batch", json={"rows": [{"prompt": "ad", "user": "ben"}]}, headers=auth("ana"))
    assert other.status_code == 422 and other.json()["detail"][0]["loc"][-1] == "user"

    for attempt in range(3):  # more than the two batches a user may have in flight: none holds a slot
        down = client.post("/api/batch", json={"rows": rows, "skip_invalid": True}, headers=auth("ana"))
        assert down.status_code == 503 and down.headers["retry-after"] == "30", (attempt, down.text)
        detail = down.json()["detail"]
        assert "submit it again" in detail and "127.0.0.1" not in detail and "vidgen" not in detail, detail
    assert RequestDB(api_settings.db_url).page("ana", 10)[1] == 0  # withdrawn: no request, no partition kept
    assert instance.get_dynamic_partitions(videos.name) == []
    over = client.post("/api/batch", json={"rows": [rows[0]] * 101}, headers=auth("ben"))
    assert over.status_code == 422 and over.json()["detail"][0]["loc"] == ["body", "rows"]
