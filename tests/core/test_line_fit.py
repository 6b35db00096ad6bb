"""A line in its beat: placed from its window's start, sped up by at most 10 % when it runs long, refused with what to
do when even that is not enough; and the lines_fit_beats check, which fails on a line placed outside its window and
says where."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from vidgen_core.adapters.local.planner import LocalPlanner
from vidgen_core.adapters.registry import build_providers
from vidgen_core.adapters.storage import LocalStore
from vidgen_core.domain.checks import CheckName
from vidgen_core.domain.errors import ProviderError, VidgenError
from vidgen_core.domain.models import SpokenLine, VideoSpec, Voiceover
from vidgen_core.domain.script import LEAD_IN_S, MAX_STRETCH, MIN_STRETCH, line_window
from vidgen_core.persistence.ledger import Ledger
from vidgen_core.pipeline import verify
from vidgen_core.pipeline.calls import CallCache
from vidgen_core.pipeline.requests import build_request
from vidgen_core.pipeline.voiceover import FIT_TOLERANCE_S, make_voiceover, place
from vidgen_core.settings import Settings

SETTINGS = Settings(openai_api_key=None, replicate_api_token=None)
SPEC = (
    LocalPlanner().plan(build_request("Make a 15-second ad for Nike running shoes", SETTINGS, video_id="vid-fit")).spec
)
BEAT = SPEC.beats[1]  # a middle beat: its window is the beat less the lead-in and the tail
START, END = line_window(SPEC, BEAT)
ROOM = END - START


def test_a_line_too_long_even_ten_percent_faster_is_refused_naming_the_beat_and_what_to_do() -> None:
    speech_s = ROOM * (1 + MAX_STRETCH) * 1.01  # 1 % over what the stretch can absorb
    with pytest.raises(VidgenError) as refused:
        place(SPEC, BEAT, speech_s)
    assert not isinstance(refused.value, ProviderError)  # the user's copy, not a provider's outage: never retried
    message = str(refused.value)
    assert message.startswith("beat 1's line takes 4.89 s to say and its beat has room for 4.40 s")
    assert "10% faster would still take 4.44 s" in message  # not "4.4", the room's own figure
    assert message.endswith('give it a shorter line with `vidgen regenerate vid-fit --beat 1 --line "..."`')


def test_a_line_just_inside_the_stretch_is_sped_up_to_fill_its_window_and_a_short_one_is_not() -> None:
    speech_s = ROOM * (1 + MAX_STRETCH) * 0.995
    start, end, stretch = place(SPEC, BEAT, speech_s)
    assert (start, end) == (START, END) and stretch == pytest.approx(ROOM / speech_s)
    assert MIN_STRETCH <= stretch < 1
    assert place(SPEC, BEAT, ROOM * 0.8) == (START, START + ROOM * 0.8, 1.0)  # fits as spoken: played as spoken


@hsettings(max_examples=200, deadline=None)
@example(index=0, share=1.1)  # exactly 10 % too long: fits (a float product once landed a hair over the room)
@given(index=st.integers(0, len(SPEC.beats) - 1), share=st.floats(0.05, 2.0))
def test_a_placed_line_plays_inside_its_window_and_only_an_unplaceable_one_is_refused(index: int, share: float) -> None:
    """Any length of speech in any beat: placed inside the window, played at ``stretch`` times its length and never
    more than 10 % faster; refused exactly when 10 % faster still runs past the window."""
    beat = SPEC.beats[index]
    low, high = line_window(SPEC, beat)
    speech_s = (high - low) * share
    if speech_s * MIN_STRETCH > high - low + FIT_TOLERANCE_S:  # 10 % faster still runs past the window
        with pytest.raises(VidgenError, match=f"--beat {index} --line"):
            place(SPEC, beat, speech_s)
        return
    start, end, stretch = place(SPEC, beat, speech_s)
    assert low == start < end <= high + 1e-9
    assert end - start == pytest.approx(speech_s * stretch) and MIN_STRETCH - 1e-9 <= stretch <= 1


@pytest.fixture(scope="module")
def spoken(tmp_path_factory: pytest.TempPathFactory) -> tuple[VideoSpec, Voiceover, LocalStore]:
    """A 10-second ad's lines as the voiceover phase speaks and places them (the offline voice)."""
    settings = Settings(home=tmp_path_factory.mktemp("fit") / "vidgen", openai_api_key=None, replicate_api_token=None)
    request = build_request("Make a 10-second ad for Nike running shoes", settings, video_id="vid-fit2")
    spec = LocalPlanner().plan(request).spec
    store = LocalStore(settings.storage_dir)
    calls = CallCache(store, Ledger(settings.db_url), spec.user_id, spec.video_id)
    return spec, make_voiceover(spec, store, build_providers(settings, request), calls), store


def _moved(said: Voiceover, index: int, by_s: float) -> Voiceover:
    """The voiceover with its ``index``th line (and its words) played ``by_s`` later."""
    line = said.lines[index]
    words = [w.model_copy(update={"start_s": w.start_s + by_s, "end_s": w.end_s + by_s}) for w in line.words]
    moved = line.model_copy(update={"start_s": line.start_s + by_s, "end_s": line.end_s + by_s, "words": words})
    return said.model_copy(update={"lines": [moved if k == index else s for k, s in enumerate(said.lines)]})


def _fit(spec: VideoSpec, said: Voiceover, store: LocalStore) -> verify.Outcome:
    (fit,) = [o for o in verify.voiceover_checks(spec, said, store) if o.name is CheckName.LINES_FIT_BEATS]
    return fit


def test_lines_fit_beats_passes_on_the_lines_the_voiceover_placed(spoken: tuple) -> None:
    spec, said, store = spoken
    fit = _fit(spec, said, store)
    assert len(said.lines) >= 2 and fit.passed and fit.metadata["problems"] == ""
    assert fit.metadata["lines"] == len(said.lines)
    for line in said.lines:
        assert fit.metadata[f"beat_{line.beat_index}_span_s"] == f"{line.start_s:.2f}-{line.end_s:.2f}"


@pytest.mark.parametrize("where", ["after its beat", "before its lead-in"])
def test_lines_fit_beats_fails_on_a_line_outside_its_window_with_its_numbers(spoken: tuple, where: str) -> None:
    spec, said, store = spoken
    last = said.lines[-1]
    beat = spec.beats[last.beat_index]
    start, end = line_window(spec, beat)
    by = end - last.end_s + 0.4 if where == "after its beat" else beat.start_s + LEAD_IN_S / 2 - last.start_s
    moved = _moved(said, len(said.lines) - 1, by)
    fit = _fit(spec, moved, store)
    line: SpokenLine = moved.lines[-1]
    assert not fit.passed
    assert fit.metadata["problems"] == (
        f"beat {beat.index}'s line plays {line.start_s:.2f}-{line.end_s:.2f} s, outside {start:.2f}-{end:.2f} s"
    )
    assert fit.metadata[f"beat_{beat.index}_span_s"] == f"{line.start_s:.2f}-{line.end_s:.2f}"


def test_lines_fit_beats_fails_on_a_line_sped_up_more_than_ten_percent(spoken: tuple) -> None:
    """Placed inside its window, but only by playing it faster than the voiceover allows."""
    spec, said, store = spoken
    line = said.lines[0]
    stretch = MIN_STRETCH * 0.95
    fast = line.model_copy(update={"stretch": stretch, "speech_s": (line.end_s - line.start_s) / stretch})
    fit = _fit(spec, said.model_copy(update={"lines": [fast, *said.lines[1:]]}), store)
    assert not fit.passed and fit.metadata["min_stretch"] == round(stretch, 3)
    assert f"beat {line.beat_index}'s line is sped up {1 / stretch - 1:.0%}" in fit.metadata["problems"]
