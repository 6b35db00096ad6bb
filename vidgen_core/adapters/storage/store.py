"""Blob stores with one interface: a local folder now, S3 later, same keys in both."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from vidgen_core.adapters.storage.keys import KeyOutsideStore
from vidgen_core.domain.errors import NotFound
from vidgen_core.settings import Settings


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # a name too long for the file system holds nothing
        return False


class BlobStore(Protocol):
    """Where media and manifests live. Keys are ``/``-separated paths in the layout of ``keys.py``."""

    def put_file(self, key: str, src: Path) -> None: ...
    def put_bytes(self, key: str, data: bytes) -> None: ...
    def copy(self, src: str, dest: str) -> None:
        """Make ``dest`` hold what ``src`` holds (server-side on S3, a hard link in a folder)."""
        ...

    def get_bytes(self, key: str) -> bytes: ...
    def exists(self, key: str) -> bool: ...
    def local_path(self, key: str) -> Path:
        """A local file with the object's content (the file itself for a folder store, a cached copy for S3)."""
        ...

    def size(self, key: str) -> int: ...
    def uri(self, key: str) -> str: ...
    def location(self, key: str) -> str:
        """Where the object is, for its owner's eyes: the file in a folder store, ``s3://bucket/key`` on S3."""
        ...

    def ping(self) -> None:
        """Raise if the store cannot be reached or written."""
        ...


class LocalStore:
    """A folder laid out exactly like the bucket. Writes are atomic: a crash never leaves half a file."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _path(self, key: str) -> Path:
        """The file of ``key``, symlinks resolved; KeyOutsideStore if that is not strictly inside the root."""
        try:
            path = (self.root / key).resolve()
        except (OSError, ValueError):  # NUL bytes, symlink loops
            raise KeyOutsideStore(f"key {key[:200]!r} escapes the store") from None
        if key.startswith("/") or self.root not in path.parents:
            raise KeyOutsideStore(f"key {key[:200]!r} escapes the store")
        return path

    @contextmanager
    def _atomic(self, key: str) -> Iterator[Path]:
        """A temp file beside ``key``'s, renamed onto it once written, and never left behind.

        rename(2) onto a link of the same file does nothing and succeeds, and a failed write never gets to the
        rename: either way the temp name would stay, so it is removed at the end whatever happened.
        """
        dest = self._path(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.")
        os.close(fd)
        tmp = Path(name)
        try:
            yield tmp
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)

    def put_file(self, key: str, src: Path) -> None:
        with self._atomic(key) as tmp:
            shutil.copyfile(src, tmp)

    def put_bytes(self, key: str, data: bytes) -> None:
        with self._atomic(key) as tmp:
            tmp.write_bytes(data)

    def copy(self, src: str, dest: str) -> None:
        source, target = self.local_path(src), self._path(dest)
        if _is_file(target) and os.path.samefile(source, target):
            return  # a kept file copied onto its own link already holds it
        with self._atomic(dest) as tmp:
            tmp.unlink()
            try:
                os.link(source, tmp)  # writes replace files, never change them in place, so sharing is safe
            except OSError:
                shutil.copyfile(source, tmp)

    def get_bytes(self, key: str) -> bytes:
        return self.local_path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return _is_file(self._path(key))

    def local_path(self, key: str) -> Path:
        """The object's file; NotFound (whose message names the key, never the folder) if there is none."""
        path = self._path(key)
        if not _is_file(path):
            raise NotFound(f"no object at {key[:200]!r}")
        return path

    def size(self, key: str) -> int:
        return self.local_path(key).stat().st_size

    def uri(self, key: str) -> str:
        return self._path(key).as_uri()

    def location(self, key: str) -> str:
        return str(self._path(key))

    def ping(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if not os.access(self.root, os.W_OK):
            raise PermissionError(f"{self.root} is not writable")


def open_store(settings: Settings) -> BlobStore:
    """The store named by ``VIDGEN_STORAGE``: the local folder or the S3 bucket."""
    if settings.storage == "s3":
        from vidgen_core.adapters.storage.s3 import S3Store

        return S3Store(
            settings.s3_bucket,
            settings.cache_dir,
            prefix=settings.s3_prefix,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            link_ttl_s=settings.link_ttl_s,
        )
    return LocalStore(settings.storage_dir)
