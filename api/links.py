"""Links users can open for an hour: S3 presigned URLs, or the API's own signed links to the local store."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from urllib.parse import quote

from vidgen_core.adapters.storage import BlobStore, LocalStore
from vidgen_core.settings import Settings


def signing_key(settings: Settings) -> bytes:
    """VIDGEN_URL_SIGNING_KEY, else a random key kept (0600) in the vidgen home so links survive restarts."""
    if settings.url_signing_key:
        return settings.url_signing_key.get_secret_value().encode()
    path = settings.home.resolve() / "url-signing.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(32))
    return path.read_text().strip().encode()


class Links:
    """Turns storage keys into links valid for ``settings.link_ttl_s``."""

    def __init__(self, store: BlobStore, settings: Settings) -> None:
        self.store, self.ttl = store, settings.link_ttl_s
        self.key = signing_key(settings) if isinstance(store, LocalStore) else b""

    def signature(self, key: str, expires: int) -> str:
        return hmac.new(self.key, f"{key}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def url(self, key: str, base_url: str) -> str:
        """A presigned S3 URL, or ``{base_url}api/files/{key}?expires=..&signature=..`` for the local store."""
        if not isinstance(self.store, LocalStore):
            return self.store.uri(key)
        expires = int(time.time()) + self.ttl
        return f"{base_url}api/files/{quote(key)}?expires={expires}&signature={self.signature(key, expires)}"

    def valid(self, key: str, expires: int, signature: str) -> bool:
        return (
            bool(self.key)
            and expires >= time.time()
            and hmac.compare_digest(signature.encode(), self.signature(key, expires).encode())
        )
