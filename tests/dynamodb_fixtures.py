"""A real DynamoDB API on 127.0.0.1 for the tests: moto's standalone server, never a mock object.

The store talks HTTP to moto's ThreadedMotoServer exactly as it talks to DynamoDB; other processes
(workers, the Lambda zip in a clean venv) reach the same server. One server runs for the session, in
a process of its own; tests that stop it mid-run (outages) start their own with ``moto_server()``
(stopped and started again in the same process, it keeps its tables, as DynamoDB would).

moto's conditional PutItem checks the condition and then stores the item as two Python steps, with
nothing between concurrent requests (moto/dynamodb/models/table.py, Table.put_item), while DynamoDB
applies a conditional write to an item atomically. The server here therefore answers one request
at a time, so that a lost update in the concurrency tests would be ours, never moto's (with the
requests interleaved, moto itself loses some: see test_dynamodb.py).

Credentials are dummies, and the shared AWS config files are pointed away, so no test can reach a
real AWS account whatever the machine has configured; the endpoint is always 127.0.0.1.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from moto.server import ThreadedMotoServer

REGION = "us-east-1"
AWS_TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION, "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}


class OneAtATime:
    """A WSGI app that lets one request in at a time (DynamoDB's per-item atomic conditional writes)."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self.lock:
            return list(self.app(environ, start_response))


def _no_delay(handler: type[Any]) -> type[Any]:
    """The request handler, sending each write at once (TCP_NODELAY).

    werkzeug writes a response's head and body separately; with Nagle's algorithm on, the body
    waits for the client's delayed ACK of the head, some 40 ms on every keep-alive request.
    """

    class NoDelay(handler):  # type: ignore[misc,valid-type]
        def setup(self) -> None:
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    return NoDelay


class MotoServer:
    """moto's ThreadedMotoServer on 127.0.0.1; stop() and start() again keep the tables (moto's state is per process)."""

    def __init__(self, port: int = 0, *, serialized: bool = True) -> None:
        self.port = port
        self.serialized = serialized
        self._server: ThreadedMotoServer | None = None

    @property
    def endpoint(self) -> str:
        """The base URL boto3 is pointed at."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> MotoServer:
        """Start serving (on the same port as before, after a stop)."""
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        server.start()
        self.port = server.get_host_and_port()[1]
        wsgi = server._server  # the werkzeug server ThreadedMotoServer made; no request has reached it yet
        assert wsgi is not None
        if self.serialized:
            wsgi.app = OneAtATime(wsgi.app)
        wsgi.RequestHandlerClass = _no_delay(wsgi.RequestHandlerClass)
        self._server = server
        return self

    def stop(self) -> None:
        """Stop serving: connections are refused until start()."""
        if self._server is not None:
            self._server.stop()
            self._server = None


def use_test_credentials() -> None:
    """Dummy AWS credentials and region for this process and the processes it starts."""
    os.environ.update(AWS_TEST_ENV)


@contextmanager
def moto_server(**options: Any) -> Iterator[MotoServer]:
    """A moto server of the test's own, always stopped afterwards."""
    use_test_credentials()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)   # not a line per request in every failure report
    server = MotoServer(**options).start()
    try:
        yield server
    finally:
        server.stop()


SERVE = """
import sys
sys.path.insert(0, sys.argv[1])
from dynamodb_fixtures import moto_server
with moto_server() as server:
    print(server.port, flush=True)
    sys.stdin.read()   # until the test session closes our stdin
"""


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """The session's moto server (started on first use), in a process of its own: its base URL.

    Its own process, so that the tests' many client threads and processes do not share one
    interpreter (and its GIL) with the server answering them.
    """
    use_test_credentials()
    server = subprocess.Popen([sys.executable, "-c", SERVE, str(Path(__file__).parent)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        port = server.stdout.readline().strip()
        if not port.isdigit():
            raise RuntimeError(f"moto's server did not start (exit status {server.wait(timeout=30)})")
        yield f"http://127.0.0.1:{port}"
    finally:
        if server.stdin:
            server.stdin.close()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        if server.stdout:
            server.stdout.close()


def dynamodb_url(endpoint: str, table: str = "footcoach", **params: str) -> str:
    """A DATABASE_URL naming a table on a local endpoint.

    With a read timeout far above production's 2 s: this machine may be shared with other test runs,
    and a slow answer must not pass for an outage here.
    """
    query = "&".join(f"{k}={v}" for k, v in {"region": REGION, "endpoint": endpoint, "read_timeout": "20",
                                              **params}.items())
    return f"dynamodb://{table}?{query}"


def dynamodb_client(endpoint: str) -> Any:
    """A plain boto3 DynamoDB client for the endpoint (to look at or change tables behind the store's back)."""
    import boto3

    use_test_credentials()
    return boto3.session.Session().client("dynamodb", region_name=REGION, endpoint_url=endpoint)
