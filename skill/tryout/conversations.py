"""Alexa's side for the try page: each open page's conversation, through the console's driver.

Typed text is matched to an intent by the console's matcher (the locale's interaction model), and
LocalAlexa builds the request envelope (envelopes.py), posts it to POST / of the same app and
carries the session attributes into the next turn, as it does for the console. The page sends its
own clock's time with each turn, and that is the request's timestamp: the skill estimates where a
"pause" cut the count from the time that really passed in the browser. The page announces an Echo
Show (APL), so counted turns carry the screen's directives.

As in the console, Alexa's APIs are the local stand-in (console/local_apis.py: this machine's time
zone, reminders kept in memory), and when the skill asks for a permission, Alexa's own question is
the page's too: the next thing said answers it ("I approve", "no"; silence is no answer).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import Any

from skill.console.directives import PermissionRequest, describe
from skill.console.local_alexa import Client, LocalAlexa, Turn
from skill.console.local_apis import LocalAlexaApis, describe_call
from skill.console.matching import UtteranceMatcher
from skill.tryout.timeline import screen_timeline, speech_timeline

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

    def __init__(self, client: Client, matcher: UtteranceMatcher, locale: str, apis: ApiCalls | None = None) -> None:
        self.recorder = RecordingClient(client)
        self.apis = apis
        self.alexa = LocalAlexa(self.recorder, locale=locale, screen=True, apis=apis.stand_in if apis else None)
        self.matcher = matcher
        self.asking: PermissionRequest | None = None   # Alexa's permission question awaits an answer
        self.lock = threading.Lock()

    def say(self, text: str, at: datetime) -> dict[str, Any]:
        """Send what the user said at `at` (the page's clock) and return how the answer plays.

        While Alexa asks for a permission, what is said is the answer to Alexa's question.
        """
        with self.lock:
            self.alexa.clock = at
            if self.asking:
                return self._answer_permission(PermissionRequest.status_for(text))
            match = self.matcher.match(text)
            return self._played(lambda: self.alexa.send(match), heard=match.describe())

    def silence(self, at: datetime) -> dict[str, Any]:
        """The user said nothing after the reprompt: Alexa ends the session and tells the skill.

        Silence after Alexa's permission question is no answer to it (NOT_ANSWERED).
        """
        with self.lock:
            self.alexa.clock = at
            if self.asking:
                return self._answer_permission("NOT_ANSWERED")
            if not self.alexa.in_session:   # already closed (by the skill, or the server restarted): nothing to send
                return self._played(lambda: Turn(0, ends_session=True), heard="", sent=False)
            return self._played(lambda: self.alexa.end_session(SILENCE_REASON), heard=f"silence: {SILENCE_REASON}")

    def _answer_permission(self, status: str) -> dict[str, Any]:
        request, self.asking = self.asking, None
        assert request is not None
        return self._played(lambda: self.alexa.answer_permission(request, status),
                            heard=f"Connections.Response AskFor: {status}")

    def _played(self, post: Callable[[], Turn], *, heard: str, sent: bool = True) -> dict[str, Any]:
        """The turn for the page: what was sent and answered (JSON panel), the calls the skill made to
        Alexa's APIs meanwhile, Alexa's own question if the skill asked for a permission, and how the
        answer plays."""
        calls_before = self.apis.count() if self.apis else 0
        turn = post()
        notes = [line for line in describe(turn.response) if "Alexa.Presentation.APL" not in line]
        notes += self.apis.since(calls_before) if self.apis else []
        self.asking = PermissionRequest.from_response(turn.response)
        return {
            "alexa_asks": self.asking.question() if self.asking else None,
            "heard": heard,
            "request": self.recorder.last if sent else None,
            "status": turn.status,
            "error": turn.error[:500],
            "response": turn.body or None,
            "ends_session": turn.ends_session,
            "speech": speech_timeline(turn.ssml),
            "reprompt": None if turn.ends_session else speech_timeline(turn.reprompt),
            "screen": screen_timeline(turn.response),
            "notes": notes,
        }


class ApiCalls:
    """The local stand-in for Alexa's APIs, shared by the pages, and the calls the skill made to it."""

    def __init__(self) -> None:
        self._calls: list[str] = []
        self._lock = threading.Lock()
        self.stand_in = LocalAlexaApis(on_call=self._record).start()

    def _record(self, method: str, path: str, body: Any) -> None:
        with self._lock:
            self._calls.append(describe_call(method, path, body))

    def count(self) -> int:
        """How many calls so far."""
        with self._lock:
            return len(self._calls)

    def since(self, count: int) -> list[str]:
        """The calls made after the first `count` (with pages answered at once, another page's may be among them)."""
        with self._lock:
            return self._calls[count:]

    def close(self) -> None:
        """Stop the stand-in."""
        self.stand_in.close()


class Conversations:
    """The conversations of the pages open now, by the id each page makes up when it loads.

    The stand-in for Alexa's APIs starts with the first conversation; close() stops it.
    """

    def __init__(self, new_client: Callable[[], Client], matcher: UtteranceMatcher, *, locale: str = "en-US",
                 keep: int = KEPT_CONVERSATIONS, alexa_apis: bool = True) -> None:
        self.new_client, self.matcher, self.locale = new_client, matcher, locale
        self.keep = keep
        self.alexa_apis = alexa_apis
        self._apis: ApiCalls | None = None
        self._open: OrderedDict[str, Conversation] = OrderedDict()
        self._lock = threading.Lock()

    def close(self) -> None:
        """Stop the stand-in for Alexa's APIs, if it was started."""
        with self._lock:
            if self._apis:
                self._apis.close()
            self._apis = None

    def get(self, page_id: str) -> Conversation:
        """The page's conversation, started on its first turn."""
        with self._lock:
            conversation = self._open.pop(page_id, None)
            if conversation is None:
                if self.alexa_apis and self._apis is None:
                    self._apis = ApiCalls()
                conversation = Conversation(self.new_client(), self.matcher, self.locale, self._apis)
            self._open[page_id] = conversation
            while len(self._open) > self.keep:
                self._open.popitem(last=False)
            return conversation
