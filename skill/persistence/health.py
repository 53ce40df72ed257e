"""How a store's operations are going: the last save's outcome for /healthz, and readable logs in an outage.

A storage fault fails every request until it ends, so logging each one would bury the log (a 14 s
PostgreSQL outage once wrote 16,800 tracebacks). Instead a fault *episode* begins with the first
failure, logged once with its traceback; while it lasts, a summary line at most every
``summary_every`` seconds counts what failed; the first success ends it with the closing count:

    storage unreachable: OperationalError: disk I/O error      (with the traceback)
    storage still unreachable: 4,212 failed saves, 3,977 failed reads in 60 s
    storage is back: 4,212 failed saves, 3,977 failed reads in 14 s

Thread-safe; one per store, so per process.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

SUMMARY_EVERY_SECONDS = 60.0
READS = frozenset({"read"})   # the kinds of operation that only read


@dataclass(frozen=True)
class WriteOutcome:
    """The last save's outcome: whether it was stored, and how long ago (seconds)."""

    saved: bool
    seconds_ago: float


class StorageHealth:
    """Count failures per fault episode and remember the last save's outcome."""

    def __init__(self, name: str, logger: logging.Logger, *, clock: Callable[[], float] = time.monotonic,
                 summary_every: float = SUMMARY_EVERY_SECONDS) -> None:
        self.name = name
        self._log = logger
        self._clock = clock
        self._summary_every = summary_every
        self._lock = threading.Lock()
        self._failed: Counter[str] = Counter()   # per kind ("save", "read", "health check") in this episode
        self._began: float | None = None         # when the episode began (None: storage is fine)
        self._summarised: float = 0.0
        self._last_write: tuple[bool, float] | None = None

    def succeeded(self, kind: str) -> None:
        """An operation worked: the episode (if any) is over; a save's outcome is remembered.

        A read ends only an episode of failed reads: while writes fail, reads often still work.
        """
        now = self._clock()
        if kind == "save":
            self._last_write = (True, now)
        if self._began is None:   # the common case, without taking the lock
            return
        with self._lock:
            if self._began is None or (kind in READS and set(self._failed) - READS):
                return
            counts, began = self._counts(), self._began
            self._began, self._failed = None, Counter()
        self._log.warning("%s is back: %s in %s", self.name, counts, _seconds(now - began))

    def failed(self, kind: str, error: BaseException) -> None:
        """An operation failed for a storage reason: log the episode's first failure in full, then counts."""
        now = self._clock()
        if kind == "save":
            self._last_write = (False, now)
        with self._lock:
            self._failed[kind] += 1
            if self._began is None:
                self._began = self._summarised = now
                first = True
            else:
                first = False
                if now - self._summarised < self._summary_every:
                    return
                self._summarised = now
            counts, began = self._counts(), self._began
        if first:
            self._log.error("%s unreachable: %s", self.name, error, exc_info=error)
        else:
            self._log.warning("%s still unreachable: %s in %s", self.name, counts, _seconds(now - began))

    def last_write(self) -> WriteOutcome | None:
        """The last save's outcome in this process, or None before the first."""
        last = self._last_write
        if last is None:
            return None
        return WriteOutcome(last[0], round(self._clock() - last[1], 1))

    def _counts(self) -> str:
        return ", ".join(f"{n:,} failed {kind}{'s' if n != 1 else ''}" for kind, n in self._failed.most_common())


def _seconds(span: float) -> str:
    return f"{span:,.0f} s" if span >= 10 else f"{span:.1f} s"
