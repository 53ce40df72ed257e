"""End to end: the Procfile's web command starts the real server on 127.0.0.1 and serves Alexa JSON.

Also what the server must withstand: slow and hostile clients (headers sent a line a second,
malformed chunked bodies, oversized headers), SIGTERM with a request in flight, a crashed worker.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import alexa_requests as rq
import pytest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 20
STOP_TIMEOUT_S = 20


def procfile_web_command() -> str:
    """The `web:` line of the Procfile, as the platform would run it."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return line.removeprefix("web:").strip()
    raise AssertionError("Procfile has no web: line")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Running:
    """The server started from the Procfile: its base URL, port, process and log file."""

    base: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        """Everything the server has printed so far."""
        return self.log.read_text(errors="replace")


@contextmanager
def procfile_server(env: dict[str, str]) -> Iterator[Running]:
    """Run the Procfile's web command on a free port (bound to 127.0.0.1 only); always stop it and its workers."""
    port = free_port()
    # Same command as the Procfile, but listening on loopback only, as tests must.
    command = procfile_web_command().replace("0.0.0.0", "127.0.0.1")
    full_env = {**os.environ, **env, "PORT": str(port), "WEB_CONCURRENCY": "2",
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    log = Path(tempfile.mkstemp(prefix="foot-coach-e2e-", suffix=".log")[1])
    with log.open("wb") as out:
        # A session of its own, so that the whole group (workers included) can be killed if need be.
        process = subprocess.Popen(["/bin/sh", "-c", f"exec {command}"], cwd=ROOT, env=full_env, stdout=out,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    server = Running(f"http://127.0.0.1:{port}", port, process, log)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                with urllib.request.urlopen(f"{server.base}/healthz", timeout=2):
                    break
            except OSError:   # refused, reset, or a read timing out while a loaded machine starts workers
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"the server did not start: {shlex.quote(command)}\n{server.output()}") from None
                time.sleep(0.1)
        # Every worker has loaded the app (granian holds up a stop asked for while a worker is booting).
        while server.output().count("Started worker") < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)   # any worker left behind
        process.wait()
        log.unlink(missing_ok=True)


def post(base: str, payload: Any, *, raw: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """POST to the webhook; return (status, parsed JSON body or None)."""
    data = raw if raw is not None else json.dumps(payload).encode()
    request = urllib.request.Request(f"{base}/", data=data, method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        body = err.read()
        return err.code, json.loads(body) if body.startswith(b"{") else None


def speech(body: dict[str, Any]) -> str:
    return body["response"]["outputSpeech"]["ssml"]


def test_a_conversation_survives_a_server_restart(tmp_path: Path) -> None:
    """Through the real server's workers: start an exercise, stop, restart the server, welcome back resumes."""
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'e2e.sqlite'}", "SKILL_VERIFY_SIGNATURES": "0",
           "SKILL_ID": rq.SKILL_ID}
    with procfile_server(env) as server:
        base = server.base
        with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:
            health = json.loads(response.read())
        assert health["storage"] == "reachable"
        status, body = post(base, rq.launch())
        assert status == 200 and "Welcome to Foot Coach" in speech(body)
        status, body = post(base, rq.intent("StartExerciseIntent", {"exercise": {"value": "ankle rotations", "id": "ankle_circles"}},
                                            session_attributes=body["sessionAttributes"]))
        assert status == 200 and "Say ready when you&apos;re lying down." in speech(body)
        status, body = post(base, rq.intent("AMAZON.StopIntent", session_attributes=body["sessionAttributes"]))
        assert status == 200 and body["response"]["shouldEndSession"] is True
        status, _ = post(base, None, raw=b"{not json")
        assert status == 400
        status, _ = post(base, rq.launch(skill_id=rq.OTHER_SKILL_ID))
        assert status == 400

    with procfile_server(env) as server:
        status, body = post(server.base, rq.launch())
        assert status == 200
        assert "Last time you stopped at ankle circles" in speech(body)


def test_verification_is_on_by_default_and_refuses_unsigned_requests(tmp_path: Path) -> None:
    """With no SKILL_VERIFY_SIGNATURES set, an unsigned request gets HTTP 400 from the real server."""
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'verify.sqlite'}"}
    saved = os.environ.pop("SKILL_VERIFY_SIGNATURES", None)
    try:
        with procfile_server(env) as server:
            base = server.base
            status, body = post(base, rq.launch())
            assert status == 400
            assert body is None or "Traceback" not in json.dumps(body)
            # A forged signature with a certificate URL the rules refuse before any download is tried.
            status, _ = post(base, rq.launch(), headers={
                "SignatureCertChainUrl": "http://127.0.0.1:1/echo.api/echo-api-cert.pem",
                "Signature-256": "bm90IGEgcmVhbCBzaWduYXR1cmU="})
            assert status == 400
    finally:
        if saved is not None:
            os.environ["SKILL_VERIFY_SIGNATURES"] = saved


def test_two_instances_on_one_postgresql_share_every_users_place(postgres_url: str) -> None:
    """Turns alternate between two servers; the next session on either resumes correctly."""
    user = f"amzn1.ask.account.E2E-{uuid.uuid4().hex}"
    env = {"DATABASE_URL": postgres_url, "SKILL_VERIFY_SIGNATURES": "0", "SKILL_ID": rq.SKILL_ID}
    with procfile_server(env) as one, procfile_server(env) as two:
        first, second = one.base, two.base
        clock = datetime.now(timezone.utc)

        def turn(base: str, payload: dict[str, Any]) -> dict[str, Any]:
            status, body = post(base, payload)
            assert status == 200, body
            return body

        body = turn(first, rq.launch(user_id=user, at=clock))
        body = turn(second, rq.intent("StartExerciseIntent", {"exercise": "tiptoe walking"}, user_id=user,
                                      session_attributes=body["sessionAttributes"], at=clock))
        assert speech(body).endswith("Ready for set three?</speak>")
        clock += timedelta(seconds=120)
        body = turn(first, rq.intent("AMAZON.YesIntent", user_id=user, at=clock,
                                     session_attributes=body["sessionAttributes"]))
        assert "Set three of five." in speech(body)
        assert speech(body).endswith("Next up is ankle circles, lying on your back. Ready?</speak>")
        clock += timedelta(seconds=10)      # "stop" during set three: the place goes back to it
        body = turn(second, rq.intent("AMAZON.StopIntent", user_id=user, at=clock,
                                      session_attributes=body["sessionAttributes"]))
        assert body["response"]["shouldEndSession"] is True
        for base in (first, second):
            welcome = turn(base, rq.launch(user_id=user, at=clock))
            assert "Last time you stopped at toe walking, set three." in speech(welcome)
        resumed = turn(first, rq.intent("AMAZON.YesIntent", user_id=user, at=clock,
                                        session_attributes=welcome["sessionAttributes"]))
        assert "Picking up at toe walking. Set three of five." in speech(resumed)


# --- slow and hostile clients, shutdown, crashes ---------------------------------------------------

def sqlite_env(tmp_path: Path) -> dict[str, str]:
    return {"DATABASE_URL": f"sqlite:///{tmp_path / 'hostile.sqlite'}", "SKILL_VERIFY_SIGNATURES": "0",
            "SKILL_ID": rq.SKILL_ID}


def raw_exchange(port: int, data: bytes, *, timeout: float = 5.0, half_close: bool = False) -> bytes:
    """Send raw bytes on a new connection and read until the server closes it or timeout passes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
                if b"\r\n\r\n" in b"".join(chunks) and not half_close:
                    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
                    length = next((int(line.split(b":")[1]) for line in head.lower().split(b"\r\n")
                                   if line.startswith(b"content-length:")), None)
                    if length is not None and len(body) >= length:
                        break
        except socket.timeout:
            pass
        return b"".join(chunks)


def status_of(response: bytes) -> int:
    return int(response[9:12]) if response.startswith(b"HTTP/1.") else 0


def healthz_ok(port: int, timeout: float = 1.5) -> bool:
    try:
        return status_of(raw_exchange(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                                      timeout=timeout)) == 200
    except OSError:
        return False


def test_slow_clients_do_not_stall_the_server_and_slow_headers_are_cut(tmp_path: Path) -> None:
    """30 slow-header and 30 slow-body clients: every health check is answered; header senders are cut off."""
    with procfile_server(sqlite_env(tmp_path)) as server:
        slow_header, slow_body = [], []
        for _ in range(30):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=2)
            sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n")
            slow_header.append(sock)
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=2)
            sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{")
            slow_body.append(sock)
        polls, answered, cut = 0, 0, 0
        started = time.monotonic()
        try:
            while time.monotonic() - started < 7:   # longer than the Procfile's 5 s header timeout
                for number, sock in enumerate(slow_header + slow_body):
                    try:
                        sock.sendall(b"X-Slow-%d: y\r\n" % number if sock in slow_header else b" ")
                    except OSError:
                        pass
                polls += 1
                answered += healthz_ok(server.port)
                status, body = post(server.base, rq.launch())
                assert status == 200 and speech(body).startswith("<speak>")
                time.sleep(0.25)
            for sock in slow_header:
                sock.settimeout(0.5)
                try:
                    cut += sock.recv(1) == b""
                except (socket.timeout, ConnectionResetError):
                    cut += 0 if isinstance(sys.exc_info()[1], socket.timeout) else 1
        finally:
            for sock in slow_header + slow_body:
                sock.close()
        assert answered == polls > 10
        assert cut == len(slow_header), f"only {cut} of {len(slow_header)} slow-header clients were cut off"


def test_malformed_framing_and_oversized_headers_get_4xx_never_5xx(tmp_path: Path) -> None:
    """Bad chunk sizes, truncated chunked bodies, bad lengths, too many or too large headers: 4xx, no traceback."""
    head = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    cases = {
        "chunk size ZZ": head + b"Transfer-Encoding: chunked\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n",
        "truncated chunked body": head + b"Transfer-Encoding: chunked\r\n\r\n10\r\n{\"version\":",
        "Content-Length abc": head + b"Content-Length: abc\r\n\r\n{}",
        "body shorter than Content-Length": head + b"Content-Length: 100\r\n\r\n{\"version\": \"1.0\"}",
        "200 header fields": b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(200)) + b"\r\n",
        "a 100 KB header": b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n",
    }
    with procfile_server(sqlite_env(tmp_path)) as server:
        for name, data in cases.items():
            # Bodies end where the client stops sending (it half-closes); headers are answered as they come.
            response = raw_exchange(server.port, data, half_close=data.startswith(b"POST"))
            assert 400 <= status_of(response) < 500, (name, response[:200])
        # A well-formed chunked request is still answered.
        body = json.dumps(rq.launch()).encode()
        chunked = head + b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
        assert status_of(raw_exchange(server.port, chunked)) == 200
        assert healthz_ok(server.port)
        output = server.output()
    assert "Traceback" not in output, output[-3000:]


def test_sigterm_lets_the_request_in_flight_finish(tmp_path: Path) -> None:
    """SIGTERM while a request's body is half sent: that request still gets its 200, then the server exits."""
    body = json.dumps(rq.launch()).encode()
    with procfile_server(sqlite_env(tmp_path)) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n"
                         b"Content-Length: %d\r\n\r\n" % len(body) + body[:50])
            time.sleep(0.3)   # the server has the request's headers
            server.process.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            sock.sendall(body[50:])
            response = b""
            while chunk := sock.recv(65536):
                response += chunk
        assert status_of(response) == 200, response[:300]
        assert b"Welcome to Foot Coach" in response
        assert server.process.wait(timeout=STOP_TIMEOUT_S) == 0


def worker_pids(pid: int) -> set[int]:
    """The server's worker processes (its children)."""
    children = set()
    for task in os.listdir(f"/proc/{pid}/task"):
        children |= {int(p) for p in Path(f"/proc/{pid}/task/{task}/children").read_text().split()}
    return children


def test_a_crashed_worker_is_replaced_while_the_other_keeps_answering(tmp_path: Path) -> None:
    """SIGKILL one worker: health checks keep being answered and a new worker takes its place."""
    with procfile_server(sqlite_env(tmp_path)) as server:
        workers = worker_pids(server.process.pid)
        assert len(workers) == 2, workers
        victim = min(workers)
        os.kill(victim, signal.SIGKILL)
        time.sleep(0.2)   # a connection the victim had already accepted dies with it
        deadline = time.monotonic() + 10
        polls = answered = 0
        while time.monotonic() < deadline:
            polls += 1
            answered += healthz_ok(server.port)
            now = worker_pids(server.process.pid)
            if len(now) == 2 and victim not in now and server.output().count("Started worker") == 3:
                break   # the new worker has loaded the app
            time.sleep(0.1)
        assert len(now) == 2 and victim not in now, f"no new worker after 10 s: {now}\n{server.output()}"
        assert answered == polls
        status, body = post(server.base, rq.launch())
        assert status == 200
