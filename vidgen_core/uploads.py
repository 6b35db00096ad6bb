"""Checking uploaded reference images: plain names, size limits, and the type read from the bytes themselves."""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass

from PIL import Image

from vidgen_core.errors import InvalidRequest, TooLarge, WrongType

ACCEPTED = {"PNG": ("png", "image/png"), "JPEG": ("jpg", "image/jpeg"), "WEBP": ("webp", "image/webp")}
MAX_PIXELS = 40_000_000  # larger "images" are decompression bombs, not reference photos
_PLAIN_NAME = re.compile(r"^[^/\\\x00-\x1f]{1,255}$")


@dataclass(frozen=True)
class CheckedImage:
    filename: str
    extension: str
    content_type: str
    width: int
    height: int


def check_name(filename: str) -> str:
    """A file name with no folders, no parent references and no control characters."""
    if not _PLAIN_NAME.fullmatch(filename or "") or filename.strip(". ") == "" or ".." in filename:
        raise InvalidRequest(
            f"file name {filename!r} is not a plain file name; send names without folders, '..' or control characters",
            "files",
        )
    return filename


def check_image(filename: str, data: bytes, max_bytes: int) -> CheckedImage:
    """Accept a PNG, JPEG or WebP image of at most ``max_bytes``, whatever its name claims."""
    check_name(filename)
    if len(data) > max_bytes:
        raise TooLarge(f"{filename} is larger than the {max_bytes / 1e6:.0f} MB limit; send a smaller image", "files")
    if not data:
        raise WrongType(f"{filename} is empty; send a PNG, JPEG or WebP image", "files")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind, (width, height) = image.format, image.size
                if width * height > MAX_PIXELS:
                    raise TooLarge(f"{filename} is {width}x{height}; send at most {MAX_PIXELS // 1_000_000} MP")
                image.verify()
    except TooLarge:
        raise
    except Exception:  # Pillow raises many types for bytes that are not an image it can read
        kind = None
    if kind not in ACCEPTED:
        raise WrongType(f"{filename} is not a PNG, JPEG or WebP image (judged by its content)", "files")
    extension, content_type = ACCEPTED[kind]
    return CheckedImage(filename, extension, content_type, width, height)
