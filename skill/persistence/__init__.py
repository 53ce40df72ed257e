"""Persistent user progress: the SDK's adapter contract over SQLite, PostgreSQL or DynamoDB, with compare-and-set.

Each user key (see keys.py) owns one row: a JSON document, an integer version and updated_at.
``get_attributes`` returns the document with the row version under ``VERSION_KEY``; ``save_attributes``
writes only if the row still has that version, so two requests racing on one user cannot silently
overwrite each other (the SDK's own adapters lose updates). SQL backends live in sqlite.py and postgres.py
and supply only connections, SQL spelling (sql.py) and migration steps (schema.py); dynamodb.py keeps
the same contract with conditional writes (one item per user key). The contract is protocol.ProgressStore.

Imports nothing else of the skill.
"""
from __future__ import annotations

from typing import Any

from ask_sdk_core.exceptions import PersistenceException

from skill.persistence.keys import KeyFunction, user_key
from skill.persistence.protocol import ProgressStore
from skill.persistence.schema import META_TABLE, SCHEMA_VERSION
from skill.persistence.sql import redact_url
from skill.persistence.store import (
    DEFAULT_TABLE,
    VERSION_KEY,
    SqlStore,
    StaleWriteError,
)

__all__ = ["DEFAULT_TABLE", "META_TABLE", "SCHEMA_VERSION", "VERSION_KEY", "PersistenceException", "ProgressStore", "SqlStore",
           "StaleWriteError", "make_store", "user_key"]


def make_store(database_url: str, *, table: str | None = None, key_fn: KeyFunction = user_key,
               **options: Any) -> ProgressStore:
    """Build the store a DATABASE_URL names; extra options go to the backend's constructor.

    ``sqlite:///relative/path.sqlite``, ``sqlite:////absolute/path.sqlite``, ``postgres://...``,
    ``postgresql://...`` or ``dynamodb://TABLE?region=...`` (see dynamodb.py). ``table``: the table
    to use, default user_progress in a SQL database, and the URL's for DynamoDB (where it replaces
    it). Nothing is connected yet, so the app starts even if the database is down.

    Raises:
        ValueError: the URL is not one of those.
    """
    scheme, sep, rest = database_url.partition("://")
    scheme = scheme.lower()
    if scheme == "sqlite" and sep:
        path = rest[1:] if rest.startswith("/") else ""
        if not path or path == ":memory:" or path.endswith("/"):
            raise ValueError(
                f"DATABASE_URL {database_url!r} names no SQLite file: use sqlite:///relative/path.sqlite "
                "or sqlite:////absolute/path.sqlite (in-memory databases are not shared between threads)")
        from skill.persistence.sqlite import SqliteStore

        return SqliteStore(path, table=table or DEFAULT_TABLE, key_fn=key_fn, **options)
    if scheme in ("postgres", "postgresql") and sep:
        from skill.persistence.postgres import PostgresStore

        return PostgresStore(database_url, table=table or DEFAULT_TABLE, key_fn=key_fn, **options)
    if scheme == "dynamodb" and sep:
        from skill.persistence.dynamodb import DynamoStore

        return DynamoStore.from_url(database_url, table=table, key_fn=key_fn, **options)
    raise ValueError(
        f"unsupported DATABASE_URL {redact_url(database_url)!r}: expected sqlite:///path/to/file.sqlite, "
        "postgresql://user:password@host:5432/dbname or dynamodb://TABLE?region=REGION")
