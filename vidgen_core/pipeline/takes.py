"""A beat's takes, by rule: a regeneration needs a planned beat and what is left of the budget to cover it; takes
are numbered per beat from 1 (take 0 is the plan's own); a prompt not given is the current take's; one run gets
one take however often it is retried. Used by the service's regenerate and select-take use cases and the launchpad's
``regenerate_beat`` (the rows themselves: ``persistence.takes``)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from vidgen_core.domain.costs import beat_estimate
from vidgen_core.domain.errors import BudgetExceeded, InvalidRequest, NotFound
from vidgen_core.domain.models import GenerationRequest, Take, VideoSpec
from vidgen_core.persistence.ledger import Ledger
from vidgen_core.persistence.takes import TakeDB


def check_beat(spec: VideoSpec | None, video_id: str, beat: int) -> VideoSpec:
    """The spec, if ``beat`` is one of its beats; else a message saying which beats there are."""
    if spec is None:
        raise InvalidRequest(f"video {video_id} has no plan yet; wait for it to be planned, then regenerate", "beat")
    if not 0 <= beat < len(spec.beats):
        raise InvalidRequest(
            f"video {video_id} has beats 0 to {len(spec.beats) - 1}; beat {beat} does not exist", "beat"
        )
    return spec


def check_regeneration_budget(request: GenerationRequest, ledger: Ledger, beat: int, cost: float) -> None:
    """BudgetExceeded if what is left of the video's budget does not cover a new take of ``beat`` at ``cost``."""
    limit = request.max_cost_usd
    if limit is not None and (committed := ledger.committed(request.video_id)) + cost > limit + 1e-9:
        raise BudgetExceeded(request.video_id, cost, committed, limit, f"regenerating beat {beat}")


def new_take(
    takes: TakeDB,
    video_id: str,
    beat: int,
    image_prompt: str | None = None,
    motion_prompt: str | None = None,
    run_id: str | None = None,
    check: Callable[[], None] | None = None,
) -> Take:
    """Record the beat's next take and make it current. A run that already asked for one gets it back, and only
    a new take is ``check``ed (e.g. against the budget, which already counts the take a run got).

    A prompt not given is the current take's, so a re-roll keeps the custom prompts it was asked with.
    """
    with takes.beat(video_id, beat) as rows:
        if run_id and (mine := rows.of_run(run_id)) is not None:
            return mine
        if check is not None:
            check()
        current, last = rows.latest()
        if current is None:  # take 0 (the plan's own) becomes a row too, so going back to it is a selection
            current = rows.add(Take(beat_index=beat, take=0))
        take = Take(
            beat_index=beat,
            take=last + 1,
            image_prompt=image_prompt or current.image_prompt,
            motion_prompt=motion_prompt or current.motion_prompt,
        )
        return rows.add(take, run_id)


def regenerate_beat(
    takes: TakeDB,
    ledger: Ledger,
    spec: VideoSpec | None,
    request: GenerationRequest,
    beat: int,
    image_prompt: str | None = None,
    motion_prompt: str | None = None,
    run_id: str | None = None,
) -> tuple[Take, float]:
    """The beat's next take and its estimate, if the plan has the beat and what is left of the budget covers it.
    The budget is checked under the beat's lock, so two re-rolls at once cannot both spend the last of it, and only
    for a new take: the run ``run_id`` that already got one gets it back."""
    cost = beat_estimate(check_beat(spec, request.video_id, beat), request, beat)
    budget = partial(check_regeneration_budget, request, ledger, beat, cost)
    return new_take(takes, request.video_id, beat, image_prompt, motion_prompt, run_id, check=budget), cost


def select_take(takes: TakeDB, video_id: str, beat: int, take: int) -> Take:
    """Make an earlier take current again (NotFound if the beat never had it)."""
    if not takes.select(video_id, beat, take):
        if take == 0:
            return Take(beat_index=beat, take=0)  # never regenerated: take 0 is already current
        raise NotFound(f"beat {beat} of video {video_id} has no take {take}")
    return next(t for t in takes.current(video_id) if t.beat_index == beat)
