"""The one conversation driver: Alexa's part for one user, posting envelopes to the app in-process.

It opens a session on a launch (or on anything said outside a session), carries the session
attributes from each response into the next request and forgets them when a response ends the
session, answers the skill's permission question with a Connections.Response, and keeps a clock for
the request timestamps (real time, or a clock the caller moves). The console talks through it; the
test suite's conversation helpers (tests/conftest.py's Alexa, tests/person.py) are built on it, with
the tests' ids. Every envelope comes from envelopes.py.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from skill.console.directives import PermissionRequest
from skill.console.envelopes import Envelopes, launch_request, session_ended_request
from skill.console.local_apis import LocalAlexaApis
from skill.console.matching import LAUNCH_REQUEST, Match

CONSOLE_USER_ID = "amzn1.ask.account.CONSOLE"
CONSOLE_SKILL_ID = "amzn1.ask.skill.00000000-0000-4000-8000-00000000c0de"
CONSOLE_DEVICE_ID = "amzn1.ask.device.CONSOLE"
APL_INTERFACES = {"Alexa.Presentation.APL": {"runtime": {"maxVersion": "2023.2"}}}


class Client(Protocol):
    """What the driver needs of Flask's test client."""

    def post(self, path: str, *, json: dict[str, Any]) -> Any: ...


@dataclass(frozen=True)
class Turn:
    """What came back for one request."""

    status: int
    ssml: str = ""
    reprompt: str = ""
    ends_session: bool = False
    error: str = ""
    response: dict[str, Any] = field(default_factory=dict)   # the response object
    body: dict[str, Any] = field(default_factory=dict)       # the whole response envelope


class LocalAlexa:
    """Post envelopes in-process for one user, carrying sessions and their attributes like Alexa.

    Without `envelopes`, the console's: its ids, and a device and Alexa's API endpoint only when the
    local API stand-in (`apis`) or a screen is there. `clock` None stamps requests with the real time.
    `identity` holds envelope keywords sent with every request (person_id, supported_interfaces, ...).
    """

    def __init__(self, client: Client, *, user_id: str | None = None, skill_id: str | None = None,
                 locale: str | None = None, apis: LocalAlexaApis | None = None, screen: bool = False,
                 envelopes: Envelopes | None = None, clock: datetime | None = None, **identity: Any) -> None:
        self.client = client
        if envelopes is None:
            envelopes = Envelopes(
                skill_id=skill_id or CONSOLE_SKILL_ID, user_id=user_id or CONSOLE_USER_ID, locale=locale or "en-US",
                # Without the local API stand-in the request has no device and no apiEndpoint: then the skill
                # asks no Settings API for a time zone (days are UTC) and cannot reach the Reminders API.
                device_id=CONSOLE_DEVICE_ID if apis or screen else None,
                api_endpoint=apis.url if apis else None, api_access_token=apis.token if apis else "",
                request_id_prefix=f"amzn1.echo-api.request.{uuid.uuid4()}-")
        else:   # the given builder's ids, except for what is named here
            given = {"user_id": user_id, "skill_id": skill_id, "locale": locale}
            identity = {**{key: value for key, value in given.items() if value is not None}, **identity}
        self.envelopes = envelopes
        if screen:
            identity.setdefault("supported_interfaces", APL_INTERFACES)
        self.identity = identity
        self.clock = clock
        self.granted: set[str] = set()              # permission scopes the user approved
        self.session_id: str | None = None        # None: no session is open
        self.attributes: dict[str, Any] = {}

    @property
    def in_session(self) -> bool:
        """True while a session is open (the last response did not end it)."""
        return self.session_id is not None

    def common(self, *, new: bool | None = None) -> dict[str, Any]:
        """The envelope keywords of the next request in this session (for an envelope built by hand)."""
        keywords: dict[str, Any] = {"session_attributes": self.attributes,
                                    "new": not self.in_session if new is None else new,
                                    "at": self.clock, "session_id": self.session_id, **self.identity}
        if self.granted:
            user_id = self.identity.get("user_id") or self.envelopes.user_id
            keywords.update(consent_token=f"console-consent-{user_id}", scopes=sorted(self.granted))
        return keywords

    def send(self, match: Match) -> Turn:
        """Send what the user said; a launch, or anything said outside a session, opens a new session."""
        return self.post(match.to_request(self.envelopes.skill_id))

    def launch(self) -> Turn:
        """ "Alexa, open foot coach": always a new session."""
        return self.post(launch_request())

    def intent(self, name: str, slots: dict[str, Any] | None = None) -> Turn:
        """An intent with slots given as envelopes.SlotSpec."""
        return self.post(self.envelopes.intent_request(name, slots))

    def answer_permission(self, request: PermissionRequest, status: str) -> Turn:
        """Alexa's Connections.Response to the skill's AskFor; an approval grants the scopes from now on."""
        if status == "ACCEPTED":
            self.granted |= set(request.scopes)
        elif status == "DENIED":
            self.granted -= set(request.scopes)
        return self.post(request.answer(status), new=False)

    def end_session(self, reason: str = "EXCEEDED_MAX_REPROMPTS") -> Turn:
        """Tell the skill the session is over (by default: the user said nothing twice), as Alexa does."""
        return self.post(session_ended_request(reason), new=False)

    def wait(self, seconds: float) -> None:
        """Let time pass between turns (moves the request timestamps; real time has no clock to move)."""
        if self.clock is not None:
            self.clock += timedelta(seconds=seconds)

    def post(self, request: dict[str, Any], *, new: bool | None = None) -> Turn:
        """Send a request in this session; a launch, or any request outside a session, opens a new one.

        A launch starts from no attributes; a session opened otherwise sends the attributes as they are
        (none, unless the caller set some).
        """
        is_launch = request.get("type") == LAUNCH_REQUEST
        new = (is_launch or not self.in_session) if new is None else new
        if new:
            self.session_id = f"amzn1.echo-api.session.{uuid.uuid4()}"
            if is_launch:
                self.attributes = {}
        return self.post_envelope(self.envelopes.envelope(request, **self.common(new=new)))

    def post_envelope(self, envelope: dict[str, Any]) -> Turn:
        """Post a complete envelope; the session then follows the response, as for any request."""
        response = self.client.post("/", json=envelope)
        body = response.get_json(silent=True) or {}
        if response.status_code != 200 or "response" not in body:
            self.session_id, self.attributes = None, {}
            return Turn(response.status_code, ends_session=True, error=response.get_data(as_text=True).strip(),
                        body=body)
        answer = body["response"]
        turn = Turn(
            status=200,
            ssml=(answer.get("outputSpeech") or {}).get("ssml", ""),
            reprompt=((answer.get("reprompt") or {}).get("outputSpeech") or {}).get("ssml", ""),
            ends_session=(answer.get("shouldEndSession") is True
                          or envelope.get("request", {}).get("type") == "SessionEndedRequest"),
            response=answer,
            body=body,
        )
        if turn.ends_session:
            self.session_id, self.attributes = None, {}
        else:
            self.session_id = self.session_id or envelope.get("session", {}).get("sessionId")
            self.attributes = body.get("sessionAttributes") or {}
        return turn
