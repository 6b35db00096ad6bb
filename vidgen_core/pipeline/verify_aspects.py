"""The aspects' checks, measured on their files: each is the master's cut (frames, length, beat boundaries) at its
own delivery size."""

from __future__ import annotations

from vidgen_core.adapters.ffmpeg import measure
from vidgen_core.adapters.storage import BlobStore
from vidgen_core.domain.catalog import master_size, video_model
from vidgen_core.domain.checks import CheckName
from vidgen_core.domain.models import AspectSet, Transition, VideoSpec
from vidgen_core.pipeline.aspects import aspect_spec
from vidgen_core.pipeline.verify import Outcome, beats_on_frame


def _off_frame(spec: VideoSpec, found: dict[str, object]) -> list[int]:
    """The beats ``beats_on_frame`` found off their frame (a cut on it exactly, a blend within one frame)."""
    return [
        b.index
        for b in spec.beats[1:]
        if abs(int(found.get(f"beat_{b.index}_offset_frames", 0))) > (0 if b.transition == Transition.CUT else 1)
    ]


def _only(spec: VideoSpec, aspect: str) -> str:
    """A native aspect's beat is taken again in that aspect alone; a reframed one follows the master's takes."""
    return "" if spec.campaign.reframe else f" --aspect {aspect}"


def aspect_checks(spec: VideoSpec, made: AspectSet, store: BlobStore) -> list[Outcome]:
    """``aspects_same_timing`` and ``aspects_delivery_size`` over every cut (both pass when there is none)."""
    fps = video_model(spec.video_model).fps
    frames = round(spec.duration_s * fps)
    timing: list[str] = []
    sizes: list[str] = []
    late: set[tuple[int, str]] = set()  # beats off their frame, by aspect (a new take fixes them)
    miscut = False  # wrong frames or length: cutting again fixes it
    found: dict[str, object] = {"aspects": len(made.cuts), "expected_frames": frames}
    for cut in made.cuts:
        facts = measure.file_facts(store.local_path(cut.final.key))
        got_fps = float(facts.avg_frame_rate)
        if facts.video_frames != frames or abs(float(got_fps) - fps) > 1e-6:
            miscut = True
            timing.append(f"{cut.aspect} has {facts.video_frames} frames at {got_fps:g} fps, not {frames} at {fps}")
        if abs(facts.duration_s - spec.duration_s) > 0.5 / fps:
            miscut = True
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
        late.update((b, cut.aspect) for b in _off_frame(spec, beats.metadata))
    recut = (
        f"; cut the aspects again (they reuse every picture paid for): materialize the aspects asset of partition "
        f"{spec.video_id} in the Dagster UI"
    )
    retake = ", ".join(f"`vidgen regenerate {spec.video_id} --beat {b}{_only(spec, a)}`" for b, a in sorted(late))
    timing_fix = (f"; a new take of each beat off its frame fixes it: {retake}" if late else "") + (
        recut if miscut else ""
    )
    return [
        Outcome(
            CheckName.ASPECTS_SAME_TIMING,
            not timing,
            "; ".join(timing) + timing_fix if timing else "every aspect is the master's cut",
            found,
        ),
        Outcome(
            CheckName.ASPECTS_DELIVERY_SIZE,
            not sizes,
            "; ".join(sizes) + recut if sizes else "every aspect at its delivery size",
            {k: v for k, v in found.items() if k.endswith("_size")},
        ),
    ]
