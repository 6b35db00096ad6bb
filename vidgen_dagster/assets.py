"""The asset graph. Each asset: fetch inputs, call the core phase, return the manifest with metadata.

video_spec -> storyboard -> video_chunks -> stitched_video -> final_video, and video_spec -> music -> final_video.
storyboard, music and video_chunks are made by one step (``media``) so music runs beside the images and clips at no
extra process cost. Every provider call goes through the video's call cache, so re-materializing pays only for what
changed.
"""

from functools import partial

import dagster as dg

from vidgen_core.adapters.ffmpeg.preview import contact_sheet, video_strip, waveform
from vidgen_core.adapters.ffmpeg.probe import probe
from vidgen_core.domain.catalog import image_model, music_model, video_model
from vidgen_core.domain.costs import check_request_budget, estimate, list_price
from vidgen_core.domain.models import ChunkSet, MusicTrack, Phase, RenderedVideo, Storyboard, VideoSpec
from vidgen_core.pipeline import phases, verify
from vidgen_core.pipeline.batches import check_batch_budget
from vidgen_core.pipeline.videos import check_beat, check_regeneration_budget
from vidgen_core.settings import calls_in_flight
from vidgen_dagster.failures import PROVIDER_RETRY
from vidgen_dagster.metadata import check_specs, image_md, location_md, table_md
from vidgen_dagster.observe import report_request_version
from vidgen_dagster.partitions import videos
from vidgen_dagster.resources import SpecConfig, VidgenResource
from vidgen_dagster.steps import Step, content_version, step

GROUP = "video_ad"
CODE_VERSION = "2"  # bump when a phase's output for the same inputs changes
# CHECKED_ASSETS_NOTE: assets with check_specs carry no return annotation, because Dagster reads a return
# annotation as the type of every output, the check outputs included. They return MaterializeResult[manifest].
FINAL_CHECKS = ["duration_matches_spec", "has_video_and_audio", "resolution_matches_aspect", "loudness_on_target"]
ASSET = {"partitions_def": videos, "group_name": GROUP, "code_version": CODE_VERSION}


# The request and its takes (an external asset) feed the assets a take changes: the plan, images and clips.
TAKES = ["video_request"]


@dg.asset(**ASSET, deps=TAKES, pool="openai", retry_policy=PROVIDER_RETRY)  # kinds: definitions.kinds
def video_spec(
    context: dg.AssetExecutionContext, config: SpecConfig, vidgen: VidgenResource
) -> dg.MaterializeResult[VideoSpec]:
    """The plan: product, style, music mood, aspect, models and the beat sequence, with each beat's current take."""
    with step(context, vidgen, Phase.VIDEO_SPEC, lambda: vidgen.request_for(context.partition_key, config)) as s:
        request = s.request
        estimate_usd = check_request_budget(request)  # before any spend: the video's estimate against its budget
        if (batch := vidgen.batch(request)) is not None:  # and what is left of its batch's cap
            left_to_spend = max(0.0, estimate_usd - vidgen.ledger().committed(request.video_id))
            check_batch_budget(request, batch, vidgen.ledger(), left_to_spend)
        planned, plan = phases.make_plan(request, s.providers, s.calls)
        if config.regenerate_beat is not None:
            _new_take(s, planned, config, context.run.root_run_id or context.run.run_id)
        # Dagster read video_request's version when the step started; the plan names the one it was made from
        # (a launchpad take or a request stored from the launchpad changes it), so it is not stale against itself.
        reported = report_request_version(context.instance, vidgen.requests(), request.video_id)
        spec = planned.with_takes(vidgen.requests().current_takes(request.video_id))
        beats = [
            [b.index, b.take, b.name, f"{b.start_s}s", f"{b.duration_s}s", b.shot_type, b.camera] for b in spec.beats
        ]
        return s.result(
            spec,
            costs=plan.costs,
            provider=s.providers.planner.provider,
            model=s.providers.planner.model,
            version=content_version(spec.model_dump_json()),
            list_price=list_price(spec)[Phase.VIDEO_SPEC],
            reused=int(plan.reused),
            estimate_usd=round(sum(estimate(spec, request).values()), 4),
            max_cost_usd=request.max_cost_usd if request.max_cost_usd is not None else "none",
            title=request.title,  # the partition is a bare id: its title and owner are shown here
            user=request.user_id,
            brand=spec.brand,
            product=spec.product,
            style=spec.style,
            music_mood=spec.music_mood,
            duration_s=spec.duration_s,
            aspect_ratio=spec.aspect_ratio,
            video_model=spec.video_model,
            beats=len(spec.beats),
            takes=dg.MetadataValue.json({str(b.index): b.take for b in spec.beats}),
            plan_notes="; ".join(spec.plan_notes) or "-",
            preview=table_md(["beat", "take", "name", "start", "length", "shot", "camera"], beats),
            tags=reported.input_tags() if reported else None,
        )


def _new_take(s: Step, plan: VideoSpec, config: SpecConfig, root_run_id: str) -> None:
    """A launchpad regeneration: the beat's next take, once per run group (keyed by its root run), so a retried
    step, a run retry or a re-execution from the UI gets the same take back instead of paying for another."""
    beat = config.regenerate_beat
    assert beat is not None
    check_beat(plan, s.request.video_id, beat)
    budget = partial(check_regeneration_budget, plan, s.request, s.vidgen.ledger(), beat)  # a new take only
    s.vidgen.requests().new_take(
        s.request.video_id, beat, config.image_prompt, config.motion_prompt, root_run_id, check=budget
    )


def _out(description: str) -> dg.AssetOut:
    """An output of ``media``; its kind badge says who renders it in this deployment (definitions.kinds). Not
    required: a subset of ``media`` yields only the outputs it selects."""
    return dg.AssetOut(description=description, code_version=CODE_VERSION, group_name=GROUP, is_required=False)


@dg.multi_asset(
    outs={
        "storyboard": _out("One storyboard image per beat, drawn from the beat's image prompt (its current take)."),
        "music": _out(
            "Background music for the mood and length; skipped (at zero cost) when the video model makes audio."
        ),
        "video_chunks": _out(
            "Image-to-video chunks: each beat from its storyboard image, later chunks from the previous last frame."
        ),
    },
    deps=TAKES,
    internal_asset_deps={  # a take changes the images and clips, never the music
        "storyboard": {dg.AssetKey("video_spec"), dg.AssetKey("video_request")},
        "music": {dg.AssetKey("video_spec")},
        "video_chunks": {dg.AssetKey("video_spec"), dg.AssetKey("storyboard"), dg.AssetKey("video_request")},
    },
    check_specs=[
        *check_specs("storyboard", ["one_image_per_beat"]),
        *check_specs("video_chunks", ["every_beat_covered"]),
    ],
    partitions_def=videos,
    pool="replicate",
    retry_policy=PROVIDER_RETRY,
    can_subset=True,
)
def media(context: dg.AssetExecutionContext, video_spec: VideoSpec, vidgen: VidgenResource):
    """The provider-bound phases in one step, on the critical path: all images at once, then every beat's clip
    chain at once, with the music made beside them. Each asset is materialized as soon as it is ready; a subset
    (music alone, say) makes only what it selects."""
    wanted = {Phase(key.to_user_string()) for key in context.selected_asset_keys}
    with step(context, vidgen, Phase.STORYBOARD) as s:
        workers = partial(calls_in_flight, vidgen.settings())
        made_media = phases.make_media(video_spec, s.store, s.providers, s.calls, s.progress, workers, wanted)
        for made, started, checks in made_media:
            phase, result = MEDIA_RESULTS[type(made)]
            with phases.named(phase):  # a failure here (a preview) names its phase too
                done = result(s.phase_step(phase, started), video_spec, made, checks)
            yield done


def _storyboard_result(
    s: Step, spec: VideoSpec, board: Storyboard, checks: list[verify.Outcome]
) -> dg.MaterializeResult:
    rows = [[i.beat_index, i.take, i.prompt[:80], f"${i.cost_usd:.4f}", i.reused] for i in board.images]
    return s.result(
        board,
        costs=board.costs,
        provider=s.providers.images.provider,
        model=image_model(spec.image_model).name,
        version=content_version(*(i.cache_key for i in board.images)),
        list_price=list_price(spec)[Phase.STORYBOARD],
        checks=checks,
        images=len(board.images),
        reused=sum(i.reused for i in board.images),
        beats=table_md(["beat", "take", "image prompt", "cost", "reused"], rows),
        preview=image_md(contact_sheet([s.store.local_path(i.key) for i in board.images]), "storyboard"),
    )


def _music_result(s: Step, spec: VideoSpec, track: MusicTrack, checks: list[verify.Outcome]) -> dg.MaterializeResult:
    wave = image_md(waveform(s.store.local_path(track.key)), "waveform", "image/png") if track.key else "skipped"
    return s.result(
        track,
        costs=track.costs,
        provider=s.providers.music.provider,
        model=music_model(spec.music_model).name,
        version=content_version(track.cache_key or f"skipped:{spec.video_model}"),
        list_price=list_price(spec)[Phase.MUSIC],
        checks=checks,
        reused=int(track.reused),
        skipped=track.skipped,
        reason=track.reason or "-",
        duration_s=track.duration_s,
        mood=track.mood,
        preview=wave,
    )


def _chunks_result(s: Step, spec: VideoSpec, chunks: ChunkSet, checks: list[verify.Outcome]) -> dg.MaterializeResult:
    rows = [
        [c.plan.index, c.plan.beat_index, c.take, c.plan.part, f"{c.plan.clip_s}s", f"${c.cost_usd:.4f}", c.reused]
        for c in chunks.chunks
    ]
    sheet = contact_sheet([s.store.local_path(c.last_frame_key) for c in chunks.chunks], columns=6)
    return s.result(
        chunks,
        costs=chunks.costs,
        provider=s.providers.video.provider,
        model=video_model(spec.video_model).name,
        version=content_version(*(c.cache_key for c in chunks.chunks)),
        list_price=list_price(spec)[Phase.VIDEO_CHUNKS],
        checks=checks,
        chunks=len(chunks.chunks),
        reused=sum(c.reused for c in chunks.chunks),
        clip_seconds=sum(c.plan.clip_s for c in chunks.chunks),
        beats=table_md(["chunk", "beat", "take", "part", "clip", "cost", "reused"], rows),
        preview=image_md(sheet, "last frame of every chunk"),
    )


MEDIA_RESULTS = {
    Storyboard: (Phase.STORYBOARD, _storyboard_result),
    MusicTrack: (Phase.MUSIC, _music_result),
    ChunkSet: (Phase.VIDEO_CHUNKS, _chunks_result),
}


@dg.asset(**ASSET, kinds={"ffmpeg"})
def stitched_video(
    context: dg.AssetExecutionContext, video_spec: VideoSpec, video_chunks: ChunkSet, vidgen: VidgenResource
) -> dg.MaterializeResult[RenderedVideo]:
    """The chunks trimmed to each beat's exact length and joined (stream copy where the chunks allow)."""
    with step(context, vidgen, Phase.STITCHED_VIDEO) as s:
        video = phases.stitch_video(video_spec, video_chunks, s.store, vidgen.settings())
        parts = [f"{c.cache_key}:{c.plan.use_s}" for c in video_chunks.chunks]
        return _video_result(s, video, content_version(*parts))


@dg.asset(**ASSET, kinds={"ffmpeg"}, check_specs=check_specs("final_video", FINAL_CHECKS, blocking=False))
def final_video(
    context: dg.AssetExecutionContext,
    video_spec: VideoSpec,
    stitched_video: RenderedVideo,
    music: MusicTrack,
    vidgen: VidgenResource,
):
    """The delivered ad: music mixed in at -14 LUFS, H.264 yuv420p + AAC 48 kHz, +faststart."""
    with step(context, vidgen, Phase.FINAL_VIDEO) as s:
        settings = vidgen.settings()
        video = phases.finalize_video(video_spec, stitched_video, music, s.store, settings)
        info = probe(s.store.local_path(video.key))
        checks = verify.final_checks(video_spec, info, video.loudness_lufs, settings.target_lufs)
        version = content_version(stitched_video.key, stitched_video.size_bytes, music.cache_key, video_spec.duration_s)
        spent = vidgen.ledger().spent(video_spec.video_id)
        return _video_result(s, video, version, checks, loudness_lufs=video.loudness_lufs, video_spent_usd=spent)


def _video_result(s: Step, video: RenderedVideo, version: str, checks: list | None = None, **extra: object):
    path = s.store.local_path(video.key)
    return s.result(
        video,
        costs=video.costs,
        provider="ffmpeg",
        model="libx264/aac",
        version=version,
        list_price=0.0,
        checks=checks,
        duration_s=video.duration_s,
        width=video.width,
        height=video.height,
        size_bytes=video.size_bytes,
        mode=video.mode,
        **location_md(s.store, video.key),
        preview=image_md(video_strip(path), s.phase.value),
        **extra,
    )
