"""Shared fixtures: the app on a temporary SQLite file, a test client, and an Alexa conversation driver."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import alexa_requests as rq
import pytest
from flask import Flask
from flask.testing import FlaskClient

from skill.app import create_app

pytest_plugins = ["storage_fixtures", "signing_fixtures"]


@pytest.fixture
def app(tmp_path: Any) -> Iterator[Flask]:
    """The real app: temporary SQLite file, verification off (tests send unsigned JSON), skill id set."""
    app = create_app({
        "DATABASE_URL": f"sqlite:///{tmp_path / 'footcoach.sqlite'}",
        "SKILL_VERIFY_SIGNATURES": False,
        "SKILL_ID": rq.SKILL_ID,
    })
    yield app
    app.extensions["foot_coach_store"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A Flask test client."""
    return app.test_client()


class Reply:
    """What the user hears and what the session carries after one turn."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body
        response = body["response"]
        self.ssml: str = (response.get("outputSpeech") or {}).get("ssml", "")
        self.reprompt: str = ((response.get("reprompt") or {}).get("outputSpeech") or {}).get("ssml", "")
        self.ends_session: bool | None = response.get("shouldEndSession")
        self.session_attributes: dict[str, Any] = body.get("sessionAttributes") or {}

    @property
    def text(self) -> str:
        """The spoken words without markup, pauses shown as [Ns]."""
        root = ET.fromstring(self.ssml)
        out: list[str] = []
        for node in root.iter():
            if node.tag == "break":
                out.append(f"[{node.attrib['time']}]")
            if node.text and node.text.strip():
                out.append(node.text.strip())
            if node.tail and node.tail.strip() and node is not root:
                out.append(node.tail.strip())
        return re.sub(r"\s+", " ", " ".join(out))


class Alexa:
    """Drive a multi-turn conversation through POST /, carrying session attributes like Alexa does."""

    def __init__(self, client: FlaskClient, **identity: Any) -> None:
        self.client = client
        self.identity = identity
        self.attributes: dict[str, Any] = {}
        self.clock = datetime.now(timezone.utc)
        self.new_session = True

    def send(self, payload: dict[str, Any]) -> Reply:
        """Post one request envelope; return the reply and keep its session attributes."""
        response = self.client.post("/", json=payload)
        assert response.status_code == 200, response.get_data(as_text=True)
        reply = Reply(response.get_json())
        self.attributes = reply.session_attributes
        self.new_session = bool(reply.ends_session)
        if reply.ends_session:
            self.attributes = {}
        return reply

    def wait(self, seconds: float) -> None:
        """Let time pass between turns (moves the request timestamps)."""
        self.clock += timedelta(seconds=seconds)

    def _common(self) -> dict[str, Any]:
        return {"session_attributes": self.attributes, "new": self.new_session, "at": self.clock, **self.identity}

    def launch(self) -> Reply:
        """ "Alexa, open foot coach"."""
        self.attributes, self.new_session = {}, True
        return self.send(rq.launch(**self._common()))

    def say(self, intent: str, **slots: Any) -> Reply:
        """Say something that resolves to `intent` (slots as rq.intent takes them)."""
        return self.send(rq.intent(intent, slots or None, **self._common()))

    def end_session(self) -> None:
        """The session times out; the next request starts a new one."""
        self.send(rq.session_ended(**self._common()))
        self.attributes, self.new_session = {}, True


@pytest.fixture
def alexa(client: FlaskClient) -> Alexa:
    """A conversation driver for the default test user."""
    return Alexa(client)


def body_json(response: Any) -> dict[str, Any]:
    """Parse a Flask test response as JSON."""
    return json.loads(response.get_data(as_text=True))
