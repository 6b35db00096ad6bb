"""Error bodies that never echo much of the input: FastAPI's validation errors repeat the value sent in full."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from fastapi.encoders import jsonable_encoder

ECHO_CHARS = 200  # an error repeats at most this much of one value sent (a field's value, a field's name)
MESSAGE_CHARS = 1000  # and messages are at most this long


def trimmed(value: Any, limit: int = ECHO_CHARS) -> Any:
    """``value`` as sent if short; else its start, saying how long it was, in at most ``limit`` characters (lists and
    objects as JSON text)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no NaN or Infinity: the answer could not be sent
    if isinstance(value, bool | int | float) or value is None:
        return value
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    if len(text) <= limit:
        return value
    tail = f"… ({len(text)} characters)"
    return text[: limit - len(tail)] + tail


def short_error(error: dict[str, Any]) -> dict[str, Any]:
    """One validation error with what it echoes (``input``, ``loc`` names, ``msg``, ``ctx``) cut to ECHO_CHARS."""
    out = dict(error)
    if "input" in out:
        out["input"] = trimmed(out["input"])
    if "loc" in out:
        out["loc"] = [trimmed(part) for part in out["loc"]]
    if "msg" in out:
        out["msg"] = trimmed(out["msg"], MESSAGE_CHARS)
    if isinstance(out.get("ctx"), dict):
        out["ctx"] = {k: trimmed(v) for k, v in out["ctx"].items()}
    return out


def short_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Validation errors (pydantic's or our own dicts) made JSON-safe and trimmed."""
    return [short_error(e) if isinstance(e, dict) else e for e in jsonable_encoder(list(errors))]
