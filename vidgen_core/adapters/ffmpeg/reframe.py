"""Reframing: a clip cropped to another aspect, the crop window following the product, at no provider cost.

Where the product is comes from the pictures themselves, so it works on any model's clips: a frequency-tuned
saliency map (Achanta et al. 2009: each pixel's CIELAB distance from the frame's mean colour, after a light blur)
per sampled frame, and the centroid of its most salient pixels. An ad's product is the frame's largest
high-contrast subject; the backdrop (sky gradients, floors, bokeh) is close to the mean and drops out.

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
SALIENT_SHARE = 0.05  # the centroid of this share of the most salient pixels is the product's position...
PEAK_SHARE = 0.5  # ...of those at least this salient relative to the most salient one (a backdrop's far corners
# differ from its mean too, but far less than a product does)
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
    """Where the frame's subject is: the centroid (fractions of width and height) of its most salient pixels."""
    lab = cv2.cvtColor(cv2.GaussianBlur(rgb, (5, 5), 0), cv2.COLOR_RGB2LAB).astype(np.float32)
    saliency = np.linalg.norm(lab - lab.reshape(-1, 3).mean(axis=0), axis=2)
    cut = max(float(np.quantile(saliency, 1.0 - SALIENT_SHARE)), PEAK_SHARE * float(saliency.max()))
    weight = np.where(saliency >= cut, saliency, 0.0)
    if weight.sum() <= 0:  # a flat frame: nothing to follow
        return 0.5, 0.5
    ys, xs = np.indices(weight.shape)
    height, width = weight.shape
    return float((xs * weight).sum() / weight.sum() + 0.5) / width, float(
        (ys * weight).sum() / weight.sum() + 0.5
    ) / height


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
    """One shot's track from its clips' tracks."""
    return Track(np.concatenate([t.times_s for t in tracks]), np.concatenate([t.centres for t in tracks]))


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
