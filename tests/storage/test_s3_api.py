"""The API on S3 storage: uploads land in the bucket under the user's prefix; status hands out presigned links."""

from __future__ import annotations

import io
from pathlib import Path

import boto3
import dagster as dg
import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from api.app import create_app
from tests.support import run_pending
from vidgen_core.adapters.ffmpeg.probe import probe
from vidgen_core.settings import Settings


@pytest.mark.slow
def test_status_links_are_presigned_s3_urls(
    s3_env: dict, settings: Settings, instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    s3_settings = Settings(home=settings.home, api_keys="k-ana-0123=ana")
    assert s3_settings.storage == "s3"
    headers = {"X-API-Key": "k-ana-0123"}
    with TestClient(create_app(s3_settings, instance)) as client:
        image = io.BytesIO()
        Image.new("RGB", (32, 32), (0, 90, 200)).save(image, "PNG")
        uploaded = client.post("/api/upload", files=[("files", ("logo.png", image.getvalue(), "image/png"))],
                               headers=headers)  # fmt: skip
        (asset,) = uploaded.json()["asset_ids"]
        s3 = boto3.client("s3", endpoint_url=s3_env["VIDGEN_S3_ENDPOINT_URL"], region_name="us-east-1")
        listed = [o["Key"] for o in s3.list_objects_v2(Bucket=s3_env["VIDGEN_S3_BUCKET"])["Contents"]]
        assert listed == [f"ana/assets/{asset}.png"]

        video = client.post("/api/generate", json={"prompt": "A 5-second Nike ad"}, headers=headers).json()["video_id"]
        run_pending(s3_settings, instance)
        status = client.get(f"/api/status/{video}", headers=headers).json()
        assert client.get("/health").json()["checks"]["storage"] == "ok"
    assert status["status"] == "complete"
    link = status["final_video_url"]
    assert link.startswith(s3_env["VIDGEN_S3_ENDPOINT_URL"]) and "X-Amz-Expires=3600" in link
    (tmp_path / "final.mp4").write_bytes(httpx.get(link).content)
    assert probe(tmp_path / "final.mp4").duration_s == pytest.approx(5.0, abs=0.1)
    assert all("X-Amz-Signature=" in url for url in status["animatic_urls"]) and status["animatic_urls"]
