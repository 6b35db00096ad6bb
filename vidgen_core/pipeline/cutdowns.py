"""Cutdowns of a finished cut: a 15 s or 6 s version made from the clips, music and voice lines already made.

Nothing here calls a provider: the kept beats' clips are trimmed (``domain.cutdowns.plan_cutdown``), the music is
re-edited from the track that exists so it still ends on its ending, and the voice lines that still fit their
shortened beats are placed again from the audio already spoken. The cut and the final are the master's own phases
run on the cutdown's spec, so every rule of the master (transitions, end card, captions, loudness) holds for it.
It reads only what it is given, so it cuts any aspect's spec and chunks as well as the master's.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from vidgen_core.adapters.ffmpeg.splice import splice
from vidgen_core.adapters.storage import BlobStore, aspect_variant, length_variant
from vidgen_core.domain.cutdowns import KeptBeat, music_edit, plan_cutdown, trim_chunks
from vidgen_core.domain.errors import VidgenError
from vidgen_core.domain.models import (
    ChunkSet,
    MusicTrack,
    RenderedVideo,
    SpecBeat,
    SpokenLine,
    VideoSpec,
    Voiceover,
    WordTime,
)
from vidgen_core.domain.script import line_window
from vidgen_core.domain.tempo import mood_bpm
from vidgen_core.pipeline import phases
from vidgen_core.pipeline.voiceover import place
from vidgen_core.settings import Settings

log = logging.getLogger("vidgen.pipeline")


def variant_of(spec: VideoSpec, length_s: int) -> str:
    """Where a cutdown's files go: the aspect's variant (the master's aspect for the master) and the length."""
    return length_variant(spec.variant or aspect_variant(spec.aspect_ratio), length_s)


def cut_down(
    spec: VideoSpec,
    chunks: ChunkSet,
    music: MusicTrack,
    voiceover: Voiceover,
    length_s: int,
    store: BlobStore,
    settings: Settings,
) -> tuple[VideoSpec, RenderedVideo]:
    """A ``length_s`` cutdown of the cut ``spec`` + ``chunks`` with its ``music`` and ``voiceover``: its spec (the
    kept beats re-timed from 0, the lines that no longer fit emptied and named in ``plan_notes``) and its final,
    written under the cutdown's variant keys. Costs nothing: no provider is called."""
    try:
        kept = plan_cutdown(spec.beats, length_s)
    except ValueError as exc:
        raise VidgenError(f"no {length_s} s cutdown of this {spec.duration_s} s ad: {exc}") from exc
    timed = spec.model_copy(
        update={"beats": [_retimed(spec, k, i) for i, k in enumerate(kept)], "duration_s": length_s}
    )
    said, dropped = _lines(timed, kept, voiceover)
    notes = [_summary(spec, kept, length_s), *dropped.values()]
    beats = [b.model_copy(update={"line": ""}) if b.index in dropped else b for b in timed.beats]
    update = {"beats": beats, "variant": variant_of(spec, length_s), "plan_notes": [*spec.plan_notes, *notes]}
    cut = VideoSpec.model_validate(timed.model_copy(update=update).model_dump())
    keys = phases.keys_for(cut)
    store.put_bytes(keys.spec(), cut.model_dump_json(indent=2).encode())
    for note in notes:
        log.info("cutdown %s: %s", cut.variant, note)
    footage = ChunkSet(
        chunks=[
            chunks.chunks[position].model_copy(update={"plan": plan, "reused": True, "costs": []})
            for position, plan in trim_chunks([c.plan for c in chunks.chunks], kept)
        ]
    )
    bed = _music(cut, music, store, settings)
    stitched = phases.stitch_video(cut, footage, store, settings)
    return cut, phases.finalize_video(cut, stitched, bed, said, store, settings)


def _retimed(spec: VideoSpec, kept: KeptBeat, index: int) -> SpecBeat:
    return spec.beats[kept.source].model_copy(
        update={"index": index, "start_s": kept.start_s, "duration_s": kept.duration_s}
    )


def _summary(spec: VideoSpec, kept: list[KeptBeat], length_s: int) -> str:
    shown = ", ".join(f"beat {k.source} ({spec.beats[k.source].beat_id}) {k.duration_s} s" for k in kept)
    return f"{length_s} s cutdown keeps {shown}"


def _lines(cut: VideoSpec, kept: list[KeptBeat], voiceover: Voiceover) -> tuple[Voiceover, dict[int, str]]:
    """The master's spoken lines of the kept beats that still fit their beat's new window, placed again at its start
    (sped up within the script's limit if need be; the audio is the one already spoken), and a note on each line
    that no longer fits, by its beat's index in the cutdown."""
    lines, dropped = [], {}
    by_source = {said.beat_index: said for said in voiceover.lines}
    for beat, k in zip(cut.beats, kept, strict=True):
        said = by_source.get(k.source)
        if said is None:
            continue
        try:
            start, end, stretch = place(cut, beat, said.speech_s)
        except VidgenError:
            start, end = line_window(cut, beat)
            dropped[beat.index] = (
                f'beat {k.source}\'s line "{said.text}" is dropped: it takes {said.speech_s:.1f} s to say and its '
                f"{k.duration_s} s beat has room for {end - start:.1f} s"
            )
            continue
        lines.append(_moved(said, beat.index, start, end, stretch))
    costless = voiceover.model_copy(update={"lines": lines, "costs": []})
    return costless, dropped


def _moved(said: SpokenLine, index: int, start: float, end: float, stretch: float) -> SpokenLine:
    """A spoken line played from ``start`` at ``stretch``, its word times moved with it."""

    def at(t: float) -> float:
        return round(start + (t - said.start_s) / said.stretch * stretch, 3)

    words = [WordTime(word=w.word, start_s=at(w.start_s), end_s=at(w.end_s)) for w in said.words]
    update = {
        "beat_index": index,
        "start_s": round(start, 3),
        "end_s": round(end, 3),
        "stretch": round(stretch, 4),
        "words": words,
        "reused": True,
        "costs": [],
    }
    return said.model_copy(update=update)


def _music(cut: VideoSpec, music: MusicTrack, store: BlobStore, settings: Settings) -> MusicTrack:
    """The master's track re-edited to the cutdown's length (``music_edit``), stored under the cutdown's keys; a
    model's own audio (no track) rides the clips."""
    if music.skipped or music.key is None:
        return music
    bpm = music.bpm or mood_bpm(music.mood)  # an old plan's track was made at its mood's tempo
    edit = music_edit(music.duration_s, cut.duration_s, bpm)
    key = phases.keys_for(cut).music()
    with tempfile.TemporaryDirectory() as tmp:
        store.put_file(key, splice(store.local_path(music.key), edit, Path(tmp) / "music.wav", settings.audio_rate_hz))
    log.info(
        "cutdown %s: music %.2f s opening + its ending from %.2f s (%.2f s)%s, joined on the %g bpm grid",
        cut.variant,
        edit.head_s,
        edit.tail_from_s,
        edit.tail_s,
        ", its last moments faded" if edit.faded else f", then {edit.silence_s:.2f} s of silence",
        bpm,
    )
    return music.model_copy(update={"key": key, "duration_s": float(cut.duration_s), "reused": True, "costs": []})
