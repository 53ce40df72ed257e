"""Load and storage-fault run: simulated users hold whole conversations with the Procfile's server (2 workers).

    python -m bench.load --backend sqlite|postgres --users N --seconds S [--fault] [--max-requests M]

Each user opens the skill, starts an exercise (or accepts the offer to resume), says yes a few
times, sometimes pauses and resumes, and stops; then opens the skill again, where the welcome
must name exactly the place stored for them. After every conversation the user reads their own
row from the database (make_store with the app's key function) and checks it against what the
session said; at the end every user is checked once more. Every response must be a valid Alexa
response (HTTP 200, SSML that parses, within the speech limits); the server's request log must
have one JSON line per request and never a raw user id.

With --fault, storage fails for a few seconds in the middle of the run, then comes back:
  * SQLite: the database and its WAL are made immutable (chattr +i). Root ignores file modes,
    and an open connection never re-checks them, but an immutable file refuses every write,
    even through descriptors opened before, so saves really fail while reads still work.
  * PostgreSQL: the run's own scratch database stops accepting connections and the server's
    backends (application_name foot-coach-load-<run>) are killed with pg_terminate_backend.
The skill must keep answering 200, recover by itself, and never claim to have saved a place it
could not: a goodbye that says "I'll remember where you stopped" must be true.

Everything is bounded (seconds, requests, users, per-request timeout), talks to 127.0.0.1 only,
always stops the server and restores storage, and writes its figures to bench/results/ (gitignored).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import logging
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bench.fixtures import tests_module
from bench.servers import free_port, procfile_command
from bench.servers import stop as stop_server

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
MAX_SECONDS, MAX_USERS, MAX_REQUESTS = 600.0, 500, 1_000_000
REQUEST_TIMEOUT_S = 10.0
START_TIMEOUT_S = 20.0
SSML_LIMIT, BREAK_LIMIT_MS = 8_000, 10_000
# Questions asked with a workout under way (see skill/progress/state.py, Question).
WORKOUT_QUESTIONS = ("next_part", "next_exercise", "resume_paused", "ways_on", "after_pain", "resume_last_time",
                     "get_in_position")
# After PostgreSQL comes back, a worker that waited in vain for a connection (pool timeout 2 s)
# refuses at once for retry_after (5 s); conversations ending within this of the restore may
# still have lost their last save, so they are held to the honesty check, not the strict one.
RECOVERY_GRACE_S = {"sqlite": 0.5, "postgres": 8.0}
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class FaultUnavailable(RuntimeError):
    """This machine cannot make the storage fail the way the run needs (e.g. no chattr)."""


# --- storage backends and their faults ------------------------------------------------------------

class SqliteBackend:
    """A SQLite file in a private folder; the fault makes the file and its WAL immutable."""

    name = "sqlite"

    def __init__(self, workdir: Path, run_id: str) -> None:
        self.path = workdir / "load.sqlite"
        self.url = self.reader_url = f"sqlite:///{self.path}"
        self._frozen: list[Path] = []

    def setup(self) -> None:
        """Nothing to create: the app creates the file on its first request."""

    def check_fault(self) -> None:
        """Raise FaultUnavailable unless chattr +i really stops writes here."""
        probe = self.path.parent / "chattr-probe"
        probe.write_bytes(b"x")
        try:
            with probe.open("ab", buffering=0) as handle:
                if not _chattr("+i", [probe]):
                    raise FaultUnavailable("chattr +i is not available here (needs root and ext4/xfs/btrfs)")
                try:
                    handle.write(b"y")
                except OSError:
                    return
                raise FaultUnavailable("chattr +i did not stop writes through an open file")
        finally:
            _chattr("-i", [probe])
            probe.unlink(missing_ok=True)

    def break_storage(self) -> str:
        files = [p for p in (self.path, self.path.with_name(self.path.name + "-wal")) if p.exists()]
        if not _chattr("+i", files):
            raise FaultUnavailable(f"chattr +i failed on {files}")
        self._frozen = files
        return f"chattr +i {' '.join(p.name for p in files)}"

    def restore_storage(self) -> None:
        if self._frozen:
            _chattr("-i", self._frozen)
            self._frozen = []

    def cleanup(self) -> None:
        self.restore_storage()


def _chattr(flag: str, paths: list[Path]) -> bool:
    if not paths:
        return True
    chattr = shutil.which("chattr")
    if chattr is None:
        return False
    done = subprocess.run([chattr, flag, *map(str, paths)], capture_output=True, timeout=10)
    return done.returncode == 0


class PostgresBackend:
    """A scratch database of the run's own on a loopback server; dropped afterwards.

    The fault refuses new connections to it and terminates the app's backends, so the outage
    touches nobody else's connections or data.
    """

    name = "postgres"

    def __init__(self, base_url: str, run_id: str) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("postgres", "postgresql"):
            raise ValueError("the PostgreSQL URL must start with postgresql://")
        if parts.hostname and parts.hostname not in LOOPBACK:
            raise ValueError(f"load runs talk to 127.0.0.1 only, not {parts.hostname!r}")
        self.base_url = base_url
        self.database = f"footcoach_load_{run_id}"
        self.app_name = f"foot-coach-load-{run_id}"
        self.url = _with_database(parts, self.database, self.app_name)
        self.reader_url = _with_database(parts, self.database, f"foot-coach-check-{run_id}")
        self._created = False

    def _admin(self) -> Any:
        import psycopg

        return psycopg.connect(self.base_url, autocommit=True, connect_timeout=5)

    def setup(self) -> None:
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{self.database}"')
        self._created = True

    def check_fault(self) -> None:
        """pg_terminate_backend and ALTER DATABASE need a superuser (trust auth as postgres here)."""
        with self._admin() as conn:
            if not conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]:
                raise FaultUnavailable("the PostgreSQL fault needs a superuser connection")

    def break_storage(self) -> str:
        with self._admin() as conn:
            conn.execute(f'ALTER DATABASE "{self.database}" ALLOW_CONNECTIONS false')
            killed = conn.execute(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %s AND application_name = %s", (self.database, self.app_name)).fetchone()[0]
        return f"connections refused, {killed} backend(s) of {self.app_name} terminated"

    def restore_storage(self) -> None:
        if self._created:
            with self._admin() as conn:
                conn.execute(f'ALTER DATABASE "{self.database}" ALLOW_CONNECTIONS true')

    def cleanup(self) -> None:
        if self._created:
            with contextlib.suppress(Exception):
                self.restore_storage()
            with self._admin() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            self._created = False


def _with_database(parts: Any, database: str, application_name: str) -> str:
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("application_name", "dbname")]
    query.append(("application_name", application_name))
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", urlencode(query), ""))


# --- the Procfile's server --------------------------------------------------------------------------


def _die_with_parent() -> None:
    """In the child: SIGTERM when the run dies, so no server outlives it (Linux only)."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@contextlib.contextmanager
def procfile_server(database_url: str, skill_id: str, log_path: Path) -> Iterator[int]:
    """Run the Procfile's web command (2 workers) on a free loopback port; yield the port; always stop it."""
    port = free_port()
    env = {**os.environ, "PORT": str(port), "WEB_CONCURRENCY": "2", "DATABASE_URL": database_url,
           "SKILL_VERIFY_SIGNATURES": "0", "SKILL_ID": skill_id,
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    with log_path.open("wb") as log:
        process = subprocess.Popen(["/bin/sh", "-c", f"exec {procfile_command()}"], cwd=ROOT, env=env,
                                   stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not healthz(port):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"the server did not start on 127.0.0.1:{port}\n{tail}")
            time.sleep(0.1)
        # Every worker has loaded the app (granian holds up a stop asked for while a worker boots).
        while log_path.read_text(errors="replace").count("Started worker") < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        yield port
    finally:
        stop_server(process)


def healthz(port: int) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return json.loads(response.read())
    except (urllib.error.URLError, ConnectionError, OSError, ValueError):
        return None


# --- the run -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LoadConfig:
    """How big a run is; every figure is capped."""

    backend: str = "sqlite"
    users: int = 20
    seconds: float = 20.0
    max_requests: int = 200_000
    fault: bool = False
    fault_at: float | None = None        # seconds into the run (default: a quarter of it, at least 1 s)
    fault_seconds: float | None = None   # how long storage stays down (default: a quarter of the run, 1..5 s)
    database_url: str | None = None      # PostgreSQL server to make a scratch database on
    seed: int = 0

    def bounded(self) -> LoadConfig:
        """The same run with every figure inside the caps."""
        seconds = min(max(self.seconds, 1.0), MAX_SECONDS)
        fault_at = self.fault_at if self.fault_at is not None else max(1.0, seconds / 4)
        fault_seconds = self.fault_seconds if self.fault_seconds is not None else min(max(seconds / 4, 1.0), 5.0)
        return LoadConfig(self.backend, min(max(self.users, 1), MAX_USERS), seconds,
                          min(max(self.max_requests, 1), MAX_REQUESTS), self.fault,
                          min(max(fault_at, 0.2), seconds), min(max(fault_seconds, 0.2), seconds),
                          self.database_url, self.seed)


@dataclass
class FaultWindow:
    """When storage was down (seconds since the run started) and what was done."""

    action: str = ""
    start: float | None = None
    end: float | None = None
    recovered_after: float | None = None   # /healthz said reachable again, seconds after the restore

    def touches(self, began: float, ended: float, grace: float) -> bool:
        """Whether a span of the run overlaps the outage or the recovery grace after it."""
        if self.start is None:
            return False
        return ended >= self.start and (self.end is None or began <= self.end + grace)


class Run:
    """What all users share: the server, the budget, the clock, the tallies."""

    def __init__(self, config: LoadConfig, port: int, reader: Any, rq: ModuleType, run_id: str) -> None:
        from skill.content.catalog import load_catalog
        from skill.content.prompts import Prompts

        self.config, self.port, self.reader, self.rq, self.run_id = config, port, reader, rq, run_id
        self.catalog = load_catalog()
        self.prompts = Prompts.load()
        prompts = json.loads((ROOT / "skill" / "content" / "locales" / "en-US" / "prompts.json").read_text())
        # The wording is read from the prompts file, so rewording a prompt does not break the checks.
        self.welcomes = prompts["welcome_back_resume"]
        self.welcome_markers = [v.split("{place}")[0].split(".")[-1].strip() for v in self.welcomes]
        self.saved_claims = [v.split(":")[0] for v in prompts["goodbye_saved_at"]]
        self.lock = threading.Lock()
        self.started = time.monotonic()
        self.deadline = self.started + config.seconds
        self.sent = 0
        self.fault = FaultWindow()
        self.grace = RECOVERY_GRACE_S[config.backend]
        self.errors: Counter[str] = Counter()
        self.samples: list[str] = []
        self.counts: Counter[str] = Counter()
        self.latencies: list[float] = []

    def now(self) -> float:
        return time.monotonic() - self.started

    def error(self, kind: str, detail: str) -> None:
        with self.lock:
            self.errors[kind] += 1
            if len(self.samples) < 30:
                self.samples.append(f"{kind}: {detail}"[:500])

    def count(self, what: str, n: int = 1) -> None:
        with self.lock:
            self.counts[what] += n

    def take(self, force: bool) -> bool:
        """Reserve one request of the budget (a conversation's closing stop is always allowed)."""
        with self.lock:
            if not force and (self.sent >= self.config.max_requests or time.monotonic() >= self.deadline):
                return False
            self.sent += 1
            return True

    def post(self, payload: dict[str, Any], *, measured: bool = True) -> tuple[dict[str, Any] | None, float, float]:
        """POST one envelope; return (valid response or None, start, end) in run seconds."""
        body = json.dumps(payload).encode()
        began = self.now()
        started = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT_S)
        try:
            conn.request("POST", "/", body, {"Content-Type": "application/json"})
            response = conn.getresponse()
            status, data = response.status, response.read()
        except (OSError, http.client.HTTPException) as err:
            self.error("transport", f"{type(err).__name__}: {err}")
            return None, began, self.now()
        finally:
            conn.close()
        elapsed = time.perf_counter() - started
        ended = self.now()
        with self.lock:
            self.counts["responses"] += 1
            if measured:
                self.latencies.append(elapsed)
            if self.fault.touches(began, ended, 0.0):
                self.counts["responses_during_fault"] += 1
        if status >= 500:
            self.error("http_5xx", f"{status} {data[:200]!r}")
            return None, began, ended
        if status != 200:
            self.error("http_other", f"{status} {data[:200]!r}")
            return None, began, ended
        problem, parsed = check_response(data)
        if problem:
            self.error("invalid_response", problem)
            return None, began, ended
        return parsed, began, ended

    def stored_place(self, user_id: str) -> dict[str, Any] | None:
        """The place stored for a user, read directly with the app's own key function.

        The bench's reader may itself meet the end of an outage, so it retries for a while.
        """
        from skill.persistence import PersistenceException

        envelope = self.rq.to_model(self.rq.launch(user_id=user_id))
        give_up = time.monotonic() + 15
        while True:
            try:
                place = self.reader.get_attributes(envelope).get("place")
                return place if isinstance(place, dict) else None
            except PersistenceException:
                if time.monotonic() > give_up:
                    raise
                time.sleep(0.2)

    def names_place(self, text: str, place: dict[str, Any]) -> bool:
        """Whether a welcome names exactly this place."""
        from skill.workout.routine import Position, describe_place

        described = describe_place(self.catalog, Position(**place), self.prompts)
        return any(" ".join(v.format(place=described).split()) in text for v in self.welcomes)


def check_response(data: bytes) -> tuple[str | None, dict[str, Any]]:
    """Return (what is wrong, parsed body): a valid Alexa response within the speech limits."""
    try:
        body = json.loads(data, parse_constant=lambda name: (_ for _ in ()).throw(ValueError(name)))
        if body.get("version") != "1.0" or not isinstance(body.get("response"), dict):
            return "no version 1.0 or no response object", body
        response = body["response"]
        for speech in (response.get("outputSpeech"), (response.get("reprompt") or {}).get("outputSpeech")):
            if speech is None:
                continue
            ssml = speech["ssml"]
            if len(ssml) > SSML_LIMIT:
                return f"SSML of {len(ssml)} characters", body
            for pause in ET.fromstring(ssml).iter("break"):
                value = pause.attrib["time"]
                ms = float(value[:-2]) if value.endswith("ms") else float(value[:-1]) * 1000
                if ms > BREAK_LIMIT_MS:
                    return f"break of {value}", body
        if response.get("shouldEndSession") is False and not response.get("reprompt"):
            return "open session without a reprompt", body
    except (ValueError, KeyError, TypeError, AttributeError, ET.ParseError) as err:
        return f"unreadable response: {type(err).__name__}: {err}", {}
    return None, body


def spoken(body: dict[str, Any]) -> str:
    ssml = (body["response"].get("outputSpeech") or {}).get("ssml", "<speak/>")
    return " ".join("".join(ET.fromstring(ssml).itertext()).split())


def session_place(attributes: dict[str, Any]) -> dict[str, Any] | None:
    """The place a session is at, as the skill would store it on stopping."""
    position = attributes.get("position")
    return position if attributes.get("question") in WORKOUT_QUESTIONS and isinstance(position, dict) else None


@dataclass
class UserRecord:
    """One simulated user's history, for the final check."""

    user_id: str
    conversations: int = 0
    stored: dict[str, Any] | None = None      # the row's place after the last conversation
    did: dict[str, Any] | None = None         # where the last conversation really stopped
    last_clean: bool = True                   # the last conversation missed the outage


class SimulatedUser:
    """Whole conversations, one after another, until the run's time or request budget is used."""

    def __init__(self, run: Run, index: int) -> None:
        self.run = run
        self.rng = random.Random(run.config.seed * 100_003 + index)
        self.record = UserRecord(f"amzn1.ask.account.LOAD-{run.run_id}-{index:04d}")

    def say(self, name: str, attributes: dict[str, Any], slots: Any = None,
            force: bool = False) -> tuple[dict[str, Any] | None, float, float] | None:
        if not self.run.take(force):
            return None
        payload = self.run.rq.intent(name, slots, session_attributes=attributes, user_id=self.record.user_id)
        return self.run.post(payload)

    def live(self) -> None:
        while self.conversation():
            pass

    def conversation(self) -> bool:
        """One conversation; False when the budget is used up."""
        run, rq = self.run, self.run.rq
        if not run.take(False):
            return False
        welcome, began, ended = run.post(rq.launch(user_id=self.record.user_id))
        if welcome is None:
            return True
        self.check_welcome(welcome, run.fault.touches(began, ended, run.grace))
        attributes = welcome.get("sessionAttributes") or {}
        places: list[dict[str, Any] | None] = []
        if attributes.get("question") == "resume_last_time" and self.rng.random() < 0.5:
            step = self.say("AMAZON.YesIntent", attributes)
        else:
            exercise = self.rng.choice(run.catalog.exercises)
            slots = {"exercise": {"value": exercise.name, "id": exercise.id}}
            step = self.say("StartExerciseIntent", attributes, slots)
        ended_by_skill, uncertain, turns_left = False, False, self.rng.randint(0, 4)
        while step is not None:
            reply = step[0]
            if reply is None:
                uncertain = True   # the request failed (already counted); the server may have moved on
                break
            attributes = reply.get("sessionAttributes") or {}
            places.append(session_place(attributes))
            if reply["response"].get("shouldEndSession"):
                ended_by_skill = True   # the exercise or the routine is finished
                break
            if turns_left == 0:
                break
            turns_left -= 1
            if self.rng.random() < 0.15:
                paused = self.say("AMAZON.PauseIntent", attributes)
                if paused is None or paused[0] is None:
                    step = paused
                    continue
                attributes = paused[0].get("sessionAttributes") or {}
                places.append(session_place(attributes))
                step = self.say("AMAZON.ResumeIntent", attributes)
            else:
                step = self.say("AMAZON.YesIntent", attributes)
        did = session_place(attributes)
        closing: tuple[dict[str, Any] | None, float, float] | None = None
        if not ended_by_skill:
            closing = self.say("AMAZON.StopIntent", attributes, force=True)
            uncertain = uncertain or closing is None or closing[0] is None
            if closing is not None and closing[0] is not None:
                # A stop over a count keeps the rep that was playing: the goodbye's state says which.
                kept = (closing[0].get("sessionAttributes") or {}).get("position")
                if isinstance(kept, dict) and did is not None:
                    did = kept
                    places.append(kept)
        finished = closing[2] if closing else run.now()
        near = uncertain or run.fault.touches(began, finished, run.grace)
        self.after_conversation(did, places, closing, near)
        return True

    def check_welcome(self, welcome: dict[str, Any], near_fault: bool) -> None:
        """The welcome names exactly the stored place (or none while storage may be unreadable)."""
        run, text = self.run, spoken(welcome)
        named = any(marker in text for marker in run.welcome_markers)
        expected = self.record.stored
        if expected is None and named:
            run.error("welcome_foreign_place", f"{self.record.user_id}: nothing stored, heard {text!r}")
        elif expected is not None:
            if named and not run.names_place(text, expected):
                run.error("welcome_wrong_place", f"stored {expected}, heard {text!r}")
            elif not named and not near_fault:
                run.error("welcome_missing_place", f"stored {expected}, heard {text!r}")
        run.count("welcomes")

    def after_conversation(self, did: dict[str, Any] | None, places: list[dict[str, Any] | None],
                           closing: tuple[dict[str, Any] | None, float, float] | None, near_fault: bool) -> None:
        """Read the row back; hold it to what the session did, or during an outage to honesty."""
        run = self.run
        try:
            stored = run.stored_place(self.record.user_id)
        except Exception as err:  # noqa: BLE001 - any storage error here is the bench's, not the skill's
            run.error("check_read_failed", f"{type(err).__name__}: {err}")
            return
        run.count("conversations")
        claimed = closing is not None and closing[0] is not None and any(
            claim in spoken(closing[0]) for claim in run.saved_claims)
        if claimed and stored != did:
            run.error("false_claim", f"said it would remember {did}, stored {stored}")
        if stored not in (self.record.stored, did, *places):
            run.error("foreign_place", f"stored {stored}, never a place of this user's sessions")
        if near_fault:   # the outage (or a failed request) may have cost the last save
            run.count("conversations_near_fault")
            if stored != did:
                run.count("unsaved_during_fault")
        elif stored != did:
            run.error("lost_progress", f"{self.record.user_id}: did {did}, stored {stored}")
        self.record.conversations += 1
        self.record.stored, self.record.did, self.record.last_clean = stored, did, not near_fault


def break_and_restore(run: Run, backend: Any, stop: threading.Event) -> None:
    """The fault: storage down from fault_at for fault_seconds, then back; wait for /healthz to agree."""
    config = run.config
    assert config.fault_at is not None and config.fault_seconds is not None
    if stop.wait(config.fault_at):
        return
    try:
        run.fault.start = run.now()
        run.fault.action = backend.break_storage()
        stop.wait(config.fault_seconds)
    except Exception as err:  # noqa: BLE001 - reported; the run fails, storage is restored below
        run.error("fault_failed", f"{type(err).__name__}: {err}")
    finally:
        try:
            backend.restore_storage()
        except Exception as err:  # noqa: BLE001
            run.error("restore_failed", f"{type(err).__name__}: {err}")
        run.fault.end = run.now()
    until = time.monotonic() + 15   # bounded; not cut short by the end of the load, to time the recovery
    while time.monotonic() < until:
        health = healthz(run.port)
        if health and health.get("storage") == "reachable":
            run.fault.recovered_after = round(run.now() - run.fault.end, 2)
            return
        time.sleep(0.1)


def wait_for_storage(port: int, seconds: float = 15.0) -> None:
    """Before the final checks: several /healthz in a row (both workers, likely) say reachable."""
    until, streak = time.monotonic() + seconds, 0
    while time.monotonic() < until and streak < 4:
        health = healthz(port)
        streak = streak + 1 if health and health.get("storage") == "reachable" else 0
        time.sleep(0.1 if streak else 0.5)


def percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(fraction * len(ordered) + 0.5) - 1))]


def run_load(config: LoadConfig, workdir: Path | None = None) -> dict[str, Any]:
    """Run one bounded load (and fault) run; return its report (see ``report_ok``)."""
    config = config.bounded()
    rq = tests_module("alexa_requests")
    from skill.persistence import make_store
    from skill.persistence.keys import user_key

    run_id = uuid.uuid4().hex[:10]
    with contextlib.ExitStack() as stack:
        folder = workdir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="footcoach-load-")))
        if config.backend == "sqlite":
            backend: Any = SqliteBackend(folder, run_id)
        elif config.backend == "postgres":
            url = config.database_url or os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
            if not url:
                raise ValueError("PostgreSQL runs need --database-url (or TEST_DATABASE_URL)")
            backend = PostgresBackend(url, run_id)
        else:
            raise ValueError(f"unknown backend {config.backend!r}")
        if config.fault:
            backend.check_fault()
        backend.setup()
        stack.callback(backend.cleanup)
        reader = make_store(backend.reader_url, key_fn=user_key)   # the app's own key function
        stack.callback(reader.close)
        log_path = folder / "server.log"
        with procfile_server(backend.url, rq.SKILL_ID, log_path) as port:
            run, elapsed, final = drive(config, port, reader, rq, run_id, backend)
        server_log = log_path_text(log_path)   # complete now that the server has stopped
        return build_report(run, config, elapsed, final, run.sent + final["requests"], server_log, run_id)


def drive(config: LoadConfig, port: int, reader: Any, rq: ModuleType, run_id: str,
          backend: Any) -> tuple[Run, float, dict[str, Any]]:
    """Let the users loose (and the fault, if asked); then the final checks."""
    run = Run(config, port, reader, rq, run_id)
    users = [SimulatedUser(run, n) for n in range(config.users)]
    stop = threading.Event()
    threads = [threading.Thread(target=user.live, name=f"user-{n}", daemon=True) for n, user in enumerate(users)]
    fault = threading.Thread(target=break_and_restore, args=(run, backend, stop), daemon=True)
    try:
        if config.fault:
            fault.start()
        for thread in threads:
            thread.start()
        give_up = run.deadline + REQUEST_TIMEOUT_S * 8 + 30   # a user's last turns may outlast the run
        for thread in threads:
            thread.join(timeout=max(0.0, give_up - time.monotonic()))
    finally:
        stop.set()
        if config.fault:
            fault.join(timeout=30)
        backend.restore_storage()
    elapsed = run.now()
    stuck = sum(thread.is_alive() for thread in threads)
    if stuck:
        run.error("stuck_users", f"{stuck} user thread(s) still running")
    wait_for_storage(port)
    final = final_check(run, users)
    return run, elapsed, final


def log_path_text(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def final_check(run: Run, users: list[SimulatedUser]) -> dict[str, Any]:
    """Once storage is healthy: every user's row, and the welcome each now hears."""
    checked = requests = 0
    for user in users:
        record = user.record
        try:
            stored = run.stored_place(record.user_id)
        except Exception as err:  # noqa: BLE001
            run.error("check_read_failed", f"{type(err).__name__}: {err}")
            continue
        checked += 1
        if stored != record.stored:
            run.error("row_changed_after_conversation", f"{record.user_id}: read {record.stored}, now {stored}")
        if record.conversations and record.last_clean and stored != record.did:
            run.error("lost_progress", f"final: {record.user_id} did {record.did}, stored {stored}")
        welcome, _, _ = run.post(run.rq.launch(user_id=record.user_id), measured=False)
        requests += 1
        if welcome is not None:
            user.check_welcome(welcome, near_fault=False)
            if welcome.get("response", {}).get("shouldEndSession") is False:
                run.post(run.rq.intent("AMAZON.StopIntent", session_attributes=welcome.get("sessionAttributes") or {},
                                       user_id=record.user_id), measured=False)
                requests += 1
    return {"users_checked": checked, "requests": requests}


def build_report(run: Run, config: LoadConfig, elapsed: float, final: dict[str, Any], posts: int,
                 server_log: str, run_id: str) -> dict[str, Any]:
    lines = [line for line in server_log.splitlines() if line.startswith('{"request_type"')]
    parsed = 0
    for line in lines:
        with contextlib.suppress(ValueError):
            parsed += isinstance(json.loads(line), dict)
    if f"LOAD-{run_id}" in server_log:
        run.error("raw_user_id_in_log", "a user id appears in the server's log")
    responses = run.counts["responses"]
    if not responses <= parsed <= posts:
        run.error("log_lines", f"{parsed} request lines for {responses} responses ({posts} requests sent)")
    latencies_ms = [s * 1000 for s in run.latencies]
    measured = len(latencies_ms)
    report = {
        "backend": config.backend, "users": config.users, "seconds": round(elapsed, 2), "fault": config.fault,
        "requests": measured, "throughput_rps": round(measured / elapsed, 1) if elapsed else 0.0,
        "latency_ms": {name: (round(value, 2) if value is not None else None) for name, value in (
            ("p50", percentile(latencies_ms, 0.50)), ("p90", percentile(latencies_ms, 0.90)),
            ("p99", percentile(latencies_ms, 0.99)), ("max", max(latencies_ms, default=None)))},
        "conversations": run.counts["conversations"], "welcomes": run.counts["welcomes"],
        "errors": dict(run.errors), "error_samples": run.samples,
        "log": {"request_lines": parsed, "responses": responses, "requests_sent": posts},
        "final": final,
        "config": asdict(config),
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    if config.fault:
        report["fault_window"] = {**asdict(run.fault),
                                  "responses_during": run.counts["responses_during_fault"],
                                  "conversations_near": run.counts["conversations_near_fault"],
                                  "unsaved_during": run.counts["unsaved_during_fault"]}
    report["ok"] = not run.errors
    return report


def report_ok(report: dict[str, Any]) -> bool:
    """Zero errors of any kind: no 5xx or bad response, no lost progress, no false claim, clean log."""
    return bool(report["ok"])


def table(report: dict[str, Any]) -> str:
    latency = report["latency_ms"]
    rows = [
        ("backend", f"{report['backend']}{' + fault' if report['fault'] else ''}"),
        ("users x seconds", f"{report['users']} x {report['seconds']}"),
        ("requests", report["requests"]), ("throughput", f"{report['throughput_rps']} req/s"),
        ("latency p50 / p90 / p99 / max",
         " / ".join(str(latency[name]) for name in ("p50", "p90", "p99", "max")) + " ms"),
        ("conversations", report["conversations"]),
        ("errors", ", ".join(f"{k}={v}" for k, v in sorted(report["errors"].items())) or "none"),
        ("log lines / responses", f"{report['log']['request_lines']} / {report['log']['responses']}"),
    ]
    if "fault_window" in report:
        window = report["fault_window"]
        rows += [("fault", window["action"]),
                 ("storage down", f"{window['start']:.1f} s to {window['end']:.1f} s" if window["end"] else "?"),
                 ("answered during the outage", window["responses_during"]),
                 ("conversations near it / unsaved", f"{window['conversations_near']} / {window['unsaved_during']}"),
                 ("healthz reachable after restore", f"{window['recovered_after']} s")]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"| {name.ljust(width)} | {value} |" for name, value in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--fault", action="store_true", help="make storage fail for a few seconds mid-run")
    parser.add_argument("--fault-at", type=float, default=None)
    parser.add_argument("--fault-seconds", type=float, default=None)
    parser.add_argument("--database-url", default=None, help="PostgreSQL server (default: TEST_DATABASE_URL)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, help="where to write the report (default: bench/results/)")
    args = parser.parse_args(argv)
    # SIGTERM too must run the finally blocks that restore storage and stop the server.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    logging.getLogger("psycopg.pool").setLevel(logging.ERROR)   # the checker's own reconnect attempts
    config = LoadConfig(args.backend, args.users, args.seconds, args.max_requests, args.fault, args.fault_at,
                        args.fault_seconds, args.database_url, args.seed)
    try:
        report = run_load(config)
    except FaultUnavailable as err:
        print(f"cannot simulate the storage fault here: {err}", file=sys.stderr)
        return 2
    name = f"load-{args.backend}{'-fault' if args.fault else ''}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path = args.json or RESULTS / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(table(report))
    summary = ("backend", "fault", "users", "requests", "throughput_rps", "latency_ms", "errors")
    print(json.dumps({key: report[key] for key in summary}))
    print(f"report: {path}")
    for sample in report["error_samples"][:10]:
        print(f"  {sample}", file=sys.stderr)
    return 0 if report_ok(report) else 1


if __name__ == "__main__":
    sys.exit(main())
