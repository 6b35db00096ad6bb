"""Caption files: SRT and WebVTT sidecars for players and platforms, and an ASS script for burning them in with
libass (ffmpeg's ``ass`` filter), with the headlines.

The ASS script's coordinates are the frame's pixels (``PlayResX``/``PlayResY`` = its size), so its margins put the
captions' box on the bottom edge of the safe zone and the headlines' on its top edge, exactly. Lines are broken by
the cues (``WrapStyle: 2``, libass never re-wraps); a line wider than the room (capitals, a long word) is drawn smaller.
"""

from __future__ import annotations

import colorsys
import math
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

from vidgen_core.adapters.local.image import PALETTES, Color
from vidgen_core.adapters.render.endcard import BOLD
from vidgen_core.domain.captions import (
    BOX_PAD,
    CAPTION_SIZE,
    HEADLINE_SIZE,
    Cue,
    Headline,
    cues,
    font_px,
    headlines,
)
from vidgen_core.domain.models import Captions, CaptionStyle, VideoSpec, Voiceover
from vidgen_core.domain.platforms import safe_zone_for

FONT = BOLD  # the end card's face: DejaVu Sans Bold (Debian's fonts-dejavu-core), given to libass as its fontsdir
OUTLINE, SHADOW = 0.07, 0.04  # the outline style's stroke and drop shadow, as shares of the font size
WHITE, BLACK = (255, 255, 255), (0, 0, 0)
HALF = 0x80  # ASS alpha: half transparent (the outline style's shadow)
ZERO_WIDTH = "\u200b"


def _clock(seconds: float, point: str) -> str:
    """``HH:MM:SS<point>mmm``: SRT's (comma) and WebVTT's (full stop) timestamps."""
    ms = round(seconds * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}{point}{ms % 1000:03d}"


def _ass_clock(seconds: float) -> str:
    """``H:MM:SS.cc``: ASS counts centiseconds."""
    cs = round(seconds * 100)
    return f"{cs // 360_000}:{cs // 6000 % 60:02d}:{cs // 100 % 60:02d}.{cs % 100:02d}"


def srt(shown: list[Cue]) -> str:
    """SubRip: numbered cues, ``-->`` between comma timestamps, a blank line after each."""
    return "".join(
        f"{n}\n{_clock(cue.start_s, ',')} --> {_clock(cue.end_s, ',')}\n{cue.text}\n\n"
        for n, cue in enumerate(shown, start=1)
    )


def _vtt_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _vtt_cue(cue: Cue) -> str:
    """A cue's lines with each later word's start as a WebVTT timestamp tag (players light words as they are said)."""
    lines, last = [], cue.start_s
    for line in cue.lines:
        shown = []
        for word in line:
            at = round(word.start_s, 3)
            if last < at < cue.end_s:
                shown.append(f"<{_clock(at, '.')}>{_vtt_text(word.text)}")
                last = at
            else:
                shown.append(_vtt_text(word.text))
        lines.append(" ".join(shown))
    return "\n".join(lines)


def vtt(shown: list[Cue]) -> str:
    """WebVTT: the header, then each cue with its word times."""
    body = "".join(
        f"{n}\n{_clock(cue.start_s, '.')} --> {_clock(cue.end_s, '.')}\n{_vtt_cue(cue)}\n\n"
        for n, cue in enumerate(shown, start=1)
    )
    return f"WEBVTT\n\n{body}"


def _ass_colour(color: Color, alpha: int = 0) -> str:
    """ASS colours are ``&HAABBGGRR`` (alpha 0 is opaque)."""
    red, green, blue = color
    return f"&H{alpha:02X}{blue:02X}{green:02X}{red:02X}"


def highlight_colour(style: str) -> Color:
    """The spoken word's colour: the style's accent hue, made vivid and bright so it stands out from the white words
    on the dark box (a pale or dark accent would not); a grey accent, which has no hue, lights words yellow."""
    accent = PALETTES.get(style, PALETTES["cinematic"])[2]
    hue, saturation, _ = colorsys.rgb_to_hsv(*(c / 255 for c in accent))
    if saturation < 0.1:
        hue = 50 / 360
    red, green, blue = colorsys.hsv_to_rgb(hue, max(saturation, 0.75), 1.0)
    return round(red * 255), round(green * 255), round(blue * 255)


def _escape(text: str) -> str:
    """Text libass draws as written: no override blocks, no ``\\N`` or ``\\h`` escapes."""
    return text.replace("\\", "\\" + ZERO_WIDTH).replace("{", "(").replace("}", ")")


@lru_cache(maxsize=1)
def _family() -> str:
    return ImageFont.truetype(str(FONT), 16).getname()[0]


@lru_cache(maxsize=64)
def _measure(size: int) -> ImageFont.FreeTypeFont:
    """The face at an ASS font size: libass sizes a font by its ascent plus descent, Pillow by its em."""
    ascent, descent = ImageFont.truetype(str(FONT), 1000).getmetrics()
    return ImageFont.truetype(str(FONT), max(1, round(size * 1000 / (ascent + descent))))


def _fitted(lines: list[str], size: int, room: float) -> int:
    """The font size at which the widest line fits ``room`` pixels: ``size``, or smaller."""
    widest = max(_measure(size).getlength(line) for line in lines)
    return size if widest <= room else max(1, int(size * room / widest))


def _style(name: str, size: int, look: CaptionStyle, margins: tuple[int, int, int], alignment: int) -> str:
    """One ASS style line: bold white text in a box (BorderStyle 4: one opaque box round the whole event, its margin
    the shadow's depth, libass's extension) or outlined with a soft drop shadow (BorderStyle 1)."""
    if look is CaptionStyle.OUTLINE:
        border, outline, shadow, back = 1, OUTLINE * size, SHADOW * size, _ass_colour(BLACK, HALF)
    else:
        border, outline, shadow, back = 4, 0.0, BOX_PAD * size, _ass_colour(BLACK)
    left, right, vertical = margins
    fields = [name, _family(), size, _ass_colour(WHITE), _ass_colour(WHITE), _ass_colour(BLACK), back, -1, 0, 0, 0]
    fields += [100, 100, 0, 0, border, f"{outline:.1f}", f"{shadow:.1f}", alignment, left, right, vertical, 1]
    return "Style: " + ",".join(str(field) for field in fields)


def _pad(size: int, look: CaptionStyle) -> float:
    """How far the box (or the outline and shadow) reaches past the text."""
    return (OUTLINE + SHADOW) * size if look is CaptionStyle.OUTLINE else BOX_PAD * size


def _dialogue(layer: int, start: float, end: float, style: str, text: str) -> str:
    return f"Dialogue: {layer},{_ass_clock(start)},{_ass_clock(end)},{style},,0,0,0,,{text}"


def _caption_events(cue: Cue, size: int, room: float, look: CaptionStyle, lit: Color) -> list[str]:
    """A cue as one event; with the highlight, one event per word's span (from its start to the next word's), the
    whole cue each time with that word in ``lit``: only colours change, so the layout holds still."""
    rows = [[_escape(word.text) for word in line] for line in cue.lines]
    fitted = _fitted([" ".join(row) for row in rows], size, room)
    lead = f"{{\\fs{fitted}}}" if fitted != size else ""
    if look is not CaptionStyle.HIGHLIGHT:
        return [_dialogue(1, cue.start_s, cue.end_s, "Caption", lead + "\\N".join(" ".join(row) for row in rows))]
    spans: list[tuple[float, float, int | None]] = []
    words = cue.words
    for k, word in enumerate(words):
        start = cue.start_s if k == 0 else word.start_s
        end = words[k + 1].start_s if k + 1 < len(words) else word.end_s
        spans.append((start, end, k))
    spans.append((words[-1].end_s, cue.end_s, None))  # after the last word: nothing is being said
    events, colour, plain = [], _ass_colour(lit), _ass_colour(WHITE)
    for start, end, spoken in spans:
        if round(end * 100) <= round(start * 100):
            continue
        shown, k = [], 0
        for row in rows:
            cells = []
            for text in row:
                cells.append(f"{{\\c{colour}}}{text}{{\\c{plain}}}" if k == spoken else text)
                k += 1
            shown.append(" ".join(cells))
        events.append(_dialogue(1, start, end, "Caption", lead + "\\N".join(shown)))
    return events


def _margins(spec: VideoSpec, size: tuple[int, int], font: int, top: bool) -> tuple[int, int, int]:
    """MarginL, MarginR and MarginV that put the text's box (or its outline and shadow) on the spec's safe zone's
    edges: its top edge for a headline, its bottom edge for a caption."""
    width, height = size
    zone, pad = safe_zone_for(spec, width, height), _pad(font, spec.narration.caption_style)
    vertical = zone.y0 * height if top else height - zone.y1 * height
    return math.ceil(zone.x0 * width + pad), math.ceil(width - zone.x1 * width + pad), math.ceil(vertical + pad)


def ass(spec: VideoSpec, shown: list[Cue], heads: list[Headline], size: tuple[int, int]) -> str:
    """The ASS script that burns ``shown`` and ``heads`` into a frame of ``size`` in the spec's caption style."""
    width, height = size
    look = spec.narration.caption_style
    caption, headline = round(font_px(height, CAPTION_SIZE)), round(font_px(height, HEADLINE_SIZE))
    below, above = _margins(spec, size, caption, top=False), _margins(spec, size, headline, top=True)
    styles = [_style("Caption", caption, look, below, 2), _style("Headline", headline, look, above, 8)]
    events = []
    for head in heads:
        fitted = _fitted(list(head.lines), max(1, round(headline * head.scale)), width - above[0] - above[1])
        lead = f"{{\\fs{fitted}}}" if fitted != headline else ""
        events.append(_dialogue(0, head.start_s, head.end_s, "Headline", lead + "\\N".join(map(_escape, head.lines))))
    lit = highlight_colour(spec.style)
    for cue in shown:
        events += _caption_events(cue, caption, width - below[0] - below[1], look, lit)
    header = [
        "[Script Info]",
        "ScriptType: v4.00+",
        f"PlayResX: {width}",
        f"PlayResY: {height}",
        "WrapStyle: 2",
        "ScaledBorderAndShadow: yes",
        "YCbCr Matrix: None",
        "",
        "[V4+ Styles]",
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, "
        "Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, "
        "MarginR, MarginV, Encoding",
        *styles,
        "",
        "[Events]",
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
        *events,
    ]
    return "\n".join(header) + "\n"


def write_captions(spec: VideoSpec, voiceover: Voiceover, size: tuple[int, int], folder: Path) -> dict[str, Path]:
    """Write the captions for a frame of ``size`` into ``folder``: ``captions.srt`` and ``captions.vtt`` where there
    are spoken lines, ``captions.ass`` (for burning) where there is anything to show, headlines included; nothing
    when captions are off. Returns the files written, by extension."""
    if spec.narration.captions is Captions.OFF:
        return {}
    shown, heads = cues(spec, voiceover, size), headlines(spec, size)
    texts: dict[str, str] = {}
    if shown:
        texts |= {"srt": srt(shown), "vtt": vtt(shown)}
    if shown or heads:
        texts["ass"] = ass(spec, shown, heads, size)
    written = {}
    for extension, text in texts.items():
        path = folder / f"captions.{extension}"
        path.write_text(text, encoding="utf-8")
        written[extension] = path
    return written
