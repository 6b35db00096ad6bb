"""The imitations behave like the real services for the official clients' own code paths."""

from __future__ import annotations

import openai
import pytest
import replicate
from replicate.exceptions import ModelError

from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.replicate_server import MUSICGEN_VERSION, FakeReplicate


def test_replicate_run_with_prefer_wait_and_versions(fake_replicate: FakeReplicate) -> None:
    client = replicate.Client(api_token=fake_replicate.token, base_url=fake_replicate.url)
    client.poll_interval = 0.01
    fake_replicate.data_uri_outputs = True
    images = client.run("black-forest-labs/flux-dev", input={"prompt": "a shoe", "aspect_ratio": "1:1"})
    assert images[0].read().startswith(b"\x89PNG")  # data: URIs become FileOutput objects
    fake_replicate.data_uri_outputs = False
    music = client.run(f"meta/musicgen:{MUSICGEN_VERSION}", input={"prompt": "calm", "duration": 2})
    assert isinstance(music, str) and music.startswith(fake_replicate.url)  # http URLs stay plain strings
    fake_replicate.fail_next = ["E005: flagged as sensitive"]
    with pytest.raises(ModelError, match="E005"):
        client.run("black-forest-labs/flux-schnell", input={"prompt": "x"})


def test_replicate_errors_are_problem_json(fake_replicate: FakeReplicate) -> None:
    client = replicate.Client(api_token="r8_wrong", base_url=fake_replicate.url)
    with pytest.raises(replicate.exceptions.ReplicateError) as info:
        client.predictions.create(model="black-forest-labs/flux-dev", input={"prompt": "x"})
    assert info.value.status == 401 and info.value.title == "Unauthenticated"


def test_openai_client_parses_both_apis(fake_openai: FakeOpenAI) -> None:
    client = openai.OpenAI(api_key=fake_openai.api_key, base_url=f"{fake_openai.url}/v1", max_retries=0)
    strict = {"type": "object", "properties": {}, "required": [], "additionalProperties": False}
    fmt = {"type": "json_schema", "json_schema": {"name": "x", "strict": True, "schema": strict}}
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(api_key="sk-bad", base_url=f"{fake_openai.url}/v1", max_retries=0).chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "Length: 10 seconds"}], response_format=fmt
        )
    system = "- hero_reveal: opening, 5s\n- hero_orbit: product, 10s\n- logo_lockup: closing, 5s"
    completion = client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "system", "content": system}, {"role": "user", "content": "Length: 10 seconds"}],
        response_format=fmt,
    )
    assert completion.usage.prompt_tokens == fake_openai.usage["input"]
    assert '"hero_reveal"' in completion.choices[0].message.content
    response = client.responses.create(
        model="gpt-4o",
        input=[{"role": "system", "content": system}, {"role": "user", "content": "Length: 10 seconds"}],
        text={"format": {"type": "json_schema", "name": "x", "strict": True, "schema": strict}},
    )
    assert response.status == "completed" and '"logo_lockup"' in response.output_text
    loose = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    with pytest.raises(openai.BadRequestError, match="'additionalProperties' is required to be supplied"):
        client.chat.completions.create(
            model="gpt-4o",
            messages=[{"role": "user", "content": "Length: 10 seconds"}],
            response_format={"type": "json_schema", "json_schema": {"name": "x", "strict": True, "schema": loose}},
        )
    assert response.usage.input_tokens_details.cached_tokens == fake_openai.usage["cached"]
