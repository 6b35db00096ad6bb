"""Measuring a delivered file as a buyer would: its streams and tags, its sound, its still stretches and its frames.

Everything here reads the FILE (ffprobe, ffmpeg filters, decoded frames), never what the pipeline says it made, so
the checks built on it catch what the encoder or a stream copy really wrote.
"""

from __future__ import annotations

import re
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import cv2
import ffmpeg
import numpy as np
from PIL import Image

from vidgen_core.adapters.ffmpeg.probe import ffprobe_json
from vidgen_core.adapters.ffmpeg.tools import MediaClock, ffmpeg_exe, ffprobe_exe, run
from vidgen_core.domain.checks import BLACK_PIXEL, FREEZE_NOISE, STILL_LIMIT_S
from vidgen_core.domain.errors import MediaError
from vidgen_core.domain.sound import LoudnessReading

SMALL_SIDE = 160  # decoded frames are scaled to fit 160x160: enough for motion and colour, cheap to compare
STILL_SIDE = 480  # the picture fits this square for freezedetect and blackdetect


@dataclass(frozen=True)
class FileFacts:
    """Container and stream facts as ffprobe reads them, plus the top-level atom order."""

    duration_s: float
    size_bytes: int
    width: int = 0
    height: int = 0
    video_codec: str = ""
    video_profile: str = ""
    pix_fmt: str = ""
    color_primaries: str = "unknown"
    color_transfer: str = "unknown"
    color_space: str = "unknown"
    color_range: str = "unknown"
    r_frame_rate: Fraction = Fraction(0)
    avg_frame_rate: Fraction = Fraction(0)
    video_frames: int | None = None
    video_start_s: float | None = None
    video_bit_rate: int = 0
    audio_codec: str = ""
    audio_profile: str = ""
    sample_rate: int = 0
    channels: int = 0
    audio_start_s: float | None = None
    audio_bit_rate: int = 0
    faststart: bool = False

    @property
    def fps(self) -> float:
        return float(self.avg_frame_rate)


@dataclass(frozen=True)
class Interval:
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Stills:
    """Frozen and black stretches of at least ``STILL_LIMIT_S``, from freezedetect and blackdetect."""

    frozen: tuple[Interval, ...]
    black: tuple[Interval, ...]


@dataclass(frozen=True)
class Motion:
    """Per decoded frame ``i`` (small RGB): the mean absolute difference from frame ``i - 1`` (0-255) and the mean
    CIELAB ΔE76 from frame ``i - 1``. Entry 0 compares with nothing and is NaN."""

    fps: float
    diff: np.ndarray
    delta_e: np.ndarray

    @property
    def frames(self) -> int:
        return len(self.diff)


def _rate(value: str | None) -> Fraction:
    try:
        return Fraction(value or "0")
    except (ValueError, ZeroDivisionError):
        return Fraction(0)


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def moov_before_mdat(path: Path) -> bool:
    """True when the file's top-level ``moov`` atom comes before its ``mdat`` (a player can start before the end
    has arrived: ``+faststart``)."""
    with path.open("rb") as f:
        while header := f.read(8):
            if len(header) < 8:
                return False
            size, kind = int.from_bytes(header[:4], "big"), header[4:8]
            if kind == b"moov":
                return True
            if kind == b"mdat":
                return False
            if size == 1:  # a 64-bit size follows the type
                size = int.from_bytes(f.read(8), "big") - 8
            elif size == 0:  # the atom runs to the end of the file
                return False
            f.seek(size - 8, 1)
    return False


def file_facts(path: Path) -> FileFacts:
    """What ffprobe reads of the file's format and first video and audio streams."""
    data = ffprobe_json(path)
    fmt = data.get("format", {})
    streams = data.get("streams", [])
    video = next((s for s in streams if s.get("codec_type") == "video"), {})
    audio = next((s for s in streams if s.get("codec_type") == "audio"), {})
    nb_frames = video.get("nb_frames", "")
    return FileFacts(
        duration_s=_float(fmt.get("duration")) or 0.0,
        size_bytes=_int(fmt.get("size")) or path.stat().st_size,
        width=_int(video.get("width")),
        height=_int(video.get("height")),
        video_codec=video.get("codec_name", ""),
        video_profile=video.get("profile", ""),
        pix_fmt=video.get("pix_fmt", ""),
        color_primaries=video.get("color_primaries", "unknown"),
        color_transfer=video.get("color_transfer", "unknown"),
        color_space=video.get("color_space", "unknown"),
        color_range=video.get("color_range", "unknown"),
        r_frame_rate=_rate(video.get("r_frame_rate")),
        avg_frame_rate=_rate(video.get("avg_frame_rate")),
        video_frames=int(nb_frames) if nb_frames.isdigit() else None,
        video_start_s=_float(video.get("start_time")),
        video_bit_rate=_int(video.get("bit_rate")),
        audio_codec=audio.get("codec_name", ""),
        audio_profile=audio.get("profile", ""),
        sample_rate=_int(audio.get("sample_rate")),
        channels=_int(audio.get("channels")),
        audio_start_s=_float(audio.get("start_time")),
        audio_bit_rate=_int(audio.get("bit_rate")),
        faststart=moov_before_mdat(path),
    )


_SUMMARY = {
    "integrated_lufs": re.compile(r"I:\s+(-?[\d.]+|-inf) LUFS"),
    "lra_lu": re.compile(r"LRA:\s+(-?[\d.]+) LU"),
    "true_peak_dbtp": re.compile(r"Peak:\s+(-?[\d.]+|-inf) dBFS"),
}
_FRAME = re.compile(r"\bt:\s*([\d.]+).*?\bM:\s*(-?[\d.]+|-inf)\s+S:\s*(-?[\d.]+|-inf)")
SHORT_TERM_WINDOW_S = 3.0


def loudness_reading(text: str, what: str) -> LoudnessReading:
    """ebur128's log (framelog at info): its summary (I, LRA, true peak), the loudest momentary value and the loudest
    short-term value once its 3 s window is full (R128 s1 limits that one)."""
    head, _, summary = text.rpartition("Summary:")
    found = {name: pattern.search(summary) for name, pattern in _SUMMARY.items()}
    if not head or not all(found.values()):
        raise MediaError(f"ffmpeg printed no loudness summary for {what}")
    frames = [(float(t), float(m), float(s)) for t, m, s in _FRAME.findall(head)]  # "-inf" parses as -inf
    full = [s for t, _, s in frames if t >= SHORT_TERM_WINDOW_S - 1e-6] or [s for *_, s in frames]
    return LoudnessReading(
        **{name: float(match.group(1)) for name, match in found.items() if match},
        max_short_term_lufs=max(full, default=float("-inf")),
        max_momentary_lufs=max((m for _, m, _ in frames), default=float("-inf")),
    )


def loudness(stream: Any, what: str) -> LoudnessReading:
    """ebur128 with true peak over an ffmpeg-python audio stream (a file's, or a filter graph's output)."""
    measured = stream.filter("ebur128", peak="true", framelog="info").output("-", format="null")
    _, err = run(measured, f"measure the loudness of {what}")
    return loudness_reading(err.decode(errors="replace"), what)


_FREEZE = re.compile(r"lavfi\.freezedetect\.freeze_(start|end): (-?[\d.]+)")
_BLACK = re.compile(r"black_start:\s*(-?[\d.]+)\s+black_end:\s*(-?[\d.]+)")


def _freezes(text: str, duration_s: float) -> tuple[Interval, ...]:
    """freezedetect's start and end lines as intervals; a freeze still running at the end ends with the file."""
    found, start = [], None
    for kind, value in _FREEZE.findall(text):
        if kind == "start":
            start = float(value)
        elif start is not None:
            found.append(Interval(start, float(value)))
            start = None
    if start is not None:
        found.append(Interval(start, duration_s))
    return tuple(found)


def sound_and_stills(path: Path, facts: FileFacts) -> tuple[LoudnessReading | None, Stills]:
    """In one decode: the audio's loudness (ebur128 with true peak; None without audio) and the picture's frozen
    (freezedetect, n=0.003) and black (blackdetect, pix_th=0.1) stretches of 1 s or more. The picture is scaled to
    fit 480x480 first: both detectors average over pixels, so the verdict holds and a 4K master decodes cheaply."""
    src = ffmpeg.input(str(path))
    picture = (
        src.video.filter(
            "scale", STILL_SIDE, STILL_SIDE, force_original_aspect_ratio="decrease", force_divisible_by=2, flags="area"
        )
        .filter("freezedetect", n=FREEZE_NOISE, d=STILL_LIMIT_S)
        .filter("blackdetect", d=STILL_LIMIT_S, pix_th=BLACK_PIXEL)
    )
    streams = [picture, src.audio.filter("ebur128", peak="true", framelog="info")] if facts.audio_codec else [picture]
    out = ffmpeg.output(*streams, "-", format="null").global_args("-loglevel", "info")
    _, err = run(out, f"measure the sound and still stretches of {path.name}")
    text = err.decode(errors="replace")
    black = tuple(Interval(float(a), float(b)) for a, b in _BLACK.findall(text))
    return (loudness_reading(text, path.name) if facts.audio_codec else None), Stills(
        _freezes(text, facts.duration_s), black
    )


def _small_size(width: int, height: int) -> tuple[int, int]:
    scale = SMALL_SIDE / max(width, height)
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def to_lab(rgb: np.ndarray) -> np.ndarray:
    """8-bit sRGB pixels as CIELAB (L* 0-100, D65), float32."""
    return cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)


def decoded_frames(path: Path) -> int:
    """The frames of the first picture stream, counted by decoding every one (not the container's own count)."""
    started = time.perf_counter()
    try:
        data = ffmpeg.probe(str(path), cmd=ffprobe_exe(), count_frames=None, select_streams="v:0")
    except ffmpeg.Error as exc:
        tail = (exc.stderr or b"").decode(errors="replace").strip().splitlines()[-1:]
        raise MediaError(f"ffprobe cannot decode {path.name}: {' '.join(tail)}") from None
    finally:
        MediaClock.add(time.perf_counter() - started)
    streams = data.get("streams", [])
    return int(streams[0].get("nb_read_frames", 0)) if streams else 0


def motion(path: Path, facts: FileFacts | None = None) -> Motion:
    """Decode the picture once, scaled to fit 160x160, and compare each frame with the one before (mean absolute
    RGB difference and mean ΔE76); frames stream through a pipe, one at a time."""
    facts = facts or file_facts(path)
    if not facts.width or not facts.height:
        raise MediaError(f"{path.name} has no picture to measure")
    width, height = _small_size(facts.width, facts.height)
    cmd = [ffmpeg_exe(), "-v", "error", "-i", str(path), "-map", "0:v:0", "-vf", f"scale={width}:{height}:flags=area"]
    cmd += ["-pix_fmt", "rgb24", "-f", "rawvideo", "-"]
    diff, delta_e = [], []
    with _Decoder(cmd, f"decode the frames of {path.name}") as pipe:
        previous: tuple[np.ndarray, np.ndarray] | None = None
        size = width * height * 3
        while len(raw := pipe.read(size)) == size:
            rgb = np.frombuffer(raw, np.uint8).reshape(height, width, 3).astype(np.int16)
            lab = to_lab(rgb)
            if previous is None:
                diff.append(np.nan)
                delta_e.append(np.nan)
            else:
                diff.append(float(np.abs(rgb - previous[0]).mean()))
                delta_e.append(float(np.linalg.norm(lab - previous[1], axis=2).mean()))
            previous = (rgb, lab)
    return Motion(facts.fps, np.array(diff), np.array(delta_e))


def frames_at(path: Path, indices: list[int], size: tuple[int, int]) -> Iterator[tuple[int, np.ndarray]]:
    """Frames ``indices`` of a video at full size (``size``, its width and height) as RGB, in frame order: one
    decode of the file, the chosen frames streamed through a pipe one at a time."""
    wanted = sorted(set(indices))
    if not wanted:
        return
    width, height = size
    chosen = "+".join(f"eq(n\\,{index})" for index in wanted)
    cmd = [ffmpeg_exe(), "-v", "error", "-i", str(path), "-map", "0:v:0", "-vf", f"select={chosen}"]
    cmd += ["-fps_mode", "passthrough", "-pix_fmt", "rgb24", "-f", "rawvideo", "-"]
    with _Decoder(cmd, f"decode frames of {path.name}") as pipe:
        for index in wanted:
            raw = pipe.read(width * height * 3)
            if len(raw) < width * height * 3:
                raise MediaError(f"{path.name} has no frame {index}")
            yield index, np.frombuffer(raw, np.uint8).reshape(height, width, 3)


class _Decoder:
    """ffmpeg writing raw frames to a pipe, its stderr drained beside it (so a chatty ffmpeg never blocks), timed
    into the media clock and failing with ffmpeg's last lines."""

    def __init__(self, cmd: list[str], what: str) -> None:
        self.cmd, self.what, self.err = cmd, what, bytearray()

    def __enter__(self) -> Any:
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.drain = threading.Thread(target=lambda: self.err.extend(self.proc.stderr.read()), daemon=True)  # type: ignore[union-attr]
        self.drain.start()
        return self.proc.stdout

    def __exit__(self, *exc: object) -> None:
        self.proc.stdout.close()  # type: ignore[union-attr]
        code = self.proc.wait()
        self.drain.join()
        MediaClock.add(time.perf_counter() - self.started)
        if code and exc[0] is None:
            tail = "\n".join(self.err.decode(errors="replace").strip().splitlines()[-4:])
            raise MediaError(f"ffmpeg failed to {self.what}: {tail or 'it exited with an error'}")


def image_lab(path: Path) -> np.ndarray:
    """An image's pixels as CIELAB, scaled to fit 160x160 (colour statistics, not detail)."""
    with Image.open(path) as img:
        small = img.convert("RGB").resize(_small_size(img.width, img.height), Image.Resampling.BOX)
    return to_lab(np.asarray(small))


FRAMINGS = (1.0, 0.75, 0.5)  # share of the keyframe's width and height a camera move may end on


def _framings(lab: np.ndarray) -> list[np.ndarray]:
    """Mean colours of the keyframe as a camera might end framed on it: whole, and 3/4 and 1/2 crops at the
    corners, edge midpoints and centre."""
    height, width, _ = lab.shape
    means = []
    for share in FRAMINGS:
        h, w = max(1, round(height * share)), max(1, round(width * share))
        for y in sorted({0, (height - h) // 2, height - h}):
            for x in sorted({0, (width - w) // 2, width - w}):
                means.append(lab[y : y + h, x : x + w].reshape(-1, 3).mean(axis=0))
    return means


def colour_drift(frame: np.ndarray, keyframe: np.ndarray) -> float:
    """How far a frame's colour has moved from its keyframe's: the smallest ΔE76 between the frame's mean L*a*b*
    and that of a framing of the keyframe, so a push-in or a pan over the same picture is not drift, while a cast,
    an exposure slip or a new palette is."""
    mean = frame.reshape(-1, 3).mean(axis=0)
    return min(float(np.linalg.norm(mean - framed)) for framed in _framings(keyframe))
