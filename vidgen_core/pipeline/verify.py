"""What a user would check on each phase's output, as plain functions returning check outcomes."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from vidgen_core.adapters.ffmpeg.envelope import envelope
from vidgen_core.adapters.ffmpeg.measure import FileFacts, Motion, Stills, colour_drift, image_lab
from vidgen_core.adapters.ffmpeg.ops import DELIVERY_PIX_FMT
from vidgen_core.adapters.ffmpeg.speech import off_speech
from vidgen_core.adapters.storage import BlobStore
from vidgen_core.domain.catalog import MASTER_VIDEO_KBPS, master_size
from vidgen_core.domain.checks import (
    AUDIO_CHANNELS,
    AUDIO_RATE_HZ,
    AV_START_TOLERANCE_S,
    BEAT_WINDOW_S,
    COLOUR_DRIFT_LIMIT,
    COLOUR_TAG,
    IMAGE_ASPECT_TOLERANCE,
    MIN_AUDIO_BITRATE,
    SEAM_JUMP_LIMIT,
    SEAM_WINDOW_S,
    STALL_FRACTION,
    STALL_FRAMES,
    STILL_LIMIT_S,
    CheckName,
)
from vidgen_core.domain.chunking import first_frame_source
from vidgen_core.domain.editing import END_CARD_S, TRANSITION_S
from vidgen_core.domain.models import ChunkSet, FrameSource, SpecBeat, Storyboard, Transition, VideoSpec, Voiceover
from vidgen_core.domain.script import MIN_STRETCH, line_window
from vidgen_core.domain.sound import LOUDNESS_TARGETS, LoudnessReading


@dataclass(frozen=True)
class Outcome:
    name: CheckName
    passed: bool
    description: str
    metadata: dict[str, object] = field(default_factory=dict)


def storyboard_checks(spec: VideoSpec, board: Storyboard, store: BlobStore) -> list[Outcome]:
    """One readable image per beat, in beat order."""
    problems = []
    if [i.beat_index for i in board.images] != [b.index for b in spec.beats]:
        problems.append(f"images for beats {[i.beat_index for i in board.images]}, expected {len(spec.beats)}")
    num, den = (int(p) for p in spec.aspect_ratio.split(":"))
    for image in board.images:
        try:
            with Image.open(store.local_path(image.key)) as img:
                img.load()
                ratio = img.width / img.height
                if abs(ratio - num / den) > IMAGE_ASPECT_TOLERANCE * num / den:
                    problems.append(f"{image.key} is {img.width}x{img.height}, not {spec.aspect_ratio}")
        except Exception as exc:
            problems.append(f"{image.key}: {exc}")
    return [
        Outcome(
            CheckName.ONE_IMAGE_PER_BEAT,
            not problems,
            "one storyboard image per beat",
            {"beats": len(spec.beats), "images": len(board.images), "problems": "; ".join(problems)},
        )
    ]


def chunk_checks(spec: VideoSpec, chunks: ChunkSet) -> list[Outcome]:
    """Every beat is covered exactly by its chunks, and each beat starts from its storyboard image (and re-anchors on
    it every ``CLIPS_BEFORE_REANCHOR`` clips)."""
    problems = []
    for beat in spec.beats:
        mine = [c for c in chunks.chunks if c.plan.beat_index == beat.index]
        used = sum(c.plan.use_s for c in mine)
        if abs(used - beat.duration_s) > 1e-6:
            problems.append(f"beat {beat.index} gets {used:g}s of {beat.duration_s}s")
        if not mine or mine[0].plan.source != FrameSource.STORYBOARD:
            problems.append(f"beat {beat.index} does not start from its storyboard image")
        reanchor = not spec.old_plan
        if wrong := [c.plan.index for c in mine[1:] if c.plan.source != first_frame_source(c.plan.part, reanchor)]:
            problems.append(f"beat {beat.index}: chunks {wrong} do not start where the plan says (re-anchoring)")
        for chunk in mine:
            if chunk.duration_s + 1 / max(chunk.fps, 1) < chunk.plan.use_s:
                problems.append(f"chunk {chunk.plan.index} lasts {chunk.duration_s:.2f}s, needs {chunk.plan.use_s:g}s")
    return [
        Outcome(
            CheckName.EVERY_BEAT_COVERED,
            not problems,
            "chunks cover every beat exactly",
            {"chunks": len(chunks.chunks), "problems": "; ".join(problems)},
        )
    ]


def voiceover_checks(spec: VideoSpec, voiceover: Voiceover, store: BlobStore) -> list[Outcome]:
    """Every line inside its beat's window and stretched at most ``MAX_STRETCH``; every word inside its beat and over
    speech in the line's own audio (its envelope, read from the file)."""
    fits, heard, spans = [], [], {}
    for said in voiceover.lines:
        beat = spec.beats[said.beat_index]
        start, end = line_window(spec, beat)
        played = said.speech_s * said.stretch
        spans[f"beat_{beat.index}_span_s"] = f"{said.start_s:.2f}-{said.end_s:.2f}"
        if said.start_s < start - 1e-3 or said.end_s > end + 1e-3 or abs(played - (said.end_s - said.start_s)) > 0.01:
            fits.append(
                f"beat {beat.index}'s line plays {said.start_s:.2f}-{said.end_s:.2f} s, outside {start:.2f}-{end:.2f} s"
            )
        if said.stretch < MIN_STRETCH - 1e-6:
            fits.append(f"beat {beat.index}'s line is sped up {1 / said.stretch - 1:.0%}")
        outside = [w for w in said.words if not beat.start_s - 1e-3 <= w.start_s < w.end_s <= beat.end_s + 1e-3]
        heard += [f"beat {beat.index} '{w.word}' at {w.start_s:.2f}-{w.end_s:.2f} s, outside it" for w in outside]
        in_file = [  # each word's time in the line's own audio, where its envelope is read
            w.model_copy(
                update={
                    "start_s": (w.start_s - said.start_s) / said.stretch,
                    "end_s": (w.end_s - said.start_s) / said.stretch,
                }
            )
            for w in said.words
        ]
        heard += [f"beat {beat.index} {w}" for w in off_speech(envelope(store.local_path(said.key)), in_file)]
    lines = len(voiceover.lines)
    words = sum(len(said.words) for said in voiceover.lines)
    return [
        Outcome(
            CheckName.LINES_FIT_BEATS,
            not fits,
            "every line inside its beat",
            {
                "lines": lines,
                "min_stretch": _number(min((s.stretch for s in voiceover.lines), default=None)),
                **spans,
                "problems": "; ".join(fits),
            },
        ),
        Outcome(
            CheckName.WORDS_ON_SPEECH,
            not heard,
            "every caption word over speech, inside its beat",
            {"words": words, "off_speech": len(heard), "problems": "; ".join(heard[:10])},
        ),
    ]


def _number(value: float | None, digits: int = 3) -> float | str:
    """A measured number for metadata (plotted across videos), or "none" where there is nothing to measure."""
    return round(float(value), digits) if value is not None and math.isfinite(value) else "none"


def _regenerate(spec: VideoSpec, beats: list[int]) -> str:
    """What fixes a continuity failure: a new take of each beat it names."""
    commands = ", ".join(f"`vidgen regenerate {spec.video_id} --beat {b}`" for b in sorted(set(beats)))
    return f"a new take fixes it: {commands}"


def _beat_at(spec: VideoSpec, seconds: float) -> SpecBeat:
    return next((b for b in reversed(spec.beats) if b.start_s <= seconds), spec.beats[0])


def colour_drifts(spec: VideoSpec, board: Storyboard, chunks: ChunkSet, store: BlobStore) -> Outcome:
    """Each clip's last frame against its beat's keyframe (the CIELAB ΔE of their mean colours, framing allowed for),
    so a chain of clips that slowly changes its grade, or a model that shifts colour, is caught on its beat."""
    keyframes = {image.beat_index: image_lab(store.local_path(image.key)) for image in board.images}
    metadata: dict[str, object] = {}
    drifted, worst = [], 0.0
    for beat in spec.beats:
        mine = [c for c in chunks.chunks if c.plan.beat_index == beat.index]
        if beat.index not in keyframes or not mine:
            continue
        drifts = [colour_drift(image_lab(store.local_path(c.last_frame_key)), keyframes[beat.index]) for c in mine]
        metadata[f"beat_{beat.index}_drift_max"] = _number(max(drifts), 2)
        worst = max(worst, *drifts)
        if max(drifts) > COLOUR_DRIFT_LIMIT:
            drifted.append(beat.index)
    problems = [f"beat {b} drifts ΔE {metadata[f'beat_{b}_drift_max']} from its keyframe" for b in drifted]
    description = "; ".join(problems) + f" (limit {COLOUR_DRIFT_LIMIT:g}); " + _regenerate(spec, drifted)
    return Outcome(
        CheckName.COLOUR_DRIFT,
        not drifted,
        description if drifted else "every clip keeps its beat's colour",
        {"drift_max": _number(worst, 2), "beats_drifted": len(drifted), **metadata},
    )


def _frame(seconds: float, fps: float) -> int:
    return round(seconds * fps)


def _transition_frames(beat: SpecBeat, fps: float) -> int:
    """How many frames a beat's way in lasts: its transition (beat 0: nothing before it to blend)."""
    return _frame(TRANSITION_S[beat.transition], fps) if beat.index else 0


def _seam_frames(spec: VideoSpec, chunks: ChunkSet, fps: float) -> dict[int, list[tuple[int, int]]]:
    """Per beat, its chained seams as (chunk part, master frame of the chained clip's first shown frame). A seam under
    the end card (and its fade) is not shown, so it is not one."""
    seams: dict[int, list[tuple[int, int]]] = {}
    hidden = spec.duration_s - END_CARD_S
    for beat in spec.beats:
        shown = 0.0
        for chunk in (c for c in chunks.chunks if c.plan.beat_index == beat.index):
            chained = chunk.plan.source == FrameSource.PREVIOUS_CHUNK and chunk.plan.part
            if chained and beat.start_s + shown < hidden:
                seams.setdefault(beat.index, []).append((chunk.plan.part, _frame(beat.start_s + shown, fps)))
            shown += chunk.plan.use_s
    return seams


MEDIAN_FLOOR = 0.05  # frame difference (0-255) under which a beat is taken as still, so ratios stay finite


def _steady_median(motion: Motion, spec: VideoSpec, beat: SpecBeat, skip: set[int]) -> float:
    """The beat's typical frame difference: inside it, past its way in, before the end card, seams left out."""
    fps = motion.fps
    first = _frame(beat.start_s, fps) + _transition_frames(beat, fps) + 1
    last = min(_frame(beat.end_s, fps), motion.frames, _frame(spec.duration_s - END_CARD_S, fps))
    inside = [i for i in range(first, last) if i not in skip]
    values = motion.diff[inside] if inside else motion.diff[first : _frame(beat.end_s, fps)]
    median = float(np.nanmedian(values)) if np.isfinite(values).any() else 0.0
    return max(median, MEDIAN_FLOOR)


def _longest_run(values: np.ndarray, below: float) -> int:
    longest = run = 0
    for value in values:
        run = run + 1 if value < below else 0
        longest = max(longest, run)
    return longest


def seams_continuous(spec: VideoSpec, chunks: ChunkSet, motion: Motion) -> Outcome:
    """At every chained seam: the jump (the larger frame difference entering the chained clip's first shown frame
    or the next, against the beat's median), the longest standstill near it, and its mean ΔE."""
    fps, window = motion.fps, _frame(SEAM_WINDOW_S, motion.fps)
    metadata: dict[str, object] = {}
    failed, problems, worst_jump, worst_stall, count = [], [], 0.0, 0, 0
    for beat_index, seams in _seam_frames(spec, chunks, fps).items():
        beat = spec.beats[beat_index]
        skip = {i for _, s in seams for i in (s, s + 1)}
        median = _steady_median(motion, spec, beat, skip)
        for part, seam in seams:
            if seam + 1 >= motion.frames:
                continue
            count += 1
            at = seam if motion.diff[seam] >= motion.diff[seam + 1] else seam + 1
            jump = float(motion.diff[at]) / median
            stall = _longest_run(motion.diff[max(seam - window, 1) : seam + window + 1], STALL_FRACTION * median)
            name = f"beat_{beat_index}_seam_{part}"
            metadata.update(
                {
                    f"{name}_jump_ratio": _number(jump, 2),
                    f"{name}_stall_frames": stall,
                    f"{name}_delta_e": _number(float(motion.delta_e[at]), 2),
                }
            )
            worst_jump, worst_stall = max(worst_jump, jump), max(worst_stall, stall)
            where = f"beat {beat_index}'s seam at {seam / fps:.2f} s"
            if jump > SEAM_JUMP_LIMIT:
                problems.append(f"{where} jumps {jump:.1f}x the beat's motion")
            if stall >= STALL_FRAMES:
                problems.append(f"{where} stands still for {stall} frames")
            if jump > SEAM_JUMP_LIMIT or stall >= STALL_FRAMES:
                failed.append(beat_index)
    return Outcome(
        CheckName.SEAMS_CONTINUOUS,
        not failed,
        "; ".join(problems) + "; " + _regenerate(spec, failed) if failed else "every chained seam is continuous",
        {"seams": count, "worst_jump_ratio": _number(worst_jump, 2), "longest_stall_frames": worst_stall, **metadata},
    )


TIE = 0.99  # stretches changing within 1 % of the most are as good as it


def beats_on_frame(spec: VideoSpec, motion: Motion) -> Outcome:
    """Where each beat's change begins: the start of the transition-long stretch of frames that changes most, near
    the beat's frame (a cut's spike is that stretch, one frame long). A cut must be exactly on its frame; a blend
    may show the old picture whole on its first frame, so it may begin one frame later."""
    fps, window = motion.fps, _frame(BEAT_WINDOW_S, motion.fps)
    metadata: dict[str, object] = {}
    problems, worst = [], 0
    for beat in spec.beats[1:]:
        expected, length = _frame(beat.start_s, fps), max(1, _transition_frames(beat, fps))
        starts = range(max(1, expected - window), min(motion.frames - length, expected + window) + 1)
        if not starts:
            continue
        change = {c: float(np.nansum(motion.diff[c : c + length])) for c in starts}
        best = max(change.values())  # a blend's stretch may tie with the one a frame on: the beat's frame wins ties
        onset = min((c for c, v in change.items() if v >= TIE * best), key=lambda c: abs(c - expected))
        offset = onset - expected
        before = _steady_median(motion, spec, spec.beats[beat.index - 1], set())
        metadata[f"beat_{beat.index}_offset_frames"] = offset
        metadata[f"beat_{beat.index}_change_ratio"] = _number(
            float(np.nanmax(motion.diff[onset : onset + length])) / before, 1
        )
        worst = max(worst, abs(offset))
        allowed = 0 if beat.transition == Transition.CUT else 1
        if abs(offset) > allowed:
            late = "late" if offset > 0 else "early"
            problems.append(
                f"beat {beat.index}'s {beat.transition.value.replace('_', ' ')} is {abs(offset)} frame(s) {late} "
                f"(frame {onset}, not {expected})"
            )
    return Outcome(
        CheckName.BEATS_ON_FRAME,
        not problems,
        "; ".join(problems) + "; the cut places beats off their frames" if problems else "every beat on its frame",
        {"boundaries": len(spec.beats) - 1, "worst_offset_frames": worst, **metadata},
    )


def stitched_checks(spec: VideoSpec, chunks: ChunkSet, motion: Motion) -> list[Outcome]:
    """The cut's seams and beat boundaries, measured on its decoded frames."""
    return [seams_continuous(spec, chunks, motion), beats_on_frame(spec, motion)]


def file_format(spec: VideoSpec, facts: FileFacts) -> Outcome:
    """What a platform's or buyer's ingest reads first: size, codecs, colour tags, frame rate, atom order, audio."""
    width, height = master_size(spec.aspect_ratio, spec.delivery.resolution)
    video_kbps = MASTER_VIDEO_KBPS[spec.delivery.resolution]
    tags = (facts.color_primaries, facts.color_transfer, facts.color_space)
    cfr = facts.avg_frame_rate > 0 and facts.r_frame_rate == facts.avg_frame_rate
    audio = (facts.audio_codec, facts.audio_profile, facts.sample_rate, facts.channels)
    rules = [
        ((facts.width, facts.height) == (width, height), f"{facts.width}x{facts.height}, not {width}x{height}"),
        (facts.video_codec == "h264", f"video {facts.video_codec or 'missing'}, not h264"),
        (facts.pix_fmt == DELIVERY_PIX_FMT, f"pixels {facts.pix_fmt or 'none'}, not {DELIVERY_PIX_FMT}"),
        (tags == (COLOUR_TAG,) * 3, f"colour primaries/transfer/matrix {'/'.join(tags)}, not {COLOUR_TAG}"),
        (cfr, f"frame rate {facts.r_frame_rate} but {facts.avg_frame_rate} on average (not constant)"),
        (facts.faststart, "moov after mdat (no +faststart)"),
        (
            audio == ("aac", "LC", AUDIO_RATE_HZ, AUDIO_CHANNELS),
            f"audio {' '.join(str(a) for a in audio)}, not AAC LC {AUDIO_RATE_HZ} Hz stereo",
        ),
        (
            facts.audio_bit_rate >= MIN_AUDIO_BITRATE,
            f"audio {facts.audio_bit_rate // 1000} kbps, under {MIN_AUDIO_BITRATE // 1000}",
        ),
        (
            facts.video_bit_rate >= video_kbps * 1000,
            f"video {facts.video_bit_rate // 1000} kbps, under {video_kbps} at {spec.delivery.resolution}",
        ),
    ]
    problems = [found for ok, found in rules if not ok]
    return Outcome(
        CheckName.FILE_FORMAT,
        not problems,
        "; ".join(problems) if problems else "delivery format",
        {
            "width": facts.width,
            "height": facts.height,
            "expected_width": width,
            "expected_height": height,
            "video_codec": facts.video_codec or "none",
            "video_profile": facts.video_profile or "none",
            "pix_fmt": facts.pix_fmt or "none",
            "color_primaries": facts.color_primaries,
            "color_transfer": facts.color_transfer,
            "color_space": facts.color_space,
            "color_range": facts.color_range,
            "r_frame_rate": _number(float(facts.r_frame_rate)),
            "avg_frame_rate": _number(float(facts.avg_frame_rate)),
            "faststart": facts.faststart,
            "video_kbps": round(facts.video_bit_rate / 1000, 1),
            "min_video_kbps": video_kbps,
            "audio_codec": f"{facts.audio_codec} {facts.audio_profile}".strip() or "none",
            "audio_rate_hz": facts.sample_rate,
            "audio_channels": facts.channels,
            "audio_kbps": round(facts.audio_bit_rate / 1000, 1),
        },
    )


def timing_exact(spec: VideoSpec, facts: FileFacts) -> Outcome:
    """Frames, length and stream starts: the timeline contract's duration_s x fps frames, audio with the picture."""
    fps = float(facts.avg_frame_rate)
    expected = round(spec.duration_s * fps)
    starts = (facts.video_start_s, facts.audio_start_s)
    offset = abs(starts[0] - starts[1]) if None not in starts else None  # type: ignore[operator]
    problems = []
    if facts.video_frames != expected:
        problems.append(f"{facts.video_frames if facts.video_frames is not None else 'unknown'} frames, not {expected}")
    if not fps or abs(facts.duration_s - spec.duration_s) > 0.5 / fps:
        problems.append(f"lasts {facts.duration_s:.3f} s, not {spec.duration_s} s")
    if offset is None or offset > AV_START_TOLERANCE_S:
        gap = "no audio or video start" if offset is None else f"{offset * 1000:.1f} ms apart"
        problems.append(f"video and audio start {gap}")
    return Outcome(
        CheckName.TIMING_EXACT,
        not problems,
        "; ".join(problems) if problems else "exact timing",
        {
            "frames": facts.video_frames if facts.video_frames is not None else "none",
            "expected_frames": expected,
            "duration_s": _number(facts.duration_s),
            "spec_duration_s": spec.duration_s,
            "video_start_ms": _number(starts[0] * 1000 if starts[0] is not None else None, 2),
            "audio_start_ms": _number(starts[1] * 1000 if starts[1] is not None else None, 2),
            "av_offset_ms": _number(offset * 1000 if offset is not None else None, 2),
        },
    )


def loudness_on_target(spec: VideoSpec, loud: LoudnessReading | None) -> Outcome:
    """Integrated loudness, true peak and (broadcast) max short-term, against the delivery's standard."""
    target = LOUDNESS_TARGETS[spec.delivery.loudness]
    problems = target.misses(loud) if loud is not None else ["no audio to measure"]
    metadata: dict[str, object] = {
        "standard": spec.delivery.loudness.value,
        "integrated_lufs": _number(loud.integrated_lufs if loud else None, 2),
        "true_peak_dbtp": _number(loud.true_peak_dbtp if loud else None, 2),
        "max_short_term_lufs": _number(loud.max_short_term_lufs if loud else None, 2),
        "lra_lu": _number(loud.lra_lu if loud else None, 2),
        "target_lufs": target.integrated_lufs,
        "true_peak_max_dbtp": target.true_peak_dbtp,
    }
    if target.max_short_term_lufs is not None:
        metadata["max_short_term_limit_lufs"] = target.max_short_term_lufs
    return Outcome(
        CheckName.LOUDNESS_ON_TARGET,
        not problems,
        "; ".join(problems) + f" ({spec.delivery.loudness.value} delivery)" if problems else "loudness on target",
        metadata,
    )


def no_frozen_or_black(spec: VideoSpec, stills: Stills, duration_s: float) -> Outcome:
    """Frozen and black stretches over the limit, the end card's designed hold (the last END_CARD_S) left out."""
    until = duration_s - END_CARD_S
    found: dict[str, list[tuple[float, float]]] = {"frozen": [], "black": []}
    for kind, intervals in (("frozen", stills.frozen), ("black", stills.black)):
        for interval in intervals:
            end = min(interval.end_s, until)
            if end - interval.start_s > STILL_LIMIT_S:
                found[kind].append((interval.start_s, end))
    problems, beats = [], []
    for kind, stretches in found.items():
        for start, end in stretches:
            beat = _beat_at(spec, start).index
            beats.append(beat)
            problems.append(f"{kind} {start:.2f}-{end:.2f} s in beat {beat}")
    longest = {kind: max((e - s for s, e in v), default=0.0) for kind, v in found.items()}
    return Outcome(
        CheckName.NO_FROZEN_OR_BLACK,
        not problems,
        "; ".join(problems) + "; " + _regenerate(spec, beats) if problems else "no frozen or black stretch",
        {
            "frozen_stretches": len(found["frozen"]),
            "black_stretches": len(found["black"]),
            "longest_frozen_s": _number(longest["frozen"], 2),
            "longest_black_s": _number(longest["black"], 2),
        },
    )


def final_checks(spec: VideoSpec, facts: FileFacts, loud: LoudnessReading | None, stills: Stills) -> list[Outcome]:
    """The delivered file as a buyer measures it: format, timing, loudness, still stretches."""
    return [
        file_format(spec, facts),
        timing_exact(spec, facts),
        loudness_on_target(spec, loud),
        no_frozen_or_black(spec, stills, facts.duration_s),
    ]
