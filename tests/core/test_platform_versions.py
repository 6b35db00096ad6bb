"""Platform versions measured on the files they write: CTV's at broadcast loudness (-23 LUFS) and its bitrate, YouTube's
the final itself at -14; a length or an aspect the platform does not take is refused before any work."""

from __future__ import annotations

from pathlib import Path

import ffmpeg
import pytest

from tests.core.test_captions import _spec
from vidgen_core.adapters.ffmpeg import ops
from vidgen_core.adapters.ffmpeg.cut import BT709, master_args
from vidgen_core.adapters.ffmpeg.measure import file_facts
from vidgen_core.adapters.ffmpeg.tools import run
from vidgen_core.adapters.storage import LocalStore, VideoKeys
from vidgen_core.domain.catalog import Platform, Resolution, master_size
from vidgen_core.domain.errors import VidgenError
from vidgen_core.domain.models import Loudness, RenderedVideo, VideoSpec
from vidgen_core.domain.sound import LOUDNESS_TARGETS
from vidgen_core.pipeline.platforms import platform_version
from vidgen_core.settings import Settings

SECONDS, FPS = 6, 25


def _final(spec: VideoSpec, resolution: Resolution, store: LocalStore, tmp: Path) -> RenderedVideo:
    """A final as ``finalize_video`` makes one: the master's CBR picture (testsrc2, moving) with a music bed of a
    tone over pink noise, mastered to streaming loudness (-14 LUFS) by ``ops.finalize``."""
    size = master_size(spec.aspect_ratio, resolution)
    picture = tmp / "picture.mp4"
    source = ffmpeg.input(f"testsrc2=s={size[0]}x{size[1]}:r={FPS}", f="lavfi").video
    moving = source.filter("trim", end_frame=SECONDS * FPS).filter("setparams", **BT709)
    run(ffmpeg.output(moving, str(picture), **master_args(Settings(), resolution, FPS)), "the picture")
    music = tmp / "music.wav"
    tone = ffmpeg.input("sine=f=220:r=48000", f="lavfi").audio
    noise = ffmpeg.input("anoisesrc=c=pink:a=0.2:r=48000", f="lavfi").audio
    bed = ffmpeg.filter([tone, noise], "amix", inputs=2).filter("atrim", duration=SECONDS)
    run(bed.output(str(music), ac=2), "the music")
    out = tmp / "final.mp4"
    made = ops.finalize(picture, music, out, SECONDS, LOUDNESS_TARGETS[Loudness.STREAMING], Settings())
    key = VideoKeys(spec.user_id, spec.video_id).final()
    store.put_file(key, out)
    info = file_facts(out)
    return RenderedVideo(
        key=key,
        duration_s=info.duration_s,
        width=info.width,
        height=info.height,
        fps=info.fps,
        has_audio=True,
        size_bytes=info.size_bytes,
        loudness_lufs=made.loudness.integrated_lufs,
        loudness_standard=Loudness.STREAMING,
    )


@pytest.fixture(scope="module")
def wide(tmp_path_factory: pytest.TempPathFactory) -> tuple[VideoSpec, RenderedVideo, LocalStore]:
    """A 6 s 16:9 1080p final at -14 LUFS, in a store."""
    tmp = tmp_path_factory.mktemp("wide")
    spec, store = _spec([SECONDS], aspect="16:9"), LocalStore(tmp / "store")
    return spec, _final(spec, Resolution.P1080, store, tmp), store


def test_the_ctv_version_is_remastered_to_broadcast_loudness_and_encoded_at_its_bitrate(wide: tuple) -> None:
    spec, final, store = wide
    made = platform_version(spec, final, Platform.CTV, store, Settings())
    assert made.key == f"u/videos/vid-captions/deliverables/ctv-{SECONDS}s/final.mp4"
    assert made.mode == "reencode+remaster" and made.loudness_standard is Loudness.BROADCAST
    path = store.local_path(made.key)
    facts, loud = file_facts(path), ops.measure_loudness(path)  # on the file
    assert loud.integrated_lufs == pytest.approx(-23.0, abs=0.5)
    assert loud.true_peak_dbtp <= -2.0 and loud.max_short_term_lufs <= -18.0  # R128 s1 for ads
    assert 10_000_000 <= facts.video_bit_rate <= 40_000_000  # H.264 10-40 Mbps
    assert facts.video_bit_rate == pytest.approx(15_000_000, rel=0.05)  # at the 15 recommended
    assert facts.audio_codec == "aac" and facts.audio_bit_rate >= 192_000 and facts.sample_rate == 48_000
    assert (facts.width, facts.height) == (1920, 1080) and facts.duration_s == pytest.approx(SECONDS, abs=0.05)
    assert facts.video_frames == SECONDS * FPS and facts.faststart
    assert facts.size_bytes == made.size_bytes == path.stat().st_size
    assert facts.size_bytes > 0.9 * SECONDS * (15_000_000 + 192_000) / 8  # the bitrate is in the file


def test_the_youtube_version_is_the_final_itself_at_streaming_loudness(wide: tuple) -> None:
    spec, final, store = wide
    made = platform_version(spec, final, Platform.YOUTUBE, store, Settings())
    path = store.local_path(made.key)
    assert made.mode == "copy" and path.read_bytes() == store.local_path(final.key).read_bytes()
    loud = ops.measure_loudness(path)
    assert loud.integrated_lufs == pytest.approx(-14.0, abs=1.0) and loud.true_peak_dbtp <= -1.0
    assert file_facts(path).video_bit_rate >= 8_000_000  # YouTube's 8 Mbps at 1080p


def test_a_small_vertical_final_is_scaled_to_tiktoks_size_and_keeps_its_sound(tmp_path: Path) -> None:
    spec, store = _spec([SECONDS], aspect="9:16"), LocalStore(tmp_path / "store")
    final = _final(spec, Resolution.P720, store, tmp_path)
    made = platform_version(spec, final, Platform.TIKTOK, store, Settings())
    path = store.local_path(made.key)
    facts, loud = file_facts(path), ops.measure_loudness(path)
    assert made.mode == "reencode" and (facts.width, facts.height) == (1080, 1920)
    assert facts.video_bit_rate == pytest.approx(8_000_000, rel=0.1)  # CBR at the 8 Mbps it aims at
    assert loud.integrated_lufs == pytest.approx(final.loudness_lufs, abs=0.05)  # the sound copied


def test_a_length_or_an_aspect_the_platform_does_not_take_is_refused_before_any_work(tmp_path: Path) -> None:
    spec = _spec([20])
    final = RenderedVideo(key="nowhere.mp4", duration_s=20.0, width=1920, height=1080, fps=25, has_audio=True,
                          size_bytes=1)  # fmt: skip
    store = LocalStore(tmp_path)
    with pytest.raises(VidgenError, match="ctv takes ads of 6 or 15 or 30 s, not 20 s: make the ad, or a cutdown"):
        platform_version(spec, final, Platform.CTV, store, Settings())
    with pytest.raises(VidgenError, match="tiktok shows 9:16 video and this final is 1920x1080"):
        platform_version(spec, final, Platform.TIKTOK, store, Settings())
