"""The uploaded product photo, made ready to stand in a frame: cut out of a plain backdrop (a packshot on white, say),
or else shown as a rounded card with a soft shadow; then fitted, standing, into the box a frame keeps for the product.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

PLAIN_TOLERANCE = 32.0  # RGB distance from the backdrop's colour within which a pixel is backdrop
PLAIN_BORDER_SHARE = 0.9  # a backdrop is plain when this share of the photo's edge is its colour
MASK_SIDE = 256  # the backdrop's reach is traced at this size (fast), then its edge taken at full size
MAX_SIDE = 1600  # a larger photo is shrunk to this first: no frame shows it bigger
CARD_RADIUS = 0.06  # the card's corner radius, as a share of its shorter side
SHADOW_BLUR, SHADOW_OFFSET, SHADOW_ALPHA = 0.04, 0.025, 110  # the card's shadow: blur and drop (shares), darkness


@dataclass(frozen=True)
class ProductPhoto:
    """The photo with an alpha channel: the product alone (``cut``), or the whole photo as a rounded card."""

    image: Image.Image  # RGBA, cropped to what shows
    cut: bool


def product_photo(path: Path) -> ProductPhoto:
    """The photo at ``path`` made ready to composite (computed once per file version)."""
    stat = path.stat()
    return _prepared(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _prepared(path: str, _mtime_ns: int, _size: int) -> ProductPhoto:
    with Image.open(path) as opened:
        image = opened.convert("RGBA")
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    alpha = np.asarray(image.getchannel("A"))
    if alpha.min() < 250:  # the photo brings its own transparency
        return ProductPhoto(image.crop(image.getchannel("A").getbbox() or (0, 0, *image.size)), cut=True)
    rgb = np.asarray(image.convert("RGB"), dtype=np.float32)
    backdrop = _plain_backdrop(rgb)
    if backdrop is None:
        return ProductPhoto(_card(image), cut=False)
    mask = _backdrop_mask(rgb, backdrop)
    if mask.all() or not mask.any():
        return ProductPhoto(_card(image), cut=False)
    cut = Image.fromarray(np.where(mask, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.7))
    image.putalpha(cut)
    return ProductPhoto(image.crop(cut.point(lambda v: 255 if v > 127 else 0).getbbox()), cut=True)


def _plain_backdrop(rgb: np.ndarray) -> np.ndarray | None:
    """The backdrop's colour when the photo's edge is (almost) all one colour; None for a scene."""
    edge = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]])
    colour = np.median(edge, axis=0)
    near = np.linalg.norm(edge - colour, axis=1) < PLAIN_TOLERANCE
    return colour if near.mean() >= PLAIN_BORDER_SHARE else None


def _backdrop_mask(rgb: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """The pixels of the backdrop: of its colour and reached from the photo's edge without crossing the product
    (a flood from the edges), so the product's own white label stays. Traced at MASK_SIDE, edged at full size."""
    near = np.linalg.norm(rgb - colour, axis=2) < PLAIN_TOLERANCE
    h, w = near.shape
    scale = min(1.0, MASK_SIDE / max(h, w))
    small_size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = np.asarray(Image.fromarray(near.astype(np.uint8) * 255).resize(small_size, Image.Resampling.BOX)) > 250
    reached = np.zeros_like(small)
    reached[0], reached[-1], reached[:, 0], reached[:, -1] = small[0], small[-1], small[:, 0], small[:, -1]
    while True:  # grow from the edge through backdrop-coloured pixels, one step each way at a time
        grown = reached.copy()
        grown[1:] |= reached[:-1]
        grown[:-1] |= reached[1:]
        grown[:, 1:] |= reached[:, :-1]
        grown[:, :-1] |= reached[:, 1:]
        grown &= small
        if (grown == reached).all():
            break
        reached = grown
    # at full size: backdrop-coloured pixels within a traced cell's reach (the product's edge follows the pixels)
    spread = Image.fromarray(reached.astype(np.uint8) * 255).filter(ImageFilter.MaxFilter(3))
    return near & (np.asarray(spread.resize((w, h), Image.Resampling.NEAREST)) > 0)


def _card(image: Image.Image) -> Image.Image:
    """The whole photo with rounded corners: a scene cannot be cut out, so it is shown as a print of itself."""
    mask = Image.new("L", image.size, 0)
    radius = CARD_RADIUS * min(image.size)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, image.width - 1, image.height - 1), radius=radius, fill=255)
    card = image.copy()
    card.putalpha(mask)
    return card


def place_photo(frame: Image.Image, photo: ProductPhoto, box: tuple[float, float, float, float]) -> None:
    """Composite the photo into an RGBA ``frame``, as large as fits the box, centred and standing on its bottom;
    a card gets a soft drop shadow."""
    x0, y0, x1, y1 = box
    scale = min((x1 - x0) / photo.image.width, (y1 - y0) / photo.image.height)
    size = (max(1, round(photo.image.width * scale)), max(1, round(photo.image.height * scale)))
    fitted = photo.image.resize(size, Image.Resampling.LANCZOS)
    left, top = round((x0 + x1 - size[0]) / 2), round(y1 - size[1])
    if not photo.cut:
        short = min(size)
        blur, drop = max(1.0, SHADOW_BLUR * short), round(SHADOW_OFFSET * short)
        pad = round(3 * blur)
        shadow = Image.new("L", (size[0] + 2 * pad, size[1] + 2 * pad), 0)
        shadow.paste(fitted.getchannel("A").point(lambda a: a * SHADOW_ALPHA // 255), (pad, pad))
        shadow = shadow.filter(ImageFilter.GaussianBlur(blur))
        dark = Image.new("RGBA", shadow.size, (0, 0, 0, 0))
        dark.putalpha(shadow)
        _composite(frame, dark, left - pad + drop, top - pad + drop)
    _composite(frame, fitted, left, top)


def _composite(frame: Image.Image, layer: Image.Image, x: int, y: int) -> None:
    """``layer`` over ``frame`` with its top left at (x, y), which may lie outside the frame (an extreme close-up):
    Pillow takes no negative offsets, so the part left of or above the frame is cut off first."""
    frame.alpha_composite(layer, (max(0, x), max(0, y)), (max(0, -x), max(0, -y)))
