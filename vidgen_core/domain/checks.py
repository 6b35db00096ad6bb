"""The checks a user would make on each phase's output: their names, tolerances and what each verifies."""

from __future__ import annotations

from enum import StrEnum

from vidgen_core.domain.catalog import MASTER_VIDEO_KBPS
from vidgen_core.domain.editing import END_CARD_S
from vidgen_core.domain.models import Loudness
from vidgen_core.domain.script import MAX_STRETCH, TAIL_S
from vidgen_core.domain.sound import LOUDNESS_TARGETS

IMAGE_ASPECT_TOLERANCE = 0.03  # FLUX makes 1344x768 for 16:9 (1.75)
AV_START_TOLERANCE_S = 0.005  # video and audio start together (an AAC priming slip is 21.3 ms)
COLOUR_TAG = "bt709"  # primaries, transfer and matrix of every master
MEZZANINE_PIX_FMT = "yuv422p10le"  # ProRes 422 10-bit
AUDIO_RATE_HZ = 48_000
AUDIO_CHANNELS = 2
MIN_AUDIO_BITRATE = 192_000  # CTV buyers' floor
STILL_LIMIT_S = 1.0  # frozen or black stretches longer than this fail
FREEZE_NOISE = 0.003  # freezedetect's noise tolerance (of the full range)
BLACK_PIXEL = 0.1  # blackdetect's pixel threshold (of the full range)
SEAM_JUMP_LIMIT = 3.0  # a chained seam's frame difference, over the beat's median
STALL_FRACTION = 0.1  # a frame difference under this share of the beat's median is a standstill...
STALL_FRAMES = 2  # ...and this many in a row next to a seam is a stall
SEAM_WINDOW_S = 0.2  # how far either side of a seam a stall is looked for (an ease-out, a repeated frame)
BEAT_WINDOW_S = 0.5  # how far either side of a beat's frame its cut or transition is looked for
# A clip's last frame against its beat's keyframe: the ΔE76 between its mean L*a*b* and that of the keyframe framed
# as a camera move might end (whole, 3/4, 1/2 crops). ΔE 5 is plainly visible; the offline renderer's camera moves
# over one picture measure at most 4.6, a clip's last frame against another beat's keyframe (same palette) 3-12.
COLOUR_DRIFT_LIMIT = 8.0
VOICE_OVER_MUSIC_DB = 10.0  # during speech the voice is at least this much louder than the music (RMS)
MUSIC_BACK_DB = 3.0  # between lines the music returns to within this much of its level before ducking
MUSIC_BACK_GAP_S = 0.8  # ...in every gap at least this long (over its middle half)
SPEECH_COVERAGE = 0.5  # a line's span is speech over at least this share (TTS lines measure 0.6-0.75: pauses, breath)
SPEECH_FLOOR_DB = -40.0  # the voice stem's RMS (20 ms windows, dBFS) above this is speech, under it silence


class CheckName(StrEnum):
    ONE_IMAGE_PER_BEAT = "one_image_per_beat"
    EVERY_BEAT_COVERED = "every_beat_covered"
    COLOUR_DRIFT = "colour_drift"
    SEAMS_CONTINUOUS = "seams_continuous"
    BEATS_ON_FRAME = "beats_on_frame"
    FILE_FORMAT = "file_format"
    TIMING_EXACT = "timing_exact"
    LOUDNESS_ON_TARGET = "loudness_on_target"
    NO_FROZEN_OR_BLACK = "no_frozen_or_black"
    LINES_FIT_BEATS = "lines_fit_beats"
    WORDS_ON_SPEECH = "words_on_speech"
    VOICE_OVER_MUSIC = "voice_over_music"
    SPEECH_WHERE_LINES = "speech_where_lines"
    CAPTIONS_IN_SAFE_ZONE = "captions_in_safe_zone"
    ASPECTS_SAME_TIMING = "aspects_same_timing"
    ASPECTS_DELIVERY_SIZE = "aspects_delivery_size"
    PREVIEW_MEASURED = "preview_measured"
    LENGTHS_AS_STATED = "lengths_as_stated"
    POSTERS_MATCH_VIDEOS = "posters_match_videos"
    MEZZANINE_PRORES_HQ = "mezzanine_prores_hq"
    ARCHIVE_COMPLETE = "archive_complete"


# A failing gate stops what is made from the output (no clip is paid for from a bad storyboard); every other check
# reports, and names what to regenerate.
GATES = frozenset({CheckName.ONE_IMAGE_PER_BEAT, CheckName.EVERY_BEAT_COVERED})

_STREAMING, _BROADCAST = LOUDNESS_TARGETS[Loudness.STREAMING], LOUDNESS_TARGETS[Loudness.BROADCAST]

# What each check verifies, tolerance included: the UI shows it beside the check's result.
CHECK_DESCRIPTIONS: dict[CheckName, str] = {
    CheckName.ONE_IMAGE_PER_BEAT: "One readable storyboard image per beat, in beat order, each within "
    f"{IMAGE_ASPECT_TOLERANCE:.0%} of the video's aspect ratio.",
    CheckName.EVERY_BEAT_COVERED: "The chunks cover every beat's length exactly (to 1 µs), each beat starts from its "
    "own storyboard image, and no clip is shorter (by more than one frame) than the part of it the cut uses.",
    CheckName.COLOUR_DRIFT: "Each clip's last frame keeps its beat's colour: the CIELAB ΔE between its mean colour and "
    "that of the beat's storyboard image (whole, or cropped to 3/4 or 1/2 as a camera move may end) is at most "
    f"{COLOUR_DRIFT_LIMIT:g} (beat_N_drift_max per beat).",
    CheckName.SEAMS_CONTINUOUS: "At every chained seam inside a beat, the frame difference is at most "
    f"{SEAM_JUMP_LIMIT:g}x the beat's median (no pop), and within {SEAM_WINDOW_S:g} s of it no {STALL_FRAMES} frames "
    f"in a row move less than {STALL_FRACTION:g}x that median (no stall); the seam's mean CIELAB ΔE is reported.",
    CheckName.BEATS_ON_FRAME: "Every beat starts on its frame, round(start_s x fps): a cut's frame-difference spike is "
    "exactly there, a crossfade's or dip's change starts there (within one frame).",
    CheckName.FILE_FORMAT: "The master is the delivery size for its aspect and resolution, H.264 yuv420p tagged "
    f"{COLOUR_TAG} (primaries, transfer, matrix), constant frame rate, at least the resolution's video bit rate ("
    f"{', '.join(f'{r}: {k / 1000:g} Mbps' for r, k in MASTER_VIDEO_KBPS.items())}), +faststart (moov before "
    f"mdat); AAC-LC {AUDIO_RATE_HZ // 1000} kHz stereo at {MIN_AUDIO_BITRATE // 1000} kbps or more.",
    CheckName.TIMING_EXACT: "The master has exactly duration x fps frames and lasts the spec's duration (within half "
    f"a frame); video and audio start within {AV_START_TOLERANCE_S * 1000:g} ms of each other.",
    CheckName.LOUDNESS_ON_TARGET: "Measured on the encoded file (ebur128, true peak): streaming "
    f"{_STREAMING.integrated_lufs:g} ± {_STREAMING.tolerance_lu:g} LUFS, true peak <= "
    f"{_STREAMING.true_peak_dbtp:g} dBTP; broadcast {_BROADCAST.integrated_lufs:g} ± "
    f"{_BROADCAST.tolerance_lu:g} LUFS, true peak <= {_BROADCAST.true_peak_dbtp:g} dBTP, max short-term <= "
    f"{_BROADCAST.max_short_term_lufs:g} LUFS.",
    CheckName.NO_FROZEN_OR_BLACK: f"No frozen or black stretch longer than {STILL_LIMIT_S:g} s (freezedetect "
    f"n={FREEZE_NOISE:g}, blackdetect pix_th={BLACK_PIXEL:g}), except the end card held still in the last "
    f"{END_CARD_S:g} s.",
    CheckName.LINES_FIT_BEATS: "Every line is spoken inside its beat: it starts after the lead-in, ends at least "
    f"{TAIL_S:g} s before the beat does (and before the end card), and is stretched by at most {MAX_STRETCH:.0%}.",
    CheckName.WORDS_ON_SPEECH: "Every caption word lies inside its beat and over speech: the line's audio has "
    f"energy over {SPEECH_FLOOR_DB:g} dBFS (20 ms RMS) inside each word's time.",
    CheckName.VOICE_OVER_MUSIC: f"During speech the voice stem is at least {VOICE_OVER_MUSIC_DB:g} dB above the "
    "ducked music stem (RMS over each line's speech); in every gap between lines of at least "
    f"{MUSIC_BACK_GAP_S:g} s the music comes back (over the gap's middle half) to within {MUSIC_BACK_DB:g} dB of its "
    "level without the duck.",
    CheckName.SPEECH_WHERE_LINES: f"The voice stem has speech (RMS over {SPEECH_FLOOR_DB:g} dBFS) over at least "
    f"{SPEECH_COVERAGE:.0%} of every line's span and none outside them.",
    CheckName.CAPTIONS_IN_SAFE_ZONE: "Burned captions change the picture only inside the platform-safe zone for the "
    "aspect, never over the storyboard's product name nor during the end card (frames with and without captions, "
    "differenced).",
    CheckName.ASPECTS_SAME_TIMING: "Every other aspect is the same cut as the master: its final has exactly duration "
    "x fps frames at the master's frame rate and lasts the spec's duration (within half a frame), and every beat of "
    "its stitched picture starts on the master's frame (its cut's or transition's change measured on its decoded "
    "frames, as beats_on_frame).",
    CheckName.ASPECTS_DELIVERY_SIZE: "Every other aspect's final is the delivery size for its own aspect at the "
    "video's resolution (e.g. 1080x1920 for 9:16 at 1080p).",
    CheckName.PREVIEW_MEASURED: "The review preview decodes to exactly duration x fps frames, lasts the spec's "
    "duration (within a frame), is the preview's size for the aspect and carries the music bed.",
    CheckName.LENGTHS_AS_STATED: "Every video deliverable (master, aspect, cutdown, platform version, mezzanine) "
    "lasts the length it is listed with, within half a frame, measured on its file.",
    CheckName.POSTERS_MATCH_VIDEOS: "Every video deliverable has a poster: a JPEG of exactly its video's width and "
    "height (both measured on the files).",
    CheckName.MEZZANINE_PRORES_HQ: "The mezzanine, when asked for, is ProRes 422 HQ (ffprobe profile HQ) "
    f"{MEZZANINE_PIX_FMT} in a QuickTime file, with PCM s24le {AUDIO_RATE_HZ // 1000} kHz stereo audio.",
    CheckName.ARCHIVE_COMPLETE: "The zip holds every other deliverable once, under its listed name, each member "
    "the size of its stored file.",
}
