"""S3 storage against a real S3-protocol server on 127.0.0.1: keys, round trips, presigned links, the graph."""

from __future__ import annotations

from pathlib import Path

import boto3
import dagster as dg
import httpx
import pytest

from tests.support import delivered_by_hand, execute
from vidgen_core.adapters.ffmpeg.probe import probe
from vidgen_core.adapters.storage import VideoKeys, open_store
from vidgen_core.adapters.storage.s3 import S3Store
from vidgen_core.domain.errors import NotFound
from vidgen_core.persistence.ledger import Ledger
from vidgen_core.persistence.requests import RequestDB
from vidgen_core.persistence.takes import LineTakeDB, TakeDB
from vidgen_core.pipeline.requests import build_request
from vidgen_core.pipeline.videos import describe
from vidgen_core.settings import Settings
from vidgen_dagster.partitions import videos


def test_show_gives_a_delivered_videos_s3_uri(s3_env: dict, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    video = delivered_by_hand(settings, "ana")
    url = settings.db_url
    state = describe(TakeDB(url), LineTakeDB(url), Ledger(url), open_store(settings), RequestDB(url).get(video))
    assert state.final_video == f"s3://{s3_env['VIDGEN_S3_BUCKET']}/ana/videos/{video}/final.mp4"  # no link, no secret


def test_round_trip_cache_and_presigned_link(s3_env: dict, tmp_path: Path) -> None:
    store = open_store(Settings(home=tmp_path))
    assert isinstance(store, S3Store)
    store.put_bytes("u/videos/v/spec.json", b'{"a": 1}')
    assert store.exists("u/videos/v/spec.json") and not store.exists("u/videos/v/none.json")
    assert store.get_bytes("u/videos/v/spec.json") == b'{"a": 1}' and store.size("u/videos/v/spec.json") == 8
    first = store.local_path("u/videos/v/spec.json")
    store.put_bytes("u/videos/v/spec.json", b'{"a": 2}')
    assert store.local_path("u/videos/v/spec.json").read_bytes() == b'{"a": 2}' and not first.exists()
    link = store.uri("u/videos/v/spec.json")
    assert "X-Amz-Expires=3600" in link and httpx.get(link).content == b'{"a": 2}'
    with pytest.raises(NotFound):
        store.get_bytes("u/videos/v/none.json")
    with pytest.raises(ValueError, match="escapes"):
        store.put_bytes("../x", b"")


@pytest.mark.slow
def test_graph_stores_playable_media_at_the_seed_keys(
    s3_env: dict, settings: Settings, instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    RequestDB(settings.db_url).submit(
        build_request("Create a 10-second Nike ad", settings, video_id="vid-s3a", resolution="720p")
    )
    instance.add_dynamic_partitions(videos.name, ["vid-s3a"])
    assert execute(settings, instance, "vid-s3a").success
    s3 = boto3.client("s3", endpoint_url=s3_env["VIDGEN_S3_ENDPOINT_URL"], region_name="us-east-1")
    listed = {o["Key"] for o in s3.list_objects_v2(Bucket=s3_env["VIDGEN_S3_BUCKET"])["Contents"]}
    keys = VideoKeys(settings.default_user, "vid-s3a")
    for key in (
        keys.spec(),
        keys.storyboard(0),
        keys.chunk(0),
        keys.chunk_last_frame(0),
        keys.music(),
        keys.stitched(),
        keys.final(),
    ):
        assert key in listed, key
    assert not (settings.storage_dir / keys.final()).exists()  # nothing went to the local folder
    local = tmp_path / "final.mp4"
    s3.download_file(s3_env["VIDGEN_S3_BUCKET"], keys.final(), str(local))
    info = probe(local)
    assert info.duration_s == pytest.approx(10.0, abs=0.1) and info.has_video and info.has_audio
