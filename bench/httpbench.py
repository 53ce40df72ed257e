"""Over HTTP: the Procfile's server (and gunicorn sync, as the peer deploys it) on 127.0.0.1, under closed-loop load.

Servers run side by side on free ports (each started, probed and stopped by bench.servers):

* ``foot_coach``: the real app (``bench.signed_app``), verification on, SQLite, a counted turn, on
  the Procfile's server;
* ``hello_world``: the ASK SDK hello-world behind Flask, verification off, on the same server;
* ``hello_world_gunicorn_sync``: the same hello-world on gunicorn's sync workers, as the SDK's
  Flask samples are deployed (the peer's baseline);
* ``bare_flask``: Flask returning a fixed Alexa response, on the Procfile's server (the floor).

All receive byte-identical signed requests. For each number of users and each connection mode
the servers are measured one after the other, so slow drift on the machine affects them alike.
Each user is a thread that sends a request, reads the whole response and sends the next one at
once. In ``close`` mode every request opens a new connection and asks the server to close it (as
Alexa's requests arrive); in ``keep-alive`` mode each user keeps one connection open for as long as
the server does (gunicorn's sync workers close it after every response). The client closes with a
reset, so tens of thousands of requests leave no TIME_WAIT sockets.
"""

from __future__ import annotations

import contextlib
import itertools
import socket
import struct
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import fixtures, servers
from bench.fixtures import BenchAuthority, Request
from bench.servers import HOST, WORKERS, Server, free_port  # noqa: F401  (free_port: bench.load's import)
from bench.stats import ratio, summarise

SOCKET_TIMEOUT_SECONDS = 10
_LINGER_RESET = struct.pack("ii", 1, 0)
MODES = ("close", "keep-alive")
ROUNDS = 5                  # slices per run, the targets taking turns (see measure)
SLICE_WARMUP_SECONDS = 0.2  # warm-up of every slice after the first (new connections, threads)

APPS = {
    "foot_coach": "bench.signed_app:create_app",
    "foot_coach_served": "bench.signed_app:create_served_app",   # behind the Gate (skill/webservice/gate.py), as the Procfile runs it
    "hello_world": "bench.baselines:hello_app",
    "bare_flask": "bench.baselines:bare_app",
}
# Which app on which server, in the order they are measured. "procfile" is the Procfile's own command.
TARGETS = {
    "foot_coach": ("procfile", "foot_coach_served"),
    "hello_world": ("procfile", "hello_world"),
    "hello_world_gunicorn_sync": ("gunicorn_sync", "hello_world"),
    "bare_flask": ("procfile", "bare_flask"),
}
# --ablation: Foot Coach again, each time with parts left out (bench.signed_app.WITHOUT_ENV), to
# show what the gap to hello-world is made of.
ABLATIONS = {
    "foot_coach_without_storage": "storage",
    "foot_coach_without_verification": "verification",
    "foot_coach_without_all_three": "storage,verification,log",
}


def raw_request(port: int, request: Request, *, keep_alive: bool = False) -> bytes:
    """The exact bytes of an HTTP/1.1 POST / carrying request."""
    head = ["POST / HTTP/1.1", f"Host: {HOST}:{port}", "Content-Type: application/json; charset=utf-8",
            f"Content-Length: {len(request.body)}", *([] if keep_alive else ["Connection: close"]),
            *(f"{name}: {value}" for name, value in request.headers.items())]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + request.body


def _connect(port: int, timeout: float = SOCKET_TIMEOUT_SECONDS) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.connect((HOST, port))
    except OSError:
        sock.close()
        raise
    return sock


def _reset(sock: socket.socket) -> None:
    # A reset instead of FIN: no TIME_WAIT on either side, however many requests are sent.
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
    sock.close()


def exchange(port: int, data: bytes, timeout: float = SOCKET_TIMEOUT_SECONDS) -> bytes:
    """Send one request on a new connection; return the whole response (the server closes it)."""
    sock = _connect(port, timeout)
    try:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        _reset(sock)


class Connection:
    """One client connection kept open across requests for as long as the server keeps it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock: socket.socket | None = None
        self.opened = 0

    def request(self, data: bytes) -> bytes:
        """Send data, read one whole response (by Content-Length); reconnect when the server has closed."""
        if self.sock is None:
            self.sock = _connect(self.port)
            self.opened += 1
        sock = self.sock
        try:
            sock.sendall(data)
            buffer = b""
            while b"\r\n\r\n" not in buffer:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed before the response headers")
                buffer += chunk
            head, _, body = buffer.partition(b"\r\n\r\n")
            lower = head.lower()
            length = 0
            for line in lower.split(b"\r\n")[1:]:
                if line.startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            while len(body) < length:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed before the end of the response body")
                body += chunk
            if b"\r\nconnection: close" in lower:
                self.close()
            return head + b"\r\n\r\n" + body
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Reset the connection (no TIME_WAIT)."""
        if self.sock is not None:
            _reset(self.sock)
            self.sock = None


def status_of(response: bytes) -> int:
    """The HTTP status code of a raw response (0 when there is none)."""
    try:
        return int(response[9:12])
    except ValueError:
        return 0


def answers(port: int, data: bytes) -> bool:
    """Whether the server on port answers data with HTTP 200 now."""
    with contextlib.suppress(OSError):
        return status_of(exchange(port, data)) == 200
    return False


@dataclass
class LoadResult:
    """One measured run: throughput, latency and the CPU the client and the server spent."""

    users: int
    mode: str
    seconds: float
    completed: int
    errors: int
    statuses: dict[int, int]
    latencies_ns: list[int] = field(repr=False)
    client_cpu_seconds: float
    server_cpu_seconds: float | None
    connections: int

    @staticmethod
    def combine(parts: Sequence[LoadResult]) -> LoadResult:
        """Several slices of the same load as one result (counts, times and samples added up)."""
        statuses: dict[int, int] = {}
        for part in parts:
            for status, count in part.statuses.items():
                statuses[status] = statuses.get(status, 0) + count
        server = [p.server_cpu_seconds for p in parts]
        return LoadResult(
            users=parts[0].users, mode=parts[0].mode, seconds=sum(p.seconds for p in parts),
            completed=sum(p.completed for p in parts), errors=sum(p.errors for p in parts), statuses=statuses,
            latencies_ns=[v for p in parts for v in p.latencies_ns],
            client_cpu_seconds=sum(p.client_cpu_seconds for p in parts),
            server_cpu_seconds=None if None in server else sum(s for s in server if s is not None),
            connections=sum(p.connections for p in parts),
        )

    def summary(self) -> dict[str, Any]:
        """JSON-ready figures (latency in ms, CPU in µs per request)."""
        per_request = 1e6 / self.completed if self.completed else None
        return {
            "users": self.users,
            "mode": self.mode,
            "seconds": round(self.seconds, 3),
            "completed": self.completed,
            "errors": self.errors,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "rps": self.completed / self.seconds if self.seconds else 0.0,
            "latency_ms": summarise(self.latencies_ns, "ms"),
            "client_cpu_us_per_request": self.client_cpu_seconds * per_request if per_request else None,
            "server_cpu_us_per_request": (self.server_cpu_seconds * per_request
                                          if per_request and self.server_cpu_seconds is not None else None),
            "connections_opened": self.connections,
        }


def drive(server: Server, pools: Sequence[Sequence[bytes]], *, users: int, warmup: float, seconds: float,
          max_requests: int, mode: str = "close") -> LoadResult:
    """Run `users` closed-loop clients against server: warm up, then measure for `seconds` (or max_requests)."""
    stop_flag = threading.Event()
    started = threading.Barrier(users + 1)
    sent = itertools.count()
    records: list[list[tuple[int, int, int]]] = [[] for _ in range(users)]
    opened = [0] * users
    clock = time.perf_counter_ns

    def user(index: int) -> None:
        pool, out = pools[index % len(pools)], records[index]
        connection = Connection(server.port) if mode == "keep-alive" else None
        started.wait()
        try:
            for data in itertools.cycle(pool):
                if stop_flag.is_set():
                    return
                t0 = clock()
                try:
                    if connection is None:
                        status = status_of(exchange(server.port, data))
                        opened[index] += 1
                    else:
                        status = status_of(connection.request(data))
                except (OSError, ValueError):
                    status = 0
                out.append((t0, clock(), status))
                if next(sent) >= max_requests:
                    stop_flag.set()
        finally:
            if connection is not None:
                opened[index] += connection.opened
                connection.close()

    threads = [threading.Thread(target=user, args=(i,), daemon=True, name=f"bench-user-{i}") for i in range(users)]
    for thread in threads:
        thread.start()
    started.wait()
    stop_flag.wait(warmup)
    t_start, cpu_start, server_start = clock(), time.process_time(), server.cpu_seconds()
    stop_flag.wait(seconds)
    t_end, cpu_end, server_end = clock(), time.process_time(), server.cpu_seconds()
    stop_flag.set()
    for thread in threads:
        thread.join(SOCKET_TIMEOUT_SECONDS + 1)
    window = [r for out in records for r in out if t_start <= r[1] <= t_end]
    statuses: dict[int, int] = {}
    for _, _, status in window:
        statuses[status] = statuses.get(status, 0) + 1
    ok = [t1 - t0 for t0, t1, status in window if status == 200]
    return LoadResult(
        users=users, mode=mode, seconds=(t_end - t_start) / 1e9, completed=len(ok), errors=len(window) - len(ok),
        statuses=statuses, latencies_ns=ok, client_cpu_seconds=cpu_end - cpu_start,
        server_cpu_seconds=(server_end - server_start) if server_start is not None and server_end is not None else None,
        connections=sum(opened),
    )


def counted_turns(ca: BenchAuthority, users: int, attributes: dict[str, Any]) -> list[list[Request]]:
    """Per user, two signed counted turns that alternate, so every request saves new progress."""
    pools = []
    for index in range(users):
        user_id = f"amzn1.ask.account.BENCH-HTTP-{index:04d}"
        pool = []
        for exercise_id, spoken in (("toe_press", "toe presses"), ("ankle_circles", "ankle circles")):
            body = fixtures.encode(fixtures.start_exercise(exercise_id, spoken, attributes=attributes, user_id=user_id))
            pool.append(Request("start_exercise", body, ca.sign(body)))
        pools.append(pool)
    return pools


def launch_attributes(ca: BenchAuthority, workdir: Path) -> dict[str, Any]:
    """The session attributes Foot Coach returns for a launch (what a counted turn then carries)."""
    import json

    from bench.inprocess import build_foot_coach

    foot_coach = build_foot_coach(f"sqlite:///{workdir / 'attributes.sqlite'}", ca.verifier())
    try:
        body = fixtures.encode(fixtures.launch())
        answer = json.loads(foot_coach.dispatch(ca.sign(body), body.decode()))
    finally:
        foot_coach.store.close()
    return answer.get("sessionAttributes") or {}


def foot_coach_env(ca: BenchAuthority, database: Path) -> dict[str, str]:
    """What bench.signed_app needs: the benchmark CA, a SQLite file, the skill id."""
    return {**ca.env(), "DATABASE_URL": f"sqlite:///{database}", "SKILL_ID": fixtures.SKILL_ID}


def measure(targets: dict[str, tuple[str, str, dict[str, str]]], ca: BenchAuthority, attributes: dict[str, Any], *,
            users: Sequence[int], modes: Sequence[str], warmup: float, seconds: float, max_requests: int,
            workdir: Path, log: Any, rounds: int = ROUNDS) -> dict[str, Any]:
    """Start every target (name -> server kind, app, env), measure each at every level and mode, stop them.

    At each level and mode the targets take turns, `rounds` slices of seconds/rounds each, so that
    the machine's drift (other work on a shared machine comes and goes) falls on all of them alike.
    """
    results: dict[str, Any] = {"apps": {}, "runs": []}
    probe = counted_turns(ca, 1, attributes)[0][0]
    with contextlib.ExitStack() as stack:
        running: dict[str, Server] = {}
        for name, (kind, app, env) in targets.items():
            probe_data = lambda port: raw_request(port, probe)  # noqa: E731
            server = stack.enter_context(servers.running(name, kind, APPS[app], env, workdir,
                                                         lambda port: answers(port, probe_data(port))))
            running[name] = server
            results["apps"][name] = {"server": kind, "app": app, "entry_point": APPS[app],
                                     "without": env.get("FOOT_COACH_BENCH_WITHOUT", ""),
                                     "boot_to_first_answer_s": round(server.boot_seconds, 3), "pid": server.process.pid}
            log(f"  {name}: {servers.SERVERS[kind].label} answered {server.boot_seconds:.2f} s after start "
                f"(port {server.port})")
        for mode in modes:
            for level in users:
                # Signed now, so the timestamps are fresh for the whole run.
                pools = {name: [[raw_request(server.port, r, keep_alive=mode == "keep-alive") for r in pool]
                                for pool in counted_turns(ca, level, attributes)] for name, server in running.items()}
                slices: dict[str, list[LoadResult]] = {name: [] for name in running}
                for round_ in range(rounds):
                    for name, server in running.items():
                        slices[name].append(drive(server, pools[name], users=level,
                                                  warmup=warmup if round_ == 0 else min(warmup, SLICE_WARMUP_SECONDS),
                                                  seconds=seconds / rounds, max_requests=max_requests // rounds,
                                                  mode=mode))
                for name, server in running.items():
                    result = LoadResult.combine(slices[name])
                    summary = {"app": name, **result.summary()}
                    results["runs"].append(summary)
                    log(f"  {name:26} {mode:10} {level:4d} users: {summary['rps']:7.0f} req/s  "
                        f"p50 {summary['latency_ms']['p50']:7.2f} ms  p99 {summary['latency_ms']['p99']:7.2f} ms  "
                        f"errors {summary['errors']}")
                    if result.errors:
                        log(f"    {name} answered {result.statuses}; its log ends with:\n{server.log_tail(10)}")
        for name, server in running.items():
            results["apps"][name]["worker_rss_mb"] = [round(m, 1) for m in server.worker_rss_mb()]
            results["apps"][name]["worker_private_mb"] = [round(m, 1) for m in server.worker_private_mb()]
    return results


def run(ca: BenchAuthority, *, users: Sequence[int], warmup: float, seconds: float, max_requests: int,
        workdir: Path | None = None, log: Any = print, ablation: bool = False,
        modes: Sequence[str] = MODES, rounds: int = ROUNDS) -> dict[str, Any]:
    """Start the servers (more with ablation), measure each at every concurrency and mode, stop them.

    Returns JSON-ready results.
    """
    workdir = workdir or Path(tempfile.mkdtemp(prefix="foot-coach-bench-http-"))
    attributes = launch_attributes(ca, workdir)
    targets: dict[str, tuple[str, str, dict[str, str]]] = {}
    for name, (kind, app) in TARGETS.items():
        targets[name] = (kind, app, foot_coach_env(ca, workdir / "http.sqlite") if app.startswith("foot_coach") else {})
    if ablation:
        from bench.signed_app import WITHOUT_ENV

        for name, parts in ABLATIONS.items():
            targets[name] = ("procfile", "foot_coach_served",
                             {**foot_coach_env(ca, workdir / f"{name}.sqlite"), WITHOUT_ENV: parts})
    results = measure(targets, ca, attributes, users=users, modes=modes, warmup=warmup, seconds=seconds,
                      max_requests=max_requests, workdir=workdir, log=log, rounds=rounds)
    results.update({"workers": WORKERS, "server": servers.procfile_web_line(),
                    "settings": {"users": list(users), "modes": list(modes), "warmup": warmup, "seconds": seconds,
                                 "rounds": rounds, "max_requests": max_requests}})
    add_ratios(results["runs"])
    bare = [r for r in results["runs"] if r["app"] == "bare_flask" and r["client_cpu_us_per_request"]]
    if bare:
        cost = min(r["client_cpu_us_per_request"] for r in bare)
        results["client"] = {
            "cpu_us_per_request": cost,
            "ceiling_rps_one_core": 1e6 / cost,
            "bare_flask_best_rps": max(r["rps"] for r in bare),
        }
    return results


def add_ratios(runs: list[dict[str, Any]]) -> None:
    """Each run's throughput against the baselines measured at the same level and mode."""
    for run_ in runs:
        same = {r["app"]: r for r in runs if r["users"] == run_["users"] and r["mode"] == run_["mode"]}
        for key, baseline in (("ratio_rps_to_hello_world", "hello_world"),
                              ("ratio_rps_to_hello_world_gunicorn_sync", "hello_world_gunicorn_sync"),
                              ("ratio_rps_to_bare_flask", "bare_flask")):
            run_[key] = ratio(run_["rps"], same[baseline]["rps"]) if baseline in same else None
