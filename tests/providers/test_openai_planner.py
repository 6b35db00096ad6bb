"""The OpenAI planner, through the real `openai` client, against the local imitation."""

from __future__ import annotations

import pytest

from tests.fakes.openai_server import QUOTA, FakeOpenAI
from vidgen_core.catalog import LLM_MODELS
from vidgen_core.errors import ProviderError
from vidgen_core.planning.openai_planner import OpenAIPlanner
from vidgen_core.planning.requests import build_request
from vidgen_core.settings import Settings


def _plan(settings: Settings, prompt: str = "Create a 30-second Nike ad", **kw: object):
    request = build_request(prompt, settings, planner="openai", **kw)
    return OpenAIPlanner(settings).plan(request)


@pytest.mark.parametrize("api", ["responses", "chat"])
def test_plan_with_structured_output_and_real_usage_cost(fake_openai: FakeOpenAI, provider_env: dict, api: str) -> None:
    settings = Settings(openai_api=api)
    result = _plan(settings)
    spec = result.spec
    assert sum(b.duration_s for b in spec.beats) == 30 and spec.product == "Nike Air" and not spec.plan_notes
    assert spec.beats[0].section.value == "opening" and spec.beats[-1].section.value == "closing"
    usage = fake_openai.usage
    assert result.costs[0].usd == LLM_MODELS["gpt-4o"].cost(usage["input"], usage["cached"], usage["output"])
    assert result.costs[0].provider == "openai" and result.costs[0].model == "gpt-4o"
    body = fake_openai.calls[-1]["body"]
    schema = body["response_format"]["json_schema"] if api == "chat" else body["text"]["format"]
    assert schema["strict"] is True
    assert "hero_reveal" in str(schema["schema"])  # beat ids are an enum in the schema


def test_prompt_is_sanitized_before_it_is_sent(fake_openai: FakeOpenAI, provider_env: dict) -> None:
    _plan(Settings(), "Nike\x00 ad \x1b[31mfor runners\x07")
    sent = fake_openai.calls[-1]["body"]["input"][-1]["content"]
    assert "Nike ad for runners" in sent and "\x00" not in sent and "\x1b" not in sent and "\x07" not in sent


def test_unknown_beat_ids_and_wrong_sums_are_repaired(fake_openai: FakeOpenAI, provider_env: dict) -> None:
    fake_openai.scenario = "unknown_ids"
    spec = _plan(Settings()).spec
    assert sum(b.duration_s for b in spec.beats) == 30
    assert any("laser_show" in n for n in spec.plan_notes) and any("rescaled" in n for n in spec.plan_notes)
    fake_openai.scenario = "bad_sum"
    spec = _plan(Settings()).spec
    assert sum(b.duration_s for b in spec.beats) == 30 and "summed to 33 s" in spec.plan_notes[0]


@pytest.mark.parametrize(
    ("scenario", "api", "fragment"),
    [
        ("too_many", "responses", "30 beats; at most 10 fit a 30 s video"),
        ("refusal", "responses", "the model refused: I'm sorry"),
        ("refusal", "chat", "the model refused: I'm sorry"),
        ("length", "chat", "cut off at the token limit"),
        ("incomplete", "responses", "incomplete (max_output_tokens)"),
        ("invalid_json", "responses", "does not match the spec schema"),
        ("invalid_json", "chat", "does not match the spec schema"),
    ],
)
def test_bad_answers_are_rejected_clearly(
    fake_openai: FakeOpenAI, provider_env: dict, scenario: str, api: str, fragment: str
) -> None:
    fake_openai.scenario = scenario
    with pytest.raises(ProviderError, match="openai model gpt-4o failed for plan") as info:
        _plan(Settings(openai_api=api))
    assert fragment in str(info.value)


def test_throttling_is_retried_by_the_client(fake_openai: FakeOpenAI, provider_env: dict) -> None:
    fake_openai.fail_next(429, **{"retry-after-ms": "10"})
    fake_openai.fail_next(500, **{"retry-after-ms": "10"})
    assert _plan(Settings()).spec.beats
    assert [c["headers"].get("x-stainless-retry-count") for c in fake_openai.calls] == ["0", "1", "2"]


@pytest.mark.parametrize(
    ("status", "body", "fragment", "retryable"),
    [
        (401, None, "API key was rejected (401); check OPENAI_API_KEY", False),
        (429, QUOTA, "no quota left", False),
        (500, None, "HTTP 500", True),
    ],
)
def test_api_errors_are_clear_and_never_show_the_key(
    fake_openai: FakeOpenAI, provider_env: dict, status: int, body: dict | None, fragment: str, retryable: bool
) -> None:
    for _ in range(3):
        fake_openai.fail_next(status, body, **{"retry-after-ms": "10"})
    with pytest.raises(ProviderError) as info:
        _plan(Settings())
    assert fragment in str(info.value) and info.value.retryable is retryable
    assert fake_openai.api_key not in str(info.value)


def test_wrong_key_is_rejected_without_echoing_it(
    fake_openai: FakeOpenAI, provider_env: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong-secret-123")
    with pytest.raises(ProviderError, match="check OPENAI_API_KEY") as info:
        _plan(Settings())
    assert "sk-wrong-secret-123" not in str(info.value)
