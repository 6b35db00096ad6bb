"""OpenAI's speech endpoint (``POST /v1/audio/speech``): a line in a voice. Not built yet (issue 18)."""

from __future__ import annotations

from pathlib import Path

from vidgen_core.domain.ports import SpeechJob, Spoken
from vidgen_core.settings import Settings


class OpenAISpeechGenerator:
    provider = "openai"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def speak(self, job: SpeechJob, out: Path) -> Spoken:
        raise NotImplementedError
