"""Small JPEG previews a person can glance at: contact sheets of images, waveforms and filmstrips of videos."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import ffmpeg
from PIL import Image

from vidgen_core.adapters.ffmpeg.ops import filmstrip
from vidgen_core.adapters.ffmpeg.tools import run

THUMB_WIDTH = 192


def contact_sheet(images: list[Path], columns: int = 4, thumb_width: int = THUMB_WIDTH) -> bytes:
    """A grid of thumbnails, in order, as JPEG bytes."""
    thumbs = []
    for path in images:
        with Image.open(path) as img:
            ratio = thumb_width / img.width
            thumbs.append(img.convert("RGB").resize((thumb_width, max(1, round(img.height * ratio)))))
    if not thumbs:
        return b""
    cols = min(columns, len(thumbs))
    rows = -(-len(thumbs) // cols)
    cell_h = max(t.height for t in thumbs)
    sheet = Image.new("RGB", (cols * thumb_width + (cols - 1) * 4, rows * cell_h + (rows - 1) * 4), (20, 20, 20))
    for i, thumb in enumerate(thumbs):
        sheet.paste(thumb, ((i % cols) * (thumb_width + 4), (i // cols) * (cell_h + 4)))
    buf = io.BytesIO()
    sheet.save(buf, format="JPEG", quality=80)
    return buf.getvalue()


def waveform(audio: Path, width: int = 640, height: int = 120) -> bytes:
    """A picture of an audio file's waveform, as JPEG bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "wave.jpg"
        stream = ffmpeg.input(str(audio)).audio.filter("showwavespic", s=f"{width}x{height}", colors="0x4fc3f7")
        run(stream.output(str(out), vframes=1), f"draw the waveform of {audio.name}")
        return out.read_bytes()


def video_strip(video: Path, frames: int = 6) -> bytes:
    """Thumbnails spread across a video, side by side, as JPEG bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        return filmstrip(video, Path(tmp) / "strip.jpg", frames=frames, thumb_width=THUMB_WIDTH).read_bytes()
