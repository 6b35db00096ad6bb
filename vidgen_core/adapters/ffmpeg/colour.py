"""Colour matching of a chained clip to its beat's keyframe.

A model that continues a clip from its last frame drifts in colour (a cast creeps in, contrast sags), and a chain
compounds it. The fix is a Reinhard transfer in CIELAB: the per-channel mean and standard deviation of the clip's last
frame are mapped onto the keyframe's. It is applied progressively, from identity on frame 0 (which continues the
previous clip, so the seam stays continuous) to the full transfer on the last frame (which the next clip continues
from). The transfer is fitted on the model's own last frame, and the frame the next clip starts from is that frame
mapped in numpy, not decoded from our encode: the next paid call's key never depends on the encoder, its settings or
the machine's thread count.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import ffmpeg
import numpy as np
from PIL import Image, ImageOps

from vidgen_core.adapters.ffmpeg.measure import to_lab
from vidgen_core.adapters.ffmpeg.ops import EXACT_RGB, x264_args
from vidgen_core.adapters.ffmpeg.probe import probe
from vidgen_core.adapters.ffmpeg.tools import NO_OUTPUT, MediaClock, ffmpeg_exe
from vidgen_core.domain.errors import MediaError
from vidgen_core.settings import Settings

MAX_CONTRAST_STEP = 2.0  # a transfer never scales a channel's spread by more than this (or less than its inverse)


@dataclass(frozen=True)
class Transfer:
    """A per-channel affine map in CIELAB, ``lab * scale + offset``, and how far it moves the last frame."""

    scale: np.ndarray
    offset: np.ndarray
    delta_e_before: float  # mean CIE76 ΔE of the clip's last frame to the keyframe
    delta_e_after: float  # and of the matched last frame

    def at(self, weight: float) -> tuple[np.ndarray, np.ndarray]:
        """The map ``weight`` of the way from identity (0) to the full transfer (1)."""
        return 1.0 + weight * (self.scale - 1.0), weight * self.offset


def to_rgb(lab: np.ndarray) -> np.ndarray:
    """CIELAB back to 8-bit sRGB, clipped."""
    rgb = cv2.cvtColor(lab.astype(np.float32), cv2.COLOR_LAB2RGB)
    return np.clip(np.rint(rgb * 255.0), 0, 255).astype(np.uint8)


def delta_e(a: np.ndarray, b: np.ndarray) -> float:
    """Mean CIE76 ΔE between two RGB frames of one size."""
    return float(np.linalg.norm(to_lab(a) - to_lab(b), axis=2).mean())


def reinhard(source: np.ndarray, target: np.ndarray) -> Transfer:
    """The CIELAB mean/std transfer that gives ``source`` (RGB) the colour statistics of ``target`` (RGB)."""
    src, tgt = to_lab(source).reshape(-1, 3), to_lab(target).reshape(-1, 3)
    ratio = tgt.std(axis=0) / np.maximum(src.std(axis=0), 1e-3)
    scale = np.clip(ratio, 1 / MAX_CONTRAST_STEP, MAX_CONTRAST_STEP)
    offset = tgt.mean(axis=0) - src.mean(axis=0) * scale
    after = to_rgb(to_lab(source) * scale + offset)
    return Transfer(scale, offset, delta_e(source, target), delta_e(after, target))


def fit_transfer(last_frame: Path, keyframe: Path) -> Transfer:
    """The transfer from a clip's last frame (as ``ops.last_frame`` decodes it) to its beat's keyframe."""
    with Image.open(last_frame) as img:
        last = np.asarray(img.convert("RGB"))
    with Image.open(keyframe) as img:
        key = np.asarray(ImageOps.fit(img.convert("RGB"), last.shape[1::-1], Image.Resampling.LANCZOS))
    return reinhard(last, key)


def match_frame(frame: Path, transfer: Transfer, out: Path) -> Path:
    """``frame`` (a PNG) with the full transfer applied, as a PNG: the last frame the next clip continues from."""
    with Image.open(frame) as img:
        pixels = np.asarray(img.convert("RGB"))
    scale, offset = transfer.at(1.0)
    Image.fromarray(to_rgb(to_lab(pixels) * scale + offset)).save(out, format="PNG")
    return out


def match_colour(clip: Path, transfer: Transfer, out: Path, settings: Settings) -> None:
    """Write ``clip`` with ``transfer`` applied progressively (see the module) to ``out``: H.264 with the project's
    encoder settings at the clip's own size (the model's, or the upscaler's) and frame rate, its audio copied."""
    info = probe(clip)
    width, height, fps, frames = info.width, info.height, info.fps, info.video_frames
    start = time.perf_counter()
    decode = (
        ffmpeg.input(str(clip))
        .video.output("pipe:", format="rawvideo", pix_fmt="rgb24", sws_flags=EXACT_RGB)
        .compile(cmd=ffmpeg_exe())
    )
    source = ffmpeg.input("pipe:", format="rawvideo", pix_fmt="rgb24", s=f"{width}x{height}", framerate=fps).video
    streams = [source] + ([ffmpeg.input(str(clip)).audio] if info.has_audio else [])
    encode = ffmpeg.output(
        *streams, str(out), movflags="+faststart", acodec="copy", **x264_args(settings, fps)
    ).overwrite_output()
    size = width * height * 3
    with tempfile.TemporaryFile() as log, subprocess.Popen(decode, stdout=subprocess.PIPE, stderr=log) as reader:
        writer = subprocess.Popen(encode.compile(cmd=ffmpeg_exe()), stdin=subprocess.PIPE, stderr=log)
        assert reader.stdout is not None and writer.stdin is not None
        total = max((frames or round(info.duration_s * fps)) - 1, 1)
        n = 0
        try:
            while chunk := reader.stdout.read(size):
                frame = np.frombuffer(chunk, np.uint8).reshape(height, width, 3)
                if n:  # frame 0 is passed through untouched: it continues the previous clip
                    scale, offset = transfer.at(min(n / total, 1.0))
                    frame = to_rgb(to_lab(frame) * scale + offset)
                writer.stdin.write(frame.tobytes())
                n += 1
            writer.stdin.close()
        except BrokenPipeError:
            pass
        failed = writer.wait() != 0 or reader.wait() != 0 or n == 0
        MediaClock.add(time.perf_counter() - start)
        if failed:
            log.seek(0)
            tail = "\n".join(log.read().decode(errors="replace").strip().splitlines()[-3:])
            raise MediaError(f"ffmpeg failed to colour-match {clip.name}: {tail or NO_OUTPUT}")
