"""The uploaded product photo and logo: their keys on the plan (without planning again), the photo cut out (or shown
as a card) in the offline storyboard in place of the drawn product, an input file of each storyboard call, and kept by
a new take."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from vidgen_core.adapters.local.image import draw_frame
from vidgen_core.adapters.local.photo import product_photo
from vidgen_core.adapters.registry import build_providers
from vidgen_core.adapters.storage import LocalStore, upload_key
from vidgen_core.domain.catalog import frame_size, image_model
from vidgen_core.domain.errors import InvalidRequest
from vidgen_core.domain.models import AssetRole, GenerationRequest, ReferenceAsset, Section, Take, VideoSpec
from vidgen_core.domain.ports import ImageJob
from vidgen_core.persistence.ledger import Ledger
from vidgen_core.persistence.uploads import UploadDB, UploadRecord
from vidgen_core.pipeline.calls import CallCache
from vidgen_core.pipeline.phases import make_plan, make_storyboard
from vidgen_core.pipeline.requests import build_request
from vidgen_core.pipeline.uploads import reference_keys
from vidgen_core.settings import Settings

MAGENTA, GREEN = (230, 20, 180), (20, 190, 60)


def packshot(path: Path, backdrop: tuple[int, int, int] = (255, 255, 255)) -> Path:
    """A product on a plain backdrop: a magenta bottle with a green band, and a white window inside it (which is
    white like the backdrop but not reached from the edge, so it must stay)."""
    image = Image.new("RGB", (300, 400), backdrop)
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((75, 50, 225, 375), radius=20, fill=MAGENTA)
    draw.rectangle((100, 190, 200, 220), fill=GREEN)
    draw.rectangle((120, 100, 180, 150), fill=(255, 255, 255))
    image.save(path)
    return path


def scene(path: Path) -> Path:
    """A photo with no plain backdrop (noise to its edges)."""
    Image.fromarray(np.random.default_rng(3).integers(0, 256, (240, 320, 3), dtype=np.uint8)).save(path)
    return path


def near(image: Image.Image, colour: tuple[int, int, int], tolerance: float = 12.0) -> int:
    """How many of the image's decoded pixels are within ``tolerance`` of ``colour``."""
    pixels = np.asarray(image.convert("RGB"), dtype=np.float32)
    return int((np.linalg.norm(pixels - np.array(colour), axis=2) < tolerance).sum())


def test_a_plain_backdrop_is_cut_away_and_the_product_kept_whole(tmp_path: Path) -> None:
    photo = product_photo(packshot(tmp_path / "bottle.png"))
    alpha = np.asarray(photo.image.getchannel("A"))
    assert photo.cut and photo.image.size == (151, 326)  # cropped to the bottle
    assert alpha[0, 0] == 0 and alpha[-1, -1] == 0  # the backdrop in the corners of the bottle's box is gone
    assert alpha[75, 75] == 255  # the white window inside the bottle stays (not reached from the edge)
    assert alpha[160, 75] == 255 and alpha[160, 3] == 255


def test_a_photo_without_a_plain_backdrop_is_a_rounded_card(tmp_path: Path) -> None:
    photo = product_photo(scene(tmp_path / "street.png"))
    alpha = np.asarray(photo.image.getchannel("A"))
    assert not photo.cut and photo.image.size == (320, 240)
    assert alpha[0, 0] == 0 and alpha[120, 160] == 255 and alpha[0, 160] == 255  # only the corners are rounded


def _spec(settings: Settings, prompt: str = "Create a 30-second Nike ad", **kw: object) -> VideoSpec:
    from vidgen_core.adapters.local.planner import LocalPlanner

    return LocalPlanner().plan(build_request(prompt, settings, video_id="vid-photo1", **kw)).spec


def _job(spec: VideoSpec, index: int, photo: Path | None) -> ImageJob:
    beat = spec.beats[index]
    width, height = frame_size(image_model(spec.image_model).short_side, spec.aspect_ratio)
    return ImageJob(beat.image_prompt, spec.aspect_ratio, width, height, spec.seed, spec, beat, None, photo)


@pytest.mark.parametrize("aspect", ["16:9", "9:16"])
def test_offline_frames_show_the_photo_in_place_of_the_drawn_product(
    settings: Settings, tmp_path: Path, aspect: str
) -> None:
    spec, photo = _spec(settings, aspect=aspect), packshot(tmp_path / "bottle.png")
    for beat in spec.beats:
        drawn, shown = draw_frame(_job(spec, beat.index, None)), draw_frame(_job(spec, beat.index, photo), text=False)
        assert near(drawn, MAGENTA) == 0 and near(drawn, GREEN) == 0, beat.index
        # the bottle's colours, at a size that fits the product box (at least 800 pixels of each in a wide shot)
        assert near(shown, MAGENTA) > 8 * near(shown, GREEN) > 8 * 100, beat.index
        # the window in the bottle is kept (a tenth of the bottle's area), the white backdrop is not (twice it)
        assert 0.03 < near(shown, (255, 255, 255), 3) / near(shown, MAGENTA) < 0.2, beat.index


def test_a_scene_photo_stands_in_the_frame_as_a_card(settings: Settings, tmp_path: Path) -> None:
    spec, photo = _spec(settings), scene(tmp_path / "street.png")
    shown = np.asarray(draw_frame(_job(spec, 1, photo), text=False, scenery=False), dtype=np.int16)
    rough = np.abs(np.diff(shown, axis=1)).sum(axis=2) > 60  # the photo's noise; the backdrop is smooth
    ys, xs = np.nonzero(rough)
    (top, bottom), (left, right) = np.percentile(ys, [0.5, 99.5]), np.percentile(xs, [0.5, 99.5])
    assert abs((right - left) / (bottom - top) - 320 / 240) < 0.05  # the photo whole, at its own aspect
    assert rough[round(top) : round(bottom), round(left) : round(right)].mean() > 0.8


def _upload(settings: Settings, user: str, source: Path) -> str:
    """Store an image as the upload use case does, returning its asset id."""
    asset_id = f"asset-{abs(hash(source.name)) % 16**16:016x}"
    key = upload_key(user, asset_id, "png")
    LocalStore(settings.storage_dir).put_bytes(key, source.read_bytes())
    UploadDB(settings.db_url).add(
        UploadRecord(
            asset_id=asset_id,
            user_id=user,
            key=key,
            content_type="image/png",
            size_bytes=1,
            filename=source.name,
            created_at=datetime.now(UTC),
        )
    )
    return asset_id


def _request(settings: Settings, **assets: str) -> GenerationRequest:
    references = [ReferenceAsset(asset_id=a, role=AssetRole(role)) for role, a in assets.items()]
    return build_request("Create a 10-second Nike ad", settings, video_id="vid-photo2", reference_assets=references)


def test_the_plan_gets_the_keys_and_adding_a_logo_never_plans_again(settings: Settings, tmp_path: Path) -> None:
    product = _upload(settings, "local-user", packshot(tmp_path / "bottle.png"))
    logo = _upload(settings, "local-user", scene(tmp_path / "logo.png"))
    store, uploads = LocalStore(settings.storage_dir), UploadDB(settings.db_url)
    calls = CallCache(store, Ledger(settings.db_url), "local-user", "vid-photo2")
    first = _request(settings, product=product)
    spec, planned = make_plan(first, build_providers(settings, first), calls, reference_keys(uploads, first))
    assert not planned.reused and spec.product_image == upload_key("local-user", product, "png") and spec.logo is None
    again = _request(settings, product=product, logo=logo)
    spec, replanned = make_plan(again, build_providers(settings, again), calls, reference_keys(uploads, again))
    assert replanned.reused and spec.logo == upload_key("local-user", logo, "png")
    assert store.local_path(spec.logo).read_bytes() == (tmp_path / "logo.png").read_bytes()
    assert spec.plan_notes == []  # the offline renderer shows the photo
    with pytest.raises(InvalidRequest, match="not uploads of local-user"):
        reference_keys(uploads, _request(settings, logo="asset-0000000000000000"))


def test_the_photo_is_an_input_of_each_frame_and_a_new_take_keeps_it(settings: Settings, tmp_path: Path) -> None:
    spec = _spec(settings)
    store = LocalStore(settings.storage_dir)
    request = build_request("Create a 30-second Nike ad", settings, video_id="vid-photo1")
    providers = build_providers(settings, request)
    calls = CallCache(store, Ledger(settings.db_url), spec.user_id, spec.video_id)
    product = next(b.index for b in spec.beats if b.section is Section.PRODUCT)
    boards = {}
    for name, source in (("one", packshot(tmp_path / "one.png")), ("two", packshot(tmp_path / "two.png", (0, 0, 0)))):
        key = upload_key(spec.user_id, f"asset-{name}", "png")
        store.put_bytes(key, source.read_bytes())
        boards[name] = make_storyboard(spec.model_copy(update={"product_image": key}), store, providers, calls)
    assert all(not i.reused for i in boards["two"].images)  # another photo draws every frame again
    with_photo = spec.model_copy(update={"product_image": upload_key(spec.user_id, "asset-one", "png")})
    take = make_storyboard(with_photo.with_takes([Take(beat_index=product, take=1)]), store, providers, calls)
    first, retaken = boards["one"].images[product], take.images[product]
    assert retaken.take == 1 and not retaken.reused and retaken.cache_key != first.cache_key
    assert [i.reused for i in take.images] == [i.beat_index != product for i in take.images]
    with Image.open(store.local_path(retaken.key)) as image:
        assert near(image, MAGENTA) > 8 * near(image, GREEN) > 800  # the new take shows the same bottle
