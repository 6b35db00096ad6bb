"""Where an ad runs: each platform's aspect, size, length limits, loudness, bitrate and the part of the frame its
interface leaves free for text. Sources are in docs/platforms.md (checked 2026-12-06); a platform's newer figure
wins."""

from __future__ import annotations

from dataclasses import dataclass

from vidgen_core.domain.catalog import Aspect, Platform, Resolution
from vidgen_core.domain.models import Loudness
from vidgen_core.domain.safe_zones import TITLE_SAFE, Zone


@dataclass(frozen=True)
class PlatformPreset:
    """What one platform takes: the file it wants and where text may go on it."""

    platform: Platform
    aspect: Aspect
    resolution: Resolution
    loudness: Loudness
    video_kbps: int  # the H.264 bitrate it recommends at this size
    audio_kbps: int
    safe: Zone  # where titles, captions, logo and call to action may go (shares of the frame)
    max_s: int | None = None  # the longest ad it takes; None: no limit that matters here
    lengths: tuple[int, ...] = ()  # the only lengths it takes (CTV: 15 or 30 s); () any up to max_s
    mezzanine: bool = False  # it prefers a ProRes 422 HQ master


# TikTok (1080x1920): its interface covers the top ~150 px, the bottom ~440 px and the right ~150 px.
TIKTOK_SAFE = Zone(0.05, 150 / 1920, 1 - 150 / 1080, 1 - 440 / 1920)
# Reels and Stories: the top 14 % and the bottom 20 % are the interface's; the buttons sit on the right.
REELS_SAFE = Zone(0.05, 0.14, 1 - 150 / 1080, 0.80)
# Shorts: the title and channel row at the bottom, the buttons on the right, the search bar at the top.
SHORTS_SAFE = Zone(0.05, 0.12, 1 - 150 / 1080, 0.75)

PLATFORMS: dict[Platform, PlatformPreset] = {
    p.platform: p
    for p in (
        PlatformPreset(Platform.YOUTUBE, "16:9", Resolution.P1080, Loudness.STREAMING, 8000, 384, TITLE_SAFE),
        PlatformPreset(Platform.TIKTOK, "9:16", Resolution.P1080, Loudness.STREAMING, 8000, 192, TIKTOK_SAFE, 60),
        PlatformPreset(Platform.REELS, "9:16", Resolution.P1080, Loudness.STREAMING, 8000, 192, REELS_SAFE, 90),
        PlatformPreset(Platform.SHORTS, "9:16", Resolution.P1080, Loudness.STREAMING, 8000, 384, SHORTS_SAFE, 60),
        PlatformPreset(Platform.META_FEED, "4:5", Resolution.P1080, Loudness.STREAMING, 8000, 192, TITLE_SAFE, 240),
        PlatformPreset(
            Platform.CTV,
            "16:9",
            Resolution.P1080,
            Loudness.BROADCAST,
            15000,
            192,
            TITLE_SAFE,
            lengths=(15, 30),
            mezzanine=True,
        ),
    )
}
