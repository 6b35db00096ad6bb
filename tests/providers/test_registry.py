"""Each kind's adapter comes from its model's catalog provider, so video and images can come from different ones."""

from __future__ import annotations

import pytest

from vidgen_core.adapters import registry
from vidgen_core.adapters.local.image import LocalImageGenerator
from vidgen_core.adapters.local.planner import LocalPlanner
from vidgen_core.adapters.local.video import LocalVideoGenerator
from vidgen_core.adapters.registry import ADAPTERS, build_providers
from vidgen_core.adapters.replicate.media import ReplicateImageGenerator, ReplicateMusicGenerator
from vidgen_core.domain import catalog
from vidgen_core.domain.catalog import IMAGE_MODELS, LLM_MODELS, MUSIC_MODELS, VIDEO_MODELS, Kind
from vidgen_core.domain.errors import InvalidRequest
from vidgen_core.pipeline.requests import build_request
from vidgen_core.settings import Settings

PROMPT = "Create a 10-second Nike ad"


def test_every_catalog_model_has_an_adapter_for_its_provider() -> None:
    tables = {Kind.LLM: LLM_MODELS, Kind.IMAGE: IMAGE_MODELS, Kind.VIDEO: VIDEO_MODELS, Kind.MUSIC: MUSIC_MODELS}
    missing = [(k, m.name, m.provider) for k, t in tables.items() for m in t.values() if m.provider not in ADAPTERS[k]]
    assert missing == []
    assert all(catalog.LOCAL_PROVIDER in by_provider for by_provider in ADAPTERS.values())  # the offline default


def test_local_renders_every_kind_offline(settings: Settings) -> None:
    made = build_providers(settings, build_request(PROMPT, settings))
    assert isinstance(made.planner, LocalPlanner) and isinstance(made.images, LocalImageGenerator)
    assert isinstance(made.video, LocalVideoGenerator)


def test_video_from_its_own_provider_and_images_from_replicate(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kling's own API for video, Replicate for images and music: one catalog entry and one adapter row."""
    kling = VIDEO_MODELS["kling-v2.1"].model_copy(update={"name": "kling-direct", "provider": "kling"})
    monkeypatch.setitem(VIDEO_MODELS, kling.name, kling)
    made_for: list[str] = []

    class KlingVideo:
        provider = "kling"

        def __init__(self, model: str) -> None:
            made_for.append(model)

    monkeypatch.setitem(ADAPTERS[Kind.VIDEO], "kling", lambda clients, model: KlingVideo(model))
    request = build_request(PROMPT, settings, model="kling-direct", media="replicate", need_credentials=False)
    made = build_providers(settings, request)
    assert isinstance(made.video, KlingVideo) and made_for == ["kling-direct"]
    assert isinstance(made.images, ReplicateImageGenerator) and isinstance(made.music, ReplicateMusicGenerator)
    assert isinstance(made.planner, LocalPlanner)  # the planner has its own switch


def test_a_provider_no_adapter_serves_is_refused(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    odd = IMAGE_MODELS["flux-dev"].model_copy(update={"name": "odd-image", "provider": "nobody"})
    monkeypatch.setitem(IMAGE_MODELS, odd.name, odd)
    request = build_request(PROMPT, settings, media="replicate", need_credentials=False)
    with pytest.raises(InvalidRequest, match="no image adapter for provider 'nobody'"):
        build_providers(settings, request.model_copy(update={"image_model": "odd-image"}))


def test_the_pool_is_the_catalog_provider_of_the_default_model(monkeypatch: pytest.MonkeyPatch) -> None:
    kling = VIDEO_MODELS["kling-v2.1"].model_copy(update={"name": "kling-direct", "provider": "kling"})
    monkeypatch.setitem(VIDEO_MODELS, kling.name, kling)
    assert registry.paid_provider(Settings(), Kind.VIDEO) == "replicate"
    assert registry.paid_provider(Settings(default_model="kling-direct"), Kind.VIDEO) == "kling"
    assert registry.paid_provider(Settings(), Kind.LLM) == "openai"
