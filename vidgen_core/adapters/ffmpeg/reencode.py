"""A finished video's picture encoded again for a platform: scaled to its size and at its constant bit rate, with the
master's encoder otherwise (H.264 High, closed GOP, CFR, bt709); the sound copied packet for packet."""

from __future__ import annotations

from pathlib import Path

import ffmpeg

from vidgen_core.adapters.ffmpeg.cut import BT709, master_args
from vidgen_core.adapters.ffmpeg.probe import probe
from vidgen_core.adapters.ffmpeg.tools import run
from vidgen_core.domain.catalog import Resolution
from vidgen_core.settings import Settings


def reencode_picture(
    video: Path, out: Path, size: tuple[int, int], resolution: Resolution, kbps: int, settings: Settings
) -> Path:
    """``video``'s picture at ``size`` (Lanczos where it is not already) and a constant ``kbps``, into ``out``."""
    info = probe(video)
    source = ffmpeg.input(str(video))
    picture = source.video
    if (info.width, info.height) != size:
        picture = picture.filter("scale", *size, flags="lanczos")
    streams, extra = [picture.filter("setparams", **BT709)], {}
    if info.has_audio:
        streams.append(source.audio)
        extra["acodec"] = "copy"
    encoder = master_args(settings, resolution, round(info.fps), kbps)
    run(ffmpeg.output(*streams, str(out), **encoder, **extra), "encode the picture again for a platform")
    return out
