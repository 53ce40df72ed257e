"""``./dev bench --servers``: the table the Procfile's server was chosen from, every figure from one run.

For each candidate: throughput and p99 of the signed, stored counted turn at each number of users
and in both connection modes (measured one after the other at each level, so drift hits all
alike), worker memory after the run, start-up to the first answer, then on a fresh instance of
each: slow clients (slow-header and slow-body connections held while /healthz is polled and users
send turns), a malformed chunked body, SIGTERM with a request in flight, and SIGKILL of a worker.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path
from typing import Any

from bench import httpbench, servers, slowclients
from bench.fixtures import BenchAuthority

CANDIDATES = {
    # name: (server kind, app): the Procfile runs Foot Coach behind the Gate (skill/webservice/gate.py).
    "procfile": ("procfile", "foot_coach_served"),
    "granian_defaults": ("granian_defaults", "foot_coach"),
    "gunicorn_sync": ("gunicorn_sync", "foot_coach"),
    "gunicorn_gthread": ("gunicorn_gthread", "foot_coach"),
    "waitress": ("waitress", "foot_coach"),
}


def _exchange_raw(port: int, data: bytes, *, pause_after: int | None = None, between: Any = None,
                  timeout: float = 10.0) -> bytes:
    with socket.create_connection((servers.HOST, port), timeout=timeout) as sock:
        if pause_after is None:
            sock.sendall(data)
        else:
            sock.sendall(data[:pause_after])
            time.sleep(0.3)
            between()
            time.sleep(0.5)
            sock.sendall(data[pause_after:])
        out = b""
        try:
            while chunk := sock.recv(65536):
                out += chunk
        except OSError:
            pass
        return out


def robustness(name: str, kind: str, app: str, env: dict[str, str], probe: bytes, workdir: Path,
               pools: Any, ca: BenchAuthority, attributes: Any, slow_seconds: float, slow: int) -> dict[str, Any]:
    """Slow clients, a malformed chunked body, SIGTERM in flight and a killed worker, each on a fresh server."""
    ready = lambda port: httpbench.answers(port, probe.replace(b"{PORT}", str(port).encode()))  # noqa: E731
    out: dict[str, Any] = {}
    with servers.running(f"{name}-slow", kind, httpbench.APPS[app], env, workdir, ready) as server:
        user_pools = [[httpbench.raw_request(server.port, r) for r in pool]
                      for pool in httpbench.counted_turns(ca, 10, attributes)]
        result = slowclients.run(server, user_pools, header=slow, body=slow, users=10, seconds=slow_seconds)
        out["slow"] = {"turns_completed": result["turns"]["completed"], "turn_errors": result["turns"]["errors"],
                       "turn_p99_ms": result["turns"]["latency_ms"]["p99"],
                       "healthz_answered": result["healthz"]["answered"], "healthz_polls": result["healthz"]["polls"],
                       "slow_cut_by_server": result["slow_cut_by_server"]}
        zz = _exchange_raw(server.port, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                        b"Transfer-Encoding: chunked\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n", timeout=5)
        out["chunk_size_zz_status"] = httpbench.status_of(zz)
    with servers.running(f"{name}-stop", kind, httpbench.APPS[app], env, workdir, ready) as server:
        request = httpbench.raw_request(server.port, httpbench.counted_turns(ca, 1, attributes)[0][0])
        head_end = request.index(b"\r\n\r\n") + 4
        started = time.perf_counter()
        answer = _exchange_raw(server.port, request, pause_after=head_end + 20,
                               between=lambda: server.process.send_signal(signal.SIGTERM))
        out["sigterm_in_flight_status"] = httpbench.status_of(answer)
        try:
            server.process.wait(servers.STOP_TIMEOUT_SECONDS)
            out["sigterm_exit_s"] = round(time.perf_counter() - started, 2)
        except Exception:  # noqa: BLE001
            out["sigterm_exit_s"] = None
    with servers.running(f"{name}-crash", kind, httpbench.APPS[app], env, workdir, ready) as server:
        workers = servers.descendants(server.process.pid)
        if len(workers) < 2:
            out["worker_replaced_s"] = None   # one process: a crash takes the whole server down
        else:
            victim = min(workers)
            os.kill(victim, signal.SIGKILL)
            started = time.perf_counter()
            replaced = None
            while time.perf_counter() - started < 15:
                now = servers.descendants(server.process.pid)
                if victim not in now and len(now) >= len(workers) and ready(server.port):
                    replaced = round(time.perf_counter() - started, 2)
                    break
                time.sleep(0.05)
            out["worker_replaced_s"] = replaced if replaced is not None else "not within 15 s"
    return out


def run(ca: BenchAuthority, *, users: Any, warmup: float, seconds: float, max_requests: int, workdir: Path,
        log: Any, slow_seconds: float = 5.0, slow: int = 50) -> dict[str, Any]:
    """Measure every installed candidate and the hello-world on gunicorn sync; JSON-ready results."""
    attributes = httpbench.launch_attributes(ca, workdir)
    targets: dict[str, tuple[str, str, dict[str, str]]] = {}
    for name, (kind, app) in CANDIDATES.items():
        if servers.available(kind):
            targets[name] = (kind, app, httpbench.foot_coach_env(ca, workdir / f"choice-{name}.sqlite"))
        else:
            log(f"  {name}: not installed, skipped")
    targets["hello_world_gunicorn_sync"] = ("gunicorn_sync", "hello_world", {})
    results = httpbench.measure(targets, ca, attributes, users=users, modes=httpbench.MODES, warmup=warmup,
                                seconds=seconds, max_requests=max_requests, workdir=workdir, log=log)
    for run_ in results["runs"]:
        same = {r["app"]: r for r in results["runs"] if r["users"] == run_["users"] and r["mode"] == run_["mode"]}
        run_["ratio_rps_to_hello_world_gunicorn_sync"] = (run_["rps"] / same["hello_world_gunicorn_sync"]["rps"]
                                                          if same["hello_world_gunicorn_sync"]["rps"] else None)
    probe = httpbench.raw_request(0, httpbench.counted_turns(ca, 1, attributes)[0][0]).replace(
        f"{servers.HOST}:0".encode(), f"{servers.HOST}:{{PORT}}".encode())
    results["robustness"] = {}
    for name, (kind, app, env) in targets.items():
        if name == "hello_world_gunicorn_sync":
            continue
        log(f"  {name}: slow clients, malformed chunked body, SIGTERM in flight, killed worker ...")
        results["robustness"][name] = robustness(name, kind, app, env, probe, workdir, None, ca, attributes,
                                                 slow_seconds, slow)
        log(f"    {results['robustness'][name]}")
    results["labels"] = {name: servers.SERVERS[kind].label for name, (kind, _, _) in targets.items()}
    results["labels"]["hello_world_gunicorn_sync"] = "baseline: SDK hello-world on gunicorn sync"
    return results
