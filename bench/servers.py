"""The WSGI servers the benchmark can start, how, and what their processes cost.

Each server runs an app given as ``module:factory`` on 127.0.0.1 with two worker processes (the
Procfile's default). ``procfile`` is the Procfile's own ``web:`` line, run through ``/bin/sh`` with
``PORT`` and ``WEB_CONCURRENCY`` set, exactly as a platform runs it, only bound to loopback and
with the app target swapped for the benchmark's. The others are the candidates the choice was made
among, each in the configuration its documentation recommends for a CPU-bound app.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bench import ROOT

HOST = "127.0.0.1"
WORKERS = 2
BOOT_TIMEOUT_SECONDS = 30
STOP_TIMEOUT_SECONDS = 20
PRODUCTION_TARGET = "skill.app:create_served_app"
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PAGE_KB = (os.sysconf("SC_PAGE_SIZE") // 1024) if hasattr(os, "sysconf") else 4


def procfile_web_line(root: Path = ROOT) -> str:
    """The Procfile's ``web:`` command, as written.

    Raises:
        RuntimeError: the Procfile has no web: line.
    """
    for line in (root / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return line.removeprefix("web:").strip()
    raise RuntimeError("Procfile has no web: line")


def procfile_command(target: str = PRODUCTION_TARGET, root: Path = ROOT) -> str:
    """The Procfile's web command bound to 127.0.0.1 only, serving target instead of the skill's app.

    Raises:
        RuntimeError: the command does not bind 0.0.0.0 or does not name the production target.
    """
    command = procfile_web_line(root)
    if "0.0.0.0" not in command or PRODUCTION_TARGET not in command:
        raise RuntimeError(f"the Procfile's web command must bind 0.0.0.0 and serve {PRODUCTION_TARGET}: {command}")
    # The production target appears once, as the last word (gunicorn style "...()" or granian style).
    command = command.replace("0.0.0.0", HOST)
    return re.sub(re.escape(PRODUCTION_TARGET) + r"(\(\))?", lambda m: target + (m.group(1) or ""), command)


def _gunicorn(worker_class: str, threads: int = 1) -> Callable[[str, int, int], list[str]]:
    def command(target: str, port: int, workers: int) -> list[str]:
        return [sys.executable, "-m", "gunicorn", "--bind", f"{HOST}:{port}", "--workers", str(workers),
                "--worker-class", worker_class, "--threads", str(threads), "--timeout", "30",
                "--log-level", "warning", f"{target}()"]
    return command


def _granian_defaults(target: str, port: int, workers: int) -> list[str]:
    return [sys.executable, "-m", "granian", "--interface", "wsgi", "--factory", "--host", HOST, "--port", str(port),
            "--workers", str(workers), "--log-level", "info", target]


def _waitress(target: str, port: int, workers: int) -> list[str]:
    # One process only: waitress has no worker processes (its threads share one GIL).
    return [sys.executable, "-m", "waitress", f"--listen={HOST}:{port}", "--threads", "4", "--call", target]


def _procfile(target: str, port: int, workers: int) -> list[str]:
    return ["/bin/sh", "-c", "exec " + procfile_command(target)]


@dataclass(frozen=True)
class ServerKind:
    """One way to serve a WSGI app: a label, how to start it, and whether it keeps connections alive."""

    label: str
    command: Callable[[str, int, int], list[str]]
    keeps_alive: bool = True
    module: str = ""   # a Python module it needs, for skipping it when absent


SERVERS: dict[str, ServerKind] = {
    "procfile": ServerKind("the Procfile's server", _procfile),
    "gunicorn_sync": ServerKind("gunicorn, 2 sync workers", _gunicorn("sync"), keeps_alive=False, module="gunicorn"),
    "gunicorn_gthread": ServerKind("gunicorn, 2 gthread workers x 4 threads", _gunicorn("gthread", 4), module="gunicorn"),
    "granian_defaults": ServerKind("granian 2 workers, defaults", _granian_defaults, module="granian"),
    "waitress": ServerKind("waitress, 1 process x 4 threads", _waitress, module="waitress"),
}


def available(kind: str) -> bool:
    """Whether the server's package is installed here."""
    import importlib.util

    module = SERVERS[kind].module
    return not module or importlib.util.find_spec(module) is not None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def die_with_parent() -> None:
    """In the child: get SIGTERM if the benchmark dies, so no server outlives it (Linux only)."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def descendants(pid: int) -> list[int]:
    """Every process below pid (children, their children, ...), read from /proc."""
    found, queue = [], [pid]
    while queue:
        parent = queue.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for task in tasks:
            with contextlib.suppress(OSError):
                for child in Path(f"/proc/{parent}/task/{task}/children").read_text().split():
                    found.append(int(child))
                    queue.append(int(child))
    return found


def cpu_seconds(pids: list[int]) -> float | None:
    """User plus system CPU time of the processes, or None where /proc cannot tell."""
    total = 0
    try:
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    except (OSError, ValueError, IndexError):
        return None
    return total / _CLOCK_TICKS


def rss_mb(pid: int) -> float | None:
    """Resident memory of one process in MB (VmRSS), or None."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        return None
    return None


def private_mb(pid: int) -> float | None:
    """Memory only this process holds (private clean + dirty pages, from smaps_rollup) in MB, or None."""
    try:
        total = 0
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                total += int(line.split()[1])
        return total / 1024
    except (OSError, ValueError):
        return None


@dataclass
class Server:
    """A running server: its port, process, log, and how long it took to answer first."""

    name: str
    kind: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    boot_seconds: float = 0.0

    def pids(self) -> list[int]:
        """The server's own process and every process below it (through /bin/sh's exec, the same pid)."""
        return [self.process.pid, *descendants(self.process.pid)]

    def workers(self) -> list[int]:
        """The processes that serve requests: the children when there are any, else the process itself."""
        below = descendants(self.process.pid)
        # granian's main process forks its workers; gunicorn's master too; waitress has none.
        return below or [self.process.pid]

    def cpu_seconds(self) -> float | None:
        """CPU time of the whole server (master and workers)."""
        return cpu_seconds(self.pids())

    def worker_rss_mb(self) -> list[float]:
        """Resident memory of each worker, in MB."""
        return [m for m in (rss_mb(pid) for pid in self.workers()) if m is not None]

    def worker_private_mb(self) -> list[float]:
        """Memory each worker holds alone (what one more worker costs), in MB."""
        return [m for m in (private_mb(pid) for pid in self.workers()) if m is not None]

    def log_tail(self, lines: int = 30) -> str:
        """The end of the server's log, for error messages."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def start(name: str, kind: str, target: str, env: dict[str, str], workdir: Path,
          ready: Callable[[int], bool]) -> Server:
    """Start a server for target on a free loopback port; return once ready(port) is true.

    Raises:
        RuntimeError: it did not become ready within BOOT_TIMEOUT_SECONDS (it is stopped first).
    """
    port = free_port()
    log_path = workdir / f"{name}.log"
    full_env = {**os.environ, **env, "PYTHONPATH": str(ROOT), "PORT": str(port), "WEB_CONCURRENCY": str(WORKERS),
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    command = SERVERS[kind].command(target, port, WORKERS)
    with open(log_path, "wb") as log:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, preexec_fn=die_with_parent)
    server = Server(name, kind, port, process, log_path)
    try:
        deadline = started + BOOT_TIMEOUT_SECONDS
        while not ready(port):
            if process.poll() is not None or time.perf_counter() > deadline:
                raise RuntimeError(f"{name} ({shlex.join(command)}) did not answer on port {port}:\n{server.log_tail()}")
            time.sleep(0.01)
        server.boot_seconds = time.perf_counter() - started
        if "granian" in kind or kind == "procfile":
            # Every worker has loaded the app: granian holds up a stop asked for while a worker boots.
            while server.log_tail(200).count("Started worker") < WORKERS and time.perf_counter() < deadline:
                time.sleep(0.02)
    except BaseException:
        stop(process)
        raise
    return server


@contextlib.contextmanager
def running(name: str, kind: str, target: str, env: dict[str, str], workdir: Path,
            ready: Callable[[int], bool]) -> Iterator[Server]:
    """start() as a context manager that always stops the server."""
    server = start(name, kind, target, env, workdir, ready)
    try:
        yield server
    finally:
        stop(server.process)


def stop(process: subprocess.Popen[bytes], timeout: float = STOP_TIMEOUT_SECONDS) -> float:
    """SIGTERM a server (it stops its workers), SIGKILL if it has not exited within timeout; return seconds taken."""
    started = time.perf_counter()
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            pids = descendants(process.pid)
            process.kill()
            for pid in pids:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            process.wait()
    return time.perf_counter() - started
