"""The S3 blob store: the same keys as the local folder, in a bucket on any S3-compatible endpoint."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from vidgen_core.adapters.storage.keys import KeyOutsideStore
from vidgen_core.domain.errors import NotFound

CONTENT_TYPES = {
    ".mp4": "video/mp4",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".wav": "audio/wav",
    ".json": "application/json",
}


def content_type(key: str) -> str:
    """The Content-Type an object is served with, by its key's extension."""
    return CONTENT_TYPES.get(Path(key).suffix.lower(), "application/octet-stream")


class S3Store:
    """Objects in ``bucket`` under ``prefix``. ``local_path`` keeps a read-through cache for ffmpeg and Pillow."""

    def __init__(
        self,
        bucket: str,
        cache_dir: Path,
        *,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        link_ttl_s: int = 3600,
        client: Any = None,
    ) -> None:
        self.bucket, self.prefix, self.cache_dir = bucket, prefix.strip("/"), cache_dir
        self.link_ttl_s = link_ttl_s
        self.client = client or boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            config=Config(
                signature_version="s3v4",
                retries={"max_attempts": 5, "mode": "standard"},
                s3={"addressing_style": "path"},
            ),
        )

    def _key(self, key: str) -> str:
        if ".." in key.split("/"):
            raise KeyOutsideStore(f"key {key[:200]!r} escapes the store")
        return f"{self.prefix}/{key}" if self.prefix else key

    def put_file(self, key: str, src: Path) -> None:
        """Upload, and keep the file in the cache too: the next step reads what it just wrote without a download."""
        self.client.upload_file(str(src), self.bucket, self._key(key), ExtraArgs={"ContentType": content_type(key)})
        self._drop_cache(key)
        path = self._cache_path(key, self.client.head_object(Bucket=self.bucket, Key=self._key(key))["ETag"])
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, path)

    def put_bytes(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, ContentType=content_type(key))
        self._drop_cache(key)

    def copy(self, src: str, dest: str) -> None:
        """Server-side copy, typed by ``dest``'s extension (a plain copy would keep the source's Content-Type)."""
        try:
            self.client.copy_object(
                Bucket=self.bucket,
                Key=self._key(dest),
                CopySource={"Bucket": self.bucket, "Key": self._key(src)},
                MetadataDirective="REPLACE",
                ContentType=content_type(dest),
            )
        except ClientError as exc:
            raise self._missing(src, exc) from None
        self._drop_cache(dest)

    def get_bytes(self, key: str) -> bytes:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        except ClientError as exc:
            raise self._missing(key, exc) from None

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
            return True
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return False
            raise

    def size(self, key: str) -> int:
        try:
            return int(self.client.head_object(Bucket=self.bucket, Key=self._key(key))["ContentLength"])
        except ClientError as exc:
            raise self._missing(key, exc) from None

    def local_path(self, key: str) -> Path:
        """A cached local copy, refreshed when the object's ETag changes."""
        try:
            path = self._cache_path(key, self.client.head_object(Bucket=self.bucket, Key=self._key(key))["ETag"])
        except ClientError as exc:
            raise self._missing(key, exc) from None
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent)
            os.close(fd)
            self.client.download_file(self.bucket, self._key(key), tmp)
            os.replace(tmp, path)
        return path

    def s3_uri(self, key: str) -> str:
        """``s3://bucket/prefix/key``: where the object is, with no credentials in it (for logs and metadata)."""
        return f"s3://{self.bucket}/{self._key(key)}"

    def location(self, key: str) -> str:
        return self.s3_uri(key)

    def uri(self, key: str) -> str:
        """A presigned GET URL, valid for ``link_ttl_s`` (one hour by default, the seed's choice)."""
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": self._key(key)}, ExpiresIn=self.link_ttl_s
        )

    def ping(self) -> None:
        self.client.head_bucket(Bucket=self.bucket)

    def _cache_folder(self, key: str) -> Path:
        return self.cache_dir / hashlib.sha256(f"{self.bucket}/{self._key(key)}".encode()).hexdigest()[:24]

    def _cache_path(self, key: str, etag: str) -> Path:
        return (self._cache_folder(key) / etag.strip('"')).with_suffix(Path(key).suffix)

    def _drop_cache(self, key: str) -> None:
        for old in self._cache_folder(key).glob("*"):
            old.unlink(missing_ok=True)

    def _missing(self, key: str, exc: ClientError) -> Exception:
        if exc.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
            return NotFound(f"no object at {key!r} in s3://{self.bucket}")
        return exc
