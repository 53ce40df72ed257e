"""Over HTTP: gunicorn with 2 sync workers on 127.0.0.1, driven by a closed-loop load generator.

Three servers run side by side on free ports (each started, probed and stopped by this module):

* ``foot_coach``: the real app (``bench.signed_app``), verification on, SQLite, a counted turn;
* ``hello_world``: the ASK SDK hello-world behind Flask, verification off;
* ``bare_flask``: Flask returning a fixed Alexa response.

All three receive byte-identical signed requests. For each number of users the three are measured
one after the other, so slow drift on the machine affects them alike. Each user is a thread that
sends a request, reads the whole response and sends the next one at once. Gunicorn's sync workers
close the connection after every response, so each request opens a new one (as Alexa's do); the
client closes with a reset so that tens of thousands of requests leave no TIME_WAIT sockets.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import ROOT, fixtures
from bench.fixtures import BenchAuthority, Request
from bench.stats import ratio, summarise

HOST = "127.0.0.1"
WORKERS = 2
BOOT_TIMEOUT_SECONDS = 30
SOCKET_TIMEOUT_SECONDS = 10
STOP_TIMEOUT_SECONDS = 10
_LINGER_RESET = struct.pack("ii", 1, 0)
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

APPS = {
    "foot_coach": "bench.signed_app:create_app()",
    "hello_world": "bench.baselines:hello_app()",
    "bare_flask": "bench.baselines:bare_app()",
}
# --ablation: Foot Coach again, each time with parts left out (bench.signed_app.WITHOUT_ENV), to
# show what the gap to hello-world is made of.
ABLATIONS = {
    "foot_coach_without_storage": "storage",
    "foot_coach_without_verification": "verification",
    "foot_coach_without_all_three": "storage,verification,log",
}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def raw_request(port: int, request: Request) -> bytes:
    """The exact bytes of an HTTP/1.1 POST / carrying request."""
    head = ["POST / HTTP/1.1", f"Host: {HOST}:{port}", "Content-Type: application/json; charset=utf-8",
            f"Content-Length: {len(request.body)}", "Connection: close",
            *(f"{name}: {value}" for name, value in request.headers.items())]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + request.body


def exchange(port: int, data: bytes) -> bytes:
    """Send one request on a new connection; return the whole response (the server closes it)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.settimeout(SOCKET_TIMEOUT_SECONDS)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.connect((HOST, port))
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        # A reset instead of FIN: no TIME_WAIT on either side, however many requests are sent.
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
        sock.close()


def status_of(response: bytes) -> int:
    """The HTTP status code of a raw response (0 when there is none)."""
    try:
        return int(response[9:12])
    except ValueError:
        return 0


def _die_with_parent() -> None:
    """In the child: get SIGTERM if the benchmark dies, so no server outlives it (Linux only)."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Server:
    """A running gunicorn: its port, process, log, and how long it took to answer first."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    boot_seconds: float = 0.0

    def worker_cpu_seconds(self) -> float | None:
        """User plus system CPU time of the current workers, or None where /proc cannot tell."""
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
            total = 0
            for pid in children:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, ValueError, IndexError):
            return None
        return total / _CLOCK_TICKS

    def log_tail(self, lines: int = 30) -> str:
        """The end of the server's log, for error messages."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@contextlib.contextmanager
def gunicorn(name: str, env: dict[str, str], probe: Request, workdir: Path) -> Iterator[Server]:
    """Start gunicorn (2 sync workers, 127.0.0.1 only) for one app; wait until it answers probe; stop it.

    Raises:
        RuntimeError: it did not answer probe with 200 within BOOT_TIMEOUT_SECONDS.
    """
    port = free_port()
    log_path = workdir / f"{name}.log"
    command = [sys.executable, "-m", "gunicorn", "--bind", f"{HOST}:{port}", "--workers", str(WORKERS),
               "--worker-class", "sync", "--timeout", "30", "--log-level", "warning",
               APPS["foot_coach"] if name in ABLATIONS else APPS[name]]
    full_env = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
    with open(log_path, "wb") as log:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
    server = Server(name, port, process, log_path)
    data = raw_request(port, probe)
    try:
        deadline = started + BOOT_TIMEOUT_SECONDS
        while True:
            with contextlib.suppress(OSError):
                if status_of(exchange(port, data)) == 200:
                    break
            if process.poll() is not None or time.perf_counter() > deadline:
                raise RuntimeError(f"{name} did not answer on port {port}:\n{server.log_tail()}")
            time.sleep(0.01)
        server.boot_seconds = time.perf_counter() - started
        yield server
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a gunicorn master (it stops its workers), forcefully if it does not within 10 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class LoadResult:
    """One measured run: throughput, latency and the CPU the client and the server spent."""

    users: int
    seconds: float
    completed: int
    errors: int
    statuses: dict[int, int]
    latencies_ns: list[int] = field(repr=False)
    client_cpu_seconds: float
    server_cpu_seconds: float | None

    def summary(self) -> dict[str, Any]:
        """JSON-ready figures (latency in ms, CPU in µs per request)."""
        per_request = 1e6 / self.completed if self.completed else None
        return {
            "users": self.users,
            "seconds": round(self.seconds, 3),
            "completed": self.completed,
            "errors": self.errors,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "rps": self.completed / self.seconds if self.seconds else 0.0,
            "latency_ms": summarise(self.latencies_ns, "ms"),
            "client_cpu_us_per_request": self.client_cpu_seconds * per_request if per_request else None,
            "server_cpu_us_per_request": (self.server_cpu_seconds * per_request
                                          if per_request and self.server_cpu_seconds is not None else None),
        }


def drive(server: Server, pools: Sequence[Sequence[bytes]], *, users: int, warmup: float, seconds: float,
          max_requests: int) -> LoadResult:
    """Run `users` closed-loop clients against server: warm up, then measure for `seconds` (or max_requests)."""
    stop_flag = threading.Event()
    started = threading.Barrier(users + 1)
    sent = itertools.count()
    records: list[list[tuple[int, int, int]]] = [[] for _ in range(users)]
    clock = time.perf_counter_ns

    def user(index: int) -> None:
        pool, out = pools[index % len(pools)], records[index]
        started.wait()
        for data in itertools.cycle(pool):
            if stop_flag.is_set():
                return
            t0 = clock()
            try:
                status = status_of(exchange(server.port, data))
            except OSError:
                status = 0
            out.append((t0, clock(), status))
            if next(sent) >= max_requests:
                stop_flag.set()

    threads = [threading.Thread(target=user, args=(i,), daemon=True, name=f"bench-user-{i}") for i in range(users)]
    for thread in threads:
        thread.start()
    started.wait()
    stop_flag.wait(warmup)
    t_start, cpu_start, server_start = clock(), time.process_time(), server.worker_cpu_seconds()
    stop_flag.wait(seconds)
    t_end, cpu_end, server_end = clock(), time.process_time(), server.worker_cpu_seconds()
    stop_flag.set()
    for thread in threads:
        thread.join(SOCKET_TIMEOUT_SECONDS + 1)
    window = [r for out in records for r in out if t_start <= r[1] <= t_end]
    statuses: dict[int, int] = {}
    for _, _, status in window:
        statuses[status] = statuses.get(status, 0) + 1
    ok = [t1 - t0 for t0, t1, status in window if status == 200]
    return LoadResult(
        users=users, seconds=(t_end - t_start) / 1e9, completed=len(ok), errors=len(window) - len(ok),
        statuses=statuses, latencies_ns=ok, client_cpu_seconds=cpu_end - cpu_start,
        server_cpu_seconds=(server_end - server_start) if server_start is not None and server_end is not None else None,
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


def run(ca: BenchAuthority, *, users: Sequence[int], warmup: float, seconds: float, max_requests: int,
        workdir: Path | None = None, log: Any = print, ablation: bool = False) -> dict[str, Any]:
    """Start the three servers (six with ablation), measure each at every concurrency, stop them.

    Returns JSON-ready results.
    """
    workdir = workdir or Path(tempfile.mkdtemp(prefix="foot-coach-bench-http-"))
    attributes = launch_attributes(ca, workdir)
    env = {
        "foot_coach": {**ca.env(), "DATABASE_URL": f"sqlite:///{workdir / 'http.sqlite'}",
                       "SKILL_ID": fixtures.SKILL_ID},
        "hello_world": {},
        "bare_flask": {},
    }
    if ablation:
        from bench.signed_app import WITHOUT_ENV

        for name, parts in ABLATIONS.items():
            env[name] = {**env["foot_coach"], "DATABASE_URL": f"sqlite:///{workdir / f'{name}.sqlite'}",
                         WITHOUT_ENV: parts}
    results: dict[str, Any] = {"workers": WORKERS, "worker_class": "sync", "apps": {}, "runs": [],
                               "settings": {"users": list(users), "warmup": warmup, "seconds": seconds,
                                            "max_requests": max_requests}}
    with contextlib.ExitStack() as servers:
        running: dict[str, Server] = {}
        probe = counted_turns(ca, 1, attributes)[0][0]
        for name in env:
            server = servers.enter_context(gunicorn(name, env[name], probe, workdir))
            running[name] = server
            results["apps"][name] = {"entry_point": APPS.get(name, APPS["foot_coach"]),
                                     "without": ABLATIONS.get(name, ""),
                                     "boot_to_first_answer_s": round(server.boot_seconds, 3),
                                     "pid": server.process.pid}
            log(f"  {name}: gunicorn answered {server.boot_seconds:.2f} s after start (port {server.port})")
        for level in users:
            for name, server in running.items():
                # Signed now, so the timestamps are fresh for the whole run.
                pools = [[raw_request(server.port, r) for r in pool] for pool in counted_turns(ca, level, attributes)]
                result = drive(server, pools, users=level, warmup=warmup, seconds=seconds, max_requests=max_requests)
                summary = {"app": name, **result.summary()}
                results["runs"].append(summary)
                log(f"  {name:12} {level:4d} users: {summary['rps']:8.0f} req/s  p50 {summary['latency_ms']['p50']:7.2f} ms"
                    f"  p99 {summary['latency_ms']['p99']:7.2f} ms  errors {summary['errors']}")
                if result.errors:
                    log(f"    {name} answered {result.statuses}; its log ends with:\n{server.log_tail(10)}")
    for run_ in results["runs"]:
        same = {r["app"]: r for r in results["runs"] if r["users"] == run_["users"]}
        run_["ratio_rps_to_hello_world"] = ratio(run_["rps"], same["hello_world"]["rps"])
        run_["ratio_rps_to_bare_flask"] = ratio(run_["rps"], same["bare_flask"]["rps"])
    bare = [r for r in results["runs"] if r["app"] == "bare_flask" and r["client_cpu_us_per_request"]]
    if bare:
        cost = min(r["client_cpu_us_per_request"] for r in bare)
        results["client"] = {
            "cpu_us_per_request": cost,
            "ceiling_rps_one_core": 1e6 / cost,
            "bare_flask_best_rps": max(r["rps"] for r in bare),
        }
    return results
