"""Object storage: the key layout and the stores that hold media under it."""

from vidgen_core.adapters.storage.keys import (
    CacheKeys,
    KeyOutsideStore,
    VideoKeys,
    aspect_variant,
    length_variant,
    owner_key,
    upload_key,
)
from vidgen_core.adapters.storage.store import BlobStore, LocalStore, open_store

__all__ = [
    "BlobStore",
    "CacheKeys",
    "KeyOutsideStore",
    "LocalStore",
    "VideoKeys",
    "aspect_variant",
    "length_variant",
    "open_store",
    "owner_key",
    "upload_key",
]
