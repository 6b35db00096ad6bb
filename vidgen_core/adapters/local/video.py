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
from vidgen_core.domain.chunking import first_frame_source
from vidgen_core.domain.errors import MediaError
from vidgen_core.domain.models import Camera, CostLine, FrameSource, Phase
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


def ease(p: float, speed_in: float = 0.0, speed_out: float = 0.0) -> float:
    """How far the move has got at progress ``p``: the cubic from 0 to 1 with the given speeds at its ends (in units
    of a linear move's; 0: the camera starts from or settles to rest). Monotonic for the speeds ``seam_speeds``
    gives (both under 3), so it never leaves [0, 1]."""
    a, b = speed_in, speed_out
    return (a + b - 2) * p**3 + (3 - 2 * a - b) * p**2 + a * p


def seam_speeds(camera: Camera, before_s: int | None, clip_s: int, after_s: int | None) -> tuple[float, float]:
    """A clip's speeds at its start and end: 0 where it starts or ends its beat (the camera rests), else matched to
    the neighbouring clip's (``before_s`` and ``after_s``: their lengths), so the camera keeps its pace across the
    seam. A clip's move is the same whatever its length, and the next one moves relative to a frame already zoomed
    by ``1 + zoom_end``: equal pace on screen needs ``speed_in(next) / next_s = speed_out(this) / (this_s * (1 +
    zoom_end))``, shared evenly between the two."""
    grown = 1.0 + MOVES[camera][0]

    def split(first_s: int, second_s: int) -> tuple[float, float]:
        ratio = second_s / (first_s * grown)
        return 1 / math.sqrt(ratio), math.sqrt(ratio)

    return (split(before_s, clip_s)[1] if before_s else 0.0, split(clip_s, after_s)[0] if after_s else 0.0)


def window(
    camera: Camera, p: float, width: int, height: int, speeds: tuple[float, float] = (0.0, 0.0)
) -> tuple[float, float, float, float]:
    """Centre x, centre y, zoom and rotation (radians) of the camera window at progress ``p`` in [0, 1], the move
    starting and ending at ``speeds`` (``seam_speeds``)."""
    zoom_end, travel_x, travel_y, spin = MOVES[camera]
    e = ease(p, *speeds)
    zoom = 1.0 + zoom_end * e
    theta = spin * (zoom - 1.0)  # only the orbit turns; the zoom margin always covers the rotated window
    w, h = width / zoom, height / zoom
    half_x = (w * abs(math.cos(theta)) + h * abs(math.sin(theta))) / 2
    half_y = (w * abs(math.sin(theta)) + h * abs(math.cos(theta))) / 2
    free_x, free_y = max(width / 2 - half_x, 0.0), max(height / 2 - half_y, 0.0)
    # a stride's bob, paced by the move and level at both ends (a chained clip's starts level, where the margin is 0)
    bob = 0.6 * math.sin(2 * math.pi * e) * math.sin(math.pi * e) if camera is Camera.TRACKING else 0.0
    cx = width / 2 + travel_x * free_x
    cy = height / 2 + max(-1.0, min(1.0, travel_y + bob)) * free_y
    return cx, cy, zoom, theta


def _affine(cx: float, cy: float, zoom: float, theta: float, width: int, height: int) -> tuple[float, ...]:
    s = 1.0 / zoom
    a, b = s * math.cos(theta), -s * math.sin(theta)
    d, e = s * math.sin(theta), s * math.cos(theta)
    return (a, b, cx - a * width / 2 - b * height / 2, d, e, cy - d * width / 2 - e * height / 2)


def frame_map(
    camera: Camera, p: float, width: int, height: int, speeds: tuple[float, float] = (0.0, 0.0)
) -> np.ndarray:
    """The 3x3 map from a frame's pixels to the clip's first-frame pixels at progress ``p`` (frame 0 is identity)."""
    matrix = np.eye(3)
    if p > 0:
        window_at = window(camera, p, width, height, speeds)
        matrix[:2] = np.array(_affine(*window_at, width, height)).reshape(2, 3)
    return matrix


def beat_maps(camera: Camera, clips_s: Sequence[int], fps: int, width: int, height: int) -> list[np.ndarray]:
    """Maps from every frame of a beat's clips to its storyboard frame (at the clip's size).

    A clip that chains starts on the last frame of the one before, so its moves compound; one that re-anchors
    starts on the storyboard frame again. The camera rests only at the beat's ends (``seam_speeds``), as
    ``make_chunks`` asks.
    """
    maps: list[np.ndarray] = []
    for part, clip_s in enumerate(clips_s):
        base = np.eye(3) if first_frame_source(part) is FrameSource.STORYBOARD else maps[-1]
        before, after = clips_s[part - 1] if part else None, clips_s[part + 1] if part + 1 < len(clips_s) else None
        frames, speeds = clip_s * fps, seam_speeds(camera, before, clip_s, after)
        maps += [base @ frame_map(camera, n / max(frames - 1, 1), width, height, speeds) for n in range(frames)]
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
        speeds = seam_speeds(job.camera, job.continues_s, job.clip_s, job.continued_by_s)
        frame0 = np.ascontiguousarray(np.asarray(image))
        try:
            for n in range(frames):
                matrix = frame_map(job.camera, n / max(frames - 1, 1), width, height, speeds)
                frame = warp(frame0, matrix) if n else frame0
                process.stdin.write(frame.tobytes())
            process.stdin.close()
        except BrokenPipeError:
            pass
        err = process.stderr.read().decode(errors="replace")
        if process.wait() != 0:
            tail = "\n".join(err.strip().splitlines()[-3:])
            raise MediaError(f"ffmpeg failed to encode clip {job.item}: {tail or NO_OUTPUT}")
