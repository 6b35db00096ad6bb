"""Where text may go on a frame: inside the title-safe box (the central 90 %, a TV rule) and, on a frame a platform
shows under its own interface, inside the part that interface leaves free. Titles, captions, headlines, the logo and
the call to action all stay inside it. Each platform's zone and its source are in docs/platforms.md; a frame made
for no named platform of its aspect uses ``safe_zone``: title-safe, and on a vertical frame the social default."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Zone:
    """A box as shares of the frame's width (x) and height (y)."""

    x0: float
    y0: float
    x1: float
    y1: float

    def pixels(self, width: int, height: int) -> tuple[float, float, float, float]:
        return self.x0 * width, self.y0 * height, self.x1 * width, self.y1 * height

    def within(self, other: Zone) -> Zone:
        """This zone cut to ``other``."""
        return Zone(max(self.x0, other.x0), max(self.y0, other.y0), min(self.x1, other.x1), min(self.y1, other.y1))


TITLE_SAFE_MARGIN = 0.05
TITLE_SAFE = Zone(TITLE_SAFE_MARGIN, TITLE_SAFE_MARGIN, 1 - TITLE_SAFE_MARGIN, 1 - TITLE_SAFE_MARGIN)
ACTION_SAFE = Zone(0.02, 0.02, 0.98, 0.98)  # where a product must stay whole (only an extreme close-up may not)
VERTICAL_SOCIAL = Zone(0.14, 0.14, 0.86, 0.77)  # a vertical frame for no named platform: clear of the usual bars

# The platforms' interfaces on a 1080x1920 frame (docs/platforms.md, checked 2026-12-06).
# TikTok: the top 150 px (tabs), the bottom 440 px (caption, sound, CTA) and 150 px each side (the buttons' rail on
# the right; its "780 x 1330 centred" safe area).
TIKTOK_SAFE = Zone(150 / 1080, 150 / 1920, 1 - 150 / 1080, 1 - 440 / 1920)
# Reels (Meta's unified Stories and Reels zone): the top 14 %, the bottom 35 %, 6 % each side, and on the right the
# buttons' rail (as wide as TikTok's: it reaches above the bottom 35 %).
REELS_SAFE = Zone(0.06, 0.14, 1 - 150 / 1080, 0.65)
# Shorts: the bottom 25 % (title, channel, subscribe), the top 15 % (search, back), 10 % each side (the rail).
SHORTS_SAFE = Zone(0.10, 0.15, 0.90, 0.75)
# Instagram's 4:5 feed: 64 px of 1080x1350 on every side.
META_FEED_SAFE = Zone(64 / 1080, 64 / 1350, 1 - 64 / 1080, 1 - 64 / 1350)


def safe_zone(width: int, height: int) -> Zone:
    """Where marks may go on a frame of this size made for no named platform: title-safe, narrowed to the social
    default on a vertical frame."""
    return TITLE_SAFE.within(VERTICAL_SOCIAL) if height > width * 1.5 else TITLE_SAFE
