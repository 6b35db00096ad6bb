"""The offline animatic: only the ad's own words are drawn, always inside the title-safe area of every frame the
camera makes, and each video draws its own pictures."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageOps

from vidgen_core.adapters.local import image as local_image
from vidgen_core.adapters.local.image import (
    CALL_TO_ACTION,
    _face,
    draw_frame,
    font_for,
    texts,
)
from vidgen_core.adapters.local.planner import LocalPlanner
from vidgen_core.adapters.local.video import frame_map, warp
from vidgen_core.domain.catalog import Platform, frame_size, image_model, video_model
from vidgen_core.domain.chunking import clips_for
from vidgen_core.domain.models import Camera, Campaign, SpecBeat, VideoSpec
from vidgen_core.domain.platforms import safe_zone_for
from vidgen_core.domain.ports import ImageJob
from vidgen_core.pipeline.requests import build_request
from vidgen_core.settings import Settings

SETTINGS = Settings(openai_api_key=None, replicate_api_token=None)
LONG = "A 20-second ad for The Extraordinarily Long Artisan Sourdough Bakery Collective"
BRANDED = "ten second ad: Ferngully organic oat milk"  # a brand with the product beneath it: three lines of text
ASPECTS = ("16:9", "9:16", "1:1")


def _sweep(*prompts: str) -> list:
    """Every aspect and camera (and prompt): the fast tier draws each camera once, in one aspect (and prompt) in
    turn; the whole sweep is slow."""
    cases = []
    for aspect in ASPECTS:
        for n, camera in enumerate(Camera):
            fast_aspect = aspect == ASPECTS[n % len(ASPECTS)]
            if not prompts:
                cases.append(pytest.param(aspect, camera, marks=() if fast_aspect else pytest.mark.slow))
            for prompt in prompts:
                fast = fast_aspect and prompt == prompts[n % len(prompts)]
                cases.append(pytest.param(aspect, camera, prompt, marks=() if fast else pytest.mark.slow))
    return cases


def _spec(prompt: str, aspect: str = "16:9", video_id: str = "vid-animatic", duration: int = 30) -> VideoSpec:
    request = build_request(prompt, SETTINGS, aspect=aspect, duration_s=duration, video_id=video_id)
    return LocalPlanner().plan(request).spec


def _job(spec: VideoSpec, beat: SpecBeat, seed: int | None = None) -> ImageJob:
    width, height = frame_size(image_model(spec.image_model).short_side, spec.aspect_ratio)
    return ImageJob(
        beat.image_prompt, spec.aspect_ratio, width, height, spec.seed if seed is None else seed, spec, beat
    )


def _frames(storyboard: Image.Image, spec: VideoSpec, beat: SpecBeat) -> list[tuple[str, np.ndarray]]:
    """First, middle and last frames of each of the beat's clips, as the local video renderer draws them: each clip
    after the first starts on the previous clip's last frame (here unencoded)."""
    model = video_model(spec.video_model)
    width, height = model.size(spec.aspect_ratio)
    start = np.asarray(ImageOps.fit(storyboard.convert("RGB"), (width, height), Image.Resampling.LANCZOS))
    frames = []
    for part, clip_s in enumerate(clips_for(beat.duration_s, tuple(sorted(model.clip_durations_s)))):
        count = clip_s * model.fps
        for n in (0, count // 2, count - 1):
            p = n / (count - 1)
            frames.append((f"clip {part} frame {n}", warp(start, frame_map(beat.camera, p, width, height))))
        start = warp(start, frame_map(beat.camera, 1.0, width, height))
    return frames


def drawn_boxes(
    spec: VideoSpec, beat: SpecBeat, part: str = "text"
) -> list[tuple[str, tuple[int, int, int, int], tuple[int, int]]]:
    """Per checked frame: the bounding box of every pixel the beat's text (or product) changes, and the frame's
    size."""
    job = _job(spec, beat)
    drawn = _frames(draw_frame(job), spec, beat)
    without = _frames(draw_frame(job, **{part: False}), spec, beat)
    boxes = []
    for (name, a), (_, b) in zip(drawn, without, strict=True):
        ys, xs = np.nonzero(np.abs(a.astype(np.int16) - b.astype(np.int16)).max(axis=2))
        assert len(xs), f"{name}: no {part} visible"
        boxes.append((name, (int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())), (a.shape[1], a.shape[0])))
    return boxes


@pytest.mark.parametrize(("aspect", "camera", "prompt"), _sweep(LONG, BRANDED))
def test_text_stays_in_the_safe_zone_through_every_camera_move(aspect: str, camera: Camera, prompt: str) -> None:
    """Opening and closing beats of 15 s (two clips whose moves compound), with the longest name, and with a brand
    and its product: inside title-safe, and a vertical ad's inside TikTok's, Reels' and Shorts' zones at once."""
    spec = _spec(prompt, aspect)
    assert spec.name.endswith("Extraordinarily Long Artisan Sourdough Bakery Collective" if prompt == LONG else "milk")
    if aspect == "9:16":
        vertical = Campaign(platforms=(Platform.TIKTOK, Platform.REELS, Platform.SHORTS))
        spec = spec.model_copy(update={"campaign": vertical})
    for beat in (spec.beats[0], spec.beats[-1]):
        beat = beat.model_copy(update={"camera": camera, "duration_s": 15})
        for name, (x0, y0, x1, y1), (width, height) in drawn_boxes(spec, beat):
            zx0, zy0, zx1, zy1 = safe_zone_for(spec, width, height).pixels(width, height)
            assert zx0 <= x0 and zy0 <= y0 and x1 < zx1 and y1 < zy1, (
                f"{aspect} {camera} {beat.section} {name}: text box {(x0, y0, x1, y1)} in {width}x{height} leaves "
                f"the safe zone {(round(zx0), round(zy0), round(zx1), round(zy1))}"
            )


@pytest.mark.parametrize(("aspect", "camera"), _sweep())
def test_the_product_stays_whole_through_every_camera_move(aspect: str, camera: Camera) -> None:
    """Beats of 15 s (two clips whose moves compound), with and without text above the product: no frame cuts the
    product (only an extreme close-up may)."""
    spec = _spec("Create a 30-second Nike ad", aspect)
    for beat, shot in ((spec.beats[1], "close-up"), (spec.beats[1], "wide"), (spec.beats[-1], "medium close-up")):
        beat = beat.model_copy(update={"camera": camera, "duration_s": 15, "shot_type": shot})
        for name, (x0, y0, x1, y1), (width, height) in drawn_boxes(spec, beat, "product"):
            assert x0 > 0 and y0 > 0 and x1 < width - 1 and y1 < height - 1, (
                f"{aspect} {camera} {shot} {name}: the product's box {(x0, y0, x1, y1)} touches the edge of "
                f"{width}x{height}"
            )
            assert (x1 - x0) * (y1 - y0) > 0.02 * width * height, f"{name}: the product is a speck"


def test_only_the_product_name_and_call_to_action_are_drawn() -> None:
    spec = _spec("Create a 30-second Nike ad")
    words = [[(t.role, t.text) for t in texts(spec, beat)] for beat in spec.beats]
    assert words[0] == [("name", "NIKE")] and words[-1] == [("name", "NIKE"), ("cta", CALL_TO_ACTION)]
    assert all(w == [] for w in words[1:-1]) and len(words) >= 3
    middle = spec.beats[1]
    assert draw_frame(_job(spec, middle)).tobytes() == draw_frame(_job(spec, middle), text=False).tobytes()


def test_the_brand_is_the_name_and_the_product_is_beneath_it() -> None:
    spec = _spec(BRANDED)
    words = [[(t.role, t.text) for t in texts(spec, beat)] for beat in (spec.beats[0], spec.beats[-1])]
    assert words[0] == [("name", "FERNGULLY"), ("product", "organic oat milk")]
    assert words[1] == [*words[0], ("cta", CALL_TO_ACTION)]
    product_only = _spec("Make an ad for running shoes")
    assert [(t.role, t.text) for t in texts(product_only, product_only.beats[0])] == [("name", "RUNNING SHOES")]


@pytest.mark.parametrize(
    ("prompt", "words"),
    [
        ("做一个15秒的茶叶广告", [("name", "茶叶"), ("cta", "现已上市")]),
        (
            "Erstelle eine 15-Sekunden-Werbung für Bergquell Mineralwasser, vertikal",
            [("name", "BERGQUELL"), ("product", "Mineralwasser"), ("cta", "JETZT ERHÄLTLICH")],
        ),
        (
            "Une publicité de 15 secondes pour le café Lavazza",
            [("name", "LAVAZZA"), ("product", "café"), ("cta", "DISPONIBLE MAINTENANT")],
        ),
        (
            "Haz un anuncio de 15 segundos para zapatillas Zenda",
            [("name", "ZENDA"), ("product", "zapatillas"), ("cta", "YA DISPONIBLE")],
        ),
    ],
)
def test_words_in_other_languages_are_drawn_with_a_font_that_has_their_letters(
    prompt: str, words: list[tuple[str, str]]
) -> None:
    """Pillow's own font draws only ASCII: "茶叶", "café" and "ERHÄLTLICH" are set in an installed font that has
    their glyphs (two different glyphs, not two "missing glyph" boxes); the call to action speaks the prompt's
    language."""
    spec = _spec(prompt, duration=15)
    drawn = [(t.role, t.text) for t in texts(spec, spec.beats[-1])]
    assert drawn == words
    for _, text in drawn:
        assert _face(text) is not None, f"install a font for {text!r}: make installs Debian's fonts-wqy-microhei"
        font = font_for(text, 64)
        glyphs = {bytes(font.getmask(ch)) for ch in set(text) if not ch.isspace()}
        assert len(glyphs) > 1 or len(set(text.replace(" ", ""))) == 1
        assert bytes(font.getmask(text[-1])) != bytes(font.getmask("\ue000"))  # not a "missing glyph" box
    closing = spec.beats[-1]
    frame = np.asarray(draw_frame(_job(spec, closing)), dtype=np.int16)
    assert np.abs(frame - np.asarray(draw_frame(_job(spec, closing), text=False), dtype=np.int16)).max() > 100


def test_words_no_installed_font_draws_are_left_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a machine with no CJK font, a Chinese name is left off the frame (and the call to action is English)."""
    monkeypatch.setattr(local_image, "FALLBACK_FONTS", ())
    _face.cache_clear()
    try:
        spec = _spec("做一个15秒的茶叶广告", duration=15)
        closing = spec.beats[-1]
        assert [(t.role, t.text) for t in texts(spec, closing)] == [("cta", CALL_TO_ACTION)]
        assert texts(spec, spec.beats[0]) == []
        assert draw_frame(_job(spec, closing)).size == draw_frame(_job(spec, closing), text=False).size
    finally:
        _face.cache_clear()


def test_beat_facts_are_not_captioned() -> None:
    """Two beats that differ only in name, shot label and take prompt draw the same picture."""
    spec = _spec("Create a 30-second Nike ad")
    beat = spec.beats[0]
    other = beat.model_copy(update={"name": "Something Else Entirely", "beat_id": "other", "image_prompt": "x"})
    assert draw_frame(_job(spec, beat)).tobytes() == draw_frame(_job(spec, other)).tobytes()


def test_a_new_take_looks_different_without_words() -> None:
    spec = _spec("Create a 30-second Nike ad")
    beat = spec.beats[1]
    first = np.asarray(draw_frame(_job(spec, beat, seed=spec.seed + 1)), dtype=np.int16)
    retake = beat.model_copy(update={"take": 1})
    second = np.asarray(draw_frame(_job(spec, retake, seed=spec.seed + 1 + 7919)), dtype=np.int16)
    assert np.abs(first - second).mean() > 10


def _png(spec: VideoSpec) -> bytes:
    buf = io.BytesIO()
    draw_frame(_job(spec, spec.beats[0])).save(buf, format="PNG")
    return buf.getvalue()


def test_each_video_has_its_own_seed_and_pictures() -> None:
    one, again = (
        _spec("Create a 30-second Nike ad", video_id="vid-one"),
        _spec("Create a 30-second Nike ad", video_id="vid-one"),
    )
    two = _spec("Create a 30-second Nike ad", video_id="vid-two")
    assert one.seed == again.seed and _png(one) == _png(again)
    assert one.seed != two.seed and _png(one) != _png(two)
    assert [b.beat_id for b in one.beats] == [b.beat_id for b in two.beats]  # the same plan, as estimated
