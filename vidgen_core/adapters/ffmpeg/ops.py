"""Media operations: last frame, trim + concat, music mix with loudness normalisation, delivery encode."""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import ffmpeg
from PIL import Image, ImageOps

from vidgen_core.adapters.ffmpeg.probe import MediaInfo, probe
from vidgen_core.adapters.ffmpeg.tools import run
from vidgen_core.domain.errors import MediaError
from vidgen_core.settings import Settings

DELIVERY_PIX_FMT = "yuv420p"


EXACT_RGB = "accurate_rnd+full_chroma_int"  # swscale flags for a YUV frame decoded to RGB without a rounding bias


def x264_args(settings: Settings, fps: float) -> dict[str, object]:
    """Encoder options for every H.264 we write: no B-frames, so clips can be cut and joined by stream copy."""
    return {
        "vcodec": "libx264",
        "preset": settings.x264_preset,
        "crf": settings.crf,
        "pix_fmt": DELIVERY_PIX_FMT,
        "bf": 0,
        "g": max(1, round(fps * 2)),
        "r": fps,
        "color_primaries": "bt709",
        "color_trc": "bt709",
        "colorspace": "bt709",
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


@dataclass(frozen=True)
class Segment:
    """A piece of a clip kept in the stitched video: its first ``use_s`` seconds."""

    path: Path
    use_s: float


def can_stream_copy(infos: list[MediaInfo]) -> bool:
    """True when clips share codec, size, rate and pixel format, have no B-frames, and agree on audio."""
    first = infos[0]
    same = all(
        (i.video_codec, i.width, i.height, round(i.fps, 3), i.pix_fmt, i.has_audio, i.sample_rate)
        == (
            first.video_codec,
            first.width,
            first.height,
            round(first.fps, 3),
            first.pix_fmt,
            first.has_audio,
            first.sample_rate,
        )
        for i in infos
    )
    return (
        same
        and first.video_codec == "h264"
        and first.pix_fmt == DELIVERY_PIX_FMT
        and not any(i.has_b_frames for i in infos)
    )


def stitch(segments: list[Segment], out: Path, settings: Settings, size: tuple[int, int], fps: float) -> str:
    """Trim each segment to ``use_s`` and join them at ``size`` and ``fps``.

    Stream copy when the clips already match and allow it, else re-encode. Returns the mode.
    """
    infos = [probe(s.path) for s in segments]
    if can_stream_copy(infos) and (infos[0].width, infos[0].height) == size:
        with tempfile.NamedTemporaryFile("w", suffix=".ffconcat", delete=False) as listing:
            listing.write("ffconcat version 1.0\n")
            for seg in segments:
                escaped = str(seg.path.resolve()).replace("'", "'\\''")
                listing.write(f"file '{escaped}'\noutpoint {seg.use_s:.6f}\n")
        stream = ffmpeg.input(listing.name, format="concat", safe=0).output(str(out), c="copy", movflags="+faststart")
        try:
            run(stream, "join the chunks")
        finally:
            Path(listing.name).unlink(missing_ok=True)
        return "copy"
    _stitch_reencode(segments, infos, out, settings, size, fps)
    return "reencode"


def _stitch_reencode(
    segments: list[Segment], infos: list[MediaInfo], out: Path, settings: Settings, size: tuple[int, int], fps: float
) -> None:
    """Re-encode path for clips that differ (size, rate, codec, B-frames): scale, crop, retime, concat."""
    width, height = size
    with_audio = any(i.has_audio for i in infos)
    parts = []
    for seg, info in zip(segments, infos, strict=True):
        src = ffmpeg.input(str(seg.path))
        video = (
            src.video.trim(duration=seg.use_s)
            .setpts("PTS-STARTPTS")
            .filter("scale", width, height, force_original_aspect_ratio="increase")
            .filter("crop", width, height)
            .filter("setsar", 1)
            .filter("fps", fps)
        )
        parts.append(video)
        if with_audio:
            audio = (
                src.audio
                if info.has_audio
                else ffmpeg.input(f"anullsrc=r={settings.audio_rate_hz}:cl=stereo", f="lavfi").audio
            )
            parts.append(
                audio.filter("atrim", duration=seg.use_s)
                .filter("asetpts", "PTS-STARTPTS")
                .filter("aresample", settings.audio_rate_hz)
            )
    joined = ffmpeg.concat(*parts, v=1, a=1 if with_audio else 0).node
    outputs = [joined[0], joined[1]] if with_audio else [joined[0]]
    extra = {"acodec": "aac", "audio_bitrate": settings.audio_bitrate} if with_audio else {}
    run(
        ffmpeg.output(*outputs, str(out), movflags="+faststart", **x264_args(settings, fps), **extra),
        "re-encode and join the chunks",
    )


_LOUDNORM_JSON = re.compile(r"\{[^{}]*\"input_i\"[^{}]*\}", re.S)


def _audio_chain(
    stream: ffmpeg.nodes.FilterableStream, duration_s: float, settings: Settings, measured: dict[str, str] | None
) -> ffmpeg.nodes.FilterableStream:
    fade_out_start = max(duration_s - settings.music_fade_out_s, 0.0)
    chain = (
        stream.filter("apad")
        .filter("atrim", duration=duration_s)
        .filter("asetpts", "PTS-STARTPTS")
        .filter("afade", t="in", st=0, d=settings.music_fade_in_s)
        .filter("afade", t="out", st=fade_out_start, d=settings.music_fade_out_s)
    )
    options: dict[str, object] = {"I": settings.target_lufs, "TP": settings.true_peak_db, "LRA": 11}
    if measured:
        options.update(
            measured_I=measured["input_i"],
            measured_TP=measured["input_tp"],
            measured_LRA=measured["input_lra"],
            measured_thresh=measured["input_thresh"],
            offset=measured["target_offset"],
            linear="true",
        )
    else:
        options["print_format"] = "json"
    return chain.filter("loudnorm", **options).filter("aresample", settings.audio_rate_hz)


def measure_loudness(path: Path) -> float:
    """Integrated loudness (LUFS) of a file's audio, measured by ffmpeg's ebur128."""
    stream = ffmpeg.input(str(path)).audio.filter("ebur128").output("-", format="null")
    _, err = run(stream, f"measure the loudness of {path.name}")
    values = re.findall(r"I:\s+(-?[\d.]+|-inf) LUFS", err.decode(errors="replace"))
    if not values:
        raise MediaError(f"ffmpeg printed no loudness summary for {path.name}")
    return float(values[-1]) if values[-1] != "-inf" else float("-inf")


def finalize(video: Path, music: Path | None, out: Path, duration_s: float, settings: Settings) -> str:
    """Mix the soundtrack (fades, two-pass loudness normalisation) and encode for delivery.

    The soundtrack is ``music`` when given, else the video's own audio. The video stream is copied when it is
    already H.264 yuv420p, otherwise re-encoded. Output: H.264 yuv420p + AAC 48 kHz, ``+faststart``.
    Returns the video mode ("copy" or "reencode").
    """
    info = probe(video)
    src = ffmpeg.input(str(video))
    if music is not None:
        audio_in = ffmpeg.input(str(music)).audio
    elif info.has_audio:
        audio_in = src.audio
    else:
        raise MediaError(f"{video.name} has no audio and no music was given")
    _, err = run(
        _audio_chain(audio_in, duration_s, settings, None).output("-", format="null"), "measure the soundtrack loudness"
    )
    found = _LOUDNORM_JSON.findall(err.decode(errors="replace"))
    if not found:
        raise MediaError("ffmpeg's loudnorm printed no measurement")
    audio = _audio_chain(
        (ffmpeg.input(str(music)) if music is not None else ffmpeg.input(str(video))).audio,
        duration_s,
        settings,
        json.loads(found[-1]),
    )
    copy = info.video_codec == "h264" and info.pix_fmt == DELIVERY_PIX_FMT
    video_opts = {"vcodec": "copy"} if copy else x264_args(settings, info.fps or 25.0)
    stream = ffmpeg.output(
        src.video,
        audio,
        str(out),
        t=duration_s,
        acodec="aac",
        audio_bitrate=settings.audio_bitrate,
        ar=settings.audio_rate_hz,
        ac=2,
        movflags="+faststart",
        **video_opts,
    )
    run(stream, "mix the soundtrack and encode the final video")
    return "copy" if copy else "reencode"


def filmstrip(video: Path, out: Path, frames: int = 6, thumb_width: int = 192) -> Path:
    """A single JPEG of ``frames`` thumbnails spread across the video, for previews."""
    duration = max(probe(video).duration_s, 0.1)
    stream = (
        ffmpeg.input(str(video))
        .video.filter("fps", frames / duration)
        .filter("scale", thumb_width, -2)
        .filter("tile", f"{frames}x1")
        .output(str(out), vframes=1, q=4)
    )
    run(stream, f"make a filmstrip of {video.name}")
    return out
