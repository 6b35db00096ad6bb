"""A poster: a still of the ad at a deliverable's size with the title (brand and product) drawn inside the safe
zone, on a soft dark band so it reads over any picture."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont, ImageOps

from vidgen_core.adapters.local.image import font_for
from vidgen_core.adapters.render.endcard import BOLD
from vidgen_core.domain.safe_zones import Zone

TITLE_HEIGHT = 0.075  # the title's cap height, as a share of the frame's short side
SCRIM_ALPHA = 150  # how dark the band behind the title gets at the frame's bottom (0-255)
JPEG_QUALITY = 90
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def _font(text: str, points: int) -> Font:
    return ImageFont.truetype(str(BOLD), points) if BOLD.exists() and text.isascii() else font_for(text, points)


def title_layout(title: str, size: tuple[int, int], zone: Zone) -> tuple[Font, tuple[int, int, int, int]]:
    """The title's font and ink box: centred on the bottom edge of ``zone``, as large as fits its width."""
    width, height = size
    x0, _, x1, y1 = zone.pixels(width, height)
    points = round(TITLE_HEIGHT * min(width, height) / 0.72)
    font = _font(title, points)
    while points > 8 and font.getbbox(title, anchor="ls")[2] - font.getbbox(title, anchor="ls")[0] > x1 - x0:
        points = round(points * 0.92)
        font = _font(title, points)
    left, top, right, bottom = font.getbbox(title, anchor="ls")
    cx = (x0 + x1) / 2
    return font, (
        int(np.ceil(cx - (right - left) / 2)),
        int(np.ceil(y1 - (bottom - top))),
        int(np.floor(cx + (right - left) / 2)),
        int(np.floor(y1)),
    )


def draw_poster(frame: Image.Image, size: tuple[int, int], title: str, zone: Zone, out: Path) -> Path:
    """``frame`` scaled (centre-cropped if its aspect differs) to ``size`` with ``title`` inside ``zone``, as JPEG."""
    width, height = size
    img = ImageOps.fit(frame.convert("RGB"), size, Image.Resampling.LANCZOS)
    if title:
        font, (x0, y0, _, y1) = title_layout(title, size, zone)
        band_top = max(0, y0 - (y1 - y0))
        ramp = np.clip((np.arange(height) - band_top) / max(1, height - band_top), 0, 1) * SCRIM_ALPHA
        shade = Image.fromarray(np.ascontiguousarray(np.repeat(ramp.astype(np.uint8)[:, None], width, axis=1)))
        img.paste(Image.new("RGB", size, (0, 0, 0)), (0, 0), shade)
        left, _, _, bottom = font.getbbox(title, anchor="ls")
        ImageDraw.Draw(img).text((x0 - left, y1 - bottom), title, font=font, fill=(255, 255, 255), anchor="ls")
    img.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return out
