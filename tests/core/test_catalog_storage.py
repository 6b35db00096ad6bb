"""Catalog facts, cost accounting, and the storage key layout."""

from __future__ import annotations

from pathlib import Path

import pytest

from vidgen_core.adapters.local.planner import LocalPlanner
from vidgen_core.adapters.storage import KeyOutsideStore, LocalStore, VideoKeys
from vidgen_core.domain.catalog import ASPECTS, IMAGE_MODELS, LLM_MODELS, MUSIC_MODELS, VIDEO_MODELS, frame_size
from vidgen_core.domain.costs import list_price
from vidgen_core.domain.errors import NotFound
from vidgen_core.pipeline.requests import build_request
from vidgen_core.settings import Settings


def test_catalog_has_the_required_models() -> None:
    assert {"hailuo-02-fast", "hailuo-02", "veo-3-fast", "kling-v2.1"} <= set(VIDEO_MODELS)
    assert {"flux-dev", "flux-schnell"} <= set(IMAGE_MODELS)
    assert "musicgen" in MUSIC_MODELS and LLM_MODELS
    assert VIDEO_MODELS["veo-3-fast"].native_audio and not VIDEO_MODELS["hailuo-02-fast"].native_audio


@pytest.mark.parametrize("aspect", ASPECTS)
@pytest.mark.parametrize("short", [512, 720, 768, 1080])
def test_frame_sizes_are_even_and_match_the_aspect(aspect: str, short: int) -> None:
    w, h = frame_size(short, aspect)
    num, den = (int(x) for x in aspect.split(":"))
    assert w % 2 == 0 and h % 2 == 0 and min(w, h) == short
    assert abs(w / h - num / den) < 0.01


def test_llm_cost_uses_cached_and_uncached_prices() -> None:
    gpt = LLM_MODELS["gpt-4o"]
    assert gpt.cost(1_000_000, 0, 0) == 2.5
    assert gpt.cost(1_000_000, 1_000_000, 1_000_000) == 1.25 + 10.0


def test_list_price_of_the_seed_ad_is_in_the_seed_range() -> None:
    spec = LocalPlanner().plan(build_request("Create a 30-second Nike ad", Settings())).spec
    prices = list_price(spec)
    assert prices["storyboard"] == pytest.approx(len(spec.beats) * 0.025)
    assert 0.3 < sum(prices.values()) < 1.5  # the seed quotes ~$0.51 for this ad
    veo = LocalPlanner().plan(build_request("Create a 30-second Nike ad", Settings(), model="veo-3-fast")).spec
    assert list_price(veo)["music"] == 0.0


def test_key_layout_is_the_seeds() -> None:
    keys = VideoKeys("u1", "vid-abc")
    assert keys.spec() == "u1/videos/vid-abc/spec.json"
    assert keys.storyboard(3) == "u1/videos/vid-abc/storyboard/beat_03.png"
    assert keys.chunk(0) == "u1/videos/vid-abc/chunks/chunk_00.mp4"
    assert keys.chunk_last_frame(0) == "u1/videos/vid-abc/chunks/chunk_00_last_frame.png"
    assert keys.music() == "u1/videos/vid-abc/music.wav"
    assert keys.stitched() == "u1/videos/vid-abc/stitched.mp4"
    assert keys.final() == "u1/videos/vid-abc/final.mp4"


def test_local_store_round_trip_and_refuses_escapes(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    store.put_bytes("u/videos/v/spec.json", b"{}")
    assert store.get_bytes("u/videos/v/spec.json") == b"{}" and store.size("u/videos/v/spec.json") == 2
    assert not list(tmp_path.rglob(".*"))  # no temp files left behind
    with pytest.raises(ValueError, match="escapes"):
        store.put_bytes("../outside", b"x")
    with pytest.raises(NotFound) as missing:
        store.local_path("u/videos/v/missing.mp4")
    assert str(tmp_path) not in str(missing.value)  # the key, never the server's folder


def test_local_store_keys_never_leave_the_root(tmp_path: Path) -> None:
    root, outside = tmp_path / "store", tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    store = LocalStore(root)
    store.put_bytes("u/a.png", b"png")
    (root / "u" / "out").symlink_to(outside)
    (root / "u" / "secret.txt").symlink_to(outside / "secret.txt")
    bad = ["../outside/secret.txt", "u/../../outside/secret.txt", str(outside / "secret.txt"), str(root / "u/a.png"),
           "u/out/secret.txt", "u/secret.txt", "u/\x00.png", "", ".", "u/.."]  # fmt: skip
    for key in bad:
        for use in (store.local_path, store.exists, store.get_bytes, lambda k: store.put_bytes(k, b"x")):
            with pytest.raises(KeyOutsideStore):
                use(key)
    assert (outside / "secret.txt").read_text() == "secret" and store.get_bytes("u/a.png") == b"png"
    assert not store.exists("u/" + "a" * 300)  # too long a name holds nothing (no OSError)
    with pytest.raises(NotFound):
        store.local_path("u/" + "a" * 300)
