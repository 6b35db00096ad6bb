"""Offline image-to-video: real camera motion over the start frame, encoded with ffmpeg.

Frame 0 is the given image (resized to the model's frame size); every later frame samples a moving, zooming,
rotating window inside it, so no frame ever shows a border. Clips match the imitated model's length, size and fps.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import cv2
import ffmpeg
import numpy as np
from PIL import Image, ImageOps

from vidgen_core.adapters.ffmpeg.ops import x264_args
from vidgen_core.adapters.ffmpeg.tools import NO_OUTPUT, MediaClock, ffmpeg_exe
from vidgen_core.adapters.local.music import synthesize
from vidgen_core.domain.catalog import LOCAL_MODELS, LOCAL_PROVIDER, Kind, video_model
from vidgen_core.domain.errors import MediaError
from vidgen_core.domain.models import Camera, CostLine, Phase
from vidgen_core.domain.ports import ClipJob, Generated
from vidgen_core.settings import Settings

# (zoom reached at the end of a clip, horizontal travel, vertical travel, rotation per unit of zoom) per camera.
# Travel is a fraction of the free margin the zoom opens (-1 = all the way left/up).
MOVES: dict[Camera, tuple[float, float, float, float]] = {
    Camera.STATIC: (0.03, 0.3, 0.0, 0.0),
    Camera.DOLLY_IN: (0.22, 0.0, 0.0, 0.0),
    Camera.PUSH_IN: (0.35, 0.0, -0.1, 0.0),
    Camera.PAN_LEFT: (0.18, -0.95, 0.0, 0.0),
    Camera.PAN_RIGHT: (0.18, 0.95, 0.0, 0.0),
    Camera.TILT_UP: (0.18, 0.0, -0.95, 0.0),
    Camera.TILT_DOWN: (0.18, 0.0, 0.95, 0.0),
    Camera.ORBIT: (0.16, 0.8, 0.0, 0.3),
    Camera.TRACKING: (0.14, 0.95, 0.15, 0.0),
    Camera.CRANE_UP: (0.25, 0.0, -0.9, 0.0),
}


def _ease(p: float) -> float:
    return p * p * (3 - 2 * p)


def window(camera: Camera, p: float, width: int, height: int) -> tuple[float, float, float, float]:
    """Centre x, centre y, zoom and rotation (radians) of the camera window at progress ``p`` in [0, 1]."""
    zoom_end, travel_x, travel_y, spin = MOVES[camera]
    e = _ease(p)
    zoom = 1.0 + zoom_end * e
    theta = spin * (zoom - 1.0)  # only the orbit turns; the zoom margin always covers the rotated window
    w, h = width / zoom, height / zoom
    half_x = (w * abs(math.cos(theta)) + h * abs(math.sin(theta))) / 2
    half_y = (w * abs(math.sin(theta)) + h * abs(math.cos(theta))) / 2
    free_x, free_y = max(width / 2 - half_x, 0.0), max(height / 2 - half_y, 0.0)
    bob = 0.5 * math.sin(2 * math.pi * p) if camera is Camera.TRACKING else 0.0
    cx = width / 2 + travel_x * free_x
    cy = height / 2 + max(-1.0, min(1.0, travel_y + bob)) * free_y
    return cx, cy, zoom, theta


def _affine(cx: float, cy: float, zoom: float, theta: float, width: int, height: int) -> tuple[float, ...]:
    s = 1.0 / zoom
    a, b = s * math.cos(theta), -s * math.sin(theta)
    d, e = s * math.sin(theta), s * math.cos(theta)
    return (a, b, cx - a * width / 2 - b * height / 2, d, e, cy - d * width / 2 - e * height / 2)


def frame_map(camera: Camera, p: float, width: int, height: int) -> np.ndarray:
    """The 3x3 map from a frame's pixels to the clip's first-frame pixels at progress ``p`` (frame 0 is identity)."""
    matrix = np.eye(3)
    if p > 0:
        matrix[:2] = np.array(_affine(*window(camera, p, width, height), width, height)).reshape(2, 3)
    return matrix


def beat_maps(camera: Camera, clips_s: Sequence[int], fps: int, width: int, height: int) -> list[np.ndarray]:
    """Maps from every frame of a beat's clips to its storyboard frame (at the clip's size).

    Each clip after the first starts on the last frame of the one before, so its moves compound.
    """
    maps, base = [], np.eye(3)
    for clip_s in clips_s:
        frames = clip_s * fps
        maps += [base @ frame_map(camera, n / max(frames - 1, 1), width, height) for n in range(frames)]
        base = maps[-1]
    return maps


def warp(image: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """The frame the camera sees through ``matrix`` (from ``frame_map``), the size of ``image``."""
    height, width = image.shape[:2]
    return cv2.warpAffine(
        image,
        np.ascontiguousarray(matrix[:2]),
        (width, height),
        borderMode=cv2.BORDER_REFLECT,
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
    )


class LocalVideoGenerator:
    """Renders clips offline, imitating the named catalog model's clip lengths, frame size and fps."""

    provider = LOCAL_PROVIDER

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def generate(self, job: ClipJob, out: Path) -> Generated:
        model = video_model(job.model)
        if job.clip_s not in model.clip_durations_s:
            raise MediaError(f"{model.name} makes clips of {model.clip_durations_s} s, not {job.clip_s} s")
        width, height = model.size(job.aspect)
        start = time.perf_counter()
        with Image.open(job.first_frame) as img:
            frame0 = ImageOps.fit(img.convert("RGB"), (width, height), Image.Resampling.LANCZOS)
        with tempfile.TemporaryDirectory() as tmp:
            inputs = [
                ffmpeg.input(
                    "pipe:", format="rawvideo", pix_fmt="rgb24", s=f"{width}x{height}", framerate=model.fps
                ).video
            ]
            extra: dict[str, object] = {}
            if model.native_audio:  # imitate models that make their own sound (e.g. Veo)
                bed = synthesize("ambient", job.clip_s, job.seed, Path(tmp) / "bed.wav", self.settings)
                inputs.append(ffmpeg.input(str(bed)).audio)
                extra = {
                    "acodec": "aac",
                    "audio_bitrate": self.settings.audio_bitrate,
                    "ar": self.settings.audio_rate_hz,
                }
            stream = ffmpeg.output(
                *inputs, str(out), t=job.clip_s, movflags="+faststart", **x264_args(self.settings, model.fps), **extra
            )
            self._encode(stream, frame0, job, model.fps, width, height)
        MediaClock.add(time.perf_counter() - start)
        cost = CostLine(
            phase=Phase.VIDEO_CHUNKS,
            provider=self.provider,
            model=LOCAL_MODELS[Kind.VIDEO],
            item=job.item,
            quantity=job.clip_s,
            unit="second",
            usd=0.0,
        )
        return Generated(path=out, provider=self.provider, model=LOCAL_MODELS[Kind.VIDEO], costs=[cost])

    @staticmethod
    def _encode(
        stream: ffmpeg.nodes.OutputStream, image: Image.Image, job: ClipJob, fps: int, width: int, height: int
    ) -> None:
        process = stream.overwrite_output().run_async(cmd=ffmpeg_exe(), pipe_stdin=True, pipe_stderr=True, quiet=True)
        frames = job.clip_s * fps
        frame0 = np.ascontiguousarray(np.asarray(image))
        try:
            for n in range(frames):
                frame = warp(frame0, frame_map(job.camera, n / max(frames - 1, 1), width, height)) if n else frame0
                process.stdin.write(frame.tobytes())
            process.stdin.close()
        except BrokenPipeError:
            pass
        err = process.stderr.read().decode(errors="replace")
        if process.wait() != 0:
            tail = "\n".join(err.strip().splitlines()[-3:])
            raise MediaError(f"ffmpeg failed to encode clip {job.item}: {tail or NO_OUTPUT}")
