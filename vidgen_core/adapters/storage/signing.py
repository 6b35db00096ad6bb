"""The secret that signs links to stored files, and the lasting signature of a preview's link.

A preview link is written into Dagster's event log, which lives for years, so it carries no expiry: it opens one
small JPEG and nothing else. Media links (``api.links``) still expire.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

from vidgen_core.settings import Settings


def signing_key(settings: Settings) -> bytes:
    """VIDGEN_URL_SIGNING_KEY, else a random key kept (0600) in the vidgen home so links survive restarts."""
    if settings.url_signing_key:
        return settings.url_signing_key.get_secret_value().encode()
    path = settings.home.resolve() / "url-signing.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process (the API, a run) made it first
            return path.read_text().strip().encode()
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(32))
    return path.read_text().strip().encode()


def is_preview(key: str) -> bool:
    """Only previews (``.../previews/{phase}.jpg``) are served by lasting links."""
    parts = key.split("/")
    return len(parts) >= 2 and parts[-2] == "previews" and parts[-1].endswith(".jpg") and ".." not in parts


def preview_signature(secret: bytes, key: str) -> str:
    return hmac.new(secret, f"preview\n{key}".encode(), hashlib.sha256).hexdigest()
