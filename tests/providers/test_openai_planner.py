"""The OpenAI planner, through the real `openai` client, against the local imitation."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.fakes.openai_server import LONG_CLOSE, QUOTA, SCRIPT, FakeOpenAI
from vidgen_core.adapters.openai import (
    MIN_BEAT_S,
    NO_PRODUCT_NOTE,
    OpenAIPlanner,
    PlannedAd,
    PlannedBeat,
    max_beats,
    to_spec,
)
from vidgen_core.adapters.storage import LocalStore, VideoKeys
from vidgen_core.domain.catalog import LLM_MODELS
from vidgen_core.domain.costs import estimate, estimate_request
from vidgen_core.domain.errors import ProviderError
from vidgen_core.domain.models import Phase, Section, Transition, product_name
from vidgen_core.domain.pacing import transition_into
from vidgen_core.domain.prompt import PromptReading
from vidgen_core.domain.script import HEADLINE_WORDS, word_budget, words
from vidgen_core.persistence.ledger import CallState, Ledger
from vidgen_core.persistence.requests import RequestDB
from vidgen_core.persistence.takes import LineTakeDB, TakeDB
from vidgen_core.pipeline.calls import CallCache
from vidgen_core.pipeline.phases import make_plan
from vidgen_core.pipeline.requests import build_request
from vidgen_core.pipeline.videos import describe
from vidgen_core.settings import Settings
from vidgen_dagster.cli import _show

SETTINGS = Settings(openai_api_key=None, replicate_api_token=None)


def _plan(settings: Settings, prompt: str = "Create a 30-second Nike ad", **kw: object):
    request = build_request(prompt, settings, planner="openai", **kw)
    return OpenAIPlanner(settings).plan(request)


@pytest.mark.parametrize("api", ["responses", "chat"])
def test_plan_with_structured_output_and_real_usage_cost(fake_openai: FakeOpenAI, provider_env: dict, api: str) -> None:
    settings = Settings(openai_api=api)
    result = _plan(settings)
    spec = result.spec
    assert sum(b.duration_s for b in spec.beats) == 30 and not spec.plan_notes
    assert (spec.brand, spec.product) == ("Nike", "Air Max sneakers")
    assert spec.beats[0].section.value == "opening" and spec.beats[-1].section.value == "closing"
    usage = fake_openai.usage
    assert result.costs[0].usd == LLM_MODELS["gpt-4o"].cost(usage["input"], usage["cached"], usage["output"])
    assert result.costs[0].provider == "openai" and result.costs[0].model == "gpt-4o"
    body = fake_openai.calls[-1]["body"]
    schema = body["response_format"]["json_schema"] if api == "chat" else body["text"]["format"]
    assert schema["strict"] is True
    assert "hero_reveal" in str(schema["schema"])  # beat ids are an enum in the schema
    assert schema["schema"]["required"][:2] == ["brand", "product"]
    assert "call_to_action" in schema["schema"]["required"] and spec.call_to_action == "Shop Nike now"
    beat_schema = schema["schema"]["$defs"]["PlannedBeat"]
    assert beat_schema["properties"]["transition"]["enum"] == ["cut", "crossfade", "dip_to_black"]
    assert "transition" in beat_schema["required"]
    assert [b.transition for b in spec.beats] == ["cut"] * (len(spec.beats) - 1) + ["crossfade"]  # as answered
    assert {"line", "on_screen"} <= set(beat_schema["required"])  # strict: every field required
    assert [(b.line, b.on_screen) for b in spec.beats] == [SCRIPT[b.section.value] for b in spec.beats]
    assert spec.language == "en" and all(len(words(b.line)) <= word_budget(spec, b) for b in spec.beats)
    messages = body["messages"] if api == "chat" else body["input"]
    system, user = messages[0]["content"], messages[-1]["content"]
    assert "Script language: English (en)" in user
    # the word budget of each beat length, as the script rules count it (2.5 words a second over the line window)
    assert (
        "at most 2.5 words for each second" in system
        and "5 s: 11 words (10 as the first beat, 6 as the last)" in system
    )
    assert "ending 2 s before the video does" in system and "2-4 words over product and dynamic beats" in system


@pytest.mark.parametrize("api", ["responses", "chat"])
@pytest.mark.parametrize("seconds", [5, 10, 15, 30, 60])
def test_plans_fit_the_length_asked_for(fake_openai: FakeOpenAI, provider_env: dict, api: str, seconds: int) -> None:
    """The schema bounds the beats (maxItems), as strict structured output enforces; the imitation, like a model,
    would otherwise write a whole ad of three 5-10 s beats into 5 or 10 seconds."""
    settings = Settings(openai_api=api)
    request = build_request(f"Create a {seconds}-second Nike ad", settings, planner="openai", media="replicate")
    spec = OpenAIPlanner(settings).plan(request).spec
    body = fake_openai.calls[-1]["body"]
    sent = (body["response_format"]["json_schema"] if api == "chat" else body["text"]["format"])["schema"]
    assert (sent["properties"]["beats"]["minItems"], sent["properties"]["beats"]["maxItems"]) == (1, max_beats(seconds))
    assert 1 <= len(spec.beats) <= max_beats(seconds) and sum(b.duration_s for b in spec.beats) == seconds
    starts = [sum(b.duration_s for b in spec.beats[:i]) for i in range(len(spec.beats))]
    assert [b.start_s for b in spec.beats] == starts
    if seconds >= 10:
        assert spec.beats[0].section is Section.OPENING and spec.beats[-1].section is Section.CLOSING
    assert min(b.duration_s for b in spec.beats) >= 5  # a library unit: no beat pays a whole clip for less
    assert fake_openai.plans == 1  # one paid call, never a second
    if seconds <= 15:  # short ads: the plan is the one `vidgen estimate` priced (longer ones are the model's choice)
        planned, priced = estimate(spec, request), estimate_request(request)
        # the script is the model's: priced before planning at its most (every second spoken), and no line is over
        assert 0 < planned.pop(Phase.VOICEOVER) <= priced.pop(Phase.VOICEOVER)
        assert planned == priced


def test_a_plan_with_too_many_beats_is_merged_to_fit(fake_openai: FakeOpenAI, provider_env: dict) -> None:
    """A model not held to the schema answers 30 one-second beats for 30 s: merged into 6, without asking again."""
    fake_openai.scenario = "too_many"
    spec = _plan(Settings()).spec
    assert len(spec.beats) == max_beats(30) == 6 and sum(b.duration_s for b in spec.beats) == 30
    assert spec.plan_notes == ["30 beats do not fit a 30 s video; merged into 6"]
    assert {b.duration_s for b in spec.beats} == {5} and fake_openai.plans == 1


def test_prompt_is_sanitized_before_it_is_sent(fake_openai: FakeOpenAI, provider_env: dict) -> None:
    _plan(Settings(), "Nike\x00 ad \x1b[31mfor runners\x07")
    sent = fake_openai.calls[-1]["body"]["input"][-1]["content"]
    assert "Nike ad for runners" in sent and "\x00" not in sent and "\x1b" not in sent and "\x07" not in sent


def test_unknown_beat_ids_and_wrong_sums_are_repaired(fake_openai: FakeOpenAI, provider_env: dict) -> None:
    fake_openai.scenario = "unknown_ids"
    spec = _plan(Settings()).spec
    assert sum(b.duration_s for b in spec.beats) == 30
    assert any("laser_show" in n for n in spec.plan_notes) and any("rescaled" in n for n in spec.plan_notes)
    fake_openai.scenario = "bad_sum"
    spec = _plan(Settings()).spec
    assert sum(b.duration_s for b in spec.beats) == 30 and "summed to 33 s" in spec.plan_notes[0]


@pytest.mark.parametrize(
    ("scenario", "api", "fragment"),
    [
        ("refusal", "responses", "the model refused: I'm sorry"),
        ("refusal", "chat", "the model refused: I'm sorry"),
        ("length", "chat", "cut off at the token limit"),
        ("incomplete", "responses", "incomplete (max_output_tokens)"),
        ("invalid_json", "responses", "does not match the spec schema"),
        ("invalid_json", "chat", "does not match the spec schema"),
    ],
)
def test_bad_answers_are_rejected_clearly(
    fake_openai: FakeOpenAI, provider_env: dict, scenario: str, api: str, fragment: str
) -> None:
    fake_openai.scenario = scenario
    with pytest.raises(ProviderError, match="openai model gpt-4o failed for plan") as info:
        _plan(Settings(openai_api=api))
    assert fragment in str(info.value)


def test_throttling_is_retried_by_the_client(fake_openai: FakeOpenAI, provider_env: dict) -> None:
    fake_openai.fail_next(429, **{"retry-after-ms": "10"})
    fake_openai.fail_next(500, **{"retry-after-ms": "10"})
    assert _plan(Settings()).spec.beats
    assert [c["headers"].get("x-stainless-retry-count") for c in fake_openai.calls] == ["0", "1", "2"]


@pytest.mark.parametrize(
    ("status", "body", "fragment", "retryable"),
    [
        (401, None, "API key was rejected (401); check OPENAI_API_KEY", False),
        (429, QUOTA, "no quota left", False),
        (500, None, "HTTP 500", True),
    ],
)
def test_api_errors_are_clear_and_never_show_the_key(
    fake_openai: FakeOpenAI, provider_env: dict, status: int, body: dict | None, fragment: str, retryable: bool
) -> None:
    for _ in range(3):
        fake_openai.fail_next(status, body, **{"retry-after-ms": "10"})
    with pytest.raises(ProviderError) as info:
        _plan(Settings())
    assert fragment in str(info.value) and info.value.retryable is retryable
    assert fake_openai.api_key not in str(info.value)


def test_wrong_key_is_rejected_without_echoing_it(
    fake_openai: FakeOpenAI, provider_env: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong-secret-123")
    with pytest.raises(ProviderError, match="check OPENAI_API_KEY") as info:
        _plan(Settings())
    assert "sk-wrong-secret-123" not in str(info.value)


@pytest.mark.parametrize("api", ["responses", "chat"])
def test_rejected_answers_are_in_the_ledger_at_what_openai_billed(
    fake_openai: FakeOpenAI, provider_env: dict, settings: Settings, api: str
) -> None:
    """An answer vidgen rejects (a refusal, a cut-off, JSON that does not match) is billed all the same: its ledger
    row is failed at its usage's price, and the video's and the batch's spend include it."""
    ledger, store = Ledger(settings.db_url), LocalStore(settings.storage_dir)
    planner = SimpleNamespace(planner=OpenAIPlanner(Settings(openai_api=api)))
    scenarios = ["refusal", "length" if api == "chat" else "incomplete", "invalid_json", "ok"]
    videos = []
    for n, scenario in enumerate(scenarios):
        fake_openai.scenario = scenario
        request = build_request("Create a 10-second Nike ad", settings, planner="openai", video_id=f"vid-bill{n}")
        calls = CallCache(store, ledger, "ana", request.video_id, budget_usd=1.0, batch_id="bat-bill1")
        videos.append(request.video_id)
        if scenario == "ok":
            make_plan(request, planner, calls)  # type: ignore[arg-type]
        else:
            with pytest.raises(ProviderError) as rejected:
                make_plan(request, planner, calls)  # type: ignore[arg-type]
            assert rejected.value.costs and rejected.value.costs[0].usd > 0
    usage = fake_openai.usage
    per_answer = LLM_MODELS["gpt-4o"].cost(usage["input"], usage["cached"], usage["output"])
    billed = round(fake_openai.plans * per_answer, 6)
    rows = [row for video in videos for row in ledger.rows(video)]
    states = [CallState.FAILED] * 3 + [CallState.PAID]
    assert [(r.state, r.actual_usd) for r in rows] == [(state, per_answer) for state in states]
    assert fake_openai.plans == 4 and billed > 0
    assert round(sum(ledger.spent(v) for v in videos), 6) == billed
    assert round(sum(ledger.committed(v) for v in videos), 6) == billed
    assert round(sum(ledger.batch_spent("bat-bill1").values()), 6) == billed == ledger.batch_committed("bat-bill1")


def _answer(
    *seconds: int, brand: str = "Nike", product: str = "Air Max sneakers", lines: tuple[str, ...] = ()
) -> PlannedAd:
    """An answer of an opening, product beats and a close lasting ``seconds``, with empty prompts (so the library's
    templates, which name the product, are used), and ``lines`` (none if not given)."""
    ids = ["hero_reveal", *(["feature_detail"] * (len(seconds) - 2)), "logo_lockup"][-len(seconds) :]
    said = lines or ("",) * len(seconds)
    beats = [
        PlannedBeat(
            beat_id=b, duration_s=s, image_prompt="", motion_prompt="", transition="cut", line=line, on_screen=""
        )
        for b, s, line in zip(ids, seconds, said, strict=True)
    ]
    return PlannedAd(
        brand=brand,
        product=product,
        category="footwear",
        style="energetic",
        music_mood="energetic",
        archetype="product_showcase",
        call_to_action="Shop now",
        beats=beats,
    )


@pytest.mark.parametrize(
    ("seconds", "total", "kept"),
    [((1, 1, 8, 10, 10), 30, (5, 5, 6, 7, 7)), ((1, 9), 10, (5, 5)), ((2, 3, 5, 20), 30, (5, 5, 5, 15))],
)
def test_beats_shorter_than_a_clip_are_lengthened_whatever_their_sum(
    seconds: tuple[int, ...], total: int, kept: tuple[int, ...]
) -> None:
    """A plan that sums exactly but has 1-s beats would pay a whole clip for each: every beat is made at least the
    library's unit (5 s), the seconds taken from what longer beats have above it, and the plan says so. No second
    call is made: ``to_spec`` works on the one answer."""
    request = build_request(f"Create a {total}-second Nike ad", SETTINGS, planner="openai", need_credentials=False)
    spec = to_spec(_answer(*seconds), request, "gpt-4o")
    assert tuple(b.duration_s for b in spec.beats) == kept and sum(kept) == total == spec.duration_s
    assert all(b.duration_s >= MIN_BEAT_S for b in spec.beats)
    assert any(f"lengthened to at least {MIN_BEAT_S} s" in note for note in spec.plan_notes), spec.plan_notes


@pytest.mark.parametrize(
    ("brand", "product", "name"),
    [
        ("Ferngully", "organic oat milk", "Ferngully organic oat milk"),
        ("Nike", "", "Nike"),
        ("", "茶叶", "茶叶"),
        (" Oatly ", " oat milk ", "Oatly oat milk"),
    ],
)
def test_brand_and_product_are_one_name_by_one_rule(brand: str, product: str, name: str) -> None:
    """The spec's name, the offline reading's and the one the OpenAI plan writes into its prompts are the same."""
    assert product_name(brand, product) == name
    assert PromptReading(brand, product, "general", "cinematic", "calm", "product_showcase").name == name
    request = build_request("Create a 5-second Nike ad", SETTINGS, planner="openai", need_credentials=False)
    spec = to_spec(_answer(5, brand=brand, product=product), request, "gpt-4o")
    assert spec.name == name and name in spec.beats[0].image_prompt
    assert spec.model_copy(update={"brand": brand, "product": product}).name == name


def test_an_answer_naming_no_product_is_planned_with_a_warning_the_user_sees(
    fake_openai: FakeOpenAI, provider_env: dict, settings: Settings
) -> None:
    """'Make an ad' through OpenAI: the answer (paid already) is planned, not thrown away, and the plan's warning
    is in the spec (the API's `spec`, Dagster's video_spec metadata) and in `vidgen show`, text and JSON."""
    fake_openai.scenario = "no_product"
    request = build_request("Make an ad", settings, planner="openai", media="replicate", video_id="vid-noname1")
    spec = OpenAIPlanner(settings).plan(request).spec
    assert (spec.brand, spec.product) == ("", "") and spec.plan_notes == [NO_PRODUCT_NOTE]
    assert "names no brand or product" in NO_PRODUCT_NOTE and "e.g." in NO_PRODUCT_NOTE
    db, store = RequestDB(settings.db_url), LocalStore(settings.storage_dir)
    record = db.submit(request)
    store.put_bytes(VideoKeys(record.user_id, record.video_id).spec(), spec.model_dump_json().encode())
    state = describe(TakeDB(settings.db_url), LineTakeDB(settings.db_url), Ledger(settings.db_url), store, record)
    assert state.plan_notes == [NO_PRODUCT_NOTE]
    assert f"  plan: {NO_PRODUCT_NOTE}" in _show(state).splitlines()
    fake_openai.scenario = "ok"
    assert not OpenAIPlanner(settings).plan(request).spec.plan_notes  # a named product: no warning


def test_transitions_and_the_call_to_action_are_repaired(fake_openai: FakeOpenAI, provider_env: dict) -> None:
    """A model not held to the schema opens on a crossfade and names a transition that does not exist: the first
    beat is made a cut, the unknown one chosen by the energy rule, and the plan says both; an empty call to action
    is written by the offline rule (never empty on the end card)."""
    fake_openai.scenario = "bad_transitions"
    spec = _plan(Settings()).spec
    assert spec.beats[0].transition is Transition.CUT
    assert spec.beats[1].transition is transition_into(spec.beats[0], spec.beats[1])
    assert any("first beat cannot begin with a crossfade" in n for n in spec.plan_notes), spec.plan_notes
    assert any("unknown transition 'wipe'" in n for n in spec.plan_notes), spec.plan_notes
    fake_openai.scenario = "no_call_to_action"
    spec = _plan(Settings()).spec
    assert spec.call_to_action == "Shop Nike now" and any("no call to action" in n for n in spec.plan_notes)


@pytest.mark.parametrize("api", ["responses", "chat"])
def test_a_line_over_its_budget_is_cut_and_the_plan_says_so(
    fake_openai: FakeOpenAI, provider_env: dict, api: str
) -> None:
    """A model that does not count words writes a close it cannot say before the end card: it is cut to its beat's
    budget at a sentence or clause end, without asking again, and the plan says which beat and how many words."""
    fake_openai.scenario = "long_line"
    spec = _plan(Settings(openai_api=api)).spec
    close = spec.beats[-1]
    budget = word_budget(spec, close)
    assert budget == 6 and len(words(LONG_CLOSE)) == 18  # a 5 s close: 2.7 s before the end card, at 2.5 words/s
    assert close.line == "Nike Air Max sneakers." and close.line.startswith("Nike") and fake_openai.plans == 1
    note = f"beat {close.index}'s line had 18 words, over its budget of 6 (2.5 words a second over the 2.7 s it may "
    assert spec.plan_notes == [note + "be spoken); cut to 4"]
    assert all(len(words(b.line)) <= word_budget(spec, b) for b in spec.beats)


def test_the_script_language_is_the_requests_and_a_language_the_voice_does_not_speak_gets_no_lines(
    fake_openai: FakeOpenAI, provider_env: dict
) -> None:
    """The model is told the script's language: the request's, else the prompt's. Chinese is planned (the model
    reads it) with headlines and without lines, and the plan says which languages the voice speaks."""
    settings = Settings()
    request = build_request("Create a 30-second Nike ad", settings, planner="openai").model_copy(
        update={"language": "de"}
    )
    spec = OpenAIPlanner(settings).plan(request).spec
    assert "Script language: German (de)" in fake_openai.calls[-1]["body"]["input"][-1]["content"]
    assert spec.language == "de"
    chinese = build_request("为Nike做一个30秒的广告", settings, planner="openai")
    spec = OpenAIPlanner(settings).plan(chinese).spec
    sent = fake_openai.calls[-1]["body"]["input"][-1]["content"]
    assert "leave every line empty" in sent and "English, Spanish, French, German" in sent
    assert spec.language == "zh" and not any(b.line for b in spec.beats) and any(b.on_screen for b in spec.beats)
    assert len(spec.plan_notes) == 1 and "English, Spanish, French and German" in spec.plan_notes[0]


def test_lines_are_said_as_words_and_headlines_are_short() -> None:
    """Markup is not read aloud; a line a model wrote for a language the voice does not speak is dropped; a
    headline over HEADLINE_WORDS is cut (each with a note)."""
    request = build_request("Create a 15-second Nike ad", SETTINGS, planner="openai", need_credentials=False)
    answer = _answer(5, 5, 5, lines=("**Run** _further_.", "", "Nike. <b>Just</b> move."))
    long_headline = "Made for every mile you will ever run"
    answer.beats[1] = answer.beats[1].model_copy(update={"on_screen": long_headline})
    spec = to_spec(answer, request, "gpt-4o")
    assert [b.line for b in spec.beats] == ["Run further.", "", "Nike. Just move."]
    assert (
        spec.beats[1].on_screen == "Made for every mile you" and len(spec.beats[1].on_screen.split()) == HEADLINE_WORDS
    )
    assert spec.plan_notes == [f"beat 1's on-screen copy had 8 words; cut to {HEADLINE_WORDS}"]
    chinese = request.model_copy(update={"prompt": "为Nike做一个15秒的广告"})
    spec = to_spec(answer, chinese, "gpt-4o")
    assert not any(b.line for b in spec.beats) and "English, Spanish, French and German" in spec.plan_notes[0]
