"""Burning captions into the master: libass draws the ASS script onto every frame (ffmpeg's ``ass`` filter), and
the picture is encoded again exactly as the cut encoded it (H.264 High, constant bit rate, bt709, the same frames);
the sound, if any, is copied."""

from __future__ import annotations

from pathlib import Path

import ffmpeg

from vidgen_core.adapters.ffmpeg.cut import BT709, master_args
from vidgen_core.adapters.ffmpeg.probe import probe
from vidgen_core.adapters.ffmpeg.tools import run
from vidgen_core.adapters.render.subtitles import FONT
from vidgen_core.domain.catalog import Resolution
from vidgen_core.settings import Settings


def burn(video: Path, ass: Path, out: Path, resolution: Resolution, settings: Settings) -> Path:
    """``video`` with ``ass`` drawn on it, into ``out``, at the master's encoder settings for ``resolution``."""
    info = probe(video)
    source = ffmpeg.input(str(video))
    picture = source.video.filter("ass", str(ass), fontsdir=str(FONT.parent)).filter("setparams", **BT709)
    streams, extra = [picture], {}
    if info.has_audio:
        streams.append(source.audio)
        extra["acodec"] = "copy"
    encode = ffmpeg.output(*streams, str(out), **master_args(settings, resolution, round(info.fps)), **extra)
    run(encode, "burn the captions into the video")
    return out
