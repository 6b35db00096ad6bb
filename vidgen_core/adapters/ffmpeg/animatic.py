"""The animatic: the storyboard images on the plan's timeline, in one small ffmpeg pass.

Each beat's image is moved as its camera asks (a Ken Burns zoom and pan following the local renderer's ``MOVES``)
for exactly its frames, joined with the spec's transitions (the cut's ``blend``: the same frames a clip would land
on), faded in and ended on the end card (the cut's ``ending``), with the headlines burned in by libass and a music
bed under it. Nothing is paid: it is what the clips will be cut to, shown before they are bought.
"""

from __future__ import annotations

from pathlib import Path

import ffmpeg

from vidgen_core.adapters.ffmpeg.cut import Piece, blend, ending
from vidgen_core.adapters.ffmpeg.tools import run
from vidgen_core.adapters.local.video import MOVES
from vidgen_core.adapters.render.subtitles import FONT
from vidgen_core.domain.editing import TRANSITION_S
from vidgen_core.domain.models import Camera, SpecBeat, Transition, VideoSpec

LONG_SIDE = 640  # the preview's long side: small enough to render in seconds, big enough to read its copy
OVERSAMPLE = 2  # the camera crops an image this much larger than the frame, so its steps are half a pixel
ENCODE = {"vcodec": "libx264", "preset": "ultrafast", "crf": 28, "pix_fmt": "yuv420p", "fps_mode": "cfr"}
MUSIC_GAIN_DB = -3.0  # the bed under nothing: no voice to duck it under


def animatic_size(aspect: str, long_side: int = LONG_SIDE) -> tuple[int, int]:
    """The preview's frame: ``long_side`` on the long side, the aspect's other side rounded to an even number."""
    num, den = (int(p) for p in aspect.split(":"))
    short = round(long_side * min(num, den) / max(num, den) / 2) * 2
    return (long_side, short) if num >= den else (short, long_side)


def _frame(seconds: float, fps: int) -> int:
    return round(seconds * fps)


def beat_pieces(spec: VideoSpec, images: list[Path], fps: int) -> list[Piece]:
    """Where each beat's image shows on the timeline: from its start frame for its frames, continued under the next
    beat's transition (``spare``), by the timeline contract of ``vidgen_core.domain.editing``."""
    pieces = []
    for beat, image in zip(spec.beats, images, strict=True):
        start = _frame(beat.start_s, fps)
        join = beat.transition if beat.index > 0 else Transition.CUT
        frames = _frame(beat.end_s, fps) - start
        pieces.append(Piece(image, start, 0, frames, join=join, blend=min(_frame(TRANSITION_S[join], fps), frames)))
    return [
        Piece(p.path, p.start, 0, p.frames, pieces[i + 1].blend if i + 1 < len(pieces) else 0, 0, p.join, p.blend)
        for i, p in enumerate(pieces)
    ]


def camera_move(camera: Camera, frames: int) -> dict[str, str]:
    """zoompan's zoom and top-left corner for a camera, per output frame ``on``: the local renderer's move (its zoom
    reached at the end and its travel across the margin the zoom opens), eased in and out; an orbit's turn is not
    drawn."""
    zoom_end, travel_x, travel_y, _ = MOVES[camera]
    p = f"(on/{max(frames - 1, 1)})"
    eased = f"{p}*{p}*(3-2*{p})"
    return {
        "z": f"1+{zoom_end}*{eased}",
        "x": f"{(1 + travel_x) / 2:.4f}*(iw-iw/zoom)",
        "y": f"{(1 + max(-1.0, min(1.0, travel_y))) / 2:.4f}*(ih-ih/zoom)",
    }


def _beat(piece: Piece, beat: SpecBeat, size: tuple[int, int], fps: int):
    """The beat's image as ``frames + spare`` frames of its camera move, at ``size``."""
    width, height = size
    frames = piece.frames + piece.spare
    return (
        ffmpeg.input(str(piece.path))
        .video.filter("scale", width * OVERSAMPLE, height * OVERSAMPLE, force_original_aspect_ratio="increase")
        .filter("crop", width * OVERSAMPLE, height * OVERSAMPLE)
        .filter("zoompan", d=frames, s=f"{width}x{height}", fps=fps, **camera_move(beat.camera, frames))
        .filter("setsar", 1)
        .filter("format", "yuv420p")
        .filter("setpts", f"N/{fps}/TB")
    )


def render_animatic(
    spec: VideoSpec,
    images: list[Path],
    card: Path,
    headlines: Path | None,
    music: Path | None,
    out: Path,
    size: tuple[int, int],
    fps: int,
    audio_bitrate: str = "128k",
) -> Path:
    """Render the animatic into ``out``: one image per beat (in beat order), the end card ``card`` at ``size``,
    the ASS script ``headlines`` burned in, ``music`` as its sound; exactly ``duration_s * fps`` frames."""
    video = None
    for piece, beat in zip(beat_pieces(spec, images, fps), spec.beats, strict=True):
        shown = _beat(piece, beat, size, fps)
        if video is None:
            video = shown
        elif piece.join is Transition.CUT:
            video = ffmpeg.concat(video, shown, v=1, a=0)
        else:
            video = blend(video, shown, piece, fps)
    video = ending(video, card, size, fps, spec.duration_s)
    if headlines is not None:
        video = video.filter("ass", str(headlines), fontsdir=str(FONT.parent))
    streams, extra = [video], {}
    if music is not None:
        bed = ffmpeg.input(str(music)).audio.filter("volume", f"{MUSIC_GAIN_DB}dB")
        streams.append(bed.filter("atrim", end=spec.duration_s).filter("apad", whole_dur=spec.duration_s))
        extra = {"acodec": "aac", "audio_bitrate": audio_bitrate}
    encode = ffmpeg.output(*streams, str(out), **ENCODE, r=fps, g=2 * fps, movflags="+faststart", **extra)
    run(encode, "render the storyboard preview")
    return out
