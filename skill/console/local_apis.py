"""A local stand-in for the Alexa APIs the skill calls, so the console can try reminders end to end.

The console's requests carry ``apiEndpoint`` = this server on 127.0.0.1 (a free port) and an access
token, as Alexa's do; the skill then talks to it exactly as it talks to Amazon (plain HTTP is allowed
for loopback only, see alexa/apis.py). It answers the Settings API's time zone (the machine's zone)
and the Reminders API (create, list, delete), keeps the reminders in memory, refuses a wrong token
with 401, and reports each call through ``on_call`` so the console can show what was sent.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REMINDERS_PATH = "/v1/alerts/reminders"
TIME_ZONE_PATH = re.compile(r"/v2/devices/[^/]+/settings/System\.timeZone")


def local_zone() -> str:
    """This machine's IANA time zone name when it can be told, else UTC."""
    try:
        link = Path("/etc/localtime").resolve()
        if "zoneinfo" in link.parts:
            return "/".join(link.parts[link.parts.index("zoneinfo") + 1:]) or "UTC"
    except OSError:
        pass
    return "UTC"


class LocalAlexaApis:
    """The stand-in server: start() it, point requests at .url with .token, close() it."""

    def __init__(self, *, zone: str | None = None, on_call: Callable[[str, str, Any], None] | None = None) -> None:
        self.zone = zone or local_zone()
        self.token = f"console-{uuid.uuid4().hex}"
        self.on_call = on_call or (lambda method, path, body: None)
        self.reminders: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The apiEndpoint to put in requests."""
        assert self._server is not None, "start() first"
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}"

    def start(self) -> LocalAlexaApis:
        """Listen on a free loopback port, in a daemon thread."""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-alexa-apis", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop listening and wait for the thread."""
        if self._server:
            self._server.shutdown()
            self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def answer(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        """What Amazon's API would answer (status, JSON body or None)."""
        path = path.split("?", 1)[0]
        if method == "GET" and TIME_ZONE_PATH.fullmatch(path):
            return 200, self.zone
        with self._lock:
            if method == "POST" and path == REMINDERS_PATH:
                token = f"console-reminder-{len(self.reminders) + 1}"
                now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
                self.reminders[token] = {"alertToken": token, "createdTime": now, "updatedTime": now,
                                         "status": "ON", "version": "1", **(body or {})}
                return 201, {"alertToken": token, "createdTime": now, "updatedTime": now, "status": "ON",
                             "version": "1", "href": f"{REMINDERS_PATH}/{token}"}
            if method == "GET" and path == REMINDERS_PATH:
                alerts = list(self.reminders.values())
                return 200, {"totalCount": str(len(alerts)), "alerts": alerts}
            if method == "DELETE" and path.startswith(REMINDERS_PATH + "/"):
                found = self.reminders.pop(path.rsplit("/", 1)[1], None)
                return (200, None) if found else (404, {"code": "NOT_FOUND", "message": "no such reminder"})
        return 404, {"code": "NOT_FOUND", "message": f"the console's stand-in does not serve {method} {path}"}


def describe_call(method: str, path: str, body: Any) -> str:
    """One line for the console about a call the skill made."""
    if TIME_ZONE_PATH.fullmatch(path.split("?", 1)[0]):
        return f"Settings API: {method} {path}"
    if method == "POST" and isinstance(body, dict):
        trigger = body.get("trigger") or {}
        rules = (trigger.get("recurrence") or {}).get("recurrenceRules", [])
        times = [f"{int(h):02d}:{int(m):02d}" for rule in rules
                 for h, m in re.findall(r"BYHOUR=(\d+);BYMINUTE=(\d+)", rule)]
        texts = [c.get("text") for c in ((body.get("alertInfo") or {}).get("spokenInfo") or {}).get("content", [])]
        return (f"Reminders API: {method} {path}: every day at {', '.join(times)} ({trigger.get('timeZoneId')}),"
                f" saying {texts[0]!r}" if texts else f"Reminders API: {method} {path}")
    return f"Reminders API: {method} {path}"


def _handler(apis: LocalAlexaApis) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            if self.headers.get("Authorization") != f"Bearer {apis.token}":
                status, answer = 401, {"code": "UNAUTHORIZED", "message": "wrong or missing apiAccessToken"}
            else:
                status, answer = apis.answer(self.command, self.path, body)
            apis.on_call(self.command, self.path, body)
            data = b"" if answer is None else json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = do_PUT = _serve  # noqa: N815 - http.server's naming

        def log_message(self, *args: Any) -> None:
            pass

    return Handler
