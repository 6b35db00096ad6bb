"""Links users can open for an hour: S3 presigned URLs, or the API's own signed links to the local store."""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import quote

from vidgen_core.adapters.storage import BlobStore, LocalStore
from vidgen_core.adapters.storage.signing import is_preview, preview_signature, signing_key
from vidgen_core.settings import Settings


class Links:
    """Turns storage keys into links valid for ``settings.link_ttl_s``."""

    def __init__(self, store: BlobStore, settings: Settings) -> None:
        self.store, self.ttl = store, settings.link_ttl_s
        self.key = signing_key(settings) if isinstance(store, LocalStore) else b""
        self.settings = settings

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

    def preview_valid(self, key: str, signature: str) -> bool:
        """A preview's lasting link, as the Dagster UI shows it (any store)."""
        expected = preview_signature(signing_key(self.settings), key)
        return is_preview(key) and hmac.compare_digest(signature.encode(), expected.encode())
