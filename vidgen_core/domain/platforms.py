"""Where an ad runs: each platform's aspect, size, length limits, loudness, bitrate and the part of the frame its
interface leaves free for text. Sources are in docs/platforms.md (checked 2026-12-06); a platform's newer figure
wins."""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

from vidgen_core.domain.catalog import Aspect, Platform, Resolution
from vidgen_core.domain.models import Loudness, VideoSpec
from vidgen_core.domain.safe_zones import (
    META_FEED_SAFE,
    REELS_SAFE,
    SHORTS_SAFE,
    TIKTOK_SAFE,
    TITLE_SAFE,
    Zone,
    safe_zone,
)


@dataclass(frozen=True)
class PlatformPreset:
    """What one platform takes: the file it wants and where text may go on it."""

    platform: Platform
    aspect: Aspect
    resolution: Resolution
    loudness: Loudness
    video_kbps: int  # the H.264 bitrate it recommends at this size: what a re-encode for it aims at
    audio_kbps: int
    safe: Zone  # where titles, captions, logo and call to action may go (shares of the frame)
    max_s: int | None = None  # the longest ad it takes; None: no limit that matters here
    lengths: tuple[int, ...] = ()  # the only lengths it takes (CTV: 6, 15 or 30 s); () any up to max_s
    mezzanine: bool = False  # it prefers a ProRes 422 HQ master
    min_s: int = 0  # the shortest ad it takes
    min_video_kbps: int = 0  # a file under this video bitrate is refused (CTV: 10 Mbps): re-encoded at video_kbps
    max_video_kbps: int | None = None  # and over this one

    def length_problem(self, seconds: float) -> str | None:
        """Why an ad of ``seconds`` does not fit this platform, in words; None when it does. A length it takes
        exactly may be off by a frame's rounding (buyers allow up to 1 s)."""
        if self.lengths and not any(abs(seconds - n) < 0.5 for n in self.lengths):
            return f"{self.platform} takes ads of {' or '.join(map(str, self.lengths))} s, not {seconds:g} s"
        if self.max_s is not None and seconds > self.max_s + 0.5:
            return f"{self.platform} takes ads up to {self.max_s} s, not {seconds:g} s"
        if seconds < self.min_s - 0.5:
            return f"{self.platform} takes ads of at least {self.min_s} s, not {seconds:g} s"
        return None


PLATFORMS: dict[Platform, PlatformPreset] = {
    p.platform: p
    for p in (
        # 8 Mbps at 1080p (SDR, up to 30 fps), AAC-LC stereo 384 kbps; no length limit for an ad
        PlatformPreset(Platform.YOUTUBE, "16:9", Resolution.P1080, Loudness.STREAMING, 8000, 384, TITLE_SAFE),
        # In-Feed: 5 s to 10 min, at least 516 kbps
        PlatformPreset(
            Platform.TIKTOK, "9:16", Resolution.P1080, Loudness.STREAMING, 8000, 192, TIKTOK_SAFE, 600,
            min_s=5, min_video_kbps=516,
        ),
        # Reels ads: up to 15 min
        PlatformPreset(Platform.REELS, "9:16", Resolution.P1080, Loudness.STREAMING, 8000, 192, REELS_SAFE, 900),
        # Shorts: square or taller, up to 3 min (since 2024-10-15); YouTube's upload settings
        PlatformPreset(Platform.SHORTS, "9:16", Resolution.P1080, Loudness.STREAMING, 8000, 384, SHORTS_SAFE, 180),
        # Feed video: 1 s to 241 min, 4:5 recommended on mobile
        PlatformPreset(Platform.META_FEED, "4:5", Resolution.P1080, Loudness.STREAMING, 8000, 192, META_FEED_SAFE),
        # Programmatic CTV: 6, 15 or 30 s; H.264 10-40 Mbps (15 recommended) or ProRes 422 HQ; AAC 192-256 kbps
        # (asked 256: the encoder lands a little under); broadcast loudness (EBU R128, issue 17); title-safe
        PlatformPreset(
            Platform.CTV, "16:9", Resolution.P1080, Loudness.BROADCAST, 15000, 256, TITLE_SAFE,
            lengths=(6, 15, 30), mezzanine=True, min_video_kbps=10000, max_video_kbps=40000,
        ),
    )
}  # fmt: skip


def safe_zone_for(spec: VideoSpec, width: int, height: int) -> Zone:
    """Where text may go on a ``width`` x ``height`` frame of ``spec``: title-safe cut to the zone of every platform
    asked for (``spec.campaign.platforms``) that shows this aspect, since one picture serves them all; with none of
    this aspect, the default for the frame's shape (``safe_zone``)."""
    zones = [PLATFORMS[p].safe for p in spec.campaign.platforms if PLATFORMS[p].aspect == spec.aspect_ratio]
    return reduce(Zone.within, zones, TITLE_SAFE) if zones else safe_zone(width, height)
