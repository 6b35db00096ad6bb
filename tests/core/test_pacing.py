"""Transitions chosen per beat boundary by the energy rule, and the call to action, as the local planner plans them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from vidgen_core.adapters.local.planner import LocalPlanner, call_to_action
from vidgen_core.domain.models import Energy, Section, SpecBeat, Transition
from vidgen_core.domain.pacing import LEVEL, transition_into
from vidgen_core.pipeline.registry import PLAN_COLUMNS, _spec_facts
from vidgen_core.pipeline.requests import build_request
from vidgen_core.pipeline.videos import BeatState, VideoState
from vidgen_core.settings import Settings
from vidgen_dagster.cli import _show

PROMPTS = [
    "Create a 60-second Nike ad",
    "A 30-second ad for Ferngully organic oat milk",
    "Introducing the new Tesla, 60 seconds",
    "lifestyle coffee ad, 45 seconds",
    "Werbung für Adidas Schuhe, 30 Sekunden",
]


def _beat(index: int, section: Section, energy: Energy) -> SpecBeat:
    return SpecBeat(
        index=index,
        beat_id="b",
        name="b",
        section=section,
        start_s=5 * index,
        duration_s=5,
        shot_type="wide",
        camera="static",
        energy=energy,
        image_prompt="",
        motion_prompt="",
    )


@hsettings(max_examples=200, deadline=None)
@given(
    before=st.tuples(st.sampled_from(list(Section)), st.sampled_from(list(Energy))),
    after=st.tuples(st.sampled_from(list(Section)), st.sampled_from(list(Energy))),
)
def test_the_energy_rule(before: tuple[Section, Energy], after: tuple[Section, Energy]) -> None:
    """Low to high dips to black; into the close, a product reveal or falling energy crossfades; else a cut."""
    a, b = _beat(0, *before), _beat(1, *after)
    chosen = transition_into(a, b)
    rise = LEVEL[b.energy] - LEVEL[a.energy]
    if (a.energy, b.energy) == (Energy.LOW, Energy.HIGH):
        assert chosen is Transition.DIP_TO_BLACK
    elif b.section is Section.CLOSING or rise < 0 or (b.section is Section.PRODUCT and a.section != b.section):
        assert chosen is Transition.CROSSFADE
    else:
        assert chosen is Transition.CUT and rise >= 0
    assert transition_into(None, b) is Transition.CUT  # the ad opens on a fade-in, never a transition


@pytest.mark.parametrize("prompt", PROMPTS)
def test_local_plans_choose_a_transition_per_boundary_and_a_call_to_action(prompt: str) -> None:
    spec = LocalPlanner().plan(build_request(prompt, Settings())).spec
    assert spec.beats[0].transition is Transition.CUT and spec.call_to_action.strip()
    assert [b.transition for b in spec.beats[1:]] == [
        transition_into(a, b) for a, b in zip(spec.beats, spec.beats[1:], strict=False)
    ]
    if len(spec.beats) > 1:
        assert spec.beats[-1].transition is Transition.CROSSFADE  # into the close
    again = LocalPlanner().plan(build_request(prompt, Settings())).spec
    assert (again.beats, again.call_to_action) == (spec.beats, spec.call_to_action)  # deterministic


def test_sixty_second_ads_use_more_than_cuts() -> None:
    used = {b.transition for p in PROMPTS for b in LocalPlanner().plan(build_request(p, Settings())).spec.beats}
    assert used == set(Transition)


@pytest.mark.parametrize(
    ("brand", "product", "category", "language", "line"),
    [
        ("Nike", "", "footwear", "en", "Shop Nike now"),
        ("Ferngully", "organic oat milk", "beverage", "en", "Order today at Ferngully"),
        ("", "oat milk", "food", "en", "Order today"),
        ("Tesla", "", "automotive", "en", "Book a test drive today"),
        ("", "garden gnomes", "general", "en", "Garden gnomes: available now"),
        ("Acme", "", "general", "en", "Available now"),
        ("Adidas", "Schuhe", "footwear", "de", "Jetzt erhältlich"),
        ("", "茶叶", "beverage", "zh", "现已上市"),
    ],
)
def test_call_to_action_from_brand_product_and_category(
    brand: str, product: str, category: str, language: str, line: str
) -> None:
    """In the script's language (the prompt's, unless the request asks for another)."""
    assert call_to_action(brand, product, category, language) == line


def test_the_plan_table_and_show_say_the_transition() -> None:
    spec = LocalPlanner().plan(build_request("Create a 60-second Nike ad", Settings())).spec
    facts = _spec_facts(spec, spec)
    table = facts["beat_table"]
    column = [c.name for c in PLAN_COLUMNS].index("transition")
    assert [row[column] for row in table.rows] == [b.transition for b in spec.beats]
    assert facts["call_to_action"] == "Shop Nike now"
    beat = spec.beats[-1]
    state = BeatState(
        **beat.model_dump(include={"index", "beat_id", "name", "shot_type", "camera", "start_s", "duration_s"}),
        transition=beat.transition,
        take=0,
        takes=[0],
        image_prompt="x",
        motion_prompt="y",
        image_key=None,
        clip_keys=[],
        cost_usd=0.0,
    )
    shown = _show(_state(state))
    assert "in by crossfade" in shown


def _state(beat: BeatState) -> VideoState:
    return VideoState(
        video_id="vid-x",
        user_id="ana",
        status="complete",
        beats=[beat],
        spent_usd=0.0,
        list_price_usd=None,
        estimate_usd=None,
        max_cost_usd=None,
        ledger=[],
    )
