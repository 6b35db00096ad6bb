"""The edit's timing facts, shared by the planner, the cut and the checks that measure it.

The timeline contract: the master has exactly ``duration_s * fps`` frames; beat ``b`` begins on frame
``round(start_s * fps)`` and its footage frame ``k`` is always shown on frame ``start + k``. A transition into a beat
lasts ``TRANSITION_S[kind]`` from that frame on, blending the previous beat's footage (continued past its end) with
the new beat's, so no beat moves and the total stays exact. Inside a beat, a chained clip starts one frame later than
its file (its frame 0 repeats the previous clip's last frame). The picture fades in from black over ``FADE_IN_S``;
the last ``END_CARD_S`` hold the end card, faded in over ``END_CARD_FADE_S``.
"""

from __future__ import annotations

from vidgen_core.domain.models import Transition

TRANSITION_S: dict[Transition, float] = {
    Transition.CUT: 0.0,
    Transition.CROSSFADE: 0.5,
    Transition.DIP_TO_BLACK: 0.8,
}
FADE_IN_S = 0.5
END_CARD_S = 2.0
END_CARD_FADE_S = 0.5
REANCHOR_CROSSFADE_S = 0.5  # a beat longer than three clips starts its fourth from the storyboard image again
CLIPS_BEFORE_REANCHOR = 3
