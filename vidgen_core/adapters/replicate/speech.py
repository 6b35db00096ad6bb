"""Speech models on Replicate (MiniMax speech-2.6-turbo): a line in a voice, as a WAV, billed per character.

Run through the shared runner, so the prediction is journaled (a retried step resumes it instead of paying again),
polled and downloaded at once. The schema and price, and where they come from, are in README.md, "Voiceover:
providers".
"""

from __future__ import annotations

from pathlib import Path

from vidgen_core.adapters.replicate.media import _journal
from vidgen_core.adapters.replicate.runner import PROVIDER, ReplicateRunner
from vidgen_core.adapters.wav import write_wav
from vidgen_core.domain.catalog import LANGUAGES, speech_model
from vidgen_core.domain.errors import ProviderError
from vidgen_core.domain.models import CostLine, Phase
from vidgen_core.domain.ports import SpeechJob, Spoken


class ReplicateSpeechGenerator:
    """Speaks a line with a MiniMax voice, its language boosted to the script's (``language_boost`` takes the
    language's English name: English, Spanish, French, German)."""

    provider = PROVIDER

    def __init__(self, runner: ReplicateRunner) -> None:
        self.runner = runner

    def speak(self, job: SpeechJob, out: Path) -> Spoken:
        model = speech_model(job.model)
        model.check_length(job.text, f"the {job.item}")
        inputs = {"text": job.text, "voice_id": job.voice, "language_boost": LANGUAGES[job.language]}
        done = self.runner.run(
            model.provider_id,
            inputs | model.fixed_inputs,
            {},
            model=model.name,
            item=job.item,
            journal=_journal(job.journal),
        )
        chars = len(job.text)
        cost = CostLine(
            phase=Phase.VOICEOVER,
            provider=PROVIDER,
            model=model.name,
            item=job.item,
            quantity=chars,
            unit="characters",
            usd=model.cost(chars),
        )
        try:
            write_wav(done.outputs[0], out)
        except ValueError as exc:  # made, so billed: the failure carries the cost
            why = f"the audio cannot be used: {exc}"
            raise ProviderError(PROVIDER, model.name, why, job.item, costs=[cost]) from None
        return Spoken(out, PROVIDER, model.name, [cost], words=None)
