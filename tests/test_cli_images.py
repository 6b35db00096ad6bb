"""`vidgen generate --product-image FILE --logo FILE`: the files are checked and uploaded as POST /api/upload does,
the video refers to them by role, and the storyboard shows the photo. A missing, unreadable or non-image file is one
line naming it, and nothing is stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from tests.core.test_product_photo import MAGENTA, near, packshot, scene
from tests.support import vidgen_in_process
from tests.test_cli import _one_line_error, home  # noqa: F401 (the fixture)
from vidgen_core.adapters.storage import LocalStore, VideoKeys
from vidgen_core.domain.models import VideoSpec
from vidgen_core.settings import Settings


@pytest.mark.parametrize(
    ("name", "make", "fragment"),
    [
        ("gone.png", None, "does not exist; give a PNG, JPEG or WebP file"),
        ("folder.png", lambda p: p.mkdir(), "cannot be read (Is a directory)"),
        ("notes.png", lambda p: p.write_text("not a picture"), "notes.png is not a PNG, JPEG or WebP image"),
        ("empty.png", lambda p: p.write_bytes(b""), "empty.png is empty"),
    ],
)
@pytest.mark.parametrize("command", ["generate", "estimate"])
def test_a_bad_image_file_is_one_line_and_stores_nothing(
    home: Path,  # noqa: F811
    tmp_path: Path,
    command: str,
    name: str,
    make: object,
    fragment: str,
) -> None:
    path = tmp_path / name
    if callable(make):
        make(path)
    logo = packshot(tmp_path / "logo.png")
    result = vidgen_in_process(
        [command, "Create a 5-second Nike ad", "--logo", str(logo), "--product-image", str(path)]
    )
    _one_line_error(result, 2, fragment)
    assert not home.exists()


@pytest.mark.slow  # renders a whole video
def test_generate_uploads_the_images_and_shows_the_photo(home: Path, tmp_path: Path) -> None:  # noqa: F811
    photo, logo = packshot(tmp_path / "bottle.png"), scene(tmp_path / "logo.jpg")
    Image.open(logo).save(logo, "JPEG")
    args = ["generate", "Create a 10-second Nike ad", "--product-image", str(photo), "--logo", str(logo), "--json"]
    made = vidgen_in_process(args)
    assert made.code == 0, made.stderr
    video_id = json.loads(made.stdout)["video_id"]
    store, keys = LocalStore(Settings(home=home).storage_dir), VideoKeys("local-user", video_id)
    spec = VideoSpec.model_validate_json(store.get_bytes(keys.spec()))
    assert spec.product_image and spec.product_image.endswith(".png") and spec.logo and spec.logo.endswith(".jpg")
    with Image.open(store.local_path(spec.logo)) as stored, Image.open(logo) as given:
        assert stored.size == given.size  # the logo, checked and stored as an upload
    with Image.open(store.local_path(keys.storyboard(0))) as frame:
        assert near(frame, MAGENTA) > 800
