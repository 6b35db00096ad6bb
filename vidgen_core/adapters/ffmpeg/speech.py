"""Word times for speech whose engine gives none: estimated from the audio's envelope, and checked against it.

The voiced stretches are found first (20 ms windows over the speech floor; a gap under ``MIN_PAUSE_S``, such as a
stop consonant's closure inside a word, is bridged). Then the pauses between them are placed, the longest first, each
at the word boundary whose share of its stretch's characters is nearest its share of that stretch's voiced time: a
long pause goes to a boundary after punctuation if one is near (voices pause there), a short one only where it fits
well (else it is a gap inside a word, and bridged). Each resulting stretch is shared out among its words by their
lengths; a voice that runs its words together is one stretch, shared out by length alone. On the offline voice's
speech, against its own phoneme alignment, word starts land about 0.05 s off on average (README.md, "Voiceover:
providers").
"""

from __future__ import annotations

import re
from pathlib import Path

import ffmpeg
import numpy as np

from vidgen_core.adapters.ffmpeg.envelope import WINDOW_S, envelope
from vidgen_core.adapters.ffmpeg.probe import probe
from vidgen_core.adapters.ffmpeg.tools import run
from vidgen_core.domain.checks import SPEECH_FLOOR_DB
from vidgen_core.domain.models import WordTime
from vidgen_core.domain.script import words

MIN_PAUSE_S = 0.08  # a silence this long may part two words; a closure inside a word is mostly shorter
PHRASE_PAUSE_S = 0.2  # a silence this long always parts two words
PUNCTUATION_PULL = 20.0  # a long pause goes to a boundary after , . ! ? ; : up to this much further off
_PHRASE_END = re.compile(r"[,.!?;:]")

EDGE_S = 0.05  # the silence kept either side of a line's speech, so its first and last sounds are whole


def align(wav: Path, text: str) -> list[WordTime]:
    """Each word's time in ``wav`` (seconds from its start), estimated from where the file is voiced."""
    said = words(text)
    runs = voiced_runs(envelope(wav))
    if not said or not runs:
        return []
    chars = np.cumsum([0] + [len(w) for w in said], dtype=float)  # before word k
    voiced = np.cumsum([0] + [end - start for start, end in runs])  # before run j
    marks = set(np.cumsum([len(words(p)) for p in _PHRASE_END.split(text)])[:-1])  # words after , . ! ? ; :
    cut: dict[int, int] = {}  # a pause (after run j) -> the word after it; the longest pauses are placed first
    for j in sorted(range(len(runs) - 1), key=lambda j: runs[j][1] - runs[j + 1][0]):
        (a, low), (b, high) = _between(cut, j, len(runs), len(said))
        if high - low < 2:
            continue
        at = (voiced[j + 1] - voiced[a]) / (voiced[b + 1] - voiced[a])  # the pause's share of its stretch's voice
        ks = np.arange(low + 1, high)
        miss = np.abs((chars[ks] - chars[low]) / (chars[high] - chars[low]) - at)
        long = runs[j + 1][0] - runs[j][1] >= PHRASE_PAUSE_S
        best = int(np.argmin(miss / [PUNCTUATION_PULL if long and k in marks else 1 for k in ks]))
        if long or miss[best] <= 0.5 / (high - low):
            cut[j] = int(ks[best])
    timed = []
    for j in [*sorted(cut), len(runs) - 1]:
        (a, first), (_, after) = _between(cut, j, len(runs), len(said))
        after = cut.get(j, after)
        share = (chars[first : after + 1] - chars[first]) / (chars[after] - chars[first])
        edges = runs[a][0] + (runs[j][1] - runs[a][0]) * share
        timed += [
            WordTime(word=w, start_s=round(s, 3), end_s=round(e, 3))
            for w, s, e in zip(said[first:after], edges[:-1], edges[1:], strict=True)
        ]
    return timed


def voiced_runs(level: np.ndarray, window_s: float = WINDOW_S) -> list[tuple[float, float]]:
    """The voiced stretches (start, end in seconds) of an envelope, gaps under ``MIN_PAUSE_S`` bridged."""
    runs: list[tuple[float, float]] = []
    for i in np.flatnonzero(level > SPEECH_FLOOR_DB):
        start, end = i * window_s, (i + 1) * window_s
        if runs and start - runs[-1][1] < MIN_PAUSE_S - 1e-9:
            runs[-1] = (runs[-1][0], end)
        else:
            runs.append((start, end))
    return runs


def off_speech(level: np.ndarray, timed: list[WordTime], share: float = 0.5, window_s: float = WINDOW_S) -> list[str]:
    """The words (with their times) whose window is not speech: under ``share`` of its envelope windows over the
    speech floor. ``timed`` is in the envelope's own seconds."""
    off = []
    for word in timed:
        first = int(word.start_s / window_s)
        windows = level[first : max(int(np.ceil(word.end_s / window_s)), first + 1)]
        if windows.size == 0 or np.mean(windows > SPEECH_FLOOR_DB) < share:
            off.append(f"{word.word!r} at {word.start_s:.2f}-{word.end_s:.2f} s")
    return off


def _between(cut: dict[int, int], j: int, runs: int, words: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """The stretch a pause (after run ``j``) falls in, between the pauses already placed: its first run and first
    word, and its last run and the word after it."""
    before = max((i for i in cut if i < j), default=None)
    after = min((i for i in cut if i > j), default=None)
    start = (0, 0) if before is None else (before + 1, cut[before])
    end = (runs - 1, words) if after is None else (after, cut[after])
    return start, end


def trimmed(wav: Path, out: Path) -> tuple[Path, float]:
    """``wav`` without the silence an engine puts before and after the speech (``EDGE_S`` of it kept), so a line is
    placed and stretched on its speech alone; and the seconds cut from its start (to move engine word times by)."""
    level = envelope(wav)
    voiced = np.flatnonzero(level > SPEECH_FLOOR_DB)
    length = probe(wav).duration_s
    if voiced.size == 0:
        return wav, 0.0
    start = max(0.0, voiced[0] * WINDOW_S - EDGE_S)
    end = min(length, (voiced[-1] + 1) * WINDOW_S + EDGE_S)
    if start <= 0.0 and end >= length:
        return wav, 0.0
    run(ffmpeg.input(str(wav)).audio.filter("atrim", start=start, end=end).output(str(out)), f"trim {wav.name}")
    return out, start
