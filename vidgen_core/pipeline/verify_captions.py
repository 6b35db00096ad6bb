"""Burned captions checked on the picture: the frames with captions against the same frames without, at each cue's
middle and each headline's, and through the end card. Whatever changed must lie inside the safe zone; below the
title band only while a caption is up, inside it only while a headline is; never across its edge, never on the
end card."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np

from vidgen_core.adapters.ffmpeg.measure import frames_at
from vidgen_core.adapters.ffmpeg.probe import probe
from vidgen_core.domain.captions import cues, headlines, title_band
from vidgen_core.domain.checks import CheckName
from vidgen_core.domain.editing import END_CARD_S
from vidgen_core.domain.models import RenderedVideo, VideoSpec, Voiceover
from vidgen_core.domain.platforms import safe_zone_for
from vidgen_core.pipeline.verify import Outcome

CHANGE_LEVEL = 40  # a pixel changed where a channel moved more than this: the second encode moves few that far
NOISE_PX = 3  # and the change is wider than this square (opened away otherwise): a letter's stroke is, noise is not
EDGE_PX = 2  # how far past a zone's edge a change may reach: rounding and the chroma's 2x2 blocks
END_CARD_FRAMES = 3  # frames checked for no change in the end card: its first, middle and last


def changed(clean: np.ndarray, captioned: np.ndarray) -> np.ndarray:
    """Where the captions changed the picture: pixels moved past the encoder's noise, in marks too wide for noise."""
    moved = np.abs(clean.astype(np.int16) - captioned.astype(np.int16)).max(axis=2) > CHANGE_LEVEL
    kernel = np.ones((NOISE_PX, NOISE_PX), np.uint8)
    return cv2.morphologyEx(moved.astype(np.uint8), cv2.MORPH_OPEN, kernel).astype(bool)


def bounds(mask: np.ndarray, top: int = 0) -> tuple[int, int, int, int] | None:
    ys, xs = np.nonzero(mask)
    if not ys.size:
        return None
    return int(xs.min()), top + int(ys.min()), int(xs.max()) + 1, top + int(ys.max()) + 1


def _union(a: tuple[int, ...] | None, b: tuple[int, ...] | None) -> tuple[int, ...] | None:
    if a is None or b is None:
        return a or b
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def _shares(box: tuple[int, ...] | None, width: int, height: int) -> str:
    if box is None:
        return "none"
    return ",".join(f"{v / s:.3f}" for v, s in zip(box, (width, height, width, height), strict=True))


def _up(start: float, end: float, seconds: float) -> bool:
    """Whether an event is on screen at ``seconds``, as libass times it (centiseconds, end excluded)."""
    return round(start * 100) / 100 <= seconds < round(end * 100) / 100


def captions_in_safe_zone(spec: VideoSpec, voiceover: Voiceover, clean: Path, captioned: Path) -> Outcome:
    """Frames of ``captioned`` differenced with the same frames of ``clean`` (the video before its captions)."""
    before, after = probe(clean), probe(captioned)
    size = (after.width, after.height)
    width, height = size
    if (before.width, before.height) != size or abs(before.duration_s - after.duration_s) > 1 / max(after.fps, 1):
        return Outcome(
            CheckName.CAPTIONS_IN_SAFE_ZONE,
            False,
            "burned captions inside the safe zone",
            {"problems": f"the captioned video ({width}x{height}, {after.duration_s:.2f} s) is not the clean one "
             f"({before.width}x{before.height}, {before.duration_s:.2f} s) with captions"},
        )  # fmt: skip
    fps = after.fps
    shown, heads = cues(spec, voiceover, size), headlines(spec, size)
    total = round(spec.duration_s * fps)
    card = math.ceil((spec.duration_s - END_CARD_S) * fps)
    card_frames = sorted({card, (card + total - 1) // 2, total - 1})[:END_CARD_FRAMES]
    middles = [int((e.start_s + e.end_s) / 2 * fps) for e in [*shown, *heads]]
    safe = safe_zone_for(spec, width, height).pixels(width, height)
    band = round(title_band(spec, width, height).y1 * height)
    problems: list[str] = []
    caption_box = headline_box = None
    picked = [*middles, *card_frames]
    pairs = zip(frames_at(clean, picked, size), frames_at(captioned, picked, size), strict=True)
    for (index, a), (_, b) in pairs:
        seconds = index / fps
        mask = changed(a, b)
        if index >= card:
            if mask.any():
                problems.append(f"the end card changed at {seconds:.2f} s")
            continue
        caption_up = any(_up(c.start_s, c.end_s, seconds) for c in shown)
        headline_up = any(_up(h.start_s, h.end_s, seconds) for h in heads)
        above, below = bounds(mask[:band]), bounds(mask[band:], band)
        if caption_up and below is None:
            problems.append(f"no caption drawn at {seconds:.2f} s")
        if headline_up and above is None:
            problems.append(f"no headline drawn at {seconds:.2f} s")
        if above is not None and not headline_up:
            problems.append(f"a caption reaches into the title band at {seconds:.2f} s")
        if below is not None and not caption_up:
            problems.append(f"a headline reaches under the title band at {seconds:.2f} s")
        if mask[band - 1].any() and mask[band].any():
            problems.append(f"a mark crosses the title band's edge at {seconds:.2f} s")
        for box in (above, below):
            if box is not None and (
                box[0] < safe[0] - EDGE_PX
                or box[1] < safe[1] - EDGE_PX
                or box[2] > safe[2] + EDGE_PX
                or box[3] > safe[3] + EDGE_PX
            ):
                problems.append(f"marks outside the safe zone at {seconds:.2f} s ({_shares(box, width, height)})")
        caption_box, headline_box = _union(caption_box, below), _union(headline_box, above)
    return Outcome(
        CheckName.CAPTIONS_IN_SAFE_ZONE,
        not problems,
        "burned captions inside the safe zone",
        {
            "cues_checked": len(shown),
            "headlines_checked": len(heads),
            "end_card_frames": len(card_frames),
            "caption_box": _shares(caption_box, width, height),
            "headline_box": _shares(headline_box, width, height),
            "safe_zone": _shares(tuple(round(v) for v in safe), width, height),
            "title_band_bottom": round(band / height, 3),
            "problems": "; ".join(problems[:10]),
        },
    )


def captions_checked(
    spec: VideoSpec, voiceover: Voiceover, video: RenderedVideo, clean: Path, captioned: Path
) -> Outcome:
    """The final's captions check: measured when its captions were burned, else passed saying why not."""
    if video.captions_burned:
        return captions_in_safe_zone(spec, voiceover, clean, captioned)
    why = f"captions {spec.narration.captions.value}" if video.captions or not spec.narration.speaks else "none"
    return Outcome(CheckName.CAPTIONS_IN_SAFE_ZONE, True, "nothing burned into the picture", {"burned": why})
