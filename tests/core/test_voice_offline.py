"""The offline voice: lines spoken by Piper (English) and espeak-ng (Spanish, French, German) into mono WAVs, each
script word timed over its own speech, quiet before the first word and after the last, from several threads at once;
a language it cannot speak refused by name."""

from __future__ import annotations

import itertools
import math
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from vidgen_core.adapters.ffmpeg.envelope import WINDOW_S, envelope, level_db
from vidgen_core.adapters.ffmpeg.probe import probe
from vidgen_core.adapters.local.planner import LocalPlanner
from vidgen_core.adapters.local.timing import share_out
from vidgen_core.adapters.local.voice import LocalSpeechGenerator
from vidgen_core.adapters.registry import build_providers
from vidgen_core.adapters.storage import LocalStore
from vidgen_core.domain.catalog import LOCAL_MODELS, LOCAL_PROVIDER, Kind
from vidgen_core.domain.checks import SPEECH_FLOOR_DB
from vidgen_core.domain.errors import InvalidRequest
from vidgen_core.domain.models import Phase, WordTime
from vidgen_core.domain.ports import SpeechJob, Spoken
from vidgen_core.domain.script import words
from vidgen_core.persistence.ledger import Ledger
from vidgen_core.pipeline.calls import CallCache
from vidgen_core.pipeline.requests import build_request
from vidgen_core.pipeline.voiceover import make_voiceover, placed
from vidgen_core.settings import Settings

RATE = 22_050  # what both engines make: Piper's joe (medium) voice and espeak-ng
ENGLISH = "Meet the new Aurora running shoe. Lighter, faster, and built to go the distance."
MERGED = "One of the best of the year, in the city, for just 20% less."  # espeak says "of the" as one word
LINES = {
    "es": "¡Corre más rápido! El nuevo Aurora, con un 20% de descuento, te espera hoy.",
    "fr": "Qu'est-ce que vous attendez ? L'été arrive : des chaussures légères.",
    "de": "Größer, schneller und günstiger: über 1.000 Kunden lieben unsere Schuhe!",
}


def _job(text: str, language: str) -> SpeechJob:
    return SpeechJob(text=text, voice="coral", language=language, model="gpt-4o-mini-tts", item="line of beat 0")


def _checked(spoken: Spoken, text: str) -> list[WordTime]:
    """The file is a mono 16-bit WAV at the engine's rate; the words are the script's, in order, inside the sound,
    each over speech (its loudest 20 ms window above the floor, as the words_on_speech check measures), with
    silence before the first and after the last (the whole windows there)."""
    info = probe(spoken.path)
    assert (info.audio_codec, info.sample_rate, info.channels) == ("pcm_s16le", RATE, 1)
    assert info.duration_s > 0.5
    assert spoken.words is not None
    said = spoken.words
    assert [w.word for w in said] == words(text)
    assert all(w.start_s < w.end_s for w in said)
    assert all(a.end_s <= b.start_s for a, b in itertools.pairwise(said))
    assert said[0].start_s >= 0 and said[-1].end_s <= info.duration_s + 1e-3
    level = envelope(spoken.path)
    for w in said:
        loudest = level[int(w.start_s / WINDOW_S) : math.ceil(w.end_s / WINDOW_S)].max()
        assert loudest > SPEECH_FLOOR_DB, f"{w.word!r} at {w.start_s}-{w.end_s} s is over silence ({loudest:.0f} dB)"
    lead_end = math.floor(said[0].start_s / WINDOW_S) * WINDOW_S
    tail_start = math.ceil(said[-1].end_s / WINDOW_S) * WINDOW_S
    assert level_db(level, 0, lead_end) < SPEECH_FLOOR_DB
    assert level_db(level, tail_start, len(level) * WINDOW_S) < SPEECH_FLOOR_DB
    return said


def test_english_line_is_spoken_by_piper_with_each_word_timed(tmp_path: Path) -> None:
    voice = LocalSpeechGenerator(Settings(home=tmp_path))
    spoken = voice.speak(_job(ENGLISH, "en"), tmp_path / "line.wav")
    said = _checked(spoken, ENGLISH)
    shoe, lighter = said[5], said[6]
    assert lighter.start_s - shoe.end_s > 0.1  # the sentence break is a pause between the two chunks
    assert (spoken.provider, spoken.model) == (LOCAL_PROVIDER, LOCAL_MODELS[Kind.SPEECH])
    assert spoken.spoken_by == "Piper en_US-joe-medium (offline)"  # not "coral": the voice asked for stands in
    [cost] = spoken.costs
    assert (cost.phase, cost.provider, cost.usd, cost.quantity, cost.unit) == (
        Phase.VOICEOVER,
        LOCAL_PROVIDER,
        0.0,
        len(ENGLISH),
        "characters",
    )


def test_english_words_merged_or_expanded_by_the_phonemizer_keep_their_own_times(tmp_path: Path) -> None:
    """'of the' is one phoneme word and '20%' two, yet each script word gets its own stretch of speech."""
    spoken = LocalSpeechGenerator(Settings(home=tmp_path)).speak(_job(MERGED, "en"), tmp_path / "line.wav")
    said = _checked(spoken, MERGED)
    twenty, less = said[-2], said[-1]
    assert twenty.word == "20" and twenty.end_s - twenty.start_s > less.end_s - less.start_s  # "twenty percent"


@pytest.mark.parametrize("language", sorted(LINES))
def test_other_languages_are_spoken_by_espeak_with_each_word_timed(tmp_path: Path, language: str) -> None:
    spoken = LocalSpeechGenerator(Settings(home=tmp_path)).speak(_job(LINES[language], language), tmp_path / "l.wav")
    _checked(spoken, LINES[language])
    assert spoken.costs[0].quantity == len(LINES[language])
    assert spoken.spoken_by == f"espeak-ng {language} (offline)"


def test_lines_may_be_spoken_from_several_threads(tmp_path: Path) -> None:
    voice = LocalSpeechGenerator(Settings(home=tmp_path))
    jobs = [(ENGLISH, "en"), (LINES["es"], "es"), (MERGED, "en"), (LINES["de"], "de")] * 2
    with ThreadPoolExecutor(4) as pool:
        spoken = list(pool.map(lambda n: voice.speak(_job(*jobs[n]), tmp_path / f"{n}.wav"), range(len(jobs))))
    for (text, _), line in zip(jobs, spoken, strict=True):
        _checked(line, text)


def test_a_language_it_cannot_speak_is_refused_naming_those_it_can(tmp_path: Path) -> None:
    with pytest.raises(InvalidRequest) as refused:
        LocalSpeechGenerator(Settings(home=tmp_path)).speak(_job("Ciao a tutti.", "it"), tmp_path / "line.wav")
    message = str(refused.value)
    assert "'it'" in message and all(name in message for name in ("English", "Spanish", "French", "German"))
    assert not (tmp_path / "line.wav").exists()


def test_words_an_engine_said_as_one_share_its_time_by_length() -> None:
    said = ["Qu'est-ce", "que", "vous"]
    times = share_out(said, [(0.0, 1.2), None, (1.2, 1.6)])
    assert times is not None
    assert [(w.start_s, w.end_s) for w in times] == [(0.0, 0.9), (0.9, 1.2), (1.2, 1.6)]
    first_silent = share_out(["-", "hoy"], [None, (0.2, 0.8)])
    assert first_silent is not None and [w.end_s for w in first_silent] == [0.35, 0.8]  # '-' is 1 of 4 letters
    assert share_out(["-"], [None]) is None


def test_the_voiceover_names_the_offline_reader_and_a_reused_line_keeps_it(tmp_path: Path) -> None:
    """The line keeps the voice asked for (the call's, and a paid run's) and names who read it; made again from the
    call cache, the same, and what the mix versions hash (``placed``) does not hold the reader."""
    settings = Settings(home=tmp_path / "vidgen")
    request = build_request("Create a 5-second Nike ad", settings, video_id="vid-reader")
    spec = LocalPlanner().plan(request).spec
    store, providers = LocalStore(settings.storage_dir), build_providers(settings, request)
    calls = lambda: CallCache(store, Ledger(settings.db_url), spec.user_id, spec.video_id)  # noqa: E731
    said, again = (make_voiceover(spec, store, providers, calls()) for _ in range(2))
    assert said.lines and all(line.reused for line in again.lines)
    for line in [*said.lines, *again.lines]:
        assert line.voice == "Friendly_Person"  # the speech model's default, as asked
        assert line.spoken_by == "Piper en_US-joe-medium (offline)"
    unread = said.model_copy(update={"lines": [s.model_copy(update={"spoken_by": None}) for s in said.lines]})
    assert placed(said) == placed(again) == placed(unread)
