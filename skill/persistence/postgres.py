"""PostgreSQL backend: psycopg 3 with a small connection pool; the driver is imported only when used."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from skill.persistence import DEFAULT_TABLE, Cursor, Dialect, SqlStore, _redact
from skill.persistence.keys import KeyFunction, user_key

if TYPE_CHECKING:
    from psycopg import Connection
    from psycopg_pool import ConnectionPool

# Every store's migration takes this one advisory lock, so processes starting together upgrade in turn.
_MIGRATION_LOCK = 0x466F6F74436F6163   # "FootCoac"


class PostgresStore(SqlStore):
    """Store user attributes in a PostgreSQL table (JSONB), through a psycopg connection pool."""

    dialect = Dialect(param="%s", json_in="%s::jsonb", json_out="attributes::text", lock_row=" FOR UPDATE")
    schema_file = "schema.postgres.sql"
    migrations = {
        2: ("ALTER TABLE {table} ADD COLUMN updated_at TIMESTAMPTZ NOT NULL DEFAULT now()",),
    }

    def __init__(self, url: str, *, table: str = DEFAULT_TABLE, key_fn: KeyFunction = user_key,
                 min_size: int = 1, max_size: int = 10, timeout: float = 5.0,
                 connect_timeout: int = 3, application_name: str = "foot-coach") -> None:
        """Open the pool in the background: this returns at once even if the server is down.

        ``timeout`` bounds how long an operation waits for a connection, ``connect_timeout``
        each connection attempt; both keep a request from hanging when the database is away.
        """
        try:
            import psycopg
            from psycopg_pool import ConnectionPool
        except ImportError as err:
            raise ImportError(
                "PostgreSQL support needs psycopg 3 and psycopg-pool: pip install 'foot-coach[postgres]'"
            ) from err
        super().__init__(table=table, key_fn=key_fn)
        self.storage_errors = (psycopg.Error,)   # includes the pool's PoolTimeout and PoolClosed
        self._url = url
        self._pool: ConnectionPool[Connection] = ConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            timeout=timeout,
            kwargs={"connect_timeout": connect_timeout, "application_name": application_name},
            # Check each connection as it is handed out, so one whose backend was terminated
            # (restart, failover, pg_terminate_backend) is replaced instead of failing a request.
            check=ConnectionPool.check_connection,
            name=f"footcoach-{table}",
            open=False,
        )
        self._pool.open(wait=False)

    def __repr__(self) -> str:
        return f"PostgresStore({_redact(self._url)!r}, table={self.table!r})"

    @contextmanager
    def _transaction(self, *, write: bool, commit: bool = True,
                     wait: float | None = None) -> Iterator[Cursor]:
        # Reads and writes alike run in one transaction; compare-and-set needs no extra locking.
        with self._pool.connection(timeout=wait) as conn:
            with conn.cursor() as cur:
                yield cur
                if not commit:
                    conn.rollback()
            # Leaving pool.connection() commits, or rolls back if the block raised.

    def _lock_schema(self, cur: Cursor) -> None:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))

    def _table_exists(self, cur: Cursor, name: str) -> bool:
        cur.execute("SELECT to_regclass(%s) IS NOT NULL", (name,))
        return bool(cur.fetchone()[0])

    def _probe(self, cur: Cursor) -> None:
        cur.execute("SELECT 1")
        cur.fetchone()

    def close(self) -> None:
        """Close the pool and its connections; later operations raise PersistenceException."""
        self._pool.close(timeout=5.0)
