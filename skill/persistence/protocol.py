"""The contract every progress store keeps: what a new backend implements, and what it promises.

The Alexa layer depends on this Protocol, not on the ASK SDK's abstract adapter class: a turn needs
`update_attributes` with `read=` (compare-and-set over what the turn read), which the SDK's adapter
contract does not have. SqlStore (SQLite, PostgreSQL) and DynamoStore implement it;
tests/test_persistence.py runs the same contract tests against every backend.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable

from ask_sdk_model import RequestEnvelope

from skill.persistence.health import WriteOutcome


@runtime_checkable
class ProgressStore(Protocol):
    """One JSON document per user key, versioned for compare-and-set.

    Every method that touches storage raises ask_sdk_core's PersistenceException on a storage
    fault (the original error chained), and nothing else. The store logs its faults itself, once
    per outage and then as counts (health.StorageHealth), so callers need not.
    """

    def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, Any]:
        """The user's document plus its version under VERSION_KEY; {} for an unknown user."""
        ...

    def save_attributes(self, request_envelope: RequestEnvelope, attributes: dict[str, Any]) -> None:
        """Write if the row still has the version the attributes were read at (StaleWriteError if not)."""
        ...

    def update_attributes(self, request_envelope: RequestEnvelope,
                          change: Callable[[dict[str, Any]], dict[str, Any]],
                          attempts: int = 8, *, read: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Apply `change` atomically and return what was saved.

        With `read` (what get_attributes returned in this request), first one compare-and-set write
        over it; if another writer saved in between, re-read under a lock and apply `change` again.
        Counters must therefore be added by `change`, never copied from `read`.
        """
        ...

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        """Delete the user's document (no error if there is none)."""
        ...

    def ping(self, wait: float = 2.0) -> bool:
        """Whether the store can take writes now, by committing a write; never raises."""
        ...

    def last_write(self) -> WriteOutcome | None:
        """The outcome of this process's last save and how long ago it was; None before the first."""
        ...

    def ensure_schema(self) -> None:
        """Create or upgrade the schema now (otherwise done on first use)."""
        ...
