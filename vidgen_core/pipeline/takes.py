"""A beat's takes, by rule: a regeneration needs a planned beat and what is left of the budget to cover it; takes
are numbered per beat from 1 (take 0 is the plan's own); a prompt not given is the current take's; one run gets
one take however often it is retried. Used by `vidgen regenerate`, POST .../regenerate and the launchpad's
``regenerate_beat`` (the rows themselves: ``persistence.takes``)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from vidgen_core.adapters.storage import BlobStore
from vidgen_core.domain.costs import beat_estimate
from vidgen_core.domain.errors import BudgetExceeded, InvalidRequest, NotFound
from vidgen_core.domain.models import GenerationRequest, Take, VideoSpec
from vidgen_core.persistence.ledger import Ledger
from vidgen_core.persistence.requests import RequestRecord
from vidgen_core.persistence.takes import TakeDB
from vidgen_core.pipeline.videos import stored_spec


def check_beat(spec: VideoSpec | None, video_id: str, beat: int) -> VideoSpec:
    """The spec, if ``beat`` is one of its beats; else a message saying which beats there are."""
    if spec is None:
        raise InvalidRequest(f"video {video_id} has no plan yet; wait for it to be planned, then regenerate", "beat")
    if not 0 <= beat < len(spec.beats):
        raise InvalidRequest(
            f"video {video_id} has beats 0 to {len(spec.beats) - 1}; beat {beat} does not exist", "beat"
        )
    return spec


def check_regeneration_budget(spec: VideoSpec, request: GenerationRequest, ledger: Ledger, beat: int) -> None:
    """Refuse a new take of ``beat`` that what is left of the video's budget does not cover."""
    limit = request.max_cost_usd
    if limit is None:
        return
    cost, committed = beat_estimate(spec, request, beat), ledger.committed(request.video_id)
    if committed + cost > limit + 1e-9:
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
        # Take 0 (the plan's own) becomes a row too, so going back to it is a selection.
        current = rows.current() or rows.add(Take(beat_index=beat, take=0))
        take = Take(
            beat_index=beat,
            take=rows.last() + 1,
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
) -> Take:
    """The beat's next take, if the plan has the beat and what is left of the budget covers it (checked only for
    a new take: the run ``run_id`` that already got one gets it back)."""
    plan = check_beat(spec, request.video_id, beat)
    budget = partial(check_regeneration_budget, plan, request, ledger, beat)
    return new_take(takes, request.video_id, beat, image_prompt, motion_prompt, run_id, check=budget)


def select_take(takes: TakeDB, video_id: str, beat: int, take: int) -> Take:
    """Make an earlier take current again (NotFound if the beat never had it)."""
    if not takes.select(video_id, beat, take):
        if take == 0:
            return Take(beat_index=beat, take=0)  # never regenerated: take 0 is already current
        raise NotFound(f"beat {beat} of video {video_id} has no take {take}")
    return next(t for t in takes.current(video_id) if t.beat_index == beat)


def regenerate(
    takes: TakeDB,
    ledger: Ledger,
    store: BlobStore,
    record: RequestRecord,
    beat: int,
    image_prompt: str | None = None,
    motion_prompt: str | None = None,
    take: int | None = None,
) -> Take:
    """Record a beat's next take (or select an earlier ``take``) of a video that is not running.

    Nothing is recorded when the take is refused: a BudgetExceeded or InvalidRequest says why.
    """
    if record.active:
        raise InvalidRequest(
            f"video {record.video_id} is still {record.status}; wait until it finishes, then regenerate", "video_id"
        )
    spec = stored_spec(store, record)
    if take is None:
        return regenerate_beat(takes, ledger, spec, record.request, beat, image_prompt or None, motion_prompt or None)
    check_beat(spec, record.video_id, beat)
    if image_prompt or motion_prompt:
        raise InvalidRequest("going back to an earlier take keeps its prompts; give either a take or prompts")
    return select_take(takes, record.video_id, beat, take)
