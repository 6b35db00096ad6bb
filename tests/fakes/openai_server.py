"""An imitation of the OpenAI API (chat completions and responses with structured output, and speech) for tests.

It answers like the LLM would: it reads the beat library from the system message and the requested length from
the user message and plans a whole ad (an opening, a middle, a close), unless a scenario tells it to misbehave. Like
a real model it does not count: a short ad gets more beats than fit, unless the strict schema bounds them
(``maxItems``, which strict structured output enforces while decoding; then it keeps its opening and its close).
It writes a script as the system message asks: a line over the opening, product beats and the close, none over
dynamic beats, headlines over product and dynamic beats; no lines when told the voice does not speak the language.
Every answer is billed by its usage, whatever is done with it. Errors use the real bodies and retry headers (see
shared/reference/providers.md §1).

``POST /v1/audio/speech`` follows the contract in README.md ("Voiceover: providers"): the models and each one's
voices, input at most 4096 characters, ``instructions`` and ``stream_format: sse`` refused by tts-1 and tts-1-hd,
speed 0.25-4, the six response formats; a WAV comes with 0xFFFFFFFF sizes, as OpenAI streams it, and an SSE answer
is ``speech.audio.delta`` events of base64 audio then ``speech.audio.done`` with the usage. The audio is speech-like
(tests/fakes/speech.py), and ``spoken`` keeps each line's true word times. Refusals have OpenAI's error shape and
``param``; their wording, and the Content-Type of each format, are not documented and are this imitation's.
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from typing import Any

from tests.fakes.server import FakeServer, Reply, json_reply
from tests.fakes.speech import encode, speak

SCENARIOS = (
    "ok",
    "unknown_ids",
    "bad_sum",
    "too_many",
    "no_product",
    "refusal",
    "length",
    "incomplete",
    "invalid_json",
    "bad_transitions",
    "no_call_to_action",
    "long_line",
)
# The script it writes, by section: (line, on-screen copy); short enough for any beat's budget (the close's 6 words)
SCRIPT = {
    "opening": ("Every run starts here.", ""),
    "product": ("Air Max: cushioned for every mile.", "Made for every mile"),
    "dynamic": ("", "Feel the rush"),
    "closing": ("Nike. Just move.", ""),
}
# As a model that does not count words: a close it cannot say in the 2.7 s before the end card
LONG_CLOSE = "Nike Air Max sneakers, built for every mile, every run and every dream you chase. Shop Nike now."
ERRORS = {
    401: {
        "message": "Incorrect API key provided: {key}. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
        "type": "invalid_request_error",
        "param": None,
        "code": "invalid_api_key",
    },
    429: {
        "message": "Rate limit reached for gpt-4o in organization org-xxx on tokens per min (TPM): Limit 30000, "
        "Used 29000, Requested 1500. Please try again in 2s.",
        "type": "tokens",
        "param": None,
        "code": "rate_limit_exceeded",
    },
    500: {
        "message": "The server had an error while processing your request. Sorry about that!",
        "type": "server_error",
        "param": None,
        "code": None,
    },
}
# Voices per model. tts-1 and tts-1-hd refuse ballad (400) and take ash, coral and sage (anasfik/openai issue #224,
# 2026-04); that they refuse verse, marin and cedar too is assumed. The SDK's Literal lists all 13.
CLASSIC_VOICES = ("alloy", "ash", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer")
ALL_VOICES = (*CLASSIC_VOICES, "ballad", "verse", "marin", "cedar")
SPEECH_VOICES = {
    "tts-1": CLASSIC_VOICES,
    "tts-1-hd": CLASSIC_VOICES,
    "gpt-4o-mini-tts": ALL_VOICES,
    "gpt-4o-mini-tts-2025-12-15": ALL_VOICES,
}
CLASSIC_TTS = ("tts-1", "tts-1-hd")  # no instructions, no SSE: billed per character, so no usage to stream
SPEECH_FORMATS = ("mp3", "opus", "aac", "flac", "wav", "pcm")
SPEECH_RATE_HZ = 24_000
MAX_SPEECH_CHARS = 4096
AUDIO_TOKENS_PER_S = 21  # OpenAI's "about $0.015 a minute" at $12 per million audio tokens
SSE_CHUNK_BYTES = 8192
QUOTA = {
    "message": "You exceeded your current quota, please check your plan and billing details.",
    "type": "insufficient_quota",
    "param": None,
    "code": "insufficient_quota",
}


class FakeOpenAI(FakeServer):
    def __init__(self, api_key: str = "sk-test-fake", latency_s: float = 0.0) -> None:
        super().__init__()
        self.api_key, self.latency_s = api_key, latency_s
        self.scenario = "ok"
        self.faults: list[tuple[int, dict[str, Any], dict[str, str]]] = []  # (status, error body, headers)
        self.usage = {"input": 1500, "cached": 300, "output": 700}
        self.plans = 0  # plans answered (what the account pays for)
        self.calls: list[dict[str, Any]] = []
        self.speech_calls = self.speech_chars = 0  # lines spoken, and their characters (what tts-1 bills)
        self.spoken: list[dict[str, Any]] = []  # per line: its request, true word times, seconds and usage
        # OpenAI does not document whether a WAV's SSE deltas carry the file or its bare samples: this sends the latter
        self.sse_bare_pcm = False

    def fail_next(self, status: int, body: dict[str, Any] | None = None, **headers: str) -> None:
        """Queue an error reply for the next call (e.g. 429 with retry-after-ms)."""
        self.faults.append((status, body or ERRORS[status], headers))

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        request = json.loads(body or b"{}")
        self.calls.append({"path": path, "headers": headers, "body": request})
        if headers.get("authorization") != f"Bearer {self.api_key}":
            given = headers.get("authorization", "").removeprefix("Bearer ")
            error = dict(ERRORS[401], message=ERRORS[401]["message"].format(key=given))
            return json_reply(401, {"error": error})
        if self.faults:
            status, error, extra = self.faults.pop(0)
            return json_reply(status, {"error": error}, **extra)
        time.sleep(self.latency_s)
        if method == "POST" and path == "/v1/audio/speech":
            return self._speech(request)
        if method != "POST" or path not in ("/v1/chat/completions", "/v1/responses"):
            return json_reply(
                404,
                {
                    "error": {
                        "message": f"Unknown path {path}",
                        "type": "invalid_request_error",
                        "param": None,
                        "code": None,
                    }
                },
            )
        schema = _schema(request, path)
        if schema is None:
            return json_reply(
                400,
                {
                    "error": {
                        "message": "response_format must be a strict json_schema",
                        "type": "invalid_request_error",
                        "param": "response_format",
                        "code": None,
                    }
                },
            )
        if problem := _not_strict(schema):  # strict mode takes only a subset of JSON schema, as the real API says
            fmt = request.get("response_format", {}).get("json_schema") or request.get("text", {}).get("format")
            error = {
                "message": f"Invalid schema for response_format '{fmt.get('name')}': {problem}",
                "type": "invalid_request_error",
                "param": "response_format" if path.endswith("completions") else "text.format.schema",
                "code": "invalid_json_schema",
            }
            return json_reply(400, {"error": error})
        text = json.dumps(self.plan(request, path, schema))
        if self.scenario == "invalid_json":
            text = text[: len(text) // 2]
        return self._chat(request, text) if path.endswith("completions") else self._responses(request, text)

    def _speech(self, request: dict[str, Any]) -> Reply:
        """A line spoken, as audio bytes or as an SSE stream of them ending with the usage."""
        if problem := _speech_problem(request):
            status, message, param, code = problem
            return json_reply(
                status, {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}}
            )
        text, fmt = request["input"], request.get("response_format", "mp3")
        said = speak(text, SPEECH_RATE_HZ, float(request.get("speed", 1.0)))
        sse = request.get("stream_format") == "sse"
        audio = encode(said, "pcm" if sse and self.sse_bare_pcm and fmt == "wav" else fmt, streamed=True)
        instructions = request.get("instructions", "")
        usage = {
            "input_tokens": -(-len(text) // 4) + -(-len(instructions) // 4),
            "output_tokens": round(said.seconds * AUDIO_TOKENS_PER_S),
        }
        usage["total_tokens"] = usage["input_tokens"] + usage["output_tokens"]
        self.speech_calls += 1
        self.speech_chars += len(text)
        self.spoken.append({"request": request, "words": said.words, "seconds": said.seconds, "usage": usage})
        if not sse:
            return 200, {"Content-Type": _AUDIO_TYPES[fmt]}, audio
        events = [
            {"type": "speech.audio.delta", "audio": base64.b64encode(audio[i : i + SSE_CHUNK_BYTES]).decode()}
            for i in range(0, len(audio), SSE_CHUNK_BYTES)
        ]
        if self.scenario != "speech_cut_short":  # the connection drops before the usage arrives
            events.append({"type": "speech.audio.done", "usage": usage})
        stream = "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events)
        return 200, {"Content-Type": "text/event-stream"}, stream.encode()

    def plan(self, request: dict[str, Any], path: str, schema: dict[str, Any]) -> dict[str, Any]:
        self.plans += 1
        messages = request["messages"] if path.endswith("completions") else request["input"]
        system, user = messages[0]["content"], messages[-1]["content"]
        library = re.findall(r"- (\w+): (opening|product|dynamic|closing), (\d+)s", system)
        length = int(re.search(r"Length: (\d+) seconds", user).group(1))
        section_of = {beat_id: section for beat_id, section, _ in library}
        by_section: dict[str, list[tuple[str, int]]] = {}
        for beat_id, section, seconds in library:
            by_section.setdefault(section, []).append((beat_id, int(seconds)))
        beats = _compose(length, by_section)
        if self.scenario == "unknown_ids" and len(beats) > 1:
            beats[1] = ("laser_show", beats[1][1])
        if self.scenario == "bad_sum":
            beats[0] = (beats[0][0], beats[0][1] + 3)
        if self.scenario == "too_many":  # as a model whose answers are not held to the schema
            beats = [(by_section["product"][0][0], 1) for _ in range(length)]
        elif most := schema.get("properties", {}).get("beats", {}).get("maxItems"):
            beats = beats[: most - 1] + beats[-1:] if len(beats) > most else beats  # it plans within the bound
        named = self.scenario != "no_product"  # as a model asked for "Make an ad": it leaves both empty
        closing = {beat_id for beat_id, section, _ in library if section == "closing"}  # it crossfades into them
        speaks = "leave every line empty" not in user
        script = [SCRIPT.get(section_of.get(b, "product"), ("", "")) for b, _ in beats]
        script = [(line if speaks else "", on_screen) for line, on_screen in script]
        if self.scenario == "long_line":
            script[-1] = (LONG_CLOSE, script[-1][1])
        transitions = ["crossfade" if i and b in closing else "cut" for i, (b, _) in enumerate(beats)]
        if self.scenario == "bad_transitions":  # as a model not held to the enum, that also opens on a crossfade
            transitions = ["crossfade", "wipe", *transitions[2:]]
        return {
            "brand": "Nike" if named else "",
            "product": "Air Max sneakers" if named else "",
            "category": "footwear",
            "style": "energetic",
            "music_mood": "energetic",
            "archetype": "product_showcase",
            "call_to_action": "" if self.scenario == "no_call_to_action" else "Shop Nike now" if named else "Shop now",
            "beats": [
                {
                    "beat_id": b,
                    "duration_s": s,
                    "image_prompt": f"Nike Air sneaker, {b.replace('_', ' ')}",
                    "motion_prompt": "smooth camera move",
                    "transition": transition,
                    "line": line,
                    "on_screen": on_screen,
                }
                for (b, s), transition, (line, on_screen) in zip(beats, transitions, script, strict=True)
            ],
        }

    def _chat(self, request: dict[str, Any], text: str) -> Reply:
        message: dict[str, Any] = {"role": "assistant", "content": text, "refusal": None, "annotations": []}
        finish = "stop"
        if self.scenario == "refusal":
            message.update(content=None, refusal="I'm sorry, I can't help with that request.")
        if self.scenario == "length":
            finish, message["content"] = "length", text[:40]
        u = self.usage
        return json_reply(
            200,
            {
                "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": request["model"],
                "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
                "usage": {
                    "prompt_tokens": u["input"],
                    "completion_tokens": u["output"],
                    "total_tokens": u["input"] + u["output"],
                    "prompt_tokens_details": {"cached_tokens": u["cached"], "audio_tokens": 0},
                    "completion_tokens_details": {
                        "reasoning_tokens": 0,
                        "audio_tokens": 0,
                        "accepted_prediction_tokens": 0,
                        "rejected_prediction_tokens": 0,
                    },
                },
                "service_tier": "default",
                "system_fingerprint": "fp_fake",
            },
            **{"x-request-id": f"req_{uuid.uuid4().hex[:8]}"},
        )

    def _responses(self, request: dict[str, Any], text: str) -> Reply:
        content: list[dict[str, Any]] = [{"type": "output_text", "text": text, "annotations": []}]
        status, incomplete = "completed", None
        if self.scenario == "refusal":
            content = [{"type": "refusal", "refusal": "I'm sorry, I can't help with that request."}]
        output: list[dict[str, Any]] = [
            {"type": "message", "id": "msg_1", "status": "completed", "role": "assistant", "content": content}
        ]
        if self.scenario in ("length", "incomplete"):
            status, incomplete, output = "incomplete", {"reason": "max_output_tokens"}, []
        u = self.usage
        return json_reply(
            200,
            {
                "id": f"resp_{uuid.uuid4().hex[:12]}",
                "object": "response",
                "created_at": int(time.time()),
                "status": status,
                "error": None,
                "incomplete_details": incomplete,
                "model": request["model"],
                "output": output,
                "parallel_tool_calls": True,
                "tool_choice": "auto",
                "tools": [],
                "text": request.get("text", {}),
                "usage": {
                    "input_tokens": u["input"],
                    "input_tokens_details": {"cached_tokens": u["cached"]},
                    "output_tokens": u["output"],
                    "output_tokens_details": {"reasoning_tokens": 0},
                    "total_tokens": u["input"] + u["output"],
                },
            },
        )


_AUDIO_TYPES = {
    "mp3": "audio/mpeg",
    "opus": "audio/ogg",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "pcm": "audio/pcm",
}


def _speech_problem(request: dict[str, Any]) -> tuple[int, str, str | None, str | None] | None:
    """Why the speech endpoint refuses a request (status, message, param, code), or None."""
    model, voice, text = request.get("model"), request.get("voice"), request.get("input")
    if model not in SPEECH_VOICES:
        return 404, f"The model `{model}` does not exist or you do not have access to it.", None, "model_not_found"
    if not isinstance(text, str) or not text:
        return 400, "'input' is a required property and must be a non-empty string.", "input", None
    if len(text) > MAX_SPEECH_CHARS:
        return 400, f"String should have at most {MAX_SPEECH_CHARS} characters", "input", "string_above_max_length"
    voices = SPEECH_VOICES[model]
    if voice not in voices:
        allowed = ", ".join(f"'{v}'" for v in voices)
        return 400, f"Invalid value: '{voice}'. Supported values are: {allowed}.", "voice", "invalid_value"
    if model in CLASSIC_TTS and "instructions" in request:
        return 400, f"instructions are not supported with {model}.", "instructions", "unsupported_parameter"
    speed = request.get("speed", 1.0)
    if not isinstance(speed, int | float) or not 0.25 <= speed <= 4.0:
        return 400, f"Invalid 'speed': {speed}; it must be between 0.25 and 4.0.", "speed", "invalid_value"
    fmt = request.get("response_format", "mp3")
    if fmt not in SPEECH_FORMATS:
        allowed = ", ".join(f"'{f}'" for f in SPEECH_FORMATS)
        return 400, f"Invalid value: '{fmt}'. Supported values are: {allowed}.", "response_format", "invalid_value"
    stream = request.get("stream_format", "audio")
    if stream not in ("audio", "sse"):
        return 400, f"Invalid value: '{stream}'. Supported values are: 'sse' and 'audio'.", "stream_format", None
    if stream == "sse" and model in CLASSIC_TTS:
        return 400, f"stream_format 'sse' is not supported for {model}.", "stream_format", "unsupported_value"
    return None


def _schema(request: dict[str, Any], path: str) -> dict[str, Any] | None:
    if path.endswith("completions"):
        fmt = request.get("response_format", {})
        inner = fmt.get("json_schema", {})
        return inner.get("schema") if fmt.get("type") == "json_schema" and inner.get("strict") else None
    fmt = request.get("text", {}).get("format", {})
    return fmt.get("schema") if fmt.get("type") == "json_schema" and fmt.get("strict") else None


def _not_strict(schema: dict[str, Any], context: tuple[str, ...] = ()) -> str | None:
    """Why strict structured output would refuse ``schema``, or None: every object must list all its properties
    as required and set additionalProperties to false."""
    if schema.get("type") == "object":
        if schema.get("additionalProperties") is not False:
            return f"In context={context}, 'additionalProperties' is required to be supplied and to be false."
        missing = sorted(set(schema.get("properties", {})) - set(schema.get("required", [])))
        if missing:
            return (
                f"In context={context}, 'required' is required to be supplied and to be an array including every "
                f"key in properties. Missing '{missing[0]}'."
            )
    children = [(("properties", k), v) for k, v in schema.get("properties", {}).items()]
    children += [(("$defs", k), v) for k, v in schema.get("$defs", {}).items()]
    children += [(("items",), schema["items"])] if isinstance(schema.get("items"), dict) else []
    children += [(("anyOf", str(i)), v) for i, v in enumerate(schema.get("anyOf", []))]
    return next((why for path, child in children if (why := _not_strict(child, context + path))), None)


def _compose(length: int, library: dict[str, list[tuple[str, int]]]) -> list[tuple[str, int]]:
    """A whole ad: an opening, at least one middle beat, a close, each of its library length (however short the ad)."""
    opening, closing = library["opening"][0], library["closing"][0]
    middle = library.get("product", []) + library.get("dynamic", [])
    if length < opening[1] + middle[0][1] + closing[1]:
        return [opening, middle[0], closing]
    beats, budget = [opening], length - opening[1] - closing[1]
    i = 0
    while budget >= 5:
        fitting = [m for m in middle if m[1] <= budget]
        pick = fitting[i % len(fitting)]
        beats.append(pick)
        budget -= pick[1]
        i += 1
    beats.append((closing[0], closing[1] + budget))
    return beats
