"""ffprobe, parsed into what the pipeline and its checks need."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import ffmpeg

from vidgen_core.adapters.ffmpeg.tools import ffprobe_exe
from vidgen_core.domain.errors import MediaError


@dataclass(frozen=True)
class MediaInfo:
    """Container and stream facts of one media file."""

    path: Path
    duration_s: float
    size_bytes: int
    format_name: str
    video_codec: str | None = None
    width: int = 0
    height: int = 0
    fps: float = 0.0
    pix_fmt: str | None = None
    has_b_frames: int = 0
    video_frames: int | None = None
    audio_codec: str | None = None
    sample_rate: int = 0
    channels: int = 0

    @property
    def has_video(self) -> bool:
        return self.video_codec is not None

    @property
    def has_audio(self) -> bool:
        return self.audio_codec is not None


def ffprobe_json(path: Path) -> dict:
    """ffprobe's format and streams of a media file, or a MediaError naming the file (not its folder)."""
    try:
        return ffmpeg.probe(str(path), cmd=ffprobe_exe())
    except ffmpeg.Error as exc:
        tail = (exc.stderr or b"").decode(errors="replace").strip().splitlines()[-1:]
        raise MediaError(f"ffprobe cannot read {path.name}: {' '.join(tail)}") from None


def probe(path: Path) -> MediaInfo:
    """Probe a media file with ffprobe."""
    data = ffprobe_json(path)
    fmt = data.get("format", {})
    video = next((s for s in data.get("streams", []) if s.get("codec_type") == "video"), None)
    audio = next((s for s in data.get("streams", []) if s.get("codec_type") == "audio"), None)
    info: dict[str, object] = {
        "path": path,
        "duration_s": float(fmt.get("duration", 0.0)),
        "size_bytes": int(fmt.get("size", path.stat().st_size)),
        "format_name": fmt.get("format_name", ""),
    }
    if video:
        rate = video.get("avg_frame_rate") or video.get("r_frame_rate") or "0/1"
        info.update(
            video_codec=video.get("codec_name"),
            width=int(video.get("width", 0)),
            height=int(video.get("height", 0)),
            fps=float(Fraction(rate)) if rate != "0/0" else 0.0,
            pix_fmt=video.get("pix_fmt"),
            has_b_frames=int(video.get("has_b_frames", 0)),
            video_frames=int(video["nb_frames"]) if video.get("nb_frames", "").isdigit() else None,
        )
    if audio:
        info.update(
            audio_codec=audio.get("codec_name"),
            sample_rate=int(audio.get("sample_rate", 0)),
            channels=int(audio.get("channels", 0)),
        )
    return MediaInfo(**info)  # type: ignore[arg-type]
