"""Hostile requests from issue 13 against the Procfile's server: every answer within Alexa's limits.

    python -m bench.hostile

Each numbered finding that hostile input caused is sent as it was found (echoed text of 9,000 and
100,000 characters and of 9,000 emoji; "repeat" with 419 ten-second breaks or control characters in
the session; time zones that are folders, tables, numbers or NUL-laden, from the session and from a
Settings API stand-in on 127.0.0.1; timestamps of year 1 and 9999; no user id; malformed chunked
bodies), plus random mutations of those. Counted: requests, HTTP 5xx, 200s that are not valid Alexa
responses (SSML over 8,000 characters or not XML, a break over 10 s, a body over 120 KB), apologies,
tracebacks in the log, and the workers' RSS before and after.
"""

from __future__ import annotations

import json
import random
import re
import socket
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.faults import Server, post_raw, serve
from bench.fixtures import tests_module
from bench.load import check_response, spoken

MAX_RESPONSE_BYTES = 120 * 1024
MAX_TURN_SECONDS = 90.0
BREAK = re.compile(r'<break time="(\d+)(ms|s)"/>')
BAD_ZONES: list[Any] = ["America", "Etc", "Mars/Olympus", "zone.tab", 5, "Europe/Berlin\x00", "../../etc/passwd"]
BAD_API_ANSWERS = [b'"America"', b'"Etc"', b'"Mars/Olympus"', b'"zone.tab"', b"5", b'"a\\u0000b"', b"<html>oops</html>"]


class SettingsApi:
    """Alexa's Settings API stand-in on 127.0.0.1, answering the time zone with whatever bytes are set.

    `calls` records each request's path and Authorization header; a `status` other than 200 fails them.
    """

    def __init__(self) -> None:
        self.answer = b'"UTC"'
        self.status = 200
        self.calls: list[tuple[str, str]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                owner.calls.append((self.path, self.headers.get("Authorization", "")))
                if owner.status != 200:
                    self.send_error(owner.status)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(owner.answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def cases(rq: Any, api: SettingsApi) -> Iterator[tuple[str, str, Callable[[], dict[str, Any]] | bytes]]:
    """(finding, name, payload maker or raw HTTP request bytes) for every hostile request."""
    for name, heard in (("9,000 characters", "a" * 9_000), ("100,000 characters", "walk " * 20_000),
                        ("9,000 emoji", "\U0001F9B6" * 9_000)):
        yield "3", f"unknown exercise of {name}", lambda h=heard: rq.intent("StartExerciseIntent", {"exercise": h})
    for name, ssml in (("419 ten-second breaks", "<speak>" + '<break time="10s"/> ' * 419 + "</speak>"),
                       ("U+0000 and U+0001", "<speak>Ready\x00 for\x01 the left leg?</speak>")):
        attributes = {"schema": 2, "question": "start_routine", "mode": "routine", "last_ssml": ssml}
        yield "4", f"repeat with {name}", lambda a=attributes: rq.intent("AMAZON.RepeatIntent", session_attributes=a)
    for zone in BAD_ZONES:
        attributes = {"schema": 2, "question": "start_routine", "mode": "routine", "timezone": zone}
        for intent in ("HowAmIDoingIntent", "AMAZON.StopIntent"):
            yield "5", f"{intent} in zone {zone!r}", lambda a=attributes, i=intent: rq.intent(i, session_attributes=a)
    for answer in BAD_API_ANSWERS:
        def launch(answer: bytes = answer) -> dict[str, Any]:
            api.answer = answer
            payload = rq.launch(user_id=f"amzn1.ask.account.HOSTILE-API-{random.random()}")
            payload["context"]["System"]["apiEndpoint"] = api.url
            return payload
        yield "5", f"Settings API answering {answer[:20]!r}", launch
    for stamp in ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"):
        zone_attributes = {"schema": 2, "question": "start_routine", "mode": "routine", "timezone": "Pacific/Kiritimati"}
        yield "8", f"timestamp {stamp}", lambda s=stamp, a=zone_attributes: _stamped(
            rq.intent("HowAmIDoingIntent", session_attributes=a), s)
    for name, user in (("no context.System.user", None), ("empty userId", {"userId": ""})):
        yield "8", f"request with {name}", lambda u=user: _without_user(rq.intent("HowAmIDoingIntent"), u)
    head = b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    yield "6", "chunk size ZZ", head + b"Transfer-Encoding: chunked\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n"
    yield "6", "truncated chunked body", head + b"Transfer-Encoding: chunked\r\n\r\n10\r\n{\"version\":"


def _stamped(payload: dict[str, Any], stamp: str) -> dict[str, Any]:
    payload["request"]["timestamp"] = stamp
    return payload


def _without_user(payload: dict[str, Any], user: Any) -> dict[str, Any]:
    payload["context"]["System"]["user"] = user
    return payload


def mutations(rq: Any, rng: random.Random, count: int) -> Iterator[dict[str, Any]]:
    """Random odd values in the places the findings were about."""
    odd: list[Any] = [None, "", 5, -1e308, [], {}, "\x00", "x" * 20_000, "\U0001F9B6" * 3_000, "America", True]
    for _ in range(count):
        attributes = {"schema": 2, "question": rng.choice(["start_routine", "next_part", "none"]), "mode": "routine",
                      rng.choice(["timezone", "last_ssml", "last_reprompt", "unsaved", "turn_at", "pace"]): rng.choice(odd)}
        intent = rng.choice(["AMAZON.RepeatIntent", "HowAmIDoingIntent", "StartExerciseIntent", "AMAZON.StopIntent",
                             "AMAZON.YesIntent", "InstructionsIntent"])
        slots = {"exercise": rng.choice(["toe walking", "q" * rng.randint(0, 30_000), "\u202e" * 500])}
        payload = rq.intent(intent, slots if "Exercise" in intent or "Instructions" in intent else None,
                            session_attributes=attributes)
        if rng.random() < 0.2:
            payload["request"]["timestamp"] = rng.choice(["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "garbage"])
        yield payload


def send_raw(port: int, data: bytes) -> int:
    """Send raw bytes, return the HTTP status (0 when the server closed without one)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    try:
        return int(reply.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return 0


def run_hostile(mutated: int = 400, seed: int = 13) -> dict[str, Any]:
    """Serve, send every case and the mutations; return the tallies, per finding."""
    rq = tests_module("alexa_requests")
    api = SettingsApi()
    per_finding: dict[str, Counter[str]] = {}
    problems: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="footcoach-hostile-") as folder:
            env = {"DATABASE_URL": f"sqlite:///{folder}/hostile.sqlite", "SKILL_VERIFY_SIGNATURES": "0",
                   "SKILL_ID": rq.SKILL_ID}
            with serve(env, Path(folder) / "server.log") as server:
                rss_before = server.rss_kib()
                todo: list[tuple[str, str, Any]] = list(cases(rq, api))
                todo += [("fuzz", "mutation", lambda p=p: p) for p in mutations(rq, random.Random(seed), mutated)]
                for finding, name, make in todo:
                    tally = per_finding.setdefault(finding, Counter())
                    verdict = judge(server, make)
                    tally["requests"] += 1
                    tally[verdict] += 1
                    if verdict not in ("valid", "refused_4xx") and len(problems) < 20:
                        problems.append(f"{finding} {name}: {verdict}")
                rss_after = server.rss_kib()
            log = (Path(folder) / "server.log").read_text(errors="replace")
    finally:
        api.close()
    return {"findings": {k: dict(v) for k, v in per_finding.items()}, "problems": problems,
            "tracebacks": log.count("Traceback (most recent call last)"), "rss_kib": [rss_before, rss_after]}


def judge(server: Server, make: Callable[[], dict[str, Any]] | bytes) -> str:
    """valid, refused_4xx, http_5xx, invalid_200 or apology."""
    if isinstance(make, bytes):
        status = send_raw(server.port, make)
        return "refused_4xx" if 400 <= status < 500 else "http_5xx" if status >= 500 or status == 0 else "invalid_200"
    status, data = post_raw(server.port, "POST", "/", json.dumps(make()).encode())
    if status >= 500:
        return "http_5xx"
    if status != 200:
        return "refused_4xx"
    problem, body = check_response(data)
    if problem or len(data) > MAX_RESPONSE_BYTES or silence_seconds(body) > MAX_TURN_SECONDS:
        return "invalid_200"
    if body.get("response", {}).get("outputSpeech") and "something went wrong" in spoken(body):
        return "apology"
    return "valid"


def silence_seconds(body: dict[str, Any]) -> float:
    """The breaks of a response's speech, in seconds (a turn is at most MAX_TURN_SECONDS long)."""
    ssml = (body.get("response", {}).get("outputSpeech") or {}).get("ssml", "")
    return sum(float(ms) / 1000 if unit == "ms" else float(ms) for ms, unit in BREAK.findall(ssml))


def main() -> int:
    report = run_hostile()
    print(json.dumps(report, indent=1))
    bad = sum(v.get("http_5xx", 0) + v.get("invalid_200", 0) + v.get("apology", 0)
              for k, v in report["findings"].items() if k != "6")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
