"""Offline storyboard frames drawn with Pillow: the product, the beat's framing and the style, visibly per beat."""

from __future__ import annotations

import random
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from vidgen_core.catalog import LOCAL_MODELS, LOCAL_PROVIDER, Kind
from vidgen_core.media.tools import MediaClock
from vidgen_core.models import CostLine, Phase, Section
from vidgen_core.providers.ports import Generated, ImageJob

Color = tuple[int, int, int]
PALETTES: dict[str, tuple[Color, Color, Color]] = {  # sky top, sky bottom, accent
    "cinematic": ((18, 24, 48), (196, 112, 64), (255, 196, 120)),
    "minimalist": ((236, 238, 242), (196, 202, 212), (40, 44, 52)),
    "energetic": ((20, 8, 40), (232, 56, 72), (255, 220, 0)),
    "luxury": ((12, 12, 14), (74, 60, 40), (212, 175, 55)),
    "playful": ((64, 196, 255), (255, 150, 200), (255, 240, 80)),
    "retro": ((40, 20, 70), (250, 120, 60), (80, 230, 210)),
    "futuristic": ((4, 8, 24), (20, 60, 120), (0, 255, 220)),
    "warm": ((250, 200, 140), (180, 90, 60), (255, 245, 220)),
}
SHOT_SCALE = {"wide": 0.28, "medium": 0.45, "medium close-up": 0.55, "close-up": 0.68, "extreme close-up": 0.95}


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _fitted(draw: ImageDraw.ImageDraw, text: str, max_width: float, size: int) -> ImageFont.ImageFont:
    """The largest font up to ``size`` in which ``text`` fits ``max_width``."""
    while size > 10 and draw.textlength(text, font=_font(size)) > max_width:
        size = int(size * 0.9)
    return _font(size)


def _gradient(size: tuple[int, int], top: Color, bottom: Color) -> Image.Image:
    column = Image.new("RGB", (1, 256))
    for y in range(256):
        t = y / 255
        column.putpixel((0, y), tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)))
    return column.resize(size, Image.Resampling.BICUBIC)


def _product(
    draw: ImageDraw.ImageDraw,
    category: str,
    box: tuple[float, float, float, float],
    body: Color,
    accent: Color,
    label: str,
) -> None:
    """A stylised product silhouette for the category, with its name on it."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    dark = tuple(max(c - 70, 0) for c in body)
    if category == "footwear":
        draw.rounded_rectangle((x0, y0 + 0.7 * h, x1, y1), radius=0.1 * h, fill=(245, 245, 245))
        draw.polygon(
            [
                (x0 + 0.02 * w, y0 + 0.65 * h),
                (x0 + 0.15 * w, y0 + 0.2 * h),
                (x0 + 0.45 * w, y0),
                (x0 + 0.6 * w, y0 + 0.3 * h),
                (x1 - 0.05 * w, y0 + 0.45 * h),
                (x1, y0 + 0.74 * h),
            ],
            fill=body,
        )
        draw.line(
            [(x0 + 0.25 * w, y0 + 0.55 * h), (x0 + 0.55 * w, y0 + 0.2 * h), (x1 - 0.15 * w, y0 + 0.5 * h)],
            fill=accent,
            width=max(2, int(0.05 * h)),
        )
    elif category in ("beverage", "beauty"):
        neck = 0.18 * w
        draw.rounded_rectangle((x0 + 0.3 * w, y0, x1 - 0.3 * w, y0 + 0.3 * h), radius=neck / 3, fill=dark)
        draw.rounded_rectangle((x0 + 0.1 * w, y0 + 0.22 * h, x1 - 0.1 * w, y1), radius=0.2 * w, fill=body)
        draw.rectangle((x0 + 0.1 * w, y0 + 0.5 * h, x1 - 0.1 * w, y0 + 0.72 * h), fill=accent)
    elif category == "tech":
        draw.rounded_rectangle((x0 + 0.2 * w, y0, x1 - 0.2 * w, y1), radius=0.08 * w, fill=(24, 24, 28))
        draw.rounded_rectangle((x0 + 0.24 * w, y0 + 0.04 * h, x1 - 0.24 * w, y1 - 0.04 * h), radius=0.05 * w, fill=body)
        draw.ellipse((x0 + 0.42 * w, y0 + 0.35 * h, x1 - 0.42 * w, y0 + 0.35 * h + 0.16 * w), fill=accent)
    elif category == "automotive":
        draw.rounded_rectangle((x0, y0 + 0.4 * h, x1, y0 + 0.8 * h), radius=0.1 * h, fill=body)
        draw.polygon(
            [
                (x0 + 0.2 * w, y0 + 0.42 * h),
                (x0 + 0.35 * w, y0 + 0.1 * h),
                (x1 - 0.3 * w, y0 + 0.1 * h),
                (x1 - 0.15 * w, y0 + 0.42 * h),
            ],
            fill=dark,
        )
        for cx in (x0 + 0.22 * w, x1 - 0.22 * w):
            draw.ellipse(
                (cx - 0.1 * w, y0 + 0.65 * h, cx + 0.1 * w, y0 + 0.65 * h + 0.2 * w),
                fill=(20, 20, 20),
                outline=accent,
                width=max(2, int(0.02 * w)),
            )
    else:
        draw.rounded_rectangle((x0 + 0.1 * w, y0 + 0.1 * h, x1 - 0.1 * w, y1), radius=0.08 * w, fill=body)
        draw.polygon(
            [(x0 + 0.1 * w, y0 + 0.1 * h), (x0 + 0.3 * w, y0), (x1, y0), (x1 - 0.1 * w, y0 + 0.1 * h)], fill=dark
        )
        draw.rectangle((x0 + 0.1 * w, y0 + 0.45 * h, x1 - 0.1 * w, y0 + 0.6 * h), fill=accent)
    name = label.upper()
    font = _fitted(draw, name, 0.95 * w, max(10, int(min(0.14 * w, 0.12 * h))))
    draw.text(
        ((x0 + x1) / 2, y0 + 0.86 * h),
        name,
        font=font,
        fill=(255, 255, 255),
        anchor="mm",
        stroke_width=max(1, font.size // 12),
        stroke_fill=(0, 0, 0),
    )


def draw_frame(job: ImageJob) -> Image.Image:
    """Draw one storyboard frame for a beat of a spec."""
    spec, beat = job.spec, job.beat
    width, height = job.width, job.height
    rng = random.Random(job.seed)
    top, bottom, accent = PALETTES.get(spec.style, PALETTES["cinematic"])
    if beat.take:  # a new take is a new picture, as a real model's would be: another light and accent
        turn = rng.randint(1, 2)
        accent = accent[turn:] + accent[:turn]  # type: ignore[assignment]
        top = tuple(min(255, max(0, c + rng.randint(-60, 60))) for c in top)  # type: ignore[assignment]
    shift = (beat.index * 37) % 60 - 30  # each beat gets its own light
    top = tuple(min(255, max(0, c + shift)) for c in top)  # type: ignore[assignment]
    img = _gradient((width, height), top, bottom)
    glow = Image.new("L", (width, height), 0)
    gdraw = ImageDraw.Draw(glow)
    gx, gy = width * rng.uniform(0.3, 0.7), height * rng.uniform(0.3, 0.55)
    r = 0.45 * min(width, height)
    gdraw.ellipse((gx - r, gy - r, gx + r, gy + r), fill=170)
    img.paste(Image.new("RGB", (width, height), accent), (0, 0), glow.filter(ImageFilter.GaussianBlur(r / 3)))
    overlay = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    odraw = ImageDraw.Draw(overlay)
    for _ in range(28):  # bokeh: texture that makes camera motion visible
        br = rng.uniform(0.01, 0.06) * min(width, height)
        bx, by = rng.uniform(0, width), rng.uniform(0, height * 0.75)
        odraw.ellipse((bx - br, by - br, bx + br, by + br), fill=(*accent, rng.randint(25, 90)))
    horizon = height * (0.62 if beat.shot_type == "wide" else 0.75)
    odraw.rectangle((0, horizon, width, height), fill=(*bottom, 200))
    for k in range(-12, 13):  # floor grid converging to the vanishing point
        odraw.line(
            [(width / 2 + k * width * 0.02, horizon), (width / 2 + k * width * 0.25, height)],
            fill=(*accent, 70),
            width=2,
        )
    for k in range(1, 7):
        y = horizon + (height - horizon) * (k / 7) ** 1.6
        odraw.line([(0, y), (width, y)], fill=(*accent, 50), width=1)
    img = Image.alpha_composite(img.convert("RGBA"), overlay)
    draw = ImageDraw.Draw(img)
    scale = SHOT_SCALE.get(beat.shot_type, 0.45) * min(width, height)
    pw = scale * (1.6 if spec.category in ("footwear", "automotive") else 0.8)
    px = width * (0.5 + rng.uniform(-0.12, 0.12))
    headroom = 0.3 if beat.section in (Section.OPENING, Section.CLOSING) else 0.12  # room for the title
    py = horizon - 0.05 * height if beat.shot_type == "wide" else min(height * 0.97, scale + headroom * height)
    body = tuple(min(255, c + 40) for c in bottom)
    _product(draw, spec.category, (px - pw / 2, py - scale, px + pw / 2, py), body, accent, spec.product)
    caption = f"BEAT {beat.index + 1} · {beat.name.upper()} · {beat.shot_type} · {beat.camera.value}"
    second = f"{spec.style} style · {spec.music_mood} music"
    if beat.take:
        caption, second = f"{caption} · TAKE {beat.take}", job.prompt[:90]
    small = _fitted(draw, caption, 0.94 * width, max(12, min(width, height) // 24))
    for line, text in enumerate((caption, second)):
        draw.text(
            (width * 0.03, height * 0.03 + line * small.size * 1.3),
            text,
            font=small,
            fill=(255, 255, 255),
            stroke_width=2,
            stroke_fill=(0, 0, 0),
        )
    if beat.section in (Section.OPENING, Section.CLOSING):
        text = spec.product.upper() if beat.section is Section.OPENING else "AVAILABLE NOW"
        big = _fitted(draw, text[:28], 0.9 * width, max(18, height // 9))
        draw.text(
            (width / 2, height * 0.2),
            text[:28],
            font=big,
            anchor="mm",
            fill=(255, 255, 255),
            stroke_width=max(2, height // 180),
            stroke_fill=(0, 0, 0),
        )
    return img.convert("RGB")


class LocalImageGenerator:
    """Draws storyboard frames offline; free and deterministic."""

    provider = LOCAL_PROVIDER

    def generate(self, job: ImageJob, out: Path) -> Generated:
        start = time.perf_counter()
        draw_frame(job).save(out, format="PNG", compress_level=1)
        MediaClock.add(time.perf_counter() - start)
        model = LOCAL_MODELS[Kind.IMAGE]
        cost = CostLine(
            phase=Phase.STORYBOARD,
            provider=self.provider,
            model=model,
            item=f"beat_{job.beat.index:02d}",
            quantity=1,
            unit="image",
            usd=0.0,
        )
        return Generated(path=out, provider=self.provider, model=model, costs=[cost])
