"""The remote speech adapters through the real `openai` SDK and the real Replicate runner, against the imitations:
what is sent, the WAV that comes back (measured), what the ledger is told, how failures read, and the word times
estimated from the audio."""

from __future__ import annotations

import json
import re
import wave
from pathlib import Path

import numpy as np
import openai
import pytest
import replicate

from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.replicate_server import MINIMAX_SPEECH, FakeReplicate
from tests.fakes.speech import speak, wav
from tests.support import MemoryJournal
from vidgen_core.adapters.ffmpeg.envelope import ENVELOPE_RATE_HZ, envelope, samples
from vidgen_core.adapters.ffmpeg.probe import probe
from vidgen_core.adapters.ffmpeg.speech import EDGE_S, align, off_speech, trimmed
from vidgen_core.adapters.local.planner import LocalPlanner
from vidgen_core.adapters.openai_speech import OpenAISpeechGenerator
from vidgen_core.adapters.registry import build_providers
from vidgen_core.adapters.replicate.runner import ReplicateRunner
from vidgen_core.adapters.replicate.speech import ReplicateSpeechGenerator
from vidgen_core.adapters.storage import LocalStore
from vidgen_core.adapters.wav import write_wav
from vidgen_core.domain.catalog import SPEECH_MODELS
from vidgen_core.domain.errors import InvalidRequest, ProviderError
from vidgen_core.domain.models import Narration, Phase, WordTime
from vidgen_core.domain.ports import SpeechJob
from vidgen_core.domain.script import WORDS_PER_SECOND, words
from vidgen_core.persistence.ledger import CallState, Ledger
from vidgen_core.persistence.takes import LineTakeDB
from vidgen_core.pipeline import verify
from vidgen_core.pipeline.calls import CallCache
from vidgen_core.pipeline.requests import build_request
from vidgen_core.pipeline.takes import regenerate_line
from vidgen_core.pipeline.voiceover import make_voiceover
from vidgen_core.settings import Settings

LINE = "Meet the new Aurora running shoe. Lighter, faster, and built to go the distance."
ITEM = "line of beat 1 (hero_orbit)"
CODECS = {"mp3": "mp3", "opus": "opus", "aac": "aac", "flac": "flac"}


def _job(model: str, voice: str, text: str = LINE, language: str = "en", journal: MemoryJournal | None = None):
    return SpeechJob(text=text, voice=voice, language=language, model=model, item=ITEM, journal=journal)


def _wav(path: Path) -> tuple[int, int, float]:
    """A WAV's channels, rate and length, as Python's strict reader sees them."""
    with wave.open(str(path)) as w:
        return w.getnchannels(), w.getframerate(), w.getnframes() / w.getframerate()


@pytest.fixture
def speaker(provider_env: dict) -> OpenAISpeechGenerator:
    return OpenAISpeechGenerator(Settings())


@pytest.fixture
def runner(provider_env: dict, fake_replicate: FakeReplicate) -> ReplicateRunner:
    fake_replicate.time_scale = 0.001
    return ReplicateRunner(Settings(replicate_poll_interval_s=0.0), sleep=lambda s: None)


def test_gpt_4o_mini_tts_streams_its_usage_and_is_billed_by_it(
    speaker: OpenAISpeechGenerator, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    made = speaker.speak(_job("gpt-4o-mini-tts", "coral"), tmp_path / "line.wav")
    sent, usage = fake_openai.spoken[0]["request"], fake_openai.spoken[0]["usage"]
    assert sent["model"] == "gpt-4o-mini-tts" and sent["voice"] == "coral" and sent["input"] == LINE
    assert sent["response_format"] == "wav" and sent["stream_format"] == "sse" and "English" in sent["instructions"]
    seconds = fake_openai.spoken[0]["seconds"]
    assert _wav(made.path) == (1, 24_000, pytest.approx(seconds, abs=1e-4))  # real sizes, not 0xFFFFFFFF
    assert probe(made.path).duration_s == pytest.approx(seconds, abs=0.01)
    [cost] = made.costs
    tokens = usage["input_tokens"], usage["output_tokens"]
    assert (cost.phase, cost.provider, cost.model, cost.item) == (Phase.VOICEOVER, "openai", "gpt-4o-mini-tts", ITEM)
    assert cost.unit == "tokens" and cost.quantity == sum(tokens)
    assert cost.usd == pytest.approx((tokens[0] * 0.60 + tokens[1] * 12.00) / 1e6)
    assert made.words is None and (fake_openai.speech_calls, fake_openai.speech_chars) == (1, len(LINE))


def test_sse_deltas_of_bare_samples_make_the_same_wav(
    speaker: OpenAISpeechGenerator, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.sse_bare_pcm = True
    made = speaker.speak(_job("gpt-4o-mini-tts", "coral"), tmp_path / "line.wav")
    assert _wav(made.path) == (1, 24_000, pytest.approx(fake_openai.spoken[0]["seconds"], abs=1e-4))


@pytest.mark.parametrize(("model", "per_m_chars"), [("tts-1", 15.00), ("tts-1-hd", 30.00)])
def test_tts_1_is_billed_per_character(
    speaker: OpenAISpeechGenerator, fake_openai: FakeOpenAI, tmp_path: Path, model: str, per_m_chars: float
) -> None:
    made = speaker.speak(_job(model, "alloy"), tmp_path / "line.wav")
    sent = fake_openai.spoken[0]["request"]
    assert "instructions" not in sent and "stream_format" not in sent  # neither works with tts-1 and tts-1-hd
    assert _wav(made.path) == (1, 24_000, pytest.approx(fake_openai.spoken[0]["seconds"], abs=1e-4))
    [cost] = made.costs
    assert (cost.unit, cost.quantity, cost.usd) == (
        "characters",
        len(LINE),
        pytest.approx(len(LINE) * per_m_chars / 1e6),
    )


def test_a_voice_the_model_lacks_is_a_clear_error_naming_provider_model_and_line(
    speaker: OpenAISpeechGenerator, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    with pytest.raises(ProviderError) as info:
        speaker.speak(_job("tts-1", "ballad"), tmp_path / "line.wav")
    error = info.value
    assert (error.provider, error.model, error.item, error.retryable) == ("openai", "tts-1", ITEM, False)
    assert str(error).startswith(f"openai model tts-1 failed for {ITEM}: HTTP 400: Invalid value: 'ballad'.")
    assert str(error).endswith("(voice)") and "'alloy'" in str(error)
    assert fake_openai.api_key not in str(error) and fake_openai.speech_calls == 0
    assert not (tmp_path / "line.wav").exists()


def test_auth_and_outage_errors_say_what_to_do(
    speaker: OpenAISpeechGenerator, fake_openai: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(3):  # the SDK's first try and its two retries
        fake_openai.fail_next(500, **{"retry-after-ms": "1"})
    with pytest.raises(ProviderError, match="HTTP 500: The server had an error") as info:
        speaker.speak(_job("tts-1", "alloy"), tmp_path / "line.wav")
    assert info.value.retryable and not fake_openai.faults
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong-secret-123")
    with pytest.raises(ProviderError, match=r"rejected \(401\); check OPENAI_API_KEY") as info:
        OpenAISpeechGenerator(Settings()).speak(_job("tts-1", "alloy"), tmp_path / "line.wav")
    assert "sk-wrong-secret-123" not in str(info.value) and not info.value.retryable


def test_a_line_longer_than_the_model_reads_is_refused_before_it_is_paid(
    speaker: OpenAISpeechGenerator, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    with pytest.raises(InvalidRequest, match="has 4097 characters and tts-1 reads at most 4096"):
        speaker.speak(_job("tts-1", "alloy", text="a" * 4097), tmp_path / "line.wav")
    assert fake_openai.calls == []


def test_minimax_on_replicate_speaks_wav_in_the_lines_language_and_resumes_its_prediction(
    runner: ReplicateRunner, fake_replicate: FakeReplicate, tmp_path: Path
) -> None:
    text = "Zapatillas Aurora: más ligeras, más rápidas."
    journal = MemoryJournal()
    made = ReplicateSpeechGenerator(runner).speak(
        _job("minimax-speech-2.6-turbo", "Friendly_Person", text, "es", journal), tmp_path / "line.wav"
    )
    [pred] = fake_replicate.predictions.values()
    assert pred.model == MINIMAX_SPEECH and pred.input == {
        "text": text,
        "voice_id": "Friendly_Person",
        "language_boost": "Spanish",
        "audio_format": "wav",
        "sample_rate": 32_000,
        "channel": "mono",
    }
    assert _wav(made.path) == (1, 32_000, pytest.approx(fake_replicate.spoken[0]["seconds"], abs=1e-4))
    [cost] = made.costs
    assert (cost.phase, cost.provider, cost.model) == (Phase.VOICEOVER, "replicate", "minimax-speech-2.6-turbo")
    assert (cost.unit, cost.quantity, cost.usd) == ("characters", len(text), pytest.approx(len(text) * 60 / 1e6))
    again = ReplicateSpeechGenerator(runner).speak(  # a retried step: the journaled prediction, not a new one
        _job("minimax-speech-2.6-turbo", "Friendly_Person", text, "es", journal), tmp_path / "again.wav"
    )
    assert fake_replicate.creates == 1 and again.path.read_bytes() == made.path.read_bytes()


def test_minimax_failures_name_the_line(runner: ReplicateRunner, fake_replicate: FakeReplicate, tmp_path: Path) -> None:
    failed = re.escape(f"replicate model minimax-speech-2.6-turbo failed for {ITEM}: prediction ")
    with pytest.raises(ProviderError, match=failed + ".* voice id not exist: Nobody"):
        ReplicateSpeechGenerator(runner).speak(_job("minimax-speech-2.6-turbo", "Nobody"), tmp_path / "line.wav")
    client = replicate.Client(api_token=fake_replicate.token, base_url=fake_replicate.url)
    with pytest.raises(replicate.exceptions.ReplicateError) as info:  # the schema's enums, as every model's
        client.predictions.create(model=MINIMAX_SPEECH, input={"text": "Hola", "audio_format": "ogg"})
    assert info.value.status == 422 and "audio_format must be one of the following: mp3, wav, flac, pcm" in str(
        info.value
    )


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"model": "tts-1", "voice": "verse"}, "voice"),
        ({"input": "x" * 4097}, "input"),
        ({"model": "tts-1", "instructions": "warm"}, "instructions"),
        ({"model": "tts-1-hd", "stream_format": "sse"}, "stream_format"),
        ({"speed": 4.5}, "speed"),
        ({"response_format": "ogg"}, "response_format"),
    ],
)
def test_the_speech_imitation_refuses_what_openai_refuses(fake_openai: FakeOpenAI, change: dict, param: str) -> None:
    client = openai.OpenAI(api_key=fake_openai.api_key, base_url=f"{fake_openai.url}/v1", max_retries=0)
    request = {"model": "gpt-4o-mini-tts", "voice": "coral", "input": "Shop now."} | change
    with pytest.raises(openai.BadRequestError) as info:
        client.audio.speech.create(**request)
    assert info.value.param == param and fake_openai.speech_calls == 0


def test_the_speech_imitation_answers_every_format_and_streams_sse(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    client = openai.OpenAI(api_key=fake_openai.api_key, base_url=f"{fake_openai.url}/v1", max_retries=0)
    for fmt in ("mp3", "opus", "aac", "flac"):
        path = tmp_path / f"line.{fmt}"
        client.audio.speech.create(model="tts-1", voice="nova", input="Shop now.", response_format=fmt).write_to_file(
            path
        )
        decoded = len(samples(path)) / ENVELOPE_RATE_HZ  # the file decoded, not its header's claim
        assert probe(path).audio_codec == CODECS[fmt] and decoded == pytest.approx(
            fake_openai.spoken[-1]["seconds"], abs=0.1
        )
    body = client.audio.speech.create(
        model="gpt-4o-mini-tts", voice="marin", input="Shop now.", response_format="pcm", stream_format="sse"
    ).content
    events = [json.loads(line[5:]) for line in body.decode().splitlines() if line.startswith("data:")]
    assert [e["type"] for e in events][-1] == "speech.audio.done" and events[-1]["usage"]["output_tokens"] > 0
    assert {e["type"] for e in events[:-1]} == {"speech.audio.delta"}


def test_a_streamed_wav_or_bare_pcm_is_written_with_its_real_length(tmp_path: Path) -> None:
    said = speak("Order today.", 24_000)
    assert write_wav(wav(said, streamed=True), tmp_path / "a.wav") == pytest.approx(said.seconds)
    assert write_wav(said.samples.tobytes(), tmp_path / "b.wav", pcm_rate=24_000) == pytest.approx(said.seconds)
    assert _wav(tmp_path / "a.wav") == _wav(tmp_path / "b.wav") == (1, 24_000, pytest.approx(said.seconds))
    with pytest.raises(ValueError, match="not a WAV file"):
        write_wav(b"ID3\x04mp3 bytes", tmp_path / "c.wav")


def test_estimated_words_lie_over_the_speech_near_their_true_times(
    speaker: OpenAISpeechGenerator, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    made = speaker.speak(_job("gpt-4o-mini-tts", "coral"), tmp_path / "line.wav")
    estimated = align(made.path, LINE)
    truth = fake_openai.spoken[0]["words"]
    assert [w.word for w in estimated] == words(LINE) == [w for w, _, _ in truth]
    level = envelope(made.path)
    assert off_speech(level, estimated) == []
    assert max(abs(w.start_s - start) for w, (_, start, _) in zip(estimated, truth, strict=True)) < 0.05
    assert max(abs(w.end_s - end) for w, (_, _, end) in zip(estimated, truth, strict=True)) < 0.05
    # the check is not vacuous: a word moved into the pause after "shoe." is off speech
    pause = next(end for w, _, end in truth if w == "shoe")
    moved = WordTime(word="Lighter", start_s=pause + 0.05, end_s=pause + 0.3)
    assert off_speech(level, [moved]) == [f"'Lighter' at {moved.start_s:.2f}-{moved.end_s:.2f} s"]


@pytest.mark.parametrize(
    ("model", "voice"), [("gpt-4o-mini-tts", "coral"), ("tts-1", "nova"), ("minimax-speech-2.6-turbo", "Casual_Guy")]
)
def test_the_voiceover_phase_speaks_through_each_remote_model_once(
    provider_env: dict,
    fake_openai: FakeOpenAI,
    fake_replicate: FakeReplicate,
    settings: Settings,
    model: str,
    voice: str,
) -> None:
    """Each line is one paid call of the request's speech model, its words estimated from its audio and over its
    speech; made again, nothing is paid."""
    fake_replicate.time_scale = 0.001
    request = build_request("Create a 15-second Nike ad", settings, media="replicate")
    request = request.model_copy(update={"narration": Narration(voice=voice, speech_model=model)})
    spec = LocalPlanner().plan(request).spec
    lines = ["Meet the new Air Max.", "Lighter, faster, built to last.", "Shop Nike now."]
    beats = [b.model_copy(update={"line": lines[b.index]}) for b in spec.beats]
    spec = spec.model_copy(update={"beats": beats, "narration": request.narration})  # applied after planning
    store = LocalStore(settings.storage_dir)
    providers = build_providers(settings, request)
    calls = lambda: CallCache(store, Ledger(settings.db_url), request.user_id, request.video_id)  # noqa: E731
    said = make_voiceover(spec, store, providers, calls())
    paid = fake_openai.speech_calls + fake_replicate.paid
    assert paid == len(said.lines) == len(spec.beats) == 3 and {c.model for c in said.costs} == {model}
    assert [len(line.words) for line in said.lines] == [len(words(text)) for text in lines]
    assert {line.timed_by for line in said.lines} == {"envelope"}
    assert {line.spoken_by for line in said.lines} == {None}  # the voice asked for reads it
    assert all(check.passed for check in verify.voiceover_checks(spec, said, store))
    again = make_voiceover(spec, store, providers, calls())
    assert all(line.reused for line in again.lines) and fake_openai.speech_calls + fake_replicate.paid == paid
    billed = Ledger(settings.db_url).spent(request.video_id)
    assert billed == pytest.approx(sum(c.usd for c in said.costs)) and billed > 0  # at what the provider billed


def test_a_stream_cut_before_its_usage_is_billed_at_its_estimate_and_not_tried_again(
    speaker: OpenAISpeechGenerator, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    """OpenAI answered, so it billed: the failure carries the line's expected cost for the ledger, and a retry would
    pay for the line again, so it is not retryable."""
    fake_openai.scenario = "speech_cut_short"
    with pytest.raises(ProviderError, match="usage is unknown") as info:
        speaker.speak(_job("gpt-4o-mini-tts", "coral"), tmp_path / "line.wav")
    (cost,) = info.value.costs
    assert not info.value.retryable and cost.usd == SPEECH_MODELS["gpt-4o-mini-tts"].estimate(
        len(LINE), len(words(LINE)) / WORDS_PER_SECOND
    )
    assert fake_openai.speech_calls == 1


def test_speech_credentials_follow_the_speech_models_provider() -> None:
    keyless = Settings(openai_api_key=None, replicate_api_token=None)
    assert keyless.missing_credentials("local", "replicate", "gpt-4o-mini-tts") == [
        "REPLICATE_API_TOKEN",
        "OPENAI_API_KEY",
    ]
    assert keyless.missing_credentials("local", "replicate", "minimax-speech-2.6-turbo") == ["REPLICATE_API_TOKEN"]
    assert keyless.missing_credentials("local", "replicate", None) == ["REPLICATE_API_TOKEN"]  # --voice none
    assert keyless.missing_credentials("local", "local", "gpt-4o-mini-tts") == []  # offline speech
    replicate_only = Settings(openai_api_key=None, replicate_api_token="r8_x")
    assert replicate_only.missing_credentials("openai", "replicate", "tts-1") == ["OPENAI_API_KEY"]
    assert {m.provider for m in SPEECH_MODELS.values()} == {"openai", "replicate"}


def test_a_lines_silent_edges_are_trimmed_so_it_is_placed_on_its_speech(tmp_path: Path) -> None:
    """An engine's half second of silence either side is cut to EDGE_S, and the cut is what word times move by."""
    rate = 24_000
    t = np.arange(rate) / rate
    burst = 0.3 * np.sin(2 * np.pi * 220 * t)  # one second of sound
    sound = np.concatenate([np.zeros(rate // 2), burst, np.zeros(rate // 2)])
    spoken = tmp_path / "spoken.wav"
    with wave.open(str(spoken), "wb") as out:
        out.setnchannels(1), out.setsampwidth(2), out.setframerate(rate)
        out.writeframes((sound * 32767).astype("<i2").tobytes())
    line, cut = trimmed(spoken, tmp_path / "line.wav")
    assert cut == pytest.approx(0.5 - EDGE_S, abs=0.021)
    assert probe(line).duration_s == pytest.approx(1.0 + 2 * EDGE_S, abs=0.042)
    assert trimmed(line, tmp_path / "again.wav") == (line, 0.0)  # nothing left to cut


def test_a_new_line_pays_one_minimax_prediction_at_its_characters_and_nothing_else(
    provider_env: dict, fake_replicate: FakeReplicate, settings: Settings
) -> None:
    """`vidgen regenerate ... --line` at the use-case level, through the Replicate runner and the imitation (a whole
    render through the imitations is too slow to repeat for this): the line take, then the voiceover made again from
    the plan with it. One new speech prediction, for the new text only; the ledger pays it at what Replicate bills
    (its characters at $60 per 1M, as the estimate said), under its prediction id; the other lines are reused, and
    no image, clip or music is asked for."""
    fake_replicate.time_scale = 0.001
    request = build_request("Create a 15-second Nike ad", settings, media="replicate")
    spec = LocalPlanner().plan(request).spec
    store, ledger = LocalStore(settings.storage_dir), Ledger(settings.db_url)
    providers = build_providers(settings, request)
    calls = lambda: CallCache(store, ledger, request.user_id, request.video_id)  # noqa: E731
    first = make_voiceover(spec, store, providers, calls())
    before, made = {row.id for row in ledger.rows(request.video_id)}, set(fake_replicate.predictions)
    assert len(first.lines) >= 2 and fake_replicate.paid_by_kind == {"speech": len(first.lines)}

    line_takes = LineTakeDB(settings.db_url)
    take, estimate_usd = regenerate_line(line_takes, ledger, spec, request, 1, "Built for the rain, made for you.")
    again = make_voiceover(spec.with_takes([], line_takes.current(request.video_id)), store, providers, calls())

    (new,) = [p for key, p in fake_replicate.predictions.items() if key not in made]
    assert (new.kind, new.input["text"]) == ("speech", "Built for the rain, made for you.")
    assert fake_replicate.paid_by_kind == {"speech": len(first.lines) + 1}  # no image, clip or music
    billed = len(new.input["text"]) * 60.00 / 1e6  # Replicate's price: $0.06 per 1,000 characters
    rows = [row for row in ledger.rows(request.video_id) if row.id not in before]
    paid = [row for row in rows if row.state == CallState.PAID]
    assert [(r.phase, r.beat_index, r.take, r.provider, r.prediction_id) for r in paid] == [
        (Phase.VOICEOVER, 1, take.take, "replicate", new.id)
    ]
    assert paid[0].actual_usd == pytest.approx(billed, abs=1e-9) == estimate_usd
    assert {row.beat_index for row in rows if row.state == CallState.REUSED} == {
        s.beat_index for s in first.lines if s.beat_index != 1
    }
    said = {s.beat_index: s for s in again.lines}
    assert said[1].take == take.take == 1 and not said[1].reused
    assert [(c.quantity, c.unit, c.usd) for c in said[1].costs] == [
        (len(new.input["text"]), "characters", pytest.approx(billed))
    ]
    assert all(s.reused and not s.costs for i, s in said.items() if i != 1)
