"""Storage faults against the Procfile's server: stored counts equal what the skill acknowledged.

Each test runs bench.faults with a few users for a few seconds: storage fails mid-run (the SQLite
file read-only, the disk full, PostgreSQL refusing connections) and comes back. Every finish the
skill said it recorded must be stored exactly once; /healthz must say "unreachable" during the
fault; the log must hold one traceback per worker and episode and a counted summary when it ends.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import pytest

from skill.persistence.health import StorageHealth

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:   # bench/ is not an installed package
    sys.path.insert(0, str(ROOT))

from bench.faults import FaultUnavailable, run_counters, tracebacks_per_episode  # noqa: E402

WORKERS = 2


def run(fault: str, database_url: str | None = None) -> dict[str, Any]:
    try:
        return run_counters(fault, users=6, before=1.5, during=2.5, after=1.5, database_url=database_url,
                            workers=WORKERS)
    except FaultUnavailable as err:
        pytest.skip(f"{fault} cannot be simulated on this machine: {err}")


def assert_nothing_lost(report: dict[str, Any]) -> None:
    assert report["requests_during_fault"] > 10, report
    assert report["acknowledged"]["exercises"] > 0
    assert report["stored"] == report["acknowledged"], report
    assert report["http_5xx"] == 0 and report["invalid_200"] == 0 and report["transport_errors"] == 0, report
    # Storage said so while it was down, and is fine again.
    assert report["healthz_during_fault"].get("unreachable", 0) >= 1, report["healthz_during_fault"]
    assert report["healthz_after"]["storage"] == "reachable"
    # One traceback per fault episode, then counts, never one per request. A worker may see its storage
    # come back for a moment under load (a pooled connection still open): that ends one episode and
    # begins another, each said in the log.
    assert tracebacks_per_episode(report), (report["tracebacks"], report["episodes_ended"])
    assert report["tracebacks"] <= report["requests_during_fault"] / 5, report
    assert any("failed save" in line for line in report["summary_lines"]), report["summary_lines"]


@pytest.mark.e2e
def test_sqlite_file_read_only() -> None:
    assert_nothing_lost(run("read_only"))


@pytest.mark.e2e
def test_disk_full() -> None:
    assert_nothing_lost(run("disk_full"))


@pytest.mark.e2e
@pytest.mark.postgres
def test_postgres_refusing_connections(postgres_url: str) -> None:
    assert_nothing_lost(run("postgres_refusing", postgres_url))


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_one_traceback_per_episode_then_counted_summaries(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    health = StorageHealth("storage", logging.getLogger("test.health"), clock=clock, summary_every=60)
    caplog.set_level(logging.INFO, logger="test.health")
    try:
        raise OSError("disk I/O error")
    except OSError as err:
        error = err
    for n in range(4212):
        clock.now += 0.01 if n else 0
        health.failed("save", error)
        health.failed("read", error) if n % 2 else health.succeeded("read")   # reads alone do not end it
    clock.now += 20
    health.failed("save", error)   # more than 60 s after the start: one "still" line
    health.succeeded("save")
    records = [(r.levelname, r.getMessage(), r.exc_info is not None) for r in caplog.records]
    assert records[0] == ("ERROR", "storage unreachable: disk I/O error", True)
    assert records[1:] == [
        ("WARNING", "storage still unreachable: 4,213 failed saves, 2,106 failed reads in 62 s", False),
        ("WARNING", "storage is back: 4,213 failed saves, 2,106 failed reads in 62 s", False)]
    last = health.last_write()
    assert last is not None and last.saved
