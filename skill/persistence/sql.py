"""What the shared store needs from a backend's SQL driver: a cursor, the dialect it speaks, safe URLs."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol


class Cursor(Protocol):
    """The part of a DB-API cursor the store uses (sqlite3 and psycopg both fit)."""

    @property
    def rowcount(self) -> int: ...

    def execute(self, query: str, params: Sequence[Any] = ..., /) -> Any: ...

    def fetchone(self) -> Any: ...


@dataclass(frozen=True)
class Dialect:
    """How one backend spells parameters, JSON in and out, and a row lock in SQL."""

    param: str
    json_in: str
    json_out: str
    lock_row: str     # appended to the SELECT that update_attributes reads with


def redact_url(url: str) -> str:
    """The URL with its password replaced by ``***``, for messages and logs."""
    return re.sub(r"(//[^:/@]*):[^@/]*@", r"\1:***@", url)
