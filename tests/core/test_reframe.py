"""Reframing follows the product: a synthetic shot with a bright square moving across it, cropped to 9:16, keeps
the square near the middle of the crop (measured on the decoded output), and a seam between two clips of one shot
shows the same crop on both sides; a sharp product beside a big bright glow and blurred bokeh (an ad's backdrop)
stays whole inside the crop, the glow and bokeh ignored."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import ffmpeg
import numpy as np
import pytest

from vidgen_core.adapters.ffmpeg.probe import probe
from vidgen_core.adapters.ffmpeg.reframe import crop_size, reframe_shot
from vidgen_core.adapters.ffmpeg.tools import ffmpeg_exe
from vidgen_core.settings import Settings

SIZE, FPS, SQUARE = (640, 360), 24, 48


def _square_x(t: float) -> float:
    """The square's centre (pixels) at ``t`` (0..1 of the shot): left to right, then back a little."""
    return SIZE[0] * (0.12 + 0.76 * np.sin(np.pi * 0.6 * t) ** 2)


def _frame(x: float) -> np.ndarray:
    ys = np.indices((SIZE[1], SIZE[0]))[0]
    frame = np.empty((SIZE[1], SIZE[0], 3), np.uint8)
    frame[...] = (30 + 40 * ys / SIZE[1])[..., None].astype(np.uint8)  # a dim vertical gradient, like a backdrop
    left, top = round(x - SQUARE / 2), SIZE[1] // 2 - SQUARE // 2
    frame[top : top + SQUARE, left : left + SQUARE] = (250, 230, 60)
    return frame


def _clip(path: Path, xs: list[float], draw: Callable[[float], np.ndarray] = _frame) -> Path:
    pipe = (
        ffmpeg.input("pipe:", format="rawvideo", pix_fmt="rgb24", s=f"{SIZE[0]}x{SIZE[1]}", r=FPS)
        .output(str(path), vcodec="libx264", pix_fmt="yuv420p", crf=12, r=FPS)
        .overwrite_output()
        .run_async(cmd=ffmpeg_exe(), pipe_stdin=True, quiet=True)
    )
    for x in xs:
        pipe.stdin.write(draw(x).tobytes())
    pipe.stdin.close()
    assert pipe.wait() == 0
    return path


def _square_centres(video: Path) -> list[float | None]:
    """The bright square's centre in each decoded frame, as a fraction of the frame's width."""
    capture, found = cv2.VideoCapture(str(video)), []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        bright = np.argwhere(frame.max(axis=2) > 180)
        found.append(float(bright[:, 1].mean() + 0.5) / frame.shape[1] if len(bright) else None)
    capture.release()
    return found


def test_the_crop_follows_a_moving_product(tmp_path: Path, settings: Settings) -> None:
    frames = 4 * FPS
    xs = [_square_x(i / (frames - 1)) for i in range(frames)]
    half = frames // 2  # two clips of one shot: the second starts from the first's last frame
    clips = [_clip(tmp_path / "a.mp4", xs[: half + 1]), _clip(tmp_path / "b.mp4", xs[half:])]
    made = reframe_shot(clips, [tmp_path / "a_9x16.mp4", tmp_path / "b_9x16.mp4"], "9:16", settings)

    window = crop_size(*SIZE, "9:16")
    assert window == (202, 360)
    for part in made:
        info = probe(part.path)
        assert (info.width, info.height) == window
    seen = _square_centres(made[0].path) + _square_centres(made[1].path)[1:]
    assert len(seen) == frames and all(s is not None for s in seen)  # the square never leaves the crop
    in_crop = np.asarray(seen, dtype=float)
    # where the window can centre on it (not pinned at a side), the square stays near the middle of the crop
    free = [i for i, x in enumerate(xs) if window[0] / 2 + 8 < x < SIZE[0] - window[0] / 2 - 8]
    assert len(free) > frames / 2
    assert np.abs(in_crop[free] - 0.5).max() < 0.12, np.abs(in_crop[free] - 0.5).max()
    # the window itself travelled with the square: its centre (in the source) against the square's
    centres = np.concatenate([made[0].centres[:, 0], made[1].centres[1:, 0]]) * SIZE[0]
    sampled = np.concatenate([made[0].frames, made[1].frames[1:] + half])
    truth = np.clip(np.asarray(xs)[sampled], window[0] / 2, SIZE[0] - window[0] / 2)
    assert np.corrcoef(centres, truth)[0, 1] > 0.97
    travel = centres.max() - centres.min()
    assert travel > 0.8 * (truth.max() - truth.min())
    # the seam: the first clip's last crop is the second clip's first
    assert made[0].centres[-1] == pytest.approx(made[1].centres[0], abs=1e-6)
    last, first = _square_centres(made[0].path)[-1], _square_centres(made[1].path)[0]
    assert last == pytest.approx(first, abs=2 / window[0])


PINK, WHITE, OBJECT = (250, 90, 125), (245, 245, 245), (96, 64)  # the product: a pink upper on a white sole


def _backdrop() -> np.ndarray:
    """A dark purple backdrop, a big smooth yellow glow on its left and blurred orange bokeh discs around it."""
    rng = np.random.default_rng(7)
    ys, xs = np.indices((SIZE[1], SIZE[0]), dtype=np.float32)
    glow = np.exp(-0.5 * (((xs - 0.22 * SIZE[0]) / 110) ** 2 + ((ys - 0.35 * SIZE[1]) / 120) ** 2))
    frame = np.asarray((45, 20, 60), np.float32) + glow[..., None] * np.asarray((210, 190, -40), np.float32)
    discs = np.zeros((SIZE[1], SIZE[0]), np.float32)
    for _ in range(28):
        centre = (int(rng.uniform(0, 0.5 * SIZE[0])), int(rng.uniform(0, SIZE[1])))
        cv2.circle(discs, centre, int(rng.uniform(6, 14)), 1.0, -1)
    discs = cv2.GaussianBlur(discs, (0, 0), 3.0).clip(0, 1)[..., None] * 0.7
    frame = frame * (1 - discs) + np.asarray((235, 150, 50), np.float32) * discs
    return frame.clip(0, 255).astype(np.uint8)


BACKDROP = _backdrop()


def _product_frame(x: float) -> np.ndarray:
    frame = BACKDROP.copy()
    left, top = round(x - OBJECT[0] / 2), SIZE[1] // 2
    frame[top : top + OBJECT[1] * 2 // 3, left : left + OBJECT[0]] = PINK
    frame[top + OBJECT[1] * 2 // 3 : top + OBJECT[1], left : left + OBJECT[0]] = WHITE
    return frame


def _pink_columns(video: Path) -> list[int]:
    """How many columns of each decoded frame show the product's pink upper."""
    capture, found = cv2.VideoCapture(str(video)), []
    while True:
        ok, bgr = capture.read()
        if not ok:
            break
        b, g, r = (bgr[..., i].astype(int) for i in range(3))
        found.append(int(((r > 200) & (g < 140) & (b > 90) & (b < 170)).any(axis=0).sum()))
    capture.release()
    return found


def test_the_crop_follows_the_sharp_product_not_a_glow_or_bokeh(tmp_path: Path, settings: Settings) -> None:
    frames = 2 * FPS
    xs = [SIZE[0] * (0.64 + 0.08 * i / (frames - 1)) for i in range(frames)]  # right of centre, drifting right
    clip = _clip(tmp_path / "glow.mp4", xs, _product_frame)
    [made] = reframe_shot([clip], [tmp_path / "glow_9x16.mp4"], "9:16", settings)

    window = crop_size(*SIZE, "9:16")
    for frame, centre in zip(made.frames, made.centres[:, 0] * SIZE[0], strict=True):
        left = centre - window[0] / 2
        assert left <= xs[frame] - OBJECT[0] / 2 and xs[frame] + OBJECT[0] / 2 <= left + window[0], (frame, centre)
    seen = _pink_columns(made.path)
    assert len(seen) == frames
    assert min(seen) >= OBJECT[0] - 4, min(seen)  # the whole product, on the decoded crop, in every frame
