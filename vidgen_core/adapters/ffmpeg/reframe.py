"""Reframing: a clip cropped to another aspect, the crop window following the product, at no provider cost.

Where the product is comes from the pictures themselves, so it works on any model's clips. A product is a
sharp-edged solid thing; what else fills an ad's frame is mostly soft: glows, gradients and out-of-focus bokeh have
little fine detail. So each sampled frame's map is its colour gradient (CIELAB, after a light blur), kept where it is
a good share of the frame's strongest edges; the kept edges are closed into regions, and the product is the region
with the largest filled area (a silhouette outweighs a line of text or a few stray bokeh rims), mildly preferring the
frame's centre, where ads stage their subject. A running median over the shot's samples drops a frame where
something else briefly won (the product persists; particles drift).

The window's path is smoothed over the whole beat (its chunks are one continuous shot: the next chunk starts from
the last frame of the one before), so the virtual camera glides instead of twitching after every sample, and a
seam between chunks shows the same crop on both sides. The crop runs inside ffmpeg, its position a piecewise
linear function of the frame number, in one decode and one encode per clip.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import ffmpeg
import numpy as np
from PIL import Image

from vidgen_core.adapters.ffmpeg.ops import x264_args
from vidgen_core.adapters.ffmpeg.probe import probe
from vidgen_core.adapters.ffmpeg.tools import run
from vidgen_core.domain.catalog import Aspect
from vidgen_core.domain.errors import MediaError
from vidgen_core.settings import Settings

SAMPLE_S = 0.2  # how often the product is looked for
ANALYSIS_WIDTH = 192  # frames are analysed this wide: the product is large, the noise is not
EDGE_QUANTILE = 0.995  # the frame's strongest edges: this quantile of its gradient...
EDGE_SHARE = 0.35  # ...and an edge counts from this share of it (a glow's or a blurred disc's rim stays below)
CLOSE_SHARE = 0.04  # edges closer than this share of the frame's width join into one region
CENTRE_SIGMA = 0.35  # a region's score falls off with its centre's distance from the frame's (fractions, one sigma)
MEDIAN_SAMPLES = 5  # the track's running median spans this many samples (one second at SAMPLE_S)
SMOOTH_S = 0.3  # the window's path is a Gaussian average over this many seconds (one sigma)


@dataclass(frozen=True)
class Track:
    """Where the product was seen: sample times (s, from the start of the shot) and centres (fractions of the
    frame's width and height)."""

    times_s: np.ndarray
    centres: np.ndarray  # (n, 2)


def crop_size(width: int, height: int, aspect: Aspect) -> tuple[int, int]:
    """The largest window of ``aspect`` inside a ``width`` x ``height`` frame, both sides even (H.264 4:2:0)."""
    num, den = (int(p) for p in aspect.split(":"))
    if width * den > height * num:  # the frame is wider than the aspect: full height
        return min(width, round(height * num / den / 2) * 2), height // 2 * 2
    return width // 2 * 2, min(height, round(width * den / num / 2) * 2)


def saliency_centre(rgb: np.ndarray) -> tuple[float, float]:
    """Where the frame's subject is (fractions of width and height): the centroid of its largest sharp-edged region."""
    lab = cv2.GaussianBlur(cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32), (0, 0), 0.7)
    gradient = np.sqrt((cv2.Sobel(lab, cv2.CV_32F, 1, 0) ** 2 + cv2.Sobel(lab, cv2.CV_32F, 0, 1) ** 2).sum(axis=2))
    strong = float(np.quantile(gradient, EDGE_QUANTILE))
    if strong <= 1.0:  # a flat frame: nothing to follow
        return 0.5, 0.5
    height, width = gradient.shape
    side = max(3, round(CLOSE_SHARE * width)) | 1
    edges = cv2.morphologyEx(
        (gradient >= EDGE_SHARE * strong).astype(np.uint8),
        cv2.MORPH_CLOSE,
        cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side)),
    )
    best, centre = 0.0, (0.5, 0.5)
    for contour in cv2.findContours(edges, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)[0]:
        moments = cv2.moments(contour)
        if moments["m00"] <= 0:
            continue
        x, y = (moments["m10"] / moments["m00"] + 0.5) / width, (moments["m01"] / moments["m00"] + 0.5) / height
        score = moments["m00"] * np.exp(-0.5 * (((x - 0.5) ** 2 + (y - 0.5) ** 2) / CENTRE_SIGMA**2))
        if score > best:
            best, centre = score, (x, y)
    return centre


def sample_frames(frames: int, fps: float) -> np.ndarray:
    """The frames the product is looked for in: every ``SAMPLE_S``, and the last."""
    step = max(1, round(SAMPLE_S * fps))
    picked = list(range(0, frames, step))
    return np.asarray(picked if picked[-1] == frames - 1 else [*picked, frames - 1])


def product_track(clip: Path, fps: float, offset_s: float = 0.0) -> tuple[Track, int]:
    """The product's position in ``clip`` on its ``sample_frames`` (times shifted by ``offset_s``), and how many
    frames it has."""
    capture = cv2.VideoCapture(str(clip))
    decoded: list[np.ndarray] = []
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            decoded.append(_small(frame))
    finally:
        capture.release()
    if not decoded:
        raise MediaError(f"no frame could be decoded from {clip.name} to reframe it")
    frames = sample_frames(len(decoded), fps)
    return Track(frames / fps + offset_s, np.asarray([saliency_centre(decoded[f]) for f in frames])), len(decoded)


def _small(bgr: np.ndarray) -> np.ndarray:
    height, width = bgr.shape[:2]
    size = (ANALYSIS_WIDTH, max(2, round(height * ANALYSIS_WIDTH / width)))
    return cv2.cvtColor(cv2.resize(bgr, size, interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB)


def joined(tracks: list[Track]) -> Track:
    """One shot's track from its clips' tracks, each sample the running median of its neighbours (a frame where
    something else briefly looked like the product does not pull the window)."""
    centres = np.concatenate([t.centres for t in tracks])
    half = MEDIAN_SAMPLES // 2
    padded = np.pad(centres, ((half, half), (0, 0)), mode="edge")
    windows = np.stack([padded[i : i + len(centres)] for i in range(2 * half + 1)])
    return Track(np.concatenate([t.times_s for t in tracks]), np.median(windows, axis=0))


def window_path(
    track: Track, frame: tuple[int, int], window: tuple[int, int], times_s: np.ndarray, smooth_s: float = SMOOTH_S
) -> np.ndarray:
    """The crop window's top-left corner (pixels) at ``times_s``: centred on the product, smoothed over time (a
    Gaussian average of the samples), and kept inside the frame."""
    (width, height), (crop_w, crop_h) = frame, window
    weights = np.exp(-0.5 * ((times_s[:, None] - track.times_s[None, :]) / smooth_s) ** 2)
    weights /= weights.sum(axis=1, keepdims=True)
    centres = weights @ (track.centres * np.asarray([width, height]))
    left = np.clip(centres[:, 0] - crop_w / 2, 0, width - crop_w)
    top = np.clip(centres[:, 1] - crop_h / 2, 0, height - crop_h)
    return np.stack([left, top], axis=1)


def _piecewise(frames: np.ndarray, values: np.ndarray) -> str:
    """An ffmpeg expression of the frame number ``n``: ``values`` at ``frames``, linear in between, held after."""
    terms = [f"{values[0]:.2f}"]
    for f0, f1, v0, v1 in zip(frames, frames[1:], values, values[1:], strict=False):
        if f1 > f0 and abs(v1 - v0) > 1e-3:
            terms.append(f"{(v1 - v0) / (f1 - f0):.5f}*clip(n-{f0},0,{f1 - f0})")
    return "+".join(terms)


def crop_clip(
    clip: Path, out: Path, frames: np.ndarray, corners: np.ndarray, window: tuple[int, int], settings: Settings
) -> Path:
    """``clip`` cropped to ``window`` with its top-left corner at ``corners`` on ``frames`` (linear in between),
    re-encoded as the local clips are; its own audio, if any, kept."""
    info = probe(clip)
    src = ffmpeg.input(str(clip))
    picture = src.video.filter(
        "crop", window[0], window[1], x=_piecewise(frames, corners[:, 0]), y=_piecewise(frames, corners[:, 1])
    )
    streams = [picture, src.audio] if info.has_audio else [picture]
    audio = {"acodec": "copy"} if info.has_audio else {}
    run(ffmpeg.output(*streams, str(out), **x264_args(settings, info.fps), **audio), f"reframe {clip.name}")
    return out


@dataclass(frozen=True)
class Reframed:
    """One clip of a shot, reframed: where the window's centre was on its sampled frames (fractions)."""

    path: Path
    frames: np.ndarray
    centres: np.ndarray  # (n, 2)


def reframe_shot(clips: list[Path], outs: list[Path], aspect: Aspect, settings: Settings) -> list[Reframed]:
    """A shot's clips (each continuing from the previous one's last frame) cropped to ``aspect``, one smoothed
    window path following the product across all of them, so a seam shows the same crop on both of its sides."""
    infos, tracks, counts, offsets = [probe(clip) for clip in clips], [], [], [0.0]
    for clip, info in zip(clips, infos, strict=True):
        track, count = product_track(clip, info.fps, offsets[-1])
        tracks.append(track)
        counts.append(count)
        offsets.append(offsets[-1] + (count - 1) / info.fps)  # the next clip starts from this one's last frame
    track = joined(tracks)
    made = []
    for clip, out, info, count, offset in zip(clips, outs, infos, counts, offsets, strict=False):
        frame, frames = (info.width, info.height), sample_frames(count, info.fps)
        window = crop_size(*frame, aspect)
        corners = window_path(track, frame, window, frames / info.fps + offset)
        crop_clip(clip, out, frames, corners, window, settings)
        centres = (corners + np.asarray(window) / 2) / np.asarray(frame)
        made.append(Reframed(out, frames, centres))
    return made


def crop_image(image: Path, out: Path, centre: tuple[float, float], aspect: Aspect) -> Path:
    """A still cropped to ``aspect`` around ``centre`` (fractions of its size), kept inside it."""
    with Image.open(image) as img:
        width, height = img.size
        crop_w, crop_h = crop_size(width, height, aspect)
        left = min(max(round(centre[0] * width - crop_w / 2), 0), width - crop_w)
        top = min(max(round(centre[1] * height - crop_h / 2), 0), height - crop_h)
        img.crop((left, top, left + crop_w, top + crop_h)).save(out)
    return out
