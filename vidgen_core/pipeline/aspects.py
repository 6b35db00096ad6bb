"""One plan, many aspects: every aspect the campaign asks for besides the master's, cut from the same plan.

An aspect's spec is the video's spec with another aspect ratio and its variant (``9x16``): the same beats, timings,
transitions, copy, voice and music, and the same takes, so regenerating a beat regenerates it in every aspect. Its
pictures are either made natively (its own storyboard and clips through the call cache, paid and on the ledger: the
aspect and frame size are among a call's inputs, so a 9:16 image never answers for a 16:9 one), or, with
``reframe``, cropped from the master's clips following the product, at no provider cost. Either way it is cut and
finished by the master's own phases (its end card and transitions laid out for its frame) with the video's one
music and voiceover, and its files land under ``deliverables/{variant}/``.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from vidgen_core.adapters.ffmpeg import ops
from vidgen_core.adapters.ffmpeg.probe import probe
from vidgen_core.adapters.ffmpeg.reframe import crop_image, reframe_shot
from vidgen_core.adapters.registry import Providers
from vidgen_core.adapters.storage import BlobStore, aspect_variant
from vidgen_core.domain.catalog import Aspect
from vidgen_core.domain.errors import VidgenError
from vidgen_core.domain.models import (
    AspectCut,
    AspectMode,
    AspectSet,
    Chunk,
    ChunkSet,
    FrameSource,
    MusicTrack,
    Phase,
    Storyboard,
    StoryboardImage,
    VideoSpec,
    Voiceover,
)
from vidgen_core.domain.progress import Progress, no_progress
from vidgen_core.pipeline import phases, verify
from vidgen_core.pipeline.calls import CallCache
from vidgen_core.pipeline.work import Counter, concurrently
from vidgen_core.settings import Settings

log = logging.getLogger("vidgen.aspects")
REFRAME_VERSION = "reframe-2"  # bump when the reframing of the same clips changes (a reframed chunk's cache key)


def aspect_spec(spec: VideoSpec, aspect: Aspect) -> VideoSpec:
    """The plan in another aspect: everything but the frame (and where its files go) is the master's, except the
    beats that have another take in it (a take made for some aspects only: ``VideoSpec.aspect_takes``)."""
    theirs = {t.beat_index: t for t in spec.aspect_takes if t.applies_to(aspect)}
    beats = [
        beat
        if (take := theirs.get(beat.index)) is None
        else beat.model_copy(
            update={"take": take.take, "image_prompt": take.image_prompt, "motion_prompt": take.motion_prompt}
        )
        for beat in spec.beats
    ]
    update = {"aspect_ratio": aspect, "variant": aspect_variant(aspect), "beats": beats, "aspect_takes": []}
    return spec.model_copy(update=update)


def native_pictures(
    spec: VideoSpec,
    store: BlobStore,
    providers: Providers,
    calls: CallCache,
    workers: Callable[[str], int],
    settings: Settings,
) -> tuple[Storyboard, ChunkSet]:
    """An aspect's own storyboard and clips, every call through the cache and the ledger (each reserves its price
    against the budget before it is made); a failed storyboard check stops it before any clip is paid for."""
    board = phases.make_storyboard(spec, store, providers, calls, no_progress, workers(providers.images.provider))
    phases.check_storyboard(spec, verify.storyboard_checks(spec, board, store))
    video_workers = workers(providers.video.provider)
    chunks = phases.make_chunks(spec, board, store, providers, calls, no_progress, video_workers, settings)
    return board, chunks


def _shots(chunks: list[Chunk]) -> list[list[Chunk]]:
    """The master's chunks as continuous shots: a chunk that starts from a storyboard image starts a new one."""
    shots: list[list[Chunk]] = []
    for chunk in chunks:
        if chunk.plan.source == FrameSource.STORYBOARD or not shots:
            shots.append([])
        shots[-1].append(chunk)
    return shots


def reframed_pictures(
    spec: VideoSpec, master: ChunkSet, store: BlobStore, settings: Settings
) -> tuple[Storyboard, ChunkSet]:
    """The master's clips cropped to ``spec``'s aspect following the product, and each beat's storyboard image
    cropped where its shot's window starts: free, and written under the aspect's keys so the cut reads them as its
    own."""
    keys = phases.keys_for(spec)
    made: dict[int, Chunk] = {}
    images: dict[int, StoryboardImage] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for shot in _shots(master.chunks):
            clips = [store.local_path(c.key) for c in shot]
            outs = [Path(tmp) / f"chunk_{c.plan.index:02d}.mp4" for c in shot]
            framed = reframe_shot(clips, outs, spec.aspect_ratio, settings)
            first_key = _reframed_still(spec, shot[0], framed[0].centres[0], store, Path(tmp), images)
            for chunk, cropped in zip(shot, framed, strict=True):
                key, last_key = keys.chunk(chunk.plan.index), keys.chunk_last_frame(chunk.plan.index)
                store.put_file(key, cropped.path)
                store.put_file(last_key, ops.last_frame(cropped.path, Path(tmp) / f"last_{chunk.plan.index:02d}.png"))
                info = probe(store.local_path(key))
                made[chunk.plan.index] = chunk.model_copy(
                    update={
                        "key": key,
                        "last_frame_key": last_key,
                        "first_frame_key": first_key,
                        "cache_key": f"{chunk.cache_key}:{REFRAME_VERSION}:{spec.aspect_ratio}",
                        "duration_s": info.duration_s,
                        "width": info.width,
                        "height": info.height,
                        "fps": info.fps,
                        "has_audio": info.has_audio,
                        "reused": False,
                        "costs": [],
                    }
                )
                first_key = last_key
    chunks = [made[c.plan.index] for c in master.chunks]
    board = Storyboard(images=[images[i] for i in sorted(images)], costs=[])
    return board, ChunkSet(chunks=chunks, costs=[])


def _reframed_still(
    spec: VideoSpec,
    first: Chunk,
    centre: tuple[float, float],
    store: BlobStore,
    tmp: Path,
    images: dict[int, StoryboardImage],
) -> str:
    """The first frame of a shot (its beat's storyboard image) cropped where the shot's window starts; a beat's
    image is its first shot's."""
    beat = spec.beats[first.plan.beat_index]
    key = phases.keys_for(spec).storyboard(beat.index)
    if beat.index in images:
        return key
    out = crop_image(
        store.local_path(first.first_frame_key), tmp / f"beat_{beat.index:02d}.png", centre, spec.aspect_ratio
    )
    store.put_file(key, out)
    with Image.open(out) as img:
        width, height = img.size
    images[beat.index] = StoryboardImage(
        beat_index=beat.index,
        take=beat.take,
        key=key,
        cache_key=f"{first.cache_key}:{REFRAME_VERSION}:{spec.aspect_ratio}:first",
        width=width,
        height=height,
        prompt=beat.image_prompt,
        reused=False,
        costs=[],
    )
    return key


def make_aspect(
    spec: VideoSpec,
    master: ChunkSet,
    music: MusicTrack,
    voiceover: Voiceover,
    store: BlobStore,
    providers: Providers,
    calls: CallCache,
    settings: Settings,
    workers: Callable[[str], int] = lambda _provider: 1,
) -> AspectCut:
    """One aspect (``spec`` is its ``aspect_spec``): its pictures, natively or reframed as the campaign says, cut
    and finished with the video's music and voiceover."""
    mode = AspectMode.REFRAMED if spec.campaign.reframe else AspectMode.NATIVE
    if mode is AspectMode.REFRAMED:
        board, chunks = reframed_pictures(spec, master, store, settings)
    else:
        board, chunks = native_pictures(spec, store, providers, calls, workers, settings)
    stitched = phases.stitch_video(spec, chunks, store, settings)
    final = phases.finalize_video(spec, stitched, music, voiceover, store, settings)
    costs = [*board.costs, *chunks.costs]
    log.info("aspect %s (%s): %s, $%.4f", spec.aspect_ratio, mode.value, final.key, sum(c.usd for c in costs))
    return AspectCut(
        aspect=spec.aspect_ratio,
        variant=spec.variant,
        mode=mode,
        storyboard=board,
        chunks=chunks,
        stitched=stitched,
        final=final,
        costs=costs,
    )


def make_aspects(
    spec: VideoSpec,
    master: ChunkSet,
    music: MusicTrack,
    voiceover: Voiceover,
    store: BlobStore,
    providers: Providers,
    calls: CallCache,
    settings: Settings,
    progress: Progress = no_progress,
    workers: Callable[[str], int] = lambda _provider: 1,
    at_once: int = 1,
) -> AspectSet:
    """Every other aspect of the campaign: native ones all at once (they wait on providers, whose calls in flight
    the call cache bounds), reframed ones ``at_once`` at a time (reframing and cutting are ffmpeg work on the
    machine's cores)."""
    wanted = [a for a in spec.campaign.aspects if a != spec.aspect_ratio]
    done = Counter(progress, Phase.ASPECTS, len(wanted))

    def one(aspect: Aspect) -> AspectCut:
        try:
            cut = make_aspect(
                aspect_spec(spec, aspect), master, music, voiceover, store, providers, calls, settings, workers
            )
        except VidgenError as exc:  # say which aspect failed: "aspects 4:5: replicate model flux-dev failed ..."
            exc.phase = f"{Phase.ASPECTS.value} {aspect}"
            raise
        log.info("aspects %s: %s", done.one(), aspect)
        return cut

    cuts = concurrently(one, wanted, at_once if spec.campaign.reframe else len(wanted))
    return AspectSet(cuts=cuts, costs=[line for cut in cuts for line in cut.costs])
