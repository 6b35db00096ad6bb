"""A prediction journal kept as a small JSON object in the blob store, next to the video's media."""

from __future__ import annotations

import json
from typing import Any

from vidgen_core.adapters.storage.store import BlobStore


class StoreJournal:
    """Journal of one item's paid prediction at ``key``."""

    def __init__(self, store: BlobStore, key: str) -> None:
        self.store, self.key = store, key

    def load(self) -> dict[str, Any] | None:
        return json.loads(self.store.get_bytes(self.key)) if self.store.exists(self.key) else None

    def save(self, record: dict[str, Any]) -> None:
        self.store.put_bytes(self.key, json.dumps(record, sort_keys=True).encode())
