"""Planning: prompt reading, request validation, and the spec invariants (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import assume, example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from vidgen_core.adapters.local.planner import LocalPlanner
from vidgen_core.domain.beats import ARCHETYPES, BEATS
from vidgen_core.domain.catalog import ASPECTS, VIDEO_MODELS, Resolution
from vidgen_core.domain.costs import estimate, estimate_request
from vidgen_core.domain.errors import InvalidRequest
from vidgen_core.domain.models import (
    PLAN_VERSION,
    AssetRole,
    Delivery,
    GenerationRequest,
    Loudness,
    ReferenceAsset,
    Section,
    VideoSpec,
)
from vidgen_core.domain.prompt import (
    _MINUTE_NUMBERS,
    _SECOND_NUMBERS,
    find_aspect,
    find_duration,
    read_prompt,
    readable,
    sanitize,
)
from vidgen_core.pipeline.requests import NO_PRODUCT, UNREADABLE, build_request
from vidgen_core.settings import Settings

SETTINGS = Settings(openai_api_key=None, replicate_api_token=None)
# Any text the planner accepts: after a named product, whatever survives sanitizing (terminal escapes such as "\x1bA"
# and control characters are dropped), mostly in a script it reads. What it refuses is a property of its own below.
NAMED = 'an ad for a brand called "Ferngully". '
PROMPTS = st.text(min_size=0, max_size=300).map(lambda s: NAMED + s).filter(readable)


def test_beat_library_shape() -> None:
    counts = {s: sum(b.section == s for b in BEATS) for s in Section}
    assert counts == {Section.OPENING: 5, Section.PRODUCT: 5, Section.DYNAMIC: 3, Section.CLOSING: 2}
    assert {b.duration_s for b in BEATS} == {5, 10, 15}
    assert len({b.id for b in BEATS}) == 15
    assert {"product_showcase", "lifestyle", "announcement"} <= set(ARCHETYPES)


@pytest.mark.parametrize(
    ("prompt", "seconds"),
    [
        ("Create a 30-second Nike ad", 30),
        ("a 45s spot for Red Bull", 45),
        ("1 minute ad for Tesla", 60),
        ("a one minute commercial", 60),
        ("20 sec teaser", 20),
        ("a thirty-second spot", 30),
        ("forty five seconds of hype", 45),
        ("a retro 80s Adidas ad", None),
        ("Nike ad", None),
        ("Erstelle eine 15-Sekunden-Werbung für Bergquell", 15),
        ("eine Minute Werbung für Bergquell", 60),
        ("une publicité de trente secondes", 30),
        ("une minute pour Lavazza", 60),
        ("un anuncio de 20 segundos", 20),
        ("un minuto para Zenda", 60),
        ("做一个15秒的茶叶广告", 15),
        ("做一个十五秒的茶叶广告", 15),
        ("一分钟的咖啡广告", 60),
        # Chinese numerals are read whole, however they are composed
        ("做一个四十秒的茶叶广告", 40),
        ("做一个二十五秒的茶叶广告", 25),
        ("做一个九十秒的茶叶广告", 90),
        ("做一个十秒的茶叶广告", 10),
        ("半分钟的咖啡广告", 30),
        ("两分钟的咖啡广告", 120),
        ("做一个一百零五秒的茶叶广告", None),  # not read in part (as 5 s)
        ("每一秒都精彩的茶叶广告", None),  # "every second" is no length
    ],
)
def test_duration_is_read_from_the_prompt(prompt: str, seconds: int | None) -> None:
    assert find_duration(prompt) == seconds


def test_every_number_word_and_chinese_numeral_is_read_as_a_length() -> None:
    """The patterns are made from the number tables: each word of them is read, and each Chinese numeral to 99."""
    for word, value in _SECOND_NUMBERS.items():
        assert find_duration(f"a {word}-second ad for Nike") == value, word
    for word, value in _MINUTE_NUMBERS.items():
        assert find_duration(f"{word} minute ad for Nike") == value * 60, word
    digits = "一二三四五六七八九"
    for n in range(1, 100):
        tens, units = divmod(n, 10)
        numeral = (digits[tens - 1] if tens > 1 else "") + ("十" if tens else "") + (digits[units - 1] if units else "")
        assert find_duration(f"做一个{numeral}秒的茶叶广告") == n, numeral


@pytest.mark.parametrize(
    ("prompt", "aspect"),
    [
        ("a vertical Nike ad", "9:16"),
        ("9:16 ad for coffee", "9:16"),
        ("square ad", "1:1"),
        ("1:1 promo", "1:1"),
        ("widescreen film", "16:9"),
        ("Create a 30-second Nike ad", None),
        ("Werbung für Bergquell Mineralwasser, vertikal", "9:16"),
        ("Werbung im Querformat", "16:9"),
        ("une publicité carrée", "1:1"),
        ("un anuncio cuadrado", "1:1"),
        ("做一个竖屏的茶叶广告", "9:16"),
        ("横屏咖啡广告", "16:9"),
    ],
)
def test_aspect_is_read_from_the_prompt(prompt: str, aspect: str | None) -> None:
    assert find_aspect(prompt) == aspect


@pytest.mark.parametrize(
    ("prompt", "brand", "product", "category"),
    [
        ("Create a 30-second Nike ad", "Nike", "", "footwear"),
        ("Make a 45s vertical ad for Red Bull energy drink", "Red Bull", "energy drink", "beverage"),
        ("A 1 minute cinematic commercial for the Tesla Model 3", "Tesla", "Model 3", "automotive"),
        ("Launching the Galaxy S30: a bold teaser", "Galaxy S30", "", "tech"),
        ("ten second ad: Ferngully organic oat milk", "Ferngully", "organic oat milk", "beverage"),
        ("A 20-second vertical ad for Oatly oat milk", "Oatly", "oat milk", "beverage"),
        ("Make an ad for Ben & Jerry's ice cream", "Ben & Jerry's", "ice cream", "food"),
        ("A sleek minimalist ad for the new iPhone 17 Pro", "iPhone 17 Pro", "", "tech"),
        ("Make an ad for running shoes", "", "running shoes", "footwear"),
        ("create something nice", "", "", "general"),
    ],
)
def test_brand_product_and_category(prompt: str, brand: str, product: str, category: str) -> None:
    reading = read_prompt(prompt)
    assert (reading.brand, reading.product, reading.category) == (brand, product, category)


@pytest.mark.parametrize(
    ("prompt", "seconds", "aspect", "brand", "product", "category"),
    [
        ("ten second ad: Ferngully organic oat milk", 10, "16:9", "Ferngully", "organic oat milk", "beverage"),
        (
            "Erstelle eine 15-Sekunden-Werbung für Bergquell Mineralwasser, vertikal",
            15,
            "9:16",
            "Bergquell",
            "Mineralwasser",
            "beverage",
        ),
        ("Mach einen Werbespot für unsere Schokolade, quadratisch", 30, "1:1", "", "Schokolade", "food"),
        ("Une publicité de 20 secondes pour le café Lavazza, format carré", 20, "1:1", "Lavazza", "café", "beverage"),
        ("Crée une pub verticale pour les baskets Zenith", 30, "9:16", "Zenith", "baskets", "footwear"),
        (
            "Haz un anuncio de 45 segundos para zapatillas Zenda, horizontal",
            45,
            "16:9",
            "Zenda",
            "zapatillas",
            "footwear",
        ),
        ("Un anuncio de diez segundos del café Aroma Andino", 10, "16:9", "Aroma Andino", "café", "beverage"),
        ("做一个15秒的茶叶广告", 15, "16:9", "", "茶叶", "beverage"),
        ("为Bergquell矿泉水做一个一分钟的竖屏广告", 60, "9:16", "Bergquell", "矿泉水", "beverage"),
    ],
)
def test_prompts_in_five_languages_are_read(
    prompt: str, seconds: int, aspect: str, brand: str, product: str, category: str
) -> None:
    request = build_request(prompt, SETTINGS)
    reading = read_prompt(prompt)
    assert (request.duration_s, request.aspect_ratio) == (seconds, aspect)
    assert (reading.brand, reading.product, reading.category) == (brand, product, category)
    spec = LocalPlanner().plan(request).spec
    assert (spec.brand, spec.product) == (brand, product)
    assert all(spec.name in b.image_prompt for b in spec.beats if "{product}" in _template(b.beat_id))
    priced = build_request(prompt, SETTINGS, media="replicate", need_credentials=False)
    assert estimate_request(priced) == estimate(LocalPlanner().plan(priced).spec, priced)  # `vidgen estimate` agrees


def _template(beat_id: str) -> str:
    return next(b.image_prompt for b in BEATS if b.id == beat_id)


@pytest.mark.parametrize(
    ("prompt", "refusal"),
    [
        ("Make an ad", NO_PRODUCT),
        ("a 30-second vertical ad with upbeat music", NO_PRODUCT),
        ("广告", NO_PRODUCT),
        ("Сделай рекламу чая Bergquell на 15 секунд", UNREADABLE),  # it would read Bergquell, and miss the 15 s
        ("ベルクヴェルのお茶の広告を作って", UNREADABLE),
    ],
)
def test_a_prompt_the_offline_planner_cannot_read_is_refused_saying_what_to_do(prompt: str, refusal: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        build_request(prompt, SETTINGS)
    assert refused.value.field == "prompt" and str(refused.value) == refusal
    assert "--planner openai" in refusal and ("e.g." in refusal or "another script" in refusal)
    request = build_request(prompt, SETTINGS, planner="openai", need_credentials=False)
    assert request.planner == "openai"  # the OpenAI planner reads any prompt


def test_style_mood_and_archetype_follow_the_words() -> None:
    reading = read_prompt("Introducing our luxury perfume, calm and elegant")
    assert (reading.style, reading.mood, reading.archetype) == ("luxury", "calm", "announcement")
    assert read_prompt("a lifestyle ad about friends and coffee").archetype == "lifestyle"


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"prompt": ""}, "prompt is empty"),
        ({"prompt": "   "}, "prompt is empty"),
        ({"prompt": "x" * 2001}, "at most 2000"),
        ({"prompt": "ad", "duration_s": 3}, "from 5 to 120"),
        ({"prompt": "ad", "duration_s": 121}, "from 5 to 120"),
        ({"prompt": "a 5 minute ad"}, "the prompt asks for 300"),
        ({"prompt": "ad", "model": "sora-9"}, "unknown video model"),
        ({"prompt": "ad", "aspect": "4:3"}, "aspect"),
        ({"prompt": "ad", "user_id": "../etc"}, "user_id"),
        ({"prompt": "ad", "model": "veo-3-fast", "aspect": "1:1"}, "veo-3-fast makes 16:9 or 9:16 video, not 1:1"),
        ({"prompt": "ad", "planner": "openai"}, "set OPENAI_API_KEY in the environment"),
        (
            {"prompt": "a Nike ad", "media": "replicate", "speech_model": "gpt-4o-mini-tts"},
            "set REPLICATE_API_TOKEN and OPENAI_API_KEY in the environment to use planner local, media replicate and "
            "speech model gpt-4o-mini-tts",
        ),
    ],
)
def test_bad_input_says_what_to_fix(kwargs: dict, fragment: str) -> None:
    prompt = kwargs.pop("prompt")
    with pytest.raises(InvalidRequest, match=fragment):
        build_request(prompt, SETTINGS, **kwargs)


@hsettings(max_examples=300, deadline=None)
@given(prompt=st.text(max_size=300))
@example(prompt="\x1bA")  # the prompt CI once drew: a lone escape sequence, printable at a glance
@example(prompt="\x1b[31m\u200b\t")
def test_any_prompt_is_planned_or_refused_saying_why(prompt: str) -> None:
    clean = sanitize(prompt)
    if not clean or not readable(clean) or not read_prompt(clean).name:
        refusals = r"prompt is empty|no printable text|names no product|another script"
        with pytest.raises(InvalidRequest, match=refusals) as refused:
            build_request(prompt, SETTINGS, duration_s=10)
        assert refused.value.field == "prompt"
        return
    request = build_request(prompt, SETTINGS, duration_s=10)
    assert request.prompt == clean and clean.isprintable() and clean == clean.strip() and "  " not in clean
    assert LocalPlanner().plan(request).spec.duration_s == 10


@hsettings(max_examples=150, deadline=None)
@given(
    prompt=PROMPTS,
    duration=st.integers(5, 120),
    aspect=st.sampled_from(ASPECTS),
    model=st.sampled_from(sorted(VIDEO_MODELS)),
)
def test_spec_durations_sum_exactly(prompt: str, duration: int, aspect: str, model: str) -> None:
    assume(aspect in VIDEO_MODELS[model].aspects)
    request = build_request(prompt, SETTINGS, duration_s=duration, aspect=aspect, model=model, video_id="vid-test")
    spec = LocalPlanner().plan(request).spec
    assert sum(b.duration_s for b in spec.beats) == duration == spec.duration_s
    starts = [sum(x.duration_s for x in spec.beats[:i]) for i in range(len(spec.beats))]
    assert [b.start_s for b in spec.beats] == starts
    assert spec.aspect_ratio == aspect and spec.video_model == model
    assert spec.beats[-1].section is Section.CLOSING
    if duration >= 10:
        assert spec.beats[0].section is Section.OPENING
    if duration >= 15:
        assert all(b.section in (Section.PRODUCT, Section.DYNAMIC) for b in spec.beats[1:-1])
        assert len(spec.beats) >= 3


@hsettings(max_examples=50, deadline=None)
@given(prompt=PROMPTS, duration=st.integers(5, 120))
def test_same_prompt_same_spec(prompt: str, duration: int) -> None:
    first = build_request(prompt, SETTINGS, duration_s=duration, video_id="vid-one")
    second = build_request(prompt, SETTINGS, duration_s=duration, video_id="vid-one")
    a, b = LocalPlanner().plan(first).spec, LocalPlanner().plan(second).spec
    assert a.model_dump() == b.model_dump()


def test_prompt_is_sanitized() -> None:
    request = build_request("Nike\x00 ad\x1b[31m  \n\n for runners", SETTINGS)
    assert "\x00" not in request.prompt and "\x1b" not in request.prompt and "  " not in request.prompt


def test_a_requests_plan_inputs_are_what_they_were_before_delivery_and_roles() -> None:
    """The plan call's inputs of a request are pinned: delivery options, image roles and new request fields must
    not change them, or every stored video would plan (and, with OpenAI, pay) again on its next run."""
    request = GenerationRequest(
        video_id="vid-pinned",
        user_id="u1",
        prompt="Create a 30-second Nike ad",
        reference_assets=[ReferenceAsset(asset_id="asset-0123456789abcdef", role=AssetRole.LOGO)],
        delivery=Delivery(resolution=Resolution.P2160, loudness=Loudness.BROADCAST),
        duration_s=30,
        aspect_ratio="16:9",
        video_model="hailuo-02-fast",
        image_model="flux-dev",
        music_model="musicgen",
    )
    assert request.plan_inputs() == {
        "video_id": "vid-pinned",
        "user_id": "u1",
        "prompt": "Create a 30-second Nike ad",
        "title": "",
        "description": "",
        "reference_assets": [],
        "duration_s": 30,
        "aspect_ratio": "16:9",
        "video_model": "hailuo-02-fast",
        "image_model": "flux-dev",
        "music_model": "musicgen",
        "planner": "local",
        "media": "local",
    }


def test_plans_made_now_follow_the_current_rules_and_stored_ones_read_as_old() -> None:
    """New plans carry PLAN_VERSION (re-anchoring, colour matching, a fitted tempo); a spec stored before it has no
    such field and reads as old, so its clips and music keep the calls they were made by."""
    spec = LocalPlanner().plan(build_request("Create a 60-second Nike ad", Settings())).spec
    assert spec.plan_version == PLAN_VERSION and not spec.old_plan
    stored = spec.model_dump(mode="json", exclude={"plan_version"})
    assert VideoSpec.model_validate(stored).old_plan
