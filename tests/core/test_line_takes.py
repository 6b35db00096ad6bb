"""Line takes by rule: what a new line or voice must be (each refusal says what to fix), what it may cost against
the budget, and that it never touches the beat's picture."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from vidgen_core.adapters.local.planner import LocalPlanner
from vidgen_core.domain.costs import line_price
from vidgen_core.domain.errors import BudgetExceeded, InvalidRequest
from vidgen_core.domain.models import GenerationRequest, VideoSpec
from vidgen_core.domain.script import word_budget
from vidgen_core.persistence.takes import LineTakeDB, TakeDB
from vidgen_core.pipeline.requests import build_request
from vidgen_core.pipeline.takes import regenerate_line, wants_line_take
from vidgen_core.pipeline.voiceover import make_voiceover
from vidgen_core.settings import Settings


def _planned(settings: Settings, **kw: object) -> tuple[GenerationRequest, VideoSpec]:
    request = build_request("A 15-second ad for Nike shoes", settings, need_credentials=False, **kw)  # type: ignore[arg-type]
    return request, LocalPlanner().plan(request).spec.model_copy(update={"narration": request.narration})


def _spent(usd: float) -> SimpleNamespace:
    return SimpleNamespace(committed=lambda video_id: usd)


@pytest.mark.parametrize(
    ("line", "voice", "said"),
    [
        ("", None, "the line for beat 1 is empty; give the words its voice says"),
        ("  ...  ", None, "the line for beat 1 is empty"),
        (None, "coral", "minimax-speech-2.6-turbo has no voice 'coral'; choose one of: Wise_Woman, Friendly_Person"),
        (None, "none", "has no voice 'none'"),
        (None, None, "a line take needs a new line, a new voice, or both"),
        (None, "Calm_Woman", "beat 1 has no line for a new voice to read; give one"),
    ],
)
def test_a_line_take_says_what_to_fix(settings: Settings, line: str | None, voice: str | None, said: str) -> None:
    request, spec = _planned(settings)
    silent = [b.model_copy(update={"line": ""}) if b.index == 1 else b for b in spec.beats]  # left to the music
    spec = spec.model_copy(update={"beats": silent})
    lines = LineTakeDB(settings.db_url)
    with pytest.raises(InvalidRequest, match=said) as refused:
        regenerate_line(lines, _spent(0.0), spec, request, 1, line, voice)  # type: ignore[arg-type]
    assert refused.value.field in {"line", "voice"} and lines.all(request.video_id) == []  # nothing was stored


def test_a_line_take_in_a_language_the_voice_does_not_speak_is_refused_and_the_voiceover_skipped(
    settings: Settings,
) -> None:
    """A Chinese prompt's plan has no lines (the voices speak en, es, fr, de): a new line is refused before it is
    stored or paid for, and its voiceover is skipped saying why."""
    request = build_request("做一个15秒的茶叶广告", settings, need_credentials=False)
    spec = LocalPlanner().plan(request).spec
    lines = LineTakeDB(settings.db_url)
    with pytest.raises(InvalidRequest, match=r"script is in 'zh', which minimax-speech-2\.6-turbo does not speak"):
        regenerate_line(lines, _spent(0.0), spec, request, 1, "Run further.")  # type: ignore[arg-type]
    assert lines.all(request.video_id) == []
    said = make_voiceover(spec, None, None, None)  # type: ignore[arg-type]
    assert said.skipped and "does not speak the script's language (zh)" in said.reason


def test_a_line_over_the_beats_word_budget_is_refused_naming_the_budget(settings: Settings) -> None:
    request, spec = _planned(settings)
    budget = word_budget(spec, spec.beats[1])
    fits = " ".join(["run"] * budget)
    take, cost = regenerate_line(LineTakeDB(settings.db_url), _spent(0.0), spec, request, 1, fits)  # type: ignore[arg-type]
    assert (take.take, take.line, cost) == (1, fits, 0.0)  # offline speech is free
    with pytest.raises(InvalidRequest) as refused:
        regenerate_line(LineTakeDB(settings.db_url), _spent(0.0), spec, request, 1, f"{fits} more")  # type: ignore[arg-type]
    said = str(refused.value)
    assert f"has {budget + 1} words and the beat has room for {budget}" in said
    assert f"shorten it to at most {budget} words" in said and "2.5 words a second" in said


def test_a_video_without_a_voice_takes_no_line(settings: Settings) -> None:
    request, spec = _planned(settings, voice="none")
    with pytest.raises(InvalidRequest, match=r"has no voiceover .*voice none.*generate it again with a voice"):
        regenerate_line(LineTakeDB(settings.db_url), _spent(0.0), spec, request, 0, "Just do it.")  # type: ignore[arg-type]


def test_prompts_and_a_line_at_once_are_refused() -> None:
    assert wants_line_take(None, None, "A line.", None) and wants_line_take(None, None, None, "Deep_Voice_Man")
    assert not wants_line_take("a shoe", None, None, None)
    with pytest.raises(InvalidRequest, match="give new prompts or a new line or voice, one regeneration at a time"):
        wants_line_take("a shoe in the rain", None, "A line.", None)


def test_a_line_take_is_checked_against_what_is_left_of_the_budget(settings: Settings) -> None:
    request, spec = _planned(settings, media="replicate", max_cost_usd=1.0)
    line = "Built for the rain."
    price = line_price(spec.narration, line)
    assert price > 0
    lines = LineTakeDB(settings.db_url)
    take, cost = regenerate_line(lines, _spent(1.0 - price), spec, request, 1, line, run_id="run-a")  # type: ignore[arg-type]
    assert (take.take, cost) == (1, price)  # exactly what is left
    with pytest.raises(BudgetExceeded, match=r"regenerating the line of beat 1 is estimated at \$"):
        regenerate_line(lines, _spent(1.0 - price / 2), spec, request, 1, line, run_id="run-b")  # type: ignore[arg-type]
    again, _ = regenerate_line(lines, _spent(1.0), spec, request, 1, line, run_id="run-a")  # type: ignore[arg-type]
    assert again.take == 1 and [t.take for t in lines.all(request.video_id)] == [0, 1]  # its retry: not checked


def test_a_line_take_never_changes_the_beats_picture(settings: Settings) -> None:
    request, spec = _planned(settings)
    lines, takes = LineTakeDB(settings.db_url), TakeDB(settings.db_url)
    regenerate_line(lines, _spent(0.0), spec, request, 1, "Built for the rain.", "Deep_Voice_Man")  # type: ignore[arg-type]
    said = spec.with_takes(takes.current(request.video_id), lines.current(request.video_id))
    picture = ("take", "image_prompt", "motion_prompt", "start_s", "duration_s")
    for before, after in zip(spec.beats, said.beats, strict=True):
        assert after.model_dump(include=set(picture)) == before.model_dump(include=set(picture))
    beat = said.beats[1]
    assert (beat.take, beat.line_take, beat.line, said.voice_of(beat)) == (
        0,
        1,
        "Built for the rain.",
        "Deep_Voice_Man",
    )
    assert takes.all(request.video_id) == []
