"""Slow clients: slow-header and slow-body connections held open while normal users and a health check go on.

* **slow-header** clients send ``POST / HTTP/1.1`` and ``Host:``, then one more header line every
  ``interval`` seconds, and never finish the headers (the "slowloris" pattern);
* **slow-body** clients send complete headers announcing a 2,000-byte JSON body, then one byte of
  it every ``interval`` seconds.

Whenever the server closes one of them (a read timeout), it reconnects at once, so the number held
stays the same for the whole phase. All of them live in one thread (non-blocking sockets), so they
take almost no CPU from the server. Meanwhile ``users`` closed-loop users send signed counted turns
(a new connection each, as Alexa's), and a poller asks ``GET /healthz`` every 0.2 s with a 1.5 s
timeout, as a platform's health check would.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from bench.httpbench import HOST, Server, drive, exchange, status_of

SLOW_BODY_BYTES = 2000
POLL_INTERVAL_SECONDS = 0.2
POLL_TIMEOUT_SECONDS = 1.5


@dataclass
class _Slow:
    kind: str
    index: int
    sock: socket.socket | None = None
    sent: int = 0


@dataclass
class SlowClients:
    """Keep `header` slow-header and `body` slow-body connections open until stopped."""

    port: int
    header: int
    body: int
    interval: float = 1.0
    cut: dict[str, int] = field(default_factory=lambda: {"header": 0, "body": 0})
    answered: dict[str, dict[int, int]] = field(default_factory=lambda: {"header": {}, "body": {}})
    connect_failures: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> SlowClients:
        self._thread = threading.Thread(target=self._run, name="slow-clients", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def _open(self, client: _Slow, selector: selectors.BaseSelector) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.settimeout(2)
        try:
            sock.connect((HOST, self.port))
            if client.kind == "header":
                sock.sendall(f"POST / HTTP/1.1\r\nHost: {HOST}:{self.port}\r\n".encode())
            else:
                sock.sendall(f"POST / HTTP/1.1\r\nHost: {HOST}:{self.port}\r\nContent-Type: application/json\r\n"
                             f"Content-Length: {SLOW_BODY_BYTES}\r\n\r\n".encode())
        except OSError:
            sock.close()
            self.connect_failures += 1
            return
        sock.setblocking(False)
        client.sock, client.sent = sock, 0
        selector.register(sock, selectors.EVENT_READ, client)

    def _close(self, client: _Slow, selector: selectors.BaseSelector) -> None:
        if client.sock is not None:
            with contextlib.suppress(KeyError, ValueError):
                selector.unregister(client.sock)
            client.sock.close()
            client.sock = None

    def _run(self) -> None:
        selector = selectors.DefaultSelector()
        clients = [_Slow("header", i) for i in range(self.header)] + [_Slow("body", i) for i in range(self.body)]
        for client in clients:
            self._open(client, selector)
        next_tick = time.monotonic() + self.interval
        try:
            while not self._stop.is_set():
                for key, _ in selector.select(timeout=max(0.0, min(0.05, next_tick - time.monotonic()))):
                    client = key.data
                    try:
                        data = client.sock.recv(4096)
                    except OSError:
                        data = b""
                    if data:
                        status = status_of(data)
                        self.answered[client.kind][status] = self.answered[client.kind].get(status, 0) + 1
                    self.cut[client.kind] += 1
                    self._close(client, selector)
                    self._open(client, selector)
                if time.monotonic() >= next_tick:
                    next_tick += self.interval
                    for client in clients:
                        if client.sock is None:
                            self._open(client, selector)
                            continue
                        piece = (f"X-Slow-{client.sent}: y\r\n".encode() if client.kind == "header"
                                 else b" " if client.sent < SLOW_BODY_BYTES - 1 else b"{")
                        try:
                            client.sock.send(piece)
                            client.sent += 1
                        except OSError:
                            self.cut[client.kind] += 1
                            self._close(client, selector)
                            self._open(client, selector)
        finally:
            for client in clients:
                self._close(client, selector)
            selector.close()

    def held(self) -> int:
        """How many slow connections are open right now."""
        return self.header + self.body  # each is reopened at once when the server closes it


@dataclass
class HealthPoller:
    """GET /healthz every POLL_INTERVAL_SECONDS with a POLL_TIMEOUT_SECONDS timeout; count answers."""

    port: int
    polls: int = 0
    answered: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> HealthPoller:
        self._thread = threading.Thread(target=self._run, name="healthz-poller", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(POLL_TIMEOUT_SECONDS + 2)

    def _run(self) -> None:
        data = f"GET /healthz HTTP/1.1\r\nHost: {HOST}:{self.port}\r\nConnection: close\r\n\r\n".encode()
        while not self._stop.wait(POLL_INTERVAL_SECONDS):
            self.polls += 1
            started = time.perf_counter()
            try:
                ok = status_of(exchange(self.port, data, timeout=POLL_TIMEOUT_SECONDS)) == 200
            except OSError:
                ok = False
            if ok:
                self.answered += 1
                self.latencies_ms.append((time.perf_counter() - started) * 1e3)


def run(server: Server, pools: list[list[bytes]], *, header: int, body: int, users: int, seconds: float,
        settle: float = 1.0) -> dict[str, Any]:
    """Hold the slow clients for `seconds` while `users` send counted turns and /healthz is polled.

    The slow clients connect first and get `settle` seconds to take whatever they can before the
    measurement starts.
    """
    with SlowClients(server.port, header, body) as slow:
        time.sleep(settle)
        with HealthPoller(server.port) as poller:
            load = drive(server, pools, users=users, warmup=0.0, seconds=seconds, max_requests=10**9, mode="close")
    summary = load.summary()
    return {
        "slow_header_clients": header, "slow_body_clients": body, "users": users, "seconds": round(load.seconds, 2),
        "turns": {k: summary[k] for k in ("completed", "errors", "statuses", "rps", "latency_ms")},
        "healthz": {"polls": poller.polls, "answered": poller.answered,
                    "worst_ms": round(max(poller.latencies_ms), 1) if poller.latencies_ms else None},
        "slow_cut_by_server": dict(slow.cut), "slow_answers": {k: {str(s): n for s, n in v.items()}
                                                               for k, v in slow.answered.items()},
        "slow_connect_failures": slow.connect_failures,
    }


def measure(ca: Any, *, seconds: float, clients: int, users: int, workdir: Any, log: Any) -> dict[str, Any]:
    """The slow-client phase of ``./dev bench``: Foot Coach on the Procfile's server, `clients` of each kind."""
    from bench import httpbench, servers

    attributes = httpbench.launch_attributes(ca, workdir)
    probe = httpbench.counted_turns(ca, 1, attributes)[0][0]
    env = httpbench.foot_coach_env(ca, workdir / "slow.sqlite")
    with servers.running("slow_clients", "procfile", httpbench.APPS["foot_coach_served"], env, workdir,
                         lambda port: httpbench.answers(port, httpbench.raw_request(port, probe))) as server:
        pools = [[httpbench.raw_request(server.port, r) for r in pool]
                 for pool in httpbench.counted_turns(ca, users, attributes)]
        result = run(server, pools, header=clients, body=clients, users=users, seconds=seconds)
    log(f"  {clients} slow-header + {clients} slow-body clients, {users} users, {seconds:g} s: "
        f"{result['turns']['completed']} turns, {result['turns']['errors']} errors, "
        f"p99 {result['turns']['latency_ms']['p99']:.1f} ms; /healthz {result['healthz']['answered']} of "
        f"{result['healthz']['polls']}")
    return result
