"""The mezzanine: a ProRes 422 HQ master with 24-bit PCM audio in a QuickTime file, the file CTV buyers and
post-production houses ask for (their own encoders start from it, not from a second lossy generation)."""

from __future__ import annotations

from pathlib import Path

import ffmpeg

from vidgen_core.adapters.ffmpeg.tools import run
from vidgen_core.domain.checks import AUDIO_CHANNELS, AUDIO_RATE_HZ, MEZZANINE_PIX_FMT

PRORES_HQ = 3  # prores_ks profiles: 0 proxy, 1 LT, 2 standard, 3 HQ, 4 4444, 5 4444 XQ
MEZZANINE_AUDIO = "pcm_s24le"


def prores_master(video: Path, out: Path, audio: Path | None = None) -> Path:
    """``video``'s picture, decoded once, as ProRes 422 HQ 10-bit tagged BT.709, with ``audio`` (default: the
    video's own sound) as PCM s24le 48 kHz, in a .mov."""
    # the tags on the frames themselves: ffmpeg hands the encoder the frames' own (unset from an untagged source),
    # which override -color_primaries and -color_trc
    picture = ffmpeg.input(str(video)).video.filter(
        "setparams", color_primaries="bt709", color_trc="bt709", colorspace="bt709", range="tv"
    )
    sound = (ffmpeg.input(str(audio)) if audio else ffmpeg.input(str(video))).audio
    stream = ffmpeg.output(
        picture,
        sound,
        str(out),
        vcodec="prores_ks",
        **{"profile:v": PRORES_HQ},
        vendor="apl0",
        pix_fmt=MEZZANINE_PIX_FMT,
        acodec=MEZZANINE_AUDIO,
        ar=AUDIO_RATE_HZ,
        ac=AUDIO_CHANNELS,
        f="mov",
    )
    run(stream, f"encode the ProRes mezzanine of {video.name}")
    return out
