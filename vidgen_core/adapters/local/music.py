"""Offline music: an arrangement (pads, bass, arpeggio, drums) synthesised for a mood, a length and a tempo.

It ends: the bar before the last downbeat is the dominant, the last downbeat strikes the tonic, and that chord rings
out to silence at the video's end, so the last sound is a cadence rather than a fade in mid-phrase.
"""

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
from vidgen_core.domain.sound import DECLICK_S
from vidgen_core.domain.tempo import DEFAULT_MOOD, bar_s, mood_bpm
from vidgen_core.settings import Settings


@dataclass(frozen=True)
class Groove:
    root_midi: int
    minor: bool
    progression: tuple[int, ...]  # scale degrees (0-based) of each bar's chord
    arp_per_beat: int
    drums: bool


GROOVES: dict[str, Groove] = {  # keyed like MOOD_BPM, which holds each mood's tempo
    "energetic": Groove(57, True, (0, 5, 2, 6), 4, True),
    "upbeat": Groove(60, False, (0, 4, 5, 3), 2, True),
    "calm": Groove(53, False, (0, 5, 3, 4), 1, False),
    "dramatic": Groove(50, True, (0, 5, 6, 0), 2, True),
    "inspirational": Groove(55, False, (5, 3, 0, 4), 2, True),
    "ambient": Groove(52, False, (0, 3), 0, False),
}
DOMINANT = 4  # scale degree of the chord before the final tonic
MIN_RING_S = 1.0  # the final chord rings at least this long (else it is struck a bar earlier)
RING_FLOOR = 1e-3  # the final chord decays to -60 dB at the very end
MAJOR, MINOR = (0, 2, 4, 5, 7, 9, 11), (0, 2, 3, 5, 7, 8, 10)


def _hz(midi: float) -> float:
    return 440.0 * 2 ** ((midi - 69) / 12)


def _chord(groove: Groove, degree: int) -> list[int]:
    scale = MINOR if groove.minor else MAJOR
    notes = [groove.root_midi + scale[(degree + k) % 7] + 12 * ((degree + k) // 7) for k in (0, 2, 4)]
    if degree == DOMINANT:  # a major dominant (the leading tone) even in minor, so the cadence resolves
        notes[1] = groove.root_midi + 11
    return notes


def final_downbeat_s(duration_s: float, bpm: float) -> float:
    """Where the closing tonic is struck: the last bar line that leaves it ``MIN_RING_S`` to ring out."""
    bar = bar_s(bpm)
    return max(0.0, float(np.floor((duration_s - MIN_RING_S) / bar + 1e-9)) * bar)


def _tone(freq: float, n: int, rate: int, harmonics: tuple[float, ...]) -> np.ndarray:
    t = np.arange(n) / rate
    return sum(a * np.sin(2 * np.pi * freq * (k + 1) * t) for k, a in enumerate(harmonics))  # type: ignore[return-value]


def render(mood: str, duration_s: float, seed: int, rate: int, bpm: float | None = None) -> np.ndarray:
    """Stereo float samples in [-1, 1] of shape (n, 2): bars at ``bpm`` (default: the mood's), then the ending."""
    groove = GROOVES.get(mood, GROOVES[DEFAULT_MOOD])
    bpm = bpm or mood_bpm(mood)
    rng = np.random.default_rng(seed)
    n = round(duration_s * rate)
    out = np.zeros((n, 2))
    bar = bar_s(bpm)
    ending = final_downbeat_s(duration_s, bpm)
    bars = round(ending / bar)
    for b in range(bars):
        degree = DOMINANT if b == bars - 1 and bars > 1 else groove.progression[b % len(groove.progression)]
        start = round(b * bar * rate)
        length = round((b + 1) * bar * rate) - start
        drums = groove.drums and (b > 0 or bars == 1)  # drums enter after the first bar
        out[start : start + length] += _bar(groove, _chord(groove, degree), length, rate, rng, drums)
    start = round(ending * rate)
    out[start:] += _final_chord(groove, n - start, rate, rng)
    mix = np.tanh(out * 1.2)
    peak = float(np.max(np.abs(mix))) or 1.0
    return mix / peak * 0.89


def _bar(groove: Groove, notes: list[int], length: int, rate: int, rng: np.random.Generator, drums: bool) -> np.ndarray:
    """One bar of the groove on a chord: pad, bass on every beat, arpeggio, and drums when they play."""
    left, right = np.zeros(length), np.zeros(length)
    beat = length / 4
    ramp = np.arange(length)
    env = np.minimum(1.0, ramp / (0.25 * rate)) * np.minimum(1.0, (length - ramp) / (0.1 * rate))
    pad = sum(_tone(_hz(m) * (1 + d), length, rate, (0.5, 0.2, 0.1)) for m in notes for d in (-0.003, 0.003))
    left += 0.12 * env * pad
    right += 0.12 * env * pad
    for k in range(4):  # bass on every beat
        s, m = int(k * beat), int(beat)
        tone = 0.35 * np.exp(-np.arange(m) / (0.25 * rate)) * _tone(_hz(notes[0] - 12), m, rate, (1.0, 0.4))
        left[s : s + m] += tone
        right[s : s + m] += tone
    steps = 4 * groove.arp_per_beat
    for k in range(steps):  # arpeggio, panned gently side to side
        s, m = int(k * length / steps), int(length / steps)
        midi = notes[k % 3] + 12 * (1 + (k // 3) % 2)
        pluck = 0.09 * np.exp(-np.arange(m) / (0.12 * rate)) * _tone(_hz(midi), m, rate, (1.0, 0.3, 0.15))
        pan = 0.5 + 0.3 * np.sin(k)
        left[s : s + m] += (1 - pan) * pluck
        right[s : s + m] += pan * pluck
    if drums:
        for k in range(8):  # kick on beats, snare on 2 and 4, hats on eighths
            s, m = int(k * beat / 2), int(beat / 2)
            hit = _drum(m, rate, rng, kick=k % 2 == 0, snare=k in (2, 6))
            left[s : s + m] += hit
            right[s : s + m] += hit
    return np.stack([left, right], axis=1)


def _drum(m: int, rate: int, rng: np.random.Generator, kick: bool, snare: bool) -> np.ndarray:
    idx = np.arange(m)
    hit = 0.03 * rng.standard_normal(m) * np.exp(-idx / (0.02 * rate))
    if kick:
        sweep = 2 * np.pi * np.cumsum(50 + 90 * np.exp(-idx / (0.04 * rate))) / rate
        hit = hit + 0.5 * np.sin(sweep) * np.exp(-idx / (0.12 * rate))
    if snare:
        hit = hit + 0.15 * rng.standard_normal(m) * np.exp(-idx / (0.06 * rate))
    return hit


def _final_chord(groove: Groove, length: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    """The tonic struck on the last downbeat (bass an octave down, pad, a kick) decaying to -60 dB at the end."""
    idx = np.arange(length)
    decay = RING_FLOOR ** (idx / max(length - 1, 1))
    strike = np.minimum(1.0, idx / (0.005 * rate))
    declick = np.minimum(1.0, (length - idx) / (DECLICK_S * rate))
    notes = _chord(groove, 0)
    pad = sum(_tone(_hz(m) * (1 + d), length, rate, (0.5, 0.2, 0.1)) for m in notes for d in (-0.003, 0.003))
    bass = _tone(_hz(notes[0] - 12), length, rate, (1.0, 0.4))
    ring = (0.12 * pad + 0.4 * bass) * decay * strike * declick
    kick = np.zeros(length)
    if groove.drums:
        kick[: min(length, rate // 2)] = _drum(min(length, rate // 2), rate, rng, kick=True, snare=False)
    return np.stack([ring + kick, ring + kick], axis=1)


def synthesize(
    mood: str, duration_s: float, seed: int, out: Path, settings: Settings, bpm: float | None = None
) -> Path:
    """Write a 16-bit stereo WAV at the delivery sample rate."""
    start = time.perf_counter()
    rate = settings.audio_rate_hz
    samples = (render(mood, duration_s, seed, rate, bpm) * 32767).astype("<i2")
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
        synthesize(job.mood, job.duration_s, job.seed, out, self.settings, job.bpm)
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
