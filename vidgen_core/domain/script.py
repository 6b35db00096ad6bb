"""The script's rules: how many words a beat's line may have, where on the timeline it may be spoken, and how far
speech may be stretched to fit.

A medium-pace commercial read is about 150 words a minute (75 words in a :30), a hard sell 170-180 (voiceover
producers' word-count guides, e.g. abesaudio.com.au and bluewavevoiceover.com: "about 2.5 words per second"; see
docs/voice-research.md §5); an ad's voiceover has to breathe between beats and land each line inside its picture,
so a line gets ``WORDS_PER_SECOND`` (150 a minute) over the time it may be spoken: after a short
lead-in once its beat has begun, ending a little before the beat does, and before the end card, which belongs to the
logo and the call to action. The 10 % stretch is the margin for a voice that reads slower than the budget assumes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from vidgen_core.domain.editing import END_CARD_S, FADE_IN_S
from vidgen_core.domain.models import SpecBeat, VideoSpec

WORDS_PER_SECOND = 2.5
LEAD_IN_S = 0.3  # a line starts this long after its beat does (the cut lands first, then the voice)
TAIL_S = 0.3  # and ends this long before the beat does
MAX_STRETCH = 0.10  # a line may be sped up (time-stretched, pitch kept) by at most this much to fit: tempo 1.1
MIN_STRETCH = 1 / (1 + MAX_STRETCH)  # so it plays in no less than this share of the time it was spoken in
HEADLINE_WORDS = 5  # on-screen copy is read at a glance, over the picture
CAPTION_CHARS_PER_LINE = 42
CAPTION_LINES = 2
_WORD = re.compile(r"\w[\w'’-]*", re.UNICODE)  # a lone dash is punctuation, not a word


def words(text: str) -> list[str]:
    """The spoken words of a line (punctuation is not a word)."""
    return _WORD.findall(text)


def window(start_s: float, end_s: float, *, first: bool, last: bool, duration_s: float) -> tuple[float, float]:
    """Where a line may be spoken in a beat from ``start_s`` to ``end_s``: after the lead-in (after the picture's
    fade-in in the first beat), before the tail, and before the end card in the last beat."""
    start = start_s + (max(LEAD_IN_S, FADE_IN_S) if first else LEAD_IN_S)
    end = end_s - TAIL_S
    if last:
        end = min(end, duration_s - END_CARD_S)
    return start, max(end, start)


def line_window(spec: VideoSpec, beat: SpecBeat) -> tuple[float, float]:
    """Where a beat's line may be spoken on the timeline."""
    last = beat.index == len(spec.beats) - 1
    return window(beat.start_s, beat.end_s, first=beat.index == 0, last=last, duration_s=spec.duration_s)


def words_in(span: tuple[float, float]) -> int:
    """How many words fit a window at ``WORDS_PER_SECOND`` (rounded first, so a beat's budget does not depend on
    where the float arithmetic of its start left it)."""
    start, end = span
    return math.floor(round((end - start) * WORDS_PER_SECOND, 6))


def word_budget(spec: VideoSpec, beat: SpecBeat) -> int:
    """How many words a beat's line may have: ``WORDS_PER_SECOND`` over its window."""
    return words_in(line_window(spec, beat))


def line_windows(beats: Sequence[SpecBeat], duration_s: int) -> list[tuple[float, float]]:
    """Each beat's line window on a timeline of ``beats`` lasting ``duration_s``, before they are a spec."""
    last = len(beats) - 1
    return [window(b.start_s, b.end_s, first=b.index == 0, last=b.index == last, duration_s=duration_s) for b in beats]


def word_budgets(beats: Sequence[SpecBeat], duration_s: int) -> list[int]:
    """Each beat's word budget on a timeline of ``beats`` lasting ``duration_s``, before they are a spec."""
    return [words_in(span) for span in line_windows(beats, duration_s)]


def fit_line(text: str, budget: int) -> str:
    """``text`` cut to at most ``budget`` words: at the last sentence or clause end that fits, else at a word,
    ending with a full stop. '' when nothing fits."""
    found = list(_WORD.finditer(text))
    if len(found) <= budget:
        return text.strip()
    if budget <= 0:
        return ""
    cut, kept = text[: found[budget - 1].end()], ""
    for marks in (".!?", ";,:"):  # a whole sentence, else a whole clause, if it keeps at least half the budget
        end = max(cut.rfind(mark) for mark in marks)
        if end > 0 and len(words(cut[:end])) >= max(1, budget // 2):
            kept = cut[: end + 1] if marks == ".!?" else cut[:end]
            break
    kept = (kept or cut).rstrip(" ,;:-")
    return kept if kept[-1:] in ".!?" else f"{kept}."
