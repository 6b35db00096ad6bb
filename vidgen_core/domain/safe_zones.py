"""Where text may go on a frame: inside the title-safe box (the central 90 %) and, on a vertical frame, inside the
social platforms' safe zone: TikTok's and Reels' interface covers the top 14 %, the bottom 23 % and the right 14 %.
Titles, captions, the logo and the call to action all stay inside it."""

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
VERTICAL_SOCIAL = Zone(0.14, 0.14, 0.86, 0.77)


def safe_zone(width: int, height: int) -> Zone:
    """Where marks may go on a frame of this size: title-safe, narrowed to the social zone on a vertical frame."""
    return TITLE_SAFE.within(VERTICAL_SOCIAL) if height > width * 1.5 else TITLE_SAFE
