"""The voiceover mix: the voice's level, the music bed's level under it, and how the bed ducks under speech.

The mix is rendered offline from the whole voice track, so the duck looks ahead: the music starts down ``ATTACK_S``
before speech (the first consonant is never masked, and over 80 ms the move is a dip, not a click), stays down across
pauses shorter than ``HOLD_S`` (commas and sentence breaks inside a line: it does not pump between words), and comes
back over ``RELEASE_S`` once speech stops (slow enough not to surge in, quick enough to be back inside every gap the
checks measure: a gap of ``MUSIC_BACK_GAP_S`` is longer than the hold, so it is never bridged).

Loudness (what a listener compares: every line as loud as the others, the music between lines a little under the
voice) is BS.1770's, as the master measures it. Each duck's depth is computed from the two signals' RMS where the
voice speaks, on the mono downmix ffmpeg decodes (each channel at -3 dB), as the checks measure it: not assumed.
"""

from __future__ import annotations

VOICE_LUFS = -20.0  # every line's integrated loudness on the (stereo) voice track, so the voice is even
BED_UNDER_VOICE_LU = 4.0  # the unducked bed's loudness under the voice's: present between lines, never on top
ATTACK_S = 0.08
HOLD_S = 0.5
RELEASE_S = 0.35
DUCK_MARGIN_DB = 3.0  # each duck aims this far past VOICE_OVER_MUSIC_DB (the checks' 16 kHz decode and the encode)
MIN_DUCK_DB = 6.0  # a duck is at least this deep, so it is heard alike where the music happens to be quiet
