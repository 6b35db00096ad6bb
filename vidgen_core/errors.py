"""Errors a user can act on. Each message says what went wrong and what to do."""

from __future__ import annotations


class VidgenError(Exception):
    """Base class for every error raised by vidgen."""


class InvalidRequest(VidgenError):
    """The user's input cannot be turned into a video; the message says what to fix."""


class ProviderError(VidgenError):
    """A model provider failed. Names the provider, the model, the item and the reason."""

    def __init__(self, provider: str, model: str, reason: str, item: str = "") -> None:
        self.provider, self.model, self.item, self.reason = provider, model, item, reason
        where = f" for {item}" if item else ""
        super().__init__(f"{provider} model {model} failed{where}: {reason}")


class MediaError(VidgenError):
    """An ffmpeg/ffprobe operation failed; carries the tail of ffmpeg's own message."""


class NotFound(VidgenError):
    """A stored object or request does not exist."""
