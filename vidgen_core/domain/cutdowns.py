"""Cutdowns: which beats a shorter version of the same ad keeps, for how long, and how its music is re-edited.

A 15 s or 6 s cutdown is cut from the clips already made, so it can only shorten beats, never lengthen or invent
them. It keeps the ad's spine: the call to action (the closing beat, which ends on the end card) always and always
last, then the product's hero beat, then the hook (the opening beat), then the other beats by strength, as many as
their minimum lengths allow. The kept beats stay in the master's order and share the length in proportion to their
length in the master, each between its minimum and its length in the master. Lengths are whole seconds, as the
spec's timeline is, so a cutdown is exactly ``length_s * fps`` frames at any frame rate.

The music keeps its opening and its real ending (the last bars, with the cadence and the ringing final chord) and is
joined on the music's own grid, so it still ends on an ending rather than being faded mid-phrase.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from vidgen_core.domain.editing import END_CARD_S
from vidgen_core.domain.models import ChunkPlan, Energy, Section, SpecBeat
from vidgen_core.domain.script import window, words, words_in
from vidgen_core.domain.tempo import bar_s

MIN_BEAT_S = 2  # a kept beat shows at least this much: a shot read at a glance, and room for a transition into it
MIN_CTA_S = math.ceil(END_CARD_S) + 1  # the closing beat: a second of its picture, then the end card
_ENERGY = {Energy.LOW: 0, Energy.MEDIUM: 1, Energy.HIGH: 2}


@dataclass(frozen=True)
class KeptBeat:
    """A master beat kept in a cutdown: ``source`` is its index in the master, ``start_s`` and ``duration_s`` its
    place on the cutdown's timeline."""

    source: int
    start_s: int
    duration_s: int

    @property
    def end_s(self) -> int:
        return self.start_s + self.duration_s


def minimum_s(beat: SpecBeat, last: bool) -> int:
    """The shortest a beat may be cut to: the call to action keeps its end card and a second before it."""
    return min(beat.duration_s, MIN_CTA_S if last else MIN_BEAT_S)


def line_needs_s(beat: SpecBeat, *, first: bool, last: bool) -> int | None:
    """The shortest whole-second length (up to its length in the master) at which a beat's line has the words it
    needs by the script's budget (``WORDS_PER_SECOND`` over its window); None when it has no line or never fits."""
    count = len(words(beat.line))
    if not count:
        return None
    for seconds in range(1, beat.duration_s + 1):
        if words_in(window(0, seconds, first=first, last=last, duration_s=seconds)) >= count:
            return seconds
    return None


def product_beat(beats: Sequence[SpecBeat]) -> int | None:
    """The strongest product beat: the longest one (the plan gives its hero the most time), then the most energetic,
    then the earliest (the reveal, which names the product). None when the plan has none between hook and CTA."""
    middle = [b for b in beats[1:-1] if b.section is Section.PRODUCT]
    if not middle:
        return None
    return max(middle, key=lambda b: (b.duration_s, _ENERGY[b.energy], -b.index)).index


def priority(beats: Sequence[SpecBeat]) -> list[int]:
    """The master's beat indexes, most needed first: the spine (call to action, product, hook), then the rest by
    length, energy and order."""
    order = spine(beats)
    rest = sorted(
        (b for b in beats if b.index not in order), key=lambda b: (-b.duration_s, -_ENERGY[b.energy], b.index)
    )
    return order + [b.index for b in rest]


def spine(beats: Sequence[SpecBeat]) -> list[int]:
    """What every cutdown keeps if it has room: the call to action (the last beat), the product beat, the hook."""
    return list(dict.fromkeys(i for i in (len(beats) - 1, product_beat(beats), 0) if i is not None))


def plan_cutdown(beats: Sequence[SpecBeat], length_s: int) -> list[KeptBeat]:
    """The beats a ``length_s`` cutdown keeps, in the master's order, timed from 0 and summing to ``length_s``.

    The spine's beats are kept, in ``priority`` order, while their minimums fit; further beats only while the kept
    ones are too short in the master to fill the length (fewer, longer shots read better, and keep their lines).
    Past the minimums, each kept beat (in priority order) gets the time its voice line needs by the script's budget
    if the length allows it, so a 6 s cut keeps the brand line on a longer end beat rather than losing every line.
    Each second left goes to the kept beat that has the least of its master length so far (the call to action, then
    the product, then the hook on a tie). ``ValueError`` says why a length cannot be cut."""
    total = sum(b.duration_s for b in beats)
    if not 0 < length_s < total:
        raise ValueError(f"a cutdown must be shorter than the {total} s ad and longer than 0 s, not {length_s} s")
    last = len(beats) - 1
    mins = {b.index: minimum_s(b, b.index == last) for b in beats}
    if mins[last] > length_s:
        raise ValueError(f"a {length_s} s cutdown has no room for the call to action and end card ({mins[last]} s)")
    ranked, core = priority(beats), set(spine(beats))
    kept: list[int] = []
    for index in ranked:
        fits = sum(mins[i] for i in kept) + mins[index] <= length_s
        short = sum(beats[i].duration_s for i in kept) < length_s
        if fits and (index in core or short):
            kept.append(index)
    if sum(beats[i].duration_s for i in kept) < length_s:
        raise ValueError(f"no set of whole-second beats of at least {MIN_BEAT_S} s makes exactly {length_s} s")
    given = {i: mins[i] for i in kept}
    rank = {index: position for position, index in enumerate(ranked)}
    first = min(kept)
    for index in kept:  # in priority order: first the time each line needs (if it can have it), then the rest
        need = line_needs_s(beats[index], first=index == first, last=index == last)
        spare = length_s - sum(given.values())
        if need is not None and given[index] < need <= given[index] + spare:
            given[index] = need
    for _ in range(length_s - sum(given.values())):
        open_ = [i for i in kept if given[i] < beats[i].duration_s]
        grow = min(open_, key=lambda i: (given[i] / beats[i].duration_s, rank[i]))
        given[grow] += 1
    cut, start = [], 0
    for index in sorted(kept):
        cut.append(KeptBeat(source=index, start_s=start, duration_s=given[index]))
        start += given[index]
    return cut


def trim_chunks(plans: Sequence[ChunkPlan], cut: Sequence[KeptBeat]) -> list[tuple[int, ChunkPlan]]:
    """Each kept beat's footage from its start: the master's chunks of the beat in order, each kept for as much as
    the beat's new length still needs (later chunks of a shortened beat are left out). Returns, for each chunk of
    the cutdown, the position of the master's chunk in ``plans`` and its plan renumbered onto the cutdown."""
    out: list[tuple[int, ChunkPlan]] = []
    for new_index, kept in enumerate(cut):
        remaining = float(kept.duration_s)
        for position, plan in enumerate(plans):
            if plan.beat_index != kept.source or remaining <= 0:
                continue
            use = round(min(plan.use_s, remaining), 6)
            remaining = round(remaining - use, 6)
            update = {"index": len(out), "beat_index": new_index, "use_s": use}
            out.append((position, plan.model_copy(update=update)))
        if remaining > 0:
            raise ValueError(f"beat {kept.source} has {remaining:g} s too little footage for its {kept.duration_s} s")
    return out


JOIN_CROSSFADE_S = 0.06  # the opening fades into the ending just before the join: no click, the downbeat intact
MAX_SLIP_S = 0.3  # a join on a bar line may leave the ending this much short or long; else it joins on a beat
MIN_RING_S = 1.0  # the last chord rings at least this long (the offline music's rule; MusicGen's is faded over a bar)
END_FADE_S = 0.25  # an ending that has to lose its last moments loses them under this fade


@dataclass(frozen=True)
class MusicEdit:
    """A track of ``source_s`` re-edited to ``length_s``: its opening ``[0, head_s)``, with the ending's
    ``crossfade_s`` before ``tail_from_s`` faded in over the opening's last ``crossfade_s``; then its ending
    ``[tail_from_s, tail_from_s + tail_s)`` from ``head_s``; then silence to ``length_s`` (the chord has rung out).
    ``faded``: the ending was too long by a little and its last moments, the quietest of the ring, are faded."""

    source_s: float
    length_s: float
    head_s: float
    tail_from_s: float
    tail_s: float
    crossfade_s: float
    faded: bool = False

    @property
    def silence_s(self) -> float:
        return round(self.length_s - self.head_s - self.tail_s, 6)


def music_edit(source_s: float, length_s: float, bpm: float) -> MusicEdit:
    """How to cut a track of ``source_s`` at ``bpm`` (bar lines from 0 s, 4/4) to ``length_s`` so it keeps its
    ending. The ending starts on the bar line one bar before the last downbeat that leaves ``MIN_RING_S`` to ring
    (the cadence: its dominant bar, then the final chord), or on that downbeat when the cutdown has no room for
    both. The opening is cut on the bar line nearest to where the ending must begin, or on the nearest beat when
    that bar line is more than ``MAX_SLIP_S`` off, so the join keeps the pulse. The slip is silence after the ending
    or, when the ending would run over, its last moments faded off."""
    if length_s >= source_s:
        return MusicEdit(source_s, length_s, source_s, source_s, 0.0, 0.0)
    bar = bar_s(bpm)
    downbeat = max(0.0, math.floor((source_s - MIN_RING_S) / bar + 1e-9) * bar)
    tail_from = downbeat - bar if downbeat >= bar and source_s - downbeat + bar <= length_s else downbeat
    tail = source_s - tail_from
    if tail >= length_s:  # no room for an opening: the ending alone, its ring shortened if need be
        return MusicEdit(source_s, length_s, 0.0, tail_from, length_s, 0.0, faded=tail > length_s + 1e-9)
    want = length_s - tail
    head = round(want / bar) * bar
    if abs(head - want) > MAX_SLIP_S:
        head = round(want / (bar / 4)) * (bar / 4)
    head = round(head, 6)
    tail_s = round(min(tail, length_s - head), 6)
    return MusicEdit(
        source_s, length_s, head, tail_from, tail_s, min(JOIN_CROSSFADE_S, head, tail_from), tail_s < tail - 1e-6
    )
