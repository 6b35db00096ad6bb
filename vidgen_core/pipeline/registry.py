"""Every phase in one place: its name, share of the work, manifest and where it is kept, its checks, what it shows,
its preview and who it pays. The wiring (IO manager, progress, metadata, API and CLI) reads these entries, so a new
phase is its own module plus one entry here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from vidgen_core.adapters.ffmpeg.preview import contact_sheet, video_strip, waveform
from vidgen_core.adapters.storage import BlobStore, VideoKeys
from vidgen_core.domain.catalog import LOCAL_PROVIDER, Kind
from vidgen_core.domain.checks import CheckName
from vidgen_core.domain.models import (
    Animatic,
    AspectSet,
    ChunkSet,
    DeliverableKind,
    Deliverables,
    MusicTrack,
    Phase,
    RenderedVideo,
    Storyboard,
    VideoSpec,
    Voiceover,
)
from vidgen_core.domain.shown import Column, Preview, Shown, Stored, Table


class Source(StrEnum):
    """Assets observed, not made: the request and its takes feed the plan, the images and the clips."""

    VIDEO_REQUEST = "video_request"


Facts = Callable[[VideoSpec, Any], dict[str, Shown]]


@dataclass(frozen=True)
class PhaseEntry:
    phase: Phase
    share: float  # of a typical run's wall time, 100 over generate_video's phases (seed timings: plan 7 s, images
    # 32 s, chunks 5.5 min, music 2 min; speech: a few seconds a line); fixed, whatever the request asks
    manifest: type[BaseModel]  # the asset's value, passed downstream and kept as JSON
    key: Callable[[VideoKeys], str]  # where the manifest is kept
    facts: Facts  # what its materialization shows
    checks: tuple[CheckName, ...] = ()
    paid: Kind | None = None  # the provider kind it pays; None: made here (ffmpeg), free
    preview: Callable[[Any, BlobStore], bytes | None] | None = None  # a small JPEG of the output
    renderer: str = "ffmpeg"  # what makes it here: offline for a paid kind, always for a free phase


def _columns(*named: tuple[str, type]) -> tuple[Column, ...]:
    return tuple(Column(name, kind) for name, kind in named)


PLAN_COLUMNS = _columns(
    ("beat", int),
    ("take", int),
    ("name", str),
    ("start_s", int),
    ("length_s", int),
    ("shot", str),
    ("camera", str),
    ("transition", str),
    ("line", str),
    ("on_screen", str),
)
IMAGE_COLUMNS = _columns(("beat", int), ("take", int), ("image_prompt", str), ("usd", float), ("reused", bool))
LINE_COLUMNS = _columns(
    ("beat", int),
    ("take", int),
    ("voice", str),
    ("spoken_by", str),
    ("start_s", float),
    ("end_s", float),
    ("stretch", float),
    ("words", int),
    ("timed_by", str),
    ("line", str),
    ("usd", float),
    ("reused", bool),
)
FILE_COLUMNS = _columns(
    ("kind", str),
    ("name", str),
    ("aspect", str),
    ("platform", str),
    ("length_s", float),
    ("width", int),
    ("height", int),
    ("size_bytes", int),
    ("format", str),
    ("key", str),
)
CHUNK_COLUMNS = _columns(
    ("chunk", int), ("beat", int), ("take", int), ("part", int), ("clip_s", int), ("usd", float), ("reused", bool)
)


def _spec_facts(spec: VideoSpec, _: VideoSpec) -> dict[str, Shown]:
    rows = [
        (b.index, b.take, b.name, b.start_s, b.duration_s, b.shot_type, b.camera, b.transition, b.line, b.on_screen)
        for b in spec.beats
    ]
    return {
        "title": spec.title,  # the partition is a bare id: its title and owner are shown here
        "user": spec.user_id,
        "brand": spec.brand,
        "product": spec.product,
        "style": spec.style,
        "music_mood": spec.music_mood,
        "duration_s": spec.duration_s,
        "aspect_ratio": spec.aspect_ratio,
        "video_model": spec.video_model,
        "beats": len(spec.beats),
        "takes": {str(b.index): b.take for b in spec.beats},
        "plan_notes": "; ".join(spec.plan_notes) or "-",
        "call_to_action": spec.call_to_action or "-",
        "language": spec.language,
        "voice": spec.narration.voice or "(default)",
        "captions": spec.narration.captions.value,
        "beat_table": Table(PLAN_COLUMNS, rows),
    }


def _storyboard_facts(_: VideoSpec, board: Storyboard) -> dict[str, Shown]:
    rows = [(i.beat_index, i.take, i.prompt, round(i.cost_usd, 4), i.reused) for i in board.images]
    return {
        "images": len(board.images),
        "reused": sum(i.reused for i in board.images),
        "beat_table": Table(IMAGE_COLUMNS, rows),
    }


def _music_facts(_: VideoSpec, track: MusicTrack) -> dict[str, Shown]:
    return {
        "reused": int(track.reused),
        "skipped": track.skipped,
        "reason": track.reason or "-",
        "duration_s": track.duration_s,
        "mood": track.mood,
    }


def _voiceover_facts(_: VideoSpec, said: Voiceover) -> dict[str, Shown]:
    rows = [
        (
            s.beat_index,
            s.take,
            s.voice,
            s.spoken_by or s.voice,
            s.start_s,
            s.end_s,
            s.stretch,
            len(s.words),
            s.timed_by,
            s.text,
            round(s.cost_usd, 4),
            s.reused,
        )
        for s in said.lines
    ]
    return {
        "lines": len(said.lines),
        "reused": sum(s.reused for s in said.lines),
        "skipped": said.skipped,
        "reason": said.reason or "-",
        "language": said.language,
        "speech_s": round(sum(s.end_s - s.start_s for s in said.lines), 2),
        "script_table": Table(LINE_COLUMNS, rows),
    }


def _chunk_facts(_: VideoSpec, chunks: ChunkSet) -> dict[str, Shown]:
    rows = [
        (c.plan.index, c.plan.beat_index, c.take, c.plan.part, c.plan.clip_s, round(c.cost_usd, 4), c.reused)
        for c in chunks.chunks
    ]
    return {
        "chunks": len(chunks.chunks),
        "reused": sum(c.reused for c in chunks.chunks),
        "clip_seconds": sum(c.plan.clip_s for c in chunks.chunks),
        "chunk_table": Table(CHUNK_COLUMNS, rows),
    }


def _video_facts(_: VideoSpec, video: RenderedVideo) -> dict[str, Shown]:
    shown: dict[str, Shown] = {
        "duration_s": video.duration_s,
        "width": video.width,
        "height": video.height,
        "size_bytes": video.size_bytes,
        "mode": video.mode,
        "file": Stored(video.key),
    }
    if video.loudness_lufs is not None:
        shown["loudness_lufs"] = video.loudness_lufs
    if video.voice_key and video.music_mix_key:  # the stems, as they are in the mix
        shown["voice"], shown["music_mix"] = Stored(video.voice_key), Stored(video.music_mix_key)
    for extension in ("srt", "vtt"):  # the sidecars (the ASS script only draws burned captions)
        if extension in video.captions:
            shown[f"captions_{extension}"] = Stored(video.captions[extension])
    if video.captions:
        shown["captions_burned"] = video.captions_burned
    return shown


ASPECT_COLUMNS = _columns(
    ("aspect", str),
    ("mode", str),
    ("usd", float),
    ("width", int),
    ("height", int),
    ("duration_s", float),
    ("chunks", int),
    ("reused", int),
)


def _aspect_facts(_: VideoSpec, made: AspectSet) -> dict[str, Shown]:
    rows = [
        (
            c.aspect,
            c.mode.value,
            round(sum(line.usd for line in c.costs), 4),
            c.final.width,
            c.final.height,
            c.final.duration_s,
            len(c.chunks.chunks),
            sum(ch.reused for ch in c.chunks.chunks),
        )
        for c in made.cuts
    ]
    files: dict[str, Shown] = {f"final_{c.variant}": Stored(c.final.key) for c in made.cuts}
    return {
        "aspects": ", ".join(c.aspect for c in made.cuts) or "-",
        "mode": ", ".join(sorted({c.mode.value for c in made.cuts})) or "-",
        "aspect_table": Table(ASPECT_COLUMNS, rows),
        **files,
    }


def _aspects_preview(made: AspectSet, store: BlobStore) -> bytes | None:
    """Each aspect's first beat, side by side."""
    stills = [store.local_path(c.chunks.chunks[0].last_frame_key) for c in made.cuts if c.chunks.chunks]
    return contact_sheet(stills, max(1, len(stills))) if stills else None


def _deliverables_facts(_: VideoSpec, made: Deliverables) -> dict[str, Shown]:
    """Every file of the brief in one table (a still's or a text file's length, width and height read 0)."""
    rows = [
        (
            f.kind,
            f.name,
            f.aspect,
            f.platform or "-",
            f.length_s or 0.0,
            f.width or 0,
            f.height or 0,
            f.size_bytes,
            f.format,
            f.key,
        )
        for f in made.files
    ]
    counts = {kind.value: sum(f.kind is kind for f in made.files) for kind in DeliverableKind}
    shown: dict[str, Shown] = {
        "files": len(made.files),
        "total_bytes": sum(f.size_bytes for f in made.files if f.kind is not DeliverableKind.ARCHIVE),
        "counts": {kind: n for kind, n in counts.items() if n},
        "file_table": Table(FILE_COLUMNS, rows),
    }
    if archive := next((f for f in made.files if f.kind is DeliverableKind.ARCHIVE), None):
        shown["archive"], shown["archive_bytes"] = Stored(archive.key), archive.size_bytes
    return shown


def _posters(made: Deliverables, store: BlobStore) -> bytes:
    return contact_sheet([store.local_path(f.key) for f in made.files if f.kind is DeliverableKind.POSTER])


def _video_preview(video: RenderedVideo | Animatic, store: BlobStore) -> bytes:
    return video_strip(store.local_path(video.key))


def _preview_facts(_: VideoSpec, made: Animatic) -> dict[str, Shown]:
    return {
        "duration_s": made.duration_s,
        "width": made.width,
        "height": made.height,
        "fps": made.fps,
        "frames": made.frames,
        "size_bytes": made.size_bytes,
        "render_s": made.render_s,
        "takes": made.takes,
        "file": Stored(made.key),
    }


def _manifest(phase: Phase) -> Callable[[VideoKeys], str]:
    return lambda keys: keys.manifest(phase)


PHASES: dict[Phase, PhaseEntry] = {  # in run order
    Phase.VIDEO_SPEC: PhaseEntry(
        Phase.VIDEO_SPEC, 2.0, VideoSpec, VideoKeys.spec, _spec_facts, paid=Kind.LLM, renderer=LOCAL_PROVIDER
    ),
    Phase.STORYBOARD: PhaseEntry(
        Phase.STORYBOARD,
        8.0,
        Storyboard,
        _manifest(Phase.STORYBOARD),
        _storyboard_facts,
        checks=(CheckName.ONE_IMAGE_PER_BEAT,),
        paid=Kind.IMAGE,
        preview=lambda board, store: contact_sheet([store.local_path(i.key) for i in board.images]),
        renderer="pillow",
    ),
    Phase.PREVIEW: PhaseEntry(  # a review run's last phase, off the full run's path: no share of its progress
        Phase.PREVIEW,
        0.0,
        Animatic,
        _manifest(Phase.PREVIEW),
        _preview_facts,
        checks=(CheckName.PREVIEW_MEASURED,),
        preview=_video_preview,
    ),
    Phase.MUSIC: PhaseEntry(
        Phase.MUSIC,
        14.0,
        MusicTrack,
        _manifest(Phase.MUSIC),
        _music_facts,
        paid=Kind.MUSIC,
        preview=lambda track, store: waveform(store.local_path(track.key)) if track.key else None,
        renderer="numpy",
    ),
    Phase.VOICEOVER: PhaseEntry(
        Phase.VOICEOVER,
        1.0,
        Voiceover,
        _manifest(Phase.VOICEOVER),
        _voiceover_facts,
        checks=(CheckName.LINES_FIT_BEATS, CheckName.WORDS_ON_SPEECH),
        paid=Kind.SPEECH,
        renderer="piper",
    ),
    Phase.VIDEO_CHUNKS: PhaseEntry(
        Phase.VIDEO_CHUNKS,
        63.0,
        ChunkSet,
        _manifest(Phase.VIDEO_CHUNKS),
        _chunk_facts,
        checks=(CheckName.EVERY_BEAT_COVERED, CheckName.COLOUR_DRIFT),
        paid=Kind.VIDEO,
        preview=lambda chunks, store: contact_sheet([store.local_path(c.last_frame_key) for c in chunks.chunks], 6),
    ),
    # Beside the master's cut (it needs the media, not the master): placed before the cut, so starting it never
    # jumps a run's progress past the cut still being made. A typical run asks for no other aspect and this step
    # makes nothing, hence no share; a campaign's native aspects take about as long as the master's pictures again,
    # reframed ones about a cut each, which a share fixed for every request cannot say (a share cannot depend on the
    # request): meanwhile progress holds where the master's final left it.
    Phase.ASPECTS: PhaseEntry(
        Phase.ASPECTS,
        0.0,
        AspectSet,
        _manifest(Phase.ASPECTS),
        _aspect_facts,
        checks=(CheckName.ASPECTS_SAME_TIMING, CheckName.ASPECTS_DELIVERY_SIZE),
        paid=Kind.VIDEO,  # native aspects pay images and clips; reframed ones nothing
        preview=_aspects_preview,
    ),
    Phase.STITCHED_VIDEO: PhaseEntry(
        Phase.STITCHED_VIDEO,
        3.0,
        RenderedVideo,
        _manifest(Phase.STITCHED_VIDEO),
        _video_facts,
        checks=(CheckName.SEAMS_CONTINUOUS, CheckName.BEATS_ON_FRAME),
        preview=_video_preview,
    ),
    Phase.FINAL_VIDEO: PhaseEntry(
        Phase.FINAL_VIDEO,
        7.0,
        RenderedVideo,
        _manifest(Phase.FINAL_VIDEO),
        _video_facts,
        checks=(
            CheckName.FILE_FORMAT,
            CheckName.TIMING_EXACT,
            CheckName.LOUDNESS_ON_TARGET,
            CheckName.NO_FROZEN_OR_BLACK,
            CheckName.VOICE_OVER_MUSIC,
            CheckName.SPEECH_WHERE_LINES,
            CheckName.CAPTIONS_IN_SAFE_ZONE,
        ),
        preview=_video_preview,
    ),
    Phase.DELIVERABLES: PhaseEntry(  # a typical run's posters (the hero's sharpest frame), zip and checks: seconds
        Phase.DELIVERABLES,
        2.0,
        Deliverables,
        _manifest(Phase.DELIVERABLES),
        _deliverables_facts,
        checks=(
            CheckName.LENGTHS_AS_STATED,
            CheckName.POSTERS_MATCH_VIDEOS,
            CheckName.MEZZANINE_PRORES_HQ,
            CheckName.ARCHIVE_COMPLETE,
        ),
        preview=_posters,
    ),
}
ORDER = tuple(PHASES)


def shown(phase: Phase, spec: VideoSpec, manifest: BaseModel, store: BlobStore) -> dict[str, Shown]:
    """What a phase's output shows, its preview written to the store first (``previews/{phase}.jpg``)."""
    entry = PHASES[phase]
    facts = entry.facts(spec, manifest)
    image = entry.preview(manifest, store) if entry.preview else None
    if image:
        key = VideoKeys(spec.user_id, spec.video_id).preview(phase)
        store.put_bytes(key, image)
        facts["preview"] = Preview(key)
    return facts


def percent(phase: Phase, done: int, total: int) -> float:
    """0-100: the shares of the phases before ``phase`` plus its finished fraction."""
    before = sum(PHASES[p].share for p in ORDER[: ORDER.index(phase)])
    fraction = done / total if total else 0.0
    return round(before + PHASES[phase].share * min(max(fraction, 0.0), 1.0), 1)
