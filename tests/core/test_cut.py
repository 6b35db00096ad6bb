"""The cut (the master picture), measured on produced files: frame count, beats on their frames, transitions that
blend, the fade in, the end card, chained seams without a repeated frame, bt709 tags, master sizes and the sound."""

from __future__ import annotations

import subprocess
from pathlib import Path

import ffmpeg
import numpy as np
import pytest
from PIL import Image, ImageDraw

from tests.support import frame_at, psnr
from vidgen_core.adapters.ffmpeg.cut import Piece, plan_pieces, render_cut
from vidgen_core.adapters.ffmpeg.ops import filmstrip
from vidgen_core.adapters.ffmpeg.probe import MediaInfo, probe
from vidgen_core.adapters.ffmpeg.tools import ffmpeg_exe, ffprobe_exe
from vidgen_core.adapters.render import endcard
from vidgen_core.adapters.render.endcard import render_end_card
from vidgen_core.adapters.storage import LocalStore
from vidgen_core.domain.catalog import Resolution, master_size
from vidgen_core.domain.editing import END_CARD_FADE_S, END_CARD_S, FADE_IN_S, TRANSITION_S
from vidgen_core.domain.models import (
    Camera,
    Chunk,
    ChunkPlan,
    ChunkSet,
    Delivery,
    Energy,
    FrameSource,
    Phase,
    RenderedVideo,
    Section,
    SpecBeat,
    Transition,
    VideoSpec,
)
from vidgen_core.pipeline import phases
from vidgen_core.settings import Settings

FPS = 25
SMALL = (192, 108)  # the synthetic chunks' size: the cut upscales them to the master's


def _spec(beats: list[tuple[int, Transition]], aspect: str = "16:9", resolution: str = "720p") -> VideoSpec:
    start, made = 0, []
    for i, (seconds, transition) in enumerate(beats):
        made.append(
            SpecBeat(
                index=i,
                beat_id=f"b{i}",
                name=f"beat {i}",
                section=Section.DYNAMIC,
                start_s=start,
                duration_s=seconds,
                shot_type="medium",
                camera=Camera.STATIC,
                energy=Energy.MEDIUM,
                image_prompt="",
                motion_prompt="",
                transition=transition,
            )
        )
        start += seconds
    return VideoSpec(
        video_id="vid-cut",
        user_id="u",
        prompt="",
        title="Cut test",
        brand="Acme",
        product="rockets",
        category="tech",
        style="cinematic",
        music_mood="calm",
        archetype="",
        duration_s=start,
        aspect_ratio=aspect,
        video_model="hailuo-02-fast",
        image_model="flux-dev",
        music_model="musicgen",
        seed=1,
        beats=made,
        call_to_action="Shop now",
        delivery=Delivery(resolution=Resolution(resolution)),
    )


def _source(out: Path, frames: int, hue: int, tone: int | None = None, fps: int = FPS) -> Path:
    """A moving test picture (testsrc2, turned to its own hue), ``frames`` long; with a sine of ``tone`` Hz as AAC."""
    video = ffmpeg.input(f"testsrc2=s={SMALL[0]}x{SMALL[1]}:r={fps}", f="lavfi").filter("hue", h=hue)
    streams = [video.filter("trim", end_frame=frames)]
    extra: dict[str, object] = {}
    if tone is not None:
        streams.append(ffmpeg.input(f"sine=f={tone}:r=48000", f="lavfi").audio.filter("atrim", duration=frames / fps))
        extra = {"acodec": "aac", "ar": 48000, "ac": 2}
    ffmpeg.output(*streams, str(out), vcodec="libx264", pix_fmt="yuv420p", preset="ultrafast", bf=0, **extra).run(
        cmd=ffmpeg_exe(), quiet=True, overwrite_output=True
    )
    return out


def _split(long: Path, at: int, out_a: Path, out_b: Path) -> tuple[Path, Path]:
    """Two chained clips from one shot: ``a`` is frames 0..at-1, ``b`` starts on a's last frame (as a model's would)."""
    for out, first, last in ((out_a, 0, at), (out_b, at - 1, None)):
        trimmed = ffmpeg.input(str(long)).video.filter(
            "trim", start_frame=first, **({"end_frame": last} if last else {})
        )
        trimmed.filter("setpts", "PTS-STARTPTS").output(
            str(out), vcodec="libx264", pix_fmt="yuv420p", preset="ultrafast", bf=0
        ).run(cmd=ffmpeg_exe(), quiet=True, overwrite_output=True)
    return out_a, out_b


def _plan(index: int, beat: int, part: int, clip_s: int, use_s: float, source: FrameSource) -> ChunkPlan:
    return ChunkPlan(index=index, beat_index=beat, part=part, clip_s=clip_s, use_s=use_s, source=source)


def _frames(video: Path, size: tuple[int, int] = (64, 36)) -> np.ndarray:
    """Every decoded frame, small, as float RGB: (frames, height, width, 3)."""
    raw = subprocess.run(
        [
            ffmpeg_exe(),
            "-v",
            "error",
            "-i",
            str(video),
            "-vf",
            f"scale={size[0]}:{size[1]}",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-",
        ],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, size[1], size[0], 3).astype(np.float64)


def _streams(video: Path) -> list[dict]:
    return ffmpeg.probe(str(video), cmd=ffprobe_exe())["streams"]


# 5 beats of 3 s: a cut, a chained seam inside beat 1 (at 5 s), a crossfade, a dip to black, a cut
BEATS = [(3, Transition.CUT), (3, Transition.CUT), (3, Transition.CROSSFADE), (3, Transition.DIP_TO_BLACK),
         (3, Transition.CUT)]  # fmt: skip
SEAM = 5 * FPS


@pytest.fixture(scope="module")
def cut(tmp_path_factory: pytest.TempPathFactory) -> tuple[VideoSpec, Path, Path, list[Piece]]:
    """One 15-second 720p cut of synthetic chunks, rendered once for the module."""
    tmp = tmp_path_factory.mktemp("cut")
    settings = Settings(home=tmp / "home")
    spec = _spec(BEATS)
    long = _source(tmp / "long.mp4", 4 * FPS, hue=90)
    a, b = _split(long, 2 * FPS, tmp / "a.mp4", tmp / "b.mp4")
    clips = [
        (_plan(0, 0, 0, 4, 3.0, FrameSource.STORYBOARD), _source(tmp / "c0.mp4", 4 * FPS, hue=0)),
        (_plan(1, 1, 0, 2, 2.0, FrameSource.STORYBOARD), a),
        (_plan(2, 1, 1, 2, 1.0, FrameSource.PREVIOUS_CHUNK), b),
        (_plan(3, 2, 0, 3, 3.0, FrameSource.STORYBOARD), _source(tmp / "c3.mp4", 3 * FPS, hue=200)),  # no spare
        (_plan(4, 3, 0, 4, 3.0, FrameSource.STORYBOARD), _source(tmp / "c4.mp4", 4 * FPS, hue=270)),
        (_plan(5, 4, 0, 4, 3.0, FrameSource.STORYBOARD), _source(tmp / "c5.mp4", 4 * FPS, hue=45)),
    ]
    placed = [(plan, probe(path)) for plan, path in clips]
    card = render_end_card(spec, master_size(spec.aspect_ratio, spec.delivery.resolution), tmp / "card.png")
    out = tmp / "master.mp4"
    pieces = render_cut(spec, placed, FPS, card, out, settings)
    return spec, out, card, pieces


def test_the_cut_has_exactly_its_frames_at_a_constant_rate(cut: tuple) -> None:
    spec, out, _, _ = cut
    (video,) = _streams(out)
    assert int(video["nb_frames"]) == spec.duration_s * FPS
    assert video["r_frame_rate"] == video["avg_frame_rate"] == f"{FPS}/1"
    assert float(video["duration"]) == pytest.approx(spec.duration_s, abs=1e-6)
    assert (int(video["width"]), int(video["height"])) == (1280, 720)


def test_the_master_is_tagged_bt709_high_closed_gop_faststart(cut: tuple) -> None:
    _, out, _, _ = cut
    (video,) = _streams(out)
    tags = (video["color_primaries"], video["color_transfer"], video["color_space"], video["color_range"])
    assert tags == ("bt709", "bt709", "bt709", "tv")
    assert video["profile"] == "High" and video["pix_fmt"] == "yuv420p"
    keyframes = subprocess.run(
        [ffprobe_exe(), "-v", "error", "-select_streams", "v", "-skip_frame", "nokey", "-show_entries",
         "frame=pts", "-of", "csv=p=0", str(out)],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert len(keyframes) >= 15 * FPS // (2 * FPS)  # a keyframe at least every 2 s
    data = out.read_bytes()
    assert data.find(b"moov") < data.find(b"mdat")


def test_beats_begin_on_their_frames(cut: tuple) -> None:
    spec, out, _, _ = cut
    frames = _frames(out)
    diff = np.abs(np.diff(frames, axis=0)).mean(axis=(1, 2, 3))  # diff[i]: frame i+1 against frame i
    in_shot = float(np.median(diff[15:70]))
    cut_at = round(spec.beats[1].start_s * FPS)
    window = diff[cut_at - 10 : cut_at + 10]
    assert int(np.argmax(window)) + cut_at - 10 == cut_at - 1  # the jump lands on the beat's first frame
    assert diff[cut_at - 1] > 10 * in_shot
    fade_at = round(spec.beats[2].start_s * FPS)  # crossfade: the change is spread over the window, no spike
    blend = diff[fade_at - 1 : fade_at + round(TRANSITION_S[Transition.CROSSFADE] * FPS)]
    assert blend.max() < 0.3 * diff[cut_at - 1] and blend.sum() > 0.5 * diff[cut_at - 1]
    assert diff[fade_at - 2] < 2 * in_shot < diff[fade_at - 1]  # the blend begins on the beat's own frame
    dip_at = round(spec.beats[3].start_s * FPS)  # dip to black: near black half way
    middle = dip_at + round(TRANSITION_S[Transition.DIP_TO_BLACK] * FPS / 2)
    assert frames[middle].mean() < 12 and frames[dip_at - 2].mean() > 40
    light = frames.mean(axis=(1, 2, 3))
    assert light[dip_at] < 0.95 * light[dip_at - 1] and light[dip_at - 1] > 0.97 * light[dip_at - 2]  # the dip too


def test_a_chained_seam_repeats_no_frame(cut: tuple) -> None:
    _, out, _, pieces = cut
    assert [p.first for p in pieces] == [0, 0, 1, 0, 0, 0]  # the chained clip's frame 0 is dropped
    diff = np.abs(np.diff(_frames(out), axis=0)).mean(axis=(1, 2, 3))
    in_beat = float(np.median(diff[80:110]))
    assert diff[SEAM - 1] > 0.5 * in_beat  # no frozen frame at the seam
    assert diff[SEAM - 1] < 3 * in_beat  # and no jump


def test_the_picture_fades_in_and_ends_on_the_end_card(cut: tuple, tmp_path: Path) -> None:
    spec, out, card, _ = cut
    total = spec.duration_s * FPS
    assert frame_at(out, 0, tmp_path).mean() < 8  # from black
    assert frame_at(out, round(FADE_IN_S * FPS) + 2, tmp_path).mean() > 40
    drawn = np.asarray(Image.open(card).convert("RGB"))
    for index in (total - round((END_CARD_S - END_CARD_FADE_S) * FPS) + 1, total - 1):  # held after its fade in
        assert psnr(frame_at(out, index, tmp_path), drawn) > 30, index
    assert psnr(frame_at(out, total - round(END_CARD_S * FPS) - 1, tmp_path), drawn) < 20  # the footage before it


def test_pieces_follow_the_contract() -> None:
    spec = _spec([(2, Transition.CUT), (4, Transition.CROSSFADE)])
    info = [MediaInfo(Path(f"c{i}.mp4"), 3.0, 1, "mp4", "h264", 192, 108, 25.0, video_frames=n) for i, n in
            enumerate((75, 50, 50))]  # fmt: skip
    plans = [
        _plan(0, 0, 0, 3, 2.0, FrameSource.STORYBOARD),
        _plan(1, 1, 0, 2, 2.0, FrameSource.STORYBOARD),
        _plan(2, 1, 1, 2, 2.0, FrameSource.PREVIOUS_CHUNK),
    ]
    pieces = plan_pieces(spec, list(zip(plans, info, strict=True)), FPS)
    blend = round(TRANSITION_S[Transition.CROSSFADE] * FPS)
    assert [(p.start, p.first, p.frames) for p in pieces] == [(0, 0, 50), (50, 0, 50), (100, 1, 50)]
    assert (pieces[0].spare, pieces[0].clone) == (blend, 0)  # the spare footage of a 3 s clip continues under it
    assert (pieces[1].join, pieces[1].blend) == (Transition.CROSSFADE, blend)
    assert pieces[2].clone == 1  # a chained 2 s clip shows its frames 1..50: the file's last frame once more
    other_rate = MediaInfo(Path("c.mp4"), 3.0, 1, "mp4", "h264", 192, 108, 30.0, video_frames=90)
    retimed = plan_pieces(spec, [(plans[0], other_rate), *zip(plans[1:], info[1:], strict=True)], FPS)
    assert (retimed[0].rate, retimed[0].clone) == (30.0, 0)  # a 30 fps file is retimed: 75 frames at 25 fps
    reanchored = [plans[0], plans[1], plans[2].model_copy(update={"source": FrameSource.STORYBOARD})]
    again = plan_pieces(spec, list(zip(reanchored, info, strict=True)), FPS)
    assert (again[2].first, again[2].join, again[1].spare, again[1].clone) == (0, Transition.CROSSFADE, blend, blend)


@pytest.mark.parametrize(
    ("aspect", "size"), [("16:9", (1920, 1080)), ("9:16", (1080, 1920)), ("1:1", (1080, 1080)), ("4:5", (1080, 1350))]
)
def test_1080p_masters_have_the_delivery_size(tmp_path: Path, aspect: str, size: tuple[int, int]) -> None:
    spec = _spec([(3, Transition.CUT)], aspect=aspect, resolution="1080p")
    clip = _source(tmp_path / "c.mp4", 3 * FPS, hue=30)
    card = render_end_card(spec, size, tmp_path / "card.png")
    out = tmp_path / "m.mp4"
    render_cut(spec, [(_plan(0, 0, 0, 3, 3.0, FrameSource.STORYBOARD), probe(clip))], FPS, card, out, Settings())
    info = probe(out)
    assert (info.width, info.height, info.video_frames) == (*size, 3 * FPS)


def test_native_sound_starts_with_the_picture_and_lasts_the_duration(tmp_path: Path) -> None:
    fps = 24  # as Veo's clips, which bring their own AAC
    spec = _spec([(2, Transition.CUT), (3, Transition.CROSSFADE), (2, Transition.CUT)])
    clips = [
        (_plan(0, 0, 0, 3, 2.0, FrameSource.STORYBOARD), _source(tmp_path / "a.mp4", 3 * fps, 0, 440, fps)),
        (_plan(1, 1, 0, 3, 3.0, FrameSource.STORYBOARD), _source(tmp_path / "b.mp4", 3 * fps, 99, 660, fps)),
        (_plan(2, 2, 0, 3, 2.0, FrameSource.STORYBOARD), _source(tmp_path / "c.mp4", 3 * fps, 199, 880, fps)),
    ]
    card = render_end_card(spec, master_size("16:9", Resolution.P720), tmp_path / "card.png")
    out = tmp_path / "m.mp4"
    render_cut(spec, [(plan, probe(path)) for plan, path in clips], fps, card, out, Settings())
    video, audio = sorted(_streams(out), key=lambda s: s["codec_type"] != "video")
    assert audio["codec_name"] == "aac" and int(audio["sample_rate"]) == 48_000
    assert abs(float(video["start_time"]) - float(audio["start_time"])) < 0.005
    assert float(audio["duration"]) == pytest.approx(spec.duration_s, abs=0.005)
    assert int(video["nb_frames"]) == spec.duration_s * fps and video["avg_frame_rate"] == "24/1"


@pytest.mark.parametrize("aspect", ["16:9", "9:16", "1:1", "4:5"])
def test_the_end_card_keeps_its_marks_in_the_safe_zone(tmp_path: Path, aspect: str) -> None:
    spec = _spec([(3, Transition.CUT)], aspect=aspect, resolution="1080p")
    width, height = master_size(aspect, Resolution.P1080)
    card = np.asarray(Image.open(render_end_card(spec, (width, height), tmp_path / "card.png")).convert("RGB"))
    top, bottom, accent = endcard._palette(spec.style)
    plain = np.asarray(endcard._background(width, height, top, bottom, accent)).astype(int)
    ys, xs = np.nonzero(np.abs(card.astype(int) - plain).max(axis=2) > 24)  # the marks: wordmark, rule, button
    safe = endcard.safe_box(spec, width, height)
    assert safe.x0 <= xs.min() and xs.max() <= safe.x1 and safe.y0 <= ys.min() and ys.max() <= safe.y1
    assert (safe.x0 + safe.x1) / 2 == pytest.approx((xs.min() + xs.max()) / 2, abs=0.02 * width)  # centred
    if aspect == "9:16":  # the feeds' buttons and captions
        assert 0.14 * height <= ys.min() and ys.max() <= 0.77 * height and xs.max() <= 0.86 * width


def test_the_end_card_shows_the_uploaded_logo_in_the_upper_middle(tmp_path: Path) -> None:
    spec = _spec([(3, Transition.CUT)], resolution="1080p")
    logo = tmp_path / "logo.png"
    mark = Image.new("RGBA", (400, 200), (0, 0, 0, 0))  # a green disc on a transparent ground
    ImageDraw.Draw(mark).ellipse((100, 0, 300, 200), fill=(0, 255, 0, 255))
    mark.save(logo)
    card = np.asarray(Image.open(render_end_card(spec, (1920, 1080), tmp_path / "c.png", logo)).convert("RGB"))
    green = (card[..., 1] > 200) & (card[..., 0] < 60) & (card[..., 2] < 60)
    ys, xs = np.nonzero(green)
    assert green.sum() > 0.02 * card.shape[0] * card.shape[1]  # large enough to read
    assert abs((xs.min() + xs.max()) / 2 - 960) < 10 and ys.max() < 0.6 * 1080 and ys.min() > 0.05 * 1080


def test_a_dark_jpeg_logo_loses_its_white_box_and_stands_on_a_light_plate(tmp_path: Path) -> None:
    """A black mark on a white JPEG backdrop: the white rectangle is cut away, and the mark, too dark for the card's
    dark gradient, gets a light rounded plate (its corners are the card's; the plate is light; the ink is black)."""
    spec = _spec([(3, Transition.CUT)], resolution="1080p")
    logo = tmp_path / "logo.jpg"
    mark = Image.new("RGB", (600, 200), (255, 255, 255))
    ImageDraw.Draw(mark).rectangle((150, 50, 450, 150), fill=(10, 10, 10))
    mark.save(logo, quality=95)
    card = np.asarray(Image.open(render_end_card(spec, (1920, 1080), tmp_path / "c.png", logo)).convert("RGB"))
    plain = np.asarray(Image.open(render_end_card(spec, (1920, 1080), tmp_path / "p.png")).convert("RGB"))
    changed = np.abs(card.astype(int) - plain.astype(int)).sum(axis=2) > 30
    ys, xs = np.nonzero(changed)
    ink = (card.sum(axis=2) < 90) & changed
    plate = (card.min(axis=2) > 230) & changed
    assert ink.sum() > 0.01 * card.size / 3 and plate.sum() > ink.sum() * 0.2  # the mark, on its plate
    box = card[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    assert (box[0, 0] == plain[ys.min(), xs.min()]).all()  # rounded: the plate's corner shows the card
    ink_xs = np.nonzero(ink.any(axis=0))[0]  # the white box is gone: the ink spans the mark, not half of it
    assert ink_xs.max() - ink_xs.min() > 0.85 * (xs.max() - xs.min())


def test_the_filmstrip_shows_the_ad_not_its_black_first_frame(cut: tuple, tmp_path: Path) -> None:
    _, out, _, _ = cut
    strip = np.asarray(Image.open(filmstrip(out, tmp_path / "strip.jpg", frames=6, thumb_width=96)).convert("L"))
    assert strip.shape == (54, 6 * 96)
    assert min(strip[:, i * 96 : (i + 1) * 96].mean() for i in range(6)) > 30


def test_a_cut_of_the_same_clips_plan_and_encoder_is_kept_and_any_change_cuts_again(tmp_path: Path) -> None:
    """A stored cut whose manifest says it was made from the same clips, plan and encoder is kept, file and all (a
    new line or voice does not cut the picture again); another clip, another encoder preset, or a stored file that
    is not the one listed is cut again."""
    settings, store = Settings(home=tmp_path / "home"), LocalStore(tmp_path / "store")
    spec = _spec([(2, Transition.CUT), (2, Transition.CROSSFADE)])
    keys = phases.keys_for(spec)
    chunks = []
    for i, hue in enumerate((0, 180)):
        store.put_file(keys.chunk(i), _source(tmp_path / f"c{i}.mp4", 3 * FPS, hue=hue))
        info = probe(store.local_path(keys.chunk(i)))
        chunks.append(
            Chunk(
                plan=_plan(i, i, 0, 3, 2.0, FrameSource.STORYBOARD),
                key=keys.chunk(i),
                cache_key=f"call-{i}",
                last_frame_key="",
                first_frame_key="",
                duration_s=info.duration_s,
                width=info.width,
                height=info.height,
                fps=info.fps,
                has_audio=False,
            )
        )
    made = ChunkSet(chunks=chunks)

    def stitched(chunk_set: ChunkSet, with_settings: Settings) -> tuple[RenderedVideo, int]:
        video = phases.stitch_video(spec, chunk_set, store, with_settings)
        store.put_bytes(keys.manifest(Phase.STITCHED_VIDEO), video.model_dump_json().encode())  # as the IO manager
        return video, store.local_path(keys.stitched()).stat().st_mtime_ns

    first, when = stitched(made, settings)
    assert first.made_from == phases.cut_version(spec, made, settings) and first.size_bytes > 0
    assert stitched(made, settings) == (first, when)  # kept: the same manifest and file
    other_clip = made.model_copy(update={"chunks": [chunks[0].model_copy(update={"cache_key": "call-9"}), chunks[1]]})
    slower = Settings(home=tmp_path / "home", master_preset="veryfast")
    for chunk_set, with_settings in ((other_clip, settings), (made, slower)):
        again, later = stitched(chunk_set, with_settings)
        assert again.made_from != first.made_from and later != when
        when = later
    store.put_bytes(keys.stitched(), b"not the cut")  # the listed file is gone
    again, later = stitched(made, slower)
    assert later != when and again.size_bytes == store.size(keys.stitched()) > len(b"not the cut")
