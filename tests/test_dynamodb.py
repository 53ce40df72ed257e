"""What only the DynamoDB store has: its URL, its table, its item layout, exact numbers, outages, devices racing.

The contract it shares with the SQL stores is tested in test_persistence.py (parametrised over all
three); everything here runs against moto's DynamoDB server on 127.0.0.1 (dynamodb_fixtures.py).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import subprocess
import sys
import time
import uuid
import warnings
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alexa_requests import PERSON_ID, USER_ID, launch, to_model
from ask_sdk_core.exceptions import PersistenceException
from botocore.exceptions import ClientError
from dynamodb_fixtures import REGION, dynamodb_client, dynamodb_url, moto_server
from test_persistence import assert_faulty, increment

from skill.persistence import VERSION_KEY, make_store
from skill.persistence.dynamodb import HEALTH_KEY, DynamoStore
from skill.persistence.dynamodb_table import TableSetup

pytestmark = pytest.mark.dynamodb
ENV = to_model(launch())
SPAWN = multiprocessing.get_context("spawn")


@pytest.fixture
def table() -> str:
    """A table name no other test uses."""
    return f"footcoach-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def dynamo(moto_endpoint: str, table: str) -> Iterator[DynamoStore]:
    """A store on a fresh table of the session's moto server."""
    with DynamoStore.from_url(dynamodb_url(moto_endpoint, table)) as store:
        yield store


# --- the URL ---------------------------------------------------------------------------------------

def test_the_url_names_table_region_endpoint_and_whether_to_create(moto_endpoint: str) -> None:
    store = make_store(f"dynamodb://Foot-Coach.progress?region=eu-west-1&endpoint={moto_endpoint}&create=0"
                       "&connect_timeout=0.5&read_timeout=3")
    assert isinstance(store, DynamoStore)
    assert (store.table, store.region, store.endpoint, store._setup.create) == (
        "Foot-Coach.progress", "eu-west-1", moto_endpoint, False)   # the table name keeps its case
    assert repr(store) == f"DynamoStore('Foot-Coach.progress', region='eu-west-1', endpoint='{moto_endpoint}')"
    assert make_store(f"dynamodb://ignored?region={REGION}", table="mine").table == "mine"   # as tests use it


@pytest.mark.parametrize("url, message", [
    ("dynamodb://?region=eu-west-1", "expected dynamodb://TABLE"),
    ("dynamodb://t/extra?region=eu-west-1", "expected dynamodb://TABLE"),
    ("dynamodb://t?region=eu-west-1&tabel=x", "unknown: ['tabel']"),
    ("dynamodb://t?region=eu-west-1&create=maybe", "create= must be 1 or 0"),
    ("dynamodb://t?region=eu-west-1&read_timeout=soon", "read_timeout= must be a number"),
])
def test_a_url_it_cannot_use_is_refused_saying_why(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        make_store(url)


def test_a_url_without_a_region_says_how_to_give_one(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ValueError, match=r"add \?region=eu-west-1 \(or set AWS_REGION\)"):
        make_store("dynamodb://progress")


def test_the_aws_sdk_is_imported_only_when_dynamodb_is_used() -> None:
    """A SQLite or PostgreSQL deployment never pays for importing botocore (nor boto3, which the store never uses)."""
    code = ("import sys, skill.app, skill.persistence.dynamodb_values; from skill.persistence import make_store; "
            "make_store('sqlite:////tmp/unused.sqlite').close(); print('boto3' in sys.modules, 'botocore' in sys.modules)")
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60,
                           cwd=Path(__file__).resolve().parents[1])
    assert found.stdout.strip() == "False False"


# --- the table -------------------------------------------------------------------------------------

def test_the_table_is_created_on_first_use_as_the_alexa_hosted_one_is(dynamo: DynamoStore, moto_endpoint: str) -> None:
    dynamo.save_attributes(ENV, {"count": 1})
    described = dynamodb_client(moto_endpoint).describe_table(TableName=dynamo.table)["Table"]
    assert described["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert described["AttributeDefinitions"] == [{"AttributeName": "id", "AttributeType": "S"}]
    assert described["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


def test_a_missing_table_that_may_not_be_created_is_named_with_the_command_that_creates_it(
        moto_endpoint: str, table: str) -> None:
    with DynamoStore.from_url(dynamodb_url(moto_endpoint, table, create="0")) as store:
        with pytest.raises(PersistenceException) as caught:
            store.get_attributes(ENV)
        assert store.ping() is False
    message = str(caught.value)
    assert f"DynamoDB table '{table}' does not exist (create=0)" in message
    assert (f"aws dynamodb create-table --table-name {table} --attribute-definitions AttributeName=id,AttributeType=S "
            f"--key-schema AttributeName=id,KeyType=HASH --billing-mode PAY_PER_REQUEST --region {REGION}") in message
    with pytest.raises(ClientError):   # and it did not make one
        dynamodb_client(moto_endpoint).describe_table(TableName=table)


def test_a_table_with_another_key_is_refused(moto_endpoint: str, table: str) -> None:
    dynamodb_client(moto_endpoint).create_table(
        TableName=table, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "userId", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "userId", "KeyType": "HASH"}])
    with DynamoStore.from_url(dynamodb_url(moto_endpoint, table)) as store:
        with pytest.raises(PersistenceException, match="needs partition key 'id' of type String and no sort key"):
            store.save_attributes(ENV, {"count": 1})


def test_a_role_that_may_not_create_the_table_gets_the_same_instructions() -> None:
    """CreateTable refused (AccessDenied, as IAM answers): the error says what to create, with the command."""
    def denied(operation: str, **params: Any) -> dict[str, Any]:
        code = "ResourceNotFoundException" if operation == "describe_table" else "AccessDeniedException"
        cause = ClientError({"Error": {"Code": code, "Message": "no"}}, operation)
        raise PersistenceException(f"{operation} failed") from cause

    with pytest.raises(PersistenceException, match="this role may not create it. Create the DynamoDB table 'p'"):
        TableSetup("p", "eu-west-1", create=True, partition_key="id").ensure(denied)


def test_the_table_disappearing_later_is_reported_with_what_to_create(dynamo: DynamoStore, moto_endpoint: str) -> None:
    dynamo.save_attributes(ENV, {"count": 1})
    dynamodb_client(moto_endpoint).delete_table(TableName=dynamo.table)
    with pytest.raises(PersistenceException, match="ResourceNotFoundException.*aws dynamodb create-table"):
        dynamo.get_attributes(ENV)


# --- the item --------------------------------------------------------------------------------------

def test_the_item_is_laid_out_as_the_sdk_adapter_lays_it_out(dynamo: DynamoStore, moto_endpoint: str) -> None:
    """id + attributes (a map, readable in the AWS console), plus version and updated_at."""
    dynamo.save_attributes(to_model(launch(person_id=PERSON_ID)), {"pace": 85, "place": {"exercise": "toe_press"}})
    item = dynamodb_client(moto_endpoint).get_item(TableName=dynamo.table, Key={"id": {"S": PERSON_ID}})["Item"]
    assert set(item) == {"id", "attributes", "version", "updated_at"}
    assert item["attributes"] == {"M": {"pace": {"N": "85"}, "place": {"M": {"exercise": {"S": "toe_press"}}}}}
    assert item["version"] == {"N": "1"} and item["updated_at"]["S"].endswith("+00:00")


def test_an_item_the_sdk_adapter_wrote_is_read_and_then_versioned(dynamo: DynamoStore, moto_endpoint: str) -> None:
    """A table that ask-sdk-dynamodb's adapter filled (no version attribute) keeps working, with compare-and-set."""
    dynamo.ensure_schema()
    dynamodb_client(moto_endpoint).put_item(TableName=dynamo.table, Item={
        "id": {"S": USER_ID}, "attributes": {"M": {"count": {"N": "4"}}}})
    read = dynamo.get_attributes(ENV)
    assert read == {"count": 4, VERSION_KEY: 0}
    assert dynamo.update_attributes(ENV, increment, read=read) == {"count": 5, VERSION_KEY: 1}
    with pytest.raises(PersistenceException):      # the old read is stale now
        dynamo.save_attributes(ENV, {**read, "count": 9})


EXACT = {
    "ints": [0, 1, -1, 7, 2**53 + 1, 10**37 + 1, -(10**37) - 1, 10**38, 10**125],
    "floats": [0.5, -2.5, 0.1, 0.1 + 0.2, 1 / 3, 2.0**-60, 1e-130, 1.7976931348623157e125, 123456.789],
    "mixed": {"bool": True, "off": False, "none": None, "text": "", "nested": [[1.25, {"deep": -0.001}]]},
}


def test_numbers_come_back_exactly_as_int_and_float_never_decimal(dynamo: DynamoStore) -> None:
    dynamo.save_attributes(ENV, EXACT)
    back = dynamo.get_attributes(ENV)
    assert back == {**EXACT, VERSION_KEY: 1}

    def kinds(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: kinds(v) for k, v in value.items()}
        if isinstance(value, list):
            return [kinds(v) for v in value]
        return type(value).__name__

    assert kinds(back) == kinds({**EXACT, VERSION_KEY: 1})   # True stays True (not 1), 0.5 stays a float
    assert not any(isinstance(v, Decimal) for v in back["ints"] + back["floats"])
    dynamo.save_attributes(ENV, {"whole": 2.0, VERSION_KEY: 1})
    assert dynamo.get_attributes(ENV)["whole"] == 2   # DynamoDB keeps no trailing zeros: equal, as an int


@pytest.mark.parametrize("number", [2**127, 1e-200, 5e-324, 1e200, float("inf"), float("nan")], ids=repr)
def test_numbers_dynamodb_cannot_hold_exactly_are_refused_before_sending(dynamo: DynamoStore, number: float) -> None:
    with pytest.raises(PersistenceException, match="cannot be stored"):
        dynamo.save_attributes(ENV, {"n": [number]})
    assert dynamo.get_attributes(ENV) == {}


def test_forget_me_deletes_the_item(dynamo: DynamoStore, moto_endpoint: str) -> None:
    dynamo.save_attributes(ENV, {"count": 3})
    dynamo.delete_attributes(ENV)
    assert "Item" not in dynamodb_client(moto_endpoint).get_item(TableName=dynamo.table, Key={"id": {"S": USER_ID}})


# --- outages ---------------------------------------------------------------------------------------

def test_dynamodb_stopped_mid_run_fails_fast_then_recovers_with_nothing_lost(table: str) -> None:
    """The server goes away: every operation fails cleanly (and at once, for a while); then all is back."""
    with moto_server() as server:
        store = DynamoStore.from_url(dynamodb_url(server.endpoint, table), retry_after=0.5, read_timeout=5)
        store.update_attributes(ENV, increment)
        server.stop()
        began = time.monotonic()
        assert_faulty(store)                        # the first failure is a refused connection: quick
        with pytest.raises(PersistenceException, match="unreachable moments ago"):
            store.get_attributes(ENV)               # and for retry_after s nothing waits again
        assert time.monotonic() - began < 3
        server.start()
        time.sleep(0.6)
        assert store.ping() is True
        assert store.update_attributes(ENV, increment) == {"count": 2, VERSION_KEY: 2}
        store.close()


def test_an_unreachable_endpoint_fails_within_its_timeouts(table: str) -> None:
    with moto_server() as server:
        server.stop()                               # nothing listens there now
        store = DynamoStore.from_url(dynamodb_url(server.endpoint, table), connect_timeout=0.5, retry_after=60)
        began = time.monotonic()
        assert_faulty(store)
        assert time.monotonic() - began < 3
        store.close()


# --- devices racing --------------------------------------------------------------------------------

def device_turns(url: str, turns: int, start: Any, results: Any) -> None:
    """One device of the user: each turn reads, then writes over what it read, as a turn of the skill does."""
    tries = 0

    def count_a_session(stored: dict[str, Any]) -> dict[str, Any]:
        nonlocal tries
        tries += 1
        return {**stored, "sessions": stored.get("sessions", 0) + 1}   # a counter: added, never copied

    try:
        with make_store(url) as store:
            envelope = to_model(launch())
            store.get_attributes(envelope)      # connected, before the race starts
            start.wait(timeout=60)
            began = time.monotonic()
            for _ in range(turns):
                read = store.get_attributes(envelope)
                store.update_attributes(envelope, count_a_session, read=read)
        results.put(("ok", time.monotonic() - began, tries))
    except Exception as err:  # noqa: BLE001 - anything must reach the parent, not die with the child
        results.put(("error", repr(err), tries))


def test_devices_of_one_user_in_separate_processes_lose_no_update(moto_endpoint: str, table: str) -> None:
    """4 processes, 50 turns each, all on one user's item at once: every counter update is kept."""
    devices, turns = 4, 50
    url = dynamodb_url(moto_endpoint, table)
    make_store(url).ensure_schema()
    start, results = SPAWN.Barrier(devices), SPAWN.Queue()
    processes = [SPAWN.Process(target=device_turns, args=(url, turns, start, results)) for _ in range(devices)]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=10)
    assert [status for status, *_ in outcomes] == ["ok"] * devices, outcomes
    with make_store(url) as check:
        stored = check.get_attributes(ENV)
    saves, tries = devices * turns, sum(t for *_, t in outcomes)
    lost = saves - stored["sessions"]
    print(f"\nDynamoDB, one user: {devices} devices x {turns} turns = {saves} saves, {tries - saves} retried "
          f"after a lost race, {lost} lost; {max(s for _, s, _ in outcomes):.1f} s")
    assert lost == 0 and stored[VERSION_KEY] == saves


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork(), as gunicorn's workers use")
def test_a_forked_worker_makes_its_own_client(dynamo: DynamoStore) -> None:
    """A client (and its connection pool) made before fork() is never used by the child; both keep working."""
    dynamo.update_attributes(ENV, increment)
    parent = dynamo._live_client()
    readable, writable = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)   # newer Pythons warn about fork() with threads
        pid = os.fork()
    if pid == 0:  # the child: answer through the pipe, then leave without running pytest's exit
        try:
            fresh = dynamo._live_client() is not parent
            counted = dynamo.update_attributes(ENV, increment)["count"] == 2
            os.write(writable, b"1" if fresh and counted else b"0")
        finally:
            os._exit(0)
    os.close(writable)
    answer = os.read(readable, 1)
    os.close(readable)
    os.waitpid(pid, 0)
    assert answer == b"1"
    assert dynamo._live_client() is parent and dynamo.get_attributes(ENV)["count"] == 2


def test_a_lost_race_is_no_storage_fault(dynamo: DynamoStore, caplog: pytest.LogCaptureFixture) -> None:
    """A ConditionExpression that fails is DynamoDB answering: never logged as an outage, the save counts as saved."""
    read = dynamo.get_attributes(ENV)
    dynamo.update_attributes(ENV, increment, read=read)
    with caplog.at_level(logging.INFO):
        assert dynamo.update_attributes(ENV, increment, read=read)["count"] == 2   # stale first try, then merged
    assert not [r for r in caplog.records if "unreachable" in r.getMessage()]
    last = dynamo.last_write()
    assert last is not None and last.saved


def test_the_health_check_writes_a_health_item_no_user_can_have(dynamo: DynamoStore, moto_endpoint: str) -> None:
    assert dynamo.ping() is True
    item = dynamodb_client(moto_endpoint).get_item(TableName=dynamo.table, Key={"id": {"S": HEALTH_KEY}})["Item"]
    assert set(item) == {"id", "updated_at"} and not HEALTH_KEY.startswith("amzn1.")
    assert dynamo.last_write() is None            # a health check is no save
