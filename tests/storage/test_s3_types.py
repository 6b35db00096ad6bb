"""S3 objects carry their Content-Type, and Dagster metadata names them by s3:// URI, never by a presigned link."""

from __future__ import annotations

from pathlib import Path

import boto3
import dagster as dg
import httpx
import pytest

from tests.support import metadata_of, run_checks, submit_and_execute
from vidgen_core.adapters.storage import VideoKeys, open_store
from vidgen_core.adapters.storage.s3 import S3Store
from vidgen_core.domain.models import Phase
from vidgen_core.settings import Settings

TYPES = {
    "u/videos/v/final.mp4": "video/mp4",
    "u/videos/v/storyboard/beat_00.png": "image/png",
    "u/assets/asset-0123456789abcdef.jpg": "image/jpeg",
    "u/assets/asset-0123456789abcdef.webp": "image/webp",
    "u/videos/v/music.wav": "audio/wav",
    "u/videos/v/manifests/final_video.json": "application/json",
    "u/videos/v/spec.json": "application/json",
}


def _store(tmp_path: Path) -> S3Store:
    store = open_store(Settings(home=tmp_path))
    assert isinstance(store, S3Store)
    return store


def test_objects_are_typed_by_their_extension(s3_env: dict, tmp_path: Path) -> None:
    store = _store(tmp_path)
    s3 = boto3.client("s3", endpoint_url=s3_env["VIDGEN_S3_ENDPOINT_URL"], region_name="us-east-1")
    bucket = s3_env["VIDGEN_S3_BUCKET"]

    def content_type(key: str) -> str:
        return s3.head_object(Bucket=bucket, Key=key)["ContentType"]

    for key, expected in TYPES.items():  # put_bytes
        store.put_bytes(key, b"x")
        assert content_type(key) == expected, key
    for key, expected in TYPES.items():  # put_file (upload_file)
        src = tmp_path / f"src{Path(key).suffix}"
        src.write_bytes(b"y")
        store.put_file(key, src)
        assert content_type(key) == expected, key

    # copy: a plain copy_object keeps the source's type, so an untyped source (older objects) would stay untyped
    s3.put_object(Bucket=bucket, Key="u/cache/ab/abc/clip.mp4", Body=b"clip")
    assert content_type("u/cache/ab/abc/clip.mp4") == "binary/octet-stream"
    store.copy("u/cache/ab/abc/clip.mp4", "u/videos/v/chunks/chunk_00.mp4")
    assert content_type("u/videos/v/chunks/chunk_00.mp4") == "video/mp4"
    store.copy("u/videos/v/storyboard/beat_00.png", "u/cache/cd/cde/image.png")
    assert content_type("u/cache/cd/cde/image.png") == "image/png"

    served = httpx.get(store.uri("u/videos/v/final.mp4"))  # what a browser opening the presigned link is told
    assert served.status_code == 200 and served.headers["content-type"] == "video/mp4"
    assert store.s3_uri("u/videos/v/final.mp4") == f"s3://{bucket}/u/videos/v/final.mp4"


@pytest.mark.slow
def test_metadata_names_s3_uris_never_presigned_links_or_cache_paths(
    s3_env: dict, settings: Settings, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    access_key = "AKIAVIDGENTEST7QX2ZP"  # distinctive, so any leak of it is found
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", access_key)
    monkeypatch.setenv("VIDGEN_S3_PREFIX", "media")
    result = submit_and_execute(settings, instance, "Create a 5-second Nike ad", "vid-s3meta")
    assert result.success
    metadata = metadata_of(result)
    checks = [c.metadata for c in run_checks(instance, result.run_id)]
    text = repr(metadata) + repr(checks)
    for leak in ("X-Amz-", "AWSAccessKeyId", "Signature=", access_key, str(settings.cache_dir), str(settings.home)):
        assert leak not in text, leak
    keys = VideoKeys(settings.default_user, "vid-s3meta")
    bucket = s3_env["VIDGEN_S3_BUCKET"]
    assert metadata["final_video"]["file"] == f"s3://{bucket}/media/{keys.final()}"
    assert metadata["stitched_video"]["file"] == f"s3://{bucket}/media/{keys.stitched()}"
    assert metadata["storyboard"]["preview_file"] == f"s3://{bucket}/media/{keys.preview(Phase.STORYBOARD)}"
