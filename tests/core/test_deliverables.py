"""The deliverables phase on produced files: posters at their videos' sizes from the hero beat's sharpest frame, the
ProRes 422 HQ mezzanine with PCM, the zip of every file, and the checks that measure them. Cutdowns and platform
versions are measured in their own tests: stood in for here by small fakes (tests.support), to keep this fast."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

from tests.support import campaign_by_hand, fake_cut_down, fake_platform_version, stand_in_video
from vidgen_core.adapters.ffmpeg.poster import candidate_frames, laplacian_variance, sharpest_frame
from vidgen_core.adapters.ffmpeg.probe import ffprobe_json, probe
from vidgen_core.adapters.ffmpeg.tools import ffmpeg_exe
from vidgen_core.adapters.local.planner import LocalPlanner
from vidgen_core.adapters.render.poster import draw_poster, title_layout
from vidgen_core.adapters.storage import LocalStore
from vidgen_core.domain.catalog import Platform
from vidgen_core.domain.checks import CheckName
from vidgen_core.domain.chunking import plan_chunks
from vidgen_core.domain.cutdowns import product_beat
from vidgen_core.domain.editing import END_CARD_S, REANCHOR_CROSSFADE_S, TRANSITION_S
from vidgen_core.domain.models import (
    AspectSet,
    Chunk,
    ChunkSet,
    DeliverableKind,
    Deliverables,
    MusicTrack,
    RenderedVideo,
    Section,
    Transition,
    Voiceover,
)
from vidgen_core.domain.platforms import PLATFORMS
from vidgen_core.domain.safe_zones import safe_zone
from vidgen_core.pipeline import deliverables, phases
from vidgen_core.pipeline.deliverables import _renditions, blends, hero_span, platform_lengths, slug
from vidgen_core.pipeline.requests import build_request
from vidgen_core.pipeline.verify_deliverables import deliverables_checks
from vidgen_core.settings import Settings

Kind = DeliverableKind


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, str, Deliverables]:
    """A 10 s 16:9 ad with a reframed 9:16, a 6 s cutdown, TikTok and a mezzanine, from stand-in media."""
    settings = Settings(home=tmp_path_factory.mktemp("campaign") / "vidgen")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(deliverables, "cut_down", fake_cut_down)
        patch.setattr(deliverables, "platform_version", fake_platform_version)
        video, made = campaign_by_hand(
            settings,
            "ana",
            10,
            aspects=["16:9", "9:16"],
            reframe=True,
            cutdowns=[6],
            platforms=["tiktok"],
            mezzanine=True,
        )
    return settings, video, made


def _by_name(made: Deliverables) -> dict[str, object]:
    return {f.name: f for f in made.files}


def test_every_file_is_listed_once_with_a_readable_name_and_what_it_is(campaign: tuple) -> None:
    _, _, made = campaign
    names = [(f.kind, f.name, f.aspect, f.platform, f.length_s) for f in made.files]
    videos = [n for n in names if n[0] in (Kind.VIDEO, Kind.CUTDOWN)]
    assert videos == [
        (Kind.VIDEO, "nike-air-max_16x9_10s.mp4", "16:9", None, 10),
        (Kind.VIDEO, "nike-air-max_9x16_10s.mp4", "9:16", None, 10),
        (Kind.CUTDOWN, "nike-air-max_16x9_6s.mp4", "16:9", None, 6),
        (Kind.CUTDOWN, "nike-air-max_9x16_6s.mp4", "9:16", None, 6),
        (Kind.VIDEO, "nike-air-max_9x16_10s_tiktok.mp4", "9:16", "tiktok", 10),
    ]
    posters = [n[1] for n in names if n[0] is Kind.POSTER]
    assert posters == [v[1].replace(".mp4", "_poster.jpg") for v in videos]
    assert {n[1] for n in names if n[0] in (Kind.CAPTIONS, Kind.STEM)} == {
        "nike-air-max_16x9_10s.srt",
        "nike-air-max_16x9_10s.vtt",
        "nike-air-max_10s_voice.wav",  # stems once per length: every aspect mixes the same voice and music
        "nike-air-max_10s_music_mix.wav",
    }
    assert [n[1] for n in names if n[0] is Kind.MEZZANINE] == ["nike-air-max_16x9_10s.mov"]
    assert names[-1][:2] == (Kind.ARCHIVE, "nike-air-max_deliverables.zip")
    assert len({f.key for f in made.files}) == len({f.name for f in made.files}) == len(made.files)
    assert made.costs == []  # nothing here calls a provider


def test_posters_are_jpegs_of_their_videos_size_at_the_keys_beside_them(campaign: tuple) -> None:
    settings, video, made = campaign
    store = LocalStore(settings.storage_dir)
    found = _by_name(made)
    for f in made.files:
        if f.kind not in (Kind.VIDEO, Kind.CUTDOWN):
            continue
        poster = found[f.name.replace(".mp4", "_poster.jpg")]
        info = probe(store.local_path(f.key))
        with Image.open(store.local_path(poster.key)) as img:
            assert (img.format, img.size) == ("JPEG", (info.width, info.height)) == ("JPEG", (f.width, f.height))
    master = found["nike-air-max_16x9_10s_poster.jpg"]
    assert master.key == f"ana/videos/{video}/poster.jpg"  # VideoKeys.poster()
    assert found["nike-air-max_9x16_10s_poster.jpg"].key == f"ana/videos/{video}/deliverables/9x16/poster.jpg"


def test_the_mezzanine_is_prores_422_hq_with_24_bit_pcm_and_the_masters_length(campaign: tuple) -> None:
    settings, video, made = campaign
    store = LocalStore(settings.storage_dir)
    mezzanine = next(f for f in made.files if f.kind is Kind.MEZZANINE)
    assert mezzanine.key == f"ana/videos/{video}/master.mov"
    data = ffprobe_json(store.local_path(mezzanine.key))
    picture = next(s for s in data["streams"] if s["codec_type"] == "video")
    sound = next(s for s in data["streams"] if s["codec_type"] == "audio")
    assert (picture["codec_name"], picture["profile"], picture["pix_fmt"]) == ("prores", "HQ", "yuv422p10le")
    assert (picture["width"], picture["height"], picture.get("color_primaries")) == (1280, 720, "bt709")
    assert (sound["codec_name"], sound["sample_rate"], sound["channels"]) == ("pcm_s24le", "48000", 2)
    assert "mov" in data["format"]["format_name"]
    assert int(picture["nb_frames"]) == 10 * 30 and float(data["format"]["duration"]) == pytest.approx(10, abs=0.02)


def test_the_zip_holds_every_file_under_its_name_media_stored_and_text_deflated(campaign: tuple) -> None:
    settings, _, made = campaign
    store = LocalStore(settings.storage_dir)
    archive = made.files[-1]
    with zipfile.ZipFile(store.local_path(archive.key)) as zipped:
        members = {i.filename: i for i in zipped.infolist()}
        assert zipped.testzip() is None
    listed = made.files[:-1]
    assert list(members) == [f.name for f in listed]
    for f in listed:
        assert members[f.name].file_size == store.size(f.key) == f.size_bytes
        stored = f.format in ("mp4", "mov", "jpg", "wav")
        assert members[f.name].compress_type == (zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
    assert archive.size_bytes == store.size(archive.key) >= sum(f.size_bytes for f in listed)


def test_the_checks_pass_on_the_files_and_fail_on_a_wrong_poster_or_a_missing_member(
    campaign: tuple, tmp_path: Path
) -> None:
    settings, _, made = campaign
    store = LocalStore(settings.storage_dir)
    outcomes = deliverables_checks(made, store)
    assert [(o.name, o.passed) for o in outcomes] == [
        (CheckName.LENGTHS_AS_STATED, True),
        (CheckName.POSTERS_MATCH_VIDEOS, True),
        (CheckName.MEZZANINE_PRORES_HQ, True),
        (CheckName.ARCHIVE_COMPLETE, True),
    ], [o.description for o in outcomes]
    poster = next(f for f in made.files if f.kind is Kind.POSTER)
    wrong = tmp_path / "wrong.jpg"
    Image.new("RGB", (640, 360)).save(wrong, format="JPEG")
    store.put_file("elsewhere/wrong.jpg", wrong)
    swapped = [f.model_copy(update={"key": "elsewhere/wrong.jpg"}) if f is poster else f for f in made.files]
    bad = deliverables_checks(Deliverables(files=swapped), store)
    assert not bad[1].passed and "has no poster" in bad[1].description  # not where its video keeps it
    assert not bad[3].passed and f"{poster.name} is {poster.size_bytes} bytes, stored 4" in bad[3].description
    kept = store.get_bytes(poster.key)
    store.put_file(poster.key, wrong)
    try:  # a poster of the wrong size where its video keeps it
        assert "640x360, its video 1280x720" in deliverables_checks(made, store)[1].description
    finally:
        store.put_bytes(poster.key, kept)
    short = [f.model_copy(update={"length_s": 8}) if f.kind is Kind.CUTDOWN else f for f in made.files]
    assert (
        "nike-air-max_16x9_6s.mp4 lasts 6.000 s, not 8 s"
        in deliverables_checks(Deliverables(files=short), store)[0].description
    )


def test_the_sharpest_candidate_of_a_beat_is_chosen(tmp_path: Path) -> None:
    """Frames blurred less and less towards frame 45 then more again: the candidate nearest it wins."""
    rng = np.random.default_rng(7)
    texture = Image.fromarray(rng.integers(0, 255, (180, 320, 3), dtype=np.uint8))
    frames = [np.asarray(texture.filter(ImageFilter.GaussianBlur(0.2 + abs(n - 45) / 6))) for n in range(90)]
    video = tmp_path / "blur.mp4"
    raw = ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "320x180", "-r", "30", "-i", "-"]
    lossless = ["-c:v", "libx264", "-qp", "0", "-pix_fmt", "yuv444p", str(video)]
    pixels = b"".join(f.tobytes() for f in frames)
    subprocess.run([ffmpeg_exe(), "-v", "error", *raw, *lossless], input=pixels, check=True)
    candidates = candidate_frames(0.0, 3.0, 30.0)
    still = sharpest_frame(video, 0.0, 3.0)
    assert still.frame == min(candidates, key=lambda n: abs(n - 45))
    assert still.sharpness == pytest.approx(laplacian_variance(np.asarray(still.image)), rel=1e-6)
    assert still.sharpness > 2 * laplacian_variance(frames[5])
    blended = (still.frame / 30 - 0.1, still.frame / 30 + 0.1)  # as if a crossfade were there: the next best
    assert abs(sharpest_frame(video, 0.0, 3.0, [blended]).frame - 45) > abs(still.frame - 45)


def test_the_hero_span_is_the_product_beat_without_its_transition_the_fade_and_the_end_card(
    settings: Settings,
) -> None:
    spec = LocalPlanner().plan(build_request("Create a 20-second ad for Nike Air Max", settings)).spec
    hero = spec.beats[product_beat(spec.beats)]
    assert hero.section is Section.PRODUCT
    beats = [b.model_copy(update={"transition": Transition.CROSSFADE}) if b is hero else b for b in spec.beats]
    start, end = hero_span(spec.model_copy(update={"beats": beats}))
    assert start >= hero.start_s + TRANSITION_S[Transition.CROSSFADE] and end <= hero.end_s
    assert end <= spec.duration_s - END_CARD_S and start < end
    for n in candidate_frames(start, end, 30.0):
        assert hero.start_s + TRANSITION_S[Transition.CROSSFADE] <= n / 30 < hero.end_s


def test_platform_lengths_give_ctv_each_length_it_takes_and_others_the_ads_own(settings: Settings) -> None:
    request = build_request(
        "Create a 30-second ad for Nike Air Max", settings, cutdowns=[15, 6], platforms=["ctv", "youtube"]
    )
    spec = LocalPlanner().plan(request).spec.model_copy(update={"campaign": request.campaign})
    assert platform_lengths(spec, request.campaign.platforms[0]) == [30, 15, 6]  # CTV takes 6, 15 or 30 s
    assert platform_lengths(spec, request.campaign.platforms[1]) == [30]
    assert slug(spec) == "nike-air-max"


@pytest.mark.parametrize(
    ("size", "platform"),
    [((1920, 1080), None), ((1080, 1920), "tiktok"), ((1080, 1920), "reels"), ((1080, 1350), None)],
)
def test_the_posters_title_is_drawn_inside_the_safe_zone_only(
    size: tuple[int, int], platform: str | None, tmp_path: Path
) -> None:
    """The title brightens the picture only inside the platform's zone (the frame's own without one); outside it the
    poster is the frame, or darker under the band behind the title."""
    zone = PLATFORMS[Platform(platform)].safe if platform else safe_zone(*size)
    frame = Image.fromarray(np.full((size[1], size[0], 3), 128, np.uint8))
    plain = np.asarray(Image.open(draw_poster(frame, size, "", zone, tmp_path / "plain.jpg")), np.int16)
    titled = np.asarray(Image.open(draw_poster(frame, size, "Nike Air Max", zone, tmp_path / "titled.jpg")), np.int16)
    x0, y0, x1, y1 = (round(v) for v in zone.pixels(*size))
    brighter = (titled - plain).max(axis=2) > 8
    assert brighter[y0:y1, x0:x1].sum() > 1000  # the title is there
    brighter[max(0, y0 - 8) : y1 + 8, max(0, x0 - 8) : x1 + 8] = False  # JPEG ringing within a block of its edge
    assert not brighter.any(), np.argwhere(brighter)[:5]
    _, (left, top, right, bottom) = title_layout("Nike Air Max", size, zone)
    assert x0 <= left < right <= x1 and y0 <= top < bottom <= y1


def test_a_long_beats_re_anchor_crossfade_is_kept_clear_of_the_poster(settings: Settings) -> None:
    """A 20 s beat of 5 s clips re-anchors at its fourth clip (15 s in): the blend there is avoided."""
    spec = LocalPlanner().plan(build_request("Create a 30-second ad for Nike Air Max", settings)).spec
    beats, start = [], 0
    for beat, length in zip(spec.beats[:3], (5, 20, 5), strict=True):
        beats.append(beat.model_copy(update={"start_s": start, "duration_s": length}))
        start += length
    spec = spec.model_copy(update={"beats": beats, "plan_version": 1})
    plans = plan_chunks(spec, (5,))
    chunk = {"key": "k", "last_frame_key": "l", "first_frame_key": "f", "duration_s": 5.0, "width": 64, "height": 36}
    chunks = ChunkSet(chunks=[Chunk(plan=p, fps=30, has_audio=False, **chunk) for p in plans])
    assert blends(spec, chunks) == [(20 - 0.2, 20 + REANCHOR_CROSSFADE_S + 0.2)]


def test_ctv_gets_the_30_s_ad_and_its_15_s_cutdown_as_two_files(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(deliverables, "cut_down", fake_cut_down)
    monkeypatch.setattr(deliverables, "platform_version", fake_platform_version)
    request = build_request("Create a 30-second ad for Nike Air Max", settings, cutdowns=[15], platforms=["ctv"])
    spec = LocalPlanner().plan(request).spec.model_copy(update={"campaign": request.campaign})
    store, keys = LocalStore(settings.storage_dir), phases.keys_for(spec)
    store.put_file(keys.final(), stand_in_video(tmp_path / "final.mp4", (320, 180), 30))
    final = RenderedVideo(key=keys.final(), duration_s=30, width=320, height=180, fps=30, has_audio=True, size_bytes=1)
    made = _renditions(spec, final, final, ChunkSet(chunks=[]), MusicTrack(key=None, duration_s=30, mood="x"),
                       Voiceover(), AspectSet(), store, settings)  # fmt: skip
    ctv = [(r.length_s, r.video.key) for r in made if r.platform is Platform.CTV]
    assert [length for length, _ in ctv] == [30, 15] and len({key for _, key in ctv}) == 2
    assert [round(probe(store.local_path(key)).duration_s) for _, key in ctv] == [30, 15]
