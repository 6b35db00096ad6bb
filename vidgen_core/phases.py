"""The pipeline's phases as plain functions: spec -> storyboard -> chunks -> stitched (+ music) -> final.

Each phase writes its media under the video's keys and returns a manifest. Pieces whose inputs have not changed
(same fingerprint) are reused, so a rerun after a failure pays only for what is missing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
from pathlib import Path

from PIL import Image

from vidgen_core.catalog import frame_size, image_model, music_model, video_model
from vidgen_core.chunking import plan_chunks
from vidgen_core.media import ops
from vidgen_core.media.probe import probe
from vidgen_core.models import (
    Chunk,
    ChunkSet,
    CostLine,
    MusicTrack,
    RenderedVideo,
    Storyboard,
    StoryboardImage,
    VideoSpec,
)
from vidgen_core.progress import Progress, no_progress
from vidgen_core.providers.ports import ClipJob, ImageJob, MusicJob
from vidgen_core.providers.registry import Providers
from vidgen_core.settings import Settings
from vidgen_core.storage import BlobStore, VideoKeys
from vidgen_core.storage.journal import StoreJournal

log = logging.getLogger("vidgen.pipeline")


def keys_for(spec: VideoSpec) -> VideoKeys:
    return VideoKeys(user_id=spec.user_id, video_id=spec.video_id)


def _fingerprint(**parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _reusable(store: BlobStore, key: str, keys: VideoKeys, fingerprint: str) -> bool:
    sidecar = keys.fingerprint(key)
    return store.exists(key) and store.exists(sidecar) and store.get_bytes(sidecar).decode() == fingerprint


def make_storyboard(
    spec: VideoSpec, store: BlobStore, providers: Providers, progress: Progress = no_progress
) -> Storyboard:
    """One image per beat, from the beat's image prompt; ``progress`` hears of each finished image."""
    keys, model = keys_for(spec), image_model(spec.image_model)
    width, height = frame_size(model.short_side, spec.aspect_ratio)
    images, costs = [], []
    progress("storyboard", 0, len(spec.beats))
    with tempfile.TemporaryDirectory() as tmp:
        for beat in spec.beats:
            key = keys.storyboard(beat.index)
            job = ImageJob(
                prompt=beat.image_prompt,
                aspect=spec.aspect_ratio,
                width=width,
                height=height,
                seed=spec.seed + beat.index,
                spec=spec,
                beat=beat,
                journal=StoreJournal(store, keys.prediction(f"storyboard_beat_{beat.index:02d}")),
            )
            fingerprint = _fingerprint(
                provider=providers.images.provider,
                model=model.name,
                prompt=job.prompt,
                aspect=job.aspect,
                size=(width, height),
                seed=job.seed,
                beat=beat.beat_id,
            )
            reused = _reusable(store, key, keys, fingerprint)
            if reused:
                log.info("storyboard %d/%d: reused %s", beat.index + 1, len(spec.beats), key)
            else:
                made = providers.images.generate(job, Path(tmp) / f"beat_{beat.index:02d}.png")
                ops.conform_image(made.path, spec.aspect_ratio)  # FLUX's 1344x768 is not quite 16:9
                store.put_file(key, made.path)
                store.put_bytes(keys.fingerprint(key), fingerprint.encode())
                costs += made.costs
                log.info("storyboard %d/%d: %s (%s)", beat.index + 1, len(spec.beats), beat.name, key)
            progress("storyboard", beat.index + 1, len(spec.beats))
            with Image.open(store.local_path(key)) as img:  # what the model really made
                actual_w, actual_h = img.size
            images.append(
                StoryboardImage(
                    beat_index=beat.index,
                    key=key,
                    width=actual_w,
                    height=actual_h,
                    prompt=beat.image_prompt,
                    reused=reused,
                )
            )
    return Storyboard(images=images, costs=costs)


def make_chunks(
    spec: VideoSpec, storyboard: Storyboard, store: BlobStore, providers: Providers, progress: Progress = no_progress
) -> ChunkSet:
    """Image-to-video chunks for every beat; within a beat each chunk continues from the last one's last frame."""
    keys, model = keys_for(spec), video_model(spec.video_model)
    plans = plan_chunks(spec, model.clip_durations_s)
    chunks: list[Chunk] = []
    costs: list[CostLine] = []
    progress("chunks", 0, len(plans))
    for plan in plans:
        beat = spec.beats[plan.beat_index]
        first_key = storyboard.images[plan.beat_index].key if plan.source == "storyboard" else chunks[-1].last_frame_key
        first_frame = store.local_path(first_key)
        key, last_key = keys.chunk(plan.index), keys.chunk_last_frame(plan.index)
        job = ClipJob(
            first_frame=first_frame,
            prompt=beat.motion_prompt,
            camera=beat.camera,
            clip_s=plan.clip_s,
            model=model.name,
            aspect=spec.aspect_ratio,
            seed=spec.seed + 1000 + plan.index,
            item=f"chunk {plan.index} (beat {beat.index} {beat.beat_id})",
            journal=StoreJournal(store, keys.prediction(f"chunk_{plan.index:02d}")),
        )
        fingerprint = _fingerprint(
            provider=providers.video.provider,
            model=model.name,
            prompt=job.prompt,
            camera=job.camera,
            clip_s=job.clip_s,
            aspect=job.aspect,
            seed=job.seed,
            first_frame=_file_hash(first_frame),
        )
        reused = _reusable(store, key, keys, fingerprint) and store.exists(last_key)
        if not reused:
            with tempfile.TemporaryDirectory() as tmp:
                made = providers.video.generate(job, Path(tmp) / "chunk.mp4")
                frame = ops.last_frame(made.path, Path(tmp) / "last.png")
                store.put_file(key, made.path)
                store.put_file(last_key, frame)
                store.put_bytes(keys.fingerprint(key), fingerprint.encode())
                costs += made.costs
        progress("chunks", plan.index + 1, len(plans))
        info = probe(store.local_path(key))
        chunks.append(
            Chunk(
                plan=plan,
                key=key,
                last_frame_key=last_key,
                first_frame_key=first_key,
                duration_s=info.duration_s,
                width=info.width,
                height=info.height,
                fps=info.fps,
                has_audio=info.has_audio,
                reused=reused,
            )
        )
        log.info(
            "chunk %d/%d: beat %d take %d, %ds clip from %s%s",
            plan.index + 1,
            len(plans),
            beat.index,
            plan.take_in_beat,
            plan.clip_s,
            plan.source.replace("_", " "),
            " (reused)" if reused else "",
        )
    return ChunkSet(chunks=chunks, costs=costs)


def make_music(spec: VideoSpec, store: BlobStore, providers: Providers) -> MusicTrack:
    """A background track for the mood and length; skipped when the video model brings its own audio."""
    if video_model(spec.video_model).native_audio:
        log.info("music: skipped, %s makes its own audio", spec.video_model)
        return MusicTrack(
            key=None,
            duration_s=0.0,
            mood=spec.music_mood,
            skipped=True,
            reason=f"{spec.video_model} generates native audio",
        )
    keys, model = keys_for(spec), music_model(spec.music_model)
    job = MusicJob(
        prompt=f"{spec.music_mood} background music for a {spec.style} {spec.category} ad",
        mood=spec.music_mood,
        duration_s=spec.duration_s,
        seed=spec.seed,
        model=model.name,
        journal=StoreJournal(store, keys.prediction("music")),
    )
    with tempfile.TemporaryDirectory() as tmp:
        made = providers.music.generate(job, Path(tmp) / "music.wav")
        store.put_file(keys.music(), made.path)
    info = probe(store.local_path(keys.music()))
    log.info("music: %.1fs %s track", info.duration_s, spec.music_mood)
    return MusicTrack(key=keys.music(), duration_s=info.duration_s, mood=spec.music_mood, costs=made.costs)


def _rendered(key: str, store: BlobStore, mode: str, **extra: object) -> RenderedVideo:
    info = probe(store.local_path(key))
    return RenderedVideo(
        key=key,
        duration_s=info.duration_s,
        width=info.width,
        height=info.height,
        fps=info.fps,
        has_audio=info.has_audio,
        size_bytes=info.size_bytes,
        mode=mode,
        **extra,
    )  # type: ignore[arg-type]


def stitch_video(spec: VideoSpec, chunks: ChunkSet, store: BlobStore, settings: Settings) -> RenderedVideo:
    """Trim every chunk to what its beat needs and join them in order."""
    keys = keys_for(spec)
    segments = [ops.Segment(store.local_path(c.key), c.plan.use_s) for c in chunks.chunks]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "stitched.mp4"
        model = video_model(spec.video_model)
        mode = ops.stitch(segments, out, settings, model.size(spec.aspect_ratio), model.fps)
        store.put_file(keys.stitched(), out)
    log.info("stitched: %d chunks joined by %s", len(segments), mode)
    return _rendered(keys.stitched(), store, mode)


def finalize_video(
    spec: VideoSpec, stitched: RenderedVideo, music: MusicTrack, store: BlobStore, settings: Settings
) -> RenderedVideo:
    """Mix music (or the model's own audio), normalise loudness, and encode the delivery mp4."""
    keys = keys_for(spec)
    music_path = store.local_path(music.key) if music.key else None
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "final.mp4"
        mode = ops.finalize(store.local_path(stitched.key), music_path, out, spec.duration_s, settings)
        loudness = ops.measure_loudness(out)
        store.put_file(keys.final(), out)
    log.info("final: %s (video %s, %.1f LUFS)", keys.final(), mode, loudness)
    return _rendered(keys.final(), store, mode, loudness_lufs=round(loudness, 2))
