"""The voiceover mix, measured on the files it writes: the voice track (each line placed, stretched with its pitch
kept, at one level), the music ducked under speech and back between lines, the final at its loudness gates, stems
that add up to what the limiter was given, and the checks that read them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import ffmpeg
import numpy as np
import pytest

from vidgen_core.adapters.ffmpeg import mix, ops
from vidgen_core.adapters.ffmpeg.envelope import WINDOW_S, envelope, level_db, rms_db
from vidgen_core.adapters.ffmpeg.probe import probe
from vidgen_core.adapters.ffmpeg.tools import ffmpeg_exe, run
from vidgen_core.adapters.local.music import LocalMusicGenerator
from vidgen_core.adapters.local.planner import LocalPlanner
from vidgen_core.adapters.local.voice import LocalSpeechGenerator
from vidgen_core.adapters.registry import build_providers
from vidgen_core.adapters.storage import LocalStore
from vidgen_core.domain.checks import (
    MUSIC_BACK_DB,
    SPEECH_COVERAGE,
    SPEECH_FLOOR_DB,
    VOICE_OVER_MUSIC_DB,
    CheckName,
)
from vidgen_core.domain.mixing import MIN_DUCK_DB, VOICE_LUFS
from vidgen_core.domain.models import Loudness, RenderedVideo, SpokenLine, Voiceover
from vidgen_core.domain.ports import MusicJob, SpeechJob
from vidgen_core.domain.sound import LOUDNESS_TARGETS
from vidgen_core.persistence.ledger import Ledger
from vidgen_core.pipeline import phases
from vidgen_core.pipeline.calls import CallCache
from vidgen_core.pipeline.requests import build_request
from vidgen_core.pipeline.verify_mix import mix_checks, speech_where_lines, voice_over_music
from vidgen_core.pipeline.voiceover import make_voiceover
from vidgen_core.settings import Settings

RATE = 48_000
SECONDS = 12.0
TEXTS = ("Meet the new Nike Pegasus, built for every mile.", "Light, fast, and ready when you are.", "Shop now.")
STARTS = (0.5, 4.3, 8.6)
STREAMING = LOUDNESS_TARGETS[Loudness.STREAMING]


@pytest.fixture(scope="module")
def spoken(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Three lines as the offline voice (Piper) says them: 22.05 kHz mono, peaks near full scale."""
    folder = tmp_path_factory.mktemp("lines")
    voice = LocalSpeechGenerator(Settings(home=folder / "vidgen"))
    return [
        voice.speak(SpeechJob(t, "", "en", "piper", f"line {k}"), folder / f"{k}.wav").path for k, t in enumerate(TEXTS)
    ]


def _placed(paths: list[Path], stretches: tuple[float, ...] = (1.0, 1.0, 1.0)) -> Voiceover:
    lines = []
    for k, (path, start, stretch) in enumerate(zip(paths, STARTS, stretches, strict=True)):
        speech_s = probe(path).duration_s
        end = round(start + speech_s * stretch, 3)
        lines.append(
            SpokenLine(
                beat_index=k,
                text=TEXTS[k],
                voice="",
                model="piper",
                key="",
                start_s=start,
                end_s=end,
                speech_s=speech_s,
                stretch=stretch,
            )
        )
    return Voiceover(lines=lines)


def _video(path: Path, seconds: float, audio: bool = False) -> Path:
    """A small H.264 picture; with ``audio``, the sound of a video model's clip (a tone over noise)."""
    cmd = [ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size=320x180:rate=25:duration={seconds}"]
    if audio:
        source = f"aevalsrc='0.2*sin(2*PI*330*t)+0.05*(random(0)*2-1)':s={RATE}:d={seconds}"
        cmd += ["-f", "lavfi", "-i", source, "-c:a", "aac", "-b:a", "192k"]
    cmd += ["-vf", "format=yuv420p", "-c:v", "libx264", "-preset", "ultrafast", str(path)]
    subprocess.run(cmd, check=True)
    return path


def _music(folder: Path, settings: Settings, mood: str = "energetic") -> Path:
    job = MusicJob(prompt="", mood=mood, duration_s=SECONDS, seed=1, model="musicgen", bpm=120.0)
    return LocalMusicGenerator(settings).generate(job, folder / "music.wav").path


def _buzz(path: Path, hz: float, seconds: float) -> Path:
    """A voiced sound of known pitch: a sawtooth at ``hz`` in four syllables a second, 22.05 kHz mono like Piper."""
    rate = 22_050
    t = np.arange(int(seconds * rate)) / rate
    saw = 2 * (t * hz % 1) - 1
    return mix.write(path, (0.3 * saw * np.sin(np.pi * 4 * t) ** 2)[:, None], rate)


def _pitch_hz(signal: np.ndarray, rate: int) -> float:
    """The strongest frequency between 70 and 300 Hz (a sawtooth's fundamental), to 0.5 Hz."""
    spectrum = np.abs(np.fft.rfft(signal * np.hanning(len(signal)), n=2 * rate))
    freqs = np.fft.rfftfreq(2 * rate, 1 / rate)
    band = (freqs > 70) & (freqs < 300)
    return float(freqs[band][np.argmax(spectrum[band])])


def _voiced_s(level: np.ndarray) -> tuple[float, float]:
    voiced = np.flatnonzero(level > SPEECH_FLOOR_DB)
    return voiced[0] * WINDOW_S, (voiced[-1] + 1) * WINDOW_S


def _line_loudness(track: Path, line: SpokenLine, folder: Path) -> float:
    part = mix.read(track, RATE)[round(line.start_s * RATE) : round(line.end_s * RATE)]
    return ops.measure_loudness(mix.write(folder / f"part{line.beat_index}.wav", part, RATE)).integrated_lufs


def test_the_voice_track_places_each_line_stretched_at_one_level(
    tmp_path: Path, settings: Settings, spoken: list[Path]
) -> None:
    """Each line starts where it is placed; a line sped up 10% plays in 90% of the time; every line is as loud as the
    others (a line 12 dB quieter is brought up); outside the lines, digital silence."""
    plain = _placed(spoken)
    fast = _placed(spoken, (1.0, 0.9, 1.0))
    track = mix.voice_track(plain, spoken, SECONDS, tmp_path / "plain.wav", settings)
    sped = mix.voice_track(fast, spoken, SECONDS, tmp_path / "fast.wav", settings)
    info = probe(sped)
    assert (info.sample_rate, info.channels, info.duration_s) == (RATE, 2, pytest.approx(SECONDS, abs=1e-3))

    level, own = envelope(track), [envelope(path) for path in spoken]
    for line, alone in zip(plain.lines, own, strict=True):
        first, last = _voiced_s(level[int(line.start_s / WINDOW_S) : int(np.ceil(line.end_s / WINDOW_S))])
        assert (first, last) == pytest.approx(_voiced_s(alone), abs=2 * WINDOW_S)  # where it was placed, whole
    before = [_line_loudness(track, line, tmp_path) for line in plain.lines]
    assert max(before) - min(before) <= 1.0
    quiet = mix.write(tmp_path / "quiet.wav", mix.read(spoken[2], RATE) * 10 ** (-12 / 20), RATE)  # another voice's
    levelled = mix.voice_track(plain, [*spoken[:2], quiet], SECONDS, tmp_path / "levelled.wav", settings)
    assert _line_loudness(levelled, plain.lines[2], tmp_path) == pytest.approx(before[2], abs=0.3)

    line, stretched = plain.lines[1], fast.lines[1]
    extent = np.diff(_voiced_s(envelope(track)[int(line.start_s / WINDOW_S) : int(line.end_s / WINDOW_S)]))[0]
    sped_extent = np.diff(
        _voiced_s(envelope(sped)[int(stretched.start_s / WINDOW_S) : int(stretched.end_s / WINDOW_S)])
    )
    assert sped_extent[0] == pytest.approx(0.9 * extent, abs=0.06)
    assert _line_loudness(sped, stretched, tmp_path) == pytest.approx(before[1], abs=0.5)

    whole = mix.read(sped, RATE)
    spans = np.zeros(len(whole), dtype=bool)
    for said in fast.lines:
        spans[round(said.start_s * RATE) : round(said.end_s * RATE)] = True
    assert not np.any(whole[~spans])
    assert ops.measure_loudness(track).integrated_lufs == pytest.approx(VOICE_LUFS, abs=0.5)


def test_a_line_shorter_than_a_loudness_block_is_levelled_and_silence_adds_nothing(
    tmp_path: Path, settings: Settings
) -> None:
    """A 0.3 s line (under ebur128's 400 ms block, which reads it as the meter's floor) plays at about the level of a
    long one, not ~50 dB over it; a silent line adds nothing to the track."""
    short, long = _buzz(tmp_path / "short.wav", 140, 0.3), _buzz(tmp_path / "long.wav", 140, 2.0)
    silent = mix.write(tmp_path / "silent.wav", np.zeros((22_050, 1)), 22_050)
    lines = [
        SpokenLine(beat_index=i, text="Hi.", voice="v", model="m", key="k", start_s=start, end_s=start + s, speech_s=s)
        for i, (start, s) in enumerate([(0.5, 0.3), (2.0, 2.0), (5.0, 1.0)])
    ]
    track = mix.voice_track(Voiceover(lines=lines), [short, long, silent], 7.0, tmp_path / "track.wav", settings)
    sound = mix.mono(mix.read(track, RATE))
    peaks = [float(np.abs(sound[round(a.start_s * RATE) : round(a.end_s * RATE)]).max()) for a in lines]
    assert 20 * np.log10(peaks[0] / peaks[1]) == pytest.approx(0.0, abs=3.0)
    assert peaks[2] == 0.0 and peaks[0] < 1.0


def test_a_sped_up_line_keeps_its_pitch(tmp_path: Path, settings: Settings) -> None:
    """A 140 Hz voiced line 10% too long for its beat plays in 90% of its time at 140 Hz (sped up by resampling it
    would sound at 155.6 Hz)."""
    buzz = _buzz(tmp_path / "buzz.wav", 140.0, 2.0)
    line = SpokenLine(
        beat_index=0, text="", voice="", model="", key="", start_s=1.0, end_s=2.8, speech_s=2.0, stretch=0.9
    )
    track = mix.read(mix.voice_track(Voiceover(lines=[line]), [buzz], 4.0, tmp_path / "v.wav", settings), RATE)
    heard = np.flatnonzero(np.abs(track[:, 0]) > 1e-4)
    assert heard[0] / RATE == pytest.approx(1.0, abs=0.01) and heard[-1] / RATE == pytest.approx(2.8, abs=0.02)
    assert _pitch_hz(mix.mono(track)[heard[0] : heard[-1]], RATE) == pytest.approx(140.0, abs=1.0)
    assert _pitch_hz(mix.read(buzz, RATE)[:, 0], RATE) == pytest.approx(140.0, abs=1.0)


def test_music_ducks_under_the_voice_and_the_final_meets_its_gates(
    tmp_path: Path, settings: Settings, spoken: list[Path]
) -> None:
    """The offline music under three Piper lines: on the stored stems the voice is over 10 dB above the music in
    every line, the duck is at least MIN_DUCK_DB deep and the music is back between lines; the encoded final is
    -14 LUFS ± 1 with a true peak under -1 dBTP; the stems, added and put through the master's limiter, are the
    final's sound (so they are what the limiter was given); speech is where the lines are and nowhere else."""
    said = _placed(spoken, (1.0, 0.92, 1.0))
    music = _music(tmp_path, settings)
    voice = mix.voice_track(said, spoken, SECONDS, tmp_path / "voice_track.wav", settings)
    out = tmp_path / "final.mp4"
    made = ops.finalize(_video(tmp_path / "cut.mp4", SECONDS), music, out, SECONDS, STREAMING, settings, voice)

    loud = ops.measure_loudness(out)
    assert loud == made.loudness and abs(loud.integrated_lufs - STREAMING.integrated_lufs) <= STREAMING.tolerance_lu
    assert loud.true_peak_dbtp <= STREAMING.true_peak_dbtp
    assert made.stems is not None
    assert (made.stems.voice.name, made.stems.music.name) == ("voice.wav", "music_mix.wav")

    ducking = voice_over_music(said.lines, made.stems.voice, made.stems.music, music)
    assert ducking.passed, ducking.description
    meta = ducking.metadata
    assert meta["min_margin_db"] >= VOICE_OVER_MUSIC_DB and meta["gaps"] == 2
    assert meta["depth_db"] >= MIN_DUCK_DB and meta["music_back_db"] >= -MUSIC_BACK_DB
    # the depth again, read plainly: the music stem over the track it came from, in a line and between lines
    stem, source = envelope(made.stems.music), envelope(music)
    middle, gap = said.lines[1], ((said.lines[0].end_s + said.lines[1].start_s) / 2 - 0.2, 0.4)
    in_line = level_db(stem, middle.start_s + 0.3, middle.end_s - 0.3) - level_db(
        source, middle.start_s + 0.3, middle.end_s - 0.3
    )
    between = level_db(stem, gap[0], gap[0] + gap[1]) - level_db(source, gap[0], gap[0] + gap[1])
    assert between - in_line >= MIN_DUCK_DB

    where = speech_where_lines(said.lines, made.stems.voice)
    assert where.passed, where.description
    assert where.metadata["coverage"] >= SPEECH_COVERAGE and where.metadata["stray_speech_s"] == 0

    stems = mix.add([made.stems.voice, made.stems.music], tmp_path / "stems.wav", RATE)
    ceiling = STREAMING.true_peak_dbtp - ops.TP_MARGIN_DB
    limited = tmp_path / "limited.wav"
    run(ops.mastered(ffmpeg.input(str(stems)).audio, 0.0, ceiling, settings).output(str(limited)), "limit")
    final, again, summed = (mix.mono(mix.read(p, RATE)) for p in (out, limited, stems))
    assert made.attempts == 1 and mix.power_db(again) == pytest.approx(mix.power_db(final), abs=0.2)
    assert mix.power_db(final - again) < mix.power_db(final) - 20  # what is left is the AAC's
    assert mix.power_db(summed) > mix.power_db(final)  # the limiter took the voice's peaks


def test_a_video_models_own_audio_is_the_bed_the_voice_ducks(
    tmp_path: Path, settings: Settings, spoken: list[Path]
) -> None:
    """No music (the model made the sound): the clips' audio is ducked under the voice the same way."""
    said = _placed(spoken)
    voice = mix.voice_track(said, spoken, SECONDS, tmp_path / "voice_track.wav", settings)
    video = _video(tmp_path / "cut.mp4", SECONDS, audio=True)
    out = tmp_path / "final.mp4"
    made = ops.finalize(video, None, out, SECONDS, STREAMING, settings, voice)
    assert made.stems is not None and made.attempts == 1
    loud = ops.measure_loudness(out)
    assert STREAMING.misses(loud) == []
    ducking = voice_over_music(said.lines, made.stems.voice, made.stems.music, video)
    assert ducking.passed, ducking.description
    assert ducking.metadata["depth_db"] >= MIN_DUCK_DB and ducking.metadata["gaps"] == 2


def test_the_duck_looks_ahead_holds_across_pauses_and_releases(tmp_path: Path, settings: Settings) -> None:
    """A steady tone under speech at 1.0-2.0 s and 2.3-3.0 s (a 0.3 s pause) and 4.0-5.0 s: the music is halfway
    down 40 ms before speech and fully down at its start, stays down through the pause, and is back 0.35 s after;
    the same depth under like speech."""
    voice = mix.write(tmp_path / "voice.wav", _tone([(1.0, 2.0), (2.3, 3.0), (4.0, 5.0)], -20), RATE)
    bed = mix.write(tmp_path / "bed.wav", _tone([(0, 7)], -26, 440.0), RATE)
    ducked = rms_db(mix.mono(mix.read(mix.duck(bed, voice, tmp_path / "ducked.wav", settings), RATE)), RATE)

    def at(seconds: float) -> float:
        return float(ducked[round(seconds / WINDOW_S)])

    unducked, depth = at(0.5), at(0.5) - at(1.5)
    assert depth >= MIN_DUCK_DB and at(4.5) == pytest.approx(at(1.5), abs=0.1)
    assert at(0.88) == pytest.approx(unducked, abs=0.3)  # untouched until the attack's 80 ms
    assert unducked - at(0.96) == pytest.approx(depth / 2, abs=1.5)  # halfway 40 ms before speech
    assert at(1.0) == pytest.approx(at(1.5), abs=0.2) == at(2.15)  # down at the first syllable, and in the pause
    assert at(3.0 + 0.36) == pytest.approx(unducked, abs=0.3) == at(3.6)  # back after the release


def test_ducking_is_deterministic(tmp_path: Path, settings: Settings, spoken: list[Path]) -> None:
    voice = mix.voice_track(_placed(spoken), spoken, SECONDS, tmp_path / "voice.wav", settings)
    music = _music(tmp_path, settings, "calm")
    first = mix.duck(music, voice, tmp_path / "a.wav", settings).read_bytes()
    assert mix.duck(music, voice, tmp_path / "b.wav", settings).read_bytes() == first


# --- the checks fail where a listener would object


def _tone(
    spans: list[tuple[float, float]], db: float, hz: float = 180.0, gain_db: np.ndarray | float = 0.0
) -> np.ndarray:
    """7 s of stereo silence with a tone in ``spans`` whose mono downmix is at ``db`` (then ``gain_db``)."""
    t = np.arange(7 * RATE) / RATE
    on = np.zeros(len(t), dtype=bool)
    for start, end in spans:
        on[int(start * RATE) : int(end * RATE)] = True
    wave = 10 ** ((db + np.asarray(gain_db)) / 20) * np.sqrt(2) * np.sin(2 * np.pi * hz * t) * on
    return np.stack([wave, wave], axis=1) * np.sqrt(0.5)


LINES = [
    SpokenLine(beat_index=0, text="a", voice="", model="m", key="", start_s=0.5, end_s=2.5, speech_s=2.0),
    SpokenLine(beat_index=1, text="b", voice="", model="m", key="", start_s=4.0, end_s=6.0, speech_s=2.0),
]


def test_music_not_ducked_fails_naming_the_lines(tmp_path: Path) -> None:
    voice = mix.write(tmp_path / "voice.wav", _tone([(0.6, 2.4), (4.1, 5.9)], -20), RATE)
    music = mix.write(tmp_path / "music.wav", _tone([(0, 7)], -25, 440.0), RATE)
    outcome = voice_over_music(LINES, voice, music, music)
    assert not outcome.passed and "beat 0's line is only 5.0 dB" in outcome.description
    assert outcome.metadata["min_margin_db"] == pytest.approx(5.0, abs=0.3)
    assert outcome.metadata["depth_db"] == pytest.approx(0.0, abs=0.2)


def test_music_that_stays_down_between_lines_fails(tmp_path: Path) -> None:
    t = np.arange(7 * RATE) / RATE
    down = np.where((t > 0.4) & (t < 6.1), -14.0, 0.0)  # ducked through the gap too
    voice = mix.write(tmp_path / "voice.wav", _tone([(0.6, 2.4), (4.1, 5.9)], -20), RATE)
    source = mix.write(tmp_path / "source.wav", _tone([(0, 7)], -25, 440.0), RATE)
    music = mix.write(tmp_path / "music.wav", _tone([(0, 7)], -25, 440.0, down), RATE)
    outcome = voice_over_music(LINES, voice, music, source)
    assert not outcome.passed and "between beats 0 and 1 the music stays 14.0 dB down" in outcome.description
    assert outcome.metadata["min_margin_db"] > VOICE_OVER_MUSIC_DB  # the voice itself is well over it
    assert outcome.metadata["depth_db"] == pytest.approx(14.0, abs=0.2)


def test_speech_outside_the_lines_or_missing_from_one_fails(tmp_path: Path) -> None:
    voice = mix.write(tmp_path / "voice.wav", _tone([(0.6, 2.4), (4.1, 4.5), (6.3, 6.8)], -20), RATE)
    outcome = speech_where_lines(LINES, voice)
    assert not outcome.passed
    assert "beat 1's line is speech over 20% of its span" in outcome.description
    assert outcome.metadata["stray_speech_s"] == pytest.approx(0.5, abs=0.04)


def test_without_a_voice_the_mix_checks_pass_saying_so(tmp_path: Path) -> None:
    video = RenderedVideo(key="k", duration_s=1, width=1, height=1, fps=25, has_audio=True, size_bytes=1)
    outcomes = mix_checks(Voiceover(skipped=True), video, tmp_path / "unused.wav", LocalStore(tmp_path))
    assert [(o.name, o.passed) for o in outcomes] == [
        (CheckName.VOICE_OVER_MUSIC, True),
        (CheckName.SPEECH_WHERE_LINES, True),
    ]


@pytest.mark.slow
def test_the_final_phase_stores_the_stems_and_its_checks_pass_on_them(settings: Settings, tmp_path: Path) -> None:
    """The phase with a real voiceover (Piper, through the call cache) and the offline music: the final, voice.wav
    and music_mix.wav stored under the video's keys, and the mix checks pass on the stored stems."""
    request = build_request("Create a 12-second Nike ad", settings, video_id="vid-mix")
    plan = LocalPlanner().plan(request).spec
    beats = [beat.model_copy(update={"line": text}) for beat, text in zip(plan.beats, TEXTS, strict=False)]
    spec = plan.model_copy(update={"beats": beats})
    store, providers = LocalStore(settings.storage_dir), build_providers(settings, request)
    calls = CallCache(store, Ledger(settings.db_url), spec.user_id, spec.video_id)
    said = make_voiceover(spec, store, providers, calls)
    track = phases.make_music(spec, store, providers, calls)
    keys = phases.keys_for(spec)
    store.put_file(keys.stitched(), _video(tmp_path / "cut.mp4", spec.duration_s))
    stitched = RenderedVideo(
        key=keys.stitched(),
        duration_s=spec.duration_s,
        width=320,
        height=180,
        fps=25,
        has_audio=False,
        size_bytes=store.size(keys.stitched()),
    )
    video = phases.finalize_video(spec, stitched, track, said, store, settings)
    assert (video.voice_key, video.music_mix_key) == (keys.voice(), keys.music_mix())
    assert probe(store.local_path(keys.voice())).duration_s == pytest.approx(spec.duration_s, abs=1e-3)
    outcomes = mix_checks(said, video, store.local_path(track.key), store)
    assert all(o.passed for o in outcomes), [o.description for o in outcomes]
    assert video.loudness_lufs == pytest.approx(-14.0, abs=0.5) and video.true_peak_dbtp <= -1.0
