"""Shared fixtures: an isolated vidgen home per test, and media helpers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vidgen_core.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "vidgen")


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio between two RGB frames, in dB."""
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def frame_at(video: Path, index: int, tmp: Path) -> np.ndarray:
    """Decode frame ``index`` of a video as an RGB array (via ffmpeg)."""
    import ffmpeg

    from vidgen_core.media.tools import ffmpeg_exe

    out = tmp / f"frame_{index}.png"
    (
        ffmpeg.input(str(video))
        .filter("select", f"eq(n,{index})")
        .output(str(out), vframes=1)
        .overwrite_output()
        .run(cmd=ffmpeg_exe(), quiet=True)
    )
    return np.asarray(Image.open(out).convert("RGB"))
