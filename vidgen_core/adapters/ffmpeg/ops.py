"""Media operations: last frame, music mix with loudness normalisation, delivery encode (the cut is in ``cut``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import ffmpeg
from PIL import Image, ImageOps

from vidgen_core.adapters.ffmpeg.probe import probe
from vidgen_core.adapters.ffmpeg.tools import run
from vidgen_core.domain.errors import MediaError
from vidgen_core.settings import Settings

DELIVERY_PIX_FMT = "yuv420p"


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
    """Write the final decoded frame of a video as a PNG."""
    stream = ffmpeg.input(str(video), sseof=-0.5).output(str(out), update=1, fps_mode="passthrough")
    run(stream, f"extract the last frame of {video.name}")
    if not out.exists():
        raise MediaError(f"no frame could be decoded from {video.name}")
    return out


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
