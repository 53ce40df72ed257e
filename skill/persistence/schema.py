"""Schema versions: each store table is created at, or upgraded to, SCHEMA_VERSION on first use.

A meta table (META_TABLE) records which version each store table is at. A new table is created from
the backend's schema file; an older one is brought up step by step with the backend's migrations.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path

from ask_sdk_core.exceptions import PersistenceException

from skill.persistence.sql import Cursor

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2                  # v1: key, attributes, version; v2 adds updated_at
META_TABLE = "footcoach_schema"     # one row per store table: which schema version it is at


def migrate(cur: Cursor, *, table: str, param: str, schema_file: str, migrations: Mapping[int, tuple[str, ...]],
            table_exists: Callable[[Cursor, str], bool]) -> None:
    """Bring ``table`` to SCHEMA_VERSION inside the caller's write transaction (schema lock already held).

    ``schema_file`` (next to this module) creates a new table; ``migrations[n]`` are the statements
    that bring version n-1 to n, with ``{table}`` for the table's name; ``param`` is the dialect's
    parameter marker.

    Raises:
        PersistenceException: the table is at a newer version than this code knows.
    """
    p = param
    if not table_exists(cur, META_TABLE):   # checked first: no CREATE right needed once it exists
        cur.execute(f"CREATE TABLE {META_TABLE} (table_name TEXT PRIMARY KEY, version INTEGER NOT NULL)")
    cur.execute(f"SELECT version FROM {META_TABLE} WHERE table_name = {p}", (table,))
    row = cur.fetchone()
    # A table without a meta row predates schema versioning, which arrived with v2.
    found = int(row[0]) if row else (1 if table_exists(cur, table) else 0)
    if found > SCHEMA_VERSION:
        raise PersistenceException(
            f"table {table!r} is at schema v{found}, newer than this code (v{SCHEMA_VERSION})")
    if row and found == SCHEMA_VERSION:
        return
    if found == 0:
        lines = Path(__file__).with_name(schema_file).read_text(encoding="utf-8").splitlines()
        # Drop comment lines first: a ';' in a comment must not split a statement.
        sql = "\n".join(line for line in lines if not line.lstrip().startswith("--"))
        steps = tuple(s for s in sql.split(";") if s.strip())
    else:
        steps = tuple(s for v in range(found + 1, SCHEMA_VERSION + 1) for s in migrations[v])
    for statement in steps:
        cur.execute(statement.format(table=table))
    cur.execute(f"INSERT INTO {META_TABLE} (table_name, version) VALUES ({p}, {p}) "
                "ON CONFLICT (table_name) DO UPDATE SET version = excluded.version",
                (table, SCHEMA_VERSION))
    if found:
        log.info("upgraded %r from schema v%d to v%d", table, found, SCHEMA_VERSION)
