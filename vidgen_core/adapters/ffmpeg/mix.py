"""The voiceover mix: the whole voice track from the spoken lines, and the music bed ducked under it.

ffmpeg decodes and time-stretches; the levels, the gain automation and the sums are numpy, so a mix is the same
every time. Everything is written as 32-bit float WAV: a sum before the master's gain, or a stem at that gain, may
pass full scale, and only the limiter decides what reaches the file. Loudness is BS.1770's (ffmpeg's ebur128); the
ducks' RMS levels are those of ffmpeg's mono downmix (each channel at -3 dB), the one the checks decode
(domain.mixing).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from pathlib import Path

import ffmpeg
import numpy as np

from vidgen_core.adapters.ffmpeg.envelope import SILENCE_DB, WINDOW_S, rms_db
from vidgen_core.adapters.ffmpeg.measure import loudness, loudness_reading
from vidgen_core.adapters.ffmpeg.tools import run
from vidgen_core.domain.checks import SPEECH_FLOOR_DB, VOICE_OVER_MUSIC_DB
from vidgen_core.domain.mixing import (
    ATTACK_S,
    BED_UNDER_VOICE_LU,
    DUCK_MARGIN_DB,
    HOLD_S,
    MIN_DUCK_DB,
    RELEASE_S,
    VOICE_LUFS,
)
from vidgen_core.domain.models import Voiceover
from vidgen_core.settings import Settings

WAVE_FLOAT = 3  # WAVE_FORMAT_IEEE_FLOAT
DUAL_MONO_LU = 10 * np.log10(2)  # a mono line played in both channels: BS.1770 sums the channels' power
SILENT_LUFS = -70.0  # BS.1770's absolute gate: a sound no louder than this has no loudness to match
MEASURED_S = 0.8  # a line is measured over at least this long (two 400 ms blocks)
MAX_LEVELLING_DB = 20.0  # the most a line is raised or lowered to match the others


def read(path: Path, rate: int) -> np.ndarray:
    """A file's sound as float32 stereo samples, shape (n, 2), at ``rate``."""
    stream = ffmpeg.input(str(path)).audio.output("-", format="f32le", ac=2, ar=rate)
    out, _ = run(stream, f"decode the sound of {path.name}")
    return np.frombuffer(out, dtype="<f4").reshape(-1, 2)


def write(path: Path, sound: np.ndarray, rate: int) -> Path:
    """``sound`` (n, channels) as a 32-bit float WAV."""
    data = np.ascontiguousarray(sound, dtype="<f4")
    channels = data.shape[1]
    fmt = struct.pack("<HHIIHHH", WAVE_FLOAT, channels, rate, rate * 4 * channels, 4 * channels, 32, 0)
    chunks = [(b"fmt ", fmt), (b"fact", struct.pack("<I", len(data))), (b"data", data.tobytes())]
    body = b"WAVE" + b"".join(name + struct.pack("<I", len(part)) + part for name, part in chunks)
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path


def mono(sound: np.ndarray) -> np.ndarray:
    """The mono downmix ffmpeg makes of stereo (``-ac 1``: each channel at -3 dB)."""
    return (sound[:, 0].astype(np.float64) + sound[:, 1]) * np.sqrt(0.5)


def power_db(signal: np.ndarray) -> float:
    """RMS level of a stretch of samples, dBFS."""
    if signal.size == 0:
        return SILENCE_DB
    return float(max(10 * np.log10(max(float(np.mean(np.square(signal))), 1e-30)), SILENCE_DB))


def _played(path: Path, stretch: float, rate: int) -> tuple[np.ndarray, float]:
    """A line's audio as played, mono at ``rate``, time-stretched (pitch kept, rubberband) to ``stretch`` times its
    length (under 1: sped up); and its loudness (LUFS) in the voice track, where it plays in both channels.

    Rubber Band's transients are smooth: its default resets the phase at each onset it detects, which on syllables
    bends the pitch (a 140 Hz voiced line sped up 10% measured 137.75-142.25 Hz; smooth: 140.0), and a stretch of
    at most 10% has no drum hit to keep crisp."""
    stream = ffmpeg.input(str(path)).audio.filter("aresample", rate)
    if abs(stretch - 1.0) > 1e-4:
        stream = stream.filter("rubberband", tempo=1 / stretch, transients="smooth")
    # measured over at least two 400 ms blocks: a shorter line would read as the meter's floor (-70) and be boosted
    # by ~50 dB; the silence padded on is gated out and trimmed off again by the caller
    stream = stream.filter("apad", whole_dur=MEASURED_S).filter("ebur128", peak="true", framelog="info")
    out, err = run(stream.output("-", format="f32le", ac=1, ar=rate), f"time-stretch {path.name}")
    level = loudness_reading(err.decode(errors="replace"), path.name).integrated_lufs
    return np.frombuffer(out, dtype="<f4").astype(np.float64), level


def voice_track(
    voiceover: Voiceover, line_paths: Sequence[Path], duration_s: float, out: Path, settings: Settings
) -> Path:
    """The whole voice track of the ad (stereo, the voice in the centre, ``settings.audio_rate_hz``): each line
    (``line_paths``, in the order of ``voiceover.lines``) stretched to its played length, brought to ``VOICE_LUFS``
    so every line is as loud as the others, and placed at its ``start_s``; silence elsewhere."""
    rate = settings.audio_rate_hz
    track = np.zeros(round(duration_s * rate))
    for said, path in zip(voiceover.lines, line_paths, strict=True):
        start = round(said.start_s * rate)
        played, level = _played(path, said.stretch, rate)
        played = played[: max(0, min(round(said.end_s * rate), len(track)) - start)]
        if level > SILENT_LUFS:  # the meter's floor: nothing to level
            gain = min(max(VOICE_LUFS - (level + DUAL_MONO_LU), -MAX_LEVELLING_DB), MAX_LEVELLING_DB)
            track[start : start + len(played)] += played * 10 ** (gain / 20)
    return write(out, np.stack([track, track], axis=1), rate)


def speech_regions(voiced: np.ndarray) -> list[tuple[int, int]]:
    """Where a voice speaks, as ranges of its 20 ms windows (``voiced``: over ``SPEECH_FLOOR_DB``), pauses shorter
    than ``HOLD_S`` bridged."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], voiced.astype(np.int8), [0]])))
    regions: list[tuple[int, int]] = []
    for start, end in zip(edges[::2], edges[1::2], strict=True):
        if regions and (start - regions[-1][1]) * WINDOW_S < HOLD_S:
            regions[-1] = (regions[-1][0], int(end))
        else:
            regions.append((int(start), int(end)))
    return regions


def _duck_curve(length: int, start: int, end: int, depth_db: float, rate: int) -> tuple[slice, np.ndarray]:
    """One duck's gain (dB) and where it applies: down over ``ATTACK_S`` before ``start``, ``-depth_db`` to ``end``,
    back over ``RELEASE_S``; raised-cosine ramps, so the gain has no corner to click on."""
    attack, release = round(ATTACK_S * rate), round(RELEASE_S * rate)
    down = (1 - np.cos(np.pi * np.arange(attack) / attack)) / 2
    up = (1 + np.cos(np.pi * np.arange(1, release + 1) / release)) / 2
    curve = -depth_db * np.concatenate([down, np.ones(end - start), up])
    first = start - attack
    part = slice(max(first, 0), min(first + len(curve), length))
    return part, curve[part.start - first : part.stop - first]


def duck(music: Path, voice: Path, out: Path, settings: Settings) -> Path:
    """The bed (``music``: a track, or a video model's own audio) under the voice track: brought to
    ``BED_UNDER_VOICE_LU`` under the voice's loudness, then ducked under each stretch of speech deep enough that the
    voice is ``VOICE_OVER_MUSIC_DB`` + ``DUCK_MARGIN_DB`` over it there (RMS on the windows where the voice speaks;
    at least ``MIN_DUCK_DB``). Stereo float WAV as long as the voice track."""
    rate = settings.audio_rate_hz
    speech, bed = read(voice, rate), read(music, rate)
    bed = np.pad(bed[: len(speech)], ((0, max(0, len(speech) - len(bed))), (0, 0)))
    said, heard = mono(speech), mono(bed)
    voice_lufs = loudness(ffmpeg.input(str(voice)).audio, "the voice track").integrated_lufs
    bed_lufs = loudness(ffmpeg.input(str(music)).audio, "the music bed").integrated_lufs
    audible = voice_lufs > SILENT_LUFS and bed_lufs > SILENT_LUFS
    trim_db = voice_lufs - BED_UNDER_VOICE_LU - bed_lufs if audible else 0.0
    gain_db = np.full(len(speech), trim_db)
    size, voiced = round(rate * WINDOW_S), rms_db(said, rate) > SPEECH_FLOOR_DB
    for first, last in speech_regions(voiced):
        start, end = first * size, last * size
        frames = np.repeat(voiced[first:last], size)  # the region's speech, its bridged pauses left out
        over_db = power_db(said[start:end][frames]) - power_db(heard[start:end][frames]) - trim_db
        depth = max(MIN_DUCK_DB, VOICE_OVER_MUSIC_DB + DUCK_MARGIN_DB - over_db)
        part, curve = _duck_curve(len(speech), start, end, depth, rate)
        gain_db[part] = np.minimum(gain_db[part], trim_db + curve)
    return write(out, bed * 10 ** (gain_db / 20)[:, None], rate)


def add(sounds: Sequence[Path], out: Path, rate: int, gain_db: float = 0.0) -> Path:
    """The sum of ``sounds`` (as long as the first), times ``gain_db``, as a float WAV."""
    first, *rest = (read(path, rate).astype(np.float64) for path in sounds)
    total = first.copy()
    for sound in rest:
        total[: min(len(total), len(sound))] += sound[: len(total)]
    return write(out, total * 10 ** (gain_db / 20), rate)
