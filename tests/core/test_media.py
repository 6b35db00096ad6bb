"""Media: local renderers and ffmpeg operations, checked by probing and decoding the outputs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import ffmpeg
import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from PIL import Image, ImageOps

from tests.support import frame_at, psnr
from vidgen_core.adapters.ffmpeg import ops
from vidgen_core.adapters.ffmpeg.probe import probe
from vidgen_core.adapters.ffmpeg.tools import ffprobe_exe
from vidgen_core.adapters.local.music import LocalMusicGenerator
from vidgen_core.adapters.local.video import LocalVideoGenerator, window
from vidgen_core.domain.catalog import ASPECTS, VIDEO_MODELS
from vidgen_core.domain.models import Camera, Loudness
from vidgen_core.domain.ports import ClipJob, MusicJob
from vidgen_core.domain.sound import LOUDNESS_TARGETS
from vidgen_core.settings import Settings


def _image(path: Path, size: tuple[int, int], seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 255, (size[1] // 16, size[0] // 16, 3), dtype=np.uint8)
    Image.fromarray(base).resize(size, Image.Resampling.BICUBIC).save(path)
    return path


def _clip(
    tmp: Path,
    settings: Settings,
    camera: Camera = Camera.DOLLY_IN,
    model: str = "hailuo-02-fast",
    clip_s: int = 6,
    aspect: str = "16:9",
    name: str = "clip",
) -> Path:
    image = _image(tmp / f"{name}.png", (1344, 768) if aspect == "16:9" else (768, 1344))
    job = ClipJob(
        first_frame=image, prompt="move", camera=camera, clip_s=clip_s, model=model, aspect=aspect, seed=1, item=name
    )
    return LocalVideoGenerator(settings).generate(job, tmp / f"{name}.mp4").path


Clips = Callable[..., Path]


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Clips:
    """Local clips, each rendered once for the module: ``clips(camera, model=, clip_s=)``."""
    tmp, made = tmp_path_factory.mktemp("clips"), {}
    settings = Settings(home=tmp / "home")

    def clip(camera: Camera = Camera.DOLLY_IN, model: str = "hailuo-02-fast", clip_s: int = 6) -> Path:
        key = (camera, model, clip_s)
        if key not in made:
            made[key] = _clip(tmp, settings, camera, model, clip_s, name=f"{camera.value}-{model}-{clip_s}")
        return made[key]

    return clip


@hsettings(max_examples=300, deadline=None)
@given(camera=st.sampled_from(list(Camera)), p=st.floats(0, 1), aspect=st.sampled_from(ASPECTS))
def test_camera_window_never_leaves_the_image(camera: Camera, p: float, aspect: str) -> None:
    w, h = VIDEO_MODELS["hailuo-02"].size(aspect)
    cx, cy, zoom, theta = window(camera, p, w, h)
    hw, hh = w / zoom / 2, h / zoom / 2
    for sx, sy in ((-1, -1), (1, -1), (-1, 1), (1, 1)):
        x = cx + sx * hw * np.cos(theta) - sy * hh * np.sin(theta)
        y = cy + sx * hw * np.sin(theta) + sy * hh * np.cos(theta)
        assert -0.5 <= x <= w + 0.5 and -0.5 <= y <= h + 0.5
    assert window(camera, 0.0, w, h) == (w / 2, h / 2, 1.0, 0.0)


@pytest.mark.slow  # renders and decodes a 6-second clip (the last-frame and tag tests cover clips fast)
def test_local_clip_matches_the_model_and_starts_on_the_image(tmp_path: Path, clips: Clips) -> None:
    clip = clips()
    info = probe(clip)
    assert (info.width, info.height, info.fps) == (910, 512, 25.0)
    assert info.duration_s == pytest.approx(6.0, abs=0.05) and info.video_frames == 150
    assert info.video_codec == "h264" and info.pix_fmt == "yuv420p" and info.has_b_frames == 0
    assert not info.has_audio
    start = np.asarray(ImageOps.fit(Image.open(clip.with_suffix(".png")).convert("RGB"), (910, 512)))
    first, last = frame_at(clip, 0, tmp_path), frame_at(clip, 149, tmp_path)
    assert psnr(first, start) > 30  # frame 0 is the given image
    assert psnr(last, start) < 25  # and the camera really moved


@pytest.mark.slow  # renders a clip per camera
def test_cameras_move_differently(tmp_path: Path, clips: Clips) -> None:
    ends = {cam: frame_at(clips(cam), 149, tmp_path) for cam in (Camera.PAN_LEFT, Camera.PAN_RIGHT, Camera.DOLLY_IN)}
    assert psnr(ends[Camera.PAN_LEFT], ends[Camera.PAN_RIGHT]) < 25
    assert psnr(ends[Camera.PAN_LEFT], ends[Camera.DOLLY_IN]) < 25


@pytest.mark.slow  # renders a clip of another model
def test_native_audio_model_clip_has_sound(clips: Clips) -> None:
    info = probe(clips(model="veo-3-fast", clip_s=4))
    assert info.has_audio and info.sample_rate == 48_000 and info.fps == 24.0
    assert info.duration_s == pytest.approx(4.0, abs=0.05) and (info.width, info.height) == (1280, 720)


def test_last_frame_is_the_final_decoded_frame(tmp_path: Path, clips: Clips) -> None:
    clip = clips()
    extracted = np.asarray(Image.open(ops.last_frame(clip, tmp_path / "last.png")).convert("RGB"))
    assert psnr(extracted, frame_at(clip, 149, tmp_path, exact=True)) > 45
    fast = frame_at(clip, 149, tmp_path).astype(float)  # the default conversion is about a level darker
    assert 0.3 < float(extracted.mean() - fast.mean()) < 2


def test_local_clips_carry_their_bt709_tags(clips: Clips) -> None:
    """ffmpeg 9 drops -color_primaries/-color_trc for frames that carry none: the tags must reach x264's VUI."""
    (video,) = ffmpeg.probe(str(clips()), cmd=ffprobe_exe())["streams"]
    assert (video["color_primaries"], video["color_transfer"], video["color_space"]) == ("bt709",) * 3


def test_music_is_stereo_48k_of_the_asked_length(tmp_path: Path, settings: Settings) -> None:
    made = LocalMusicGenerator(settings).generate(
        MusicJob(prompt="", mood="energetic", duration_s=7.5, seed=3, model="musicgen"), tmp_path / "m.wav"
    )
    info = probe(made.path)
    assert info.duration_s == pytest.approx(7.5, abs=0.01)
    assert (info.sample_rate, info.channels) == (48_000, 2)
    assert made.costs[0].usd == 0.0


def test_finalize_delivers_h264_aac_faststart_at_target_loudness(
    tmp_path: Path, settings: Settings, clips: Clips
) -> None:
    clip = clips()
    music = (
        LocalMusicGenerator(settings)
        .generate(MusicJob(prompt="", mood="calm", duration_s=6, seed=1, model="musicgen"), tmp_path / "m.wav")
        .path
    )
    out = tmp_path / "final.mp4"
    ops.finalize(clip, music, out, 6.0, LOUDNESS_TARGETS[Loudness.STREAMING], settings)
    info = probe(out)
    assert info.video_codec == "h264" and info.pix_fmt == "yuv420p"
    assert info.audio_codec == "aac" and info.sample_rate == 48_000 and info.channels == 2
    assert info.duration_s == pytest.approx(6.0, abs=0.1)
    assert ops.measure_loudness(out).integrated_lufs == pytest.approx(-14.0, abs=1.0)
    data = out.read_bytes()
    assert data.find(b"moov") < data.find(b"mdat")  # +faststart: index before media


@pytest.mark.parametrize(
    ("size", "aspect", "expected"),
    [((1344, 768), "16:9", (1344, 756)), ((768, 1344), "9:16", (756, 1344)), ((1366, 768), "16:9", (1366, 768))],
)
def test_images_are_conformed_to_the_exact_aspect(tmp_path: Path, size: tuple, aspect: str, expected: tuple) -> None:
    path = tmp_path / "img.png"
    Image.new("RGB", size, (10, 20, 30)).save(path)
    ops.conform_image(path, aspect)
    assert Image.open(path).size == expected
