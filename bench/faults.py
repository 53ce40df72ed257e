"""Storage faults against the Procfile's server: are the counters the user heard the counters stored?

    python -m bench.faults [--users N] [--fault read_only|disk_full|postgres_refusing ...] [--json PATH]

Simulated users hold whole conversations with the production server (its Procfile command, on
127.0.0.1, verification off so requests need no signature). Each conversation finishes exercises
("That's toe presses done."), sometimes stops over the finishing count (the skill then takes that
finish back), sometimes runs the whole routine. Storage fails in the middle of the run and comes
back; afterwards every user's stored history is read directly and compared with what the skill
acknowledged: exercises, sessions and whole routines finished.

Faults (each restores storage afterwards, whatever happens):
  * read_only: the SQLite file and its WAL made immutable (chattr +i; root ignores file modes),
    so every write fails, also through descriptors opened before.
  * disk_full: the SQLite file on a small tmpfs of its own, filled to the last byte. Where this
    machine cannot mount one, each worker's RLIMIT_FSIZE is set to 0 instead (writes fail with
    EFBIG, as a full disk's fail with ENOSPC), and the report says so.
  * postgres_refusing: the run's own scratch database stops accepting connections and the server's
    backends are terminated (bench.load.PostgresBackend), so nobody else's database is touched.

Also counted: HTTP 5xx, 200s that are not valid Alexa responses, tracebacks in the server's log,
/healthz answers during the fault, and the workers' RSS before and after.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType
from typing import Any

from bench.fixtures import tests_module
from bench.load import FaultUnavailable, PostgresBackend, SqliteBackend, check_response, procfile_command, spoken

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 30.0
REQUEST_TIMEOUT_S = 15.0
TURN_SECONDS = 240          # the simulated clock moves on by this after a turn heard to its end
TMPFS_BYTES = 64 * 1024 * 1024
THINK_SECONDS = (0.03, 0.09)


# --- the server ----------------------------------------------------------------------------------

def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    """In the child: SIGTERM when the run dies, so no server outlives it (Linux only)."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Server:
    """The Procfile's server running on 127.0.0.1: its port, its process, its log file."""

    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def worker_pids(self) -> list[int]:
        """The server's worker processes (its children; the master itself when it has none)."""
        found: list[int] = []
        try:
            for task in Path(f"/proc/{self.process.pid}/task").iterdir():
                found += [int(pid) for pid in (task / "children").read_text().split()]
        except OSError:
            return []
        return found or [self.process.pid]

    def rss_kib(self) -> int:
        """Resident memory of all workers, in KiB."""
        return sum(rss_kib(pid) for pid in self.worker_pids())

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def healthz(self) -> dict[str, Any] | None:
        try:
            status, body = post_raw(self.port, "GET", "/healthz", b"", timeout=5)
            return json.loads(body) if status == 200 else None
        except (OSError, ValueError, http.client.HTTPException):
            return None


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@contextlib.contextmanager
def serve(env: dict[str, str], log_path: Path, *, workers: int = 2, command: str | None = None) -> Iterator[Server]:
    """Run the Procfile's web command (or `command`) on a free loopback port until /healthz answers; always stop it."""
    port = free_port()
    full_env = {**os.environ, "PORT": str(port), "WEB_CONCURRENCY": str(workers), **env,
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    with log_path.open("wb") as log:
        process = subprocess.Popen(["/bin/sh", "-c", f"exec {command or procfile_command()}"], cwd=ROOT,
                                   env=full_env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
    server = Server(port, process, log_path)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while server.healthz() is None:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start on 127.0.0.1:{port}\n{server.log_text()[-2000:]}")
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def post_raw(port: int, method: str, path: str, body: bytes, *, headers: dict[str, str] | None = None,
             timeout: float = REQUEST_TIMEOUT_S) -> tuple[int, bytes]:
    """One request on a fresh connection; (status, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body, {"Content-Type": "application/json", **(headers or {})})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# --- the faults --------------------------------------------------------------------------------------

class ReadOnlyFile(SqliteBackend):
    """The SQLite file and its WAL made immutable mid-run (see bench.load.SqliteBackend)."""

    name = "read_only"
    label = "SQLite file read-only (chattr +i)"

    def break_for(self, server: Server) -> str:
        return self.break_storage()


class DiskFull:
    """The SQLite file on a small tmpfs of its own, filled to the last byte; RLIMIT_FSIZE where mounting is refused."""

    name = "disk_full"
    label = "disk full"

    def __init__(self, workdir: Path, run_id: str) -> None:
        self.mount = workdir / "small-disk"
        self.mount.mkdir()
        self.path = self.mount / "faults.sqlite"
        self.url = self.reader_url = f"sqlite:///{self.path}"
        self.mounted = False
        self._filler = self.mount / "filler"
        self._limited: list[int] = []

    def check_fault(self) -> None:
        """Mount the tmpfs now if this machine lets us; otherwise the rlimit stand-in is used."""
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_BYTES},mode=0777", "tmpfs", str(self.mount)],
                              capture_output=True, timeout=10)
        self.mounted = done.returncode == 0
        if self.mounted:
            self.label = f"disk full (tmpfs of {TMPFS_BYTES // 2**20} MiB, filled)"
        else:
            self.label = "disk full (stand-in: workers' RLIMIT_FSIZE = 0, writes fail with EFBIG)"

    def setup(self) -> None:
        """Nothing to create: the app creates the file on its first request."""

    def break_for(self, server: Server) -> str:
        if self.mounted:
            # Unbuffered, so each write reaches the file system and ENOSPC ends the loop at once.
            with contextlib.suppress(OSError), self._filler.open("wb", buffering=0) as filler:
                for size in (1 << 20, 1 << 16, 1 << 12, 1 << 9):
                    with contextlib.suppress(OSError):   # ENOSPC: full at this granularity
                        while True:
                            filler.write(b"\0" * size)
            filled = self._filler.stat().st_size if self._filler.exists() else 0
            return f"filled the tmpfs: {filled:,} bytes of filler, {shutil.disk_usage(self.mount).free:,} bytes left"
        for pid in server.worker_pids():
            resource.prlimit(pid, resource.RLIMIT_FSIZE, (0, resource.RLIM_INFINITY))
            self._limited.append(pid)
        return f"RLIMIT_FSIZE=0 on {len(self._limited)} worker(s)"

    def restore_storage(self) -> None:
        self._filler.unlink(missing_ok=True)
        for pid in self._limited:
            with contextlib.suppress(OSError):
                resource.prlimit(pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        self._limited = []

    def cleanup(self) -> None:
        self.restore_storage()
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.mount)], capture_output=True, timeout=10)
            self.mounted = False


class PostgresRefusing(PostgresBackend):
    """The run's own scratch database refuses connections and its backends are killed (bench.load)."""

    name = "postgres_refusing"
    label = "PostgreSQL refusing connections"

    def break_for(self, server: Server) -> str:
        return self.break_storage()


FAULTS = ("read_only", "disk_full", "postgres_refusing")


def make_fault(name: str, workdir: Path, run_id: str, database_url: str | None) -> Any:
    """The fault called `name`, ready for setup().

    Raises:
        FaultUnavailable: PostgreSQL asked for without a server to make a scratch database on.
    """
    if name == "read_only":
        fault: Any = ReadOnlyFile(workdir, run_id)
        fault.path = workdir / "faults.sqlite"
        fault.url = fault.reader_url = f"sqlite:///{fault.path}"
        return fault
    if name == "disk_full":
        return DiskFull(workdir, run_id)
    if name == "postgres_refusing":
        if not database_url:
            raise FaultUnavailable("set TEST_DATABASE_URL (or --database-url) for the PostgreSQL fault")
        return PostgresRefusing(database_url, run_id)
    raise ValueError(f"unknown fault {name!r}; choose from {FAULTS}")


# --- the users ----------------------------------------------------------------------------------------

@dataclass
class Tally:
    """What the skill told one user it had recorded."""

    exercises: int = 0
    sessions: int = 0
    routines: int = 0


@dataclass
class Counts:
    """Everything the run counts, shared by the user threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter[int] = field(default_factory=Counter)
    invalid: list[str] = field(default_factory=list)
    transport: list[str] = field(default_factory=list)
    during_fault: int = 0
    requests: int = 0

    def note(self, status: int | None, problem: str | None, in_fault: bool) -> None:
        with self.lock:
            self.requests += 1
            self.during_fault += in_fault
            if status is None:
                self.transport.append(problem or "?")
            else:
                self.statuses[status] += 1
                if problem and len(self.invalid) < 20:
                    self.invalid.append(problem)
                elif problem:
                    self.invalid.append("...")


class User:
    """One simulated Alexa user: whole conversations, its own clock, its own tally."""

    def __init__(self, run: CounterRun, index: int) -> None:
        self.run = run
        self.user_id = f"amzn1.ask.account.FAULTS-{run.run_id}-{index:03d}"
        self.rng = random.Random(index)
        self.clock = datetime.now(timezone.utc)
        self.tally = Tally()

    def send(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        run = self.run
        # A pause between turns: a person finishes at most a few exercises a minute, and the stored
        # document remembers only its last MAX_APPLIED_IDS event ids (progress/events.py).
        time.sleep(self.rng.uniform(*THINK_SECONDS))
        in_fault = run.fault_on.is_set()
        try:
            status, data = post_raw(run.server.port, "POST", "/", json.dumps(payload).encode())
        except (OSError, http.client.HTTPException) as err:
            run.counts.note(None, f"{type(err).__name__}: {err}", in_fault)
            return None
        problem, body = check_response(data) if status == 200 else (f"HTTP {status}", {})
        run.counts.note(status, problem if status == 200 else None, in_fault)
        return body if status == 200 and problem is None else None

    def say(self, intent: str, attributes: dict[str, Any], slots: Any = None) -> dict[str, Any] | None:
        return self.send(self.run.rq.intent(intent, slots, session_attributes=attributes, user_id=self.user_id,
                                            at=self.clock))

    def conversation(self) -> None:
        """One Alexa session; the tally grows by what the skill said it recorded (and did not take back)."""
        rq, run = self.run.rq, self.run
        welcome = self.send(rq.launch(user_id=self.user_id, at=self.clock))
        if welcome is None:
            return
        attributes = welcome.get("sessionAttributes") or {}
        variant = self.rng.random()
        heard: list[str] = []          # exercise ids finished, as said
        routine = False
        if variant < 0.12:             # the whole routine, every turn heard to its end
            reply = self.say("StartRoutineIntent", attributes)
            while reply is not None:
                heard += run.finished_in(reply)
                routine = routine or run.routine_done_in(reply)
                if reply["response"].get("shouldEndSession"):
                    break
                self.clock += timedelta(seconds=TURN_SECONDS)
                reply = self.say("AMAZON.YesIntent", reply.get("sessionAttributes") or {})
            closing = None
        else:
            reply = None
            for exercise_id in ("toe_press", "resisted_flexion")[: 1 if variant < 0.4 else 2]:
                exercise = run.catalog.get(exercise_id)
                reply = self.say("StartExerciseIntent", attributes, {"exercise": {"value": exercise.name, "id": exercise_id}})
                if reply is None:
                    break
                heard += run.finished_in(reply)
                attributes = reply.get("sessionAttributes") or {}
                if variant >= 0.25:
                    self.clock += timedelta(seconds=TURN_SECONDS)   # heard to its end
            # Below 0.25: "stop" at once, over the finishing count, which takes that finish back.
            closing = self.say("AMAZON.StopIntent", attributes) if reply is not None else None
            if closing is not None and heard:
                kept = (closing.get("sessionAttributes") or {}).get("position")
                if isinstance(kept, dict) and kept.get("exercise_id") == heard[-1]:
                    heard.pop()        # the skill took that finish back
        self.clock += timedelta(seconds=TURN_SECONDS)
        self.tally.exercises += len(heard)
        self.tally.sessions += 1 if heard else 0
        self.tally.routines += 1 if routine and len(heard) == len(run.catalog.exercises) else 0


class CounterRun:
    """Users in threads before, during and after one storage fault; then stored vs acknowledged."""

    def __init__(self, server: Server, run_id: str, users: int) -> None:
        from skill.content.catalog import load_catalog

        self.server, self.run_id = server, run_id
        self.rq: ModuleType = tests_module("alexa_requests")
        self.catalog = load_catalog()
        prompts = json.loads((ROOT / "skill/content/locales/en-US/prompts.json").read_text())
        self._done = {e.id: [v.format(name=e.name) for v in prompts["exercise_done"]] for e in self.catalog.exercises}
        self._routine_done = [v.split(".")[0] for v in prompts["routine_done"]]
        self.counts = Counts()
        self.fault_on = threading.Event()
        self.stop = threading.Event()
        self.users = [User(self, n) for n in range(users)]

    def finished_in(self, reply: dict[str, Any]) -> list[str]:
        text = spoken(reply)
        return [eid for eid, said in self._done.items() if any(s.split(". ", 1)[-1] in text for s in said)]

    def routine_done_in(self, reply: dict[str, Any]) -> bool:
        return any(marker in spoken(reply) for marker in self._routine_done)

    def live(self, user: User) -> None:
        while not self.stop.is_set():
            user.conversation()


def stored_tally(reader: Any, rq: ModuleType, user_id: str) -> Tally:
    """What the store holds for a user (summed over every day of the log)."""
    document = reader.get_attributes(rq.to_model(rq.launch(user_id=user_id)))
    days = (document.get("log") or {}).values()
    return Tally(sum(d.get("exercises", 0) for d in days), sum(d.get("sessions", 0) for d in days),
                 int(document.get("routines_completed", 0)))


def run_counters(fault_name: str, *, users: int = 6, before: float = 2.0, during: float = 3.0, after: float = 2.0,
                 database_url: str | None = None, workers: int = 2) -> dict[str, Any]:
    """One fault run; the report compares what was acknowledged with what was stored."""
    from skill.persistence import make_store

    run_id = uuid.uuid4().hex[:10]
    rq = tests_module("alexa_requests")
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="footcoach-faults-")))
        fault = make_fault(fault_name, workdir, run_id, database_url)
        stack.callback(fault.cleanup)
        fault.check_fault()
        fault.setup()
        env = {"DATABASE_URL": fault.url, "SKILL_VERIFY_SIGNATURES": "0", "SKILL_ID": rq.SKILL_ID}
        logs: list[str] = []
        stack.callback(lambda: logs.append((workdir / "server.log").read_text(errors="replace")))  # once stopped
        server = stack.enter_context(serve(env, workdir / "server.log", workers=workers))
        reader = make_store(fault.reader_url)
        stack.callback(reader.close)
        run = CounterRun(server, run_id, users)
        rss_before = server.rss_kib()
        threads = [threading.Thread(target=run.live, args=(u,), daemon=True) for u in run.users]
        for thread in threads:
            thread.start()
        health_during: Counter[str] = Counter()
        action = ""
        try:
            time.sleep(before)
            run.fault_on.set()
            action = fault.break_for(server)
            until = time.monotonic() + during
            while time.monotonic() < until:
                health = server.healthz()
                health_during[health.get("storage", "?") if health else "no answer"] += 1
                time.sleep(0.25)
        finally:
            fault.restore_storage()
            run.fault_on.clear()
        time.sleep(after)
        run.stop.set()
        for thread in threads:
            thread.join(timeout=60)
        acknowledged, stored = settle(reader, rq, run)
        rss_after = server.rss_kib()
        health_after = server.healthz()
    log = logs[0] if logs else ""
    return {
        "fault": fault_name, "fault_label": fault.label, "action": action, "users": users,
        "requests": run.counts.requests, "requests_during_fault": run.counts.during_fault,
        "statuses": dict(run.counts.statuses), "http_5xx": sum(n for s, n in run.counts.statuses.items() if s >= 500),
        "invalid_200": len(run.counts.invalid), "invalid_samples": run.counts.invalid[:5],
        "transport_errors": len(run.counts.transport), "acknowledged": acknowledged, "stored": stored,
        "healthz_during_fault": dict(health_during), "healthz_after": health_after,
        "tracebacks": log.count("Traceback (most recent call last)"), "workers": workers,
        # Each episode begins with one traceback; an ended one says "is back", at most one per worker is still open.
        "episodes_ended": log.count(" is back: "),
        "summary_lines": [line for line in log.splitlines() if "storage " in line and (" is back" in line or "still" in line)][:5],
        "rss_kib": {"before": rss_before, "after": rss_after},
    }


def settle(reader: Any, rq: ModuleType, run: CounterRun, seconds: float = 30.0) -> tuple[dict[str, int], dict[str, int]]:
    """Acknowledged and stored totals, once the stored ones stop moving (history retried in the background lands)."""
    from skill.persistence import PersistenceException

    acknowledged = {"exercises": sum(u.tally.exercises for u in run.users),
                    "sessions": sum(u.tally.sessions for u in run.users),
                    "routines": sum(u.tally.routines for u in run.users)}
    stored: dict[str, int] = {}
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        try:
            tallies = [stored_tally(reader, rq, u.user_id) for u in run.users]
        except PersistenceException:
            time.sleep(0.5)
            continue
        stored = {"exercises": sum(t.exercises for t in tallies), "sessions": sum(t.sessions for t in tallies),
                  "routines": sum(t.routines for t in tallies)}
        if stored == acknowledged:
            break
        time.sleep(0.5)
    return acknowledged, stored


def counters_ok(report: dict[str, Any]) -> bool:
    """Nothing lost, nothing counted twice, nothing broken, logs readable."""
    return (report["acknowledged"] == report["stored"] and report["http_5xx"] == 0 and report["invalid_200"] == 0
            and report["transport_errors"] == 0 and tracebacks_per_episode(report))


def tracebacks_per_episode(report: dict[str, Any]) -> bool:
    """At most one traceback per fault episode (ended ones, plus one still open per worker), never one per request."""
    return 1 <= report["tracebacks"] <= report["episodes_ended"] + report["workers"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=__doc__.split("\n\n")[0])
    parser.add_argument("--fault", action="append", choices=FAULTS, help="default: all three")
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--seconds", type=float, nargs=3, default=(3.0, 5.0, 3.0), metavar=("BEFORE", "DURING", "AFTER"))
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    reports = []
    for name in args.fault or FAULTS:
        try:
            reports.append(run_counters(name, users=min(args.users, 100), before=args.seconds[0],
                                        during=args.seconds[1], after=args.seconds[2], database_url=args.database_url))
        except FaultUnavailable as err:
            print(f"{name}: cannot be simulated here: {err}", file=sys.stderr)
    print(table(reports))
    if args.json:
        args.json.write_text(json.dumps(reports, indent=2) + "\n")
    return 0 if all(counters_ok(r) for r in reports) else 1


def table(reports: list[dict[str, Any]]) -> str:
    """One row per fault run."""
    rows = ["| fault | requests (during fault) | acknowledged ex/sess/rout | stored ex/sess/rout | 5xx | invalid 200 "
            "| tracebacks | /healthz during fault | RSS before → after |",
            "|---|---|---|---|---|---|---|---|---|"]
    for r in reports:
        a, s = r["acknowledged"], r["stored"]
        rows.append(f"| {r['fault_label']} | {r['requests']:,} ({r['requests_during_fault']:,}) "
                    f"| {a['exercises']}/{a['sessions']}/{a['routines']} | {s.get('exercises')}/{s.get('sessions')}/"
                    f"{s.get('routines')} | {r['http_5xx']} | {r['invalid_200']} | {r['tracebacks']} "
                    f"| {', '.join(f'{k} {v}' for k, v in r['healthz_during_fault'].items())} "
                    f"| {r['rss_kib']['before'] // 1024} → {r['rss_kib']['after'] // 1024} MiB |")
    return "\n".join(rows)


if __name__ == "__main__":
    sys.exit(main())
