"""Checking uploaded reference images: plain names, size limits, the type read from the bytes themselves, and the
pixels decoded and encoded again, so only an image is ever stored (no appended or embedded payloads); and the
store keys of the uploads a request uses."""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

from PIL import ExifTags, Image, ImageOps

from vidgen_core.domain.errors import InvalidRequest, TooLarge, WrongType
from vidgen_core.domain.models import AssetRole, GenerationRequest
from vidgen_core.persistence.uploads import UploadDB

ACCEPTED = {"PNG": ("png", "image/png"), "JPEG": ("jpg", "image/jpeg"), "WEBP": ("webp", "image/webp")}
CAMERA_JPEG = {"MPO": "JPEG"}  # phones' JPEGs with a second picture (depth, preview): kept as a plain JPEG
_PLAIN_NAME = re.compile(r"^[^/\\\x00-\x1f]{1,255}$")


@dataclass(frozen=True)
class CheckedImage:
    """An accepted upload; ``data`` is what to store: the decoded pixels encoded again in the same format."""

    filename: str
    extension: str
    content_type: str
    width: int
    height: int
    data: bytes = field(default=b"", repr=False)


def check_name(filename: str) -> str:
    """A file name with no folders, no parent references and no control characters."""
    if not _PLAIN_NAME.fullmatch(filename or "") or filename.strip(". ") == "" or ".." in filename:
        raise InvalidRequest(
            f"file name {filename!r} is not a plain file name; send names without folders, '..' or control characters",
            "files",
        )
    return filename


def check_image(filename: str, data: bytes, max_bytes: int, max_pixels: int) -> CheckedImage:
    """Accept a PNG, JPEG or WebP image of at most ``max_bytes`` and ``max_pixels``, whatever its name claims.

    Raises TooLarge (bytes or pixels), WrongType (not one of the three formats) or InvalidRequest (an accepted
    format whose pixels cannot be decoded: truncated or corrupt)."""
    check_name(filename)
    limit = f"the {max_pixels / 1e6:g} MP limit ({max_pixels:,} pixels)"
    too_many = f"{filename} has more pixels than {limit}; send a smaller image"
    not_image = f"{filename} is not a PNG, JPEG or WebP image (judged by its content)"
    if len(data) > max_bytes:
        raise TooLarge(f"{filename} is larger than the {max_bytes / 1e6:.0f} MB limit; send a smaller image", "files")
    if not data:
        raise WrongType(f"{filename} is empty; send a PNG, JPEG or WebP image", "files")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=list(ACCEPTED))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise TooLarge(too_many, "files") from None
        except Exception as exc:  # Pillow raises many types for bytes that are not an image it can read
            if (announced := _signature(data)) is None:
                raise WrongType(not_image, "files") from None
            raise _corrupt(filename, announced, exc) from None
        with image:
            kind, (width, height) = CAMERA_JPEG.get(image.format or "", image.format or ""), image.size
            if kind not in ACCEPTED:
                raise WrongType(not_image, "files")
            if width * height > max_pixels:
                raise TooLarge(too_many, "files")
            try:
                image.load()  # every pixel, not just the header: truncated files fail here
                stored = _encode(image, kind, data)
            except (Image.DecompressionBombError, Image.DecompressionBombWarning):
                raise TooLarge(too_many, "files") from None
            except Exception as exc:
                raise _corrupt(filename, kind, exc) from None
    extension, content_type = ACCEPTED[kind]
    return CheckedImage(filename, extension, content_type, width, height, stored)


def _encode(image: Image.Image, kind: str, original: bytes) -> bytes:
    """The image's first frame encoded again: nothing but pixels (and the colour profile) survives, so bytes after
    the image's end (ZIP or HTML polyglots), comments, text chunks and EXIF (GPS) are dropped. EXIF orientation is
    applied to the pixels first, so the image still stands the right way up."""
    orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
    pixels = ImageOps.exif_transpose(image) if orientation != 1 else image
    params: dict[str, Any] = {}
    if image.info.get("icc_profile"):
        params["icc_profile"] = image.info["icc_profile"]
    if kind == "PNG":
        if "transparency" in image.info:
            params["transparency"] = image.info["transparency"]
    elif kind == "JPEG":  # the source's own quantization tables when the pixels are untouched: no generation loss
        keep = pixels is image and image.format == "JPEG"  # (Pillow keeps tables only from a plain JPEG)
        params |= {"quality": "keep", "subsampling": "keep"} if keep else {"quality": 95}
    else:  # WebP: lossless stays lossless
        params |= {"lossless": True} if b"VP8L" in original[12:1024] else {"quality": 90}
    out = io.BytesIO()
    pixels.save(out, kind, **params)
    return out.getvalue()


def _signature(data: bytes) -> str | None:
    """The accepted format the first bytes announce, if any."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    return "WEBP" if data[:4] == b"RIFF" and data[8:12] == b"WEBP" else None


def _corrupt(filename: str, kind: str, exc: Exception) -> InvalidRequest:
    """A 422: the file starts like an accepted format but does not decode."""
    reason = str(exc).splitlines()[0][:120] if str(exc) else "the decoder gave no reason"
    return InvalidRequest(
        f"{filename} starts like a {kind} image but its pixels cannot be decoded ({reason}); "
        "it is truncated or corrupt, send the whole file",
        "files",
    )


def reference_keys(uploads: UploadDB, request: GenerationRequest) -> dict[AssetRole, str]:
    """The store key of each uploaded image the request uses, by role (the first of a role). An id that is not
    (or no longer) the owner's upload is an error naming it, as the request was checked when it was stored."""
    wanted = {role: asset_id for role in AssetRole if (asset_id := request.asset(role))}
    if not wanted:
        return {}
    found = {u.asset_id: u.key for u in uploads.of(request.user_id, list(wanted.values()))}
    missing = [asset_id for asset_id in wanted.values() if asset_id not in found]
    if missing:
        raise InvalidRequest(
            f"reference assets {missing} are not uploads of {request.user_id}; upload the images again with "
            "POST /api/upload and make a new video with their asset_ids",
            "reference_assets",
        )
    return {role: found[asset_id] for role, asset_id in wanted.items()}
