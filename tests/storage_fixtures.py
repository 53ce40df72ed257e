"""Pytest fixtures for the stores: each backend-parametrized test runs on SQLite, PostgreSQL and DynamoDB.

SQLite lives in tmp_path. PostgreSQL comes from TEST_DATABASE_URL: unset skips those tests, set but
unreachable fails them. DynamoDB is moto's server on 127.0.0.1, which the tests start themselves
(dynamodb_fixtures.py). Every test gets its own table, dropped afterwards, so runs can share a database.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from dynamodb_fixtures import dynamodb_client, dynamodb_url

from skill.persistence import META_TABLE, ProgressStore, SqlStore, make_store

POSTGRES_SKIP_REASON = "set TEST_DATABASE_URL=postgresql://... to run the PostgreSQL tests"
SQL_BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
BACKENDS = [*SQL_BACKENDS, pytest.param("dynamodb", marks=pytest.mark.dynamodb)]


def is_postgres(database_url: str) -> bool:
    """Return whether the URL names a PostgreSQL database."""
    return database_url.startswith(("postgres://", "postgresql://"))


def is_dynamodb(database_url: str) -> bool:
    """Return whether the URL names a DynamoDB table."""
    return database_url.startswith("dynamodb://")


def stored_record(database_url: str, table: str, key: str) -> tuple[Any, int, bool]:
    """The raw stored (attributes' "name", version, whether updated_at is set) of a key, read behind the store's back."""
    if is_dynamodb(database_url):
        endpoint = dict(parse_qsl(urlsplit(database_url).query))["endpoint"]
        item = dynamodb_client(endpoint).get_item(TableName=table, Key={"id": {"S": key}}, ConsistentRead=True)["Item"]
        return item["attributes"]["M"]["name"]["S"], int(item["version"]["N"]), bool(item["updated_at"]["S"])
    query = ("SELECT attributes ->> 'name', version, updated_at IS NOT NULL FROM {} WHERE key = ?"
             if is_postgres(database_url) else
             "SELECT json_extract(attributes, '$.name'), version, updated_at IS NOT NULL FROM {} WHERE key = ?")
    ((name, version, updated),) = run_sql(database_url, [(query.format(table), (key,))])[0]
    return name, int(version), bool(updated)


def sqlite_path(database_url: str) -> Path:
    """Return the file a sqlite:/// URL names (the same rule as make_store)."""
    return Path(database_url.removeprefix("sqlite:///"))


def run_sql(database_url: str, statements: Sequence[tuple[str, Sequence[Any]]]) -> list[list[Any]]:
    """Run statements on a fresh connection of our own (not the store's) and return each one's rows.

    Write the SQL with ``?`` placeholders; they become ``%s`` for PostgreSQL.
    """
    results: list[list[Any]] = []
    if is_postgres(database_url):
        import psycopg

        with psycopg.connect(database_url, connect_timeout=3, autocommit=True) as conn:
            for sql, params in statements:
                cur = conn.execute(sql.replace("?", "%s"), params)
                results.append(cur.fetchall() if cur.description else [])
        return results
    with contextlib.closing(sqlite3.connect(sqlite_path(database_url), isolation_level=None)) as conn:
        for sql, params in statements:
            results.append(conn.execute(sql, params).fetchall())
    return results


def table_columns(database_url: str, table: str) -> list[str]:
    """Return the table's column names, sorted."""
    if is_postgres(database_url):
        query = "SELECT column_name FROM information_schema.columns WHERE table_name = ?"
    else:
        query = "SELECT name FROM pragma_table_info(?)"
    return sorted(row[0] for row in run_sql(database_url, [(query, (table,))])[0])


def drop_table(database_url: str, table: str) -> None:
    """Drop a store's table and forget its schema version."""
    exists = "SELECT to_regclass(?) IS NOT NULL" if is_postgres(database_url) else \
        "SELECT count(*) FROM sqlite_master WHERE name = ?"
    (([meta_exists],),) = run_sql(database_url, [(exists, (META_TABLE,))])
    statements: list[tuple[str, Sequence[Any]]] = [(f"DROP TABLE IF EXISTS {table}", ())]
    if meta_exists:
        statements.append((f"DELETE FROM {META_TABLE} WHERE table_name = ?", (table,)))
    run_sql(database_url, statements)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """Return TEST_DATABASE_URL; skip if unset, fail (not skip) if the server does not answer."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip(POSTGRES_SKIP_REASON)
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as err:
        pytest.fail(f"TEST_DATABASE_URL is set but PostgreSQL is unreachable: {err}", pytrace=False)
    return url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Return a database URL per backend (select one with parametrize(..., indirect=True))."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite'}"
    if request.param == "postgres":
        return str(request.getfixturevalue("postgres_url"))
    if request.param == "dynamodb":
        return dynamodb_url(request.getfixturevalue("moto_endpoint"))
    raise ValueError(f"unknown backend {request.param!r}")


@pytest.fixture
def store_table(database_url: str) -> Iterator[str]:
    """Return a table name no other test uses; drop it afterwards."""
    table = f"test_{uuid.uuid4().hex[:16]}"
    yield table
    if is_postgres(database_url):
        drop_table(database_url, table)   # SQLite's file goes with tmp_path
    elif is_dynamodb(database_url):
        client = dynamodb_client(dict(parse_qsl(urlsplit(database_url).query))["endpoint"])
        with contextlib.suppress(client.exceptions.ResourceNotFoundException):
            client.delete_table(TableName=table)


@pytest.fixture
def open_store(database_url: str, store_table: str) -> Iterator[Callable[..., ProgressStore]]:
    """Return a function opening stores on this test's database and table; all are closed afterwards."""
    stores: list[ProgressStore] = []

    def open_(**options: Any) -> ProgressStore:
        opened = make_store(database_url, table=store_table, **options)
        stores.append(opened)
        return opened

    yield open_
    for opened in stores:
        opened.close()


@pytest.fixture
def store(open_store: Callable[..., ProgressStore]) -> ProgressStore:
    """Return a fresh, empty store (once per backend)."""
    return open_store()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[ProgressStore]:
    """Return a fresh SQLite store in tmp_path, for tests that need a real store but not both backends."""
    with make_store(f"sqlite:///{tmp_path / 'store.sqlite'}") as opened:
        yield opened
