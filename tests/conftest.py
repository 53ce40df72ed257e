"""Shared fixtures: the app on a temporary SQLite file, a test client, and an Alexa conversation driver."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import alexa_requests as rq
import pytest
from flask import Flask
from flask.testing import FlaskClient

from skill.app import create_app
from skill.console.local_alexa import LocalAlexa, Turn

pytest_plugins = ["dynamodb_fixtures", "storage_fixtures", "signing_fixtures"]


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


class Alexa(LocalAlexa):
    """Drive a multi-turn conversation through POST /: the console's driver with the tests' ids, and Replies.

    It carries session attributes like Alexa does; `clock` stamps the requests and `wait` moves it.
    """

    def __init__(self, client: FlaskClient, **identity: Any) -> None:
        super().__init__(client, envelopes=rq.REQUESTS, clock=datetime.now(timezone.utc), **identity)

    def send(self, payload: dict[str, Any]) -> Reply:
        """Post one request envelope; return the reply and keep its session attributes."""
        return _reply(self.post_envelope(payload))

    def launch(self) -> Reply:
        """ "Alexa, open foot coach"."""
        return _reply(super().launch())

    def say(self, intent: str, **slots: Any) -> Reply:
        """Say something that resolves to `intent` (slots as rq.intent takes them)."""
        return _reply(self.intent(intent, slots or None))

    def end_session(self, reason: str = "USER_INITIATED") -> None:
        """The session ends (the user left); the next request starts a new one."""
        super().end_session(reason)


def _reply(turn: Turn) -> Reply:
    assert turn.status == 200, turn.error
    return Reply(turn.body)


@pytest.fixture
def alexa(client: FlaskClient) -> Alexa:
    """A conversation driver for the default test user."""
    return Alexa(client)


def body_json(response: Any) -> dict[str, Any]:
    """Parse a Flask test response as JSON."""
    return json.loads(response.get_data(as_text=True))
