"""What a user would check on each phase's output, as plain functions returning check outcomes."""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image

from vidgen_core.adapters.ffmpeg.probe import MediaInfo
from vidgen_core.adapters.storage import BlobStore
from vidgen_core.domain.checks import (
    ASPECT_TOLERANCE,
    DURATION_TOLERANCE_S,
    IMAGE_ASPECT_TOLERANCE,
    LOUDNESS_TOLERANCE_LU,
    CheckName,
)
from vidgen_core.domain.chunking import first_frame_source
from vidgen_core.domain.models import ChunkSet, FrameSource, Storyboard, VideoSpec


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
        if wrong := [c.plan.index for c in mine[1:] if c.plan.source != first_frame_source(c.plan.part)]:
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


def final_checks(spec: VideoSpec, info: MediaInfo, loudness_lufs: float | None, target_lufs: float) -> list[Outcome]:
    """Duration, streams, frame shape and loudness of the delivered file."""
    num, den = (int(p) for p in spec.aspect_ratio.split(":"))
    ratio = info.width / info.height if info.height else 0.0
    loud_ok = loudness_lufs is not None and abs(loudness_lufs - target_lufs) <= LOUDNESS_TOLERANCE_LU
    return [
        Outcome(
            CheckName.DURATION_MATCHES_SPEC,
            abs(info.duration_s - spec.duration_s) <= DURATION_TOLERANCE_S,
            f"duration within {DURATION_TOLERANCE_S}s of the spec",
            {"duration_s": info.duration_s, "spec_duration_s": spec.duration_s},
        ),
        Outcome(
            CheckName.HAS_VIDEO_AND_AUDIO,
            info.video_codec == "h264" and info.audio_codec == "aac",
            "an H.264 video stream and an AAC audio stream",
            {"video_codec": info.video_codec or "none", "audio_codec": info.audio_codec or "none"},
        ),
        Outcome(
            CheckName.RESOLUTION_MATCHES_ASPECT,
            abs(ratio - num / den) <= ASPECT_TOLERANCE * num / den,
            f"frame shape matches {spec.aspect_ratio}",
            {"width": info.width, "height": info.height, "aspect_ratio": spec.aspect_ratio},
        ),
        Outcome(
            CheckName.LOUDNESS_ON_TARGET,
            loud_ok,
            f"integrated loudness within {LOUDNESS_TOLERANCE_LU} LU of target",
            {"loudness_lufs": loudness_lufs if loudness_lufs is not None else "unmeasured", "target_lufs": target_lufs},
        ),
    ]
