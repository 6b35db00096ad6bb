"""A French ad offline, phase by phase (no render): its plan's lines spoken by espeak-ng and placed in their beats,
the voice stem speaking where the lines are and nowhere else, and captions that ffmpeg reads back with the French
words, accents included, in the order they were said."""

from __future__ import annotations

import re
from pathlib import Path

import ffmpeg
import pytest

from vidgen_core.adapters.ffmpeg import mix
from vidgen_core.adapters.ffmpeg.probe import probe
from vidgen_core.adapters.ffmpeg.tools import ffmpeg_exe
from vidgen_core.adapters.local.planner import LocalPlanner
from vidgen_core.adapters.registry import build_providers
from vidgen_core.adapters.render.subtitles import write_captions
from vidgen_core.adapters.storage import LocalStore
from vidgen_core.domain.captions import cues
from vidgen_core.domain.checks import SPEECH_COVERAGE
from vidgen_core.domain.script import words
from vidgen_core.persistence.ledger import Ledger
from vidgen_core.pipeline import verify
from vidgen_core.pipeline.calls import CallCache
from vidgen_core.pipeline.requests import build_request
from vidgen_core.pipeline.verify_mix import speech_where_lines
from vidgen_core.pipeline.voiceover import make_voiceover
from vidgen_core.settings import Settings

SIZE = (1280, 720)  # the 720p master's frame


def test_a_french_ad_is_spoken_where_its_lines_are_and_captioned_in_french(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "vidgen", openai_api_key=None, replicate_api_token=None)
    request = build_request("Make a 15-second ad for Nike running shoes", settings, language="fr", resolution="720p")
    spec = LocalPlanner().plan(request).spec
    store = LocalStore(settings.storage_dir)
    calls = CallCache(store, Ledger(settings.db_url), spec.user_id, spec.video_id)
    said = make_voiceover(spec, store, build_providers(settings, request), calls)

    lines = [b.line for b in spec.beats if b.line]
    assert said.language == "fr" and [s.text for s in said.lines] == lines and len(lines) >= 2
    assert any(re.search(r"[àâçéèêëîïôûùüÿœ]", line) for line in lines)  # French, not English copy
    assert [[w.word for w in s.words] for s in said.lines] == [words(line) for line in lines]
    assert all(o.passed for o in verify.voiceover_checks(spec, said, store)), verify.voiceover_checks(spec, said, store)

    paths = [store.local_path(s.key) for s in said.lines]
    stem = mix.voice_track(said, paths, spec.duration_s, tmp_path / "voice.wav", settings)
    assert probe(stem).duration_s == pytest.approx(spec.duration_s, abs=1e-3)
    heard = speech_where_lines(said.lines, stem)
    assert heard.passed, heard.description
    assert heard.metadata["coverage"] >= SPEECH_COVERAGE and heard.metadata["stray_speech_s"] == 0

    files = write_captions(spec, said, SIZE, tmp_path)
    made = cues(spec, said, SIZE)
    out = tmp_path / "srt.ass"  # ffmpeg's own reading of the SRT, as dialogue events
    ffmpeg.input(str(files["srt"])).output(str(out)).overwrite_output().run(cmd=ffmpeg_exe(), quiet=True)
    events = [e for e in out.read_text(encoding="utf-8").splitlines() if e.startswith("Dialogue:")]
    shown = [re.sub(r"\{[^}]*\}", "", e.split(",", 9)[9]).replace("\\N", " ") for e in events]
    assert shown == [cue.text.replace("\n", " ") for cue in made]
    assert words(" ".join(shown)) == words(" ".join(lines))  # every word said, in order, accents kept
    assert "Découvrez" in words(" ".join(shown))
