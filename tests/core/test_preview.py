"""The review preview, measured on its file: the plan's length to the frame, its small size, its music, the
storyboard's pictures each in its own beat, its copy inside the safe zone, and its check."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vidgen_core.adapters.ffmpeg import measure
from vidgen_core.adapters.ffmpeg.animatic import animatic_size, render_animatic
from vidgen_core.adapters.ffmpeg.probe import probe
from vidgen_core.adapters.registry import build_providers
from vidgen_core.adapters.render.endcard import render_end_card
from vidgen_core.adapters.render.subtitles import ass
from vidgen_core.adapters.storage import LocalStore
from vidgen_core.domain.captions import headlines
from vidgen_core.domain.catalog import video_model
from vidgen_core.domain.models import Storyboard, VideoSpec
from vidgen_core.domain.safe_zones import safe_zone
from vidgen_core.persistence.ledger import Ledger
from vidgen_core.pipeline import phases
from vidgen_core.pipeline.calls import CallCache
from vidgen_core.pipeline.preview import make_preview, preview_checks
from vidgen_core.pipeline.requests import build_request
from vidgen_core.settings import Settings


def _board(settings: Settings, aspect: str, duration: int) -> tuple[VideoSpec, Storyboard, LocalStore]:
    """The local planner's plan and storyboard for a short ad."""
    request = build_request(
        "An ad for Nike running shoes", settings, aspect=aspect, duration_s=duration, video_id="vid-preview"
    )
    store, providers = LocalStore(settings.storage_dir), build_providers(settings, request)
    calls = CallCache(store, Ledger(settings.db_url), request.user_id, request.video_id)
    spec, _ = phases.make_plan(request, providers, calls)
    return spec, phases.make_storyboard(spec, store, providers, calls), store


def _grey(pixels: np.ndarray) -> np.ndarray:
    """A picture as small zero-mean grey, to compare by correlation."""
    small = Image.fromarray(pixels).convert("L").resize((32, 32), Image.Resampling.BOX)
    grey = np.asarray(small, dtype=np.float64)
    return (grey - grey.mean()) / (grey.std() + 1e-9)


@pytest.mark.parametrize(("aspect", "duration"), [("16:9", 10), ("9:16", 5)])
def test_the_preview_has_the_plans_frames_size_music_and_pictures(
    settings: Settings, aspect: str, duration: int
) -> None:
    spec, board, store = _board(settings, aspect, duration)
    made = make_preview(spec, board, store, settings)
    path = store.local_path(made.key)
    info, facts = probe(path), measure.file_facts(path)
    size = animatic_size(aspect)
    assert (info.width, info.height) == size and max(size) == 640
    assert measure.motion(path, facts).frames == duration * made.fps  # every frame decoded, none more
    assert facts.duration_s == pytest.approx(duration, abs=1 / made.fps)
    assert facts.audio_codec == "aac" and facts.video_codec == "h264"
    assert made.size_bytes == path.stat().st_size and made.costs == []
    middles = {b.index: round((b.start_s + b.duration_s / 2) * made.fps) for b in spec.beats}
    frames = dict(measure.frames_at(path, list(middles.values()), size))
    images = {}
    for image in board.images:
        with Image.open(store.local_path(image.key)) as img:
            images[image.beat_index] = _grey(np.asarray(img.convert("RGB").resize(size)))
    for beat, frame in middles.items():  # the middle of beat k shows storyboard image k, not another one
        shown = _grey(frames[frame])
        likeness = {k: float((shown * picture).mean()) for k, picture in images.items()}
        assert max(likeness, key=likeness.__getitem__) == beat, likeness
        assert likeness[beat] > 0.5, likeness
    [check] = preview_checks(spec, made, path)
    assert check.passed, check.metadata
    assert check.metadata["frames_decoded"] == duration * made.fps


def test_the_check_fails_a_preview_of_another_length(settings: Settings) -> None:
    spec, board, store = _board(settings, "16:9", 10)
    made = make_preview(spec, board, store, settings)
    longer = spec.model_copy(update={"duration_s": 15})
    [check] = preview_checks(longer, made, Path(store.local_path(made.key)))
    assert not check.passed and "375 expected" in str(check.metadata["problems"])


def test_the_headlines_stay_inside_the_vertical_safe_zone(settings: Settings, tmp_path: Path) -> None:
    """The same preview with and without its headlines, differenced: every pixel the copy changes is inside the
    social safe zone of a 9:16 frame (TikTok's and Reels' interface covers its edges)."""
    spec, board, store = _board(settings, "9:16", 20)  # a 20 s plan has beats with copy
    size, fps = animatic_size("9:16"), video_model(spec.video_model).fps
    assert any(beat.on_screen for beat in spec.beats)
    heads = headlines(spec, size)
    assert heads, "the plan shows no headline to place"
    script = tmp_path / "headlines.ass"
    script.write_text(ass(spec, [], heads, size), encoding="utf-8")
    card = render_end_card(spec, size, tmp_path / "card.png")
    images = [store.local_path(image.key) for image in board.images]
    shown = render_animatic(spec, images, card, script, None, tmp_path / "with.mp4", size, fps)
    bare = render_animatic(spec, images, card, None, None, tmp_path / "without.mp4", size, fps)
    middles = [round((head.start_s + head.end_s) / 2 * fps) for head in heads]
    with_copy, without = dict(measure.frames_at(shown, middles, size)), dict(measure.frames_at(bare, middles, size))
    zone = safe_zone(*size)
    x0, y0, x1, y1 = (round(v) for v in zone.pixels(*size))
    for frame in middles:
        changed = np.abs(with_copy[frame].astype(int) - without[frame].astype(int)).max(axis=2) > 24
        assert changed.sum() > 200, "no headline was drawn"
        rows, cols = np.nonzero(changed)
        assert rows.min() >= y0 - 2 and rows.max() <= y1 + 2 and cols.min() >= x0 - 2 and cols.max() <= x1 + 2
