"""Cutdowns: the beats a shorter cut keeps (hypothesis invariants), the music re-edited so it keeps its ending, and
15 s and 6 s cuts of a 30 s offline ad measured on their files: exact lengths, the ending's decay, the kept lines in
their beats, the end card last, and not one provider call."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from PIL import Image

from vidgen_core.adapters.ffmpeg import mix, ops
from vidgen_core.adapters.ffmpeg.envelope import envelope, level_db, rms_db, samples
from vidgen_core.adapters.ffmpeg.measure import file_facts
from vidgen_core.adapters.ffmpeg.splice import splice
from vidgen_core.adapters.local.music import synthesize
from vidgen_core.adapters.local.planner import LocalPlanner
from vidgen_core.adapters.registry import build_providers
from vidgen_core.adapters.storage import LocalStore
from vidgen_core.domain.cutdowns import (
    MAX_SLIP_S,
    MIN_BEAT_S,
    MIN_CTA_S,
    KeptBeat,
    minimum_s,
    music_edit,
    plan_cutdown,
    trim_chunks,
)
from vidgen_core.domain.models import (
    Camera,
    ChunkPlan,
    ChunkSet,
    Energy,
    FrameSource,
    MusicTrack,
    Section,
    SpecBeat,
    Voiceover,
)
from vidgen_core.domain.script import line_window
from vidgen_core.domain.tempo import bar_s
from vidgen_core.persistence.ledger import Ledger
from vidgen_core.pipeline import phases
from vidgen_core.pipeline.calls import CallCache
from vidgen_core.pipeline.cutdowns import cut_down, variant_of
from vidgen_core.pipeline.requests import build_request
from vidgen_core.settings import Settings

LINES = ("", "Nike. Never stop.", "Meet Nike running shoe. Light on your feet, made for every mile.", "Ready?")


def _beat(index: int, section: Section, start: int, seconds: int, energy: Energy, line: str) -> SpecBeat:
    return SpecBeat(
        index=index,
        beat_id=f"b{index}",
        name=f"beat {index}",
        section=section,
        start_s=start,
        duration_s=seconds,
        shot_type="wide",
        camera=Camera.STATIC,
        energy=energy,
        image_prompt="a shoe",
        motion_prompt="it turns",
        line=line,
    )


@st.composite
def timelines(draw: st.DrawFn) -> list[SpecBeat]:
    """A plan's beats as the planners make them: an opening, middles, and a closing beat of at least 5 s."""
    middles = draw(st.lists(st.sampled_from([Section.PRODUCT, Section.DYNAMIC]), min_size=0, max_size=6))
    sections = [Section.OPENING, *middles, Section.CLOSING]
    beats, start = [], 0
    for index, section in enumerate(sections):
        low = 5 if section is Section.CLOSING else 3
        seconds = draw(st.integers(low, 12))
        energy, line = draw(st.sampled_from(list(Energy))), draw(st.sampled_from(LINES))
        beats.append(_beat(index, section, start, seconds, energy, line))
        start += seconds
    return beats


@hypothesis_settings(derandomize=True, database=None, deadline=None)  # the same examples every run; no clock
@given(timelines(), st.data())
def test_a_cutdown_sums_to_its_length_keeps_the_order_and_ends_on_the_call_to_action(
    beats: list[SpecBeat], data: st.DataObject
) -> None:
    total = sum(b.duration_s for b in beats)
    length = data.draw(st.integers(MIN_CTA_S, total - 1))
    cut = plan_cutdown(beats, length)
    assert sum(k.duration_s for k in cut) == length
    for fps in (24, 25, 30):  # whole seconds: exactly length * fps frames at any rate
        assert sum(round(k.end_s * fps) - round(k.start_s * fps) for k in cut) == length * fps
    assert [k.source for k in cut] == sorted({k.source for k in cut})  # the master's order, each beat once
    assert cut[-1].source == len(beats) - 1  # the call to action and its end card last
    assert cut[0].start_s == 0 and all(a.end_s == b.start_s for a, b in pairwise(cut))
    last = len(beats) - 1
    for k in cut:
        assert minimum_s(beats[k.source], k.source == last) <= k.duration_s <= beats[k.source].duration_s
    assert min(k.duration_s for k in cut) >= min(MIN_BEAT_S, min(b.duration_s for b in beats))
    if length >= MIN_CTA_S + 2 * MIN_BEAT_S:  # room for the spine: the hook and a product beat, when there is one
        kept = {k.source for k in cut}
        assert 0 in kept
        assert any(beats[i].section is Section.PRODUCT for i in kept) or not any(
            b.section is Section.PRODUCT for b in beats[1:-1]
        )


def _nike() -> list[SpecBeat]:
    sections = [Section.OPENING, Section.PRODUCT, Section.DYNAMIC, Section.PRODUCT, Section.CLOSING]
    lines = ["Ready for the next step?", LINES[2], "", "Cushioned comfort, stride after stride.", LINES[1]]
    beats, start = [], 0
    for index, (section, seconds, line) in enumerate(zip(sections, (5, 10, 5, 5, 5), lines, strict=True)):
        beats.append(_beat(index, section, start, seconds, Energy.MEDIUM, line))
        start += seconds
    return beats


def test_fifteen_seconds_keep_hook_product_and_cta_and_six_give_the_brand_line_its_time() -> None:
    """The 30 s plan of 5/10/5/5/5 s: 15 s is the hook, the 10 s product reveal and the CTA; 6 s drops the hook and
    gives the closing beat the 4 s its line needs (the end card takes 2 of them)."""
    assert plan_cutdown(_nike(), 15) == [KeptBeat(0, 0, 4), KeptBeat(1, 4, 7), KeptBeat(4, 11, 4)]
    assert plan_cutdown(_nike(), 6) == [KeptBeat(1, 0, 2), KeptBeat(4, 2, 4)]


def test_a_cutdown_too_short_for_its_end_card_or_not_shorter_is_refused() -> None:
    for length in (MIN_CTA_S - 1, 30, 45):
        with pytest.raises(ValueError):
            plan_cutdown(_nike(), length)


@hypothesis_settings(derandomize=True, database=None, deadline=None)  # the same examples every run; no clock
@given(timelines(), st.data())
def test_each_kept_beat_shows_its_own_footage_from_its_start(beats: list[SpecBeat], data: st.DataObject) -> None:
    plans, index = [], 0
    for beat in beats:  # clips of 6 s (the last one of a beat kept for what is left)
        for part, offset in enumerate(range(0, beat.duration_s, 6)):
            use = min(6, beat.duration_s - offset)
            source = FrameSource.STORYBOARD if part == 0 else FrameSource.PREVIOUS_CHUNK
            plans.append(ChunkPlan(index=index, beat_index=beat.index, part=part, clip_s=6, use_s=use, source=source))
            index += 1
    cut = plan_cutdown(beats, data.draw(st.integers(MIN_CTA_S, sum(b.duration_s for b in beats) - 1)))
    trimmed = trim_chunks(plans, cut)
    assert [p.index for _, p in trimmed] == list(range(len(trimmed)))
    for new, kept in enumerate(cut):
        mine = [(pos, p) for pos, p in trimmed if p.beat_index == new]
        assert sum(p.use_s for _, p in mine) == pytest.approx(kept.duration_s)
        assert [plans[pos].beat_index for pos, _ in mine] == [kept.source] * len(mine)
        assert [p.part for _, p in mine] == list(range(len(mine)))  # from the beat's first clip, in order


@hypothesis_settings(derandomize=True, database=None, deadline=None)  # the same examples every run; no clock
@given(
    st.floats(10, 60),
    st.integers(MIN_CTA_S, 20),
    st.sampled_from([70.0, 80.0, 90.0, 100.0, 116.0, 120.0, 128.0, 150.0]),
)
def test_the_music_edit_keeps_the_ending_and_joins_on_the_grid(source: float, length: int, bpm: float) -> None:
    if length >= source:
        return
    edit = music_edit(source, length, bpm)
    bar, beat = bar_s(bpm), bar_s(bpm) / 4
    assert edit.head_s + edit.tail_s + edit.silence_s == pytest.approx(length, abs=1e-6)
    assert 0 <= edit.silence_s <= MAX_SLIP_S + beat / 2
    assert edit.tail_from_s / bar == pytest.approx(round(edit.tail_from_s / bar), abs=1e-6)  # a bar line
    assert edit.head_s / beat == pytest.approx(round(edit.head_s / beat), abs=1e-6)  # a beat of the opening
    assert edit.crossfade_s <= min(edit.head_s, edit.tail_from_s)
    if not edit.faded:
        assert edit.tail_from_s + edit.tail_s == pytest.approx(source)  # the real ending, to its last sample


def test_the_spliced_track_is_exact_and_ends_on_the_tracks_own_ending(tmp_path: Path, settings: Settings) -> None:
    rate, bpm = settings.audio_rate_hz, 120.0
    track = synthesize("energetic", 30.0, 7, tmp_path / "music.wav", settings, bpm)
    edit = music_edit(30.0, 6, bpm)
    out = splice(track, edit, tmp_path / "cut.wav", rate)
    source, made = mix.read(track, rate), mix.read(out, rate)
    assert len(made) == 6 * rate
    tail = round(edit.tail_s * rate)
    np.testing.assert_allclose(made[-tail:], source[-tail:], atol=1e-4)  # the original ending, sample for sample
    head = round((edit.head_s - edit.crossfade_s) * rate)
    np.testing.assert_allclose(made[:head], source[:head], atol=1e-4)
    level = rms_db(mix.mono(made), rate, 0.5)
    assert level[-1] < level[len(level) // 2] - 20
    step, join = np.abs(np.diff(mix.mono(made))), round(edit.head_s * rate)
    assert step[join - rate // 100 : join + rate // 100].max() <= np.percentile(step, 99.9)  # no click at the join


# --- a 30 s offline ad, cut to 15 and 6 s ---------------------------------------------------------------------


class Master:
    def __init__(self, home: Path) -> None:
        self.settings = Settings(home=home)
        self.request = build_request(
            "Create a 30-second Nike running shoe ad", self.settings, video_id="vid-cutdowns", resolution="720p"
        )
        self.store = LocalStore(self.settings.storage_dir)
        providers = build_providers(self.settings, self.request)
        self.ledger = Ledger(self.settings.db_url)
        calls = CallCache(self.store, self.ledger, self.request.user_id, self.request.video_id)
        self.spec, _ = phases.make_plan(self.request, providers, calls)
        made = {type(r.manifest): r.manifest for r in phases.make_media(self.spec, self.store, providers, calls)}
        self.chunks, self.music, self.voiceover = made[ChunkSet], made[MusicTrack], made[Voiceover]
        stitched = phases.stitch_video(self.spec, self.chunks, self.store, self.settings)
        self.final = phases.finalize_video(self.spec, stitched, self.music, self.voiceover, self.store, self.settings)
        self.rows = len(self.ledger.rows(self.spec.video_id))
        self.cuts = {
            length: cut_down(self.spec, self.chunks, self.music, self.voiceover, length, self.store, self.settings)
            for length in (15, 6)
        }

    def path(self, key: str) -> Path:
        return self.store.local_path(key)


@pytest.fixture(scope="module")
def master(tmp_path_factory: pytest.TempPathFactory) -> Master:
    return Master(tmp_path_factory.mktemp("cutdowns") / "vidgen")


def _frame(video: Path, out: Path) -> np.ndarray:
    with Image.open(ops.last_frame(video, out)) as img:
        return np.asarray(img.convert("RGB"), dtype=np.float64)


@pytest.mark.slow
@pytest.mark.parametrize("length", [15, 6])
def test_a_cutdown_is_exact_ends_on_the_music_and_end_card_and_pays_nothing(
    master: Master, length: int, tmp_path: Path
) -> None:
    spec, final = master.cuts[length]
    path = master.path(final.key)
    assert final.key == f"{spec.user_id}/videos/{spec.video_id}/deliverables/16x9-{length}s/final.mp4"
    facts = file_facts(path)
    assert facts.duration_s == pytest.approx(length, abs=1e-3)
    assert facts.video_frames == length * 25 and facts.fps == 25
    sound = samples(path, 48_000)
    assert len(sound) / 48_000 == pytest.approx(length, abs=0.025)  # the audio as long, within an AAC frame
    # the music ends on its ending: the last half second rings out far below the middle, falling to the end
    level = rms_db(sound, 48_000, 0.25)
    middle = level_db(rms_db(sound, 48_000, 0.5), length / 2 - 1, length / 2 + 1, 0.5)
    assert level_db(rms_db(sound, 48_000, 0.5), length - 0.5, length, 0.5) < middle - 20
    assert level[-1] < level[-2] < level[-4]
    # the end card is the last frames, as in the master
    card, master_card = _frame(path, tmp_path / "cut.png"), _frame(master.path(master.final.key), tmp_path / "m.png")
    assert np.abs(card - master_card).mean() < 2.0
    assert final.loudness_lufs == pytest.approx(-14.0, abs=1.0) and final.true_peak_dbtp <= -1.0
    assert len(master.ledger.rows(spec.video_id)) == master.rows  # no provider call, paid or free


@pytest.mark.slow
@pytest.mark.parametrize("length", [15, 6])
def test_the_kept_lines_are_spoken_inside_their_beats(master: Master, length: int) -> None:
    spec, final = master.cuts[length]
    spoken = [b for b in spec.beats if b.line]
    assert final.voice_key is not None and spoken
    voice = envelope(master.path(final.voice_key))
    loud = np.flatnonzero(voice > -45) * 0.02  # the 20 ms windows with speech in them
    windows = [line_window(spec, b) for b in spoken]
    assert all(any(start - 0.02 <= t <= end + 0.02 for start, end in windows) for t in loud)
    for start, end in windows:
        assert any(start <= t <= end for t in loud)
    dropped = [note for note in spec.plan_notes if "is dropped" in note]
    if length == 15:  # every kept beat keeps its line
        assert not dropped and [b.line for b in spec.beats] == [master.spec.beats[i].line for i in (0, 1, 4)]
    else:  # the 2 s product beat has no room for its line; the call to action's beat was given room for its own
        assert len(dropped) == 1 and [b.line for b in spec.beats] == ["", master.spec.beats[-1].line]
    assert spec.duration_s == length and spec.variant == f"16x9-{length}s"


def test_a_cutdown_of_another_aspect_is_kept_beside_it(settings: Settings) -> None:
    spec = LocalPlanner().plan(build_request("Create a 15-second Nike ad", settings)).spec
    assert variant_of(spec, 6) == f"{spec.aspect_ratio.replace(':', 'x')}-6s"
    assert variant_of(spec.model_copy(update={"aspect_ratio": "9:16", "variant": "9x16"}), 6) == "9x16-6s"


@pytest.mark.slow
def test_a_model_with_its_own_sound_is_cut_with_that_sound(tmp_path: Path, settings: Settings) -> None:
    """Veo brings its own audio (no music track): the cutdown's sound is its clips' own, cut with them."""
    request = build_request(
        "Create a 15-second Nike ad", settings, video_id="vid-veo-cut", model="veo-3-fast", voice="none"
    )
    store, providers = LocalStore(settings.storage_dir), build_providers(settings, request)
    ledger = Ledger(settings.db_url)
    calls = CallCache(store, ledger, request.user_id, request.video_id)
    spec, _ = phases.make_plan(request, providers, calls)
    made = {type(r.manifest): r.manifest for r in phases.make_media(spec, store, providers, calls)}
    assert made[MusicTrack].skipped
    rows = len(ledger.rows(spec.video_id))
    cut, final = cut_down(spec, made[ChunkSet], made[MusicTrack], made[Voiceover], 6, store, settings)
    facts = file_facts(store.local_path(final.key))
    assert facts.duration_s == pytest.approx(6.0, abs=1e-3) and facts.video_frames == 6 * 24
    assert level_db(envelope(store.local_path(final.key)), 1.0, 4.0) > -40  # the clips' own sound, not silence
    assert not store.exists(phases.keys_for(cut).music()) and len(ledger.rows(spec.video_id)) == rows
