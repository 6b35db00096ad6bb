"""Media operations: last frame, music ending, soundtrack mastered to a loudness standard, delivery encode."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import ffmpeg
import numpy as np
from PIL import Image, ImageOps

from vidgen_core.adapters.ffmpeg import mix
from vidgen_core.adapters.ffmpeg.measure import file_facts, loudness
from vidgen_core.adapters.ffmpeg.probe import MediaInfo, probe
from vidgen_core.adapters.ffmpeg.tools import run
from vidgen_core.domain.errors import MediaError
from vidgen_core.domain.sound import DECLICK_S, LoudnessReading, LoudnessTarget
from vidgen_core.domain.tempo import bar_s
from vidgen_core.settings import Settings

DELIVERY_PIX_FMT = "yuv420p"
log = logging.getLogger(__name__)


EXACT_RGB = "accurate_rnd+full_chroma_int"  # swscale flags for a YUV frame decoded to RGB without a rounding bias


def x264_args(settings: Settings, fps: float) -> dict[str, object]:
    """Encoder options for the clips the local renderer writes (and a final that must be re-encoded).

    The colour tags go into x264's VUI: ffmpeg 9 gives the encoder the frames' own primaries and transfer (unset
    for frames from raw RGB), which override ``-color_primaries``/``-color_trc``, so those options never reached the
    stream. ``colorspace`` and ``color_range`` do arrive as output options (the filter graph negotiates them).
    """
    return {
        "vcodec": "libx264",
        "preset": settings.x264_preset,
        "crf": settings.crf,
        "pix_fmt": DELIVERY_PIX_FMT,
        "bf": 0,
        "g": max(1, round(fps * 2)),
        "r": fps,
        "colorspace": "bt709",
        "color_range": "tv",
        "x264-params": "colorprim=bt709:transfer=bt709:colormatrix=bt709",
    }


def conform_image(path: Path, aspect: str) -> None:
    """Centre-crop an image in place to exactly ``aspect`` when it is off by more than a pixel's worth."""
    num, den = (int(p) for p in aspect.split(":"))
    with Image.open(path) as img:
        width, height = img.size
        target_w, target_h = min(width, round(height * num / den)), min(height, round(width * den / num))
        if abs(target_w - width) <= 1 and abs(target_h - height) <= 1:
            return
        fitted = ImageOps.fit(img.convert("RGB"), (target_w, target_h), Image.Resampling.LANCZOS)
    fitted.save(path, format="PNG")


def last_frame(video: Path, out: Path) -> Path:
    """Write the final decoded frame of a video as a PNG, converted to RGB with exact rounding: the default fast
    conversion darkens it by about one level, so a clip chained from it would start visibly darker (a step at every
    seam, compounding along a chain)."""
    stream = ffmpeg.input(str(video), sseof=-0.5).output(
        str(out), update=1, fps_mode="passthrough", sws_flags=EXACT_RGB
    )
    run(stream, f"extract the last frame of {video.name}")
    if not out.exists():
        raise MediaError(f"no frame could be decoded from {video.name}")
    return out


TP_MARGIN_DB = 0.3  # the limiter's first ceiling sits this far under the standard's true-peak limit
RETRY_MARGIN_DB = 0.3  # each retry lowers the ceiling by the encoded file's overshoot plus this
MAX_LOUDNESS_ATTEMPTS = 4
GAIN_FITS = 4  # measurements of the limited soundtrack to find its gain, before an encode
GAIN_FIT_LU = 0.1
LIMITER_RATE_HZ = 192_000  # the limiter runs 4x oversampled at 48 kHz, so it holds inter-sample (true) peaks too
# AAC-LC without the low-bitrate tools: intensity stereo and noise substitution rebuild bands at decode time, and on
# near-mono music with noisy drums they put peaks 3-4 dB over what the limiter let through (measured on the synth).
AAC_MASTER: dict[str, object] = {"acodec": "aac", "profile:a": "aac_low", "aac_is": 0, "aac_pns": 0}


VOICE_STEM, MUSIC_STEM = "voice.wav", "music_mix.wav"


@dataclass(frozen=True)
class Stems:
    """The final's soundtrack in its parts, each at the gain the master applied: summed, they are the mix the
    limiter was given (the limiter and the encode come after)."""

    voice: Path
    music: Path


@dataclass(frozen=True)
class Finalized:
    """What ``finalize`` made: the video mode, the loudness of the encoded file, the encodes it took, the gain that
    brought the soundtrack to the target (before the limiter), and the stems when there was a voice."""

    mode: str
    loudness: LoudnessReading
    attempts: int
    gain_db: float
    stems: Stems | None = None


def _soundtrack(
    stream: ffmpeg.nodes.FilterableStream, duration_s: float, ended: bool, settings: Settings
) -> ffmpeg.nodes.FilterableStream:
    """The soundtrack cut to exactly ``duration_s`` at the delivery rate, faded in; music that ``ended`` by itself
    only gets a de-click at the cut, anything else fades out."""
    fade_out = DECLICK_S if ended else settings.music_fade_out_s
    return (
        # on the timeline its timestamps give: a joined clip's AAC overlaps the one before by its priming (trimmed),
        # a gap becomes silence; then numbered sample by sample, so the muxer sees no jump
        stream.filter("aresample", settings.audio_rate_hz, first_pts=0, **{"async": 1})
        .filter("apad")
        .filter("atrim", end_sample=round(duration_s * settings.audio_rate_hz))
        .filter("asetpts", "N/SR/TB")
        .filter("afade", t="in", st=0, d=settings.music_fade_in_s)
        .filter("afade", t="out", st=max(duration_s - fade_out, 0.0), d=fade_out)
    )


def mastered(
    stream: ffmpeg.nodes.FilterableStream, gain_db: float, ceiling_dbtp: float, settings: Settings
) -> ffmpeg.nodes.FilterableStream:
    """Gain to the target loudness, then a true-peak limiter (oversampled, latency compensated so sync holds)."""
    return (
        stream.filter("volume", f"{gain_db:.3f}dB")
        .filter("aresample", LIMITER_RATE_HZ)
        .filter("alimiter", limit=10 ** (ceiling_dbtp / 20), level="disabled", latency=1, attack=2, release=50)
        .filter("aresample", settings.audio_rate_hz)
    )


def measure_loudness(path: Path) -> LoudnessReading:
    """Integrated loudness, loudness range, true peak and loudest short-term and momentary loudness of a file."""
    return loudness(ffmpeg.input(str(path)).audio, path.name)


def _video_offset_s(path: Path) -> float:
    """How late the video stream starts after the file does (a concat of clips with AAC can leave ~21 ms)."""
    facts = file_facts(path)
    starts = [start for start in (facts.video_start_s, facts.audio_start_s) if start is not None]
    return max((facts.video_start_s or 0.0) - min(starts, default=0.0), 0.0)


def finalize(
    video: Path,
    music: Path | None,
    out: Path,
    duration_s: float,
    target: LoudnessTarget,
    settings: Settings,
    voice: Path | None = None,
) -> Finalized:
    """Mix the soundtrack, master it to ``target`` measured on the encoded file, and encode for delivery.

    The bed is ``music`` when given (it ends by itself: the music phase wrote or cut its ending), else the video's
    own audio, faded out. With ``voice`` (the whole voice track, ``mix.voice_track``) the bed is ducked under it
    (``mix.duck``) and the soundtrack is their sum; the stems ``voice.wav`` and ``music_mix.wav`` are then written
    beside ``out`` at the master's gain, so they add up to what the limiter was given. Loudness: gain to the target
    and a true-peak limiter under the standard's ceiling (the gain refitted on the limited sound when the limiter
    bites), encode, measure the encoded file; while it misses, lower the ceiling by the AAC's overshoot plus a margin
    and correct for the codec's loudness shift, at most ``MAX_LOUDNESS_ATTEMPTS`` encodes, and keep the best. Video:
    copied (tags and all) when H.264 yuv420p, moved to start at 0 with the audio; exactly ``duration_s`` long;
    AAC-LC 48 kHz stereo, ``+faststart``.
    """
    info = probe(video)
    if music is None and not info.has_audio:
        raise MediaError(f"{video.name} has no audio and no music was given")

    def bed() -> ffmpeg.nodes.FilterableStream:
        source = ffmpeg.input(str(music)) if music is not None else ffmpeg.input(str(video))
        return _soundtrack(source.audio, duration_s, music is not None, settings)

    if voice is None:
        return _master(video, info, bed, out, duration_s, target, settings)
    rate = settings.audio_rate_hz
    with tempfile.TemporaryDirectory(prefix="vidgen-mix-") as tmp:
        rendered = Path(tmp) / "bed.wav"
        run(bed().output(str(rendered), acodec="pcm_f32le", ac=2), "render the music bed")
        ducked = mix.duck(rendered, voice, Path(tmp) / "ducked.wav", settings)
        summed = mix.add([ducked, voice], Path(tmp) / "mix.wav", rate)
        made = _master(video, info, lambda: ffmpeg.input(str(summed)).audio, out, duration_s, target, settings)
        stems = Stems(
            mix.add([voice], out.with_name(VOICE_STEM), rate, made.gain_db),
            mix.add([ducked], out.with_name(MUSIC_STEM), rate, made.gain_db),
        )
    return replace(made, stems=stems)


def remaster(video: Path, out: Path, target: LoudnessTarget, settings: Settings) -> Finalized:
    """A finished video with its soundtrack, as mixed, brought to another loudness standard by ``finalize``'s own
    mastering (gain, true-peak limiter, measured on the encoded file until it complies): no fade or ducking again,
    the picture copied."""
    info = probe(video)
    if not info.has_audio:
        raise MediaError(f"{video.name} has no sound to bring to another loudness")

    def own() -> ffmpeg.nodes.FilterableStream:
        return ffmpeg.input(str(video)).audio.filter("aresample", settings.audio_rate_hz)

    return _master(video, info, own, out, info.duration_s, target, settings)


def _master(
    video: Path,
    info: MediaInfo,
    soundtrack: Callable[[], ffmpeg.nodes.FilterableStream],
    out: Path,
    duration_s: float,
    target: LoudnessTarget,
    settings: Settings,
) -> Finalized:
    """``finalize``'s mastering and encode of a soundtrack (a fresh stream from ``soundtrack()`` each time)."""
    before = loudness(soundtrack(), "the soundtrack")
    if before.integrated_lufs == float("-inf"):
        raise MediaError("the soundtrack is silent, so it cannot be brought to the target loudness")
    copy = info.video_codec == "h264" and info.pix_fmt == DELIVERY_PIX_FMT
    video_opts = {"vcodec": "copy"} if copy else x264_args(settings, info.fps or 25.0)
    offset = _video_offset_s(video)
    picture = (ffmpeg.input(str(video), itsoffset=-offset) if offset else ffmpeg.input(str(video))).video
    ceiling, aim = target.true_peak_dbtp - TP_MARGIN_DB, target.integrated_lufs
    if target.max_short_term_lufs is not None:  # the loudest 3 s may not pass the short-term limit (then: quieter)
        aim = min(aim, before.integrated_lufs + target.max_short_term_lufs - before.max_short_term_lufs)
    gain = aim - before.integrated_lufs
    limited = aim
    if before.true_peak_dbtp + gain > ceiling:
        gain, limited = _fit_gain(soundtrack, gain, ceiling, aim, settings)
    made: list[tuple[LoudnessReading, Path, float]] = []
    for attempt in range(1, MAX_LOUDNESS_ATTEMPTS + 1):
        path = out if attempt == 1 else out.with_name(f"{out.stem}-{attempt}{out.suffix}")
        stream = ffmpeg.output(
            picture,
            mastered(soundtrack(), gain, ceiling, settings),
            str(path),
            t=duration_s,
            ar=settings.audio_rate_hz,
            ac=2,
            movflags="+faststart",
            **AAC_MASTER,
            audio_bitrate=settings.audio_bitrate,
            **video_opts,
        )
        run(stream, "mix the soundtrack and encode the final video")
        got = measure_loudness(path)
        made.append((got, path, gain))
        missed = target.misses(got)
        # aim for the middle of the window: other meters (and the platforms) may read a few tenths differently
        if target.tolerance_lu / 2 < abs(got.integrated_lufs - target.integrated_lufs) <= target.tolerance_lu:
            missed.append(f"integrated {got.integrated_lufs:.1f} LUFS, more than half the window off")
        if not missed or attempt == MAX_LOUDNESS_ATTEMPTS:
            break
        log.info("loudness: encode %d of the final missed (%s); encoding again", attempt, "; ".join(missed))
        if got.true_peak_dbtp > target.true_peak_dbtp:
            ceiling -= got.true_peak_dbtp - target.true_peak_dbtp + RETRY_MARGIN_DB
        codec_shift = got.integrated_lufs - limited  # what the encoder did to the loudness
        gain, limited = _fit_gain(soundtrack, gain + aim - got.integrated_lufs, ceiling, aim - codec_shift, settings)
    best, best_path, best_gain = min(made, key=lambda m: _shortfall(target, m[0]))
    if best_path != out:
        best_path.replace(out)
    for _, path, _ in made:
        if path != out:
            path.unlink(missing_ok=True)
    return Finalized("copy" if copy else "reencode", best, len(made), best_gain)


def _fit_gain(
    soundtrack: Callable[[], ffmpeg.nodes.FilterableStream],
    gain: float,
    ceiling: float,
    aim_lufs: float,
    settings: Settings,
) -> tuple[float, float]:
    """The gain that brings the limited soundtrack to ``aim_lufs`` (the limiter takes loudness away where it bites),
    by a few cheap measurements before any encode; returns it and the loudness it gives."""
    for _ in range(GAIN_FITS):
        got = loudness(mastered(soundtrack(), gain, ceiling, settings), "the limited soundtrack").integrated_lufs
        if abs(aim_lufs - got) <= GAIN_FIT_LU:
            break
        gain += aim_lufs - got
    return gain, got


def _shortfall(target: LoudnessTarget, reading: LoudnessReading) -> tuple[bool, bool, float]:
    """How badly an encode misses: over the true peak first, then off the loudness window, then by how much."""
    error = abs(reading.integrated_lufs - target.integrated_lufs)
    return reading.true_peak_dbtp > target.true_peak_dbtp, error > target.tolerance_lu, error


def end_on_bar(music: Path, out: Path, duration_s: float, bpm: float) -> Path:
    """A model's track made to end with the video: cut on the last bar line it reaches by ``duration_s``, faded
    over that last bar, then silence to the end."""
    bar = bar_s(bpm)
    length = min(probe(music).duration_s, duration_s)
    cut = np.floor(length / bar + 1e-6) * bar if length >= bar else length
    fade = min(bar, cut)
    stream = (
        ffmpeg.input(str(music))
        .audio.filter("atrim", end=cut)
        .filter("afade", t="out", st=cut - fade, d=fade, curve="qsin")
        .filter("apad", whole_dur=duration_s)
        .output(str(out))
    )
    run(stream, "end the music on a bar line")
    return out


def filmstrip(video: Path, out: Path, frames: int = 6, thumb_width: int = 192) -> Path:
    """A single JPEG of ``frames`` thumbnails from the middles of equal parts of the video, for previews.

    Each thumbnail seeks to its time (decoding from the keyframe before it), so a 1080p master is not decoded whole,
    and none is the first frame (black, where the picture fades in)."""
    duration = max(probe(video).duration_s, 0.1)
    thumbs = [
        ffmpeg.input(str(video), ss=f"{(i + 0.5) * duration / frames:.3f}").video.filter("scale", thumb_width, -2)
        for i in range(frames)
    ]
    strip = ffmpeg.filter(thumbs, "hstack", inputs=frames) if frames > 1 else thumbs[0]
    run(strip.output(str(out), vframes=1, q=4), f"make a filmstrip of {video.name}")
    return out
