"""A person talking to Foot Coach: their words, matched to intents by the console's matcher over the real
interaction model, sent as real request JSON with realistic timestamps (they listen before answering)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import alexa_requests as rq
from conftest import Reply
from flask.testing import FlaskClient

from skill.console.matching import UtteranceMatcher

MODEL = Path(__file__).resolve().parents[1] / "interaction_model" / "en-US.json"
MATCHER = UtteranceMatcher.from_file(MODEL)
MORNING = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)


class Person:
    """One user: says things, waits, listens to a counted turn to its end."""

    def __init__(self, client: FlaskClient, *, at: datetime = MORNING, user_id: str | None = None) -> None:
        self.client = client
        self.user_id = user_id or f"amzn1.ask.account.PERSON-{uuid.uuid4().hex}"
        self.clock = at
        self.attributes: dict[str, Any] = {}
        self.in_session = False
        self.last: Reply | None = None

    def says(self, words: str) -> Reply:
        """Say `words` now (a launch phrase, or anything outside a session, opens a new session)."""
        match = MATCHER.match(words)
        request = match.to_request(rq.SKILL_ID)
        new = request["type"] == "LaunchRequest" or not self.in_session
        envelope = rq.envelope(request, session_attributes={} if new else self.attributes, new=new,
                               user_id=self.user_id, at=self.clock)
        return self._post(envelope)

    def _post(self, envelope: dict[str, Any]) -> Reply:
        response = self.client.post("/", json=envelope)
        assert response.status_code == 200, response.get_data(as_text=True)
        reply = Reply(response.get_json())
        self.last = reply
        self.in_session = reply.ends_session is False
        self.attributes = reply.session_attributes if self.in_session else {}
        self.clock += timedelta(seconds=1)   # saying something takes a moment
        return reply

    def waits(self, seconds: float) -> None:
        """Let time pass (the request timestamps move on)."""
        self.clock += timedelta(seconds=seconds)

    def listens(self) -> None:
        """Hear the last counted turn to its end, then a moment to answer."""
        seconds = float(self.attributes.get("turn_seconds") or 0) if self.attributes.get("last_was_count") else 0
        self.waits(seconds + 2)

    def is_silent(self) -> Reply:
        """Say nothing: Alexa plays the reprompt (returned), then closes the session with a SessionEndedRequest."""
        assert self.last is not None and self.last.reprompt, "nothing is asked again on silence"
        reprompt = self.last
        self.waits(16)
        self._post(rq.session_ended("EXCEEDED_MAX_REPROMPTS", session_attributes=self.attributes,
                                    user_id=self.user_id, at=self.clock))
        self.in_session, self.attributes = False, {}
        return reprompt

    @property
    def place(self) -> dict[str, Any] | None:
        """The place the session holds now."""
        return self.attributes.get("position")
