"""Offline music: a short arrangement (pads, bass, arpeggio, drums) synthesised for a mood and a length."""

from __future__ import annotations

import time
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vidgen_core.adapters.ffmpeg.tools import MediaClock
from vidgen_core.domain.catalog import LOCAL_MODELS, LOCAL_PROVIDER, Kind
from vidgen_core.domain.models import CostLine, Phase
from vidgen_core.domain.ports import Generated, MusicJob
from vidgen_core.settings import Settings


@dataclass(frozen=True)
class Groove:
    bpm: int
    root_midi: int
    minor: bool
    progression: tuple[int, ...]  # scale degrees (0-based) of each bar's chord
    arp_per_beat: int
    drums: bool


GROOVES: dict[str, Groove] = {
    "energetic": Groove(128, 57, True, (0, 5, 2, 6), 4, True),
    "upbeat": Groove(116, 60, False, (0, 4, 5, 3), 2, True),
    "calm": Groove(80, 53, False, (0, 5, 3, 4), 1, False),
    "dramatic": Groove(90, 50, True, (0, 5, 6, 0), 2, True),
    "inspirational": Groove(100, 55, False, (5, 3, 0, 4), 2, True),
    "ambient": Groove(70, 52, False, (0, 3), 0, False),
}
MAJOR, MINOR = (0, 2, 4, 5, 7, 9, 11), (0, 2, 3, 5, 7, 8, 10)


def _hz(midi: float) -> float:
    return 440.0 * 2 ** ((midi - 69) / 12)


def _chord(groove: Groove, degree: int) -> list[int]:
    scale = MINOR if groove.minor else MAJOR
    return [groove.root_midi + scale[(degree + k) % 7] + 12 * ((degree + k) // 7) for k in (0, 2, 4)]


def _tone(freq: float, n: int, rate: int, harmonics: tuple[float, ...]) -> np.ndarray:
    t = np.arange(n) / rate
    return sum(a * np.sin(2 * np.pi * freq * (k + 1) * t) for k, a in enumerate(harmonics))  # type: ignore[return-value]


def render(mood: str, duration_s: float, seed: int, rate: int) -> np.ndarray:
    """Stereo float samples in [-1, 1] of shape (n, 2)."""
    groove = GROOVES.get(mood, GROOVES["inspirational"])
    rng = np.random.default_rng(seed)
    n = int(duration_s * rate)
    left, right = np.zeros(n), np.zeros(n)
    beat = 60.0 / groove.bpm
    bar = 4 * beat
    for b in range(int(np.ceil(duration_s / bar))):
        start = int(b * bar * rate)
        length = min(int(bar * rate), n - start)
        if length <= 0:
            break
        notes = _chord(groove, groove.progression[b % len(groove.progression)])
        ramp = np.arange(length)
        env = np.minimum(1.0, ramp / (0.25 * rate)) * np.minimum(1.0, (length - ramp) / (0.1 * rate))
        pad = sum(_tone(_hz(m) * (1 + d), length, rate, (0.5, 0.2, 0.1)) for m in notes for d in (-0.003, 0.003))
        left[start : start + length] += 0.12 * env * pad
        right[start : start + length] += 0.12 * env * pad
        for k in range(4):  # bass on every beat
            s = start + int(k * beat * rate)
            m = min(int(beat * rate), n - s)
            if m > 0:
                decay = np.exp(-np.arange(m) / (0.25 * rate))
                tone = 0.35 * decay * _tone(_hz(notes[0] - 12), m, rate, (1.0, 0.4))
                left[s : s + m] += tone
                right[s : s + m] += tone
        steps = 4 * groove.arp_per_beat
        for k in range(steps):  # arpeggio, panned gently side to side
            s = start + int(k * bar / steps * rate)
            m = min(int(bar / steps * rate), n - s)
            if m <= 0:
                continue
            midi = notes[k % 3] + 12 * (1 + (k // 3) % 2)
            pluck = 0.09 * np.exp(-np.arange(m) / (0.12 * rate)) * _tone(_hz(midi), m, rate, (1.0, 0.3, 0.15))
            pan = 0.5 + 0.3 * np.sin(k)
            left[s : s + m] += (1 - pan) * pluck
            right[s : s + m] += pan * pluck
        if groove.drums and (b > 0 or duration_s < 2 * bar):  # drums enter after the first bar
            for k in range(8):  # kick on beats, snare on 2 and 4, hats on eighths
                s = start + int(k * beat / 2 * rate)
                m = min(int(beat / 2 * rate), n - s)
                if m <= 0:
                    continue
                idx = np.arange(m)
                hat = 0.03 * rng.standard_normal(m) * np.exp(-idx / (0.02 * rate))
                hit = hat
                if k % 2 == 0:
                    sweep = 2 * np.pi * np.cumsum(50 + 90 * np.exp(-idx / (0.04 * rate))) / rate
                    hit = hit + 0.5 * np.sin(sweep) * np.exp(-idx / (0.12 * rate))
                if k in (2, 6):
                    hit = hit + 0.15 * rng.standard_normal(m) * np.exp(-idx / (0.06 * rate))
                left[s : s + m] += hit
                right[s : s + m] += hit
    mix = np.tanh(np.stack([left, right], axis=1) * 1.2)
    peak = float(np.max(np.abs(mix))) or 1.0
    return mix / peak * 0.89


def synthesize(mood: str, duration_s: float, seed: int, out: Path, settings: Settings) -> Path:
    """Write a 16-bit stereo WAV at the delivery sample rate."""
    start = time.perf_counter()
    rate = settings.audio_rate_hz
    samples = (render(mood, duration_s, seed, rate) * 32767).astype("<i2")
    with wave.open(str(out), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples.tobytes())
    MediaClock.add(time.perf_counter() - start)
    return out


class LocalMusicGenerator:
    """Synthesises a background track for the spec's mood and length, offline."""

    provider = LOCAL_PROVIDER

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def generate(self, job: MusicJob, out: Path) -> Generated:
        synthesize(job.mood, job.duration_s, job.seed, out, self.settings)
        model = LOCAL_MODELS[Kind.MUSIC]
        cost = CostLine(
            phase=Phase.MUSIC,
            provider=self.provider,
            model=model,
            item="music",
            quantity=job.duration_s,
            unit="second",
            usd=0.0,
        )
        return Generated(path=out, provider=self.provider, model=model, costs=[cost])
