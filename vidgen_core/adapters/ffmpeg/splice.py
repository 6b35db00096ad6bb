"""A music track re-edited by a ``MusicEdit``: its opening joined to its ending, in numpy, sample exact."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vidgen_core.adapters.ffmpeg import mix
from vidgen_core.domain.cutdowns import END_FADE_S, MusicEdit


def splice(music: Path, edit: MusicEdit, out: Path, rate: int) -> Path:
    """Write ``music`` cut as ``edit`` says to ``out`` (32-bit float stereo WAV at ``rate``), exactly
    ``edit.length_s`` long. The join is an equal-power crossfade ending on the join, so the ending's first
    downbeat lands on it at full level."""
    sound = mix.read(music, rate)
    total = round(edit.length_s * rate)
    head, fade = round(edit.head_s * rate), round(edit.crossfade_s * rate)
    start = round(edit.tail_from_s * rate)
    made = np.zeros((total, sound.shape[1]), dtype=np.float32)
    made[:head] = sound[:head]
    if fade:
        angle = np.linspace(0.0, np.pi / 2, fade, dtype=np.float32)[:, None]
        into = sound[start - fade : start] * np.sin(angle)  # the ending's lead-in rises as the opening falls
        made[head - fade : head] = sound[head - fade : head] * np.cos(angle) + into
    tail = sound[start : start + min(round(edit.tail_s * rate), total - head)].copy()
    if edit.faded and len(tail):
        ramp = min(len(tail), round(END_FADE_S * rate))
        tail[-ramp:] *= np.linspace(1.0, 0.0, ramp, dtype=np.float32)[:, None]
    made[head : head + len(tail)] = tail
    return mix.write(out, made, rate)
