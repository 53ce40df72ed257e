"""A person talking to Foot Coach: their words, matched to intents by the console's matcher over the real
interaction model, sent as real request JSON with realistic timestamps (they listen before answering)."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import alexa_requests as rq
from conftest import Reply
from flask.testing import FlaskClient

from skill.console.local_alexa import LocalAlexa, Turn
from skill.console.matching import UtteranceMatcher

MODEL = Path(__file__).resolve().parents[1] / "interaction_model" / "en-US.json"
MATCHER = UtteranceMatcher.from_file(MODEL)
MORNING = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)


class Person:
    """One user: says things, waits, listens to a counted turn to its end (through the console's driver)."""

    def __init__(self, client: FlaskClient, *, at: datetime = MORNING, user_id: str | None = None) -> None:
        self.user_id = user_id or f"amzn1.ask.account.PERSON-{uuid.uuid4().hex}"
        self.alexa = LocalAlexa(client, envelopes=rq.REQUESTS, clock=at, user_id=self.user_id)
        self.last: Reply | None = None

    @property
    def clock(self) -> datetime:
        """The moment of the next request."""
        assert self.alexa.clock is not None
        return self.alexa.clock

    @property
    def attributes(self) -> dict[str, Any]:
        """The session attributes the next request carries."""
        return self.alexa.attributes

    @property
    def in_session(self) -> bool:
        """Whether a session is open."""
        return self.alexa.in_session

    def says(self, words: str) -> Reply:
        """Say `words` now (a launch phrase, or anything outside a session, opens a new session)."""
        return self._heard(self.alexa.send(MATCHER.match(words)))

    def _heard(self, turn: Turn) -> Reply:
        assert turn.status == 200, turn.error
        reply = Reply(turn.body)
        self.last = reply
        self.alexa.wait(1)   # saying something takes a moment
        return reply

    def waits(self, seconds: float) -> None:
        """Let time pass (the request timestamps move on)."""
        self.alexa.wait(seconds)

    def listens(self) -> None:
        """Hear the last counted turn to its end, then a moment to answer."""
        seconds = float(self.attributes.get("turn_seconds") or 0) if self.attributes.get("last_was_count") else 0
        self.waits(seconds + 2)

    def is_silent(self) -> Reply:
        """Say nothing: Alexa plays the reprompt (returned), then closes the session with a SessionEndedRequest."""
        assert self.last is not None and self.last.reprompt, "nothing is asked again on silence"
        reprompt = self.last
        self.waits(16)
        self._heard(self.alexa.end_session("EXCEEDED_MAX_REPROMPTS"))
        return reprompt

    @property
    def place(self) -> dict[str, Any] | None:
        """The place the session holds now."""
        return self.attributes.get("position")
