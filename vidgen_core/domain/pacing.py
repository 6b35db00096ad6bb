"""How each beat begins after the one before, chosen from the beats' energy and sections (both planners use it).

The rule, boundary by boundary (beat 0 always cuts: the picture fades in from black):
1. energy leaps from low to high: dip to black (a change of gear the eye should feel);
2. into the closing, into a product beat from another section, or energy falls: crossfade (a reveal or a
   settling breath);
3. otherwise, level or rising energy (high to high, medium to high): a hard cut, on the beat.
"""

from __future__ import annotations

from vidgen_core.domain.models import Energy, Section, SpecBeat, Transition

LEVEL = {Energy.LOW: 0, Energy.MEDIUM: 1, Energy.HIGH: 2}


def transition_into(before: SpecBeat | None, beat: SpecBeat) -> Transition:
    """The transition into ``beat`` from ``before`` (None: it opens the ad), by the rule above."""
    if before is None:
        return Transition.CUT
    rise = LEVEL[beat.energy] - LEVEL[before.energy]
    if rise == LEVEL[Energy.HIGH]:
        return Transition.DIP_TO_BLACK
    reveal = beat.section is Section.PRODUCT and before.section is not Section.PRODUCT
    if beat.section is Section.CLOSING or reveal or rise < 0:
        return Transition.CROSSFADE
    return Transition.CUT


def with_transitions(beats: list[SpecBeat]) -> list[SpecBeat]:
    """The beats, each with the transition the rule chooses into it."""
    return [
        beat.model_copy(update={"transition": transition_into(beats[i - 1] if i else None, beat)})
        for i, beat in enumerate(beats)
    ]
