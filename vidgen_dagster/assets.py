"""The asset graph. Each asset: fetch inputs, call the core phase, return the manifest with metadata.

video_spec -> storyboard -> video_chunks -> stitched_video -> final_video, and video_spec -> music, voiceover ->
final_video. storyboard, music, voiceover and video_chunks are made by one step (``media``) so the sound runs beside
the images and clips at no extra process cost. Every provider call goes through the video's call cache, so
re-materializing pays only for what changed.
"""

from collections.abc import Callable
from functools import partial
from typing import Any

import dagster as dg

from vidgen_core.adapters.ffmpeg import measure
from vidgen_core.adapters.registry import paid_provider
from vidgen_core.domain.catalog import Kind
from vidgen_core.domain.costs import check_request_budget, estimate
from vidgen_core.domain.models import (
    AspectSet,
    ChunkSet,
    MusicTrack,
    Phase,
    RenderedVideo,
    Storyboard,
    VideoSpec,
    Voiceover,
)
from vidgen_core.pipeline import phases, verify
from vidgen_core.pipeline.aspects import make_aspects
from vidgen_core.pipeline.batches import check_batch_budget
from vidgen_core.pipeline.deliverables import make_deliverables
from vidgen_core.pipeline.preview import make_preview, preview_checks
from vidgen_core.pipeline.registry import Source
from vidgen_core.pipeline.takes import check_approval_budget, regenerate_beat, regenerate_line, wants_line_take
from vidgen_core.pipeline.uploads import reference_keys
from vidgen_core.pipeline.verify_aspects import aspect_checks
from vidgen_core.pipeline.verify_captions import captions_checked
from vidgen_core.pipeline.verify_deliverables import deliverables_checks
from vidgen_core.pipeline.verify_mix import mix_checks
from vidgen_core.pipeline.voiceover import placed
from vidgen_core.settings import calls_in_flight, get_settings
from vidgen_dagster.failures import PROVIDER_RETRY
from vidgen_dagster.metadata import check_specs
from vidgen_dagster.observe import report_request_version
from vidgen_dagster.partitions import videos
from vidgen_dagster.resources import DatabaseResource, FfmpegResource, ProvidersResource, SpecConfig, StoreResource
from vidgen_dagster.steps import Step, content_version, step

GROUP = "video_ad"
CODE_VERSION = "2"  # bump when a phase's output for the same inputs changes
# CHECKED_ASSETS_NOTE: assets with check_specs carry no return annotation, because Dagster reads a return
# annotation as the type of every output, the check outputs included. They return MaterializeResult[manifest].
ASSET = {"partitions_def": videos, "group_name": GROUP, "code_version": CODE_VERSION}
# A provider-bound step holds a slot of the pool of the provider that serves it: the catalog provider of the
# deployment's default model (instance.pool_limits). The media step's clips are most of its time and spend.
PLANNER_POOL, MEDIA_POOL = (paid_provider(get_settings(), kind) for kind in (Kind.LLM, Kind.VIDEO))
# Reframed aspects cut at once: ffmpeg work on the machine's cores (2 cores, a 30 s 1080p ad's 3 aspects: 97 s one at a
# time, 114 s two at a time). Native aspects are made all at once regardless: they wait on providers.
ASPECTS_AT_ONCE = 1


# The request and its takes (an external asset) feed the assets a take changes: the plan, images and clips.
TAKES = [Source.VIDEO_REQUEST.value]
SPEC, REQUEST = dg.AssetKey(Phase.VIDEO_SPEC.value), dg.AssetKey(Source.VIDEO_REQUEST.value)


@dg.asset(**ASSET, deps=TAKES, pool=PLANNER_POOL, retry_policy=PROVIDER_RETRY)  # kinds: definitions.kinds
def video_spec(
    context: dg.AssetExecutionContext,
    config: SpecConfig,
    store: StoreResource,
    db: DatabaseResource,
    providers: ProvidersResource,
) -> dg.MaterializeResult[VideoSpec]:
    """The plan: product, style, music mood, aspect, models and the beat sequence, with each beat's current take."""
    find = partial(config.request_for, context.partition_key, db, providers.settings())
    with step(context, Phase.VIDEO_SPEC, store, db, providers, find) as s:
        request = s.request
        estimate_usd = check_request_budget(request)  # before any spend: the video's estimate against its budget
        if (batch := db.batch(request)) is not None:  # and what is left of its batch's cap
            left_to_spend = max(0.0, estimate_usd - db.ledger().committed(request.video_id))
            check_batch_budget(request, batch, db.ledger(), left_to_spend)
        references = reference_keys(db.uploads(), request)  # the product photo and logo, applied after planning
        planned, plan = phases.make_plan(request, s.providers, s.calls, references)
        record = db.requests().get(request.video_id)
        if config.approve and record.in_review:  # a launchpad approval (a re-execution finds it made)
            check_approval_budget(planned, request, db.ledger())
            record = db.requests().approve(record.video_id)
        if config.regenerate_beat is not None:
            _new_take(s, planned, config, context.run.root_run_id or context.run.run_id, record.in_review)
        # Dagster read video_request's version when the step started; the plan names the one it was made from
        # (a launchpad take or a request stored from the launchpad changes it), so it is not stale against itself.
        reported = report_request_version(context.instance, db.requests(), request.video_id)
        spec = planned.with_takes(db.takes().current(request.video_id), db.line_takes().current(request.video_id))
        return s.result(
            spec,
            spec,
            costs=plan.costs,
            version=content_version(spec.model_dump_json()),
            reused=int(plan.reused),
            estimate_usd=round(sum(estimate(spec, request).values()), 4),
            **({} if request.max_cost_usd is None else {"max_cost_usd": request.max_cost_usd}),  # a number or none
            tags=reported.input_tags() if reported else None,
        )


def _new_take(s: Step, plan: VideoSpec, config: SpecConfig, root_run_id: str, in_review: bool = False) -> None:
    """A launchpad regeneration: the beat's next take (of its line, with ``line`` or ``voice``), once per run group
    (keyed by its root run), so a retried step, a run retry or a re-execution from the UI gets the same take back
    instead of paying for another. ``in_review``: its picture's take is priced at its image alone."""
    beat = config.regenerate_beat
    assert beat is not None
    db, request = s.db, s.request
    if wants_line_take(config.image_prompt, config.motion_prompt, config.line, config.voice):
        said = plan.with_takes((), db.line_takes().current(request.video_id))  # a new voice reads the current line
        regenerate_line(db.line_takes(), db.ledger(), said, request, beat, config.line, config.voice, root_run_id)
    else:
        regenerate_beat(
            db.takes(),
            db.ledger(),
            plan,
            request,
            beat,
            config.image_prompt,
            config.motion_prompt,
            root_run_id,
            in_review=in_review,
            aspects=config.aspects,
        )


def refuse_in_review(db: DatabaseResource, video: str) -> None:
    """Nothing but the storyboard is made for a video in review (no clip, music or voice, no native aspect): say how
    to approve it."""
    record = db.requests().find(video)
    if record is not None and record.in_review:
        raise dg.Failure(
            f"video {video} is in review: look at its preview, then approve it (`vidgen approve {video}`, POST "
            f"/api/video/{video}/approve, or ops.video_spec.config.approve: true in the launchpad) before its clips, "
            "music and voice are paid for",
            allow_retries=False,
        )


def _out(description: str) -> dg.AssetOut:
    """An output of ``media``; its kind badge says who renders it in this deployment (definitions.kinds). Not
    required: a subset of ``media`` yields only the outputs it selects."""
    return dg.AssetOut(description=description, code_version=CODE_VERSION, group_name=GROUP, is_required=False)


@dg.multi_asset(
    outs={
        Phase.STORYBOARD.value: _out(
            "One storyboard image per beat, drawn from the beat's image prompt (its current take)."
        ),
        Phase.MUSIC.value: _out(
            "Background music for the mood and length; skipped (at zero cost) when the video model makes audio."
        ),
        Phase.VOICEOVER.value: _out(
            "Each beat's voiceover line spoken in the video's voice and placed inside its beat, with its words' times."
        ),
        Phase.VIDEO_CHUNKS.value: _out(
            "Image-to-video chunks: each beat from its storyboard image, later chunks from the previous last frame."
        ),
    },
    deps=TAKES,
    internal_asset_deps={  # a take changes the images and clips (or, a line take, the voiceover), never the music
        Phase.STORYBOARD.value: {SPEC, REQUEST},
        Phase.MUSIC.value: {SPEC},
        Phase.VOICEOVER.value: {SPEC, REQUEST},
        Phase.VIDEO_CHUNKS.value: {SPEC, dg.AssetKey(Phase.STORYBOARD.value), REQUEST},
    },
    check_specs=[
        *check_specs(Phase.STORYBOARD),
        *check_specs(Phase.VOICEOVER),
        *check_specs(Phase.VIDEO_CHUNKS),
    ],
    partitions_def=videos,
    pool=MEDIA_POOL,
    retry_policy=PROVIDER_RETRY,
    can_subset=True,
)
def media(
    context: dg.AssetExecutionContext,
    video_spec: VideoSpec,
    store: StoreResource,
    db: DatabaseResource,
    providers: ProvidersResource,
):
    """The provider-bound phases in one step, on the critical path: all images at once, then every beat's clip
    chain at once, with the music made beside them. Each asset is materialized as soon as it is ready; a subset
    (music alone, say) makes only what it selects."""
    wanted = {Phase(key.to_user_string()) for key in context.selected_asset_keys}
    if wanted - {Phase.STORYBOARD}:  # in review, only the storyboard is made: no clip, music bed or voice
        refuse_in_review(db, context.partition_key)
    with step(context, Phase.STORYBOARD, store, db, providers) as s:
        workers = partial(calls_in_flight, providers.settings())
        made_media = phases.make_media(
            video_spec, s.store, s.providers, s.calls, s.progress, workers, wanted, s.settings
        )
        for made, started, checks in made_media:
            phase, version = MEDIA_VERSIONS[type(made)]
            with phases.named(phase):  # a failure here (a preview) names its phase too
                done = s.phase_step(phase, started).result(
                    video_spec, made, costs=made.costs, version=version(video_spec, made), checks=checks
                )
            yield done


# Each media phase's data version, from what its output is made of (its calls' cache keys).
MEDIA_VERSIONS: dict[type, tuple[Phase, Callable[[VideoSpec, Any], str]]] = {
    Storyboard: (Phase.STORYBOARD, lambda _, board: content_version(*(i.cache_key for i in board.images))),
    MusicTrack: (Phase.MUSIC, lambda spec, track: content_version(track.cache_key or f"skipped:{spec.video_model}")),
    Voiceover: (
        Phase.VOICEOVER,
        lambda _, said: content_version(*placed(said)),
    ),
    ChunkSet: (Phase.VIDEO_CHUNKS, lambda _, chunks: content_version(*map(phases.footage, chunks.chunks))),
}


@dg.asset(**ASSET, kinds={"ffmpeg"}, check_specs=check_specs(Phase.STITCHED_VIDEO))  # CHECKED_ASSETS_NOTE
def stitched_video(
    context: dg.AssetExecutionContext,
    video_spec: VideoSpec,
    video_chunks: ChunkSet,
    store: StoreResource,
    db: DatabaseResource,
    ffmpeg: FfmpegResource,
):
    """The master picture: the chunks cut to each beat's frames at the delivery size, with the spec's transitions,
    a fade in and the end card; its seams and beat boundaries measured on its decoded frames."""
    with step(context, Phase.STITCHED_VIDEO, store, db, ffmpeg) as s:
        video = phases.stitch_video(video_spec, video_chunks, s.store, s.settings)
        checks = verify.stitched_checks(video_spec, video_chunks, measure.motion(s.store.local_path(video.key)))
        return s.result(video_spec, video, costs=video.costs, version=video.made_from, checks=checks)


@dg.asset(**ASSET, kinds={"ffmpeg"}, check_specs=check_specs(Phase.FINAL_VIDEO))
def final_video(
    context: dg.AssetExecutionContext,
    video_spec: VideoSpec,
    stitched_video: RenderedVideo,
    music: MusicTrack,
    voiceover: Voiceover,
    store: StoreResource,
    db: DatabaseResource,
    ffmpeg: FfmpegResource,
):
    """The delivered ad: the voice over the music, ducked under it, mastered to the delivery standard (-14 or -23
    LUFS, true peak under the limit, on the encoded file), H.264 yuv420p + AAC-LC 48 kHz stereo, +faststart; the
    voice and ducked music kept as stems."""
    with step(context, Phase.FINAL_VIDEO, store, db, ffmpeg) as s:
        settings = s.settings
        video = phases.finalize_video(video_spec, stitched_video, music, voiceover, s.store, settings)
        path = s.store.local_path(video.key)
        facts = measure.file_facts(path)
        bed = s.store.local_path(music.key or stitched_video.key)  # the music, or the model's own audio
        clean = s.store.local_path(stitched_video.key)
        checks = [
            *verify.final_checks(video_spec, facts, *measure.sound_and_stills(path, facts)),
            *mix_checks(voiceover, video, bed, s.store),
            captions_checked(video_spec, voiceover, video, clean, path),
        ]
        sound = (video_spec.delivery.loudness.value, settings.audio_bitrate)
        version = content_version(
            stitched_video.key,
            stitched_video.size_bytes,
            music.cache_key,
            *placed(voiceover),
            *phases.caption_inputs(video_spec),
            video_spec.duration_s,
            *sound,
        )
        spent = db.ledger().spent(video_spec.video_id)
        return s.result(video_spec, video, costs=video.costs, version=version, checks=checks, video_spent_usd=spent)


@dg.asset(**ASSET, kinds={"ffmpeg"}, check_specs=check_specs(Phase.PREVIEW))  # CHECKED_ASSETS_NOTE
def preview(
    context: dg.AssetExecutionContext,
    video_spec: VideoSpec,
    storyboard: Storyboard,
    store: StoreResource,
    db: DatabaseResource,
    ffmpeg: FfmpegResource,
):
    """The review preview, free: the storyboard images on the plan's timeline with their camera moves, the
    transitions, the headlines and call to action, over a local music bed; measured on its decoded frames."""
    with step(context, Phase.PREVIEW, store, db, ffmpeg) as s:
        made = make_preview(video_spec, storyboard, s.store, s.settings)
        checks = preview_checks(video_spec, made, s.store.local_path(made.key))
        images = (image.cache_key for image in storyboard.images)  # with the whole plan: timings, moves, copy, bed
        version = content_version(*images, video_spec.model_dump_json(), *phases.cut_inputs(video_spec))
        return s.result(video_spec, made, costs=made.costs, version=version, checks=checks, render_s=made.render_s)


@dg.asset(**ASSET, kinds={"ffmpeg"}, check_specs=check_specs(Phase.DELIVERABLES))  # CHECKED_ASSETS_NOTE
def deliverables(
    context: dg.AssetExecutionContext,
    video_spec: VideoSpec,
    stitched_video: RenderedVideo,
    final_video: RenderedVideo,
    video_chunks: ChunkSet,
    music: MusicTrack,
    voiceover: Voiceover,
    aspects: AspectSet,
    store: StoreResource,
    db: DatabaseResource,
    ffmpeg: FfmpegResource,
):
    """Every file the brief ships, made here at no provider cost: each aspect's master, the cutdowns, the platform
    versions, a titled poster per video, captions, stems, the ProRes mezzanine when asked, and one zip of all of
    them; the table of files and their checks measured on the files."""
    with step(context, Phase.DELIVERABLES, store, db, ffmpeg) as s:
        made = make_deliverables(
            video_spec, stitched_video, final_video, video_chunks, music, voiceover, aspects, s.store, s.settings
        )
        version = content_version(
            final_video.key,
            final_video.size_bytes,
            stitched_video.size_bytes,
            video_spec.campaign.model_dump_json(),
            aspects.model_dump_json(exclude={"costs"}),
        )
        checks = deliverables_checks(made, s.store)
        return s.result(video_spec, made, costs=made.costs, version=version, checks=checks)


@dg.asset(
    **ASSET,
    check_specs=check_specs(Phase.ASPECTS),
    pool=MEDIA_POOL,  # native aspects pay images and clips
    retry_policy=PROVIDER_RETRY,
)  # CHECKED_ASSETS_NOTE
def aspects(
    context: dg.AssetExecutionContext,
    video_spec: VideoSpec,
    video_chunks: ChunkSet,
    music: MusicTrack,
    voiceover: Voiceover,
    store: StoreResource,
    db: DatabaseResource,
    providers: ProvidersResource,
):
    """Every other aspect of the one plan (--aspects): the same beats, timings, copy, voice and music, its pictures
    made natively (paid per aspect) or reframed from the master's clips following the product (free), cut and
    finished for its own frame under deliverables/{variant}/. Empty when the campaign asks for no other aspect."""
    if video_spec.campaign.aspects and not video_spec.campaign.reframe:
        refuse_in_review(db, context.partition_key)
    with step(context, Phase.ASPECTS, store, db, providers) as s:
        workers = partial(calls_in_flight, providers.settings())
        made = make_aspects(
            video_spec,
            video_chunks,
            music,
            voiceover,
            s.store,
            s.providers,
            s.calls,
            s.settings,
            s.progress,
            workers,
            ASPECTS_AT_ONCE,
        )
        checks = aspect_checks(video_spec, made, s.store)
        parts = [
            f"{cut.variant}:{cut.mode.value}:{':'.join(map(phases.footage, cut.chunks.chunks))}" for cut in made.cuts
        ]
        version = content_version(
            *parts,
            *phases.cut_inputs(video_spec),
            music.cache_key,
            *placed(voiceover),
            *phases.caption_inputs(video_spec),
            video_spec.delivery.loudness.value,
        )
        return s.result(video_spec, made, costs=made.costs, version=version, checks=checks)
