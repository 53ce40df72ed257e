"""The console's stand-in for Alexa: posts request envelopes to the app in-process, for one user.

It opens a session on a launch (or on anything said outside a session), carries the session
attributes from each response into the next request and forgets them when a response ends the
session, answers the skill's permission question with a Connections.Response, and sends a device,
a screen and Alexa's API endpoint when the console has them, the way Alexa does.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from flask.testing import FlaskClient

from skill.console.directives import PermissionRequest
from skill.console.local_apis import LocalAlexaApis
from skill.console.matching import LAUNCH_REQUEST, Match

CONSOLE_USER_ID = "amzn1.ask.account.CONSOLE"
CONSOLE_SKILL_ID = "amzn1.ask.skill.00000000-0000-4000-8000-00000000c0de"
CONSOLE_DEVICE_ID = "amzn1.ask.device.CONSOLE"
APL_INTERFACES = {"Alexa.Presentation.APL": {"runtime": {"maxVersion": "2023.2"}}}


@dataclass(frozen=True)
class Turn:
    """What came back for one request."""

    status: int
    ssml: str = ""
    reprompt: str = ""
    ends_session: bool = False
    error: str = ""
    response: dict[str, Any] = field(default_factory=dict)


class LocalAlexa:
    """Post envelopes in-process for one user, carrying sessions and their attributes like Alexa."""

    def __init__(self, client: FlaskClient, *, user_id: str = CONSOLE_USER_ID,
                 skill_id: str = CONSOLE_SKILL_ID, locale: str = "en-US", apis: LocalAlexaApis | None = None,
                 screen: bool = False) -> None:
        self.client = client
        self.user_id, self.skill_id, self.locale = user_id, skill_id, locale
        self.apis, self.screen = apis, screen
        self.granted: set[str] = set()              # permission scopes the user approved
        self.session_id: str | None = None        # None: no session is open
        self.attributes: dict[str, Any] = {}

    @property
    def in_session(self) -> bool:
        """True while a session is open (the last response did not end it)."""
        return self.session_id is not None

    def send(self, match: Match) -> Turn:
        """Send what the user said; a launch, or anything said outside a session, opens a new session."""
        new = match.request_type == LAUNCH_REQUEST or not self.in_session
        if new:
            self.session_id, self.attributes = f"amzn1.echo-api.session.{uuid.uuid4()}", {}
        return self._post(match.to_request(self.skill_id), new=new)

    def answer_permission(self, request: PermissionRequest, status: str) -> Turn:
        """Alexa's Connections.Response to the skill's AskFor; an approval grants the scopes from now on."""
        if status == "ACCEPTED":
            self.granted |= set(request.scopes)
        elif status == "DENIED":
            self.granted -= set(request.scopes)
        return self._post(request.answer(status), new=False)

    def end_session(self, reason: str = "EXCEEDED_MAX_REPROMPTS") -> Turn:
        """Tell the skill the session is over (the user said nothing twice), as Alexa does."""
        return self._post({"type": "SessionEndedRequest", "reason": reason}, new=False)

    def _post(self, request: dict[str, Any], *, new: bool) -> Turn:
        response = self.client.post("/", json=self._envelope(request, new=new))
        body = response.get_json(silent=True) or {}
        if response.status_code != 200 or "response" not in body:
            self.session_id, self.attributes = None, {}
            return Turn(response.status_code, ends_session=True, error=response.get_data(as_text=True).strip())
        answer = body["response"]
        turn = Turn(
            status=200,
            ssml=(answer.get("outputSpeech") or {}).get("ssml", ""),
            reprompt=((answer.get("reprompt") or {}).get("outputSpeech") or {}).get("ssml", ""),
            ends_session=answer.get("shouldEndSession") is True or request["type"] == "SessionEndedRequest",
            response=answer,
        )
        if turn.ends_session:
            self.session_id, self.attributes = None, {}
        else:
            self.attributes = body.get("sessionAttributes") or {}
        return turn

    def _envelope(self, request: dict[str, Any], *, new: bool) -> dict[str, Any]:
        # Without the local API stand-in the request has no device and no apiEndpoint: then the skill
        # asks no Settings API for a time zone (days are UTC) and cannot reach the Reminders API.
        stamped = {**request, "requestId": f"amzn1.echo-api.request.{uuid.uuid4()}", "locale": self.locale,
                   "timestamp": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
        application: dict[str, Any] = {"applicationId": self.skill_id}
        user: dict[str, Any] = {"userId": self.user_id}
        if self.granted:
            user["permissions"] = {"consentToken": f"console-consent-{self.user_id}",
                                   "scopes": {scope: {"status": "GRANTED"} for scope in sorted(self.granted)}}
        system: dict[str, Any] = {"application": application, "user": user}
        if self.apis or self.screen:
            system["device"] = {"deviceId": CONSOLE_DEVICE_ID,
                                "supportedInterfaces": APL_INTERFACES if self.screen else {}}
        if self.apis:
            system["apiEndpoint"], system["apiAccessToken"] = self.apis.url, self.apis.token
        return {
            "version": "1.0",
            "session": {"new": new, "sessionId": self.session_id or "amzn1.echo-api.session.ENDED",
                        "application": application, "attributes": self.attributes, "user": user},
            "context": {"System": system},
            "request": stamped,
        }
