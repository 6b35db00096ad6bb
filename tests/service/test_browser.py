"""The Dagster UI in headless Chromium (Debian's package): the asset graph, the video partition and its cost.
Screenshots are kept in test-artifacts/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests.support import Service
from vidgen_core.domain.models import Phase

pytestmark = pytest.mark.slow  # the whole service in subprocesses

CHROMIUM = "/usr/bin/chromium"  # installed by `make test` (apt); Playwright never downloads a browser here
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
ASSETS = list(Phase)


@pytest.fixture(scope="module")
def page() -> Iterator[Page]:
    assert Path(CHROMIUM).exists(), "Chromium is missing: `make test` installs Debian's chromium package"
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        yield page
        browser.close()


def test_asset_graph_renders(service: Service, page: Page) -> None:
    page.goto(f"{service.ui}/locations/__repository__@vidgen/asset-groups/video_ad", timeout=60_000)
    for asset in ASSETS:
        expect(page.get_by_text(asset, exact=True).first).to_be_visible(timeout=60_000)
    expect(page.get_by_text(re.compile(r"^Loading"))).to_have_count(0, timeout=60_000)  # node details filled in
    page.screenshot(path=ARTIFACTS / "dagster-asset-graph.png")
    assert (ARTIFACTS / "dagster-asset-graph.png").stat().st_size > 20_000


def test_video_partition_renders(service: Service, page: Page, finished: dict) -> None:
    page.goto(f"{service.ui}/assets/{Phase.FINAL_VIDEO}?view=partitions", timeout=60_000)
    expect(page.get_by_text(finished["video_id"]).first).to_be_visible(timeout=60_000)
    page.get_by_text(finished["video_id"]).first.click()
    for key in ("cost_usd", "provider", "wall_time_s"):  # the partition's materialization and its cost
        expect(page.get_by_text(key, exact=True).first).to_be_visible(timeout=60_000)
    page.screenshot(path=ARTIFACTS / "dagster-video-partition.png")
    assert (ARTIFACTS / "dagster-video-partition.png").stat().st_size > 20_000


def test_a_partition_shows_its_title_and_owner(service: Service, page: Page, finished: dict) -> None:
    page.goto(f"{service.ui}/assets/{Phase.VIDEO_SPEC}?view=partitions", timeout=60_000)
    page.get_by_text(finished["video_id"]).first.click(timeout=60_000)
    for text in ("Create a 5-second Nike ad", "svc-user"):  # the bare id's title and owner, in its metadata
        expect(page.get_by_text(text, exact=True).first).to_be_visible(timeout=60_000)
    page.screenshot(path=ARTIFACTS / "dagster-partition-title.png")


@pytest.mark.parametrize("phase", [Phase.STORYBOARD, Phase.FINAL_VIDEO])
def test_a_partition_shows_its_preview(service: Service, page: Page, finished: dict, phase: Phase) -> None:
    """The preview is a file in the store; the UI draws it from the API's lasting link (no bytes in the event)."""
    page.goto(f"{service.ui}/assets/{phase}?view=partitions", timeout=60_000)
    page.get_by_text(finished["video_id"]).first.click(timeout=60_000)
    image = page.locator(f'img[src^="{service.api}/api/previews/"]').first
    expect(image).to_be_visible(timeout=60_000)
    expect(page.get_by_text("preview_file", exact=True).first).to_be_visible(timeout=60_000)
    assert image.evaluate("img => img.complete && img.naturalWidth") > 100  # drawn, not a broken-image icon
    page.screenshot(path=ARTIFACTS / f"dagster-preview-{phase}.png")
