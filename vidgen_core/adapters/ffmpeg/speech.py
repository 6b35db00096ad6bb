"""Word times for speech whose engine gives none: estimated from the audio's envelope."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vidgen_core.adapters.ffmpeg.envelope import WINDOW_S, envelope
from vidgen_core.domain.checks import SPEECH_FLOOR_DB
from vidgen_core.domain.models import WordTime
from vidgen_core.domain.script import words


def align(wav: Path, text: str) -> list[WordTime]:
    """Each word's time in ``wav`` (seconds from its start): the voiced span shared out by the words' lengths."""
    said = words(text)
    level = envelope(wav)
    voiced = np.flatnonzero(level > SPEECH_FLOOR_DB)
    if not said or voiced.size == 0:
        return []
    start, end = voiced[0] * WINDOW_S, (voiced[-1] + 1) * WINDOW_S
    weights = np.array([len(w) + 1 for w in said], dtype=float)
    edges = start + (end - start) * np.concatenate([[0.0], np.cumsum(weights) / weights.sum()])
    return [
        WordTime(word=w, start_s=round(a, 3), end_s=round(b, 3))
        for w, a, b in zip(said, edges[:-1], edges[1:], strict=True)
    ]
