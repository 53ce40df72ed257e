"""The webhook on DynamoDB: an outage mid-workout degrades as on SQL, and two server instances share one table.

DynamoDB is moto's server on 127.0.0.1 (dynamodb_fixtures.py); the two instances are the Procfile's
web command, twice, as two separate processes (each with its workers).
"""

from __future__ import annotations

import json
import os
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
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import alexa_requests as rq
import pytest
from conftest import Alexa
from dynamodb_fixtures import AWS_TEST_ENV, dynamodb_url, moto_server

from skill.app import create_app
from skill.persistence.dynamodb import DynamoStore

pytestmark = pytest.mark.dynamodb
ROOT = Path(__file__).resolve().parents[1]


def test_an_outage_mid_session_loses_nothing_and_resets_nothing() -> None:
    """DynamoDB goes away mid-workout: coaching goes on, /healthz says so; once back, the place is saved."""
    with moto_server() as server:
        store = DynamoStore.from_url(dynamodb_url(server.endpoint, f"outage-{uuid.uuid4().hex[:8]}"), retry_after=0.3)
        app = create_app({"STORE": store, "SKILL_VERIFY_SIGNATURES": False, "SKILL_ID": rq.SKILL_ID})
        client = app.test_client()
        alexa = Alexa(client)
        alexa.launch()
        alexa.say("SlowerIntent")
        alexa.say("AMAZON.StopIntent")
        alexa.launch()
        alexa.say("StartExerciseIntent", exercise="ankle circles")
        alexa.say("ContinueIntent")                     # "ready": lying down

        server.stop()                                   # the outage: every request is refused
        left = alexa.say("AMAZON.YesIntent")
        assert left.text.startswith("Now the left leg.") and '<prosody rate="85%">' in left.ssml
        assert "sorry" not in left.text.lower()
        assert client.get("/healthz").get_json()["storage"] == "unreachable"

        server.start()                                  # back, with every table as it was
        time.sleep(0.4)                                 # past retry_after: the store tries again
        assert client.get("/healthz").get_json()["storage"] == "reachable"
        alexa.say("AMAZON.HelpIntent")                  # this turn saves the place the outage missed
        alexa.say("AMAZON.StopIntent")
        welcome = alexa.launch()
        assert "Last time you stopped at resisted flexion." in welcome.text
        assert '<prosody rate="85%">' in alexa.say("AMAZON.YesIntent").ssml

        alexa.say("ForgetMeIntent")
        server.stop()
        refused = alexa.say("AMAZON.YesIntent")         # the delete cannot happen: never claim it did
        assert "nothing was deleted" in refused.text and "deleted everything" not in refused.text
        server.start()
        time.sleep(0.4)
        assert "Last time you stopped at" in alexa.launch().text
        store.close()


# --- two instances of the Procfile's server on one table ----------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _procfile_web_command() -> str:
    for line in (ROOT / "Procfile").read_text(encoding="utf-8").splitlines():
        if line.startswith("web:"):
            # As the platform runs it, but listening on loopback only, as tests must.
            return line.removeprefix("web:").strip().replace("0.0.0.0", "127.0.0.1")
    raise AssertionError("Procfile has no web: line")


@contextmanager
def procfile_server(env: dict[str, str]) -> Iterator[str]:
    """The Procfile's web command on a free port; yield its base URL; always stop it and its workers."""
    port = _free_port()
    full_env = {**os.environ, **AWS_TEST_ENV, **env, "PORT": str(port), "WEB_CONCURRENCY": "2",
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(["/bin/sh", "-c", f"exec {_procfile_web_command()}"], cwd=ROOT, env=full_env,
                                   stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    with urllib.request.urlopen(f"{base}/healthz", timeout=5):
                        break
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    if process.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        raise AssertionError(f"the server did not start:\n{log.read().decode(errors='replace')}") from None
                    time.sleep(0.2)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait()


def post(base: str, payload: dict[str, Any]) -> dict[str, Any]:
    """POST one request envelope; return the response body."""
    request = urllib.request.Request(f"{base}/", data=json.dumps(payload).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=20) as response:
        assert response.status == 200
        return dict(json.loads(response.read()))


def speech(body: dict[str, Any]) -> str:
    return str(body["response"]["outputSpeech"]["ssml"])


@pytest.mark.e2e
def test_two_instances_on_one_dynamodb_table_share_every_users_place(moto_endpoint: str) -> None:
    """Turns alternate between two servers (separate processes); the next session on either resumes correctly."""
    user = f"amzn1.ask.account.E2E-{uuid.uuid4().hex}"
    env = {"DATABASE_URL": dynamodb_url(moto_endpoint, "two-instances"), "SKILL_VERIFY_SIGNATURES": "0",
           "SKILL_ID": rq.SKILL_ID}
    with procfile_server(env) as first, procfile_server(env) as second:
        clock = datetime.now(timezone.utc)
        body = post(first, rq.launch(user_id=user, at=clock))
        body = post(second, rq.intent("StartExerciseIntent", {"exercise": "tiptoe walking"}, user_id=user,
                                      session_attributes=body["sessionAttributes"], at=clock))
        assert speech(body).endswith("Ready for set three?</speak>")
        clock += timedelta(seconds=120)
        body = post(first, rq.intent("AMAZON.YesIntent", user_id=user, at=clock,
                                     session_attributes=body["sessionAttributes"]))
        assert "Set three of five." in speech(body)
        assert speech(body).endswith("Next up is ankle circles, lying on your back. Ready?</speak>")
        clock += timedelta(seconds=10)      # "stop" during set three: the place goes back to it
        body = post(second, rq.intent("AMAZON.StopIntent", user_id=user, at=clock,
                                      session_attributes=body["sessionAttributes"]))
        assert body["response"]["shouldEndSession"] is True
        for base in (first, second):
            welcome = post(base, rq.launch(user_id=user, at=clock))
            assert "Last time you stopped at toe walking, set three." in speech(welcome)
        resumed = post(second, rq.intent("AMAZON.YesIntent", user_id=user, at=clock,
                                         session_attributes=welcome["sessionAttributes"]))
        assert "Picking up at toe walking. Set three of five." in speech(resumed)
