"""The shared SQL store: the ASK SDK adapter contract, compare-and-set, created and upgraded on first use.

Backends (sqlite.py, postgres.py) supply only connections, SQL spelling (sql.Dialect) and migration
steps (run by schema.migrate).
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Any, TypeVar

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.exceptions import PersistenceException
from ask_sdk_model import RequestEnvelope

from skill.persistence.health import StorageHealth, WriteOutcome
from skill.persistence.keys import KeyFunction, user_key
from skill.persistence.schema import META_TABLE, migrate
from skill.persistence.sql import Cursor, Dialect

log = logging.getLogger(__name__)

VERSION_KEY = "_version"            # reserved attribute carrying the row version between get and save
DEFAULT_TABLE = "user_progress"
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")   # table names are spliced into SQL, so allow only these
_BACKOFF_BASE, _BACKOFF_CAP = 0.002, 0.1             # seconds; full jitter keeps racing writers apart

T = TypeVar("T")


class StaleWriteError(PersistenceException):
    """The row changed, appeared or vanished since it was read; re-read and apply the change again."""


class SqlStore(AbstractPersistenceAdapter, ABC):
    """Keep one JSON document per user key, with a version for compare-and-set; see the module docstring."""

    dialect: Dialect
    schema_file: str                                # current schema, for a store that has no table yet
    migrations: Mapping[int, tuple[str, ...]]      # statements that bring schema version n-1 to n
    storage_errors: tuple[type[BaseException], ...]  # driver errors to wrap into PersistenceException

    def __init__(self, *, table: str = DEFAULT_TABLE, key_fn: KeyFunction = user_key) -> None:
        if not _IDENTIFIER.fullmatch(table):
            raise ValueError(f"table name {table!r} must match {_IDENTIFIER.pattern}")
        self.table = table
        self._key = key_fn
        self._schema_ready = False
        self._schema_lock = threading.Lock()
        self.health = StorageHealth("storage", log)
        t, p, d = table, self.dialect.param, self.dialect
        self._select = f"SELECT {d.json_out}, version FROM {t} WHERE key = {p}"
        self._insert = (f"INSERT INTO {t} (key, attributes, version, updated_at) "
                        f"VALUES ({p}, {d.json_in}, 1, CURRENT_TIMESTAMP) ON CONFLICT (key) DO NOTHING")
        self._update = (f"UPDATE {t} SET attributes = {d.json_in}, version = version + 1, "
                        f"updated_at = CURRENT_TIMESTAMP WHERE key = {p} AND version = {p}")
        self._delete = f"DELETE FROM {t} WHERE key = {p}"

    # --- backend hooks -------------------------------------------------------------------------

    @abstractmethod
    def _transaction(self, *, write: bool, commit: bool = True,
                     wait: float | None = None) -> AbstractContextManager[Cursor]:
        """Yield a cursor in one transaction; commit on success (unless commit=False), else roll back.

        With write=False the caller runs a single read statement, which a backend may run on
        its own (as its own transaction) instead of inside BEGIN ... COMMIT.
        """

    @abstractmethod
    def _table_exists(self, cur: Cursor, name: str) -> bool:
        """Return whether the table exists."""

    @abstractmethod
    def close(self) -> None:
        """Release every connection; later operations raise PersistenceException."""

    def _lock_schema(self, cur: Cursor) -> None:
        """Serialise migrations across processes (the write transaction already does for SQLite)."""

    # --- the SDK adapter contract --------------------------------------------------------------

    def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, Any]:
        """Return the user's attributes plus VERSION_KEY, or {} for an unknown user."""
        key = self._key(request_envelope)
        return self._run(lambda cur: self._read(cur, key), write=False, kind="read")

    def save_attributes(self, request_envelope: RequestEnvelope, attributes: dict[str, Any]) -> None:
        """Write the attributes if the row still has the version they were read at.

        Without VERSION_KEY the row must not exist yet. On success VERSION_KEY in the given dict is
        advanced in place, so the same dict (the SDK's cached attributes) can be saved again.

        Raises:
            StaleWriteError: another writer got there first (or the row was deleted).
            PersistenceException: the attributes are not JSON-serialisable, or storage failed.
        """
        key = self._key(request_envelope)
        expected = attributes.get(VERSION_KEY)
        document = _encode(attributes)
        attributes[VERSION_KEY] = self._run(lambda cur: self._write(cur, key, document, expected), write=True,
                                            kind="save")

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        """Delete the user's row (no error if there is none)."""
        key = self._key(request_envelope)
        self._run(lambda cur: cur.execute(self._delete, (key,)), write=True, kind="save")

    # --- beyond the contract -------------------------------------------------------------------

    def update_attributes(self, request_envelope: RequestEnvelope,
                          change: Callable[[dict[str, Any]], dict[str, Any]],
                          attempts: int = 8, *, read: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Atomically read, apply ``change`` and save, retrying on StaleWriteError; return what was saved.

        Read and write share one transaction whose read locks the row (SQLite: the write lock of
        BEGIN IMMEDIATE; PostgreSQL: FOR UPDATE), so concurrent updates queue instead of colliding.
        A conflict remains possible when two writers create the same new row, and then ``change``
        runs again on a fresh read. So ``change`` gets a fresh dict without VERSION_KEY (it may
        mutate and return it), must be quick, and must not touch the store or have side effects.

        ``read``: what get_attributes returned earlier in this request, if nothing has changed it
        since. The first attempt then applies ``change`` to it and writes with compare-and-set
        against its version, without reading again: one statement instead of a locked read and a
        write, which is the common case of a user's own turn. If another writer saved in between,
        that write fails, nothing is written, and the locked read-change-write above runs as usual.

        Raises:
            StaleWriteError: every attempt lost a race.
        """
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        key = self._key(request_envelope)
        if read is not None:
            version = read.get(VERSION_KEY)
            known = {name: value for name, value in read.items() if name != VERSION_KEY}

            def change_what_was_read(cur: Cursor) -> dict[str, Any]:
                updated = dict(change(known))
                updated[VERSION_KEY] = self._write(cur, key, _encode(updated), version)
                return updated

            try:
                return self._run(change_what_was_read, write=True, kind="save")
            except StaleWriteError:
                attempts -= 1   # someone else saved since the read: read it, under the lock, below
                if attempts < 1:
                    raise

        def read_change_write(cur: Cursor) -> dict[str, Any]:
            current = self._read(cur, key, lock=True)
            version = current.pop(VERSION_KEY, None)
            updated = dict(change(current))
            updated[VERSION_KEY] = self._write(cur, key, _encode(updated), version)
            return updated

        for attempt in range(attempts):
            try:
                return self._run(read_change_write, write=True, kind="save")
            except StaleWriteError as err:
                if attempt + 1 == attempts:
                    raise StaleWriteError(f"gave up after {attempts} attempts: {err}") from err
                time.sleep(random.uniform(0, min(_BACKOFF_CAP, _BACKOFF_BASE * 2 ** attempt)))
        raise AssertionError("unreachable")

    def ping(self, wait: float = 2.0) -> bool:
        """Return whether the store can take writes now, by committing one; never raises.

        The write is real (the schema row of this table, rewritten unchanged), so a full disk, a
        read-only file or a read-only server shows here as it does for saves; a rolled-back write
        would not reach the disk. PostgreSQL waits at most ``wait`` s for a connection; SQLite at
        most its busy_timeout. A failure is logged with the store's fault episode, not per call.
        """
        try:
            self._ready("health check")
            self._guarded(self._probe, write=True, wait=wait, kind="health check")
        except PersistenceException:
            return False
        return True

    def last_write(self) -> WriteOutcome | None:
        """The outcome of this process's last save and its age (None before the first)."""
        return self.health.last_write()

    def ensure_schema(self) -> None:
        """Create or upgrade the schema now instead of on first use (for ``flask init-db``)."""
        self._ready("schema")

    def _ready(self, kind: str) -> None:
        if self._schema_ready:
            return
        with self._schema_lock:
            if not self._schema_ready:
                self._guarded(self._migrate, write=True, kind=kind)
                self._schema_ready = True

    def _probe(self, cur: Cursor) -> None:
        """The cheapest committed write: this table's schema row, changed and changed back.

        Changed, because SQLite skips writing a row rewritten with the same content; changed back
        in the same transaction, so no reader ever sees the change.
        """
        flip = f"UPDATE {META_TABLE} SET version = -version WHERE table_name = {self.dialect.param}"
        cur.execute(flip, (self.table,))
        cur.execute(flip, (self.table,))

    def __enter__(self) -> SqlStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- shared machinery ----------------------------------------------------------------------

    def _run(self, fn: Callable[[Cursor], T], *, write: bool, kind: str) -> T:
        self._ready(kind)
        return self._guarded(fn, write=write, kind=kind)

    def _guarded(self, fn: Callable[[Cursor], T], *, write: bool, kind: str, commit: bool = True,
                 wait: float | None = None) -> T:
        """Run fn in a transaction; a storage fault becomes PersistenceException and is told to self.health."""
        try:
            with self._transaction(write=write, commit=commit, wait=wait) as cur:
                result = fn(cur)
        except self.storage_errors as err:
            wrapped = PersistenceException(f"{type(self).__name__} {self.table!r}: {type(err).__name__}: {err}")
            wrapped.__cause__ = err
            self.health.failed(kind, wrapped)
            raise wrapped from err
        except StaleWriteError:
            raise   # a lost race, not a fault: storage answered
        except PersistenceException as err:   # the backend refused before trying (closed, just failed)
            self.health.failed(kind, err)
            raise
        self.health.succeeded(kind)
        return result

    def _read(self, cur: Cursor, key: str, *, lock: bool = False) -> dict[str, Any]:
        cur.execute(self._select + (self.dialect.lock_row if lock else ""), (key,))
        row = cur.fetchone()
        if row is None:
            return {}
        try:
            attributes = json.loads(row[0])
        except ValueError as err:
            raise PersistenceException(f"stored attributes in {self.table!r} are not JSON") from err
        if not isinstance(attributes, dict):
            raise PersistenceException(f"stored attributes in {self.table!r} are not a JSON object")
        attributes[VERSION_KEY] = int(row[1])
        return attributes

    def _write(self, cur: Cursor, key: str, document: str, expected: object) -> int:
        """Insert (expected None) or compare-and-set the row; return its new version."""
        if expected is None:
            cur.execute(self._insert, (key, document))
        elif isinstance(expected, int) and not isinstance(expected, bool):
            cur.execute(self._update, (document, key, expected))
        else:
            raise PersistenceException(f"{VERSION_KEY} must be the integer version from get_attributes")
        if cur.rowcount != 1:
            raise StaleWriteError(
                f"attributes in {self.table!r} changed since they were read "
                f"(expected {'no row' if expected is None else f'version {expected}'})")
        return 1 if expected is None else expected + 1

    def _migrate(self, cur: Cursor) -> None:
        """Bring this table to SCHEMA_VERSION inside the caller's write transaction."""
        self._lock_schema(cur)
        migrate(cur, table=self.table, param=self.dialect.param, schema_file=self.schema_file,
                migrations=self.migrations, table_exists=self._table_exists)

def _encode(attributes: Mapping[str, Any]) -> str:
    """Serialise attributes (without VERSION_KEY) as JSON text."""
    try:
        # allow_nan=False: NaN is not JSON, and PostgreSQL's jsonb would refuse it anyway.
        return json.dumps({k: v for k, v in attributes.items() if k != VERSION_KEY},
                          ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise PersistenceException(f"attributes are not JSON-serialisable: {err}") from err
