"""The voiceover phase: each beat's line spoken as a cached, ledgered call of its own, then placed in its beat.

A line's call is keyed by its text, voice, language, model and line take, so changing one line (or its voice) pays
for that line only, and a re-run pays for nothing. Where the engine gives no word times, they are estimated from the
audio's envelope inside the call, so the cache keeps them with the audio.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from vidgen_core.adapters.ffmpeg import speech
from vidgen_core.adapters.ffmpeg.probe import probe
from vidgen_core.adapters.registry import Providers
from vidgen_core.adapters.storage import BlobStore, VideoKeys
from vidgen_core.domain import costs
from vidgen_core.domain.catalog import speech_model
from vidgen_core.domain.errors import VidgenError
from vidgen_core.domain.models import Phase, SpecBeat, SpokenLine, VideoSpec, Voiceover, WordTime
from vidgen_core.domain.ports import Journal, SpeechJob
from vidgen_core.domain.progress import Progress, no_progress
from vidgen_core.domain.script import MAX_STRETCH, MIN_STRETCH, line_window
from vidgen_core.pipeline.calls import Call, CallCache, Made
from vidgen_core.pipeline.work import Counter, concurrently

log = logging.getLogger("vidgen.pipeline")
ENGINE, ENVELOPE = "engine", "envelope"
FIT_TOLERANCE_S = 1e-9  # a line exactly 10 % too long fits: its float product may land a hair over the room


def make_voiceover(
    spec: VideoSpec,
    store: BlobStore,
    providers: Providers,
    calls: CallCache,
    progress: Progress = no_progress,
    workers: int = 1,
) -> Voiceover:
    """Every beat's line spoken and placed on the timeline, ``workers`` lines at once; skipped (at no cost) for
    ``--voice none`` or a plan without lines."""
    if not spec.narration.speaks:
        return Voiceover(language=spec.language, skipped=True, reason="no voice was asked for (voice: none)")
    model = speech_model(spec.narration.speech_model)
    if spec.language not in model.languages:
        reason = f"{model.name} does not speak the script's language ({spec.language})"
        return Voiceover(language=spec.language, skipped=True, reason=reason)
    spoken = [beat for beat in spec.beats if beat.line.strip()]
    if not spoken:
        return Voiceover(language=spec.language, skipped=True, reason="the plan has no voiceover lines")
    done = Counter(progress, Phase.VOICEOVER, len(spoken))

    def line(beat: SpecBeat) -> SpokenLine:
        said = speak_line(spec, beat, store, providers, calls)
        log.info(
            "voiceover %s: beat %d take %d, %.2fs%s",
            done.one(),
            beat.index,
            beat.line_take,
            said.speech_s,
            " (reused)" if said.reused else "",
        )
        return said

    lines = concurrently(line, spoken, workers)
    return Voiceover(lines=lines, language=spec.language, costs=[c for said in lines for c in said.costs])


def speak_line(spec: VideoSpec, beat: SpecBeat, store: BlobStore, providers: Providers, calls: CallCache) -> SpokenLine:
    """One beat's line: spoken (or reused), its word times, and where it sits in its beat."""
    model = speech_model(spec.narration.speech_model)
    voice = model.check_voice(spec.voice_of(beat))
    call = Call(
        phase=Phase.VOICEOVER,
        item=f"line_{beat.index:02d}",
        provider=providers.speech.provider,
        model=model.name,
        inputs={"text": beat.line.strip(), "voice": voice, "language": spec.language},
        beat_index=beat.index,
        take=beat.line_take,
        estimate_usd=0.0 if providers.speech.provider == costs.FREE else costs.line_price(spec.narration, beat.line),
    )
    item = f"line of beat {beat.index} ({beat.beat_id})"

    def say(tmp: Path, journal: Journal) -> Made:
        job = SpeechJob(beat.line.strip(), voice, spec.language, model.name, item, journal)
        made = providers.speech.speak(job, tmp / "spoken.wav")
        line, cut = speech.trimmed(made.path, tmp / "line.wav")  # placed and stretched on its speech alone
        timed_by = ENGINE if made.words else ENVELOPE
        moved = [
            w.model_copy(update={"start_s": round(max(w.start_s - cut, 0.0), 3), "end_s": round(w.end_s - cut, 3)})
            for w in made.words or []
        ]
        words = moved or speech.align(line, job.text)
        timing = tmp / "words.json"
        kept = {"timed_by": timed_by, "spoken_by": made.spoken_by, "words": [w.model_dump() for w in words]}
        timing.write_text(json.dumps(kept))  # with the audio in the call's outputs: a reused line keeps its reader
        return Made({"line.wav": line, "words.json": timing}, made.costs)

    outcome = calls.run(call, say)
    key = VideoKeys(spec.user_id, spec.video_id).voice_line(beat.index)
    store.copy(outcome.outputs["line.wav"], key)
    timing = json.loads(store.get_bytes(outcome.outputs["words.json"]))
    speech_s = probe(store.local_path(key)).duration_s
    start, end, stretch = place(spec, beat, speech_s)
    words = [
        WordTime(word=w.word, start_s=round(start + w.start_s * stretch, 3), end_s=round(start + w.end_s * stretch, 3))
        for w in map(WordTime.model_validate, timing["words"])
    ]
    return SpokenLine(
        beat_index=beat.index,
        take=beat.line_take,
        text=beat.line.strip(),
        voice=voice,
        model=model.name,
        key=key,
        cache_key=outcome.key,
        start_s=round(start, 3),
        end_s=round(end, 3),
        speech_s=round(speech_s, 3),
        stretch=round(stretch, 4),
        words=words,
        timed_by=timing["timed_by"],
        spoken_by=timing.get("spoken_by"),  # None from a call cached before it was kept
        reused=outcome.reused,
        costs=outcome.costs,
    )


def placed(said: Voiceover) -> list[str]:
    """What the voiceover brings to the mix, line by line: its call and where and how fast it plays (data versions)."""
    return [f"{s.cache_key}:{s.start_s}:{s.stretch}" for s in said.lines]


def place(spec: VideoSpec, beat: SpecBeat, speech_s: float) -> tuple[float, float, float]:
    """Where a line of ``speech_s`` seconds plays in its beat: from the window's start, sped up (pitch kept) by at
    most ``MAX_STRETCH`` when it is too long; a line longer still is refused with what to do."""
    start, end = line_window(spec, beat)
    room = end - start
    if speech_s <= room:
        return start, start + speech_s, 1.0
    if speech_s * MIN_STRETCH <= room + FIT_TOLERANCE_S:
        return start, end, room / speech_s
    raise VidgenError(
        f"beat {beat.index}'s line takes {speech_s:.2f} s to say and its beat has room for {room:.2f} s "
        f"({MAX_STRETCH:.0%} faster would still take {speech_s * MIN_STRETCH:.2f} s): give it a shorter line "
        f'with `vidgen regenerate {spec.video_id} --beat {beat.index} --line "..."`'
    )
