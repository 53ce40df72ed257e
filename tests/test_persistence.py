"""The stores keep the SDK adapter contract, never lose an update, and fail as PersistenceException."""

from __future__ import annotations

import itertools
import multiprocessing
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from alexa_requests import PERSON_ID, USER_ID, launch, to_model
from ask_sdk_core.exceptions import PersistenceException
from storage_fixtures import SQL_BACKENDS, drop_table, is_postgres, run_sql, stored_record, table_columns

from skill.persistence import (
    META_TABLE,
    ProgressStore,
    SCHEMA_VERSION,
    VERSION_KEY,
    SqlStore,
    StaleWriteError,
    make_store,
)
from skill.persistence.keys import user_key
from skill.persistence.postgres import PostgresStore
from skill.persistence.sqlite import SqliteStore

ENV = to_model(launch())
SPAWN = multiprocessing.get_context("spawn")


def increment(attributes: dict[str, Any]) -> dict[str, Any]:
    """Add one to the counter (the change every concurrency test applies)."""
    attributes["count"] = attributes.get("count", 0) + 1
    return attributes


def test_round_trip_and_reopen(store: ProgressStore, open_store: Callable[..., ProgressStore]) -> None:
    store.save_attributes(ENV, {"streak": 3, "last": "toe_press", "days": [1, 2]})
    expected = {"streak": 3, "last": "toe_press", "days": [1, 2], VERSION_KEY: 1}
    assert store.get_attributes(ENV) == expected
    assert open_store().get_attributes(ENV) == expected   # a second store (another worker) sees it


def test_unknown_user_gets_empty_dict(store: ProgressStore) -> None:
    assert store.get_attributes(to_model(launch(user_id="amzn1.ask.account.NOBODY"))) == {}


def test_delete(store: ProgressStore) -> None:
    store.save_attributes(ENV, {"streak": 1})
    store.delete_attributes(ENV)
    assert store.get_attributes(ENV) == {}
    store.delete_attributes(ENV)                  # deleting nothing is fine
    store.save_attributes(ENV, {"streak": 0})     # and the user can start again
    assert store.get_attributes(ENV) == {"streak": 0, VERSION_KEY: 1}


def test_people_in_one_household_keep_separate_data(store: ProgressStore) -> None:
    anna, ben = (to_model(launch(person_id=p)) for p in (PERSON_ID, "amzn1.ask.person.BEN"))
    store.save_attributes(anna, {"who": "anna"})
    store.save_attributes(ben, {"who": "ben"})
    store.save_attributes(ENV, {"who": "account"})   # no recognised voice: keyed by userId
    assert [store.get_attributes(e)["who"] for e in (anna, ben, ENV)] == ["anna", "ben", "account"]


def test_user_key_prefers_person_then_user() -> None:
    assert user_key(to_model(launch(person_id=PERSON_ID))) == PERSON_ID
    assert user_key(ENV) == USER_ID
    anonymous = to_model(launch())
    anonymous.context.system.user = None
    with pytest.raises(PersistenceException, match="user id"):
        user_key(anonymous)


def test_stale_save_raises_and_keeps_the_winner(store: ProgressStore) -> None:
    store.save_attributes(ENV, {"count": 0})
    mine, theirs = store.get_attributes(ENV), store.get_attributes(ENV)
    store.save_attributes(ENV, {**theirs, "count": 5})
    with pytest.raises(StaleWriteError) as caught:
        store.save_attributes(ENV, {**mine, "count": 1})
    assert isinstance(caught.value, PersistenceException)
    assert store.get_attributes(ENV) == {"count": 5, VERSION_KEY: 2}
    with pytest.raises(StaleWriteError):          # a second "new user" insert also loses
        store.save_attributes(ENV, {"count": 9})
    store.delete_attributes(ENV)
    with pytest.raises(StaleWriteError):          # and so does a save of a row deleted meanwhile
        store.save_attributes(ENV, {"count": 6, VERSION_KEY: 2})


def test_saving_the_same_dict_twice_advances_its_version(store: ProgressStore) -> None:
    attributes = store.get_attributes(ENV)        # as the SDK caches it for one request
    attributes["step"] = 1
    store.save_attributes(ENV, attributes)
    attributes["step"] = 2
    store.save_attributes(ENV, attributes)
    assert store.get_attributes(ENV) == {"step": 2, VERSION_KEY: 2} == attributes


def test_unicode_json_is_stored_as_real_json(store: ProgressStore, database_url: str) -> None:
    """Stored as the backend's own document type (JSON text, JSONB, a DynamoDB map), readable by its own tools."""
    value = {"name": "Zoë’s “toe” stretch ✓ 足 🦶", "nested": {"list": [1, 2.5, None, True, "<&>"]}}
    store.save_attributes(ENV, value)
    assert store.get_attributes(ENV) == {**value, VERSION_KEY: 1}
    assert stored_record(database_url, store.table, USER_ID) == (value["name"], 1, True)


@pytest.mark.parametrize("bad", [{"when": object()}, {"score": float("nan")}, {VERSION_KEY: "1"}])
def test_unstorable_attributes_raise_persistence_exception(store: ProgressStore, bad: dict[str, Any]) -> None:
    with pytest.raises(PersistenceException):
        store.save_attributes(ENV, bad)


def test_update_attributes_reapplies_change_after_a_lost_race(store: ProgressStore,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # Only two writers creating the same new row can collide inside update_attributes (the read
    # locks an existing row), so simulate the lost race at the compare-and-set itself.
    store.save_attributes(ENV, {"count": 1})
    real_write, seen = store._write, []

    def lose_first(*args: Any) -> int:
        if len(seen) == 1:
            raise StaleWriteError("simulated: another worker saved first")
        return real_write(*args)

    def change(attributes: dict[str, Any]) -> dict[str, Any]:
        seen.append(dict(attributes))
        return increment(attributes)

    monkeypatch.setattr(store, "_write", lose_first)
    assert store.update_attributes(ENV, change) == {"count": 2, VERSION_KEY: 2}
    assert seen == [{"count": 1}, {"count": 1}]     # re-read and re-applied after the rollback


def test_a_write_over_what_was_read_keeps_a_save_made_since(store: ProgressStore) -> None:
    """Another device saves between this request's read and its save: both changes are kept."""
    store.save_attributes(ENV, {"count": 1, "pace": 100})
    read = store.get_attributes(ENV)
    store.update_attributes(ENV, increment)                      # the other device, in between
    seen: list[dict[str, Any]] = []

    def slower(attributes: dict[str, Any]) -> dict[str, Any]:
        seen.append(dict(attributes))
        return {**attributes, "pace": 85}

    assert store.update_attributes(ENV, slower, read=read) == {"count": 2, "pace": 85, VERSION_KEY: 3}
    assert store.get_attributes(ENV) == {"count": 2, "pace": 85, VERSION_KEY: 3}
    assert seen == [{"count": 1, "pace": 100}, {"count": 2, "pace": 100}]   # stale try, then the fresh read


@pytest.mark.parametrize("first", [True, False], ids=["new-user", "known-user"])
def test_a_write_over_what_was_read_saves_without_reading_again(store: ProgressStore, first: bool,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """When nothing changed since the read, the change is applied to it and written once."""
    if not first:
        store.save_attributes(ENV, {"count": 1})
    read = store.get_attributes(ENV)
    reads: list[object] = []
    real_read = store._read
    monkeypatch.setattr(store, "_read", lambda *args, **kwargs: reads.append(args) or real_read(*args, **kwargs))
    saved = store.update_attributes(ENV, increment, read=read)
    assert saved == {"count": 1 if first else 2, VERSION_KEY: 1 if first else 2} and reads == []
    monkeypatch.undo()
    assert store.get_attributes(ENV) == saved


def test_two_writes_over_the_same_read_both_count(store: ProgressStore) -> None:
    """Two requests that read the same version: the second one's compare-and-set fails, then merges."""
    store.save_attributes(ENV, {"count": 0})
    read = store.get_attributes(ENV)
    store.update_attributes(ENV, increment, read=read)
    store.update_attributes(ENV, increment, read=read)
    assert store.get_attributes(ENV)["count"] == 2


def test_update_attributes_gives_up_after_attempts(store: ProgressStore, monkeypatch: pytest.MonkeyPatch) -> None:
    def always_lose(*args: Any) -> int:
        raise StaleWriteError("simulated")

    calls = []

    def change(attributes: dict[str, Any]) -> dict[str, Any]:
        calls.append(attributes)
        return increment(attributes)

    monkeypatch.setattr(store, "_write", always_lose)
    with pytest.raises(StaleWriteError, match="after 3 attempts"):
        store.update_attributes(ENV, change, attempts=3)
    assert len(calls) == 3 and store.get_attributes(ENV) == {}


def test_failing_change_rolls_back_and_the_store_stays_usable(store: ProgressStore) -> None:
    store.save_attributes(ENV, {"count": 1})

    def broken(attributes: dict[str, Any]) -> dict[str, Any]:
        attributes["count"] = 99
        raise KeyError("bug in the handler")

    with pytest.raises(KeyError):
        store.update_attributes(ENV, broken)
    assert store.update_attributes(ENV, increment) == {"count": 2, VERSION_KEY: 2}


def increment_as_a_handler_would(store: ProgressStore) -> int:
    """Get, change and save as a handler does through the SDK, retrying when stale; return the retries.

    Each retry waits a random moment first, as any retry should: without it, writers racing on a store
    without row locks (DynamoDB) retry in lockstep and mostly collide again.
    """
    for retries in itertools.count():
        attributes = store.get_attributes(ENV)
        try:
            store.save_attributes(ENV, increment(attributes))
            return retries
        except StaleWriteError:
            time.sleep(random.uniform(0, 0.002 * 2 ** min(retries, 5)))
    raise AssertionError("unreachable")


@pytest.mark.parametrize("how", ["update_attributes", "get_then_save"])
def test_no_lost_updates_across_threads(store: ProgressStore, how: str) -> None:
    threads_n, per_thread = 8, 50
    start, errors, retries = threading.Barrier(threads_n), [], []

    def work() -> None:
        start.wait()
        try:
            for _ in range(per_thread):
                if how == "update_attributes":
                    store.update_attributes(ENV, increment)
                else:
                    retries.append(increment_as_a_handler_would(store))
        except PersistenceException as err:       # reported below: an exception in a thread is silent
            errors.append(err)

    workers = [threading.Thread(target=work) for _ in range(threads_n)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)   # seconds on SQL; DynamoDB (moto) retries each lost race over HTTP
    assert errors == []
    assert store.get_attributes(ENV)["count"] == threads_n * per_thread, f"stale saves retried: {sum(retries)}"


def count_in_process(database_url: str, table: str, times: int, start: Any, results: Any) -> None:
    """Open a store of our own, wait for the others, then increment the shared counter ``times`` times."""
    calls = 0

    def counted(attributes: dict[str, Any]) -> dict[str, Any]:
        nonlocal calls
        calls += 1
        return increment(attributes)

    try:
        with make_store(database_url, table=table) as own:
            envelope = to_model(launch())
            start.wait(timeout=30)
            for _ in range(times):
                own.update_attributes(envelope, counted)
        results.put(("ok", calls))
    except Exception as err:  # noqa: BLE001 - anything must reach the parent, not die with the child
        results.put(("error", repr(err)))


def test_no_lost_updates_across_processes(database_url: str, store_table: str) -> None:
    processes_n, per_process = 4, 50
    start, results = SPAWN.Barrier(processes_n), SPAWN.Queue()
    processes = [SPAWN.Process(target=count_in_process,
                               args=(database_url, store_table, per_process, start, results))
                 for _ in range(processes_n)]
    for process in processes:
        process.start()                            # fresh table: the processes also race to create it
    outcomes = [results.get(timeout=45) for _ in processes]
    for process in processes:
        process.join(timeout=10)
        process.close()
    results.close()
    results.join_thread()
    assert [status for status, _ in outcomes] == ["ok"] * processes_n, outcomes
    with make_store(database_url, table=store_table) as check:
        assert check.get_attributes(ENV)["count"] == processes_n * per_process


def test_stores_starting_together_create_the_schema_once(open_store: Callable[..., ProgressStore]) -> None:
    stores = [open_store() for _ in range(6)]
    start, errors = threading.Barrier(len(stores)), []

    def first_use(own: ProgressStore, n: int) -> None:
        start.wait()
        try:
            own.save_attributes(to_model(launch(user_id=f"amzn1.ask.account.{n}")), {"n": n})
        except PersistenceException as err:
            errors.append(err)

    workers = [threading.Thread(target=first_use, args=(s, n)) for n, s in enumerate(stores)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert errors == []


V1_TABLE = {  # the table as schema v1 shipped it: no updated_at
    "sqlite": "CREATE TABLE {} (key TEXT PRIMARY KEY, attributes TEXT NOT NULL, version INTEGER NOT NULL)",
    "postgres": "CREATE TABLE {} (key TEXT PRIMARY KEY, attributes JSONB NOT NULL, version INTEGER NOT NULL)",
}


@pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)
@pytest.mark.parametrize("with_meta_row", [True, False], ids=["v1", "v1-before-versioning"])
def test_v1_store_is_upgraded_with_rows_intact(database_url: str, store_table: str, with_meta_row: bool,
                                               open_store: Callable[..., ProgressStore]) -> None:
    backend = "postgres" if is_postgres(database_url) else "sqlite"
    setup: list[tuple[str, tuple[Any, ...]]] = [
        (V1_TABLE[backend].format(store_table), ()),
        (f"INSERT INTO {store_table} VALUES (?, ?, ?)", (USER_ID, '{"streak": 4, "name": "Zoë"}', 7)),
        (f"INSERT INTO {store_table} VALUES (?, ?, ?)", (PERSON_ID, '{"streak": 1}', 1)),
    ]
    if with_meta_row:
        setup[:0] = [(f"CREATE TABLE IF NOT EXISTS {META_TABLE} (table_name TEXT PRIMARY KEY, "
                      "version INTEGER NOT NULL)", ()),
                     (f"INSERT INTO {META_TABLE} VALUES (?, 1)", (store_table,))]
    run_sql(database_url, setup)

    upgraded = open_store()
    assert upgraded.get_attributes(ENV) == {"streak": 4, "name": "Zoë", VERSION_KEY: 7}
    assert upgraded.get_attributes(to_model(launch(person_id=PERSON_ID))) == {"streak": 1, VERSION_KEY: 1}
    assert upgraded.update_attributes(ENV, increment)[VERSION_KEY] == 8
    assert "updated_at" in table_columns(database_url, store_table)
    version_query = f"SELECT version FROM {META_TABLE} WHERE table_name = ?"
    assert run_sql(database_url, [(version_query, (store_table,))])[0] == [(SCHEMA_VERSION,)]
    open_store().ensure_schema()                   # idempotent: opening again changes nothing

    fresh = make_store(database_url, table=f"{store_table}_fresh")
    try:
        fresh.ensure_schema()
        assert table_columns(database_url, fresh.table) == table_columns(database_url, store_table)
    finally:
        fresh.close()
        drop_table(database_url, fresh.table)


@pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)
def test_store_newer_than_the_code_is_refused(database_url: str, store_table: str,
                                              open_store: Callable[..., ProgressStore]) -> None:
    open_store().ensure_schema()
    run_sql(database_url, [(f"UPDATE {META_TABLE} SET version = 99 WHERE table_name = ?", (store_table,))])
    with pytest.raises(PersistenceException, match="newer than this code"):
        open_store().get_attributes(ENV)


def test_ping_and_close(store: ProgressStore) -> None:
    assert store.ping() is True
    store.close()
    assert store.ping() is False
    with pytest.raises(PersistenceException):
        store.get_attributes(ENV)


def assert_faulty(store: ProgressStore) -> None:
    """Every operation raises PersistenceException chained to the driver's error; ping says False."""
    assert store.ping(wait=0.5) is False
    operations: list[Callable[[], object]] = [
        lambda: store.get_attributes(ENV),
        lambda: store.save_attributes(ENV, {"count": 1}),
        lambda: store.delete_attributes(ENV),
        lambda: store.update_attributes(ENV, increment),
    ]
    for operation in operations:
        with pytest.raises(PersistenceException) as caught:
            operation()
        assert caught.value.__cause__ is not None and not isinstance(caught.value.__cause__, PersistenceException)


def test_sqlite_folder_that_cannot_be_created(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    with SqliteStore(tmp_path / "a-file" / "store.sqlite") as broken:
        assert_faulty(broken)


def sqlite_fault_as_unprivileged(path: str) -> dict[str, Any]:
    """In a child process (as nobody when run as root, since root ignores file modes), poke the store."""
    if os.geteuid() == 0:
        os.setgid(65534)
        os.setuid(65534)
    outcome: dict[str, Any] = {}
    with SqliteStore(path) as faulty:
        outcome["ping"] = faulty.ping()
        for name, operation in [("get", lambda: faulty.get_attributes(ENV)),
                                ("save", lambda: faulty.save_attributes(ENV, {"count": 2})),
                                ("update", lambda: faulty.update_attributes(ENV, increment))]:
            try:
                operation()
                outcome[name] = "ok"
            except PersistenceException as err:
                outcome[name] = f"PersistenceException from {type(err.__cause__).__name__}"
    return outcome


@pytest.mark.parametrize("fault", ["read-only file", "read-only folder"])
def test_sqlite_storage_faults(fault: str) -> None:
    # tmp_path's parents are private to root, so an unprivileged child could not even reach them.
    with tempfile.TemporaryDirectory(prefix="footcoach-") as folder:
        path = Path(folder) / "store.sqlite"
        os.chmod(folder, 0o777)
        if fault == "read-only file":
            with SqliteStore(path) as writable:
                writable.save_attributes(ENV, {"count": 1})
            path.chmod(0o444)
            cause = "PersistenceException from OperationalError"   # "attempt to write a readonly database"
            expected = {"ping": False, "get": "ok", "save": cause, "update": cause}
        else:
            path = Path(folder) / "sub" / "store.sqlite"
            os.chmod(folder, 0o555)
            cause = "PersistenceException from PermissionError"    # creating the folder
            expected = {"ping": False, "get": cause, "save": cause, "update": cause}
        try:
            with ProcessPoolExecutor(max_workers=1, mp_context=SPAWN) as child:
                outcome = child.submit(sqlite_fault_as_unprivileged, str(path)).result(timeout=30)
        finally:
            os.chmod(folder, 0o755)
    assert outcome == expected


def test_the_postgres_driver_is_imported_only_when_used() -> None:
    code = "import sys, skill.persistence.sqlite, skill.persistence.postgres; print('psycopg' in sys.modules)"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           timeout=30, cwd=Path(__file__).resolve().parents[1])
    assert found.stdout.strip() == "False"


def test_postgres_server_down_fails_fast_and_cleanly() -> None:
    pytest.importorskip("psycopg_pool")
    began = time.monotonic()
    with PostgresStore("postgresql://postgres@127.0.0.1:1/test", timeout=0.3, retry_after=60) as down:
        assert time.monotonic() - began < 0.3          # construction does not wait for the server
        assert_faulty(down)                            # the first operation waits 0.3 s ...
    assert time.monotonic() - began < 1.5              # ... the others fail at once for retry_after


def test_postgres_url_settings_win_over_defaults() -> None:
    pytest.importorskip("psycopg_pool")
    with PostgresStore("postgresql://u@127.0.0.1:1/db?connect_timeout=1&application_name=mine") as unused:
        assert unused._pool.kwargs == {"options": "-c lock_timeout=5000"}
    with pytest.raises(ValueError, match="cannot parse") as caught:
        PostgresStore("postgresql://u:secret@[bad/db")
    assert "secret" not in str(caught.value)


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_postgres_recovers_from_terminated_connections(database_url: str,
                                                       open_store: Callable[..., ProgressStore]) -> None:
    name = f"footcoach-test-{os.getpid()}-{time.monotonic_ns()}"
    store = open_store(application_name=name, min_size=2)
    store.save_attributes(ENV, {"count": 1})
    terminate = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ?"
    (killed,) = run_sql(database_url, [(terminate, (name,))])
    assert len(killed) >= 1
    # Each connection is checked as it is handed out and a dead one replaced at once, so the very
    # next request succeeds, without the pool's second-long pause between dead connections.
    began = time.monotonic()
    assert store.update_attributes(ENV, increment) == {"count": 2, VERSION_KEY: 2}
    assert time.monotonic() - began < 1.0
    assert store.ping() is True


@pytest.mark.parametrize("url", ["sqlite:///data/progress.sqlite", "sqlite:////ABS/progress.sqlite"])
def test_make_store_sqlite_urls(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    url = url.replace("/ABS", str(tmp_path / "abs"))
    with make_store(url) as opened:
        assert isinstance(opened, SqliteStore)
        opened.save_attributes(ENV, {"count": 1})     # the missing folder is created
    assert (tmp_path / ("data" if "data" in url else "abs") / "progress.sqlite").is_file()


def test_make_store_postgres_urls_do_not_connect() -> None:
    pytest.importorskip("psycopg_pool")
    for url in ("postgres://u:pw@127.0.0.1:1/db", "postgresql://u@127.0.0.1:1/db"):
        opened = make_store(url, timeout=0.1)
        try:
            assert isinstance(opened, PostgresStore) and "pw" not in repr(opened)
        finally:
            opened.close()


@pytest.mark.parametrize("url", ["", "mysql://u:secret@host/db", "sqlite://", "sqlite:///",
                                 "sqlite:///:memory:", "sqlite://host/x.sqlite", "/tmp/x.sqlite"])
def test_make_store_rejects_other_urls(url: str) -> None:
    with pytest.raises(ValueError, match="sqlite:///") as caught:
        make_store(url)
    assert "secret" not in str(caught.value)


def test_table_name_must_be_a_plain_identifier(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="table name"):
        make_store(f"sqlite:///{tmp_path / 's.sqlite'}", table="progress; DROP TABLE x")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork(), as gunicorn's workers use")
def test_a_forked_worker_opens_its_own_sqlite_connection(tmp_path: Path) -> None:
    """A connection opened before fork() is never shared with the child; both keep working."""
    with SqliteStore(tmp_path / "forked.sqlite") as store:
        store.update_attributes(ENV, increment)
        parent = store._connection()
        readable, writable = os.pipe()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)   # newer Pythons warn about fork()
            pid = os.fork()
        if pid == 0:  # the child: answer through the pipe, then leave without running pytest's exit
            try:
                fresh = store._connection() is not parent
                counted = store.update_attributes(ENV, increment)["count"] == 2
                os.write(writable, b"1" if fresh and counted else b"0")
            finally:
                os._exit(0)
        os.close(writable)
        answer = os.read(readable, 1)
        os.close(readable)
        os.waitpid(pid, 0)
        assert answer == b"1"
        assert store._connection() is parent and store.get_attributes(ENV)["count"] == 2
