"""The script the offline planner writes: lines within their beats' word budgets, spoken where they should be, in
the script's language, priced by the estimate as planned; and the copy bank it writes from."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from vidgen_core.adapters.ffmpeg.probe import probe
from vidgen_core.adapters.local.planner import SCENES, LocalPlanner
from vidgen_core.adapters.local.voice import LocalSpeechGenerator
from vidgen_core.domain.catalog import ASPECTS, DEFAULT_SPEECH_MODEL, LANGUAGES, VIDEO_MODELS
from vidgen_core.domain.copy_bank import PHRASEBOOKS
from vidgen_core.domain.copywriter import FEW_BEATS
from vidgen_core.domain.costs import estimate, estimate_request
from vidgen_core.domain.editing import END_CARD_S
from vidgen_core.domain.models import Section, VideoSpec
from vidgen_core.domain.ports import SpeechJob
from vidgen_core.domain.prompt import STYLE_WORDS
from vidgen_core.domain.script import (
    HEADLINE_WORDS,
    MAX_STRETCH,
    WORDS_PER_SECOND,
    line_window,
    word_budget,
    word_budgets,
    words,
)
from vidgen_core.pipeline.requests import build_request
from vidgen_core.pipeline.voiceover import place
from vidgen_core.settings import Settings

SETTINGS = Settings(openai_api_key=None, replicate_api_token=None)
# What each category's ad is for, as prompts name it: a brand and product, a brand alone, a product alone
PRODUCTS = {
    "footwear": "Nike running shoes",
    "apparel": "Zara linen shirts",
    "beverage": "Ferngully organic oat milk",
    "food": "Ben & Jerry's ice cream",
    "tech": "the iPhone 17 Pro",
    "automotive": "the Tesla Model 3",
    "beauty": "Sephora lipstick",
    "fitness": "Peloton",
    "travel": "a resort called Azure Bay",
    "finance": "a savings account called Ledgerly",
    "home": "a furniture brand called Nestwell",
    "general": "garden gnomes",
}
MUSIC_GAP_S = 2.0  # long enough for ducked music to come back up (a release well under a second) and be heard
MARKUP = re.compile(r"[*_#`<>\[\]{}|~^\\]")
MODEL = next(name for name, model in sorted(VIDEO_MODELS.items()) if set(ASPECTS) <= set(model.aspects))


def _plan(prompt: str, language: str | None = None, **kw: object) -> VideoSpec:
    return LocalPlanner().plan(build_request(prompt, SETTINGS, language=language, **kw)).spec


def _silences(spec: VideoSpec) -> list[float]:
    """The stretches without speech from the start to the end card, each line taken to be spoken at
    WORDS_PER_SECOND from the start of its window (where the voiceover places it)."""
    spans = [
        (start, start + len(words(b.line)) / WORDS_PER_SECOND)
        for b in spec.beats
        if b.line
        for start, _ in [line_window(spec, b)]
    ]
    ends = [0.0, *(end for _, end in spans)]
    starts = [*(start for start, _ in spans), spec.duration_s - END_CARD_S]
    return [b - a for a, b in zip(ends, starts, strict=True)]


def test_the_copy_bank_covers_every_language_category_and_style_within_its_word_limits() -> None:
    assert set(PHRASEBOOKS) == set(LANGUAGES)
    for language, book in PHRASEBOOKS.items():
        for table, keys in ((book.hooks, SCENES), (book.benefits, SCENES), (book.headlines, SCENES)):
            assert set(table) == set(keys), language
        for table in (book.moments, book.moment_headlines, book.taglines):
            assert set(table) == set(STYLE_WORDS), language
        limits = ((book.hooks, 6), (book.benefits, 8), (book.moments, 5), (book.taglines, 3))
        for table, most in limits:
            for entry in (line for lines in table.values() for line in lines):
                assert 1 <= len(words(entry)) <= most and entry[-1] in ".?" and not MARKUP.search(entry), entry
        for table in (book.headlines, book.moment_headlines):
            for entry in (line for lines in table.values() for line in lines):
                assert 2 <= len(words(entry)) <= 4 and entry[-1].isalpha(), entry
        for style in STYLE_WORDS:  # a close never repeats the moment a dynamic beat said
            assert not set(book.moments[style]) & set(book.taglines[style]), (language, style)
        assert "{name}" in book.meet and "{name}" in book.introducing


@hsettings(max_examples=200, deadline=None)
@given(
    category=st.sampled_from(sorted(PRODUCTS)),
    style=st.sampled_from(["", *sorted(STYLE_WORDS)]),
    duration=st.integers(5, 120),
    aspect=st.sampled_from(ASPECTS),
    language=st.sampled_from(sorted(LANGUAGES)),
    announcing=st.booleans(),
)
def test_every_local_plan_speaks_within_its_budgets(
    category: str, style: str, duration: int, aspect: str, language: str, announcing: bool
) -> None:
    """Every line fits its beat (2.5 words a second over its window, before the end card); some beat speaks; the
    music has a moment of its own in ads of 15 s or more; the brand or product is said; headlines are short and
    only over product and dynamic beats; `vidgen estimate` prices the script the plan writes."""
    verb = "Introducing" if announcing else "Make"
    prompt = f"{verb} a {duration}-second {style} ad for {PRODUCTS[category]}"
    spec = _plan(prompt, language, duration_s=duration, aspect=aspect, model=MODEL)
    assert spec.language == language and spec.category == category and spec.call_to_action and not spec.plan_notes
    budgets = [word_budget(spec, b) for b in spec.beats]
    assert budgets == word_budgets(spec.beats, spec.duration_s)
    assert all(len(words(b.line)) <= budget for b, budget in zip(spec.beats, budgets, strict=True))
    lines = [b.line for b in spec.beats if b.line]
    assert lines and all(line == " ".join(line.split()) and not MARKUP.search(line) for line in lines)
    said = " ".join(lines).lower()
    assert any(name and name.lower() in said for name in (spec.brand, spec.product)), lines
    if duration >= 15:
        assert max(_silences(spec)) >= MUSIC_GAP_S, lines
    for beat in spec.beats:
        shown = len(words(beat.on_screen))
        if beat.section in (Section.OPENING, Section.CLOSING):
            assert beat.on_screen == ""  # the storyboard draws the name there, the end card the call to action
        else:
            assert 2 <= shown <= 4 <= HEADLINE_WORDS
    dynamic = [bool(b.line) for b in spec.beats if b.section is Section.DYNAMIC]
    assert dynamic == [len(spec.beats) <= FEW_BEATS] * len(dynamic)  # the music carries them in longer ads
    assert len(set(lines)) == len(lines)  # nothing is said twice
    kw = {"duration_s": duration, "aspect": aspect, "model": MODEL, "media": "replicate", "need_credentials": False}
    priced = build_request(prompt, SETTINGS, language=language, **kw)
    assert estimate_request(priced) == estimate(LocalPlanner().plan(priced).spec, priced)


def test_a_long_ad_leaves_beats_to_the_music() -> None:
    """Dynamic beats and the product beats past the bank's three lines (spread over the ad) are the music's."""
    spec = _plan("Make a 60-second playful ad for Ferngully organic oat milk", duration_s=60)
    dynamic = [b for b in spec.beats if b.section is Section.DYNAMIC]
    assert dynamic and not any(b.line for b in dynamic) and all(b.on_screen for b in dynamic)
    product = [b.line for b in spec.beats if b.section is Section.PRODUCT]
    assert sum(map(bool, product)) == 3 < len(product) and product[0] and product[-1]  # the first and the last


def test_a_script_reads_as_an_ad() -> None:
    """What the rules write for one prompt, in the four languages: a hook, the product named with what it gives,
    a moment over the dynamic beat (few beats), and the name with a tagline before the end card."""
    prompt = "Make a 20-second playful ad for Ferngully organic oat milk"
    scripts = {lang: [(b.section.value, b.line, b.on_screen) for b in _plan(prompt, lang).beats] for lang in LANGUAGES}
    assert scripts["en"] == [
        ("opening", "Thirsty for something better?", ""),
        ("product", "Meet the Ferngully organic oat milk. Crisp, refreshing, and full of flavour.", "Made to share"),
        ("closing", "Ferngully. Pure fun.", ""),
    ]
    assert scripts["fr"] == [
        ("opening", "Place à la fraîcheur.", ""),
        ("product", "Découvrez Ferngully. Fraîcheur et saveur à chaque gorgée.", "À partager"),
        ("closing", "Ferngully. Que du bonheur.", ""),
    ]
    for lang, script in scripts.items():
        book = PHRASEBOOKS[lang]
        assert script[0][1] in book.hooks["beverage"] and script[-1][1].startswith("Ferngully. ")
        assert script[1][1].startswith(book.meet.format(name="Ferngully", the=book.the)[:-1]), script


def test_a_language_the_voice_does_not_speak_gets_no_lines_and_says_so() -> None:
    spec = _plan("做一个15秒的茶叶广告")
    assert spec.language == "zh" and spec.call_to_action == "现已上市"
    assert not any(b.line or b.on_screen for b in spec.beats)
    assert spec.plan_notes == [
        "no voiceover: the voice speaks English, Spanish, French and German, not this ad's language (zh); ask for "
        "one of them (--language en, es, fr, de) to have the ad spoken"
    ]
    english = _plan("做一个15秒的茶叶广告", "en")  # spoken in English: the voice cannot say 茶叶, so no line names it
    assert english.language == "en" and not english.plan_notes and all(b.line for b in english.beats)
    assert not any(re.search(r"[\u3400-\u9fff]", b.line) for b in english.beats)


def test_the_request_language_sets_the_script_and_the_end_card() -> None:
    spec = _plan("Make a 30-second ad for Nike running shoes", "fr")
    assert spec.language == "fr" and spec.call_to_action == "Disponible maintenant"
    assert spec.beats[0].line in PHRASEBOOKS["fr"].hooks["footwear"]
    assert _plan("Erstelle eine 15-Sekunden-Werbung für Bergquell Mineralwasser").language == "de"
    spoken = _plan("Une publicité de 20 secondes pour le café Lavazza, format carré")
    assert spoken.language == "fr" and any(b.line.startswith("Découvrez Lavazza.") for b in spoken.beats)


@pytest.mark.parametrize("seconds", [5, 7, 10])
def test_a_long_name_is_cut_to_the_budget_never_over_it(seconds: int) -> None:
    name = "Grandmother Rosalind Featherstonehaugh Artisanal Countryside Bakery"
    spec = _plan(f'a {seconds}-second ad for a bakery called "{name}"', "en", duration_s=seconds)
    close = spec.beats[-1]
    assert 0 < len(words(close.line)) <= word_budget(spec, close) and close.line.startswith("Grandmother")


def test_word_budgets_do_not_depend_on_where_a_beat_starts() -> None:
    """A middle 5 s beat has 4.4 s to speak in wherever it lies (float arithmetic once gave some 10 words, some 11)."""
    spec = _plan("Make a 120-second ad for Nike running shoes", duration_s=120)
    middle = {b.duration_s: set() for b in spec.beats[1:-1]}
    for beat in spec.beats[1:-1]:
        middle[beat.duration_s].add(word_budget(spec, beat))
    assert middle[5] == {11} and all(len(budgets) == 1 for budgets in middle.values())


def test_the_offline_voice_says_every_tight_line_inside_its_window(tmp_path: Path) -> None:
    """Measured, not counted: the lines of the shortest windows (a 5 s ad's close: 2.5 s; a 15 s ad's: 2.7 s),
    spoken by the offline voice in each language, fit their windows with the stretch the voiceover allows (``place``
    refuses a line that does not); names with numbers and ampersands, the slowest to say, included."""
    voice, worst = LocalSpeechGenerator(SETTINGS), 0.0
    for category, language, seconds in itertools.product(("tech", "food", "apparel", "beauty"), LANGUAGES, (5, 15)):
        spec = _plan(f"Make a {seconds}-second minimalist ad for {PRODUCTS[category]}", language, duration_s=seconds)
        for beat in (b for b in spec.beats if b.line):
            job = SpeechJob(beat.line, "", language, DEFAULT_SPEECH_MODEL, f"line {beat.index}")
            said = voice.speak(job, tmp_path / f"{category}-{language}-{seconds}-{beat.index}.wav")
            speech_s = probe(said.path).duration_s
            start, end, stretch = place(spec, beat, speech_s)  # raises for a line it cannot fit
            start_s, end_s = line_window(spec, beat)
            assert start == start_s and end <= end_s + 1e-6 and stretch >= 1 - MAX_STRETCH
            worst = max(worst, speech_s / (end_s - start_s))
    assert 0.5 < worst <= 1 / (1 - MAX_STRETCH), worst
