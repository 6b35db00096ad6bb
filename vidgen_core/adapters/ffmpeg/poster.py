"""The poster's frame: the sharpest of a few candidate frames of the hero beat, measured by the variance of the
Laplacian (a focus measure: edges and texture raise it; motion blur, a crossfade's double image and a fade lower it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import ffmpeg
import numpy as np
from PIL import Image

from vidgen_core.adapters.ffmpeg.ops import EXACT_RGB
from vidgen_core.adapters.ffmpeg.probe import probe
from vidgen_core.adapters.ffmpeg.tools import run
from vidgen_core.domain.errors import MediaError

CANDIDATES = 12  # frames measured across the hero beat's clean span


@dataclass(frozen=True)
class Still:
    """A decoded frame and where it was taken."""

    image: Image.Image
    frame: int
    sharpness: float  # variance of the Laplacian of its luma (0-255 levels)


def laplacian_variance(rgb: np.ndarray) -> float:
    """The variance of the 4-neighbour Laplacian of an RGB frame's luma (BT.709 weights)."""
    luma = rgb[..., :3].astype(np.float32) @ np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)
    lap = luma[1:-1, :-2] + luma[1:-1, 2:] + luma[:-2, 1:-1] + luma[2:, 1:-1] - 4 * luma[1:-1, 1:-1]
    return float(lap.var())


def candidate_frames(start_s: float, end_s: float, fps: float, count: int = CANDIDATES) -> list[int]:
    """``count`` frame numbers spread evenly inside ``[start_s, end_s)`` (each the middle of an equal part)."""
    first, last = round(start_s * fps), max(round(end_s * fps) - 1, round(start_s * fps))
    span = last - first + 1
    return sorted({first + int((i + 0.5) * span / count) for i in range(min(count, span))})


def sharpest_frame(video: Path, start_s: float, end_s: float, avoid: Sequence[tuple[float, float]] = ()) -> Still:
    """The sharpest candidate frame of ``video`` between ``start_s`` and ``end_s`` and outside the ``avoid`` spans
    (blends: a crossfade's double image has more edges, so it would measure sharper), decoded to RGB exactly."""
    info = probe(video)
    frames = [n for n in candidate_frames(start_s, end_s, info.fps) if not any(a <= n / info.fps < b for a, b in avoid)]
    if not frames:
        raise MediaError(f"{video.name} has no frame between {start_s:g} s and {end_s:g} s outside its blends")
    width, height = info.width, info.height
    chosen = "+".join(f"eq(n,{n})" for n in frames)
    stream = (
        ffmpeg.input(str(video))
        .video.filter("trim", end_frame=frames[-1] + 1)  # decoding stops after the last candidate
        .filter("select", chosen)
        .output("pipe:", format="rawvideo", pix_fmt="rgb24", fps_mode="passthrough", sws_flags=EXACT_RGB)
    )
    raw, _ = run(stream, f"decode the hero beat's frames of {video.name}")
    size = width * height * 3
    decoded = [np.frombuffer(raw, np.uint8, size, i * size).reshape(height, width, 3) for i in range(len(raw) // size)]
    if not decoded:
        raise MediaError(f"no frame of {video.name} could be decoded between {start_s:g} s and {end_s:g} s")
    scores = [laplacian_variance(f) for f in decoded]
    best = int(np.argmax(scores))
    return Still(Image.fromarray(decoded[best].copy()), frames[best], round(scores[best], 2))
