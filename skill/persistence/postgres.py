"""PostgreSQL backend: psycopg 3 with a small connection pool; the driver is imported only when used."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ask_sdk_core.exceptions import PersistenceException

from skill.persistence.keys import KeyFunction, user_key
from skill.persistence.sql import Cursor, Dialect, redact_url
from skill.persistence.store import DEFAULT_TABLE, SqlStore

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
                 min_size: int = 1, max_size: int = 10, timeout: float = 2.0, retry_after: float = 5.0,
                 connect_timeout: int = 3, application_name: str = "foot-coach") -> None:
        """Open the pool in the background: this returns at once even if the server is down.

        ``timeout`` bounds how long an operation waits for a connection (a turn makes two, and
        Alexa gives up after about 8 s). After such a wait fails, operations fail at once for
        ``retry_after`` seconds instead of each waiting again. ``connect_timeout``,
        ``application_name`` and the 5 s ``lock_timeout`` apply unless the URL sets them.

        Raises:
            ValueError: the URL cannot be parsed.
            ImportError: psycopg or psycopg-pool is not installed.
        """
        try:
            import psycopg
            from psycopg.conninfo import conninfo_to_dict
            from psycopg_pool import ConnectionPool, PoolTimeout
        except ImportError as err:
            raise ImportError(
                "PostgreSQL support needs psycopg 3 and psycopg-pool: pip install 'foot-coach[postgres]'"
            ) from err
        super().__init__(table=table, key_fn=key_fn)
        try:
            given = conninfo_to_dict(url)
        except psycopg.Error as err:
            # libpq quotes the whole URL, password included, so show only the redacted one.
            reason = str(err).split(" in URI:")[0].split(" in connection info string")[0]
            raise ValueError(f"cannot parse DATABASE_URL {redact_url(url)!r}: {reason}") from None
        defaults: dict[str, Any] = {"connect_timeout": connect_timeout, "application_name": application_name,
                                    "options": "-c lock_timeout=5000"}
        self.storage_errors = (psycopg.Error,)   # includes the pool's PoolTimeout and PoolClosed
        self.retry_after = retry_after
        self._pool_timeout = PoolTimeout
        self._down_until: float = 0.0
        self._down_error: BaseException | None = None
        self._in_use, self._in_use_lock = 0, threading.Lock()
        self._url = url
        self._pool: ConnectionPool[Connection] = ConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            timeout=timeout,
            kwargs={key: value for key, value in defaults.items() if key not in given},
            name=f"footcoach-{table}",
            open=False,
        )
        self._pool.open(wait=False)

    def __repr__(self) -> str:
        return f"PostgresStore({redact_url(self._url)!r}, table={self.table!r})"

    @contextmanager
    def _transaction(self, *, write: bool, commit: bool = True,
                     wait: float | None = None) -> Iterator[Cursor]:
        conn = self._live_connection(self._pool.timeout if wait is None else wait)
        try:
            with conn:   # commits on leaving the block, or rolls back if it raised
                with conn.cursor() as cur:
                    yield cur
                    if not commit:
                        conn.rollback()
        finally:
            self._give_back(conn)

    def _live_connection(self, wait: float) -> Connection:
        """Take a pooled connection that answers, discarding dead ones (restart, failover, terminate).

        The pool's own ``check=`` does this too, but sleeps a second or more between dead
        connections, so after a restart the first request would stall; here we move on at once.
        """
        if time.monotonic() < self._down_until:
            raise PersistenceException(
                f"{self!r}: database unreachable moments ago; not waiting again yet") from self._down_error
        deadline = time.monotonic() + wait
        while True:
            try:
                conn = self._pool.getconn(timeout=max(deadline - time.monotonic(), 0.0))
            except self._pool_timeout as err:
                # With no connection in use here, the wait failed because the server is away (not
                # because the pool is busy), so spare the next requests the same wait.
                if not self._in_use:
                    self._down_until, self._down_error = time.monotonic() + self.retry_after, err
                raise
            try:
                self._pool.check_connection(conn)
            except self.storage_errors:
                self._pool.putconn(conn)   # a broken connection is closed and replaced
                continue
            with self._in_use_lock:
                self._in_use += 1
            return conn

    def _give_back(self, conn: Connection) -> None:
        with self._in_use_lock:
            self._in_use -= 1
        self._pool.putconn(conn)

    def _lock_schema(self, cur: Cursor) -> None:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))

    def _table_exists(self, cur: Cursor, name: str) -> bool:
        cur.execute("SELECT to_regclass(%s) IS NOT NULL", (name,))
        return bool(cur.fetchone()[0])

    @property
    def closed(self) -> bool:
        """Whether close() was called."""
        return bool(self._pool.closed)

    def close(self) -> None:
        """Close the pool and its connections; later operations raise PersistenceException."""
        self._pool.close(timeout=5.0)
