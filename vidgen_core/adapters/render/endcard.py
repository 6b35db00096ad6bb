"""The end card: the ad's last still (logo or wordmark, and the call to action) at the master's size, drawn with Pillow.

Every mark stays inside the spec's safe zone (``platforms.safe_zone_for``): title-safe, cut to the interface-free
part of every platform the ad is made for.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

from vidgen_core.adapters.local.image import PALETTES, Box, Color, font_for, luma
from vidgen_core.adapters.local.photo import product_photo
from vidgen_core.domain.models import VideoSpec
from vidgen_core.domain.platforms import safe_zone_for

DEFAULT_CTA = "Available now"
LOGO_CONTRAST = 60  # luma difference under which a logo gets a plate
PLATE, PLATE_PAD = (245, 245, 245), 0.03  # the plate's colour, and its margin as a share of the short side
LOGO_BOX = (0.62, 0.36)  # the logo's largest width and height, as shares of the safe box's
LOGO_WIDTH_VERTICAL = 0.9  # a vertical frame's safe box is narrow: a wide logo may take more of it
WORDMARK_HEIGHT = 0.16  # the wordmark's largest cap height, as a share of the frame's short side
CTA_HEIGHT = 0.055  # the call to action's text height, as a share of the short side
TRACKING = 0.08  # letter spacing of the wordmark, as a share of its size
BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")  # Debian's fonts-dejavu-core


def safe_box(spec: VideoSpec, width: int, height: int) -> Box:
    """Where marks may go on the spec's card: its safe zone, in pixels."""
    return Box(*safe_zone_for(spec, width, height).pixels(width, height))


def _palette(style: str) -> tuple[Color, Color, Color]:
    """Background top, background bottom and accent: the style's palette, darkened so the marks stand out."""
    top, bottom, accent = PALETTES.get(style, PALETTES["cinematic"])
    dark = tuple(int(c * 0.35) for c in top)
    deeper = tuple(int(c * 0.18) for c in bottom)
    return dark, deeper, accent  # type: ignore[return-value]


def _background(width: int, height: int, top: Color, bottom: Color, accent: Color) -> Image.Image:
    """A vertical gradient with a soft light of the accent behind the logo."""
    t = np.linspace(0.0, 1.0, height)[:, None]
    column = np.round(np.array(top) + (np.array(bottom) - np.array(top)) * t).astype(np.uint8)
    img = Image.fromarray(np.ascontiguousarray(np.broadcast_to(column[:, None, :], (height, width, 3))))
    small = (max(1, width // 8), max(1, height // 8))
    glow = Image.new("L", small, 0)
    r = 0.32 * min(small)
    cx, cy = small[0] / 2, small[1] * 0.42
    ImageDraw.Draw(glow).ellipse((cx - r, cy - r, cx + r, cy + r), fill=90)
    glow = glow.filter(ImageFilter.GaussianBlur(r / 2)).resize((width, height), Image.Resampling.BILINEAR)
    img.paste(Image.new("RGB", (width, height), accent), (0, 0), glow)
    return img


def _fit_logo(logo: Image.Image, box: Box) -> tuple[Image.Image, tuple[int, int]]:
    """The logo scaled to fit ``box`` (never cropped), and where its top left goes to be centred in it."""
    rgba = ImageOps.exif_transpose(logo).convert("RGBA")
    scale = min((box.x1 - box.x0) / rgba.width, (box.y1 - box.y0) / rgba.height)
    size = (max(1, round(rgba.width * scale)), max(1, round(rgba.height * scale)))
    fitted = rgba.resize(size, Image.Resampling.LANCZOS)
    return fitted, (round((box.x0 + box.x1 - size[0]) / 2), round((box.y0 + box.y1 - size[1]) / 2))


def _plate_if_faint(img: Image.Image, logo: Image.Image, at: tuple[int, int], short_side: int) -> None:
    """A light rounded plate behind a logo that would vanish on the card (a dark logo on the dark gradient)."""
    opaque = np.asarray(logo.getchannel("A")) > 127
    if not opaque.any():
        return
    ink = np.asarray(logo.convert("RGB"))[opaque].mean(axis=0)
    area = (at[0], at[1], at[0] + logo.width, at[1] + logo.height)
    under = np.asarray(img.crop(area).convert("RGB")).reshape(-1, 3).mean(axis=0)
    if abs(luma(tuple(ink)) - luma(tuple(under))) >= LOGO_CONTRAST:
        return
    pad = round(PLATE_PAD * short_side)
    plate = (area[0] - pad, area[1] - pad, area[2] + pad, area[3] + pad)
    ImageDraw.Draw(img).rounded_rectangle(plate, radius=pad, fill=PLATE)


def _bold(text: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A bold face for a wordmark where one draws the text, else the storyboard's font for it."""
    return ImageFont.truetype(str(BOLD), size) if BOLD.exists() and text.isascii() else font_for(text, size)


def _tracked_width(font: ImageFont.FreeTypeFont | ImageFont.ImageFont, text: str, size: int) -> float:
    return sum(font.getlength(ch) for ch in text) + TRACKING * size * (len(text) - 1)


def _wordmark(draw: ImageDraw.ImageDraw, text: str, box: Box, short_side: int) -> float:
    """The name in spaced capitals, as large as fits the box; returns the bottom of its ink."""
    size = round(WORDMARK_HEIGHT * short_side / 0.72)  # a cap height of WORDMARK_HEIGHT
    while size > 8 and _tracked_width(_bold(text, size), text, size) > box.x1 - box.x0:
        size = round(size * 0.92)
    font = _bold(text, size)
    _, top, _, bottom = font.getbbox(text, anchor="ls")
    baseline = (box.y0 + box.y1) / 2 - (top + bottom) / 2
    x = (box.x0 + box.x1 - _tracked_width(font, text, size)) / 2
    for ch in text:
        draw.text((x, baseline), ch, font=font, fill=(255, 255, 255), anchor="ls")
        x += font.getlength(ch) + TRACKING * size
    return baseline + bottom


def _cta(
    draw: ImageDraw.ImageDraw, text: str, cx: float, top: float, width: float, short_side: int, pill: Color
) -> None:
    """The call to action on a rounded button, centred on ``cx`` below ``top``, no wider than ``width``."""
    size = round(CTA_HEIGHT * short_side / 0.72)
    while size > 8:
        font = font_for(text, size)
        x0, y0, x1, y1 = font.getbbox(text, anchor="ls")
        pad_x, pad_y = 0.9 * size, 0.45 * size
        if x1 - x0 + 2 * pad_x <= width:
            break
        size = round(size * 0.92)
    button = (cx - (x1 - x0) / 2 - pad_x, top, cx + (x1 - x0) / 2 + pad_x, top + (y1 - y0) + 2 * pad_y)
    draw.rounded_rectangle(button, radius=(button[3] - button[1]) / 2, fill=pill)
    ink = (16, 16, 16) if luma(pill) > 140 else (255, 255, 255)
    draw.text((cx - (x1 - x0) / 2 - x0, top + pad_y - y0), text, font=font, fill=ink, anchor="ls")


def render_end_card(spec: VideoSpec, size: tuple[int, int], out: Path, logo: Path | None = None) -> Path:
    """Draw the end card at ``size`` into ``out`` (PNG): the logo (or the brand as a wordmark) in the upper middle,
    the call to action below it, on the style's colours."""
    width, height = size
    top, bottom, accent = _palette(spec.style)
    img = _background(width, height, top, bottom, accent)
    draw = ImageDraw.Draw(img)
    safe = safe_box(spec, width, height)
    short = min(width, height)
    sw, sh = safe.x1 - safe.x0, safe.y1 - safe.y0
    cx = (safe.x0 + safe.x1) / 2
    logo_w = LOGO_WIDTH_VERTICAL if height > width else LOGO_BOX[0]
    mark = Box(cx - logo_w * sw / 2, safe.y0 + 0.16 * sh, cx + logo_w * sw / 2, safe.y0 + (0.16 + LOGO_BOX[1]) * sh)
    if logo is not None:
        fitted, at = _fit_logo(product_photo(logo).image, mark)  # a plain backdrop (a JPEG's white) cut away
        _plate_if_faint(img, fitted, at, short)
        img.paste(fitted, at, fitted)
        mark_bottom = at[1] + fitted.height
    else:
        name = (spec.brand or spec.name or spec.title).upper()
        mark_bottom = _wordmark(draw, name, mark, short)
    rule_y = mark_bottom + 0.05 * sh
    draw.line((cx - 0.06 * sw, rule_y, cx + 0.06 * sw, rule_y), fill=accent, width=max(2, short // 270))
    _cta(draw, spec.call_to_action or DEFAULT_CTA, cx, rule_y + 0.06 * sh, sw, short, accent)
    img.save(out, format="PNG")
    return out
