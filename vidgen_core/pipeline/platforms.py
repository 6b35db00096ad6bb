"""A platform's version of a finished video: the final of the platform's aspect with the platform's loudness standard
(re-mastered only where it differs), size and video bitrate (encoded again only where they are off; otherwise the
final's own file), checked against its length limits, and measured on the file it writes. Free: no provider is called.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

from vidgen_core.adapters.ffmpeg import ops
from vidgen_core.adapters.ffmpeg.measure import FileFacts, file_facts
from vidgen_core.adapters.ffmpeg.reencode import reencode_picture
from vidgen_core.adapters.storage import BlobStore, VideoKeys, length_variant
from vidgen_core.domain.catalog import Platform, master_size
from vidgen_core.domain.errors import MediaError, VidgenError
from vidgen_core.domain.models import RenderedVideo, VideoSpec
from vidgen_core.domain.platforms import PLATFORMS, PlatformPreset
from vidgen_core.domain.sound import LOUDNESS_TARGETS, LoudnessReading
from vidgen_core.settings import Settings

log = logging.getLogger("vidgen.platforms")


@dataclass(frozen=True)
class PlatformFile:
    """What a platform version measures, and what in it the platform would refuse (empty: nothing)."""

    facts: FileFacts
    loudness: LoudnessReading
    problems: tuple[str, ...]

    @property
    def video_kbps(self) -> float:
        return self.facts.video_bit_rate / 1000


def _kbps_problem(preset: PlatformPreset, kbps: float) -> str | None:
    if kbps < preset.min_video_kbps:
        return f"video {kbps:.0f} kbps, under the {preset.min_video_kbps} {preset.platform} asks for"
    if preset.max_video_kbps is not None and kbps > preset.max_video_kbps:
        return f"video {kbps:.0f} kbps, over the {preset.max_video_kbps} {preset.platform} takes"
    return None


def measure_platform_file(preset: PlatformPreset, path: Path) -> PlatformFile:
    """The file's size, length, video bitrate, loudness and true peak, against what ``preset`` asks."""
    facts, reading = file_facts(path), ops.measure_loudness(path)
    size = master_size(preset.aspect, preset.resolution)
    found = [
        preset.length_problem(facts.duration_s),
        _kbps_problem(preset, facts.video_bit_rate / 1000),
        None if (facts.width, facts.height) == size else f"{facts.width}x{facts.height}, not {size[0]}x{size[1]}",
        *LOUDNESS_TARGETS[preset.loudness].misses(reading),
    ]
    return PlatformFile(facts, reading, tuple(p for p in found if p))


def platform_version(
    spec: VideoSpec, final: RenderedVideo, platform: Platform, store: BlobStore, settings: Settings
) -> RenderedVideo:
    """``platform``'s file made from ``final`` (the final of the platform's aspect), kept under
    ``VideoKeys(user, video, variant="{platform}-{length}s").final()`` (a platform may take several lengths):
    re-mastered to the platform's loudness standard where the final's differs, encoded again where its size or video
    bitrate is not one the platform takes, else the final's file itself. Raises, saying what to change, for a length
    the platform does not take, and for a file that misses what the platform asks once made."""
    preset = PLATFORMS[platform]
    width, height = master_size(preset.aspect, preset.resolution)
    if abs(final.width * height - final.height * width) > 0.01 * width * height:
        raise VidgenError(
            f"{platform} shows {preset.aspect} video and this final is {final.width}x{final.height}: make its "
            f"version from the {preset.aspect} final"
        )
    if problem := preset.length_problem(final.duration_s):
        raise VidgenError(f"{problem}: make the ad, or a cutdown of it, a length {platform} takes")
    keys = VideoKeys(spec.user_id, spec.video_id, variant=length_variant(platform.value, spec.duration_s))
    source = store.local_path(final.key)
    facts = file_facts(source)
    off_rate = _kbps_problem(preset, facts.video_bit_rate / 1000) is not None
    reencode = (facts.width, facts.height) != (width, height) or off_rate
    remaster = final.loudness_standard is not preset.loudness
    modes, attempts = [], 0
    with tempfile.TemporaryDirectory(prefix="vidgen-platform-") as tmp:
        made = source
        if reencode:
            made = reencode_picture(
                made, Path(tmp) / "picture.mp4", (width, height), preset.resolution, preset.video_kbps, settings
            )
            modes.append("reencode")
        if remaster:
            # the platform's audio bitrate for the new AAC encode
            audio = settings.model_copy(update={"audio_bitrate": f"{preset.audio_kbps}k"})
            attempts = ops.remaster(made, Path(tmp) / "mastered.mp4", LOUDNESS_TARGETS[preset.loudness], audio).attempts
            made = Path(tmp) / "mastered.mp4"
            modes.append("remaster")
        got = measure_platform_file(preset, made)
        if got.problems:
            raise MediaError(f"the {platform} version misses what {platform} asks: {'; '.join(got.problems)}")
        if made == source:
            store.copy(final.key, keys.final())
        else:
            store.put_file(keys.final(), made)
    loud = got.loudness
    log.info(
        "%s version: %s (%s; %dx%d, %.1f s, video %.0f kbps, %.1f LUFS, %.1f dBTP, %d bytes)",
        platform,
        keys.final(),
        "+".join(modes) or "copy",
        got.facts.width,
        got.facts.height,
        got.facts.duration_s,
        got.video_kbps,
        loud.integrated_lufs,
        loud.true_peak_dbtp,
        got.facts.size_bytes,
    )
    return RenderedVideo(
        key=keys.final(),
        duration_s=got.facts.duration_s,
        width=got.facts.width,
        height=got.facts.height,
        fps=got.facts.fps,
        has_audio=bool(got.facts.audio_codec),
        size_bytes=got.facts.size_bytes,
        mode="+".join(modes) or "copy",
        loudness_lufs=round(loud.integrated_lufs, 2),
        loudness_standard=preset.loudness,
        true_peak_dbtp=round(loud.true_peak_dbtp, 2),
        max_short_term_lufs=round(loud.max_short_term_lufs, 2),
        max_momentary_lufs=round(loud.max_momentary_lufs, 2),
        loudness_range_lu=round(loud.lra_lu, 2),
        loudness_attempts=attempts,
        captions=final.captions,
        captions_burned=final.captions_burned,
    )
