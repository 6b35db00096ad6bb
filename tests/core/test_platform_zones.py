"""Every text box inside its platform's safe zone, measured on frames: each frame drawn with and without its text
(captions and headlines burned by libass, the end card's logo or wordmark and call to action, the storyboard's name
and call to action), differenced, and the box of the changed pixels held to the zone in pixels."""

from __future__ import annotations

from pathlib import Path

import ffmpeg
import numpy as np
import pytest
from PIL import Image, ImageDraw

from tests.core.test_captions import _spec as _captioned_spec
from tests.core.test_captions import _voiceover
from vidgen_core.adapters.ffmpeg.tools import run
from vidgen_core.adapters.local.image import draw_frame
from vidgen_core.adapters.local.planner import LocalPlanner
from vidgen_core.adapters.render import endcard
from vidgen_core.adapters.render.endcard import render_end_card
from vidgen_core.adapters.render.subtitles import FONT, write_captions
from vidgen_core.domain.captions import cues, headlines
from vidgen_core.domain.catalog import Platform, Resolution, frame_size, image_model, master_size
from vidgen_core.domain.models import Campaign, VideoSpec
from vidgen_core.domain.platforms import PLATFORMS, safe_zone_for
from vidgen_core.domain.ports import ImageJob
from vidgen_core.domain.safe_zones import REELS_SAFE, SHORTS_SAFE, TIKTOK_SAFE, TITLE_SAFE, safe_zone
from vidgen_core.pipeline.requests import build_request
from vidgen_core.settings import Settings

SETTINGS = Settings(openai_api_key=None, replicate_api_token=None)
FPS = 25
SLACK_PX = 1  # the far edge of a box is exclusive; anti-aliasing may touch the pixel on the zone's edge
CASES = [
    pytest.param("9:16", (Platform.TIKTOK,), id="tiktok"),
    pytest.param("9:16", (Platform.REELS,), id="reels"),
    pytest.param("9:16", (Platform.SHORTS,), id="shorts"),
    pytest.param("9:16", (Platform.TIKTOK, Platform.REELS, Platform.SHORTS), id="all-vertical"),
    pytest.param("16:9", (Platform.CTV,), id="ctv"),
]


def _for(spec: VideoSpec, platforms: tuple[Platform, ...]) -> VideoSpec:
    """The spec as the request's campaign leaves it (applied after planning)."""
    return spec.model_copy(update={"campaign": Campaign(platforms=platforms)})


def _changed(a: np.ndarray, b: np.ndarray, level: int = 24) -> tuple[int, int, int, int]:
    """The box (x0, y0, x1, y1; far edges exclusive) of the pixels that differ by more than ``level``."""
    ys, xs = np.nonzero(np.abs(a.astype(np.int16) - b.astype(np.int16)).max(axis=2) > level)
    assert xs.size, "nothing was drawn"
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def _inside(box: tuple[int, int, int, int], spec: VideoSpec, platforms: tuple[Platform, ...], size: tuple) -> None:
    """The box lies inside every named platform's zone (and title-safe), in pixels."""
    width, height = size
    for zone in [TITLE_SAFE, *(PLATFORMS[p].safe for p in platforms)]:
        x0, y0, x1, y1 = zone.pixels(width, height)
        assert box[0] >= x0 - SLACK_PX and box[1] >= y0 - SLACK_PX, (box, zone, size)
        assert box[2] <= x1 + SLACK_PX and box[3] <= y1 + SLACK_PX, (box, zone, size)


def _frames(size: tuple[int, int], times: list[float], folder: Path, ass: Path | None = None) -> list[np.ndarray]:
    """The frames at ``times`` (a frame each) of a grey picture, with the ASS script burned in by libass as ``burn``
    does, in one run."""
    picked = sorted({round(t * FPS) for t in times})
    picture = ffmpeg.input(f"color=c=0x405060:s={size[0]}x{size[1]}:r={FPS}", f="lavfi", t=max(times) + 1).video
    if ass is not None:
        picture = picture.filter("ass", str(ass), fontsdir=str(FONT.parent))
    picture = picture.filter("select", "+".join(f"eq(n,{n})" for n in picked))
    folder.mkdir()
    run(picture.output(str(folder / "%03d.png"), fps_mode="passthrough"), "draw frames")
    drawn = sorted(folder.glob("*.png"))
    assert len(drawn) == len(picked)
    return [np.asarray(Image.open(path).convert("RGB")) for path in drawn]


@pytest.mark.parametrize(("aspect", "platforms"), CASES)
def test_captions_and_headlines_stay_in_the_platforms_safe_zone(
    aspect: str, platforms: tuple[Platform, ...], tmp_path: Path
) -> None:
    spec = _for(_captioned_spec([4, 4, 4], aspect=aspect), platforms)
    voiceover, size = _voiceover(spec), master_size(aspect, Resolution.P1080)
    ass = write_captions(spec, voiceover, size, tmp_path)["ass"]
    shown, heads = cues(spec, voiceover, size), headlines(spec, size)
    assert shown and heads
    times = [(event.start_s + event.end_s) / 2 for event in [*shown, *heads]]  # each one's middle
    clean = _frames(size, times, tmp_path / "clean")
    burned = _frames(size, times, tmp_path / "burned", ass)
    for without, with_text in zip(clean, burned, strict=True):
        _inside(_changed(without, with_text), spec, platforms, size)


@pytest.mark.parametrize(("aspect", "platforms"), CASES)
@pytest.mark.parametrize("logo", [False, True], ids=["wordmark", "logo"])
def test_the_end_cards_logo_and_call_to_action_stay_in_the_platforms_safe_zone(
    aspect: str, platforms: tuple[Platform, ...], logo: bool, tmp_path: Path
) -> None:
    spec = _for(_captioned_spec([6], aspect=aspect), platforms)
    width, height = size = master_size(aspect, Resolution.P1080)
    mark = None
    if logo:  # a wide mark: it takes the most width the card gives a logo
        mark = tmp_path / "logo.png"
        drawn = Image.new("RGBA", (900, 200), (0, 0, 0, 0))
        ImageDraw.Draw(drawn).rounded_rectangle((0, 0, 899, 199), radius=40, fill=(0, 220, 90, 255))
        drawn.save(mark)
    card = np.asarray(Image.open(render_end_card(spec, size, tmp_path / "card.png", mark)).convert("RGB"))
    plain = np.asarray(endcard._background(width, height, *endcard._palette(spec.style)))
    _inside(_changed(plain, card), spec, platforms, size)


@pytest.mark.parametrize(("aspect", "platforms"), CASES)
def test_the_storyboards_name_and_call_to_action_stay_in_the_platforms_safe_zone(
    aspect: str, platforms: tuple[Platform, ...]
) -> None:
    request = build_request("A 6-second ad for Acme trail running shoes", SETTINGS, aspect=aspect, duration_s=6)
    spec = _for(LocalPlanner().plan(request).spec, platforms)
    beat = spec.beats[-1]  # the closing beat: the brand, the product under it and the call to action
    size = frame_size(image_model(spec.image_model).short_side, aspect)
    job = ImageJob(beat.image_prompt, aspect, *size, spec.seed, spec, beat)
    drawn, plain = np.asarray(draw_frame(job)), np.asarray(draw_frame(job, text=False))
    _inside(_changed(plain, drawn, level=0), spec, platforms, size)


def test_one_vertical_picture_serves_every_vertical_platform_named_and_no_other() -> None:
    request = build_request("A 6-second ad for Acme trail running shoes", SETTINGS, aspect="9:16", duration_s=6)
    spec = LocalPlanner().plan(request).spec
    assert safe_zone_for(spec, 1080, 1920) == safe_zone(1080, 1920)  # none named: the social default
    every = _for(spec, (Platform.TIKTOK, Platform.REELS, Platform.SHORTS, Platform.CTV))
    zone = safe_zone_for(every, 1080, 1920)  # CTV shows 16:9: it does not narrow the 9:16 picture
    assert zone == TITLE_SAFE.within(TIKTOK_SAFE).within(REELS_SAFE).within(SHORTS_SAFE)
    assert (zone.x0, zone.y0, zone.x1, zone.y1) == pytest.approx((150 / 1080, 0.15, 930 / 1080, 0.65))
    wide = _for(spec.model_copy(update={"aspect_ratio": "16:9"}), (Platform.TIKTOK, Platform.CTV))
    assert safe_zone_for(wide, 1920, 1080) == TITLE_SAFE


def test_a_platform_says_which_lengths_it_takes() -> None:
    ctv, tiktok = PLATFORMS[Platform.CTV], PLATFORMS[Platform.TIKTOK]
    assert ctv.length_problem(15.0) is None and ctv.length_problem(6.0) is None
    assert ctv.length_problem(20.0) == "ctv takes ads of 6 or 15 or 30 s, not 20 s"
    assert tiktok.length_problem(4.0) == "tiktok takes ads of at least 5 s, not 4 s"
    assert PLATFORMS[Platform.SHORTS].length_problem(181.0) == "shorts takes ads up to 180 s, not 181 s"
