"""The asset graph. Each asset: fetch inputs, call the core phase, return the manifest with metadata.

video_spec -> storyboard -> video_chunks -> stitched_video -> final_video, and video_spec -> music -> final_video.
"""

import time

import dagster as dg

from vidgen_core import phases, verify
from vidgen_core.catalog import image_model, music_model, video_model
from vidgen_core.costs import list_price
from vidgen_core.media.preview import contact_sheet, video_strip, waveform
from vidgen_core.media.probe import probe
from vidgen_core.models import ChunkSet, MusicTrack, RenderedVideo, Storyboard, VideoSpec
from vidgen_dagster.failures import PROVIDER_RETRY, user_errors
from vidgen_dagster.metadata import check_results, check_specs, image_md, phase
from vidgen_dagster.partitions import videos
from vidgen_dagster.resources import SpecConfig, VidgenResource

GROUP = "video_ad"
# CHECKED_ASSETS_NOTE: assets with check_specs carry no return annotation, because Dagster reads a return
# annotation as the type of every output, the check outputs included. They return MaterializeResult[manifest].
FINAL_CHECKS = ["duration_matches_spec", "has_video_and_audio", "resolution_matches_aspect", "loudness_on_target"]


@dg.asset(partitions_def=videos, group_name=GROUP, kinds={"openai"}, pool="openai", retry_policy=PROVIDER_RETRY)
def video_spec(
    context: dg.AssetExecutionContext, config: SpecConfig, vidgen: VidgenResource
) -> dg.MaterializeResult[VideoSpec]:
    """The plan: product, style, music mood, aspect, models and the beat sequence, from the video's request."""
    started = time.perf_counter()
    request = vidgen.request_for(context.partition_key, config)
    vidgen.progress(request.video_id)("plan", 0, 1)
    planner = vidgen.providers(request.video_id).planner
    with user_errors():
        plan = planner.plan(request)
    spec = plan.spec
    beats = "\n".join(
        f"| {b.index} | {b.name} | {b.start_s}s | {b.duration_s}s | {b.shot_type} | {b.camera} |" for b in spec.beats
    )
    table = "| # | beat | start | length | shot | camera |\n|---|---|---|---|---|---|\n" + beats
    return dg.MaterializeResult(
        value=spec,
        metadata=phase(
            "plan",
            plan.costs,
            planner.provider,
            planner.model,
            started,
            list_price(spec)["plan"],
            product=spec.product,
            style=spec.style,
            music_mood=spec.music_mood,
            duration_s=spec.duration_s,
            aspect_ratio=spec.aspect_ratio,
            video_model=spec.video_model,
            beats=len(spec.beats),
            plan_notes="; ".join(spec.plan_notes) or "-",
            preview=dg.MetadataValue.md(table),
        ),
    )


@dg.asset(
    partitions_def=videos,
    group_name=GROUP,
    kinds={"replicate"},
    pool="replicate",
    retry_policy=PROVIDER_RETRY,
    check_specs=check_specs("storyboard", ["one_image_per_beat"]),
)
def storyboard(video_spec: VideoSpec, vidgen: VidgenResource):
    """One storyboard image per beat, drawn from the beat's image prompt."""
    started, store, providers = time.perf_counter(), vidgen.store(), vidgen.providers(video_spec.video_id)
    with user_errors():
        board = phases.make_storyboard(video_spec, store, providers, vidgen.progress(video_spec.video_id))
        sheet = contact_sheet([store.local_path(i.key) for i in board.images])
    return dg.MaterializeResult(
        value=board,
        metadata=phase(
            "storyboard",
            board.costs,
            providers.images.provider,
            image_model(video_spec.image_model).name,
            started,
            list_price(video_spec)["storyboard"],
            images=len(board.images),
            reused=sum(i.reused for i in board.images),
            preview=image_md(sheet, "storyboard"),
        ),
        check_results=check_results("storyboard", verify.storyboard_checks(video_spec, board, store)),
    )


@dg.asset(partitions_def=videos, group_name=GROUP, kinds={"replicate"}, pool="replicate", retry_policy=PROVIDER_RETRY)
def music(video_spec: VideoSpec, vidgen: VidgenResource) -> dg.MaterializeResult[MusicTrack]:
    """Background music for the mood and length; skipped (at zero cost) when the video model makes audio."""
    started, store, providers = time.perf_counter(), vidgen.store(), vidgen.providers(video_spec.video_id)
    vidgen.progress(video_spec.video_id)("music", 0, 1)
    with user_errors():
        track = phases.make_music(video_spec, store, providers)
        preview = image_md(waveform(store.local_path(track.key)), "waveform", "image/png") if track.key else "skipped"
    return dg.MaterializeResult(
        value=track,
        metadata=phase(
            "music",
            track.costs,
            providers.music.provider,
            music_model(video_spec.music_model).name,
            started,
            list_price(video_spec)["music"],
            skipped=track.skipped,
            reason=track.reason or "-",
            duration_s=track.duration_s,
            mood=track.mood,
            preview=preview,
        ),
    )


@dg.asset(
    partitions_def=videos,
    group_name=GROUP,
    kinds={"replicate"},
    pool="replicate",
    retry_policy=PROVIDER_RETRY,
    check_specs=check_specs("video_chunks", ["every_beat_covered"]),
)
def video_chunks(video_spec: VideoSpec, storyboard: Storyboard, vidgen: VidgenResource):
    """Image-to-video chunks: each beat from its storyboard image, later chunks from the previous last frame."""
    started, store, providers = time.perf_counter(), vidgen.store(), vidgen.providers(video_spec.video_id)
    with user_errors():
        chunks = phases.make_chunks(video_spec, storyboard, store, providers, vidgen.progress(video_spec.video_id))
        sheet = contact_sheet([store.local_path(c.last_frame_key) for c in chunks.chunks], columns=6)
    return dg.MaterializeResult(
        value=chunks,
        metadata=phase(
            "chunks",
            chunks.costs,
            providers.video.provider,
            video_model(video_spec.video_model).name,
            started,
            list_price(video_spec)["chunks"],
            chunks=len(chunks.chunks),
            reused=sum(c.reused for c in chunks.chunks),
            clip_seconds=sum(c.plan.clip_s for c in chunks.chunks),
            preview=image_md(sheet, "last frame of every chunk"),
        ),
        check_results=check_results("video_chunks", verify.chunk_checks(video_spec, chunks)),
    )


@dg.asset(partitions_def=videos, group_name=GROUP, kinds={"ffmpeg"})
def stitched_video(
    video_spec: VideoSpec, video_chunks: ChunkSet, vidgen: VidgenResource
) -> dg.MaterializeResult[RenderedVideo]:
    """The chunks trimmed to each beat's exact length and joined (stream copy where the chunks allow)."""
    started, store = time.perf_counter(), vidgen.store()
    vidgen.progress(video_spec.video_id)("stitch", 0, 1)
    with user_errors():
        video = phases.stitch_video(video_spec, video_chunks, store, vidgen.settings())
        metadata = _video_meta("stitch", video, store, started)
    return dg.MaterializeResult(value=video, metadata=metadata)


@dg.asset(
    partitions_def=videos,
    group_name=GROUP,
    kinds={"ffmpeg"},
    check_specs=check_specs("final_video", FINAL_CHECKS, blocking=False),
)
def final_video(video_spec: VideoSpec, stitched_video: RenderedVideo, music: MusicTrack, vidgen: VidgenResource):
    """The delivered ad: music mixed in at -14 LUFS, H.264 yuv420p + AAC 48 kHz, +faststart."""
    started, store, settings = time.perf_counter(), vidgen.store(), vidgen.settings()
    vidgen.progress(video_spec.video_id)("final", 0, 1)
    with user_errors():
        video = phases.finalize_video(video_spec, stitched_video, music, store, settings)
        outcomes = verify.final_checks(
            video_spec, probe(store.local_path(video.key)), video.loudness_lufs, settings.target_lufs
        )
        metadata = _video_meta("final", video, store, started, loudness_lufs=video.loudness_lufs)
    return dg.MaterializeResult(
        value=video, metadata=metadata, check_results=check_results("final_video", outcomes)
    )


def _video_meta(name: str, video: RenderedVideo, store: object, started: float, **extra: object) -> dict[str, object]:
    path = store.local_path(video.key)  # type: ignore[attr-defined]
    return phase(
        name,
        video.costs,
        "ffmpeg",
        "libx264/aac",
        started,
        0.0,
        duration_s=video.duration_s,
        width=video.width,
        height=video.height,
        size_bytes=video.size_bytes,
        mode=video.mode,
        path=dg.MetadataValue.path(str(path)),
        uri=dg.MetadataValue.url(store.uri(video.key)),  # type: ignore[attr-defined]
        preview=image_md(video_strip(path), name),
        **extra,
    )
