"""What went wrong with an OpenAI call, in words a user can act on: shared by the planner and the speech adapter."""

from __future__ import annotations

import openai

from vidgen_core.settings import Settings


def openai_reason(exc: openai.OpenAIError, settings: Settings) -> tuple[str, bool]:
    """The reason for a failed call (the API's own words for a refused request, with the field it names) and whether
    trying again later may succeed. No key and no address: the caller scrubs the key, and a private proxy's URL is
    not the user's business."""
    if isinstance(exc, openai.AuthenticationError):
        return "the API key was rejected (401); check OPENAI_API_KEY", False
    if isinstance(exc, openai.RateLimitError):
        body = exc.body if isinstance(exc.body, dict) else {}
        if body.get("code") == "insufficient_quota":
            return "the account has no quota left (429 insufficient_quota); add credit", False
        return f"still rate limited after {settings.openai_max_retries} retries", True
    if isinstance(exc, openai.APITimeoutError):
        return f"no answer within {settings.openai_timeout_s:g} s", True
    if isinstance(exc, openai.APIConnectionError):
        return "cannot reach the API (check the network, or OPENAI_BASE_URL if set)", True
    if isinstance(exc, openai.APIStatusError):
        body = exc.body if isinstance(exc.body, dict) else {}
        said = body.get("message") or exc.message
        param = f" ({exc.param})" if getattr(exc, "param", None) else ""
        return f"HTTP {exc.status_code}: {said}{param}", exc.status_code >= 500
    return str(exc), False
