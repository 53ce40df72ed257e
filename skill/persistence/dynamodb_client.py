"""Talking to DynamoDB: one botocore client per process, bounded waits, fast failure in an outage, fault episodes.

Every request goes through ``DynamoClient.request``: a botocore error becomes PersistenceException
(the original chained) and is told to the store's StorageHealth (one traceback per outage, then
counts); a failed ConditionExpression becomes StaleWriteError, a lost race rather than a fault.
botocore's client is boto3's client: boto3 itself (resources, s3transfer) would only add import time.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from ask_sdk_core.exceptions import PersistenceException

from skill.persistence.dynamodb_table import error_code
from skill.persistence.health import StorageHealth
from skill.persistence.store import StaleWriteError

log = logging.getLogger("skill.persistence.dynamodb")

# Bumped in a forked child: a client (and its connection pool) made before fork() is not used after.
_forks = 0


def _forked() -> None:
    global _forks
    _forks += 1


os.register_at_fork(after_in_child=_forked)


class DynamoClient:
    """The low-level DynamoDB client of one store, with its timeouts, outage memory and health."""

    def __init__(self, *, name: str, region: str | None, endpoint: str | None, connect_timeout: float,
                 read_timeout: float, retry_after: float, not_found_hint: Callable[[], str]) -> None:
        """Make the client (botocore imported here); nothing is sent yet.

        Requests give up after ``connect_timeout``/``read_timeout`` seconds (one retry for throttling
        and transient errors); after DynamoDB could not be reached, requests fail at once for
        ``retry_after`` seconds instead of each waiting again (a turn makes two, within Alexa's 8 s).

        Raises:
            botocore.exceptions.NoRegionError: no region is given or configured.
        """
        import botocore.session
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, HTTPClientError

        self.name, self.retry_after = name, retry_after
        self._errors = (BotoCoreError, ClientError)
        self._unreachable = (ConnectionError, HTTPClientError)   # refused, timed out, dropped
        self._not_found_hint = not_found_hint
        config = Config(connect_timeout=connect_timeout, read_timeout=read_timeout,
                        retries={"mode": "standard", "total_max_attempts": 2}, max_pool_connections=20)
        self._new_client: Callable[[], Any] = lambda: botocore.session.get_session().create_client(
            "dynamodb", region_name=region, endpoint_url=endpoint, config=config)
        self._client, self._client_forks = self._new_client(), _forks
        self.region: str = self._client.meta.region_name
        self._lock = threading.Lock()
        self.closed = False
        self._down_until, self._down_error = 0.0, None
        self.health = StorageHealth("storage", log)

    def request(self, operation: str, params: Mapping[str, Any], kind: str | None) -> dict[str, Any]:
        """Send one request (``kind`` None: its failure is no fault to report, as the table check's "not found").

        Raises:
            StaleWriteError: a ConditionExpression did not hold (DynamoDB answered: a lost race).
            PersistenceException: anything else that failed, the botocore error chained.
        """
        try:
            if self.closed:
                raise PersistenceException(f"{self.name} is closed")
            if time.monotonic() < self._down_until:
                raise PersistenceException(f"{self.name}: DynamoDB unreachable moments ago; not waiting again yet") \
                    from self._down_error
            try:
                result: dict[str, Any] = getattr(self._live_client(), operation)(**params)
            except self._errors as err:
                code = error_code(err)
                if code == "ConditionalCheckFailedException":
                    raise StaleWriteError(f"{self.name}: the condition of {operation} failed") from err
                if isinstance(err, self._unreachable):
                    self._down_until, self._down_error = time.monotonic() + self.retry_after, err
                hint = f" {self._not_found_hint()}" if code == "ResourceNotFoundException" else ""
                raise PersistenceException(f"{self.name} {operation}: {type(err).__name__}: {err}{hint}") from err
        except StaleWriteError:
            raise
        except PersistenceException as err:
            if kind is not None:
                self.health.failed(kind, err)
            raise
        if kind is not None:
            self.health.succeeded(kind)
        return result

    def close(self) -> None:
        """Close the client's connections; later requests raise PersistenceException."""
        self.closed = True
        self._client.close()

    def live_client(self) -> Any:
        """The botocore client of this process (a forked worker makes its own)."""
        return self._live_client()

    def _live_client(self) -> Any:
        if self._client_forks != _forks:
            with self._lock:
                if self._client_forks != _forks:
                    self._client, self._client_forks = self._new_client(), _forks
        return self._client
