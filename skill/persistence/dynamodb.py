"""DynamoDB backend: one item per user key, compare-and-set by a ConditionExpression on its version.

``DATABASE_URL=dynamodb://TABLE?region=eu-west-1`` (``&endpoint=http://127.0.0.1:8000`` for a local
DynamoDB, ``&create=0`` where the table is made elsewhere, ``&connect_timeout=1&read_timeout=2`` in
seconds). The AWS SDK (botocore) is imported only when such a URL is used. Each item is laid out as
the ASK SDK's DynamoDbAdapter lays it out, so an Alexa-hosted skill's table (or one made for the SDK)
serves as it is: ``id`` (String, the partition key: the user key), ``attributes`` (Map: the
document), plus ``version`` (Number) and ``updated_at`` (String). Requests go through
dynamodb_client.py, the table is checked (or created) by dynamodb_table.py, values are converted
exactly by dynamodb_values.py.

Why not the SDK's ask-sdk-dynamodb-persistence-adapter: its save is an unconditional PutItem (last
writer wins, so two devices of one user lose each other's changes), its default argument builds a
boto3 resource when the module is imported (which fails where no region is configured), and it hands
back DynamoDB's Decimals, which session attributes cannot carry. Replacing those leaves nothing of it,
so this store uses the AWS SDK's low-level DynamoDB client directly.

There are no row locks in DynamoDB, so where SqlStore re-reads under a lock, this store re-reads
(strongly consistent) and writes conditionally again, with jittered backoff, until one write wins.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from ask_sdk_core.exceptions import PersistenceException
from ask_sdk_model import RequestEnvelope

from skill.persistence.dynamodb_client import DynamoClient
from skill.persistence.dynamodb_table import TableSetup, settings_from_url
from skill.persistence.dynamodb_values import decode_document, encode_document
from skill.persistence.health import StorageHealth, WriteOutcome
from skill.persistence.keys import KeyFunction, user_key
from skill.persistence.store import VERSION_KEY, StaleWriteError

PARTITION_KEY, DOCUMENT, VERSION, UPDATED_AT = "id", "attributes", "version", "updated_at"
HEALTH_KEY = "footcoach:health"   # the item the write probe writes; never a user key (those start amzn1.ask.)
_BACKOFF_BASE, _BACKOFF_CAP = 0.005, 0.25  # seconds: the least backoff window, and the most


class DynamoStore:
    """Keep one document per user key in a DynamoDB table, with a version for compare-and-set."""

    def __init__(self, table: str, *, region: str | None = None, endpoint: str | None = None,
                 create: bool = True, key_fn: KeyFunction = user_key, connect_timeout: float = 1.0,
                 read_timeout: float = 2.0, retry_after: float = 5.0) -> None:
        """Make the client (botocore, the AWS SDK's core, imported here); nothing is sent until the first operation.

        ``create``: make the table on first use if it is missing (else fail, naming what to make).
        Timeouts and ``retry_after`` (how long to fail at once after DynamoDB could not be reached):
        see dynamodb_client.DynamoClient.

        Raises:
            ValueError: no region is given or configured.
            ImportError: botocore is not installed.
        """
        from botocore.exceptions import NoRegionError

        self.table, self.endpoint = table, endpoint
        self._key = key_fn
        try:
            self._client = DynamoClient(name=f"DynamoStore({table!r})", region=region, endpoint=endpoint,
                                        connect_timeout=connect_timeout, read_timeout=read_timeout,
                                        retry_after=retry_after, not_found_hint=lambda: self._setup.what_to_create())
        except NoRegionError:
            raise ValueError(f"DATABASE_URL dynamodb://{table} names no region: add ?region=eu-west-1 "
                             "(or set AWS_REGION)") from None
        self.region = self._client.region
        self._client.name = repr(self)
        self._setup = TableSetup(table, self.region, create=create, partition_key=PARTITION_KEY)
        self._schema_lock = threading.Lock()
        self._schema_ready = False

    @classmethod
    def from_url(cls, url: str, *, table: str | None = None, **options: Any) -> DynamoStore:
        """Build the store ``dynamodb://TABLE?region=...&endpoint=...&create=0|1`` names (``table`` overrides TABLE).

        ``connect_timeout=`` and ``read_timeout=`` (seconds) in the URL win over ``options``.

        Raises:
            ValueError: the URL names no table, or has an option this store does not know.
        """
        settings = settings_from_url(url)
        if table:
            settings["table"] = table
        return cls(**{**options, **settings})

    def __repr__(self) -> str:
        where = f", endpoint={self.endpoint!r}" if self.endpoint else ""
        return f"DynamoStore({self.table!r}, region={self.region!r}{where})"

    # --- the ProgressStore contract ----------------------------------------------------------

    def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, Any]:
        """Return the user's attributes plus VERSION_KEY, or {} for an unknown user."""
        return self._read(self._key(request_envelope), kind="read")

    def save_attributes(self, request_envelope: RequestEnvelope, attributes: dict[str, Any]) -> None:
        """Write the attributes if the item still has the version they were read at (see SqlStore).

        Raises:
            StaleWriteError: another writer got there first (or the item was deleted).
            PersistenceException: the attributes cannot be stored, or DynamoDB failed.
        """
        key = self._key(request_envelope)
        attributes[VERSION_KEY] = self._write(key, attributes, attributes.get(VERSION_KEY))

    def update_attributes(self, request_envelope: RequestEnvelope,
                          change: Callable[[dict[str, Any]], dict[str, Any]],
                          attempts: int = 32, *, read: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Apply ``change`` to the stored document and write it conditionally, until a write wins.

        With ``read`` (what get_attributes returned in this request) the first try writes the change
        of what was read, without reading again; each later try re-reads and applies ``change``
        again, so ``change`` must be quick, without side effects, and add counters (see SqlStore).

        ``attempts``: more by default than SqlStore's 8, which rarely retries at all because its read
        locks the row. Here every racing writer retries: with 8 writers of one item flat out, some
        writes need a dozen tries (the test's figures: 1 try for 45 %, at most 14 of 400 writes).

        Raises:
            StaleWriteError: every attempt lost a race.
        """
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        key = self._key(request_envelope)
        if read is not None:
            known = {name: value for name, value in read.items() if name != VERSION_KEY}
            try:
                return self._change_and_write(key, change, known, read.get(VERSION_KEY))
            except StaleWriteError:
                attempts -= 1   # someone else saved since the read: read again, below
                if attempts < 1:
                    raise
        for attempt in range(attempts):
            began = time.monotonic()
            current = self._read(key, kind="save")
            version = current.pop(VERSION_KEY, None)
            try:
                return self._change_and_write(key, change, current, version)
            except StaleWriteError as err:
                if attempt + 1 == attempts:
                    raise StaleWriteError(f"gave up after {attempts} attempts: {err}") from err
                # Full jitter over a window that doubles from one read-and-write's time: racing
                # writers spread out within a few tries whatever DynamoDB's latency is right now.
                window = max(time.monotonic() - began, _BACKOFF_BASE) * 2 ** attempt
                time.sleep(random.uniform(0, min(_BACKOFF_CAP, window)))
        raise AssertionError("unreachable")

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        """Delete the user's item (no error if there is none)."""
        self._call("delete_item", "save", TableName=self.table,
                   Key={PARTITION_KEY: {"S": self._key(request_envelope)}})

    def ping(self, wait: float = 2.0) -> bool:
        """Return whether the table takes writes now, by writing its health item; never raises.

        A real PutItem (of an item no user key can name), so a table that only reads (throttled,
        a role without PutItem) shows here as it does for saves. ``wait`` is not used: the client's
        timeouts bound it. A failure is logged with the store's fault episode, not per call.
        """
        try:
            self._call("put_item", "health check", TableName=self.table, Item={
                PARTITION_KEY: {"S": HEALTH_KEY}, UPDATED_AT: {"S": datetime.now(timezone.utc).isoformat()}})
        except PersistenceException:
            return False
        return True

    def last_write(self) -> WriteOutcome | None:
        """The outcome of this process's last save and its age (None before the first)."""
        return self.health.last_write()

    def ensure_schema(self) -> None:
        """Check the table (create it when allowed and missing) now instead of on first use."""
        self._ready("schema")

    @property
    def health(self) -> StorageHealth:
        """How this store's operations are going (the fault episodes in the log, the last save)."""
        return self._client.health

    @property
    def closed(self) -> bool:
        """Whether close() was called."""
        return self._client.closed

    def close(self) -> None:
        """Close the client's connections; later operations raise PersistenceException."""
        self._client.close()

    def __enter__(self) -> DynamoStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- machinery ---------------------------------------------------------------------------

    def _read(self, key: str, *, kind: str) -> dict[str, Any]:
        # Strongly consistent: a re-read after a lost race must see the write that won it.
        found = self._call("get_item", kind, TableName=self.table, Key={PARTITION_KEY: {"S": key}}, ConsistentRead=True)
        item = found.get("Item")
        if item is None:
            return {}
        attributes = decode_document(item.get(DOCUMENT, {}).get("M", {}))
        # An item the SDK's adapter wrote has no version: version 0, which a write then expects.
        attributes[VERSION_KEY] = int(item[VERSION]["N"]) if VERSION in item else 0
        return attributes

    def _change_and_write(self, key: str, change: Callable[[dict[str, Any]], dict[str, Any]],
                          current: dict[str, Any], version: object) -> dict[str, Any]:
        updated = dict(change(current))
        updated[VERSION_KEY] = self._write(key, updated, version)
        return updated

    def _write(self, key: str, attributes: Mapping[str, Any], expected: object) -> int:
        """Put the item if it is still at version ``expected`` (None: if it does not exist); return the new version."""
        if expected is not None and (not isinstance(expected, int) or isinstance(expected, bool)):
            raise PersistenceException(f"{VERSION_KEY} must be the integer version from get_attributes")
        new = 1 if expected is None else expected + 1
        item = {PARTITION_KEY: {"S": key},
                DOCUMENT: {"M": encode_document({k: v for k, v in attributes.items() if k != VERSION_KEY})},
                VERSION: {"N": str(new)},
                UPDATED_AT: {"S": datetime.now(timezone.utc).isoformat(timespec="milliseconds")}}
        condition: dict[str, Any]
        if expected is None:
            condition = {"ConditionExpression": "attribute_not_exists(#id)", "ExpressionAttributeNames": {"#id": PARTITION_KEY}}
        elif expected == 0:
            condition = {"ConditionExpression": "attribute_exists(#id) AND attribute_not_exists(#v)",
                         "ExpressionAttributeNames": {"#id": PARTITION_KEY, "#v": VERSION}}
        else:
            condition = {"ConditionExpression": "#v = :expected", "ExpressionAttributeNames": {"#v": VERSION},
                         "ExpressionAttributeValues": {":expected": {"N": str(expected)}}}
        try:
            self._call("put_item", "save", TableName=self.table, Item=item, **condition)
        except StaleWriteError:
            raise StaleWriteError(f"item in {self.table!r} changed since it was read "
                                  f"(expected {'no item' if expected is None else f'version {expected}'})") from None
        return new

    def _ready(self, kind: str) -> None:
        """Check the table once (on the first operation, of this kind); a failure is told to self.health."""
        if self._schema_ready:
            return
        with self._schema_lock:
            if self._schema_ready:
                return
            try:
                self._setup.ensure(lambda operation, **params: self._client.request(operation, params, None))
            except PersistenceException as err:
                self.health.failed(kind, err)
                raise
            self._schema_ready = True

    def _call(self, operation: str, kind: str, **params: Any) -> dict[str, Any]:
        self._ready(kind)
        return self._client.request(operation, params, kind)

    def _live_client(self) -> Any:
        """The botocore client this process uses (for tests: a forked worker makes its own)."""
        return self._client.live_client()
