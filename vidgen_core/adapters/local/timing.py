"""Word times from the spans a speech engine found for a line's words.

An engine may say two script words as one (espeak-ng's French "est-ce que" is one word) or give a script word no
sound (a lone '-'); such a word has no span of its own and shares its neighbour's by length.
"""

from __future__ import annotations

from vidgen_core.domain.models import WordTime


def share_out(said: list[str], spans: list[tuple[float, float] | None]) -> list[WordTime] | None:
    """Each word's time from its span in seconds; a word without one shares the span of the word before it (the
    first words, of the word after them) in proportion to their lengths. None when no word has a span."""
    if not spans:
        return []
    groups: list[list[int]] = []
    for index, span in enumerate(spans):
        if span is not None or not groups:
            groups.append([index])
        else:
            groups[-1].append(index)
    if spans[groups[0][0]] is None:  # words before the first one with a span join its group
        if len(groups) == 1:
            return None
        leading = groups.pop(0)
        groups[0][:0] = leading
    times: list[WordTime] = []
    for group in groups:
        start, end = next(span for i in group if (span := spans[i]) is not None)
        weights = [len(said[i]) for i in group]
        at = start
        for i, weight in zip(group, weights, strict=True):
            step = (end - start) * weight / sum(weights)
            times.append(WordTime(word=said[i], start_s=round(at, 3), end_s=round(at + step, 3)))
            at += step
    return times
