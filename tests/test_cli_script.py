"""The script at the CLI: `vidgen generate/estimate --voice --speech-model --captions --caption-style --language`,
`vidgen regenerate VIDEO --beat N --line "..." [--voice V]` (a take of the beat's line, paying one line's speech),
and `vidgen show` printing each beat's line, on-screen copy, voice and line take."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support import delivered_by_hand, vidgen_in_process
from tests.test_cli import _one_line_error, home  # noqa: F401 (the fixture)
from vidgen_core.adapters.ffmpeg.probe import probe
from vidgen_core.adapters.local.voice import spoken_by
from vidgen_core.adapters.storage import LocalStore, VideoKeys
from vidgen_core.domain.catalog import SPEECH_MODELS
from vidgen_core.domain.models import Phase, SpokenLine, VideoSpec, Voiceover
from vidgen_core.persistence.ledger import CallState, Ledger
from vidgen_core.persistence.requests import RequestDB
from vidgen_core.persistence.takes import LineTakeDB
from vidgen_core.pipeline.takes import new_line_take
from vidgen_core.settings import Settings


@pytest.mark.parametrize(
    ("flags", "fragment"),
    [
        (["--voice", "marin", "--speech-model", "tts-1"], "tts-1 has no voice 'marin'; choose one of: alloy, ash"),
        (["--speech-model", "eleven-v3"], "unknown speech model 'eleven-v3'"),
        (["--language", "it"], "unknown script language 'it'; choose one of: en (English), es (Spanish)"),
        (["--captions", "subtitles"], "unknown captions 'subtitles'; choose one of: burned, sidecar, off"),
        (["--caption-style", "glow"], "unknown caption_style 'glow'; choose one of: highlight, box, outline"),
    ],
)
@pytest.mark.parametrize("command", ["generate", "estimate"])
def test_a_bad_voice_caption_or_language_flag_is_one_line_and_stores_nothing(
    home: Path,  # noqa: F811
    command: str,
    flags: list[str],
    fragment: str,
) -> None:
    _one_line_error(vidgen_in_process([command, "Create a 5-second Nike ad", *flags]), 2, fragment)
    assert not home.exists()


def test_a_language_the_speech_model_does_not_speak_is_refused(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    english_only = SPEECH_MODELS["tts-1"].model_copy(update={"languages": ("en",)})
    monkeypatch.setitem(SPEECH_MODELS, "tts-1", english_only)
    ask = ["estimate", "Create a 5-second Nike ad", "--speech-model", "tts-1"]
    said = "tts-1 does not speak de; choose another speech model or language, or the voice none"
    _one_line_error(vidgen_in_process([*ask, "--language", "de"]), 2, said)
    assert vidgen_in_process([*ask, "--language", "de", "--voice", "none"]).code == 0  # nobody speaks it


def test_an_estimate_prices_the_voiceover_by_its_speech_model(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.delenv("REPLICATE_API_TOKEN", raising=False)
    ask = ["estimate", "Create a 30-second Nike ad", "--media", "replicate", "--json"]

    def voiceover(*flags: str) -> float:
        found = vidgen_in_process([*ask, *flags])
        assert found.code == 0, found
        return json.loads(found.stdout)["by_phase"]["voiceover"]

    standard, hd = voiceover("--speech-model", "tts-1"), voiceover("--speech-model", "tts-1-hd", "--voice", "onyx")
    assert standard > 0 and hd == pytest.approx(2 * standard)  # $30 against $15 a million characters
    assert voiceover("--voice", "none") == 0.0  # no voiceover, nothing to say
    text = vidgen_in_process(ask[:-1]).stdout.splitlines()
    assert text[1].endswith(f"voiceover ${voiceover():.4f}")


@pytest.mark.parametrize(
    "flags",
    [
        ["--take", "1", "--line", "Go."],
        ["--line-take", "1", "--voice", "Deep_Voice_Man"],
        ["--take", "1", "--line-take", "1"],
    ],
)
def test_going_back_to_a_take_alone(home: Path, flags: list[str]) -> None:  # noqa: F811
    said = "give a take (--take or --line-take) alone, or what the new take should have"
    _one_line_error(vidgen_in_process(["regenerate", "vid-0123456789ab", "--beat", "1", *flags]), 2, said)


def test_show_prints_each_beats_line_on_screen_copy_voice_and_line_take(home: Path) -> None:  # noqa: F811
    settings = Settings()
    video = delivered_by_hand(settings, "ana")
    keys, store = VideoKeys("ana", video), LocalStore(settings.storage_dir)
    spec = VideoSpec.model_validate_json(store.get_bytes(keys.spec()))
    edits = {0: {"line": ""}, 1: {"on_screen": "JUST DO IT"}}  # beat 0 left to the music
    beats = [b.model_copy(update=edits.get(b.index, {})) for b in spec.beats]
    store.put_bytes(keys.spec(), spec.model_copy(update={"beats": beats}).model_dump_json().encode())
    lines = LineTakeDB(settings.db_url)
    new_line_take(lines, video, 1, "Built for the rain.")
    new_line_take(lines, video, 1, voice="Deep_Voice_Man")
    shown = vidgen_in_process(["show", video]).stdout.splitlines()
    at = next(i for i, line in enumerate(shown) if line.startswith("  beat  1 "))
    assert shown[at + 1].strip() == 'line: "Built for the rain." (voice Deep_Voice_Man, line take 2 of 0,1,2)'
    # once spoken offline, who read it too: for the current take only (take 1 was read in the model's default voice)
    offline = spoken_by("en")
    timed = {"model": "m", "key": "k", "start_s": 0, "end_s": 1, "speech_s": 1, "spoken_by": offline}
    for take, voice in ((1, "Friendly_Person"), (2, "Deep_Voice_Man")):
        said = SpokenLine(beat_index=1, take=take, text="Built for the rain.", voice=voice, **timed)
        store.put_bytes(keys.manifest(Phase.VOICEOVER), Voiceover(lines=[said]).model_dump_json().encode())
        shown = vidgen_in_process(["show", video]).stdout.splitlines()
        read = f", read by {offline}" if take == 2 else ""
        assert (
            shown[at + 1].strip() == f'line: "Built for the rain." (voice Deep_Voice_Man{read}, line take 2 of 0,1,2)'
        )
    assert offline == "Piper en_US-joe-medium (offline)"
    beat = json.loads(vidgen_in_process(["show", video, "--json"]).stdout)["beats"][1]
    assert {k: beat[k] for k in ("line", "on_screen", "voice", "spoken_by", "line_take", "line_takes", "take")} == {
        "line": "Built for the rain.",
        "on_screen": "JUST DO IT",
        "voice": "Deep_Voice_Man",
        "spoken_by": offline,
        "line_take": 2,
        "line_takes": [0, 1, 2],
        "take": 0,
    }
    other = json.loads(vidgen_in_process(["show", video, "--json"]).stdout)["beats"][0]
    assert (other["line"], other["voice"], other["line_take"]) == (
        "",
        "Friendly_Person",
        0,
    )  # the model's default voice


@pytest.mark.slow  # renders a whole video, then makes it again
def test_a_new_line_pays_one_speech_call_and_reuses_the_pictures_and_music(home: Path) -> None:  # noqa: F811
    made = vidgen_in_process(["generate", "Create a 5-second Nike ad", "--json"])
    assert made.code == 0, made
    video = json.loads(made.stdout)["video_id"]
    settings = Settings()
    ledger = Ledger(settings.db_url)
    before = {row.id for row in ledger.rows(video)}
    keys, store = VideoKeys(RequestDB(settings.db_url).request(video).user_id, video), LocalStore(settings.storage_dir)
    cut = store.local_path(keys.stitched()).stat()
    done = vidgen_in_process(["regenerate", video, "--beat", "0", "--line", "Just do it.", "--json"])
    assert done.code == 0, done
    out = json.loads(done.stdout)
    assert (out["status"], out["beat"], out["take"], out["line_take"]) == ("complete", 0, 0, 1)
    new = [row for row in ledger.rows(video) if row.id not in before]
    paid = [(row.phase, row.beat_index, row.take, row.provider) for row in new if row.state == CallState.PAID]
    assert paid == [(Phase.VOICEOVER, 0, 1, "local")]  # one line's speech, nothing else
    reused = {row.phase for row in new if row.state == CallState.REUSED}
    assert {Phase.STORYBOARD, Phase.VIDEO_CHUNKS, Phase.MUSIC} <= reused  # the pictures and music from the cache
    kept = store.local_path(keys.stitched()).stat()
    assert (kept.st_ino, kept.st_mtime_ns) == (cut.st_ino, cut.st_mtime_ns)  # the picture is not cut again
    assert out["phases"]["final_video"]["wall_time_s"] > 0  # the mix and captions are
    assert not list(store.local_path(keys.final()).parent.rglob(".*"))  # no write left a temp file behind
    said = Voiceover.model_validate_json(store.get_bytes(keys.manifest(Phase.VOICEOVER)))
    (line,) = said.lines
    assert (line.beat_index, line.take, line.text, line.voice) == (0, 1, "Just do it.", "Friendly_Person")
    spoken = probe(store.local_path(keys.voice_line(0)))
    assert spoken.has_audio and 0.3 < spoken.duration_s < 2.5  # three words, inside the beat's 2.5 s window
    assert line.start_s >= 0.5 and line.end_s <= 3.0
