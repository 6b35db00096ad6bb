"""The final's mix as a listener checks it, on the stored stems: the voice over the music, the music back between
lines, and speech exactly where the lines are (RMS envelopes, 20 ms windows, of ffmpeg's mono decode)."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from vidgen_core.adapters.ffmpeg.envelope import SILENCE_DB, WINDOW_S, envelope
from vidgen_core.adapters.storage import BlobStore
from vidgen_core.domain.checks import (
    MUSIC_BACK_DB,
    MUSIC_BACK_GAP_S,
    SPEECH_COVERAGE,
    SPEECH_FLOOR_DB,
    VOICE_OVER_MUSIC_DB,
    CheckName,
)
from vidgen_core.domain.models import RenderedVideo, SpokenLine, Voiceover
from vidgen_core.pipeline.verify import Outcome, _number

GAIN_BLOCK = 5  # windows (100 ms) over which the music stem's gain over its source is read: robust to a slipped sample
AUDIBLE_SOURCE_DB = -50.0  # where the source is quieter than this, its gain cannot be read


def _power_mean(level_db: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(10 ** (level_db / 10)))) if level_db.size else SILENCE_DB


def _windows(start_s: float, end_s: float, count: int) -> slice:
    return slice(max(0, int(start_s / WINDOW_S)), min(count, int(np.ceil(end_s / WINDOW_S))))


def unducked_gain_db(music: np.ndarray, source: np.ndarray) -> float:
    """The music stem's gain over its source where nothing ducks it: the duck only ever lowers the music, so it is
    the largest gain read over 100 ms blocks where the source is audible."""
    count = min(len(music), len(source)) // GAIN_BLOCK
    blocks = [slice(k * GAIN_BLOCK, (k + 1) * GAIN_BLOCK) for k in range(count)]
    levels = [(_power_mean(music[b]), _power_mean(source[b])) for b in blocks]
    return max((stem - bed for stem, bed in levels if bed > AUDIBLE_SOURCE_DB), default=0.0)


def voice_over_music(lines: list[SpokenLine], voice: Path, music: Path, source: Path) -> Outcome:
    """Per line, the voice stem's RMS over the music stem's on the windows where the voice speaks (at least
    ``VOICE_OVER_MUSIC_DB``), and the duck's depth there (the music's gain under its unducked gain over ``source``,
    the bed before the mix); per gap between lines of ``MUSIC_BACK_GAP_S`` or more, the music's gain over its middle
    half, within ``MUSIC_BACK_DB`` of the unducked gain."""
    said, heard, bed = envelope(voice), envelope(music), envelope(source)
    count = min(len(said), len(heard), len(bed))
    said, heard, bed = said[:count], heard[:count], bed[:count]
    unducked = unducked_gain_db(heard, bed)
    problems, metadata, margins, depths, backs = [], {}, [], [], []
    for line in lines:
        span = _windows(line.start_s, line.end_s, count)
        speech = said[span] > SPEECH_FLOOR_DB
        if not speech.any():
            continue  # no speech to be over (speech_where_lines names the line)
        margin = _power_mean(said[span][speech]) - _power_mean(heard[span][speech])
        depth = unducked - (_power_mean(heard[span][speech]) - _power_mean(bed[span][speech]))
        margins.append(margin)
        depths.append(depth)
        metadata[f"beat_{line.beat_index}_margin_db"] = _number(margin, 2)
        if margin < VOICE_OVER_MUSIC_DB:
            problems.append(f"beat {line.beat_index}'s line is only {margin:.1f} dB over the music")
    for before, after in itertools.pairwise(lines):
        gap = after.start_s - before.end_s
        if gap < MUSIC_BACK_GAP_S:
            continue
        middle = _windows(before.end_s + gap / 4, after.start_s - gap / 4, count)
        if _power_mean(bed[middle]) <= AUDIBLE_SOURCE_DB:
            continue  # the bed itself rests there: nothing to come back
        back = _power_mean(heard[middle]) - _power_mean(bed[middle]) - unducked
        backs.append(back)
        if back < -MUSIC_BACK_DB:
            problems.append(
                f"between beats {before.beat_index} and {after.beat_index} the music stays {-back:.1f} dB down"
            )
    metadata.update(
        {
            "lines": len(lines),
            "min_margin_db": _number(min(margins, default=None), 2),
            "depth_db": _number(float(np.mean(depths)) if depths else None, 2),
            "max_depth_db": _number(max(depths, default=None), 2),
            "gaps": len(backs),
            "music_back_db": _number(min(backs, default=None), 2),
            "problems": "; ".join(problems),
        }
    )
    return Outcome(
        CheckName.VOICE_OVER_MUSIC,
        not problems,
        "; ".join(problems) if problems else "the voice over the ducked music, the music back between lines",
        metadata,
    )


def speech_where_lines(lines: list[SpokenLine], voice: Path) -> Outcome:
    """Speech (voice stem windows over ``SPEECH_FLOOR_DB``) over at least ``SPEECH_COVERAGE`` of each line's span,
    and none outside the spans (a window that straddles a span's edge belongs to the span)."""
    said = envelope(voice)
    voiced = said > SPEECH_FLOOR_DB
    inside = np.zeros(len(said), dtype=bool)
    problems, covered, spanned = [], 0, 0
    for line in lines:
        span = _windows(line.start_s, line.end_s, len(said))
        inside[span] = True
        share = float(np.mean(voiced[span])) if span.stop > span.start else 0.0
        covered, spanned = covered + int(np.sum(voiced[span])), spanned + (span.stop - span.start)
        if share < SPEECH_COVERAGE:
            problems.append(f"beat {line.beat_index}'s line is speech over {share:.0%} of its span")
    stray = voiced & ~inside
    if stray.any():
        first = int(np.argmax(stray)) * WINDOW_S
        problems.append(f"{np.sum(stray) * WINDOW_S:.2f} s of speech outside the lines (first at {first:.2f} s)")
    return Outcome(
        CheckName.SPEECH_WHERE_LINES,
        not problems,
        "; ".join(problems) if problems else "speech where the lines are, and nowhere else",
        {
            "lines": len(lines),
            "coverage": _number(covered / spanned if spanned else None, 3),
            "stray_speech_s": _number(float(np.sum(stray)) * WINDOW_S, 2),
            "problems": "; ".join(problems),
        },
    )


def mix_checks(voiceover: Voiceover, video: RenderedVideo, source: Path, store: BlobStore) -> list[Outcome]:
    """The final's mix checks on its stored stems; ``source`` is the bed before the mix (the music track, or the
    stitched video whose own audio the bed is). Without a voice there is nothing to duck: both pass, saying so."""
    if video.voice_key is None or video.music_mix_key is None:
        said = {"lines": 0}
        return [
            Outcome(CheckName.VOICE_OVER_MUSIC, True, "no voice: the music plays unducked", said),
            Outcome(CheckName.SPEECH_WHERE_LINES, True, "no voice", said),
        ]
    voice, music = store.local_path(video.voice_key), store.local_path(video.music_mix_key)
    return [voice_over_music(voiceover.lines, voice, music, source), speech_where_lines(voiceover.lines, voice)]
