"""Offline storyboard frames drawn with Pillow: the product, the beat's framing and the style, visibly per beat."""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from vidgen_core.adapters.ffmpeg.tools import MediaClock
from vidgen_core.adapters.local.photo import place_photo, product_photo
from vidgen_core.adapters.local.video import beat_maps
from vidgen_core.domain.captions import TITLE_BAND
from vidgen_core.domain.catalog import LOCAL_MODELS, LOCAL_PROVIDER, Aspect, Kind, video_model
from vidgen_core.domain.chunking import clips_for
from vidgen_core.domain.models import Camera, CostLine, Phase, Section, SpecBeat, VideoSpec
from vidgen_core.domain.platforms import safe_zone_for
from vidgen_core.domain.ports import Generated, ImageJob
from vidgen_core.domain.prompt import find_language
from vidgen_core.domain.safe_zones import ACTION_SAFE, Zone

log = logging.getLogger("vidgen.local_image")
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


INK_SPREAD_PX = 4  # how far resampling the storyboard to the clip's size spreads ink (Lanczos), in clip pixels
CALL_TO_ACTION = "AVAILABLE NOW"
CALLS_TO_ACTION = {  # in the prompt's language
    "en": CALL_TO_ACTION,
    "de": "JETZT ERHÄLTLICH",
    "fr": "DISPONIBLE MAINTENANT",
    "es": "YA DISPONIBLE",
    "zh": "现已上市",
}
TITLE_SIZE = 0.16  # the largest product name, as a share of the frame's short side
CTA_SCALE = 0.5  # the call to action's (and a product line's) size, as a share of the name's
CTA_MIN = 0.04  # but no smaller than this share of the short side, unless the name itself is
TEXT_SHARE, TEXT_SHARE_CTA = 0.32, TITLE_BAND  # the most of the safe box's height a title (and call to action) takes
LINE_GAP, BLOCK_GAP = 0.18, 0.45  # gaps between lines and before the call to action, as shares of the name's size
GLOW_SCALE = 4
PRODUCT_MAX_WIDTH = 0.86  # of the width every frame of the beat shows
SHOT_SCALE = {"wide": 0.28, "medium": 0.45, "medium close-up": 0.55, "close-up": 0.68, "extreme close-up": 0.95}


class Box(NamedTuple):
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass(frozen=True)
class Text:
    """One piece of text a frame shows: its role ("name", "product" beneath it, or "cta") and its words."""

    role: str
    text: str


# Pillow's own font draws only ASCII. Text with other letters (ä, é, ñ, 茶) is drawn with the first of these that has
# all its glyphs: DejaVu Sans for Latin, Greek and Cyrillic, a CJK font for Chinese, Japanese and Korean (the Makefile
# installs Debian's fonts-wqy-microhei); text no installed font draws is left off the frame, with a warning.
PILLOW_FONT = "pillow"
FALLBACK_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
)
NOT_A_GLYPH = "\ue000"  # a private-use character no font draws: what a missing glyph looks like in a font


@lru_cache(maxsize=4096)
def _face(text: str) -> str | None:
    """The first font with a glyph for every character of ``text``: Pillow's own, then the installed fallbacks."""
    faces = [PILLOW_FONT, *(str(path) for path in FALLBACK_FONTS if path.exists())]
    found = next((face for face in faces if _covers(face, text)), None)
    if found is None:
        log.warning("no installed font draws %r; it is left off the frame (install fonts-wqy-microhei)", text)
    return found


def _covers(face: str, text: str) -> bool:
    font = _font(32, face)
    missing = _mask(font, NOT_A_GLYPH)
    return all(ch.isspace() or _mask(font, ch) != missing for ch in set(text))


def _mask(font: ImageFont.FreeTypeFont | ImageFont.ImageFont, text: str) -> tuple[tuple[int, int], bytes]:
    mask = font.getmask(text)
    return mask.size, bytes(mask)


def luma(color: Color) -> float:
    return 0.2126 * color[0] + 0.7152 * color[1] + 0.0722 * color[2]


def _pill(accent: Color, sky: Color) -> Color:
    """The call to action's colour: the accent, darkened where it would melt into the sky behind it."""
    if abs(luma(accent) - luma(sky)) > 60:
        return accent
    return (int(accent[0] * 0.45), int(accent[1] * 0.45), int(accent[2] * 0.45))


@lru_cache(maxsize=256)
def _font(size: int, face: str = PILLOW_FONT) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size) if face == PILLOW_FONT else ImageFont.truetype(face, size)


def font_for(text: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return _font(size, _face(text) or PILLOW_FONT)


def _drawable(text: str) -> bool:
    return _face(text) is not None


def texts(spec: VideoSpec, beat: SpecBeat) -> list[Text]:
    """The words a beat's frame shows: the name (the brand, with the product beneath it; or the product alone) on
    the opening; name and call to action (in the script's language) on the closing. Words no installed font can
    draw are left off."""
    name, below = (spec.brand, spec.product) if spec.brand else (spec.product, "")
    title = [Text("name", name.upper())] if name and _drawable(name) else []
    if title and below and _drawable(below):
        title.append(Text("product", below))
    if beat.section is Section.OPENING:
        return title
    if beat.section is Section.CLOSING:
        # the script's language; a plan stored before scripts had one draws the prompt's, as it did then
        said = spec.language if "language" in spec.model_fields_set else find_language(spec.prompt)
        action = CALLS_TO_ACTION.get(said, CALL_TO_ACTION)
        return [*title, Text("cta", action if _drawable(action) else CALL_TO_ACTION)]
    return []


def safe_box(spec: VideoSpec, beat: SpecBeat, width: int, height: int, zone: Zone | None = None) -> Box:
    """The box of a ``width`` x ``height`` storyboard frame that stays inside ``zone`` of every frame the local
    video renderer makes from it (by default the spec's safe zone for text, ``platforms.safe_zone_for``): through
    each of the beat's clips, whose camera moves compound."""
    w, h = video_model(spec.video_model).size(spec.aspect_ratio)
    kept = zone or safe_zone_for(spec, w, h)
    return _safe_box(spec.video_model, spec.aspect_ratio, beat.camera, beat.duration_s, width, height, kept)


@lru_cache(maxsize=256)
def _safe_box(
    model_name: str, aspect: Aspect, camera: Camera, duration_s: int, width: int, height: int, zone: Zone
) -> Box:
    model = video_model(model_name)
    w, h = model.size(aspect)
    clips = clips_for(duration_s, tuple(sorted(set(model.clip_durations_s))))
    x0, y0, x1, y1 = zone.pixels(w, h)
    corners = np.array([[x0, y0, 1], [x1, y0, 1], [x1, y1, 1], [x0, y1, 1]])
    region = [(0.0, 0.0), (float(w), 0.0), (float(w), float(h)), (0.0, float(h))]
    for matrix in beat_maps(camera, clips, model.fps, w, h):
        region = _intersect(region, [(float(x), float(y)) for x, y in (corners @ matrix.T)[:, :2]])
    spread = INK_SPREAD_PX + len(clips)  # and each clip's bilinear warp a pixel more
    x0, y0, x1, y1 = _inscribed(region)
    x0, y0, x1, y1 = x0 + spread, y0 + spread, x1 - spread, y1 - spread
    # ImageOps.fit maps the storyboard onto the clip's frame: a centred crop of the clip's aspect, then a resize
    crop_w, crop_h = min(width, height * w / h), min(height, width * h / w)
    ox, oy, sx, sy = (width - crop_w) / 2, (height - crop_h) / 2, crop_w / w, crop_h / h
    return Box(ox + x0 * sx, oy + y0 * sy, ox + x1 * sx, oy + y1 * sy)


Point = tuple[float, float]


def _intersect(subject: list[Point], clip: list[Point]) -> list[Point]:
    """The intersection of two convex polygons (Sutherland-Hodgman)."""
    area = sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(clip, clip[1:] + clip[:1], strict=True))
    sign = 1.0 if area > 0 else -1.0

    def side(a: Point, b: Point, p: Point) -> float:
        return sign * ((b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]))

    out = subject
    for a, b in zip(clip, clip[1:] + clip[:1], strict=True):
        points, out = out, []
        for p, q in zip(points, points[1:] + points[:1], strict=True):
            sp, sq = side(a, b, p), side(a, b, q)
            if sp >= 0:
                out.append(p)
            if (sp >= 0) != (sq >= 0):
                t = sp / (sp - sq)
                out.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
        if not out:
            raise ValueError("the camera leaves no part of the frame always in view")
    return out


def _inscribed(polygon: list[Point]) -> Box:
    """A large axis-aligned box inside a convex polygon: its bounding box shrunk towards its centre until it fits."""
    xs, ys = [p[0] for p in polygon], [p[1] for p in polygon]
    bounds = (min(xs), min(ys), max(xs), max(ys))
    edges = list(zip(polygon, polygon[1:] + polygon[:1], strict=True))
    area = sum(a[0] * b[1] - b[0] * a[1] for a, b in edges)
    # the area's centroid: the mean of the vertices leans towards where the clipping left many of them
    cx = sum((a[0] + b[0]) * (a[0] * b[1] - b[0] * a[1]) for a, b in edges) / (3 * area)
    cy = sum((a[1] + b[1]) * (a[0] * b[1] - b[0] * a[1]) for a, b in edges) / (3 * area)

    def box(t: float) -> Box:
        return Box(
            cx + t * (bounds[0] - cx), cy + t * (bounds[1] - cy), cx + t * (bounds[2] - cx), cy + t * (bounds[3] - cy)
        )

    def inside(b: Box) -> bool:
        return all(
            area * ((q[0] - p[0]) * (y - p[1]) - (q[1] - p[1]) * (x - p[0])) >= 0
            for x, y in ((b.x0, b.y0), (b.x1, b.y0), (b.x1, b.y1), (b.x0, b.y1))
            for p, q in edges
        )

    low, high = 0.0, 1.0
    if inside(box(high)):
        return box(high)
    for _ in range(30):
        mid = (low + high) / 2
        low, high = (mid, high) if inside(box(mid)) else (low, mid)
    return box(low)


def _wrap(words: list[str], lines: int) -> list[list[str]]:
    """Every way to break ``words`` into ``lines`` non-empty lines, in order."""
    if lines == 1:
        return [[" ".join(words)]]
    return [
        [" ".join(words[:cut]), *rest]
        for cut in range(1, len(words) - lines + 2)
        for rest in _wrap(words[cut:], lines - 1)
    ]


@dataclass(frozen=True)
class Line:
    text: str
    size: int
    y: float  # top of the line's ink box
    role: str


@dataclass(frozen=True)
class Layout:
    """Where a frame's text goes: lines centred in the safe box, the call to action on a button."""

    lines: list[Line]
    cx: float
    bottom: float

    def draw(self, draw: ImageDraw.ImageDraw, pill: Color) -> None:
        for line in self.lines:
            font, stroke = font_for(line.text, line.size), _stroke(line.size)
            if line.role == "cta":
                x0, y0, x1, y1 = _ink(line.text, line.size, 0)
                pad = _pad(line.size)
                top = line.y
                draw.rounded_rectangle(
                    (
                        self.cx - (x1 - x0) / 2 - pad[0],
                        top,
                        self.cx + (x1 - x0) / 2 + pad[0],
                        top + y1 - y0 + 2 * pad[1],
                    ),
                    radius=pad[1] + (y1 - y0) / 2,
                    fill=pill,
                    outline=(0, 0, 0),
                    width=stroke,
                )
                ink = (16, 16, 16) if luma(pill) > 140 else (255, 255, 255)  # readable on a light or a dark pill
                draw.text((self.cx - (x1 - x0) / 2 - x0, top + pad[1] - y0), line.text, font=font, fill=ink)
            else:
                x0, y0, x1, y1 = _ink(line.text, line.size, stroke)
                draw.text(
                    (self.cx - (x1 - x0) / 2 - x0, line.y - y0),
                    line.text,
                    font=font,
                    fill=(255, 255, 255),
                    stroke_width=stroke,
                    stroke_fill=(0, 0, 0),
                )


def _stroke(size: int) -> int:
    return max(1, size // 14)


def _pad(size: int) -> tuple[int, int]:
    return max(2, round(0.6 * size)), max(2, round(0.3 * size))


@lru_cache(maxsize=4096)
def _ink(text: str, size: int, stroke: int) -> tuple[float, float, float, float]:
    """The ink box of ``text`` drawn at the origin (left, ascender) with an outline of ``stroke``."""
    return font_for(text, size).getbbox(text, anchor="la", stroke_width=stroke)  # type: ignore[call-arg]


def _layout(items: list[Text], box: Box, short_side: int) -> Layout | None:
    """The largest text, wrapped to at most three lines, whose block fits the top of ``box``; None without text."""
    if not items:
        return None
    max_h = (TEXT_SHARE_CTA if len(items) > 1 else TEXT_SHARE) * (box.y1 - box.y0)
    width = box.x1 - box.x0

    def fit(size: int) -> tuple[list[Line], float] | None:
        for lines in _candidates(items, size, short_side):
            height = lines[-1].y + _extent(lines[-1])[1]
            if height <= max_h and max(_extent(line)[0] for line in lines) <= width:
                return lines, height
        return None

    low, high = 1, max(2, round(short_side * TITLE_SIZE))  # the largest size that fits, by bisection
    while low < high:
        mid = (low + high + 1) // 2
        low, high = (mid, high) if fit(mid) else (low, mid - 1)
    best = fit(low)
    if best is None:
        raise ValueError(f"no text size fits {box}")
    lines, height = best
    placed = [Line(line.text, line.size, box.y0 + line.y, line.role) for line in lines]
    return Layout(placed, (box.x0 + box.x1) / 2, box.y0 + height)


def _candidates(items: list[Text], size: int, short_side: int) -> list[list[Line]]:
    """Ways to set ``items`` with the name (the first) at ``size`` (on one, two or three lines): fewest lines
    first; the lines after it (the product, the call to action) at a smaller size."""
    name = items[0]
    words = name.text.split()
    options: list[list[Line]] = []
    for count in range(1, min(3, len(words)) + 1):
        wrapped = min(_wrap(words, count), key=lambda ls: max(_ink(t, size, _stroke(size))[2] for t in ls))
        lines, y = [], 0.0
        for text in wrapped:
            line = Line(text, size, y, name.role)
            lines.append(line)
            y += _extent(line)[1] + LINE_GAP * size
        for item in items[1:]:  # the product right below the name; the call to action a block further down
            small = max(4, round(size * CTA_SCALE), min(size, round(short_side * CTA_MIN)))
            y += (BLOCK_GAP - LINE_GAP) * size if item.role == "cta" else 0.0
            line = Line(item.text, small, y, item.role)
            lines.append(line)
            y += _extent(line)[1] + LINE_GAP * size
        options.append(lines)
    return options


def _extent(line: Line) -> tuple[float, float]:
    """Width and height a line takes: its ink and outline, and for the call to action its button."""
    cta = line.role == "cta"
    x0, y0, x1, y1 = _ink(line.text, line.size, 0 if cta else _stroke(line.size))
    pad_x, pad_y = _pad(line.size) if cta else (0, 0)
    return x1 - x0 + 2 * pad_x, y1 - y0 + 2 * pad_y


def _gradient(size: tuple[int, int], top: Color, bottom: Color) -> Image.Image:
    t = np.linspace(0.0, 1.0, size[1])[:, None]
    column = np.round(np.array(top) + (np.array(bottom) - np.array(top)) * t).astype(np.uint8)
    return Image.fromarray(np.ascontiguousarray(np.broadcast_to(column[:, None, :], (size[1], size[0], 3))))


def _product(
    draw: ImageDraw.ImageDraw,
    category: str,
    box: tuple[float, float, float, float],
    body: Color,
    accent: Color,
) -> None:
    """A stylised product silhouette for the category."""
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


def _product_box(job: ImageJob, layout: Layout | None, horizon: float, rng: random.Random) -> Box:
    """Where the product stands: sized by the shot, below any text, and whole in every frame of the beat's camera
    move (only an extreme close-up may fill the frame and be cut by it)."""
    spec, beat, width, height = job.spec, job.beat, job.width, job.height
    view = (
        Box(0.0, 0.0, float(width), float(height))
        if beat.shot_type == "extreme close-up"
        else safe_box(spec, beat, width, height, ACTION_SAFE)
    )
    scale = SHOT_SCALE.get(beat.shot_type, 0.45) * min(width, height)
    pw = scale * (1.6 if spec.category in ("footwear", "automotive") else 0.8)
    fit = min(1.0, PRODUCT_MAX_WIDTH * (view.x1 - view.x0) / pw, (view.y1 - view.y0) / scale)
    scale, pw = scale * fit, pw * fit  # a wide product in a narrow frame: whole, not cut by the edges
    px = width * (0.5 + rng.uniform(-0.12, 0.12))
    px = min(max(px, view.x0 + pw / 2), view.x1 - pw / 2)
    if beat.shot_type == "wide":
        py = horizon - 0.05 * height
    else:
        upper = max(0.12 * height, 0.5 * height - scale / 2) if layout is None else layout.bottom + 0.04 * height
        py = min(height * 0.97, scale + upper)  # near the middle, or below the text
    py = min(py, view.y1)
    top = view.y0 if layout is None else max(view.y0, layout.bottom + 0.02 * height)
    if py - scale < top:  # below the text where it can stand, and never above what the camera shows
        fitted = min(max(py - top, 0.5 * scale), py - view.y0)
        pw, scale = pw * fitted / scale, fitted
    return Box(px - pw / 2, py - scale, px + pw / 2, py)


def _floor_grid(draw: ImageDraw.ImageDraw, width: int, height: int, horizon: float, accent: Color) -> None:
    """Lines on the floor converging to the vanishing point."""
    for k in range(-12, 13):
        draw.line(
            [(width / 2 + k * width * 0.02, horizon), (width / 2 + k * width * 0.25, height)],
            fill=(*accent, 70),
            width=2,
        )
    for k in range(1, 7):
        y = horizon + (height - horizon) * (k / 7) ** 1.6
        draw.line([(0, y), (width, y)], fill=(*accent, 50), width=1)


def draw_frame(job: ImageJob, text: bool = True, product: bool = True, scenery: bool = True) -> Image.Image:
    """Draw one storyboard frame for a beat of a spec; ``text=False``, ``product=False`` or ``scenery=False``
    leaves out its text, its product or its bokeh and floor grid (and nothing else). The product is the uploaded
    photo where the job has one, else a shape drawn for the category."""
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
    small = (max(1, width // GLOW_SCALE), max(1, height // GLOW_SCALE))  # a soft light, blurred at low resolution
    glow = Image.new("L", small, 0)
    gdraw = ImageDraw.Draw(glow)
    gx, gy = small[0] * rng.uniform(0.3, 0.7), small[1] * rng.uniform(0.3, 0.55)
    r = 0.45 * min(small)
    gdraw.ellipse((gx - r, gy - r, gx + r, gy + r), fill=170)
    glow = glow.filter(ImageFilter.GaussianBlur(r / 3)).resize((width, height), Image.Resampling.BILINEAR)
    img.paste(Image.new("RGB", (width, height), accent), (0, 0), glow)
    overlay = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    odraw = ImageDraw.Draw(overlay)
    for _ in range(28):  # bokeh: texture that makes camera motion visible (drawn or not, the same random draws)
        br = rng.uniform(0.01, 0.06) * min(width, height)
        bx, by = rng.uniform(0, width), rng.uniform(0, height * 0.75)
        fill = (*accent, rng.randint(25, 90))
        if scenery:
            odraw.ellipse((bx - br, by - br, bx + br, by + br), fill=fill)
    horizon = height * (0.62 if beat.shot_type == "wide" else 0.75)
    odraw.rectangle((0, horizon, width, height), fill=(*bottom, 200))
    if scenery:
        _floor_grid(odraw, width, height, horizon, accent)
    img = Image.alpha_composite(img.convert("RGBA"), overlay)
    draw = ImageDraw.Draw(img)
    lines = texts(spec, beat)
    layout = _layout(lines, safe_box(spec, beat, width, height), min(width, height))
    box = _product_box(job, layout, horizon, rng)
    if product and job.product_photo is not None:
        place_photo(img, product_photo(job.product_photo), box)
    elif product:
        _product(draw, spec.category, box, tuple(min(255, c + 40) for c in bottom), accent)
    if layout is not None and text:
        layout.draw(draw, _pill(accent, top))
    return img.convert("RGB")


class LocalImageGenerator:
    """Draws storyboard frames offline; free and deterministic."""

    provider = LOCAL_PROVIDER

    def uses_photo(self, model: str, beat: SpecBeat) -> bool:
        """Every frame shows the product, so every frame shows the photo (whichever model it imitates)."""
        return True

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
