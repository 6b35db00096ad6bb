"""The checks that measure, each on small files made here: one that keeps the rule passes, one that breaks it fails
and says where (the beat, the frame, the number)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from vidgen_core.adapters.ffmpeg import measure
from vidgen_core.adapters.ffmpeg.tools import ffmpeg_exe
from vidgen_core.adapters.storage.store import LocalStore
from vidgen_core.domain.catalog import Resolution
from vidgen_core.domain.checks import GATES, CheckName
from vidgen_core.domain.models import (
    Camera,
    Chunk,
    ChunkPlan,
    ChunkSet,
    Delivery,
    Energy,
    FrameSource,
    Loudness,
    Section,
    SpecBeat,
    Storyboard,
    StoryboardImage,
    Transition,
    VideoSpec,
)
from vidgen_core.pipeline import verify
from vidgen_core.pipeline.registry import PHASES

FPS = 25
SMALL = (160, 96)  # width, height of the synthetic cuts: the measure scales to fit 160 anyway
GOOD_AUDIO = ["-c:a", "aac", "-b:a", "256k", "-ar", "48000", "-ac", "2"]


def spec_of(
    beats: list[tuple[int, Transition]],
    loudness: Loudness = Loudness.STREAMING,
    resolution: Resolution = Resolution.P720,
) -> VideoSpec:
    """A plan with these beats (seconds, the transition into each), delivered at ``resolution`` and ``loudness``."""
    made, start = [], 0
    for index, (seconds, transition) in enumerate(beats):
        made.append(
            SpecBeat(
                index=index,
                beat_id=f"b{index}",
                name=f"beat {index}",
                section=Section.PRODUCT,
                start_s=start,
                duration_s=seconds,
                shot_type="wide",
                camera=Camera.PAN_LEFT,
                energy=Energy.MEDIUM,
                image_prompt="a shoe",
                motion_prompt="pan",
                transition=transition,
            )
        )
        start += seconds
    return VideoSpec(
        video_id="vid-checks",
        user_id="u",
        prompt="p",
        title="t",
        product="shoe",
        category="c",
        style="s",
        music_mood="m",
        archetype="a",
        duration_s=start,
        aspect_ratio="16:9",
        video_model="hailuo-02-fast",
        image_model="flux-dev",
        music_model="musicgen",
        seed=1,
        beats=made,
        delivery=Delivery(resolution=resolution, loudness=loudness),
    )


def chunk(index: int, beat: int, part: int, use_s: float, last_frame_key: str = "last.png") -> Chunk:
    source = FrameSource.PREVIOUS_CHUNK if part else FrameSource.STORYBOARD
    return Chunk(
        plan=ChunkPlan(index=index, beat_index=beat, part=part, clip_s=6, use_s=use_s, source=source),
        key=f"chunk{index}.mp4",
        last_frame_key=last_frame_key,
        first_frame_key="first.png",
        duration_s=6.0,
        width=SMALL[0],
        height=SMALL[1],
        fps=FPS,
        has_audio=False,
    )


def texture(seed: int, width: int = 1200) -> np.ndarray:
    """A smooth random picture, wider than the frame, so a pan over it moves every pixel a little each frame."""
    noise = np.random.default_rng(seed).uniform(0, 255, (SMALL[1], width, 3)).astype(np.float32)
    return np.clip((cv2.GaussianBlur(noise, (0, 0), 12) - 127) * 8 + 127, 0, 255).astype(np.uint8)


def pan(picture: np.ndarray, positions: Iterable[int]) -> list[np.ndarray]:
    return [picture[:, x : x + SMALL[0]] for x in positions]


def encode(path: Path, frames: list[np.ndarray]) -> Path:
    """Frames to a lossless H.264 file at FPS, through a pipe (a repeated frame stays identical)."""
    cmd = [ffmpeg_exe(), "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{SMALL[0]}x{SMALL[1]}"]
    cmd += ["-r", str(FPS), "-i", "-", "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-pix_fmt", "yuv420p"]
    subprocess.run([*cmd, str(path)], input=b"".join(f.tobytes() for f in frames), check=True)
    return path


def lavfi(path: Path, args: list[str]) -> Path:
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", *args, str(path)], check=True)
    return path


def tone(expression: str, seconds: float) -> list[str]:
    """A stereo lavfi input of ``expression`` on both channels (aevalsrc: exact amplitudes; sine's is fixed)."""
    return ["-f", "lavfi", "-i", f"aevalsrc='{expression}|{expression}':c=stereo:s=48000:d={seconds}"]


HISS = "+0.02*(random(0)*2-1)"  # a little noise, so the AAC encoder spends its bit rate on a tone
ON_TARGET = "0.2*sin(2*PI*1000*t)" + HISS  # -14 LUFS, true peak about -13 dBTP


def master(path: Path, seconds: float = 3, video: str = "", audio: list[str] | None = None) -> Path:
    """A 1280x720 25 fps master of testsrc2 tagged bt709 (setparams: the encoder's colour options alone leave
    primaries and transfer unknown), with a 1 kHz tone at -14 LUFS, +faststart; ``video`` appends filters
    (made longer by them, ``audio`` says how long), ``audio`` replaces the tone."""
    tags = "setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709"
    picture = f"testsrc2=s=1280x720:r={FPS}:d={seconds}" + (f",{video}" if video else "") + f",{tags}"
    args = ["-f", "lavfi", "-i", picture, *(audio or tone(ON_TARGET, seconds))]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", *GOOD_AUDIO]
    return lavfi(path, [*args, "-movflags", "+faststart", "-shortest"])


def final_outcomes(spec: VideoSpec, path: Path) -> dict[CheckName, verify.Outcome]:
    facts = measure.file_facts(path)
    return {o.name: o for o in verify.final_checks(spec, facts, *measure.sound_and_stills(path, facts))}


# --- the final: format, timing, loudness, still stretches


def test_a_good_master_passes_every_final_check(tmp_path: Path) -> None:
    spec = spec_of([(3, Transition.CUT)])
    outcomes = final_outcomes(spec, master(tmp_path / "good.mp4"))
    assert all(o.passed for o in outcomes.values()), [(o.name, o.description) for o in outcomes.values()]
    fmt, timing, loud = (
        outcomes[n].metadata for n in (CheckName.FILE_FORMAT, CheckName.TIMING_EXACT, CheckName.LOUDNESS_ON_TARGET)
    )
    assert (fmt["width"], fmt["height"], fmt["color_primaries"], fmt["faststart"]) == (1280, 720, "bt709", True)
    assert fmt["video_kbps"] >= fmt["min_video_kbps"] == 5000
    assert (timing["frames"], timing["expected_frames"], timing["av_offset_ms"]) == (75, 75, 0.0)
    assert loud["integrated_lufs"] == pytest.approx(-14, abs=0.5) and loud["true_peak_dbtp"] <= -1


def test_an_untagged_slow_start_file_fails_the_format_naming_each_fault(tmp_path: Path) -> None:
    """Untagged colour, moov at the end, 44.1 kHz audio at 96 kbps, and not the delivery size."""
    path = lavfi(
        tmp_path / "untagged.mp4",
        [
            *(
                "-f",
                "lavfi",
                "-i",
                f"testsrc2=s=910x512:r={FPS}:d=2",
                "-f",
                "lavfi",
                "-i",
                "sine=d=2:sample_rate=44100",
            ),
            *("-c:v", "libx264", "-preset", "ultrafast", "-b:v", "1000k", "-pix_fmt", "yuv420p"),
            *("-c:a", "aac", "-b:a", "96k"),
        ],
    )
    outcome = final_outcomes(spec_of([(2, Transition.CUT)]), path)[CheckName.FILE_FORMAT]
    assert not outcome.passed
    for fault in ("910x512, not 1280x720", "not bt709", "no +faststart", "44100", "under 192", "under 5000 at 720p"):
        assert fault in outcome.description, fault
    assert outcome.metadata["color_primaries"] == "unknown" and outcome.metadata["faststart"] is False


def test_streams_starting_a_frame_apart_fail_the_timing(tmp_path: Path) -> None:
    """The picture a frame (40 ms) after the sound, as a stream copy of clips with their own AAC leaves it (ffmpeg's mp4
    muxer writes an audio offset as an edit list that starts inside the AAC priming, so the video is offset)."""
    tags = "setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709"
    args = ["-itsoffset", "0.04", "-f", "lavfi", "-i", f"testsrc2=s=1280x720:r={FPS}:d=3,{tags}", *tone(ON_TARGET, 3)]
    path = lavfi(tmp_path / "late.mp4", [*args, "-c:v", "libx264", "-preset", "ultrafast", *GOOD_AUDIO])
    outcome = final_outcomes(spec_of([(3, Transition.CUT)]), path)[CheckName.TIMING_EXACT]
    assert not outcome.passed and "40.0 ms apart" in outcome.description
    assert outcome.metadata["video_start_ms"] == pytest.approx(40, abs=0.5)


def test_a_frame_short_fails_the_timing(tmp_path: Path) -> None:
    short = master(tmp_path / "short.mp4", video="trim=end_frame=74")
    outcome = final_outcomes(spec_of([(3, Transition.CUT)]), short)[CheckName.TIMING_EXACT]
    assert not outcome.passed and "74 frames, not 75" in outcome.description


def test_a_hot_file_fails_on_true_peak(tmp_path: Path) -> None:
    """A tone with clicks at full scale: about -14 LUFS integrated, true peak over -1 dBTP."""
    hot = tone(ON_TARGET + "+0.85*lt(mod(n\\,4800)\\,2)", 3)
    outcome = final_outcomes(spec_of([(3, Transition.CUT)]), master(tmp_path / "hot.mp4", audio=hot))[
        CheckName.LOUDNESS_ON_TARGET
    ]
    assert not outcome.passed and "true peak" in outcome.description
    assert outcome.metadata["true_peak_dbtp"] > -1.0


def test_broadcast_delivery_holds_a_streaming_master_to_ebu_r128(tmp_path: Path) -> None:
    path = master(tmp_path / "loud.mp4", seconds=5)
    streaming = final_outcomes(spec_of([(5, Transition.CUT)]), path)[CheckName.LOUDNESS_ON_TARGET]
    broadcast = final_outcomes(spec_of([(5, Transition.CUT)], Loudness.BROADCAST), path)[CheckName.LOUDNESS_ON_TARGET]
    assert streaming.passed
    assert not broadcast.passed and "not -23" in broadcast.description and "short-term" in broadcast.description
    assert broadcast.metadata["max_short_term_lufs"] == pytest.approx(-14, abs=0.5)
    quiet = master(tmp_path / "quiet.mp4", seconds=5, audio=tone("0.0708*sin(2*PI*1000*t)+0.007*(random(0)*2-1)", 5))
    assert final_outcomes(spec_of([(5, Transition.CUT)], Loudness.BROADCAST), quiet)[
        CheckName.LOUDNESS_ON_TARGET
    ].passed


def test_a_frozen_stretch_fails_naming_its_beat_but_the_end_card_hold_passes(tmp_path: Path) -> None:
    spec = spec_of([(2, Transition.CUT), (3, Transition.CUT)])
    frozen = master(tmp_path / "frozen.mp4", 3, "tpad=start_mode=clone:start_duration=2", tone(ON_TARGET, 5))
    outcome = final_outcomes(spec, frozen)[CheckName.NO_FROZEN_OR_BLACK]
    assert not outcome.passed and "frozen 0.00-2.0" in outcome.description and "in beat 0" in outcome.description
    assert "`vidgen regenerate vid-checks --beat 0`" in outcome.description
    assert outcome.metadata["longest_frozen_s"] == pytest.approx(2.0, abs=0.1)
    held = master(tmp_path / "held.mp4", 3, "tpad=stop_mode=clone:stop_duration=2", tone(ON_TARGET, 5))
    assert final_outcomes(spec, held)[CheckName.NO_FROZEN_OR_BLACK].passed  # the end card's hold


def test_a_black_stretch_fails(tmp_path: Path) -> None:
    spec = spec_of([(2, Transition.CUT), (3, Transition.CUT)])
    black = master(tmp_path / "black.mp4", 3, "tpad=start_mode=add:start_duration=2", tone(ON_TARGET, 5))
    outcome = final_outcomes(spec, black)[CheckName.NO_FROZEN_OR_BLACK]
    assert not outcome.passed and "black 0.00-2.0" in outcome.description
    assert outcome.metadata["black_stretches"] == 1


# --- the stitched cut: chained seams and beat boundaries


# One 6 s beat of two clips: a seam at frame 50, and the end card's last 2 s after it (a seam under it is not shown)
CHAINED = ChunkSet(chunks=[chunk(0, 0, 0, 2.0), chunk(1, 0, 1, 4.0)])


def seams(tmp_path: Path, positions: list[int]) -> verify.Outcome:
    path = encode(tmp_path / "seam.mp4", pan(texture(1), positions))
    return verify.seams_continuous(spec_of([(6, Transition.CUT)]), CHAINED, measure.motion(path))


def test_a_continuous_seam_passes(tmp_path: Path) -> None:
    outcome = seams(tmp_path, [2 * k for k in range(150)])
    assert outcome.passed, outcome.description
    assert outcome.metadata["seams"] == 1 and outcome.metadata["beat_0_seam_1_jump_ratio"] < 1.5
    assert outcome.metadata["beat_0_seam_1_stall_frames"] == 0


def test_a_seam_under_the_end_card_is_not_one(tmp_path: Path) -> None:
    """A 4 s beat whose seam (at 2 s) falls where the end card covers the picture: nothing to see, nothing to fix."""
    path = encode(tmp_path / "seam.mp4", pan(texture(1), [2 * k for k in range(48)] + [95] * 52))
    hidden = ChunkSet(chunks=[chunk(0, 0, 0, 2.0), chunk(1, 0, 1, 2.0)])
    outcome = verify.seams_continuous(spec_of([(4, Transition.CUT)]), hidden, measure.motion(path))
    assert outcome.passed and outcome.metadata["seams"] == 0


def test_a_repeated_frame_then_a_jump_at_the_seam_fails_naming_the_beat(tmp_path: Path) -> None:
    """The old chain: the clip eases into a standstill, its next clip repeats the frame, then the picture jumps."""
    positions = [2 * k for k in range(48)] + [95, 95, 95] + [96 + 12 + 2 * k for k in range(99)]
    outcome = seams(tmp_path, positions)
    assert not outcome.passed
    assert "beat 0's seam at 2.00 s jumps" in outcome.description and "stands still for" in outcome.description
    assert "`vidgen regenerate vid-checks --beat 0`" in outcome.description
    assert outcome.metadata["beat_0_seam_1_jump_ratio"] > 3 and outcome.metadata["beat_0_seam_1_stall_frames"] >= 2
    assert outcome.metadata["beat_0_seam_1_delta_e"] > 0


def boundary(tmp_path: Path, cut_at: int, transition: Transition, blend: int = 0) -> verify.Outcome:
    """Two 2 s beats panning over different pictures; the second's footage starts at frame ``cut_at``, blended over
    ``blend`` frames (0: a hard cut; toward black and back for a dip)."""
    first, second = pan(texture(1), range(100)), pan(texture(2), range(100))
    frames = []
    for i in range(100):
        if i < cut_at:
            frames.append(first[i])
        elif i >= cut_at + blend:
            frames.append(second[i])
        else:
            alpha = (i - cut_at + 1) / (blend + 1)
            if transition == Transition.DIP_TO_BLACK:
                source, fade = (first[i], 1 - 2 * alpha) if alpha < 0.5 else (second[i], 2 * alpha - 1)
                frames.append((source * fade).astype(np.uint8))
            else:
                frames.append((first[i] * (1 - alpha) + second[i] * alpha).astype(np.uint8))
    path = encode(tmp_path / "boundary.mp4", frames)
    return verify.beats_on_frame(spec_of([(2, Transition.CUT), (2, transition)]), measure.motion(path))


@pytest.mark.parametrize(
    ("transition", "blend"), [(Transition.CUT, 0), (Transition.CROSSFADE, 12), (Transition.DIP_TO_BLACK, 20)]
)
def test_a_beat_on_its_frame_passes(tmp_path: Path, transition: Transition, blend: int) -> None:
    outcome = boundary(tmp_path, 50, transition, blend)
    assert outcome.passed, outcome.description
    assert outcome.metadata["beat_1_offset_frames"] == 0 and outcome.metadata["beat_1_change_ratio"] > 1.5


def test_a_cut_one_frame_late_fails_naming_the_beat(tmp_path: Path) -> None:
    outcome = boundary(tmp_path, 51, Transition.CUT)
    assert not outcome.passed and "beat 1's cut is 1 frame(s) late (frame 51, not 50)" in outcome.description
    assert outcome.metadata["beat_1_offset_frames"] == 1


def test_a_crossfade_starting_late_fails(tmp_path: Path) -> None:
    outcome = boundary(tmp_path, 55, Transition.CROSSFADE, 12)
    assert not outcome.passed and "beat 1's crossfade" in outcome.description
    assert outcome.metadata["beat_1_offset_frames"] >= 4


# --- the chunks: colour drift from the beat's keyframe


def test_colour_drift_allows_a_push_in_but_names_a_beat_whose_clip_shifts_colour(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    keyframe = texture(3, width=SMALL[0] * 2)
    h, w, _ = keyframe.shape
    pushed_in = cv2.resize(keyframe[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4], (w, h))
    cast = np.clip(keyframe.astype(np.int16) + np.array([30, 0, -30]), 0, 255).astype(np.uint8)  # warmer
    for name, picture in (("key.png", keyframe), ("pushed.png", pushed_in), ("cast.png", cast)):
        Image.fromarray(picture).save(tmp_path / name)
    spec = spec_of([(2, Transition.CUT), (2, Transition.CUT)])
    board = Storyboard(
        images=[StoryboardImage(beat_index=b, key="key.png", width=w, height=h, prompt="p") for b in (0, 1)]
    )
    chunks = ChunkSet(chunks=[chunk(0, 0, 0, 2.0, "pushed.png"), chunk(1, 1, 0, 1.0), chunk(2, 1, 1, 1.0, "cast.png")])
    (tmp_path / "last.png").write_bytes((tmp_path / "key.png").read_bytes())
    outcome = verify.colour_drifts(spec, board, chunks, store)
    assert not outcome.passed
    assert "beat 1 drifts" in outcome.description and "beat 0" not in outcome.description
    assert "`vidgen regenerate vid-checks --beat 1`" in outcome.description
    assert outcome.metadata["beat_0_drift_max"] < 3 and outcome.metadata["beat_1_drift_max"] > 8


# --- where the checks live


def test_each_check_is_on_its_phase_and_only_the_gates_block() -> None:
    from vidgen_dagster.metadata import check_specs

    placed = {name: phase for phase, entry in PHASES.items() for name in entry.checks}
    assert placed.keys() == set(CheckName)
    assert {placed[n] for n in (CheckName.SEAMS_CONTINUOUS, CheckName.BEATS_ON_FRAME)} == {"stitched_video"}
    assert placed[CheckName.COLOUR_DRIFT] == "video_chunks"
    blocking = {s.name for phase in PHASES for s in check_specs(phase) if s.blocking}
    assert blocking == {g.value for g in GATES} == {"one_image_per_beat", "every_beat_covered"}
