"""Captions: the cue rules (hypothesis), the SRT and WebVTT files as ffmpeg reads them, and captions burned into real
1080p masters (16:9 moving, 9:16 still), differenced with the clean picture: inside the safe zone, out of the title
band, off the end card, the highlight moving word by word, the sound copied and the frames kept."""

from __future__ import annotations

import itertools
import re
import subprocess
from pathlib import Path

import ffmpeg
import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from vidgen_core.adapters.ffmpeg.burn import burn
from vidgen_core.adapters.ffmpeg.cut import BT709, master_args
from vidgen_core.adapters.ffmpeg.measure import file_facts, frames_at
from vidgen_core.adapters.ffmpeg.tools import ffmpeg_exe
from vidgen_core.adapters.local.image import texts
from vidgen_core.adapters.render.subtitles import highlight_colour, write_captions
from vidgen_core.domain.captions import (
    CAPTION_SIZE,
    MIN_CUE_S,
    TITLED,
    caption_zone,
    cues,
    flashes,
    headlines,
    line_limit,
    opened_at,
    spoken_words,
)
from vidgen_core.domain.catalog import Resolution, master_size
from vidgen_core.domain.editing import END_CARD_S
from vidgen_core.domain.models import (
    Camera,
    Captions,
    CaptionStyle,
    Delivery,
    Energy,
    Narration,
    Section,
    SpecBeat,
    SpokenLine,
    VideoSpec,
    Voiceover,
    WordTime,
)
from vidgen_core.domain.safe_zones import safe_zone
from vidgen_core.domain.script import (
    CAPTION_CHARS_PER_LINE,
    CAPTION_LINES,
    WORDS_PER_SECOND,
    fit_line,
    line_window,
    word_budget,
    words,
)
from vidgen_core.pipeline.verify_captions import bounds, captions_in_safe_zone, changed
from vidgen_core.settings import Settings

FPS = 25
LINES = [
    "Meet the Acme Trail: grip that holds on every rock, root and ridge.",
    "Light enough to forget, tough enough to trust — mile after mile, déjà vu.",
    "Available now.",
]
HEADLINES = ["Meet Acme", "Built for the long run", "Shop now"]


def _spec(
    seconds: list[int],
    aspect: str = "16:9",
    lines: list[str] = LINES,
    heads: list[str] = HEADLINES,
    sections: list[Section] | None = None,
    narration: Narration | None = None,
) -> VideoSpec:
    sections = sections or [Section.OPENING, *[Section.PRODUCT] * (len(seconds) - 2), Section.CLOSING][-len(seconds) :]
    beats, start = [], 0
    for i, length in enumerate(seconds):
        beats.append(
            SpecBeat(
                index=i,
                beat_id=f"b{i}",
                name=f"beat {i}",
                section=sections[i],
                start_s=start,
                duration_s=length,
                shot_type="medium",
                camera=Camera.STATIC,
                energy=Energy.MEDIUM,
                image_prompt="",
                motion_prompt="",
                line=lines[i % len(lines)] if lines else "",
                on_screen=heads[i % len(heads)] if heads else "",
            )
        )
        start += length
    return VideoSpec(
        video_id="vid-captions",
        user_id="u",
        prompt="Create an ad for Acme trail shoes",
        title="Acme Trail",
        brand="Acme",
        product="trail shoes",
        category="sports",
        style="cinematic",
        music_mood="calm",
        archetype="",
        duration_s=start,
        aspect_ratio=aspect,
        video_model="hailuo-02-fast",
        image_model="flux-dev",
        music_model="musicgen",
        seed=1,
        beats=beats,
        call_to_action="Shop now",
        delivery=Delivery(resolution=Resolution.P1080),
        narration=narration or Narration(),
    )


def _voiceover(spec: VideoSpec, rate: float = WORDS_PER_SECOND) -> Voiceover:
    """Each beat's line spoken at ``rate`` words a second from its window's start (squeezed into the window), each
    word taking 85 % of its slot, as the voiceover phase places them."""
    lines = []
    for beat in spec.beats:
        said = words(beat.line)
        start, end = line_window(spec, beat)
        if not said or end - start < 0.5:
            continue
        step = min(1 / rate, (end - start) / len(said))
        timed = [
            WordTime(word=w, start_s=round(start + i * step, 3), end_s=round(start + (i + 0.85) * step, 3))
            for i, w in enumerate(said)
        ]
        lines.append(
            SpokenLine(
                beat_index=beat.index,
                text=beat.line,
                voice="v",
                model="m",
                key=f"line_{beat.index}.wav",
                start_s=start,
                end_s=timed[-1].end_s,
                speech_s=timed[-1].end_s - start,
                words=timed,
            )
        )
    return Voiceover(lines=lines, language=spec.language)


# --- the cue rules ------------------------------------------------------------------------------------------------

VOCABULARY = ["Fast,", "light", "and", "made", "for", "every", "run.", "Acme", "Trail", "the", "—", "Découvrez",
              "unbelievably-comfortable", "you", "love!", "für", "a", "rock;", "state-of-the-art"]  # fmt: skip
SIZES = [master_size(aspect, Resolution.P1080) for aspect in ("16:9", "9:16", "1:1", "4:5")]


@hsettings(max_examples=150, deadline=None)
@given(
    seconds=st.lists(st.integers(2, 9), min_size=2, max_size=5),
    said=st.lists(st.lists(st.sampled_from(VOCABULARY), max_size=24), min_size=5, max_size=5),
    size=st.sampled_from(SIZES),
    rate=st.floats(1.5, 4.0),
)
def test_cues_stay_in_their_window_fit_the_frame_and_keep_every_word_in_order(
    seconds: list[int], said: list[list[str]], size: tuple[int, int], rate: float
) -> None:
    spec = _spec(seconds, lines=[" ".join(line) for line in said], heads=[])
    voiceover = _voiceover(spec, rate)
    made = cues(spec, voiceover, size)
    limit = line_limit(spec, *size)
    for cue, following in itertools.pairwise(made):
        assert cue.end_s <= following.start_s + 1e-9, "cues overlap"
    for said_line in voiceover.lines:
        beat = spec.beats[said_line.beat_index]
        low, high = line_window(spec, beat)
        mine = [cue for cue in made if cue.beat_index == beat.index]
        assert [w.text for cue in mine for w in cue.words] == [w.text for w in spoken_words(said_line)]
        for k, cue in enumerate(mine):
            assert low - 1e-9 <= cue.start_s < cue.end_s <= high + 1e-9
            assert beat.start_s <= cue.start_s and cue.end_s <= beat.end_s
            assert cue.end_s <= spec.duration_s - END_CARD_S + 1e-9
            assert 1 <= len(cue.lines) <= CAPTION_LINES
            for line in cue.lines:
                width = sum(len(w.text) for w in line) + len(line) - 1
                assert width <= limit or len(line) == 1, f"{width} > {limit}: {line}"
            starts = [w.start_s for w in cue.words]
            assert starts == sorted(starts)
            assert all(cue.start_s <= w.start_s <= w.end_s <= cue.end_s for w in cue.words)
            after = mine[k + 1].start_s if k + 1 < len(mine) else high
            # up long enough to read, unless the next cue or the window's end comes first
            assert cue.end_s - cue.start_s >= MIN_CUE_S - 1e-3 or cue.end_s >= after - 1e-3


SENTENCES = ["Fast.", "Light", "and", "made", "for", "every", "run.", "Go!", "Toujours", "en", "mouvement.", "la",
             "chaussure", "de", "trail,", "Acme", "Trail", "the", "state-of-the-art", "love?", '"Yes."']  # fmt: skip


@hsettings(max_examples=100, deadline=None)
@given(
    seconds=st.lists(st.integers(2, 9), min_size=2, max_size=5),
    said=st.lists(st.lists(st.sampled_from(SENTENCES), max_size=24), min_size=5, max_size=5),
    size=st.sampled_from(SIZES),
    rate=st.floats(1.5, 4.0),
    language=st.sampled_from(["en", "fr"]),
)
def test_a_sentence_begun_in_a_cue_or_a_line_ends_there_unless_the_cue_before_it_would_flash(
    seconds: list[int], said: list[list[str]], size: tuple[int, int], rate: float, language: str
) -> None:
    """No line ends with the first words of a sentence begun on it after another's end ("shoe. Toujours" over "en
    mouvement."): the break goes at that end. No cue but its line's last does either, unless the cue closed at that
    end would be up less than MIN_CUE_S (from its first word's start to the next sentence's first word's)."""
    spec = _spec(seconds, lines=[" ".join(line) for line in said], heads=[]).model_copy(update={"language": language})
    voiceover = _voiceover(spec, rate)
    made = cues(spec, voiceover, size)
    for said_line in voiceover.lines:
        timed, at = spoken_words(said_line), 0
        mine = [cue for cue in made if cue.beat_index == said_line.beat_index]
        for k, cue in enumerate(mine):
            for line in cue.lines[:-1]:
                assert opened_at(line) is None, cue.text
            own = timed[at : at + len(cue.words)]  # as spoken: the cue holds its words' times inside its own
            at += len(own)
            opened = opened_at(own)
            if k + 1 < len(mine) and opened is not None:
                assert flashes(own, opened), cue.text


def test_a_new_sentence_starts_a_new_cue_and_keeps_its_preposition() -> None:
    """The French run's split ("… légère. Toujours" / "en mouvement."): the sentence starts the next cue whole, and
    "en" stays with its noun."""
    lines = ["Acme Trail, la chaussure de trail la plus légère. Toujours en mouvement.",
             "Découvrez Acme Trail, la chaussure. Toujours en mouvement."]  # fmt: skip
    spec = _spec([6, 6, 6], lines=lines, heads=[]).model_copy(update={"language": "fr"})
    tall = [[cue.text for cue in cues(spec, _voiceover(spec), (1080, 1920)) if cue.beat_index == i] for i in (0, 1)]
    assert tall[0] == ["Acme Trail,\nla chaussure", "de trail\nla plus légère.", "Toujours\nen mouvement."]
    assert tall[1] == ["Découvrez\nAcme Trail,", "la chaussure.", "Toujours\nen mouvement."]
    wide = [cue.text for cue in cues(spec, _voiceover(spec), (1920, 1080)) if cue.beat_index == 0]
    assert wide == ["Acme Trail, la chaussure\nde trail la plus légère.", "Toujours en mouvement."]


def test_a_vertical_frame_holds_fewer_characters_a_line_and_the_size_follows_the_height() -> None:
    spec = _spec([4])  # for no platform: the frame's shape decides
    wide, tall = line_limit(spec, 1920, 1080), line_limit(spec, 1080, 1920)
    assert wide == CAPTION_CHARS_PER_LINE
    zone = safe_zone(1080, 1920)
    assert tall < wide and tall * 0.52 * CAPTION_SIZE * 1920 <= (zone.x1 - zone.x0) * 1080  # 16 in 778 px at 86 px
    assert line_limit(spec, 1280, 720) == line_limit(spec, 3840, 2160) == wide  # shares: the same at any resolution


def test_breaks_fall_at_clauses_never_after_an_article_nor_inside_a_name() -> None:
    spec = _spec([5, 5, 4])
    made = cues(spec, _voiceover(spec), (1080, 1920))
    shown = [[w.text for w in line] for cue in made for line in cue.lines]
    assert all(line[-1].lower() not in {"the", "a", "every"} for line in shown), shown
    assert any(line[-2:] == ["Acme", "Trail:"] for line in shown), shown
    wide = cues(spec, _voiceover(spec), (1920, 1080))
    assert wide[0].text == "Meet the Acme Trail: grip that holds\non every rock, root and ridge."
    assert wide[1].lines[1][0].text == "to"  # 66 characters: broken before the preposition, not inside "tough enough"


def test_headlines_sit_in_their_window_and_never_where_the_storyboard_draws_the_title() -> None:
    spec = _spec([4, 4, 4, 4], heads=["Meet Acme", "Grip on every rock, root and ridge you will ever run", "", "Now"])
    made = headlines(spec, (1080, 1920))
    assert [h.beat_index for h in made] == [1]  # 0 and 3 carry the name (opening, closing); 2 has none
    head = made[0]
    assert (head.start_s, head.end_s) == line_window(spec, spec.beats[1])
    assert len(head.lines) == 2 and head.scale < 1  # too long for two lines at full size on a vertical frame
    assert " ".join(head.lines) == spec.beats[1].on_screen


def test_the_titled_sections_are_those_whose_storyboard_frames_draw_the_name() -> None:
    spec = _spec([3] * len(Section), sections=list(Section))
    for beat in spec.beats:
        assert bool(texts(spec, beat)) == (beat.section in TITLED), beat.section


# --- the files ----------------------------------------------------------------------------------------------------


def _converted(source: Path, tmp: Path) -> list[str]:
    """ffmpeg's reading of a caption file, converted to ASS: its dialogue lines."""
    out = tmp / f"{source.suffix[1:]}.ass"
    ffmpeg.input(str(source)).output(str(out)).overwrite_output().run(cmd=ffmpeg_exe(), quiet=True)
    return [line for line in out.read_text(encoding="utf-8").splitlines() if line.startswith("Dialogue:")]


def _centiseconds(clock: str) -> int:
    h, m, s = clock.split(":")
    return round((int(h) * 3600 + int(m) * 60 + float(s)) * 100)


def test_srt_and_webvtt_parse_with_ffmpeg_with_every_cue_its_times_and_words(tmp_path: Path) -> None:
    spec = _spec([5, 6, 4])
    voiceover = _voiceover(spec)
    files = write_captions(spec, voiceover, (1920, 1080), tmp_path)
    made = cues(spec, voiceover, (1920, 1080))
    assert set(files) == {"srt", "vtt", "ass"}
    srt = files["srt"].read_text(encoding="utf-8")
    assert re.findall(r"^(\d+)$", srt, re.M) == [str(n) for n in range(1, len(made) + 1)]
    assert re.search(r"^00:00:00,500 --> 00:00:0\d,\d{3}$", srt, re.M)
    assert files["vtt"].read_text(encoding="utf-8").startswith("WEBVTT\n\n")
    for kind in ("srt", "vtt"):
        events = _converted(files[kind], tmp_path)
        assert len(events) == len(made)
        for event, cue in zip(events, made, strict=True):
            _, start, end, *_ = event.split(",", 9)
            assert abs(_centiseconds(start) - cue.start_s * 100) <= 1 and abs(_centiseconds(end) - cue.end_s * 100) <= 1
            shown = re.sub(r"\{[^}]*\}", "", event.split(",", 9)[9]).replace("\\N", "\n")
            assert shown == cue.text  # UTF-8 read back whole: the dash and "déjà vu"
    # WebVTT carries each word's start: ffmpeg turns them into karaoke lengths that add up to the words' times
    events = _converted(files["vtt"], tmp_path)
    lengths = [int(k) for k in re.findall(r"\\kf(\d+)", events[0])]
    starts = [w.start_s for w in made[0].words]
    assert len(lengths) == len(starts)
    assert [sum(lengths[:k]) for k in range(1, len(starts))] == pytest.approx(
        [(s - made[0].start_s) * 100 for s in starts[1:]], abs=1.01
    )


def test_captions_off_write_nothing_and_no_voice_writes_only_the_headlines(tmp_path: Path) -> None:
    off = _spec([5, 5, 5], narration=Narration(captions=Captions.OFF))
    assert write_captions(off, _voiceover(off), (1920, 1080), tmp_path / "off") == {}
    (tmp_path / "mute").mkdir()
    mute = _spec([5, 5, 5], narration=Narration(voice="none"))
    files = write_captions(mute, Voiceover(skipped=True, reason="no voice"), (1920, 1080), tmp_path / "mute")
    assert set(files) == {"ass"}
    events = [line for line in files["ass"].read_text().splitlines() if line.startswith("Dialogue:")]
    assert len(events) == 1 and ",Headline,," in events[0] and events[0].endswith("Built for the long run")


# --- burned -------------------------------------------------------------------------------------------------------

SECONDS = [3, 4, 3]  # 10 s: an opening, a product beat with a headline, a closing whose line ends at the end card


def _master(out: Path, size: tuple[int, int], still: bool, tone: bool) -> Path:
    """A 1080p master as the cut encodes it (CBR, bt709): testsrc2 moving (or held on its first frame), with a sine
    as AAC if ``tone``."""
    source = ffmpeg.input(f"testsrc2=s={size[0]}x{size[1]}:r={FPS}", f="lavfi").video
    if still:
        source = source.filter("trim", end_frame=1).filter("loop", loop=-1, size=1).filter("setpts", f"N/{FPS}/TB")
    picture = source.filter("trim", end_frame=sum(SECONDS) * FPS).filter("setparams", **BT709)
    streams, extra = [picture], {}
    if tone:
        streams.append(ffmpeg.input("sine=f=440:r=48000", f="lavfi").audio.filter("atrim", duration=sum(SECONDS)))
        extra = {"acodec": "aac", "ar": 48000, "ac": 2}
    encoder = master_args(Settings(), Resolution.P1080, FPS)
    ffmpeg.output(*streams, str(out), **encoder, **extra).overwrite_output().run(cmd=ffmpeg_exe(), quiet=True)
    return out


def _burned(aspect: str, style: CaptionStyle, tmp: Path) -> tuple:
    spec = _spec(SECONDS, aspect=aspect, narration=Narration(caption_style=style))
    fitted = [b.model_copy(update={"line": fit_line(b.line, word_budget(spec, b))}) for b in spec.beats]
    spec = spec.model_copy(update={"beats": fitted})  # as the planner writes them: within the word budget
    voiceover = _voiceover(spec)
    size = master_size(aspect, Resolution.P1080)
    clean = _master(tmp / "clean.mp4", size, still=aspect == "9:16", tone=aspect == "16:9")
    files = write_captions(spec, voiceover, size, tmp)
    captioned = burn(clean, files["ass"], tmp / "captioned.mp4", spec.delivery.resolution, Settings(home=tmp / "home"))
    return spec, voiceover, clean, captioned, files["ass"]


@pytest.fixture(scope="module")
def wide(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    """A clean 16:9 1080p master, moving, with sound, and the same with outlined captions burned in."""
    return _burned("16:9", CaptionStyle.OUTLINE, tmp_path_factory.mktemp("wide"))


@pytest.fixture(scope="module")
def tall(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    """A clean 9:16 1080x1920 master, held still (so only the captions change), and the same with captions burned
    in, each word lit as it is said."""
    return _burned("9:16", CaptionStyle.HIGHLIGHT, tmp_path_factory.mktemp("tall"))


@pytest.mark.slow  # burns captions into two 1080p masters
@pytest.mark.parametrize("which", ["wide", "tall"])
def test_burned_captions_stay_in_the_safe_zone_out_of_the_title_band_and_off_the_end_card(
    which: str, request: pytest.FixtureRequest
) -> None:
    spec, voiceover, clean, captioned, _ = request.getfixturevalue(which)
    outcome = captions_in_safe_zone(spec, voiceover, clean, captioned)
    assert outcome.passed, outcome.metadata["problems"]
    meta = outcome.metadata
    size = master_size(spec.aspect_ratio, Resolution.P1080)
    assert meta["cues_checked"] == len(cues(spec, voiceover, size)) >= 3
    assert meta["headlines_checked"] == 1 and meta["end_card_frames"] == 3
    x0, y0, x1, y1 = (float(v) for v in str(meta["caption_box"]).split(","))
    zone = caption_zone(spec, *size)
    assert zone.x0 <= x0 < x1 <= zone.x1 and zone.y0 <= y0 < y1 <= zone.y1
    assert y1 > zone.y1 - 0.01  # the box sits on the safe zone's bottom edge
    if spec.aspect_ratio == "9:16":
        assert y1 <= 0.77 and x1 <= 0.86  # TikTok's and Reels' buttons and captions stay clear


@pytest.mark.parametrize("which", ["wide", "tall"])
def test_the_burn_keeps_the_masters_frames_tags_rate_and_sound(which: str, request: pytest.FixtureRequest) -> None:
    _, _, clean, captioned, _ = request.getfixturevalue(which)
    before, after = file_facts(clean), file_facts(captioned)
    assert after.video_frames == before.video_frames == sum(SECONDS) * FPS
    assert (after.color_primaries, after.color_transfer, after.color_space, after.color_range) == (
        "bt709",
        "bt709",
        "bt709",
        "tv",
    )
    assert after.video_profile == "High" and after.r_frame_rate == FPS
    assert abs(after.video_bit_rate - before.video_bit_rate) < 0.03 * before.video_bit_rate  # CBR: the same rate
    assert bool(before.audio_codec) == (which == "wide")
    if before.audio_codec:

        def audio_md5(path: Path) -> str:
            cmd = [ffmpeg_exe(), "-v", "error", "-i", str(path), "-map", "0:a", "-c", "copy", "-f", "md5", "-"]
            return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout

        assert audio_md5(captioned) == audio_md5(clean)  # copied packet for packet


def test_the_highlight_lights_one_word_after_another_in_the_accent_colour(tall: tuple) -> None:
    spec, voiceover, clean, captioned, _ = tall
    size = master_size(spec.aspect_ratio, Resolution.P1080)
    cue = next(c for c in cues(spec, voiceover, size) if len(c.words) >= 3)
    first, second, third = cue.words[:3]
    picked = [int((first.start_s + second.start_s) / 2 * FPS), int((second.start_s + third.start_s) / 2 * FPS)]
    one, two = dict(frames_at(captioned, picked, size)).values()
    plain = dict(frames_at(clean, picked[:1], size))[picked[0]]
    region = bounds(changed(plain, one))  # the caption's box
    moved = bounds(changed(one, two))
    assert region is not None and moved is not None
    assert region[0] <= moved[0] < moved[2] <= region[2] and region[1] <= moved[1] < moved[3] <= region[3]
    lit = np.array(highlight_colour(spec.style))
    for frame in (one, two):
        box = frame[region[1] : region[3], region[0] : region[2]].reshape(-1, 3).astype(int)
        assert (np.abs(box - lit).max(axis=1) < 40).sum() > 200, "no word in the accent colour"
    # the lit pixels moved on in reading order: the first word's, then the second's (further right, or a line down)
    (y1, x1), (y2, x2) = (np.argwhere(np.abs(f.astype(int) - lit).max(axis=2) < 40).mean(axis=0) for f in (one, two))
    assert y2 > y1 + 0.02 * size[1] or (abs(y2 - y1) < 0.01 * size[1] and x2 > x1)


def test_the_check_finds_captions_outside_the_safe_zone_and_on_the_end_card(tall: tuple, tmp_path: Path) -> None:
    spec, voiceover, clean, _, script = tall
    text = script.read_text(encoding="utf-8")
    low = re.sub(r"^(Style: Caption,(?:[^,]*,){20})\d+,", r"\g<1>0,", text, flags=re.M)  # MarginV 0: the frame's foot
    late = f"Dialogue: 1,0:00:0{sum(SECONDS) - 1}.00,0:00:{sum(SECONDS)}.00,Caption,,0,0,0,,On the end card\n"
    (tmp_path / "bad.ass").write_text(low + late, encoding="utf-8")
    bad = burn(clean, tmp_path / "bad.ass", tmp_path / "bad.mp4", Resolution.P1080, Settings(home=tmp_path / "home"))
    outcome = captions_in_safe_zone(spec, voiceover, clean, bad)
    assert not outcome.passed
    problems = str(outcome.metadata["problems"])
    assert "outside the safe zone" in problems and "the end card changed" in problems
    assert float(str(outcome.metadata["caption_box"]).split(",")[3]) > 0.95
