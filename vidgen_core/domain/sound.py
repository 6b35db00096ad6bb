"""Loudness: the targets of each delivery standard, and what a measurement of a file reports."""

from __future__ import annotations

from dataclasses import dataclass

from vidgen_core.domain.models import Loudness

DECLICK_S = 0.02  # music that ends by itself gets only this fade at its very end, so the last sample is not a click


@dataclass(frozen=True)
class LoudnessReading:
    """ebur128 with true peak, measured on a file (or a filter graph's output)."""

    integrated_lufs: float
    lra_lu: float
    true_peak_dbtp: float
    max_short_term_lufs: float  # loudest 3 s window
    max_momentary_lufs: float  # loudest 400 ms window


@dataclass(frozen=True)
class LoudnessTarget:
    """What a standard asks of the delivered file; ``max_short_term_lufs`` None: no short-term limit."""

    integrated_lufs: float
    tolerance_lu: float
    true_peak_dbtp: float
    max_short_term_lufs: float | None = None

    def misses(self, reading: LoudnessReading) -> list[str]:
        """What a reading of the file gets wrong against this target, in words; empty when it complies."""
        problems = []
        if abs(reading.integrated_lufs - self.integrated_lufs) > self.tolerance_lu:
            problems.append(
                f"integrated {reading.integrated_lufs:.1f} LUFS, not {self.integrated_lufs:g} ± {self.tolerance_lu:g}"
            )
        if reading.true_peak_dbtp > self.true_peak_dbtp:
            problems.append(f"true peak {reading.true_peak_dbtp:.1f} dBTP over {self.true_peak_dbtp:g}")
        if self.max_short_term_lufs is not None and reading.max_short_term_lufs > self.max_short_term_lufs:
            problems.append(f"short-term {reading.max_short_term_lufs:.1f} LUFS over {self.max_short_term_lufs:g}")
        return problems


LOUDNESS_TARGETS: dict[Loudness, LoudnessTarget] = {
    # Streaming and social: -14 LUFS, true peak at most -1 dBTP on the encoded file (AAC overshoots its input).
    Loudness.STREAMING: LoudnessTarget(integrated_lufs=-14.0, tolerance_lu=1.0, true_peak_dbtp=-1.0),
    # EBU R128 with the common delivery ceiling of -2 dBTP, and R128 s1's limit for ads on short-term loudness.
    Loudness.BROADCAST: LoudnessTarget(
        integrated_lufs=-23.0, tolerance_lu=0.5, true_peak_dbtp=-2.0, max_short_term_lufs=-18.0
    ),
}
