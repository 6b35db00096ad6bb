"""Composing a beat sequence (opening, middle, closing) whose durations sum exactly to the video's."""

from __future__ import annotations

import hashlib
import random

from vidgen_core.domain.beats import ARCHETYPES, BEATS, BEATS_BY_ID, BeatTemplate
from vidgen_core.domain.models import GenerationRequest, Section, SpecBeat

BEAT_UNIT_S = 5  # every library beat lasts a multiple of this


def compose_beats(duration_s: int, category: str, archetype: str, seed: int) -> list[tuple[BeatTemplate, int]]:
    """Pick library beats and their durations for a video; the durations sum to ``duration_s`` exactly.

    Under 10 s the ad is one closing beat; under 15 s an opening and a closing; otherwise an opening, a middle
    following the archetype's pattern, and a closing. Any remainder below one beat unit lengthens the last beat.
    """
    rng = random.Random(seed)
    arch = ARCHETYPES[archetype]
    body = duration_s - duration_s % BEAT_UNIT_S
    remainder = duration_s - body
    if body < 2 * BEAT_UNIT_S:
        picked = [(_choose(arch.closings, Section.CLOSING, category, BEAT_UNIT_S, rng, set()), body)]
    else:
        used: set[str] = set()
        opening = _choose(arch.openings, Section.OPENING, category, _cap(body, 3), rng, used)
        closing = _choose(arch.closings, Section.CLOSING, category, _cap(body - opening.duration_s, 2), rng, used)
        middle = _fill_middle(
            body - opening.duration_s - closing.duration_s, category, arch.middle, arch.middle_prefs, rng, used
        )
        picked = [(opening, opening.duration_s), *((b, b.duration_s) for b in middle), (closing, closing.duration_s)]
    last_beat, last_s = picked[-1]
    picked[-1] = (last_beat, last_s + remainder)
    return picked


def _cap(budget: int, share: int) -> int:
    """The longest a framing beat may be: about 1/share of the budget, never under one unit."""
    return max(BEAT_UNIT_S, budget // share // BEAT_UNIT_S * BEAT_UNIT_S)


def _choose(
    prefs: tuple[str, ...], section: Section, category: str, max_s: int, rng: random.Random, used: set[str]
) -> BeatTemplate:
    """The first preferred beat that suits the product and fits; ties between equals broken by the seed."""
    pool = [BEATS_BY_ID[i] for i in prefs] + [b for b in BEATS if b.section == section and b.id not in prefs]
    fitting = [b for b in pool if b.duration_s <= max_s and b.id not in used]
    suited = [b for b in fitting if b.suits(category)] or fitting
    top = suited[: 2 if len(suited) > 1 else 1]
    choice = top[0] if len(top) == 1 or rng.random() < 0.7 else top[1]
    used.add(choice.id)
    return choice


def _fill_middle(
    budget: int, category: str, pattern: tuple[Section, ...], prefs: tuple[str, ...], rng: random.Random, used: set[str]
) -> list[BeatTemplate]:
    """Fill the middle budget beat by beat, following the section pattern and avoiding repeats."""
    middle: list[BeatTemplate] = []
    step = 0
    while budget >= BEAT_UNIT_S:
        section = pattern[step % len(pattern)]
        ordered = [BEATS_BY_ID[i] for i in prefs if BEATS_BY_ID[i].section == section]
        ordered += [b for b in BEATS if b.section == section and b.id not in prefs]
        fresh = [b for b in ordered if b.id not in used and b.duration_s <= budget and b.suits(category)]
        fresh = fresh or [b for b in ordered if b.id not in used and b.duration_s <= budget]
        if not fresh:  # every beat of this section is used: repeat, shortest first
            fresh = sorted((b for b in ordered if b.duration_s <= budget), key=lambda b: b.duration_s)
        if not fresh:
            fresh = [b for b in BEATS if b.section in (Section.PRODUCT, Section.DYNAMIC) and b.duration_s <= budget]
        choice = fresh[0] if len(fresh) == 1 or rng.random() < 0.6 else fresh[1]
        used.add(choice.id)
        middle.append(choice)
        budget -= choice.duration_s
        step += 1
    return middle


def timeline(picked: list[tuple[BeatTemplate, int, str, str]]) -> list[SpecBeat]:
    """Spec beats placed back to back from (template, seconds, image prompt, motion prompt)."""
    beats, start = [], 0
    for index, (tpl, seconds, image_prompt, motion_prompt) in enumerate(picked):
        beats.append(
            SpecBeat(
                index=index,
                beat_id=tpl.id,
                name=tpl.name,
                section=tpl.section,
                start_s=start,
                duration_s=seconds,
                shot_type=tpl.shot_type,
                camera=tpl.camera,
                energy=tpl.energy,
                image_prompt=image_prompt,
                motion_prompt=motion_prompt,
            )
        )
        start += seconds
    return beats


def spec_seed(request: GenerationRequest) -> int:
    """The seed that lays out the beats: from what shapes the plan, so an estimate and the plan of the same prompt
    agree whichever video they are for."""
    key = f"{request.prompt}|{request.duration_s}|{request.aspect_ratio}|{request.video_model}"
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big")


def video_seed(request: GenerationRequest) -> int:
    """The seed the media is drawn with (``VideoSpec.seed``): stable for a video, so its re-runs draw the same,
    and different for another video of the same prompt."""
    key = f"{request.video_id}|{spec_seed(request)}"
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big")
