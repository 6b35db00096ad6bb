"""The mezzanine: a ProRes 422 HQ master with 24-bit PCM audio in a QuickTime file, the file CTV buyers and
post-production houses ask for (their own encoders start from it, not from a second lossy generation)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import ffmpeg

from vidgen_core.adapters.ffmpeg import mix
from vidgen_core.adapters.ffmpeg.ops import TP_MARGIN_DB, Stems, mastered
from vidgen_core.adapters.ffmpeg.tools import run
from vidgen_core.domain.checks import AUDIO_CHANNELS, AUDIO_RATE_HZ, MEZZANINE_PIX_FMT
from vidgen_core.domain.sound import LoudnessTarget
from vidgen_core.settings import Settings

PRORES_HQ = 3  # prores_ks profiles: 0 proxy, 1 LT, 2 standard, 3 HQ, 4 4444, 5 4444 XQ
MEZZANINE_AUDIO = "pcm_s24le"


def prores_master(
    video: Path, out: Path, settings: Settings, stems: Stems | None = None, target: LoudnessTarget | None = None
) -> Path:
    """``video``'s picture, decoded once, as ProRes 422 HQ 10-bit tagged BT.709, with PCM s24le 48 kHz stereo sound:
    the mix before the AAC encode when the ``stems`` are given (their sum at the master's gain, through the master's
    true-peak limiter for ``target``: no codec in the way), else the video's own sound decoded."""
    # the tags on the frames themselves: ffmpeg hands the encoder the frames' own (unset from an untagged source),
    # which override -color_primaries and -color_trc
    picture = ffmpeg.input(str(video)).video.filter(
        "setparams", color_primaries="bt709", color_trc="bt709", colorspace="bt709", range="tv"
    )
    with tempfile.TemporaryDirectory(prefix="vidgen-mezzanine-") as tmp:
        if stems is not None and target is not None:
            summed = mix.add([stems.voice, stems.music], Path(tmp) / "mix.wav", AUDIO_RATE_HZ)
            ceiling = target.true_peak_dbtp - TP_MARGIN_DB
            sound = mastered(ffmpeg.input(str(summed)).audio, 0.0, ceiling, settings)
        else:
            sound = ffmpeg.input(str(video)).audio
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
