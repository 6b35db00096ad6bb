"""Persistence: one SQL table per module (SQLite in the vidgen home, Postgres in deployment)."""
