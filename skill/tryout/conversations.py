"""Alexa's side for the try page: each open page's conversation, through the console's driver.

Typed text is matched to an intent by the console's matcher (the locale's interaction model), and
LocalAlexa builds the request envelope (envelopes.py), posts it to POST / of the same app and
carries the session attributes into the next turn, as it does for the console. The page sends its
own clock's time with each turn, and that is the request's timestamp: the skill estimates where a
"pause" cut the count from the time that really passed in the browser. The page announces an Echo
Show (APL), so counted turns carry the screen's directives.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from skill.console.directives import describe
from skill.console.local_alexa import Client, LocalAlexa, Turn
from skill.console.matching import UtteranceMatcher
from skill.tryout.timeline import Sound, screen_timeline, speech_timeline

# Alexa closes a session after the reprompt and a second silence; the page says when that happened.
SILENCE_REASON = "EXCEEDED_MAX_REPROMPTS"
# Pages open at once whose conversations are kept; the longest unused is forgotten first.
KEPT_CONVERSATIONS = 16


class RecordingClient:
    """The app's test client, keeping the last envelope posted, for the page's JSON panel."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.last: dict[str, Any] | None = None

    def post(self, path: str, *, json: dict[str, Any]) -> Any:
        """Post like the wrapped client, remembering what was sent."""
        self.last = json
        return self.client.post(path, json=json)


class Conversation:
    """One page's conversation: a LocalAlexa with an Echo Show's interfaces, one turn at a time."""

    def __init__(self, client: Client, matcher: UtteranceMatcher, sounds: Mapping[str, Sound], locale: str) -> None:
        self.recorder = RecordingClient(client)
        self.alexa = LocalAlexa(self.recorder, locale=locale, screen=True)
        self.matcher, self.sounds = matcher, sounds
        self.lock = threading.Lock()

    def say(self, text: str, at: datetime) -> dict[str, Any]:
        """Send what the user said at `at` (the page's clock) and return how the answer plays."""
        with self.lock:
            match = self.matcher.match(text)
            self.alexa.clock = at
            return self._played(self.alexa.send(match), heard=match.describe())

    def silence(self, at: datetime) -> dict[str, Any]:
        """The user said nothing after the reprompt: Alexa ends the session and tells the skill."""
        with self.lock:
            if not self.alexa.in_session:   # already closed (by the skill, or the server restarted): nothing to send
                return self._played(Turn(0, ends_session=True), heard="", sent=False)
            self.alexa.clock = at
            return self._played(self.alexa.end_session(SILENCE_REASON), heard=f"silence: {SILENCE_REASON}")

    def _played(self, turn: Turn, *, heard: str, sent: bool = True) -> dict[str, Any]:
        """The turn for the page: what was sent and answered (JSON panel) and how the answer plays."""
        notes = [line for line in describe(turn.response) if "Alexa.Presentation.APL" not in line]
        return {
            "heard": heard,
            "request": self.recorder.last if sent else None,
            "status": turn.status,
            "error": turn.error[:500],
            "response": turn.body or None,
            "ends_session": turn.ends_session,
            "speech": speech_timeline(turn.ssml, self.sounds),
            "reprompt": None if turn.ends_session else speech_timeline(turn.reprompt, self.sounds),
            "screen": screen_timeline(turn.response),
            "notes": notes,
        }


class Conversations:
    """The conversations of the pages open now, by the id each page makes up when it loads."""

    def __init__(self, new_client: Callable[[], Client], matcher: UtteranceMatcher, sounds: Mapping[str, Sound],
                 *, locale: str = "en-US", keep: int = KEPT_CONVERSATIONS) -> None:
        self.new_client, self.matcher, self.sounds, self.locale = new_client, matcher, sounds, locale
        self.keep = keep
        self._open: OrderedDict[str, Conversation] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, page_id: str) -> Conversation:
        """The page's conversation, started on its first turn."""
        with self._lock:
            conversation = self._open.pop(page_id, None)
            if conversation is None:
                conversation = Conversation(self.new_client(), self.matcher, self.sounds, self.locale)
            self._open[page_id] = conversation
            while len(self._open) > self.keep:
                self._open.popitem(last=False)
            return conversation
