"""Speech models on Replicate (minimax). Not built yet (issue 18)."""

from __future__ import annotations

from pathlib import Path

from vidgen_core.adapters.replicate.runner import ReplicateRunner
from vidgen_core.domain.ports import SpeechJob, Spoken


class ReplicateSpeechGenerator:
    provider = "replicate"

    def __init__(self, runner: ReplicateRunner) -> None:
        self.runner = runner

    def speak(self, job: SpeechJob, out: Path) -> Spoken:
        raise NotImplementedError
