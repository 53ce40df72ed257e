"""Build Alexa request envelopes as plain dicts, in the wire format Alexa sends.

Each test says only what differs from an ordinary request; everything else is filled in here.
"""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timedelta, timezone
from typing import Any

from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope

SKILL_ID = "amzn1.ask.skill.00000000-0000-4000-8000-000000000001"
OTHER_SKILL_ID = "amzn1.ask.skill.00000000-0000-4000-8000-00000000dead"
USER_ID = "amzn1.ask.account.TESTUSER"
PERSON_ID = "amzn1.ask.person.TESTPERSON"
DEVICE_ID = "amzn1.ask.device.TESTDEVICE"
API_ENDPOINT = "http://127.0.0.1:9"  # loopback, closed: tests never reach Amazon
REMINDERS_SCOPE = "alexa::alerts:reminders:skill:readwrite"

_ids = itertools.count(1)


def timestamp(at: datetime | None = None, *, offset_seconds: float = 0) -> str:
    """Format a request timestamp the way Alexa does (UTC, second precision, 'Z')."""
    moment = (at or datetime.now(timezone.utc)) + timedelta(seconds=offset_seconds)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def envelope(
    request: dict[str, Any],
    *,
    session_attributes: dict[str, Any] | None = None,
    new: bool = False,
    user_id: str = USER_ID,
    person_id: str | None = None,
    skill_id: str = SKILL_ID,
    locale: str = "en-US",
    at: datetime | None = None,
    session_id: str = "amzn1.echo-api.session.TEST",
    supported_interfaces: dict[str, Any] | None = None,
    consent_token: str | None = None,
) -> dict[str, Any]:
    """Wrap a request in a full envelope with session and context.

    `consent_token` marks a user who has granted the skill a permission (reminders), as Alexa does.
    """
    request = dict(request)
    request.setdefault("requestId", f"amzn1.echo-api.request.{next(_ids)}")
    request.setdefault("timestamp", timestamp(at))
    request.setdefault("locale", locale)
    system: dict[str, Any] = {
        "application": {"applicationId": skill_id},
        "user": {"userId": user_id},
        "device": {"deviceId": DEVICE_ID, "supportedInterfaces": supported_interfaces or {}},
        "apiEndpoint": API_ENDPOINT,
        "apiAccessToken": "test-api-access-token",
    }
    if person_id:
        system["person"] = {"personId": person_id}
    user: dict[str, Any] = {"userId": user_id}
    if consent_token:
        user["permissions"] = {"consentToken": consent_token}
        system["user"] = dict(user)
    return {
        "version": "1.0",
        "session": {
            "new": new,
            "sessionId": session_id,
            "application": {"applicationId": skill_id},
            "attributes": session_attributes or {},
            "user": user,
        },
        "context": {"System": system},
        "request": request,
    }


def launch(**kw: Any) -> dict[str, Any]:
    """A LaunchRequest ("Alexa, open foot coach"); starts a new session."""
    kw.setdefault("new", True)
    return envelope({"type": "LaunchRequest"}, **kw)


def intent(
    name: str,
    slots: dict[str, str | dict[str, Any]] | None = None,
    *,
    confirmation: str = "NONE",
    **kw: Any,
) -> dict[str, Any]:
    """An IntentRequest.

    A slot given as a string is what the user said with no entity resolution; give a dict
    ``{"value": "toe curls", "id": "toe_press"}`` for a slot that resolved to a catalog id, or
    ``{"value": "jumping jacks", "id": None}`` for one that was tried and did not match.
    """
    built: dict[str, Any] = {}
    for slot_name, spec in (slots or {}).items():
        if isinstance(spec, str):
            built[slot_name] = {"name": slot_name, "value": spec, "confirmationStatus": "NONE"}
            continue
        slot: dict[str, Any] = {"name": slot_name, "value": spec["value"], "confirmationStatus": "NONE"}
        authority = f"amzn1.er-authority.echo-sdk.{SKILL_ID}.{spec.get('type', 'ExerciseName')}"
        if spec.get("id"):
            slot["resolutions"] = {"resolutionsPerAuthority": [{
                "authority": authority,
                "status": {"code": "ER_SUCCESS_MATCH"},
                "values": [{"value": {"name": spec.get("name", spec["value"]), "id": spec["id"]}}],
            }]}
        else:
            slot["resolutions"] = {"resolutionsPerAuthority": [{
                "authority": authority, "status": {"code": "ER_SUCCESS_NO_MATCH"},
            }]}
        built[slot_name] = slot
    request = {
        "type": "IntentRequest",
        "dialogState": "STARTED",
        "intent": {"name": name, "confirmationStatus": confirmation, "slots": built},
    }
    return envelope(request, **kw)


def session_ended(reason: str = "USER_INITIATED", **kw: Any) -> dict[str, Any]:
    """A SessionEndedRequest (the user said nothing, or an error)."""
    return envelope({"type": "SessionEndedRequest", "reason": reason}, **kw)


def connections_response(status: str, token: str, *, name: str = "AskFor", code: str = "200",
                         payload: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    """A Connections.Response: Alexa's answer to a skill's Connections.SendRequest (here, AskFor).

    The default payload is the version 2 answer about the reminders permission with `status`.
    """
    if payload is None:
        payload = {"permissionScopes": [{"permissionScope": REMINDERS_SCOPE, "consentLevel": "ACCOUNT"}],
                   "status": status}
    return envelope({"type": "Connections.Response", "name": name, "status": {"code": code, "message": "OK"},
                     "payload": payload, "token": token}, **kw)


def to_model(payload: dict[str, Any]) -> RequestEnvelope:
    """Deserialize a wire-format dict into the SDK's typed RequestEnvelope."""
    return DefaultSerializer().deserialize(json.dumps(payload), RequestEnvelope)
