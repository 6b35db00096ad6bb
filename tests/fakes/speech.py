"""Speech-like audio for the speech imitations, with the true time of every word.

Each word is a voiced burst (a buzz of harmonics over a ~120 Hz fundamental whose loudness rises and falls once a
syllable) lasting with its length, and words are parted by short pauses, longer after punctuation; so the envelope
holds the runs and gaps a word-timing estimate has to find, as a real voice's does.
"""

from __future__ import annotations

import re
import struct
import subprocess
from dataclasses import dataclass

import imageio_ffmpeg
import numpy as np

S_PER_CHAR = 0.05  # about 14 characters a second, a brisk commercial read
WORD_BASE_S = 0.06
GAP_S = 0.14  # between words
PHRASE_GAP_S = 0.35  # after , . ! ? ; :
LEAD_S, TAIL_S = 0.1, 0.2
_WORD = re.compile(r"[\w'’-]+")
# what the services encode for each format (ffmpeg muxer and codec); wav and pcm are written here
ENCODERS = {"mp3": ("mp3", "libmp3lame"), "opus": ("ogg", "libopus"), "aac": ("adts", "aac"), "flac": ("flac", "flac")}


@dataclass(frozen=True)
class Said:
    """A line as the imitation spoke it: 16-bit mono samples and each word's true (start, end) in seconds."""

    samples: np.ndarray
    rate: int
    words: list[tuple[str, float, float]]

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate


def speak(text: str, rate: int, speed: float = 1.0) -> Said:
    """``text`` read as voiced bursts and pauses at ``rate`` Hz, ``speed`` times faster than the base read."""
    rng = np.random.default_rng(len(text))
    parts, words, at = [np.zeros(round(LEAD_S / speed * rate))], [], LEAD_S / speed
    matches = list(_WORD.finditer(text))
    for i, match in enumerate(matches):
        seconds = (WORD_BASE_S + S_PER_CHAR * len(match[0])) / speed
        t = np.arange(round(seconds * rate)) / rate
        pitch = 110 + 25 * rng.random()
        buzz = sum(np.sin(2 * np.pi * pitch * k * t) / k for k in range(1, 6))
        syllables = max(1, round(len(match[0]) / 3))
        loud = 0.55 + 0.45 * np.sin(np.pi * syllables * t / seconds) ** 2
        ramp = np.minimum(1, np.minimum(t, seconds - t) / 0.01)  # 10 ms in and out: no clicks
        parts.append(0.25 * buzz * loud * ramp)
        words.append((match[0], round(at, 4), round(at + seconds, 4)))
        following = text[match.end() : matches[i + 1].start()] if i + 1 < len(matches) else ""
        gap = (PHRASE_GAP_S if re.search(r"[,.!?;:]", following) else GAP_S) / speed
        gap = TAIL_S / speed if i + 1 == len(matches) else gap
        parts.append(np.zeros(round(gap * rate)))
        at += seconds + gap
    signal = np.concatenate(parts) + rng.normal(0, 3e-5, sum(map(len, parts)))  # a studio's noise floor
    return Said((np.clip(signal, -1, 1) * 32767).astype("<i2"), rate, words)


def wav(said: Said, streamed: bool = False) -> bytes:
    """A 16-bit mono WAV; ``streamed`` writes 0xFFFFFFFF as its sizes, as OpenAI does (its length is unknown when its
    stream starts)."""
    data = said.samples.tobytes()
    riff, size = (0xFFFFFFFF, 0xFFFFFFFF) if streamed else (36 + len(data), len(data))
    fmt = struct.pack("<4sIHHIIHH", b"fmt ", 16, 1, 1, said.rate, said.rate * 2, 2, 16)
    return struct.pack("<4sI4s", b"RIFF", riff, b"WAVE") + fmt + struct.pack("<4sI", b"data", size) + data


def encode(said: Said, fmt: str, streamed: bool = False) -> bytes:
    """The line in a response format: wav, bare pcm, or what ffmpeg encodes (mp3, opus, aac, flac)."""
    if fmt == "wav":
        return wav(said, streamed)
    if fmt == "pcm":
        return said.samples.tobytes()
    muxer, codec = ENCODERS[fmt]
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "s16le", "-ar", str(said.rate), "-ac", "1"]
    cmd += ["-i", "-", "-c:a", codec, "-f", muxer, "-"]
    return subprocess.run(cmd, input=said.samples.tobytes(), capture_output=True, check=True).stdout
