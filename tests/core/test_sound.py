"""Sound of the final file: loudness per standard measured on the encoded file, AAC and A/V hygiene by ffprobe,
music that ends on the tonic, a model's music cut on a bar, and the tempo fitted to the cut."""

from __future__ import annotations

import itertools
import subprocess
import wave
from dataclasses import replace
from pathlib import Path

import ffmpeg
import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from vidgen_core.adapters.ffmpeg import ops
from vidgen_core.adapters.ffmpeg.tools import ffmpeg_exe, ffprobe_exe
from vidgen_core.adapters.local.music import GROOVES, LocalMusicGenerator, final_downbeat_s
from vidgen_core.adapters.local.planner import LocalPlanner
from vidgen_core.adapters.registry import build_providers
from vidgen_core.adapters.storage import LocalStore
from vidgen_core.domain.catalog import VIDEO_MODELS
from vidgen_core.domain.models import Loudness
from vidgen_core.domain.ports import Generated, MusicGenerator, MusicJob
from vidgen_core.domain.sound import LOUDNESS_TARGETS
from vidgen_core.domain.tempo import MOOD_BPM, TEMPO_SPREAD, bar_s, fit_bpm, off_grid_s
from vidgen_core.persistence.ledger import Ledger
from vidgen_core.pipeline.calls import CallCache
from vidgen_core.pipeline.phases import make_music, music_tempo
from vidgen_core.pipeline.requests import build_request
from vidgen_core.settings import Settings

RATE = 48_000
FPS = 25


def _video(path: Path, seconds: float, video_delay_s: float = 0.0) -> Path:
    """A small H.264 picture tagged bt709, with AAC audio; its video may start ``video_delay_s`` after the audio
    (as a concat of clips with their own AAC leaves it)."""
    cmd = [ffmpeg_exe(), "-v", "error", "-y"]
    if video_delay_s:
        cmd += ["-itsoffset", str(video_delay_s)]
    cmd += ["-f", "lavfi", "-i", f"testsrc2=size=320x180:rate={FPS}:duration={seconds}"]
    cmd += ["-f", "lavfi", "-i", f"sine=frequency=330:sample_rate={RATE}:duration={seconds}"]
    cmd += ["-vf", "format=yuv420p,setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709"]
    cmd += ["-c:v", "libx264", "-preset", "ultrafast", "-bf", "0", "-c:a", "aac"]
    subprocess.run([*cmd, str(path)], check=True)
    return path


def _wav(path: Path, samples: np.ndarray, rate: int = RATE) -> Path:
    stereo = np.stack([samples, samples], axis=1) if samples.ndim == 1 else samples
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((np.clip(stereo, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def _decoded(path: Path) -> np.ndarray:
    """The file's audio as mono float samples at 48 kHz, as a player decodes it (edit list applied)."""
    raw, _ = (
        ffmpeg.input(str(path))
        .audio.output("-", format="f32le", ac=1, ar=RATE)
        .run(cmd=ffmpeg_exe(), capture_stdout=True, capture_stderr=True)
    )
    return np.frombuffer(raw, dtype="<f4")


def _streams(path: Path) -> dict[str, dict]:
    data = ffmpeg.probe(str(path), cmd=ffprobe_exe(), show_entries="stream:stream_tags")
    return {s["codec_type"]: s for s in data["streams"]}


def _db(samples: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(np.square(samples))) + 1e-12))


def _music(tmp: Path, settings: Settings, mood: str, seconds: float, bpm: float | None = None) -> Path:
    job = MusicJob(prompt="", mood=mood, duration_s=seconds, seed=1, model="musicgen", bpm=bpm)
    return LocalMusicGenerator(settings).generate(job, tmp / f"{mood}.wav").path


@pytest.mark.parametrize("standard", list(Loudness))
def test_final_meets_its_loudness_standard_on_the_encoded_file(
    tmp_path: Path, settings: Settings, standard: Loudness
) -> None:
    target = LOUDNESS_TARGETS[standard]
    video = _video(tmp_path / "cut.mp4", 8)
    out = tmp_path / "final.mp4"
    made = ops.finalize(video, _music(tmp_path, settings, "energetic", 8), out, 8.0, target, settings)
    measured = ops.measure_loudness(out)  # ebur128=peak=true on the delivered file
    assert measured == made.loudness and made.attempts == 1
    assert abs(measured.integrated_lufs - target.integrated_lufs) <= target.tolerance_lu / 2
    assert measured.true_peak_dbtp <= target.true_peak_dbtp
    if target.max_short_term_lufs is not None:
        assert measured.max_short_term_lufs <= target.max_short_term_lufs
    assert target.misses(measured) == []


def test_a_hot_source_is_encoded_again_with_more_headroom(tmp_path: Path, settings: Settings) -> None:
    """Full-scale noise bursts over a quiet tone: limited to -1.3 dBTP, the AAC puts its peaks over -1 dBTP, so a
    second encode with a lower ceiling is needed to meet the standard."""
    t = np.arange(6 * RATE) / RATE
    noise = np.sign(np.random.default_rng(7).standard_normal(len(t)))
    bursts = np.where(np.arange(len(t)) % 6000 < 48, 1.0, 0.0) * noise  # 1 ms every 125 ms
    source = _wav(tmp_path / "hot.wav", 0.1 * np.sin(2 * np.pi * 440 * t) + bursts)
    target = LOUDNESS_TARGETS[Loudness.STREAMING]
    out = tmp_path / "final.mp4"
    made = ops.finalize(_video(tmp_path / "cut.mp4", 6), source, out, 6.0, target, settings)
    measured = ops.measure_loudness(out)
    assert made.attempts >= 2 and measured == made.loudness
    assert measured.true_peak_dbtp <= -1.0 and abs(measured.integrated_lufs + 14) <= 1.0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.mp4", "final.mp4", "hot.wav"]  # no attempt left over


def test_final_file_hygiene(tmp_path: Path, settings: Settings) -> None:
    """AAC-LC 48 kHz stereo >= 192 kbps; video and audio start together at 0 (the AAC priming in an edit list), even
    when the cut's video starts a frame late; both exactly as long as asked; the video copied with its tags; the index
    first; and a click in the music is heard at its time (the limiter's delay compensated)."""
    cut = _video(tmp_path / "cut.mp4", 7, video_delay_s=1 / FPS)
    assert float(_streams(cut)["video"]["start_time"]) == pytest.approx(1 / FPS, abs=1e-3)
    t = np.arange(7 * RATE) / RATE
    music = 0.2 * np.sin(2 * np.pi * 220 * t)
    music[2 * RATE : 2 * RATE + 24] = 0.9  # a click at exactly 2.000 s
    out = tmp_path / "final.mp4"
    made = ops.finalize(cut, _wav(tmp_path / "m.wav", music), out, 6.0, LOUDNESS_TARGETS[Loudness.STREAMING], settings)
    assert made.mode == "copy"
    streams = _streams(out)
    audio, video = streams["audio"], streams["video"]
    assert (audio["codec_name"], audio["profile"], audio["sample_rate"], audio["channels"]) == ("aac", "LC", "48000", 2)
    assert int(audio["bit_rate"]) >= 192_000
    assert abs(float(audio["start_time"]) - float(video["start_time"])) <= 0.005
    assert float(video["start_time"]) == pytest.approx(0.0, abs=0.005)
    first = ffmpeg.probe(
        str(out), cmd=ffprobe_exe(), select_streams="a", show_entries="packet=pts", read_intervals="%+#1"
    )
    assert int(first["packets"][0]["pts"]) == -1024  # the encoder's priming, cut by the edit list, not played
    assert float(audio["duration"]) == pytest.approx(6.0, abs=0.001)
    assert float(video["duration"]) == pytest.approx(6.0, abs=0.001) and int(video["nb_frames"]) == 6 * FPS
    assert (video["color_primaries"], video["color_transfer"], video["color_space"]) == ("bt709",) * 3
    data = out.read_bytes()
    assert data.find(b"moov") < data.find(b"mdat")  # +faststart
    heard = _decoded(out)
    assert len(heard) == 6 * RATE
    window = heard[int(1.9 * RATE) : int(2.1 * RATE)]
    assert (np.argmax(np.abs(window)) + int(1.9 * RATE)) / RATE == pytest.approx(2.0, abs=0.002)


def test_a_models_own_audio_joined_from_clips_lasts_as_long_as_the_picture(tmp_path: Path, settings: Settings) -> None:
    """Clips with their own AAC joined by stream copy: the audio overlaps at each seam by the AAC priming and the
    video starts 21 ms late. The final's audio still starts with the picture and lasts exactly as long."""
    listing = tmp_path / "clips.ffconcat"  # joined as the stitch once joined them (the cut now decodes them)
    clips = [_video(tmp_path / f"clip{k}.mp4", 2) for k in range(3)]
    listing.write_text("ffconcat version 1.0\n" + "".join(f"file '{clip}'\n" for clip in clips))
    cut = tmp_path / "cut.mp4"
    ffmpeg.input(str(listing), format="concat", safe=0).output(str(cut), c="copy").run(
        cmd=ffmpeg_exe(), quiet=True, overwrite_output=True
    )
    assert float(_streams(cut)["video"]["start_time"]) > 0.02  # the join's own offset
    out = tmp_path / "final.mp4"
    made = ops.finalize(cut, None, out, 6.0, LOUDNESS_TARGETS[Loudness.BROADCAST], settings)
    audio, video = _streams(out)["audio"], _streams(out)["video"]
    assert float(audio["start_time"]) == float(video["start_time"]) == 0.0
    assert float(audio["duration"]) == pytest.approx(6.0, abs=0.001) == float(video["duration"])
    assert len(_decoded(out)) == 6 * RATE and made.loudness.integrated_lufs == pytest.approx(-23.0, abs=0.25)


def test_offline_music_ends_on_the_tonic_and_rings_out(tmp_path: Path, settings: Settings) -> None:
    """The last downbeat strikes the tonic (the bass's pitch), which decays to near silence at the end; the bar
    before it plays at full level (no fade in mid-phrase), and the final keeps that ending."""
    mood, seconds, bpm = "dramatic", 10.0, 120.0
    music = _music(tmp_path, settings, mood, seconds, bpm)
    samples = _decoded(music)
    assert len(samples) == int(seconds * RATE)
    ending = final_downbeat_s(seconds, bpm)
    assert ending == 8.0  # a bar line, leaving a bar (2 s) to ring
    strike = samples[int(ending * RATE) : int((ending + 0.25) * RATE)]
    before = samples[int((ending - bar_s(bpm)) * RATE) : int(ending * RATE)]
    assert _db(before) > _db(samples) - 3  # the last bar of the groove is not faded
    levels = [_db(samples[int(s * RATE) : int((s + 0.25) * RATE)]) for s in np.arange(ending, seconds - 0.2, 0.25)]
    assert all(b < a for a, b in itertools.pairwise(levels))  # it decays all the way
    assert _db(samples[-int(0.1 * RATE) :]) < _db(strike) - 40
    chord = samples[int((ending + 0.2) * RATE) : int((ending + 1.2) * RATE)] * np.hanning(RATE)
    freqs, spectrum = np.fft.rfftfreq(len(chord), 1 / RATE), np.abs(np.fft.rfft(chord))
    band = (freqs > 40) & (freqs < 300)
    tonic = 440.0 * 2 ** ((GROOVES[mood].root_midi - 12 - 69) / 12)
    assert freqs[band][np.argmax(spectrum[band])] == pytest.approx(tonic, rel=0.02)

    out = tmp_path / "final.mp4"
    ops.finalize(_video(tmp_path / "cut.mp4", 10), music, out, seconds, LOUDNESS_TARGETS[Loudness.STREAMING], settings)
    final = _decoded(out)
    assert _db(final[int((ending - 1) * RATE) : int(ending * RATE)]) > _db(final) - 3  # no fade before the ending
    assert _db(final[-int(0.1 * RATE) :]) < _db(final[int(ending * RATE) : int((ending + 0.25) * RATE)]) - 40


def test_model_music_is_cut_on_a_bar_and_faded_over_it(tmp_path: Path) -> None:
    """10 s of a model's music for a 9 s video at 100 bpm (2.4 s bars): it ends on the bar line at 7.2 s, fading
    over 4.8-7.2 s, then silence to 9 s."""
    t = np.arange(10 * 32_000) / 32_000
    raw = _wav(tmp_path / "raw.wav", 0.5 * np.sin(2 * np.pi * 220 * t), rate=32_000)
    samples = _decoded(ops.end_on_bar(raw, tmp_path / "music.wav", 9.0, 100.0))
    assert len(samples) == pytest.approx(9 * RATE, abs=RATE // 1000)
    full = _db(samples[int(4.0 * RATE) : int(4.8 * RATE)])
    fading = [_db(samples[int(s * RATE) : int((s + 0.2) * RATE)]) for s in (4.8, 5.6, 6.4, 7.0)]
    assert fading[0] > full - 1 and all(b < a - 1 for a, b in itertools.pairwise(fading))  # over the last bar
    assert fading[-1] < full - 12
    assert np.max(np.abs(samples[int(7.21 * RATE) :])) < 1e-3  # and nothing after it


def test_tempo_fits_examples() -> None:
    assert fit_bpm(128, [0, 3, 8, 14, 22, 27], 30, FPS) == 120.0  # whole seconds: 120 bpm, the end on a bar
    assert fit_bpm(128, [0, 5, 10], 15, FPS) == 144.0  # +12.5 %: every 5 s is 12 beats, 15 s is 9 bars
    assert fit_bpm(100, [0, 6, 12, 18, 24], 30, FPS) == 100.0  # the mood's own tempo when it fits
    assert fit_bpm(80, [0, 3, 8, 14, 22, 27], 30, FPS) == 60.0  # nothing within 15 %: the nearest that fits


@hsettings(max_examples=150, deadline=None)
@given(
    mood=st.sampled_from(sorted(MOOD_BPM)),
    duration=st.integers(5, 120),
    cuts=st.lists(st.floats(0.01, 0.99), max_size=12),
    fps=st.sampled_from([24.0, 25.0, 30.0]),
)
def test_every_beat_boundary_falls_on_the_fitted_grid(mood: str, duration: int, cuts: list, fps: float) -> None:
    boundaries = sorted({0, *(max(1, min(duration - 1, round(c * duration))) for c in cuts)})
    bpm = fit_bpm(MOOD_BPM[mood], boundaries, duration, fps)
    assert np.all(off_grid_s(bpm, boundaries) <= 1 / fps)  # every cut within a frame of a beat
    assert MOOD_BPM[mood] / 2 <= bpm <= MOOD_BPM[mood] * 2
    if abs(120 / MOOD_BPM[mood] - 1) <= TEMPO_SPREAD:  # 120 bpm always fits whole seconds: then it stays close
        assert abs(bpm / MOOD_BPM[mood] - 1) <= TEMPO_SPREAD + 1e-9


class Recording:
    """A music generator that keeps the jobs asked of it."""

    def __init__(self, inner: MusicGenerator) -> None:
        self.inner, self.provider, self.jobs = inner, inner.provider, []

    def generate(self, job: MusicJob, out: Path) -> Generated:
        self.jobs.append(job)
        return self.inner.generate(job, out)


def test_music_phase_plays_at_the_tempo_fitted_to_the_cut(settings: Settings) -> None:
    request = build_request("Create a 30-second Nike ad", settings, video_id="vid-tempo")
    spec = LocalPlanner().plan(request).spec
    store = LocalStore(settings.storage_dir)
    providers = build_providers(settings, request)
    music = Recording(providers.music)
    calls = CallCache(store, Ledger(settings.db_url), spec.user_id, spec.video_id)
    track = make_music(spec, store, replace(providers, music=music), calls)
    fps = VIDEO_MODELS[spec.video_model].fps
    assert track.bpm == music_tempo(spec) == music.jobs[0].bpm
    assert f"{track.bpm:.0f} bpm" in music.jobs[0].prompt  # what a model is asked for
    assert np.all(off_grid_s(track.bpm, [b.start_s for b in spec.beats]) <= 1 / fps)
