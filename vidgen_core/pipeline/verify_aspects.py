"""The aspects' checks, measured on their files: each is the master's cut (frames, length, beat boundaries) at its
own delivery size."""

from __future__ import annotations

from vidgen_core.adapters.ffmpeg import measure
from vidgen_core.adapters.storage import BlobStore
from vidgen_core.domain.catalog import master_size, video_model
from vidgen_core.domain.checks import CheckName
from vidgen_core.domain.models import AspectSet, VideoSpec
from vidgen_core.pipeline.aspects import aspect_spec
from vidgen_core.pipeline.verify import Outcome, beats_on_frame


def aspect_checks(spec: VideoSpec, made: AspectSet, store: BlobStore) -> list[Outcome]:
    """``aspects_same_timing`` and ``aspects_delivery_size`` over every cut (both pass when there is none)."""
    fps = video_model(spec.video_model).fps
    frames = round(spec.duration_s * fps)
    timing: list[str] = []
    sizes: list[str] = []
    found: dict[str, object] = {"aspects": len(made.cuts), "expected_frames": frames}
    for cut in made.cuts:
        facts = measure.file_facts(store.local_path(cut.final.key))
        got_fps = float(facts.avg_frame_rate)
        if facts.video_frames != frames or abs(float(got_fps) - fps) > 1e-6:
            timing.append(f"{cut.aspect} has {facts.video_frames} frames at {got_fps:g} fps, not {frames} at {fps}")
        if abs(facts.duration_s - spec.duration_s) > 0.5 / fps:
            timing.append(f"{cut.aspect} lasts {facts.duration_s:.3f} s, not {spec.duration_s} s")
        beats = beats_on_frame(aspect_spec(spec, cut.aspect), measure.motion(store.local_path(cut.stitched.key)))
        if not beats.passed:
            timing.append(f"{cut.aspect}: {beats.description}")
        expected = master_size(cut.aspect, spec.delivery.resolution)
        if (facts.width, facts.height) != expected:
            sizes.append(f"{cut.aspect} is {facts.width}x{facts.height}, not {expected[0]}x{expected[1]}")
        found[f"{cut.variant}_frames"] = facts.video_frames if facts.video_frames is not None else "none"
        found[f"{cut.variant}_size"] = f"{facts.width}x{facts.height}"
        found[f"{cut.variant}_worst_beat_offset_frames"] = beats.metadata["worst_offset_frames"]
    fix = "; regenerate the video (`vidgen resume`) to cut its aspects again"
    return [
        Outcome(
            CheckName.ASPECTS_SAME_TIMING,
            not timing,
            "; ".join(timing) + fix if timing else "every aspect is the master's cut",
            found,
        ),
        Outcome(
            CheckName.ASPECTS_DELIVERY_SIZE,
            not sizes,
            "; ".join(sizes) + fix if sizes else "every aspect at its delivery size",
            {k: v for k, v in found.items() if k.endswith("_size")},
        ),
    ]
