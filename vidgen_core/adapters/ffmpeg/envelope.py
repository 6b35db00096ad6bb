"""A sound's RMS envelope, decoded by ffmpeg: where speech is, and how loud a stem is over a stretch of time."""

from __future__ import annotations

from pathlib import Path

import ffmpeg
import numpy as np

from vidgen_core.adapters.ffmpeg.tools import run

ENVELOPE_RATE_HZ = 16_000  # enough for speech's energy; a 30 s stem decodes in milliseconds
WINDOW_S = 0.02
SILENCE_DB = -120.0


def samples(path: Path, rate: int = ENVELOPE_RATE_HZ) -> np.ndarray:
    """The file's sound as mono float32 samples at ``rate``."""
    stream = ffmpeg.input(str(path)).audio.output("-", format="f32le", ac=1, ar=rate)
    out, _ = run(stream, f"decode the sound of {path.name}")
    return np.frombuffer(out, dtype=np.float32)


def rms_db(signal: np.ndarray, rate: int = ENVELOPE_RATE_HZ, window_s: float = WINDOW_S) -> np.ndarray:
    """RMS level (dBFS) of each ``window_s`` window; window ``i`` covers ``[i * window_s, (i + 1) * window_s)``."""
    size = max(1, round(rate * window_s))
    count = len(signal) // size
    if count == 0:
        return np.zeros(0)
    frames = signal[: count * size].astype(np.float64).reshape(count, size)
    power = np.mean(frames**2, axis=1)
    return np.maximum(10 * np.log10(np.maximum(power, 1e-30)), SILENCE_DB)


def envelope(path: Path, window_s: float = WINDOW_S) -> np.ndarray:
    """The file's RMS envelope in dBFS, one value per ``window_s``."""
    return rms_db(samples(path), ENVELOPE_RATE_HZ, window_s)


def level_db(envelope_db: np.ndarray, start_s: float, end_s: float, window_s: float = WINDOW_S) -> float:
    """The RMS level (dBFS) over ``[start_s, end_s)`` of an envelope: the power mean of its windows there."""
    part = envelope_db[max(0, int(start_s / window_s)) : max(0, int(np.ceil(end_s / window_s)))]
    if part.size == 0:
        return SILENCE_DB
    return float(max(10 * np.log10(np.mean(10 ** (part / 10))), SILENCE_DB))
