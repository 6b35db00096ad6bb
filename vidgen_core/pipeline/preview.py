"""The review preview (phase ``preview``): the real storyboard images on the plan's timeline, with each beat's
camera move, the transitions, the headlines and call to action inside the safe zone and a local music bed, rendered
here in seconds. A reviewer sees the ad that the clips will be cut to before a single clip is paid for."""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path

from vidgen_core.adapters.ffmpeg import measure
from vidgen_core.adapters.ffmpeg.animatic import animatic_size, render_animatic
from vidgen_core.adapters.ffmpeg.probe import probe
from vidgen_core.adapters.local.music import synthesize
from vidgen_core.adapters.render.endcard import render_end_card
from vidgen_core.adapters.render.subtitles import ass
from vidgen_core.adapters.storage import BlobStore
from vidgen_core.domain.captions import headlines
from vidgen_core.domain.catalog import video_model
from vidgen_core.domain.checks import CheckName
from vidgen_core.domain.models import Animatic, Storyboard, VideoSpec
from vidgen_core.pipeline.phases import keys_for, music_tempo
from vidgen_core.pipeline.verify import Outcome
from vidgen_core.settings import Settings

log = logging.getLogger("vidgen.pipeline")
BED = {"audio_rate_hz": 24_000}  # the preview's music bed: half the delivery rate, half the synthesis time


def make_preview(spec: VideoSpec, board: Storyboard, store: BlobStore, settings: Settings) -> Animatic:
    """Render the animatic of ``board`` (one image per beat, in beat order) to ``VideoKeys.animatic()``: free, at
    the preview's small size and the video model's frame rate, so each beat starts on the frame its clips will."""
    started = time.perf_counter()
    key, size, fps = keys_for(spec).animatic(), animatic_size(spec.aspect_ratio), video_model(spec.video_model).fps
    images = [store.local_path(image.key) for image in sorted(board.images, key=lambda i: i.beat_index)]
    logo = store.local_path(spec.logo) if spec.logo else None
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        card = render_end_card(spec, size, folder / "end_card.png", logo)
        script = None
        if heads := headlines(spec, size):
            script = folder / "headlines.ass"
            script.write_text(ass(spec, [], heads, size), encoding="utf-8")
        bpm, bed_settings = None if spec.old_plan else music_tempo(spec), settings.model_copy(update=BED)
        bed = synthesize(spec.music_mood, spec.duration_s, spec.seed, folder / "bed.wav", bed_settings, bpm)
        out = folder / "preview.mp4"
        store.put_file(key, render_animatic(spec, images, card, script, bed, out, size, fps, settings.audio_bitrate))
    info = probe(store.local_path(key))
    render_s = round(time.perf_counter() - started, 3)
    log.info("preview: %s, %dx%d, %.1fs rendered in %.1fs", key, *size, info.duration_s, render_s)
    return Animatic(
        key=key,
        duration_s=info.duration_s,
        width=info.width,
        height=info.height,
        fps=fps,
        frames=info.video_frames or 0,
        size_bytes=info.size_bytes,
        has_audio=info.has_audio,
        render_s=render_s,
        takes={str(image.beat_index): image.take for image in board.images},
    )


def preview_checks(spec: VideoSpec, made: Animatic, path: Path) -> list[Outcome]:
    """The preview measured on its file: frames decoded (every one), its duration, size and sound."""
    facts = measure.file_facts(path)
    decoded = measure.decoded_frames(path)
    frames, size = round(spec.duration_s * made.fps), animatic_size(spec.aspect_ratio)
    problems = []
    if decoded != frames:
        problems.append(f"{decoded} frames decode, {frames} expected")
    if abs(facts.duration_s - spec.duration_s) > 1 / made.fps:
        problems.append(f"it lasts {facts.duration_s:.3f} s, not {spec.duration_s} s")
    if (facts.width, facts.height) != size:
        problems.append(f"it is {facts.width}x{facts.height}, not {size[0]}x{size[1]}")
    if not facts.audio_codec:
        problems.append("it has no music bed")
    measured = {"frames_decoded": decoded, "duration_s": round(facts.duration_s, 3), "size_bytes": facts.size_bytes}
    return [
        Outcome(
            CheckName.PREVIEW_MEASURED,
            not problems,
            "the preview has the plan's length, every frame and its music",
            {**measured, "width": facts.width, "height": facts.height, "problems": "; ".join(problems)},
        )
    ]
