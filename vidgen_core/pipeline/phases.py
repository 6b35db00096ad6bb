"""The pipeline's phases as plain functions: spec -> storyboard -> chunks -> stitched (+ music) -> final.

Each phase writes its media under the video's keys and returns a manifest. Every provider call goes through the
video's ``CallCache``: an output whose call (provider, model, inputs, input files, take) was made before is reused,
so a retry, a re-run or a regeneration pays only for what changed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import queue
import tempfile
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import NamedTuple, TypeVar

from PIL import Image

from vidgen_core.adapters.ffmpeg import colour, mix, ops
from vidgen_core.adapters.ffmpeg.burn import burn
from vidgen_core.adapters.ffmpeg.cut import encoder_inputs, render_cut
from vidgen_core.adapters.ffmpeg.probe import probe
from vidgen_core.adapters.registry import Providers
from vidgen_core.adapters.render.endcard import render_end_card
from vidgen_core.adapters.render.subtitles import write_captions
from vidgen_core.adapters.storage import BlobStore, VideoKeys
from vidgen_core.domain import costs
from vidgen_core.domain.catalog import (
    IMAGE_MODELS,
    LOCAL_PROVIDER,
    frame_size,
    image_model,
    master_size,
    music_model,
    upscaler_for,
    video_model,
)
from vidgen_core.domain.chunking import plan_chunks
from vidgen_core.domain.errors import VidgenError
from vidgen_core.domain.models import (
    AssetRole,
    Captions,
    Chunk,
    ChunkPlan,
    ChunkSet,
    FrameSource,
    GenerationRequest,
    MusicTrack,
    Phase,
    RenderedVideo,
    SpecBeat,
    Storyboard,
    StoryboardImage,
    VideoSpec,
    Voiceover,
)
from vidgen_core.domain.platforms import safe_zone_for
from vidgen_core.domain.ports import (
    ClipJob,
    ImageGenerator,
    ImageJob,
    Journal,
    MusicJob,
    PlanResult,
    UpscaleJob,
    VideoGenerator,
)
from vidgen_core.domain.progress import Progress, no_progress
from vidgen_core.domain.sound import LOUDNESS_TARGETS
from vidgen_core.domain.tempo import fit_bpm, mood_bpm
from vidgen_core.persistence.trouble import plain_error
from vidgen_core.pipeline import verify
from vidgen_core.pipeline.calls import Call, CallCache, Made, Outcome
from vidgen_core.pipeline.voiceover import make_voiceover
from vidgen_core.pipeline.work import Counter, concurrently
from vidgen_core.settings import Settings, get_settings

log = logging.getLogger("vidgen.pipeline")
T, R = TypeVar("T"), TypeVar("R")
TAKE_SEED_STEP = 7919  # a new take of a beat draws with another seed, so it really is a new image and clips


def keys_for(spec: VideoSpec) -> VideoKeys:
    return VideoKeys(user_id=spec.user_id, video_id=spec.video_id, variant=spec.variant)


def _item(spec: VideoSpec, name: str) -> str:
    """A call's item on its ledger row: an aspect's own image or clip is named with its variant ('9x16/beat_02'), so
    it is never read as the master's (its call key differs anyway: the aspect and size are among its inputs)."""
    return f"{spec.variant}/{name}" if spec.variant else name


def _booked(spec: VideoSpec, phase: Phase) -> Phase:
    """The phase a call is booked under: an aspect's own images and clips are the aspects phase's spend (where the
    estimate prices them), their item keeping the variant and their beat index the beat."""
    return Phase.ASPECTS if spec.variant else phase


def _reused(outcome: Outcome) -> str:
    return " (reused)" if outcome.reused else ""


def _priced(provider: str, usd: float) -> float:
    """A call's estimate: its list price, or nothing for the local renderers."""
    return 0.0 if provider == costs.FREE else usd


def make_plan(
    request: GenerationRequest,
    providers: Providers,
    calls: CallCache,
    references: Mapping[AssetRole, str] | None = None,
) -> tuple[VideoSpec, Outcome]:
    """The plan for a request (takes are applied on top of it) and the plan call's outcome. ``references`` are the
    store keys of the request's uploaded images by role (``uploads.reference_keys``).

    Planning is a cached call: a re-run never plans again unless the request changed (a take does not re-plan).
    Delivery, narration (voice, captions) and the uploaded images are applied after planning, so changing them never
    plans again.
    """
    planner = providers.planner
    call = Call(
        phase=Phase.VIDEO_SPEC,
        item="spec",
        provider=planner.provider,
        model=planner.model,
        inputs=request.plan_inputs(),
        estimate_usd=_priced(planner.provider, costs.plan_price(planner.model)),
    )

    def plan(tmp: Path, journal: Journal) -> Made:
        result: PlanResult = planner.plan(request)
        out = tmp / "spec.json"
        out.write_text(result.spec.model_dump_json(indent=2))
        return Made({"spec.json": out}, result.costs)

    outcome = calls.run(call, plan)
    spec = VideoSpec.model_validate_json(calls.store.get_bytes(outcome.outputs["spec.json"]))
    return _with_references(
        spec.model_copy(
            update={"delivery": request.delivery, "narration": request.narration, "campaign": request.campaign}
        ),
        references or {},
        providers,
    ), outcome


def _with_references(spec: VideoSpec, references: Mapping[AssetRole, str], providers: Providers) -> VideoSpec:
    """The plan with the uploaded product photo and logo, and a note when the image model cannot use the photo."""
    photo = references.get(AssetRole.PRODUCT)
    notes = list(spec.plan_notes)
    if photo and not any(providers.images.uses_photo(spec.image_model, beat) for beat in spec.beats):
        takers = ", ".join(m.name for m in IMAGE_MODELS.values() if m.image_input)
        why = (
            f"{spec.image_model} takes no input image (image models that do: {takers})"
            if image_model(spec.image_model).image_input is None
            else "no beat makes the product its hero (a product or closing beat)"
        )
        notes.append(f"the product photo is not used in the storyboard: {why}")
    return spec.model_copy(update={"product_image": photo, "logo": references.get(AssetRole.LOGO), "plan_notes": notes})


def make_storyboard(
    spec: VideoSpec,
    store: BlobStore,
    providers: Providers,
    calls: CallCache,
    progress: Progress = no_progress,
    workers: int = 1,
) -> Storyboard:
    """One image per beat (of the beat's current take), ``workers`` at once; ``progress`` hears of each one.

    A beat whose frame shows the uploaded product photo has the photo as an input file of its call: a new photo
    draws it again, and each take of it starts from the same photo, so the product keeps its look."""
    keys, model = keys_for(spec), image_model(spec.image_model)
    width, height = frame_size(model.short_side, spec.aspect_ratio)
    done = Counter(progress, Phase.STORYBOARD, len(spec.beats))
    photo = store.local_path(spec.product_image) if spec.product_image else None

    def image(beat: SpecBeat) -> StoryboardImage:
        seed = spec.seed + beat.index + TAKE_SEED_STEP * beat.take
        shown = photo if photo and providers.images.uses_photo(model.name, beat) else None
        call = Call(
            phase=_booked(spec, Phase.STORYBOARD),
            item=_item(spec, f"beat_{beat.index:02d}"),
            provider=providers.images.provider,
            model=model.name,
            inputs={"prompt": beat.image_prompt, "aspect": spec.aspect_ratio, "size": [width, height], "seed": seed},
            files={"product_image": shown} if shown else {},
            beat_index=beat.index,
            take=beat.take,
            estimate_usd=_priced(providers.images.provider, costs.image_price(model.name)),
        )
        outcome = calls.run(call, partial(_draw, providers.images, spec, beat, (width, height), seed, shown))
        key = keys.storyboard(beat.index)
        store.copy(outcome.outputs["image.png"], key)
        count = done.one()
        log.info("storyboard %s: beat %d take %d%s (%s)", count, beat.index, beat.take, _reused(outcome), key)
        with Image.open(store.local_path(key)) as img:  # what the model really made
            actual_w, actual_h = img.size
        return StoryboardImage(
            beat_index=beat.index,
            take=beat.take,
            key=key,
            cache_key=outcome.key,
            width=actual_w,
            height=actual_h,
            prompt=beat.image_prompt,
            reused=outcome.reused,
            costs=outcome.costs,
        )

    images = concurrently(image, spec.beats, workers)
    return Storyboard(images=images, costs=[line for i in images for line in i.costs])


def _draw(
    images: ImageGenerator,
    spec: VideoSpec,
    beat: SpecBeat,
    size: tuple[int, int],
    seed: int,
    photo: Path | None,
    tmp: Path,
    journal: Journal,
) -> Made:
    job = ImageJob(beat.image_prompt, spec.aspect_ratio, size[0], size[1], seed, spec, beat, journal, photo)
    made = images.generate(job, tmp / "image.png")
    ops.conform_image(made.path, spec.aspect_ratio)  # FLUX's 1344x768 is not quite 16:9
    return Made({"image.png": made.path}, made.costs)


def _film(video: VideoGenerator, job: ClipJob, tmp: Path, journal: Journal) -> Made:
    made = video.generate(dataclasses.replace(job, journal=journal), tmp / "clip.mp4")
    frame = ops.last_frame(made.path, tmp / "last_frame.png")
    return Made({"clip.mp4": made.path, "last_frame.png": frame}, made.costs)


def _colour_matched(
    clip: Path, last: Path, keyframe: Path, tmp: Path, settings: Settings, item: str
) -> tuple[Path, Path]:
    """The clip colour-matched to its beat's keyframe, and the model's last frame matched the same way (the next clip
    continues from it). The transfer is fitted on the model's own last frame, so an upscaled clip gets the same one."""
    transfer = colour.fit_transfer(last, keyframe)
    colour.match_colour(clip, transfer, tmp / "clip.mp4", settings)
    log.info(
        "%s: colour matched to its keyframe, last frame ΔE %.1f -> %.1f",
        item,
        transfer.delta_e_before,
        transfer.delta_e_after,
    )
    return tmp / "clip.mp4", colour.match_frame(last, transfer, tmp / "last_frame.png")


def make_chunks(
    spec: VideoSpec,
    storyboard: Storyboard,
    store: BlobStore,
    providers: Providers,
    calls: CallCache,
    progress: Progress = no_progress,
    workers: int = 1,
    settings: Settings | None = None,
) -> ChunkSet:
    """Image-to-video chunks. Beats run ``workers`` at once; within a beat each chunk continues from the previous
    one's last frame, so a beat's chunks run in order. A model's chained clip is colour-matched to its beat's
    keyframe (``settings`` encode it) and the next clip continues from the matched clip."""
    settings = settings or get_settings()
    keys, model = keys_for(spec), video_model(spec.video_model)
    plans = plan_chunks(spec, model.clip_durations_s)
    done = Counter(progress, Phase.VIDEO_CHUNKS, len(plans))

    def chunk(plan: ChunkPlan, first_key: str) -> Chunk:
        beat = spec.beats[plan.beat_index]
        first_frame = store.local_path(first_key)
        seed = spec.seed + 1000 + plan.index + TAKE_SEED_STEP * beat.take
        # the camera rests only at the beat's ends; only the local renderer moves the camera itself, so only its
        # calls depend on the neighbours' lengths (a model's clip, and its cache key, do not)
        mine = [p for p in plans if p.beat_index == beat.index]
        before, after = mine[plan.part - 1 : plan.part], mine[plan.part + 1 : plan.part + 2]
        seams = {
            "continues_s": before[0].clip_s if before else None,
            "continued_by_s": after[0].clip_s if after else None,
        }
        call = Call(
            phase=_booked(spec, Phase.VIDEO_CHUNKS),
            item=_item(spec, f"chunk_{plan.index:02d}"),
            provider=providers.video.provider,
            model=model.name,
            inputs={
                "prompt": beat.motion_prompt,
                "camera": beat.camera,
                "clip_s": plan.clip_s,
                "aspect": spec.aspect_ratio,
                "seed": seed,
                **(seams if providers.video.provider == LOCAL_PROVIDER else {}),
            },
            files={"first_frame": first_frame},
            beat_index=beat.index,
            take=beat.take,
            estimate_usd=_priced(providers.video.provider, costs.clip_price(model.name, plan.clip_s)),
        )
        item = f"chunk {plan.index} (beat {beat.index} {beat.beat_id})"
        job = ClipJob(
            first_frame,
            beat.motion_prompt,
            beat.camera,
            plan.clip_s,
            model.name,
            spec.aspect_ratio,
            seed,
            item,
            continues_s=seams["continues_s"],
            continued_by_s=seams["continued_by_s"],
        )
        outcome = calls.run(call, partial(_film, providers.video, job))
        key, last_key = keys.chunk(plan.index), keys.chunk_last_frame(plan.index)
        clip, last = outcome.outputs["clip.mp4"], outcome.outputs["last_frame.png"]
        upscaled = upscale_chunk(spec, plan, providers, calls, store, clip)  # from the model's clip: a stable key
        clip = upscaled.outputs["clip.mp4"] if upscaled is not None else clip
        # The local renderer only moves a camera over its first frame, so its colours cannot drift: only a model's
        # chained clip is matched (the calls' outputs stay the model's and upscaler's own, never paid again), and
        # not in a plan stored before colour matching, whose next clips were made from the unmatched frame.
        matched = plan.source == FrameSource.PREVIOUS_CHUNK and providers.video.provider != LOCAL_PROVIDER
        if matched and not spec.old_plan:
            keyframe = store.local_path(storyboard.images[beat.index].key)
            with tempfile.TemporaryDirectory() as tmp:
                raw = (store.local_path(clip), store.local_path(last))
                matched_clip, matched_last = _colour_matched(*raw, keyframe, Path(tmp), settings, item)
                store.put_file(key, matched_clip)
                store.put_file(last_key, matched_last)
        else:
            store.copy(clip, key)
            store.copy(last, last_key)
        log.info(
            "chunk %s: chunk %d, beat %d take %d part %d, %ds clip from %s%s",
            done.one(),
            plan.index,
            beat.index,
            beat.take,
            plan.part,
            plan.clip_s,
            plan.source.replace("_", " "),
            _reused(outcome),
        )
        info = probe(store.local_path(key))
        return Chunk(
            plan=plan,
            take=beat.take,
            key=key,
            cache_key=outcome.key,
            last_frame_key=last_key,
            first_frame_key=first_key,
            duration_s=info.duration_s,
            width=info.width,
            height=info.height,
            fps=info.fps,
            has_audio=info.has_audio,
            reused=outcome.reused and (upscaled is None or upscaled.reused),
            costs=outcome.costs + (upscaled.costs if upscaled else []),
            upscaled_by=providers.upscaler.model if upscaled and providers.upscaler else None,
        )

    def chain(beat: SpecBeat) -> list[Chunk]:
        made: list[Chunk] = []
        for plan in (p for p in plans if p.beat_index == beat.index):
            first = (
                storyboard.images[beat.index].key if plan.source == FrameSource.STORYBOARD else made[-1].last_frame_key
            )
            made.append(chunk(plan, first))
        return made

    chunks = [c for beat_chunks in concurrently(chain, spec.beats, workers) for c in beat_chunks]
    return ChunkSet(chunks=chunks, costs=[line for c in chunks for line in c.costs])


def upscale_chunk(
    spec: VideoSpec, plan: ChunkPlan, providers: Providers, calls: CallCache, store: BlobStore, clip_key: str
) -> Outcome | None:
    """A chunk's clip through the request's model upscaler, as a cached, budgeted call of its own; None when there
    is none (the cut scales with Lanczos) or the video model's clips already have the master's size.

    Its key is the clip's content, so a re-run, a resume or a take of another beat pays nothing again; turning the
    upscaler on or off never re-makes a clip, because the next clip of a beat starts from the model's own last frame.
    """
    video, delivery, upscaler = video_model(spec.video_model), spec.delivery, providers.upscaler
    model = upscaler_for(delivery.upscaler, video, delivery.resolution) if upscaler else None
    if upscaler is None or model is None:
        return None
    beat, clip = spec.beats[plan.beat_index], store.local_path(clip_key)
    call = Call(
        phase=_booked(spec, Phase.VIDEO_CHUNKS),
        item=_item(spec, f"upscale_{plan.index:02d}"),
        provider=upscaler.provider,
        model=model.name,
        inputs=model.inputs(delivery.resolution, video.fps),
        files={"clip": clip},
        beat_index=beat.index,
        take=beat.take,
        estimate_usd=_priced(upscaler.provider, costs.upscale_price(delivery, video.name, plan.clip_s)),
    )
    item = f"upscale of chunk {plan.index} (beat {beat.index} {beat.beat_id})"

    def upscale(tmp: Path, journal: Journal) -> Made:
        job = UpscaleJob(clip, model.name, delivery.resolution, video.fps, item, journal)
        made = upscaler.upscale(job, tmp / "clip.mp4")
        return Made({"clip.mp4": made.path}, made.costs)

    outcome = calls.run(call, upscale)
    log.info("upscale: chunk %d to %s by %s%s", plan.index, delivery.resolution, model.name, _reused(outcome))
    return outcome


def make_music(spec: VideoSpec, store: BlobStore, providers: Providers, calls: CallCache) -> MusicTrack:
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
    bpm = None if spec.old_plan else music_tempo(spec)  # an old plan's track was asked for without one
    prompt = f"{spec.music_mood} background music for a {spec.style} {spec.category} ad"
    inputs: dict[str, object] = {"mood": spec.music_mood, "duration_s": spec.duration_s, "seed": spec.seed}
    if bpm is not None:
        prompt, inputs["bpm"] = f"{prompt}, {bpm:.0f} bpm, 4/4", bpm
    call = Call(
        phase=Phase.MUSIC,
        item="music",
        provider=providers.music.provider,
        model=model.name,
        inputs={"prompt": prompt, **inputs},
        estimate_usd=_priced(providers.music.provider, costs.music_price(model.name, spec.duration_s)),
        hold_usd=_priced(providers.music.provider, costs.music_hold(model.name, spec.duration_s)),
    )

    def compose(tmp: Path, journal: Journal) -> Made:
        job = MusicJob(prompt, spec.music_mood, spec.duration_s, spec.seed, model.name, journal, bpm)
        made = providers.music.generate(job, tmp / "music.wav")
        return Made({"music.wav": made.path}, made.costs)

    outcome = calls.run(call, compose)
    store.copy(outcome.outputs["music.wav"], keys.music())
    info = probe(store.local_path(keys.music()))
    log.info(
        "music: %.1fs %s track at %s bpm%s",
        info.duration_s,
        spec.music_mood,
        f"{bpm:g}" if bpm else "the mood's",
        " (reused)" if outcome.reused else "",
    )
    return MusicTrack(
        key=keys.music(),
        duration_s=info.duration_s,
        mood=spec.music_mood,
        cache_key=outcome.key,
        reused=outcome.reused,
        costs=outcome.costs,
        bpm=bpm,
    )


def music_tempo(spec: VideoSpec) -> float:
    """The mood's tempo, moved (within about 15 %) so every beat boundary of the spec falls on a beat."""
    boundaries = [beat.start_s for beat in spec.beats]
    return fit_bpm(mood_bpm(spec.music_mood), boundaries, spec.duration_s, video_model(spec.video_model).fps)


Media = Storyboard | MusicTrack | Voiceover | ChunkSet


class Ready(NamedTuple):
    """A media manifest as soon as it is made, with the ``time.perf_counter()`` at which its phase's work began and
    its checks, computed once: the storyboard's gate the clips and are reported with it."""

    manifest: Media
    started: float
    checks: list[verify.Outcome]


@contextmanager
def named(phase: Phase) -> Iterator[None]:
    """Name the phase on a vidgen error raised inside it (one step makes several phases)."""
    try:
        yield
    except VidgenError as exc:
        exc.phase = exc.phase or phase
        raise


MEDIA = frozenset({Phase.STORYBOARD, Phase.MUSIC, Phase.VOICEOVER, Phase.VIDEO_CHUNKS})


def make_media(
    spec: VideoSpec,
    store: BlobStore,
    providers: Providers,
    calls: CallCache,
    progress: Progress = no_progress,
    workers: Callable[[str], int] = lambda _provider: 1,
    wanted: Collection[Phase] = MEDIA,
    settings: Settings | None = None,
) -> Iterator[Ready]:
    """The storyboard then its chunks, with the music and the voiceover made beside them: the critical path is
    plan + max(music, voiceover, images + the longest beat's clips). Yields each manifest as soon as it is ready,
    with the ``time.perf_counter()`` at which its phase's work began and its checks; what finished is yielded
    before the first failure is raised, so it is kept. ``workers(provider)`` sets how many calls a phase starts at
    once (the call cache bounds what is really in flight per provider). Only the ``wanted`` phases are made and
    yielded, except the storyboard that wanted chunks are drawn from (from the call cache when it exists).

    Progress follows the pictures (storyboard, then chunks); music is reported only once the video waits for it,
    so the current phase never flips between the lines of work (the voiceover, seconds long, reports none)."""
    ready: queue.Queue[Ready | None] = queue.Queue()  # None: one of the lines of work ended
    lock, ended_lines = threading.Lock(), set[str]()

    def pictures() -> None:
        started = time.perf_counter()
        with named(Phase.STORYBOARD):
            board = make_storyboard(spec, store, providers, calls, progress, workers(providers.images.provider))
            checks = verify.storyboard_checks(spec, board, store)
        if Phase.STORYBOARD in wanted:
            ready.put(Ready(board, started, checks))
        if Phase.VIDEO_CHUNKS in wanted:
            with named(Phase.STORYBOARD):
                check_storyboard(spec, checks)  # the storyboard's checks gate the paid clips
            started = time.perf_counter()
            with named(Phase.VIDEO_CHUNKS):
                video_workers = workers(providers.video.provider)
                chunks = make_chunks(spec, board, store, providers, calls, progress, video_workers, settings)
            checks = [*verify.chunk_checks(spec, chunks), verify.colour_drifts(spec, board, chunks, store)]
            ready.put(Ready(chunks, started, checks))
        with lock:
            ended_lines.add("pictures")
            if "music" not in ended_lines:
                progress(Phase.MUSIC, 0, 1)  # the pictures are done; the video waits for its music

    def sound() -> None:
        started = time.perf_counter()
        with named(Phase.MUSIC):
            ready.put(Ready(make_music(spec, store, providers, calls), started, []))
        with lock:
            ended_lines.add("music")
            if "pictures" in ended_lines:
                progress(Phase.MUSIC, 1, 1)

    def voice() -> None:  # beside the music: both wait on providers, neither on the pictures
        started = time.perf_counter()
        with named(Phase.VOICEOVER):
            said = make_voiceover(spec, store, providers, calls, no_progress, workers(providers.speech.provider))
            ready.put(Ready(said, started, verify.voiceover_checks(spec, said, store)))

    lines = []
    if Phase.STORYBOARD in wanted or Phase.VIDEO_CHUNKS in wanted:
        lines.append(pictures)
    else:
        ended_lines.add("pictures")
        progress(Phase.MUSIC, 0, 1)
    if Phase.MUSIC in wanted:
        lines.append(sound)
    else:
        ended_lines.add("music")
    if Phase.VOICEOVER in wanted:
        lines.append(voice)

    def ended(work: Callable[[], None]) -> None:
        try:
            work()
        finally:
            ready.put(None)

    with ThreadPoolExecutor(max_workers=len(lines) or 1, thread_name_prefix="vidgen-media") as pool:
        jobs = [pool.submit(ended, line) for line in lines]
        running = len(jobs)
        try:
            while running:
                made = ready.get()
                if made is None:
                    running -= 1
                else:
                    yield made
        except BaseException:  # interrupted (Ctrl-C, a stopped run): the threads stop too, instead of finishing
            calls.stop.set()
            raise
    failed = [j.exception() for j in jobs if j.exception() is not None]
    if failed:
        raise failed[0]  # type: ignore[misc]


def check_storyboard(spec: VideoSpec, checks: list[verify.Outcome]) -> None:
    """Raise, naming the check and what to do, if a storyboard check failed: no clip is made from a bad board."""
    for failed in (o for o in checks if not o.passed):
        problems = plain_error(str(failed.metadata.get("problems") or failed.description))
        raise VidgenError(
            f"storyboard check {failed.name} failed ({problems}); "
            f"no clip was made or paid for: make a new take of each beat it names (`vidgen regenerate {spec.video_id} "
            "--beat N`), which then finishes the video"
        )


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
    """Cut the master picture: every chunk trimmed to its beat's frames, upscaled to the delivery size, joined with
    the spec's transitions, faded in from black and ended on the end card (the uploaded logo, or the brand).

    A cut already stored from the same clips, plan and encoder is kept as it is (a new line, voice or music, a
    resume after the final failed): the same file, so what is made from it is not made stale either."""
    keys = keys_for(spec)
    made_from = cut_version(spec, chunks, settings)
    kept = _kept_cut(store, keys, made_from)
    if kept is not None:
        log.info("stitched: the stored cut is made from the same clips and plan, kept")
        return kept
    model = video_model(spec.video_model)
    placed = [(c.plan, probe(store.local_path(c.key))) for c in chunks.chunks]
    logo = store.local_path(spec.logo) if spec.logo else None
    size = master_size(spec.aspect_ratio, spec.delivery.resolution)
    with tempfile.TemporaryDirectory() as tmp:
        card = render_end_card(spec, size, Path(tmp) / "end_card.png", logo)
        out = Path(tmp) / "stitched.mp4"
        render_cut(spec, placed, model.fps, card, out, settings)
        store.put_file(keys.stitched(), out)
    log.info("stitched: %d chunks cut to %dx%d", len(placed), *size)
    return _rendered(keys.stitched(), store, "cut", made_from=made_from)


def cut_version(spec: VideoSpec, chunks: ChunkSet, settings: Settings) -> str:
    """What a cut is made from, hashed: each clip (``footage``) and the time it is used, ``cut_inputs`` and the
    encoder (the stitched video's data version)."""
    parts = [f"{footage(c)}:{c.plan.use_s}" for c in chunks.chunks]
    made = "\n".join(str(p) for p in (*parts, *cut_inputs(spec), *encoder_inputs(settings)))
    return hashlib.sha256(made.encode()).hexdigest()[:24]


def _kept_cut(store: BlobStore, keys: VideoKeys, made_from: str) -> RenderedVideo | None:
    """The stored cut, if its manifest says it was made from ``made_from`` and its file is still the one it lists."""
    manifest = keys.manifest(Phase.STITCHED_VIDEO)
    if not store.exists(manifest):
        return None
    stored = RenderedVideo.model_validate_json(store.get_bytes(manifest))
    whole = store.exists(stored.key) and store.size(stored.key) == stored.size_bytes
    return stored if stored.made_from == made_from and stored.key == keys.stitched() and whole else None


def footage(chunk: Chunk) -> str:
    """What a chunk's clip is made of, for data versions: its call, and the upscaler that remade it, if any."""
    return chunk.cache_key + (f"+{chunk.upscaled_by}" if chunk.upscaled_by else "")


def cut_inputs(spec: VideoSpec) -> list[str]:
    """What the cut draws besides the chunks: the size, each beat's transition, and the end card's logo, words,
    colours and safe zone (the stitched video's data version)."""
    transitions = ",".join(beat.transition.value for beat in spec.beats)
    card = (spec.logo or "", spec.call_to_action, spec.brand, spec.product, spec.title, spec.style)
    return [spec.aspect_ratio, spec.delivery.resolution.value, transitions, *card, _zone(spec)]


def finalize_video(
    spec: VideoSpec,
    stitched: RenderedVideo,
    music: MusicTrack,
    voiceover: Voiceover,
    store: BlobStore,
    settings: Settings,
) -> RenderedVideo:
    """Mix the voice over the music (or the model's own audio), ducked under it, master the sum to the spec's
    loudness standard, encode the delivery mp4, and keep the stems as they are in the mix. The captions are written
    as SRT, WebVTT and ASS beside it and, burned, drawn into the picture with the beats' headlines first."""
    keys = keys_for(spec)
    music_path = store.local_path(music.key) if music.key else None
    standard = spec.delivery.loudness
    with tempfile.TemporaryDirectory() as tmp:
        voice = None
        if voiceover.lines:
            lines = [store.local_path(said.key) for said in voiceover.lines]
            voice = mix.voice_track(voiceover, lines, spec.duration_s, Path(tmp) / "voice_track.wav", settings)
        captions = write_captions(spec, voiceover, (stitched.width, stitched.height), Path(tmp))
        for extension, path in captions.items():
            store.put_file(keys.captions(extension), path)
        picture = store.local_path(stitched.key)
        burned = spec.narration.captions is Captions.BURNED and "ass" in captions
        if burned:
            picture = burn(picture, captions["ass"], Path(tmp) / "captioned.mp4", spec.delivery.resolution, settings)
        out = Path(tmp) / "final.mp4"
        made = ops.finalize(
            picture,
            music_path,
            out,
            spec.duration_s,
            LOUDNESS_TARGETS[standard],
            settings,
            voice,
        )
        store.put_file(keys.final(), out)
        if made.stems:
            store.put_file(keys.voice(), made.stems.voice)
            store.put_file(keys.music_mix(), made.stems.music)
    got = made.loudness
    log.info(
        "final: %s (video %s, %s%s: %.1f LUFS, %.1f dBTP, short-term max %.1f LUFS, %d encode%s)",
        keys.final(),
        made.mode,
        f"{len(voiceover.lines)} lines over the ducked bed, " if made.stems else "",
        standard.value,
        got.integrated_lufs,
        got.true_peak_dbtp,
        got.max_short_term_lufs,
        made.attempts,
        "" if made.attempts == 1 else "s",
    )
    return _rendered(
        keys.final(),
        store,
        made.mode,
        loudness_lufs=round(got.integrated_lufs, 2),
        loudness_standard=standard,
        true_peak_dbtp=round(got.true_peak_dbtp, 2),
        max_short_term_lufs=round(got.max_short_term_lufs, 2),
        max_momentary_lufs=round(got.max_momentary_lufs, 2),
        loudness_range_lu=round(got.lra_lu, 2),
        loudness_attempts=made.attempts,
        voice_key=keys.voice() if made.stems else None,
        music_mix_key=keys.music_mix() if made.stems else None,
        captions={extension: keys.captions(extension) for extension in captions},
        captions_burned=burned,
    )


def caption_inputs(spec: VideoSpec) -> list[str]:
    """What the final's captions and headlines are drawn from besides the voiceover's words, and where (its data
    version)."""
    headlines = "|".join(beat.on_screen for beat in spec.beats)
    return [spec.narration.captions.value, spec.narration.caption_style.value, spec.style, headlines, _zone(spec)]


def _zone(spec: VideoSpec) -> str:
    """The spec's safe zone for text on its master, as shares (its platforms decide it)."""
    zone = safe_zone_for(spec, *master_size(spec.aspect_ratio, spec.delivery.resolution))
    return ",".join(f"{v:.4f}" for v in (zone.x0, zone.y0, zone.x1, zone.y1))
