"""End to end: the Procfile's web command starts a real gunicorn on 127.0.0.1 and serves Alexa JSON."""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import alexa_requests as rq
import pytest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 20


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


@contextmanager
def gunicorn(env: dict[str, str]) -> Iterator[str]:
    """Run the Procfile's web command on a free port (bound to 127.0.0.1 only); yield its base URL."""
    port = free_port()
    # Same command as the Procfile, but listening on loopback only, as tests must.
    command = procfile_web_command().replace("0.0.0.0:", "127.0.0.1:")
    full_env = {**os.environ, **env, "PORT": str(port), "WEB_CONCURRENCY": "2",
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    process = subprocess.Popen(["/bin/sh", "-c", f"exec {command}"], cwd=ROOT, env=full_env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                    break
            except OSError:   # refused, reset, or a read timing out while a loaded machine starts workers
                if process.poll() is not None or time.monotonic() > deadline:
                    output = process.stdout.read().decode() if process.stdout else ""
                    raise AssertionError(f"gunicorn did not start: {shlex.quote(command)}\n{output}") from None
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


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
    """Through real gunicorn workers: start an exercise, stop, restart the server, welcome back resumes."""
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'e2e.sqlite'}", "SKILL_VERIFY_SIGNATURES": "0",
           "SKILL_ID": rq.SKILL_ID}
    with gunicorn(env) as base:
        with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:
            health = json.loads(response.read())
        assert health["storage"] == "reachable"
        status, body = post(base, rq.launch())
        assert status == 200 and "Welcome to Foot Coach" in speech(body)
        status, body = post(base, rq.intent("StartExerciseIntent", {"exercise": {"value": "ankle rotations", "id": "ankle_circles"}},
                                            session_attributes=body["sessionAttributes"]))
        assert status == 200 and "Right leg first." in speech(body)
        status, body = post(base, rq.intent("AMAZON.StopIntent", session_attributes=body["sessionAttributes"]))
        assert status == 200 and body["response"]["shouldEndSession"] is True
        status, _ = post(base, None, raw=b"{not json")
        assert status == 400
        status, _ = post(base, rq.launch(skill_id=rq.OTHER_SKILL_ID))
        assert status == 400

    with gunicorn(env) as base:
        status, body = post(base, rq.launch())
        assert status == 200
        assert "Last time you stopped at ankle circles" in speech(body)


def test_verification_is_on_by_default_and_refuses_unsigned_requests(tmp_path: Path) -> None:
    """With no SKILL_VERIFY_SIGNATURES set, an unsigned request gets HTTP 400 from the real server."""
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'verify.sqlite'}"}
    saved = os.environ.pop("SKILL_VERIFY_SIGNATURES", None)
    try:
        with gunicorn(env) as base:
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
    """Turns alternate between two gunicorn servers; the next session on either resumes correctly."""
    user = f"amzn1.ask.account.E2E-{uuid.uuid4().hex}"
    env = {"DATABASE_URL": postgres_url, "SKILL_VERIFY_SIGNATURES": "0", "SKILL_ID": rq.SKILL_ID}
    with gunicorn(env) as first, gunicorn(env) as second:
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
        assert "Set three of five." in speech(body) and speech(body).endswith("Ready for set five?</speak>")
        clock += timedelta(seconds=120)
        body = turn(second, rq.intent("AMAZON.StopIntent", user_id=user, at=clock,
                                      session_attributes=body["sessionAttributes"]))
        assert body["response"]["shouldEndSession"] is True
        for base in (first, second):
            welcome = turn(base, rq.launch(user_id=user, at=clock))
            assert "Last time you stopped at toe walking, set five." in speech(welcome)
        resumed = turn(first, rq.intent("AMAZON.YesIntent", user_id=user, at=clock,
                                        session_attributes=welcome["sessionAttributes"]))
        assert "Picking up at toe walking, set five." in speech(resumed)
