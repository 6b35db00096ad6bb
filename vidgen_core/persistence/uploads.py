"""The uploads table: the reference images users uploaded, each stored under its owner's prefix."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from pydantic import BaseModel

from vidgen_core.persistence.db import metadata, open_engine, utc_fields

uploads_table = sa.Table(
    "uploads",
    metadata,
    sa.Column("asset_id", sa.String(40), primary_key=True),
    sa.Column("user_id", sa.String(64), nullable=False, index=True),
    sa.Column("key", sa.String(300), nullable=False),
    sa.Column("content_type", sa.String(40), nullable=False),
    sa.Column("size_bytes", sa.Integer, nullable=False),
    sa.Column("filename", sa.String(255), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)


class UploadRecord(BaseModel):
    """One uploaded reference image, stored under its owner's prefix."""

    asset_id: str
    user_id: str
    key: str
    content_type: str
    size_bytes: int
    filename: str
    created_at: datetime


def new_asset_id() -> str:
    return f"asset-{uuid.uuid4().hex[:16]}"


class UploadDB:
    """Reads and writes uploads. Cheap to make (engines are shared per URL); safe to share between threads."""

    def __init__(self, url: str) -> None:
        self.engine = open_engine(url, uploads_table)

    def add(self, record: UploadRecord) -> UploadRecord:
        """Record an upload whose bytes are already stored."""
        with self.engine.begin() as conn:
            conn.execute(uploads_table.insert().values(**record.model_dump()))
        return record

    def of(self, user_id: str, asset_ids: list[str]) -> list[UploadRecord]:
        """The user's uploads among ``asset_ids`` (others' uploads are invisible)."""
        c = uploads_table.c
        query = sa.select(uploads_table).where(c.user_id == user_id, c.asset_id.in_(asset_ids))
        with self.engine.connect() as conn:
            return [UploadRecord.model_validate(utc_fields(row)) for row in conn.execute(query)]
