"""The checks a user would make on each phase's output: their names, tolerances and what each verifies."""

from __future__ import annotations

from enum import StrEnum

DURATION_TOLERANCE_S = 0.1
ASPECT_TOLERANCE = 0.01
LOUDNESS_TOLERANCE_LU = 1.0
IMAGE_ASPECT_TOLERANCE = 0.03  # FLUX makes 1344x768 for 16:9 (1.75)


class CheckName(StrEnum):
    ONE_IMAGE_PER_BEAT = "one_image_per_beat"
    EVERY_BEAT_COVERED = "every_beat_covered"
    DURATION_MATCHES_SPEC = "duration_matches_spec"
    HAS_VIDEO_AND_AUDIO = "has_video_and_audio"
    RESOLUTION_MATCHES_ASPECT = "resolution_matches_aspect"
    LOUDNESS_ON_TARGET = "loudness_on_target"


# What each check verifies, tolerance included: the UI shows it beside the check's result.
CHECK_DESCRIPTIONS: dict[CheckName, str] = {
    CheckName.ONE_IMAGE_PER_BEAT: "One readable storyboard image per beat, in beat order, each within "
    f"{IMAGE_ASPECT_TOLERANCE:.0%} of the video's aspect ratio.",
    CheckName.EVERY_BEAT_COVERED: "The chunks cover every beat's length exactly (to 1 µs), each beat starts from its "
    "own storyboard image, and no clip is shorter (by more than one frame) than the part of it the cut uses.",
    CheckName.DURATION_MATCHES_SPEC: "The delivered file lasts the spec's duration, within "
    f"{DURATION_TOLERANCE_S:g} s.",
    CheckName.HAS_VIDEO_AND_AUDIO: "The delivered file has an H.264 video stream and an AAC audio stream.",
    CheckName.RESOLUTION_MATCHES_ASPECT: "The delivered frame's width/height matches the spec's aspect ratio, within "
    f"{ASPECT_TOLERANCE:.0%}.",
    CheckName.LOUDNESS_ON_TARGET: "The delivered file's integrated loudness is within "
    f"{LOUDNESS_TOLERANCE_LU:g} LU of the target (VIDGEN_TARGET_LUFS, default -14 LUFS).",
}
