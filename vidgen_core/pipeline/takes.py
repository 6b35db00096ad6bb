"""A beat's takes, by rule: a regeneration needs a planned beat and what is left of the budget to cover it; takes
are numbered per beat from 1 (take 0 is the plan's own); what a take does not give is the current take's; one run
gets one take however often it is retried. A beat has picture takes (new prompts: an image and clips) and line takes
(a new voiceover line or voice: one line's speech), numbered apart, so a line take never changes the picture's seeds.
Used by the service's regenerate and select-take use cases and the launchpad's ``regenerate_beat`` (the rows
themselves: ``persistence.takes``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from vidgen_core.domain.catalog import Aspect, speech_model
from vidgen_core.domain.costs import beat_estimate, estimate, estimate_request, left_after_review, line_estimate
from vidgen_core.domain.errors import BudgetExceeded, InvalidRequest, NotFound
from vidgen_core.domain.models import GenerationRequest, Take, VideoSpec
from vidgen_core.domain.prompt import sanitize
from vidgen_core.domain.script import WORDS_PER_SECOND, line_window, word_budget, words
from vidgen_core.persistence.ledger import Ledger
from vidgen_core.persistence.takes import LineTakeDB, TakeDB


def check_beat(spec: VideoSpec | None, video_id: str, beat: int) -> VideoSpec:
    """The spec, if ``beat`` is one of its beats; else a message saying which beats there are."""
    if spec is None:
        raise InvalidRequest(f"video {video_id} has no plan yet; wait for it to be planned, then regenerate", "beat")
    if not 0 <= beat < len(spec.beats):
        raise InvalidRequest(
            f"video {video_id} has beats 0 to {len(spec.beats) - 1}; beat {beat} does not exist", "beat"
        )
    return spec


def wants_line_take(image_prompt: str | None, motion_prompt: str | None, line: str | None, voice: str | None) -> bool:
    """Whether a regeneration asks for a line take (a line or a voice) rather than a picture take. Both at once is
    refused: each is a take of its own, numbered and paid apart, and going back to either keeps the other."""
    if (line is not None or voice is not None) and (image_prompt or motion_prompt):
        raise InvalidRequest(
            "a line take keeps the picture and a picture take keeps the line; give new prompts or a new line or "
            "voice, one regeneration at a time",
            "line",
        )
    return line is not None or voice is not None


def check_line(spec: VideoSpec, beat: int, line: str | None, voice: str | None) -> tuple[str | None, str | None]:
    """A line take's new line (cleaned) and voice, if the video speaks, the line fits the beat's word budget and
    the voice is one of the video's speech model's; each refusal says what to give instead."""
    if line is None and voice is None:
        raise InvalidRequest("a line take needs a new line, a new voice, or both", "line")
    if not spec.narration.speaks:
        raise InvalidRequest(
            f"video {spec.video_id} has no voiceover (it was made with voice none); generate it again with a voice "
            "to give its beats lines",
            "voice",
        )
    model = speech_model(spec.narration.speech_model)
    if spec.language not in model.languages:
        raise InvalidRequest(
            f"video {spec.video_id}'s script is in '{spec.language}', which {model.name} does not speak "
            f"({', '.join(model.languages)}); generate it again with --language (API: language) set to one of them",
            "line",
        )
    if voice is not None and voice not in model.voices:
        raise InvalidRequest(f"{model.name} has no voice {voice!r}; choose one of: {', '.join(model.voices)}", "voice")
    said = spec.beats[beat]
    if line is None:
        if not said.line.strip():
            raise InvalidRequest(f"beat {beat} has no line for a new voice to read; give one (--line, line)", "line")
        return None, voice
    line = sanitize(line)
    if not words(line):
        raise InvalidRequest(f"the line for beat {beat} is empty; give the words its voice says", "line")
    budget, (start, end) = word_budget(spec, said), line_window(spec, said)
    if len(words(line)) > budget:
        room = f"{end - start:.1f} s to speak in at {WORDS_PER_SECOND:g} words a second"
        raise InvalidRequest(
            f"the line for beat {beat} has {len(words(line))} words and the beat has room for {budget} "
            f"({room}); shorten it to at most {budget} words",
            "line",
        )
    return line, voice


def check_regeneration_budget(request: GenerationRequest, ledger: Ledger, what: str, cost: float) -> None:
    """BudgetExceeded if what is left of the video's budget does not cover ``what`` (a new take) at ``cost``."""
    limit = request.max_cost_usd
    if limit is not None and (committed := ledger.committed(request.video_id)) + cost > limit + 1e-9:
        raise BudgetExceeded(request.video_id, cost, committed, limit, what)


def check_approval_budget(spec: VideoSpec | None, request: GenerationRequest, ledger: Ledger) -> float:
    """What approving a video in review leaves to pay (its clips, music, voice and native aspects, priced on its plan
    or, unplanned, on its request), if its budget covers that on top of what it has spent (its images and their
    re-rolls); else BudgetExceeded, before a clip is bought."""
    left = left_after_review(estimate_request(request) if spec is None else estimate(spec, request))
    check_regeneration_budget(request, ledger, f"approving video {request.video_id} (its clips, music and voice)", left)
    return left


def _next_take(
    takes: TakeDB,
    video_id: str,
    beat: int,
    given: dict[str, str | None],
    run_id: str | None,
    check: Callable[[], None] | None,
    aspects: tuple[Aspect, ...] | None = None,
) -> Take:
    """Record the beat's next take with the ``given`` fields (a field not given is the current take's) and make it
    current. A run that already asked for one gets it back, and only a new take is ``check``ed (e.g. against the
    budget, which already counts the take a run got)."""
    with takes.beat(video_id, beat) as rows:
        if run_id and (mine := rows.of_run(run_id)) is not None:
            return mine
        if check is not None:
            check()
        current, last = rows.latest(aspects[0] if aspects else None)  # a re-roll keeps what that aspect has
        if current is None:  # take 0 (the plan's own) becomes a row too, so going back to it is a selection
            current = rows.add(Take(beat_index=beat, take=0))
        kept = {field: value or getattr(current, field) for field, value in given.items()}
        return rows.add(Take(beat_index=beat, take=last + 1, aspects=aspects, **kept), run_id)


def new_take(
    takes: TakeDB,
    video_id: str,
    beat: int,
    image_prompt: str | None = None,
    motion_prompt: str | None = None,
    run_id: str | None = None,
    check: Callable[[], None] | None = None,
    aspects: tuple[Aspect, ...] | None = None,
) -> Take:
    """The beat's next picture take, made current in ``aspects`` (None: every aspect). A prompt not given is the
    current take's (the one selected last), so a re-roll keeps the custom prompts it was asked with."""
    given = {"image_prompt": image_prompt, "motion_prompt": motion_prompt}
    return _next_take(takes, video_id, beat, given, run_id, check, aspects)


def new_line_take(
    line_takes: LineTakeDB,
    video_id: str,
    beat: int,
    line: str | None = None,
    voice: str | None = None,
    run_id: str | None = None,
    check: Callable[[], None] | None = None,
) -> Take:
    """The beat's next line take, made current. A line or voice not given is the current line take's, so a new
    voice reads the line the beat says now."""
    return _next_take(line_takes, video_id, beat, {"line": line, "voice": voice}, run_id, check)


def regenerate_beat(
    takes: TakeDB,
    ledger: Ledger,
    spec: VideoSpec | None,
    request: GenerationRequest,
    beat: int,
    image_prompt: str | None = None,
    motion_prompt: str | None = None,
    run_id: str | None = None,
    in_review: bool = False,
    aspects: Sequence[str] | None = None,
) -> tuple[Take, float]:
    """The beat's next take and its estimate, if the plan has the beat and what is left of the budget covers it.
    The budget is checked under the beat's lock, so two re-rolls at once cannot both spend the last of it, and only
    for a new take: the run ``run_id`` that already got one gets it back. ``in_review``: only its image is paid.
    ``aspects`` (None: every aspect) are the aspects the take applies to; the others keep their take of the beat."""
    planned = check_beat(spec, request.video_id, beat)
    named = check_aspects(planned, aspects)
    cost = beat_estimate(planned, request, beat, clips=not in_review, aspects=named)
    budget = partial(check_regeneration_budget, request, ledger, f"regenerating beat {beat}", cost)
    take = new_take(takes, request.video_id, beat, image_prompt, motion_prompt, run_id, check=budget, aspects=named)
    return take, cost


def check_aspects(spec: VideoSpec, aspects: Sequence[str] | None) -> tuple[Aspect, ...] | None:
    """The aspects a picture take applies to, each one the video delivers, in the campaign's order (None: every
    aspect, also when all are named). Reframed aspects are cropped from the master's clips, so they take its takes."""
    if not aspects:
        return None
    delivered = (spec.aspect_ratio, *(a for a in spec.campaign.aspects if a != spec.aspect_ratio))
    if unknown := [a for a in aspects if a not in delivered]:
        raise InvalidRequest(
            f"video {spec.video_id} is delivered in {', '.join(delivered)}, not {', '.join(unknown)}; name those",
            "aspects",
        )
    if spec.campaign.reframe and set(aspects) != set(delivered):
        raise InvalidRequest(
            f"video {spec.video_id}'s other aspects are cropped from its {spec.aspect_ratio} clips, so a new take "
            "of a beat is made in every aspect; regenerate it without aspects",
            "aspects",
        )
    named = tuple(a for a in delivered if a in aspects)
    return None if len(named) == len(delivered) else named


def regenerate_line(
    line_takes: LineTakeDB,
    ledger: Ledger,
    spec: VideoSpec | None,
    request: GenerationRequest,
    beat: int,
    line: str | None = None,
    voice: str | None = None,
    run_id: str | None = None,
) -> tuple[Take, float]:
    """The beat's next line take (a new line, a new voice, or both) and its estimate, one line's speech, by the
    rules of ``regenerate_beat``: a planned beat, the budget checked under the lock for a new take only."""
    planned = check_beat(spec, request.video_id, beat)
    line, voice = check_line(planned, beat, line, voice)
    cost = line_estimate(planned, request, line or planned.beats[beat].line)
    budget = partial(check_regeneration_budget, request, ledger, f"regenerating the line of beat {beat}", cost)
    return new_line_take(line_takes, request.video_id, beat, line, voice, run_id, check=budget), cost


def select_take(takes: TakeDB, video_id: str, beat: int, take: int) -> Take:
    """Make an earlier take (of the picture, or with a ``LineTakeDB`` of the line) current again (NotFound if the
    beat never had it)."""
    if not takes.select(video_id, beat, take):
        if take == 0:
            return Take(beat_index=beat, take=0)  # never regenerated: take 0 is already current
        raise NotFound(f"beat {beat} of video {video_id} has no {takes.what} {take}")
    return [t for t in takes.current(video_id) if t.beat_index == beat][-1]
