"""The deliverables phase: every file one brief ships (each aspect's master, the cutdowns, the platform versions, a
poster per video, captions, stems, a ProRes mezzanine) and one zip of them all. Everything is made here from what
was already paid for: cutdowns and platform versions are cuts, mixes and encodes, so this phase never calls a
provider."""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import time
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from vidgen_core.adapters.ffmpeg.mezzanine import prores_master
from vidgen_core.adapters.ffmpeg.ops import Stems
from vidgen_core.adapters.ffmpeg.poster import Still, sharpest_frame
from vidgen_core.adapters.render.poster import draw_poster
from vidgen_core.adapters.storage import BlobStore, VideoKeys, aspect_variant
from vidgen_core.domain.captions import SIDECARS
from vidgen_core.domain.catalog import Aspect, Platform
from vidgen_core.domain.cutdowns import product_beat
from vidgen_core.domain.editing import END_CARD_S, FADE_IN_S, REANCHOR_CROSSFADE_S, TRANSITION_S
from vidgen_core.domain.errors import VidgenError
from vidgen_core.domain.models import (
    AspectSet,
    ChunkSet,
    Deliverable,
    DeliverableKind,
    Deliverables,
    FrameSource,
    MusicTrack,
    RenderedVideo,
    VideoSpec,
    Voiceover,
)
from vidgen_core.domain.platforms import PLATFORMS, safe_zone_for
from vidgen_core.domain.sound import LOUDNESS_TARGETS
from vidgen_core.pipeline.cutdowns import cut_down
from vidgen_core.pipeline.phases import keys_for
from vidgen_core.pipeline.platforms import platform_version
from vidgen_core.settings import Settings

STORED_FORMATS = frozenset({"mp4", "mov", "jpg", "wav"})  # already compressed (or PCM, which deflates little): kept
log = logging.getLogger(__name__)
POSTER_FRAME_MARGIN_S = 0.2  # kept clear of the hero beat's edges: a cut's first frames can carry encoder ramp-up


@dataclass(frozen=True)
class Aspected:
    """One aspect of the plan as rendered: its spec (its variant's keys), clips, clean picture and final."""

    spec: VideoSpec
    chunks: ChunkSet
    stitched: RenderedVideo
    final: RenderedVideo


@dataclass(frozen=True)
class Rendition:
    """A video deliverable: which aspect, length and platform it is, the spec it was cut by, and the file."""

    kind: DeliverableKind
    aspect: Aspect
    length_s: int
    spec: VideoSpec
    video: RenderedVideo
    platform: Platform | None = None


def slug(spec: VideoSpec) -> str:
    """The brief's name as a file name: 'Nike Air Max' -> 'nike-air-max' (the video id when it has none)."""
    ascii_name = unicodedata.normalize("NFKD", spec.name or spec.title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60] or spec.video_id


def file_name(spec: VideoSpec, aspect: Aspect, length_s: int, platform: Platform | None, extension: str) -> str:
    """A readable file name: ``nike-air-max_9x16_15s_tiktok.mp4``."""
    parts = [slug(spec), aspect_variant(aspect), f"{length_s}s", *([platform.value] if platform else [])]
    return "_".join(parts) + f".{extension}"


def poster_key(video_key: str) -> str:
    """Where a video's poster goes: ``poster.jpg`` beside a ``final.mp4`` (``VideoKeys.poster()``), else beside the
    file with its stem."""
    path = PurePosixPath(video_key)
    return str(path.with_name("poster.jpg" if path.name == "final.mp4" else f"{path.stem}_poster.jpg"))


def hero_span(spec: VideoSpec) -> tuple[float, float]:
    """Where the poster's frame may come from: the hero beat (the one a cutdown keeps as its product beat; else the
    middle beat), without the transition into it, the fade in and the end card."""
    index = product_beat(spec.beats)
    hero = spec.beats[len(spec.beats) // 2 if index is None else index]
    start = hero.start_s + TRANSITION_S[hero.transition] + (FADE_IN_S if hero.index == 0 else 0.0)
    end = min(hero.end_s, spec.duration_s - END_CARD_S) if spec.duration_s > END_CARD_S else hero.end_s
    start, end = start + POSTER_FRAME_MARGIN_S, end - POSTER_FRAME_MARGIN_S
    return (start, end) if end > start else (hero.start_s, hero.end_s)


def blends(spec: VideoSpec, chunks: ChunkSet) -> list[tuple[float, float]]:
    """Where a long beat re-anchors inside itself (a clip that starts from the storyboard again): a crossfade of
    ``REANCHOR_CROSSFADE_S`` from that clip's place on the timeline, kept clear of the poster's frame."""
    spans, used = [], dict.fromkeys(range(len(spec.beats)), 0.0)
    for chunk in chunks.chunks:
        plan = chunk.plan
        at = spec.beats[plan.beat_index].start_s + used[plan.beat_index]
        used[plan.beat_index] += plan.use_s
        if plan.part > 0 and plan.source is FrameSource.STORYBOARD:
            spans.append((at - POSTER_FRAME_MARGIN_S, at + REANCHOR_CROSSFADE_S + POSTER_FRAME_MARGIN_S))
    return spans


def platform_lengths(spec: VideoSpec, platform: Platform) -> list[int]:
    """The lengths a platform gets: the ad's own, or (a platform that takes only some lengths)
    each of the ad's and its cutdowns' lengths it takes (CTV: 6, 15 or 30 s), longest first."""
    preset = PLATFORMS[platform]
    made = [spec.duration_s, *spec.campaign.cutdowns]
    return [length for length in made if length in preset.lengths] if preset.lengths else [spec.duration_s]


def wants_mezzanine(spec: VideoSpec) -> bool:
    return spec.campaign.mezzanine or any(PLATFORMS[p].mezzanine for p in spec.campaign.platforms)


def make_deliverables(
    spec: VideoSpec,
    stitched: RenderedVideo,
    final: RenderedVideo,
    chunks: ChunkSet,
    music: MusicTrack,
    voiceover: Voiceover,
    aspects: AspectSet,
    store: BlobStore,
    settings: Settings,
) -> Deliverables:
    """Make and list every file of the brief, then zip them at ``VideoKeys.archive()``."""
    renditions = _renditions(spec, stitched, final, chunks, music, voiceover, aspects, store, settings)
    clean = {spec.aspect_ratio: stitched, **{cut.aspect: cut.stitched for cut in aspects.cuts}}
    files = [_video_file(spec, r, store) for r in renditions]
    with tempfile.TemporaryDirectory(prefix="vidgen-deliverables-") as tmp:
        folder = Path(tmp)
        span, avoid = hero_span(spec), blends(spec, chunks)  # one plan: the same timeline in every aspect
        stills = {a: sharpest_frame(store.local_path(v.key), *span, avoid) for a, v in clean.items()}
        files += [_poster(spec, r, stills[r.aspect], store, folder) for r in renditions]
        files += _sidecars(spec, renditions, store)
        stamp = time.perf_counter()
        if wants_mezzanine(spec):
            files.append(_mezzanine(spec, renditions, store, folder, settings))
            took = time.perf_counter() - stamp
            log.info("deliverables: mezzanine %.1f MB in %.1fs", files[-1].size_bytes / 1e6, took)
        files = _unique(files)
        stamp = time.perf_counter()
        files.append(_archive(spec, files, store, folder))
        log.info(
            "deliverables: %d files, zip %.1f MB in %.1fs; posters from frames %s (Laplacian variance %s)",
            len(files),
            files[-1].size_bytes / 1e6,
            time.perf_counter() - stamp,
            {a: s.frame for a, s in stills.items()},
            {a: s.sharpness for a, s in stills.items()},
        )
    return Deliverables(files=files)


def _renditions(
    spec: VideoSpec,
    stitched: RenderedVideo,
    final: RenderedVideo,
    chunks: ChunkSet,
    music: MusicTrack,
    voiceover: Voiceover,
    aspects: AspectSet,
    store: BlobStore,
    settings: Settings,
) -> list[Rendition]:
    """Each aspect's master, its cutdowns (longest first) and the platform versions, in that order."""
    made = {spec.aspect_ratio: Aspected(spec, chunks, stitched, final)}
    for cut in aspects.cuts:
        derived = spec.model_copy(update={"aspect_ratio": cut.aspect, "variant": cut.variant})
        made[cut.aspect] = Aspected(derived, cut.chunks, cut.stitched, cut.final)
    full = [Rendition(DeliverableKind.VIDEO, a, spec.duration_s, m.spec, m.final) for a, m in made.items()]
    cut_to: dict[tuple[Aspect, int], Rendition] = {}
    for length in spec.campaign.cutdowns:
        for aspect, m in made.items():
            cut_spec, video = cut_down(m.spec, m.chunks, music, voiceover, length, store, settings)
            cut_to[aspect, length] = Rendition(DeliverableKind.CUTDOWN, aspect, length, cut_spec, video)
    versions = []
    for platform in spec.campaign.platforms:
        aspect = PLATFORMS[platform].aspect
        if aspect not in made:
            raise VidgenError(
                f"{platform} takes {aspect} video and no {aspect} version of this ad was made; make the aspects "
                f"asset of video {spec.video_id} (it makes every aspect the campaign asks for), then this one again"
            )
        lengths = platform_lengths(spec, platform)
        for length in lengths:
            base = next(r for r in full if r.aspect == aspect) if length == spec.duration_s else cut_to[aspect, length]
            video = platform_version(base.spec, base.video, platform, store, settings)
            versions.append(Rendition(base.kind, aspect, length, base.spec, video, platform))
    return [*full, *cut_to.values(), *versions]


def _video_file(spec: VideoSpec, r: Rendition, store: BlobStore) -> Deliverable:
    return Deliverable(
        kind=r.kind,
        name=file_name(spec, r.aspect, r.length_s, r.platform, "mp4"),
        key=r.video.key,
        aspect=r.aspect,
        platform=r.platform,
        length_s=r.length_s,
        width=r.video.width,
        height=r.video.height,
        size_bytes=store.size(r.video.key),
        format="mp4",
    )


def _poster(spec: VideoSpec, r: Rendition, still: Still, store: BlobStore, folder: Path) -> Deliverable:
    """The hero beat's sharpest frame at the video's size with the title where its video's text goes: inside the
    safe zone of every platform the campaign names for its aspect (the frame's own, without one)."""
    size = (r.video.width, r.video.height)
    zone = safe_zone_for(r.spec, *size)  # the zone its video's own text keeps: inside every platform of its aspect
    name = file_name(spec, r.aspect, r.length_s, r.platform, "jpg").replace(".jpg", "_poster.jpg")
    key = poster_key(r.video.key)
    store.put_file(key, draw_poster(still.image, size, spec.name or spec.title, zone, folder / name))
    return Deliverable(
        kind=DeliverableKind.POSTER,
        name=name,
        key=key,
        aspect=r.aspect,
        platform=r.platform,
        width=size[0],
        height=size[1],
        size_bytes=store.size(key),
        format="jpg",
    )


def _sidecars(spec: VideoSpec, renditions: list[Rendition], store: BlobStore) -> list[Deliverable]:
    """Each video's caption files (their lines break for its frame), and the stems once per length: every aspect
    of a length mixes the same voice and music."""
    found, stemmed = [], set()
    for r in renditions:
        named = file_name(spec, r.aspect, r.length_s, r.platform, "x")[:-2]
        listed = [(DeliverableKind.CAPTIONS, r.video.captions.get(ext), f"{named}.{ext}", ext) for ext in SIDECARS]
        if r.length_s not in stemmed:
            stemmed.add(r.length_s)
            stem = f"{slug(spec)}_{r.length_s}s"
            listed += [
                (DeliverableKind.STEM, r.video.voice_key, f"{stem}_voice.wav", "wav"),
                (DeliverableKind.STEM, r.video.music_mix_key, f"{stem}_music_mix.wav", "wav"),
            ]
        for kind, key, name, extension in listed:
            if key and store.exists(key):
                found.append(
                    Deliverable(
                        kind=kind,
                        name=name,
                        key=key,
                        aspect=r.aspect,
                        platform=r.platform,
                        length_s=r.length_s if kind is DeliverableKind.STEM else None,
                        size_bytes=store.size(key),
                        format=extension,
                    )
                )
    return found


def _mezzanine(
    spec: VideoSpec, renditions: list[Rendition], store: BlobStore, folder: Path, settings: Settings
) -> Deliverable:
    """ProRes 422 HQ of the version a mezzanine platform takes (CTV's, mastered to its loudness; its sound decoded),
    else of the master (its sound the mix before AAC, from its stems, where it has them)."""
    wanting = [r for r in renditions if r.platform and PLATFORMS[r.platform].mezzanine]
    source = wanting[0] if wanting else renditions[0]
    name = file_name(spec, source.aspect, source.length_s, source.platform, "mov")
    key = keys_for(spec).mezzanine()
    master, video = source.video, store.local_path(source.video.key)
    if not wanting and master.voice_key and master.music_mix_key and master.loudness_standard:
        stems = Stems(store.local_path(master.voice_key), store.local_path(master.music_mix_key))
        made = prores_master(video, folder / name, settings, stems, LOUDNESS_TARGETS[master.loudness_standard])
    else:
        made = prores_master(video, folder / name, settings)
    store.put_file(key, made)
    return Deliverable(
        kind=DeliverableKind.MEZZANINE,
        name=name,
        key=key,
        aspect=source.aspect,
        platform=source.platform,
        length_s=source.length_s,
        width=source.video.width,
        height=source.video.height,
        size_bytes=store.size(key),
        format="mov",
    )


def _unique(files: list[Deliverable]) -> list[Deliverable]:
    """One entry per stored file (a platform version may share its aspect's captions), each name once."""
    seen: set[str] = set()
    names: set[str] = set()
    kept = []
    for f in files:
        if f.key in seen:
            continue
        seen.add(f.key)
        name, n = f.name, 2
        while name in names:
            stem, _, extension = f.name.rpartition(".")
            name, n = f"{stem}-{n}.{extension}", n + 1
        names.add(name)
        kept.append(f.model_copy(update={"name": name}))
    return kept


def _archive(spec: VideoSpec, files: list[Deliverable], store: BlobStore, folder: Path) -> Deliverable:
    """Every file in one zip, streamed member by member: media stored as they are, text deflated."""
    key = VideoKeys(spec.user_id, spec.video_id).archive()
    path = folder / f"{slug(spec)}_deliverables.zip"
    with zipfile.ZipFile(path, "w", allowZip64=True) as archive:
        for f in files:
            method = zipfile.ZIP_STORED if f.format in STORED_FORMATS else zipfile.ZIP_DEFLATED
            with store.local_path(f.key).open("rb") as src, archive.open(_member(f.name, method), "w") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
    store.put_file(key, path)
    return Deliverable(
        kind=DeliverableKind.ARCHIVE,
        name=path.name,
        key=key,
        aspect=spec.aspect_ratio,
        size_bytes=store.size(key),
        format="zip",
    )


def _member(name: str, method: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.compress_type = method
    info.external_attr = 0o644 << 16
    return info
