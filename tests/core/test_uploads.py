"""Uploaded images are decoded in full and stored encoded again: formats, transparency and kinds of WebP survive."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from vidgen_core.domain.errors import InvalidRequest, TooLarge, WrongType
from vidgen_core.pipeline.uploads import check_image

LIMIT, PIXELS = 10 * 1024 * 1024, 40_000_000


def _save(image: Image.Image, kind: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, kind, **params)
    return out.getvalue()


def test_phone_jpegs_with_a_second_picture_are_kept_as_jpeg() -> None:
    frames = [Image.new("RGB", (64, 48), (200, 30, 30)), Image.new("RGB", (32, 24), (0, 0, 0))]
    mpo = _save(frames[0], "MPO", save_all=True, append_images=frames[1:])
    with Image.open(io.BytesIO(mpo)) as sent:
        assert sent.format == "MPO"
    checked = check_image("phone.jpg", mpo, LIMIT, PIXELS)
    assert (checked.extension, checked.content_type, checked.width, checked.height) == ("jpg", "image/jpeg", 64, 48)
    with Image.open(io.BytesIO(checked.data)) as kept:
        assert kept.format == "JPEG" and getattr(kept, "n_frames", 1) == 1


def test_transparency_and_lossless_webp_survive() -> None:
    palette = Image.new("P", (20, 10), 1)
    palette.putpalette([0, 0, 0, 255, 0, 0] * 128)
    png = check_image("p.png", _save(palette, "PNG", transparency=1), LIMIT, PIXELS)
    with Image.open(io.BytesIO(png.data)) as kept:
        assert kept.mode == "P" and kept.info["transparency"] == 1
    rgba = Image.new("RGBA", (20, 10), (10, 20, 30, 40))
    webp = check_image("w.webp", _save(rgba, "WEBP", lossless=True), LIMIT, PIXELS)
    assert b"VP8L" in webp.data[:64]
    with Image.open(io.BytesIO(webp.data)) as kept:
        assert kept.getpixel((5, 5)) == (10, 20, 30, 40)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"GIF89a" + b"\0" * 40, WrongType),
        (_save(Image.new("RGB", (8, 8)), "BMP"), WrongType),  # a real image, not one of the three
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 40, InvalidRequest),  # a PNG signature and nothing after it
        (b"RIFF\x10\0\0\0WEBPVP8 ", InvalidRequest),
        (b"\0" * (LIMIT + 1), TooLarge),
    ],
)
def test_what_is_refused_and_how(data: bytes, error: type[Exception]) -> None:
    with pytest.raises(error) as raised:
        check_image("f.png", data, LIMIT, PIXELS)
    assert type(raised.value) is error and raised.value.field == "files"  # type: ignore[attr-defined]
