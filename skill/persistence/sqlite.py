"""SQLite backend: one connection per thread, WAL, and BEGIN IMMEDIATE so concurrent workers queue, not fail."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from ask_sdk_core.exceptions import PersistenceException

from skill.persistence.keys import KeyFunction, user_key
from skill.persistence.sql import Cursor, Dialect
from skill.persistence.store import DEFAULT_TABLE, SqlStore

# Bumped in a forked child: a connection opened before fork() must not be used after it. Checking
# this counter instead of os.getpid() saves a system call on every storage operation.
_forks = 0


def _forked() -> None:
    global _forks
    _forks += 1


os.register_at_fork(after_in_child=_forked)


class SqliteStore(SqlStore):
    """Store user attributes in one SQLite file, safe for several threads and processes."""

    # No FOR UPDATE in SQLite: BEGIN IMMEDIATE already holds the only write lock.
    dialect = Dialect(param="?", json_in="?", json_out="attributes", lock_row="")
    schema_file = "schema.sqlite.sql"
    migrations = {
        # SQLite cannot ADD COLUMN with a non-constant default, so add a constant one and backfill.
        2: ("ALTER TABLE {table} ADD COLUMN updated_at TEXT NOT NULL DEFAULT '1970-01-01 00:00:00'",
            "UPDATE {table} SET updated_at = CURRENT_TIMESTAMP"),
    }
    storage_errors = (sqlite3.Error, OSError)

    def __init__(self, path: str | os.PathLike[str], *, table: str = DEFAULT_TABLE,
                 key_fn: KeyFunction = user_key, busy_timeout: float = 5.0) -> None:
        super().__init__(table=table, key_fn=key_fn)
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[tuple[int, sqlite3.Connection]] = []
        self._closed = False
        # Bumped when storage comes back after a fault: a connection another thread opened during the
        # fault may be read-only for good, so every thread opens a new one (measured: with two app
        # threads per worker, one stale connection failed a save after the fault had ended).
        self._generation = 0
        self._faulted = False

    def __repr__(self) -> str:
        return f"SqliteStore({str(self.path)!r}, table={self.table!r})"

    def _connection(self) -> sqlite3.Connection:
        """Return this thread's connection, opening (and creating the folder) on first use."""
        if self._closed:
            raise PersistenceException(f"{self!r} is closed")
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        # A connection must not cross fork(): a forked worker opens its own.
        if conn is not None and self._local.forks == _forks:
            if self._local.generation == self._generation:
                return conn
            self._drop(conn)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves. check_same_thread=False only so that
        # close() may close every thread's connection; each is otherwise used by its own thread.
        conn = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None,
                               check_same_thread=False)
        try:
            self._use_wal(conn)
            # In WAL mode NORMAL never corrupts; a power cut may lose only the last commits.
            conn.execute("PRAGMA synchronous = NORMAL")
        except BaseException:
            conn.close()
            raise
        with self._lock:
            if self._closed:
                conn.close()
                raise PersistenceException(f"{self!r} is closed")
            self._connections.append((os.getpid(), conn))
        self._local.conn, self._local.forks, self._local.generation = conn, _forks, self._generation
        return conn

    def _use_wal(self, conn: sqlite3.Connection) -> None:
        """Switch the file to WAL (readers run while one writer commits); the mode persists in the file."""
        deadline = time.monotonic() + self.busy_timeout
        while conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            try:
                conn.execute("PRAGMA journal_mode = WAL")
            except sqlite3.OperationalError as err:
                # Switching needs an exclusive lock, and SQLite answers BUSY at once instead of
                # calling the busy handler, so workers opening a new file together wait here.
                if err.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                    raise
                time.sleep(0.005)

    @contextmanager
    def _transaction(self, *, write: bool, commit: bool = True,
                     wait: float | None = None) -> Iterator[Cursor]:
        # ``wait`` is not used: busy_timeout already bounds how long a writer queues for the lock.
        conn = self._connection()
        cur = conn.cursor()
        broken = False
        try:
            # IMMEDIATE takes the write lock up front, so a writer waits (busy_timeout) at BEGIN
            # instead of failing with "database is locked" when upgrading a read snapshot later.
            if not write:
                # A read is one SELECT (get_attributes), which SQLite runs as a transaction of its
                # own: BEGIN and COMMIT around it would only add two statements to every request.
                yield cur
                return
            cur.execute("BEGIN IMMEDIATE")
            try:
                yield cur
            except BaseException:
                if conn.in_transaction:
                    with suppress(sqlite3.Error):   # after an I/O error the rollback may fail too
                        conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT" if commit else "ROLLBACK")
            if self._faulted:
                self._faulted = False
                self._generation += 1
        except (sqlite3.Error, OSError) as err:
            broken = not _busy(err)
            self._faulted = self._faulted or broken
            raise
        finally:
            cur.close()
            if broken:
                # A connection that met a fault can stay broken after it ends: one opened while the
                # file was not writable stays read-only for good. The next operation opens a new one.
                self._drop(conn)

    def _drop(self, conn: sqlite3.Connection) -> None:
        """Close this thread's connection and forget it."""
        with self._lock:
            self._connections = [(pid, c) for pid, c in self._connections if c is not conn]
        with suppress(sqlite3.Error):
            conn.close()
        if getattr(self._local, "conn", None) is conn:
            self._local.conn = None

    def _table_exists(self, cur: Cursor, name: str) -> bool:
        cur.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
        return cur.fetchone() is not None

    @property
    def closed(self) -> bool:
        """Whether close() was called."""
        return self._closed

    def close(self) -> None:
        """Close every thread's connection; later operations raise PersistenceException."""
        with self._lock:
            self._closed = True
            connections, self._connections = self._connections, []
        for pid, conn in connections:
            if pid == os.getpid():
                conn.close()


def _busy(err: BaseException) -> bool:
    """Whether the error is another writer holding the lock (the connection itself is fine)."""
    code = getattr(err, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
