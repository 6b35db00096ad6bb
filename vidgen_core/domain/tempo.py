"""The music's tempo, fitted to the cut: every beat boundary of the spec on the beat grid, the end on a bar line.

The music starts on a downbeat at 0 s, in 4/4. A boundary at ``t`` s is on the grid when it is within half a frame of
a beat, so the beat falls in the frame the cut is made on.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

BEATS_PER_BAR = 4
TEMPO_SPREAD = 0.15  # how far from its mood's tempo the music may go to fit the cut, before going further
MOOD_BPM: dict[str, float] = {
    "energetic": 128,
    "upbeat": 116,
    "calm": 80,
    "dramatic": 90,
    "inspirational": 100,
    "ambient": 70,
}
DEFAULT_MOOD = "inspirational"


def mood_bpm(mood: str) -> float:
    """The nominal tempo of a mood (an unknown mood plays as the default one)."""
    return MOOD_BPM.get(mood, MOOD_BPM[DEFAULT_MOOD])


def bar_s(bpm: float) -> float:
    return BEATS_PER_BAR * 60.0 / bpm


def off_grid_s(bpm: float, times_s: Sequence[float], per_bar: bool = False) -> np.ndarray:
    """Distance in seconds from each time to the nearest beat (or bar line) of a grid starting at 0."""
    step = bar_s(bpm) if per_bar else 60.0 / bpm
    times = np.asarray(times_s, dtype=float)
    return np.abs(times - np.round(times / step) * step)


def fit_bpm(nominal_bpm: float, boundaries_s: Sequence[float], duration_s: float, fps: float) -> float:
    """The tempo nearest ``nominal_bpm`` that puts every boundary on a beat, preferring one within ``TEMPO_SPREAD``
    and, among those, one whose bar line falls on the video's end.

    Searched from half to twice the nominal tempo; a multiple of 60 bpm always fits whole-second boundaries, so a
    fit exists for any nominal tempo from 30 to 240 bpm.
    """
    tolerance = 0.5 / fps
    lo, hi = nominal_bpm / 2, nominal_bpm * 2
    times = [t for t in boundaries_s if t > 0]
    exact = {60.0 * k / t for t in [*times, duration_s] for k in range(int(np.ceil(lo * t / 60)), int(hi * t / 60) + 1)}
    grid = np.arange(np.ceil(lo * 100), np.floor(hi * 100) + 1) / 100
    candidates = np.unique(np.round(np.concatenate([grid, np.fromiter(exact, float), [60.0 * round(hi / 60)]]), 3))
    candidates = candidates[(candidates >= lo) & (candidates <= hi)]
    beats = np.asarray(times or [0.0])[None, :]
    step = 60.0 / candidates[:, None]
    error = np.max(np.abs(beats - np.round(beats / step) * step), axis=1)
    candidates, error = candidates[error <= tolerance], error[error <= tolerance]
    if not len(candidates):
        raise ValueError(f"no tempo near {nominal_bpm:g} bpm fits boundaries {list(boundaries_s)}")
    bar = BEATS_PER_BAR * 60.0 / candidates
    ends_on_bar = np.abs(duration_s - np.round(duration_s / bar) * bar) <= tolerance
    distance = np.abs(np.log(candidates / nominal_bpm))
    within = distance <= np.log(1 + TEMPO_SPREAD)
    # Within the spread: a bar line on the end first; then the nearest whole bpm away, the one exactly on the grid.
    best = np.lexsort((distance, error, np.round(np.abs(candidates - nominal_bpm)), ~(ends_on_bar & within), ~within))
    return float(candidates[best[0]])
