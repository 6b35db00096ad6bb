"""The product photo through the real `replicate` client and the imitation: flux-dev starts the product and closing
beats from it (img2img: `image` and `prompt_strength`), and what it draws shows it; flux-schnell has no such input,
so it is never sent one and the plan says the photo is not used."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from tests.core.test_product_photo import MAGENTA, near, packshot
from tests.fakes.replicate_server import FakeReplicate
from vidgen_core.adapters.registry import build_providers
from vidgen_core.adapters.replicate.runner import ReplicateRunner
from vidgen_core.adapters.storage import LocalStore, upload_key
from vidgen_core.domain.catalog import IMAGE_MODELS
from vidgen_core.domain.models import PRODUCT_SECTIONS, AssetRole
from vidgen_core.persistence.ledger import Ledger
from vidgen_core.pipeline.calls import CallCache
from vidgen_core.pipeline.phases import make_plan, make_storyboard
from vidgen_core.pipeline.requests import build_request
from vidgen_core.settings import Settings


def _storyboard(settings: Settings, fake: FakeReplicate, tmp_path: Path):
    """A 30-second ad's storyboard on Replicate with an uploaded product photo; its spec and the photo's key."""
    fake.time_scale = 0.001
    request = build_request("Create a 30-second Nike ad", settings, video_id="vid-flux1", media="replicate")
    providers = build_providers(settings, request)
    store = LocalStore(settings.storage_dir)
    key = upload_key(request.user_id, "asset-0123456789abcdef", "png")
    store.put_bytes(key, packshot(tmp_path / "bottle.png").read_bytes())
    calls = CallCache(store, Ledger(settings.db_url), request.user_id, request.video_id)
    spec, _ = make_plan(request, providers, calls, {AssetRole.PRODUCT: key})
    return spec, store, make_storyboard(spec, store, providers, calls)


def _gray(image: Image.Image, size: tuple[int, int]) -> np.ndarray:
    return np.asarray(image.convert("L").resize(size), dtype=np.float64).ravel()


def test_flux_dev_starts_product_beats_from_the_photo(
    provider_env: dict, fake_replicate: FakeReplicate, tmp_path: Path
) -> None:
    settings = Settings(home=tmp_path / "home", replicate_poll_interval_s=0.0)
    spec, store, board = _storyboard(settings, fake_replicate, tmp_path)
    sent = {p.input["prompt"]: p.input for p in fake_replicate.predictions.values() if p.kind == "image"}
    assert spec.product_image and spec.plan_notes == []
    shown = [b for b in spec.beats if b.section in PRODUCT_SECTIONS]
    assert shown and len(shown) < len(spec.beats)  # the opening and dynamic beats are scenes, drawn from text
    for beat in spec.beats:
        inputs = sent[beat.image_prompt]
        if beat.section not in PRODUCT_SECTIONS:
            assert "image" not in inputs and "prompt_strength" not in inputs
            continue
        assert inputs["prompt_strength"] == IMAGE_MODELS["flux-dev"].prompt_strength == 0.7
        start = Image.open(io.BytesIO(fake_replicate._fetch(inputs["image"])))
        assert start.size == (1366, 768) and near(start, MAGENTA) > 800  # the bottle, standing in the beat's frame
        with Image.open(store.local_path(board.images[beat.index].key)) as made:
            # what the model drew follows its start image (the imitation keeps 30% of it, as strength 0.7 does)
            assert np.corrcoef(_gray(made, start.size), _gray(start, start.size))[0, 1] > 0.7
    assert fake_replicate.dropped == []


def test_flux_schnell_is_sent_no_photo_and_the_plan_says_so(
    provider_env: dict, fake_replicate: FakeReplicate, tmp_path: Path
) -> None:
    settings = Settings(home=tmp_path / "home", replicate_poll_interval_s=0.0, default_image_model="flux-schnell")
    spec, _, board = _storyboard(settings, fake_replicate, tmp_path)
    assert spec.image_model == "flux-schnell" and len(board.images) == len(spec.beats)
    assert any("product photo is not used" in note and "flux-dev" in note for note in spec.plan_notes)
    assert all("image" not in p.input for p in fake_replicate.predictions.values())
    assert fake_replicate.dropped == []


def test_the_imitation_drops_a_start_image_flux_schnell_does_not_take(
    provider_env: dict, fake_replicate: FakeReplicate, tmp_path: Path
) -> None:
    """Replicate ignores inputs a model does not have (replicate/cog#2943): schnell draws from the prompt alone."""
    fake_replicate.time_scale = 0.001
    runner = ReplicateRunner(Settings(replicate_poll_interval_s=0.0), sleep=lambda _s: None)
    model = IMAGE_MODELS["flux-schnell"]
    start = packshot(tmp_path / "bottle.png")
    done = runner.run(
        model.provider_id,
        model.inputs("a bottle", "16:9", 1) | {"prompt_strength": 0.7},
        {"image": start},
        model=model.name,
        item="storyboard beat 0",
        journal=_NoJournal(),
    )
    assert fake_replicate.dropped == [(model.provider_id, ["image", "prompt_strength"])]
    made = Image.open(io.BytesIO(done.outputs[0]))
    assert made.size == (1344, 768) and near(made, MAGENTA) == 0


class _NoJournal:
    def load(self) -> None:
        return None

    def save(self, record: dict) -> None:
        return None
