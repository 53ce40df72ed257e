"""The DynamoDB table a DynamoStore needs: named by its URL, checked on first use, created when allowed.

One table, partition key ``id`` (String), no sort key, on-demand capacity. A table that exists is
only checked (its key must be that one); one that does not is created when the store may create it
(``create=1``, the default, and the CreateTable right), otherwise the error says what to create,
as the command that creates it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ask_sdk_core.exceptions import PersistenceException

log = logging.getLogger(__name__)

Request = Callable[..., dict[str, Any]]   # request(operation, **params): one DynamoDB call, or PersistenceException
ACTIVE_WAIT_S = 60.0   # a new on-demand table takes a few seconds to become ACTIVE
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}
URL_OPTIONS = ("region", "endpoint", "create", "connect_timeout", "read_timeout")


def settings_from_url(url: str) -> dict[str, Any]:
    """DynamoStore's settings from ``dynamodb://TABLE?region=...&endpoint=...&create=0|1&read_timeout=2``.

    Raises:
        ValueError: the URL names no table, or has an option, or a value, this store does not know.
    """
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    unknown = sorted(set(query) - set(URL_OPTIONS))
    if not parts.netloc or parts.path not in ("", "/") or unknown:   # netloc, not hostname: keep the case
        raise ValueError(f"DATABASE_URL {url!r}: expected dynamodb://TABLE?region=REGION, optionally with "
                         f"&endpoint=http://host:port and &create=0" + (f" (unknown: {unknown})" if unknown else ""))
    settings: dict[str, Any] = {"table": parts.netloc, "region": query.get("region") or None,
                                "endpoint": query.get("endpoint") or None}
    create = query.get("create", "1").lower()
    if create not in _TRUE | _FALSE:
        raise ValueError(f"DATABASE_URL {url!r}: create= must be 1 or 0")
    settings["create"] = create in _TRUE
    for timeout in ("connect_timeout", "read_timeout"):
        if timeout in query:
            try:
                settings[timeout] = float(query[timeout])
            except ValueError:
                raise ValueError(f"DATABASE_URL {url!r}: {timeout}= must be a number of seconds") from None
    return settings


class TableSetup:
    """Check, and if need be create, one table with a String partition key and no sort key."""

    def __init__(self, table: str, region: str | None, *, create: bool, partition_key: str) -> None:
        self.table, self.region, self.create, self.partition_key = table, region, create, partition_key

    def what_to_create(self) -> str:
        """What to create, as a sentence and the AWS CLI command that does it."""
        region = f" --region {self.region}" if self.region else ""
        return (f"Create the DynamoDB table {self.table!r}: partition key {self.partition_key!r} of type String, "
                f"no sort key, on-demand capacity: aws dynamodb create-table --table-name {self.table} "
                f"--attribute-definitions AttributeName={self.partition_key},AttributeType=S "
                f"--key-schema AttributeName={self.partition_key},KeyType=HASH --billing-mode PAY_PER_REQUEST{region}")

    def ensure(self, request: Request) -> None:
        """Make sure the table exists, is ACTIVE and has our key; create it if allowed.

        Raises:
            PersistenceException: the table is missing and may not be created (the message says what
            to create), it has another key, or DynamoDB failed.
        """
        try:
            table = request("describe_table", TableName=self.table)["Table"]
        except PersistenceException as err:
            code = error_code(err.__cause__)
            if code == "AccessDeniedException":
                # A role that may read and write items but not describe tables (an Alexa-hosted
                # skill's may be one): the first item operation will say whether the table is there.
                log.info("not allowed to describe DynamoDB table %r; assuming it is ready", self.table)
                return
            if code != "ResourceNotFoundException":
                raise
            table = self._create(request)
        self._check_key(table)
        deadline = time.monotonic() + ACTIVE_WAIT_S
        while table.get("TableStatus") not in ("ACTIVE", "UPDATING"):
            if time.monotonic() > deadline:
                raise PersistenceException(f"DynamoDB table {self.table!r} is still {table.get('TableStatus')}")
            time.sleep(0.5)
            table = request("describe_table", TableName=self.table)["Table"]

    def _create(self, request: Request) -> dict[str, Any]:
        if not self.create:
            raise PersistenceException(f"DynamoDB table {self.table!r} does not exist (create=0). {self.what_to_create()}")
        try:
            created = request("create_table", TableName=self.table, BillingMode="PAY_PER_REQUEST",
                              AttributeDefinitions=[{"AttributeName": self.partition_key, "AttributeType": "S"}],
                              KeySchema=[{"AttributeName": self.partition_key, "KeyType": "HASH"}])
        except PersistenceException as err:
            code = error_code(err.__cause__)
            if code == "ResourceInUseException":     # another process is creating it right now
                described: dict[str, Any] = request("describe_table", TableName=self.table)["Table"]
                return described
            if code == "AccessDeniedException":
                raise PersistenceException(f"DynamoDB table {self.table!r} does not exist and this role may not "
                                           f"create it. {self.what_to_create()}") from err.__cause__
            raise
        log.info("created DynamoDB table %r in %s", self.table, self.region)
        description: dict[str, Any] = created["TableDescription"]
        return description

    def _check_key(self, table: dict[str, Any]) -> None:
        key = [(k["AttributeName"], k["KeyType"]) for k in table.get("KeySchema", [])]
        types = {d["AttributeName"]: d["AttributeType"] for d in table.get("AttributeDefinitions", [])}
        if key != [(self.partition_key, "HASH")] or types.get(self.partition_key) != "S":
            raise PersistenceException(
                f"DynamoDB table {self.table!r} has the key {key} ({types}); Foot Coach needs partition key "
                f"{self.partition_key!r} of type String and no sort key. Use another table. {self.what_to_create()}")


def error_code(err: BaseException | None) -> str | None:
    """The AWS error code of a botocore ClientError (None for anything else)."""
    response = getattr(err, "response", None)
    return response.get("Error", {}).get("Code") if isinstance(response, dict) else None
