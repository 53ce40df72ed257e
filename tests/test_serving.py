"""the Gate (skill/webservice/gate.py), called as a WSGI server calls it: bodies read first, the app run on its own threads."""

from __future__ import annotations

import io
import json
import threading
from typing import Any

import pytest
from flask import Flask

import alexa_requests as rq
from skill.webservice.gate import Gate, gated


def call(app: Any, body: bytes, **environ: str) -> tuple[str, bytes]:
    """Call a WSGI app with a POST / carrying body; return (status line, response body)."""
    statuses: list[str] = []
    env = {"REQUEST_METHOD": "POST", "PATH_INFO": "/", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80",
           "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
           "wsgi.errors": io.StringIO(), "CONTENT_TYPE": "application/json", **environ}
    chunks = app(env, lambda status, headers, exc_info=None: statuses.append(status))
    return statuses[0], b"".join(chunks)


def test_a_chunked_body_reaches_the_skill_with_its_length(app: Flask) -> None:
    """A request sent chunked (no Content-Length) is answered like any other."""
    served = gated(app)
    status, body = call(served, json.dumps(rq.launch()).encode(), HTTP_TRANSFER_ENCODING="chunked")
    assert status.startswith("200")
    assert "Welcome to Foot Coach" in json.loads(body)["response"]["outputSpeech"]["ssml"]


def test_bodies_over_the_cap_get_413_chunked_or_not(app: Flask) -> None:
    """Too large by Content-Length (not read at all) or by what arrives chunked: 413 either way."""
    served = gated(app)
    big = b"{" + b" " * app.config["MAX_BODY_BYTES"] + b"}"
    assert call(served, big, HTTP_TRANSFER_ENCODING="chunked")[0].startswith("413")
    assert call(served, b"", CONTENT_LENGTH=str(len(big)))[0].startswith("413")


def test_a_body_shorter_than_its_length_gets_400(app: Flask) -> None:
    """The client stopped sending early: a 400, as without the gate."""
    status, _ = call(gated(app), b'{"version": "1.0"}', CONTENT_LENGTH="500")
    assert status.startswith("400")


def test_the_app_runs_on_the_gates_threads_and_its_errors_reach_the_server() -> None:
    """At most `threads` threads run the app; what the app raises is raised to the server's thread."""
    seen: set[str] = set()

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.add(threading.current_thread().name)
        if environ["wsgi.input"].read() == b"boom":
            raise RuntimeError("boom")
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    gate = Gate(app, max_body_bytes=100, threads=2)
    callers = [threading.Thread(target=call, args=(gate, b"x"), kwargs={"CONTENT_LENGTH": "1"}) for _ in range(20)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join(5)
    assert seen and all(name.startswith("foot-coach-app-") for name in seen) and len(seen) <= 2
    with pytest.raises(RuntimeError, match="boom"):
        call(gate, b"boom", CONTENT_LENGTH="4")
