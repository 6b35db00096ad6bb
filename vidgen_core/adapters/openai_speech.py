"""OpenAI's speech endpoint (``POST /v1/audio/speech``): a line in a voice, as a WAV.

gpt-4o-mini-tts is billed per text token in and audio token out, and only its SSE stream reports them (the
``speech.audio.done`` event), so it is asked for ``stream_format="sse"`` and given a read style (``instructions``);
tts-1 and tts-1-hd take neither and are billed per character. The contract and its sources are in README.md,
"Voiceover: providers".
"""

from __future__ import annotations

import base64
import json
from functools import cached_property
from pathlib import Path

import openai

from vidgen_core.adapters.openai_errors import openai_reason
from vidgen_core.adapters.wav import write_wav
from vidgen_core.domain.catalog import LANGUAGES, SpeechModel, speech_model
from vidgen_core.domain.errors import ProviderError, scrub
from vidgen_core.domain.models import CostLine, Phase
from vidgen_core.domain.ports import SpeechJob, Spoken
from vidgen_core.domain.script import WORDS_PER_SECOND, words
from vidgen_core.settings import Settings

PROVIDER = "openai"
PCM_RATE_HZ = 24_000  # the endpoint's bare PCM: 24 kHz, 16-bit little-endian, mono (as its WAVs are)
READ_STYLE = "A confident, warm advertising voiceover in {language}: clear, upbeat and unhurried."


def streams_usage(model: SpeechModel) -> bool:
    """Whether a model is billed by the tokens it reports: those take ``instructions`` and answer in SSE with their
    usage (the gpt-4o-mini-tts family; OpenAI documents both as not working with tts-1 and tts-1-hd)."""
    return model.usd_per_m_audio_tokens > 0


class OpenAISpeechGenerator:
    """Speaks a line with an OpenAI speech model; the SDK retries 429, 5xx and lost connections."""

    provider = PROVIDER

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None

    @cached_property
    def client(self) -> openai.OpenAI:
        """Made at the first line spoken: a request's adapters may be built where no key is needed, and the SDK
        refuses to be made without one."""
        return openai.OpenAI(
            api_key=self._key,
            base_url=self.settings.openai_base_url,
            max_retries=self.settings.openai_max_retries,
            timeout=self.settings.openai_timeout_s,
        )

    def speak(self, job: SpeechJob, out: Path) -> Spoken:
        model = speech_model(job.model)
        model.check_length(job.text, f"the {job.item}")
        by_tokens = streams_usage(model)
        extra = (
            {"instructions": READ_STYLE.format(language=LANGUAGES[job.language]), "stream_format": "sse"}
            if by_tokens
            else {}
        )
        try:
            response = self.client.audio.speech.create(
                model=model.provider_id, voice=job.voice, input=job.text, response_format="wav", **extra
            )
        except openai.OpenAIError as exc:
            raise self._error(exc, model.name, job.item) from None
        # answered, so billed: every failure from here on carries what the line cost, and is not tried again
        chars = len(job.text)
        billed = _cost(job, model, chars, "characters", model.cost(chars))
        try:
            audio, usage = _events(response.content) if by_tokens else (response.content, None)
            if usage is not None:
                billed = _cost(job, model, sum(usage), "tokens", model.cost(chars, *usage))
            elif by_tokens:  # the usage never came: what the line is expected to cost is recorded instead
                billed = _cost(
                    job, model, chars, "characters", model.estimate(chars, len(words(job.text)) / WORDS_PER_SECOND)
                )
                raise ValueError("the stream ended before speech.audio.done, so its usage is unknown")
            write_wav(audio, out, pcm_rate=PCM_RATE_HZ if by_tokens else None)  # bare PCM only from SSE deltas
        except (ValueError, KeyError) as exc:
            why = f"the answer cannot be used: {exc}"
            raise ProviderError(PROVIDER, model.name, why, job.item, costs=[billed]) from None
        return Spoken(out, PROVIDER, model.name, [billed], words=None)

    def _error(self, exc: openai.OpenAIError, model: str, item: str) -> ProviderError:
        """A clear, key-free error for every way the endpoint can fail (a refused request with the API's reason)."""
        reason, retryable = openai_reason(exc, self.settings)
        return ProviderError(PROVIDER, model, scrub(reason, self._key), item, retryable=retryable)


def _cost(job: SpeechJob, model: SpeechModel, quantity: float, unit: str, usd: float) -> CostLine:
    return CostLine(
        phase=Phase.VOICEOVER, provider=PROVIDER, model=model.name, item=job.item, quantity=quantity, unit=unit, usd=usd
    )


def _events(body: bytes) -> tuple[bytes, tuple[int, int] | None]:
    """The audio and the (input, output) token usage of an SSE answer: ``speech.audio.delta`` events carry base64
    audio chunks, ``speech.audio.done`` the usage."""
    audio, usage = bytearray(), None
    for line in body.decode("utf-8", "replace").splitlines():
        if not line.startswith("data:"):
            continue
        event = json.loads(line.removeprefix("data:").strip())
        if event.get("type") == "speech.audio.delta":
            audio += base64.b64decode(event["audio"])
        elif event.get("type") == "speech.audio.done":
            tokens = event.get("usage") or {}
            usage = (int(tokens.get("input_tokens", 0)), int(tokens.get("output_tokens", 0)))
    return bytes(audio), usage
