"""Speech as providers send it, made a plain WAV file.

OpenAI streams its WAV with 0xFFFFFFFF in the RIFF and data sizes (the length is unknown when the stream starts), and
an SSE stream may carry bare PCM; Python's ``wave`` and ffprobe's duration misread both. MiniMax's streamed WAVs carry
the same placeholders. So every remote line is rewritten with its real sizes before anything measures it.
"""

from __future__ import annotations

import struct
import wave
from pathlib import Path

PCM_16 = 1
EXTENSIBLE = 0xFFFE


def write_wav(data: bytes, out: Path, pcm_rate: int | None = None) -> float:
    """``data`` (a 16-bit PCM WAV, sizes real or placeholders; or, given ``pcm_rate``, bare 16-bit mono PCM at that
    rate) written to ``out`` as a plain WAV; its length in seconds. ``ValueError`` says why it is neither."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        channels, rate, body = _pcm(data)
    elif pcm_rate is not None and data:
        channels, rate, body = 1, pcm_rate, data
    else:
        raise ValueError(f"the audio is not a WAV file (it starts with {data[:4]!r})")
    frame = 2 * channels
    body = body[: len(body) - len(body) % frame]
    if not body:
        raise ValueError("the WAV file holds no audio")
    with wave.open(str(out), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(body)
    return len(body) / frame / rate


def _pcm(data: bytes) -> tuple[int, int, bytes]:
    """The channels, rate and samples of a RIFF WAVE; a data size past the end (a placeholder) means "to the end"."""
    fmt, at = None, 12
    while at + 8 <= len(data):
        chunk, size = struct.unpack_from("<4sI", data, at)
        if chunk == b"fmt ":
            fmt = struct.unpack_from("<HHIIHH", data, at + 8)
        elif chunk == b"data":
            if fmt is None:
                raise ValueError("the WAV file has no format chunk before its data")
            tag, channels, rate, _, _, bits = fmt
            if tag not in (PCM_16, EXTENSIBLE) or bits != 16:
                raise ValueError(f"the WAV file is not 16-bit PCM (format {tag}, {bits} bits)")
            return channels, rate, data[at + 8 : at + 8 + size]
        at += 8 + size + size % 2
    raise ValueError("the WAV file has no data chunk")
