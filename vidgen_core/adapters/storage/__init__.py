"""Object storage: the key layout and the stores that hold media under it."""

from vidgen_core.adapters.storage.keys import CacheKeys, KeyOutsideStore, VideoKeys, upload_key
from vidgen_core.adapters.storage.store import BlobStore, LocalStore, open_store

__all__ = ["BlobStore", "CacheKeys", "KeyOutsideStore", "LocalStore", "VideoKeys", "open_store", "upload_key"]
