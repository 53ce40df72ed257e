"""The one builder of Alexa request envelopes: plain dicts in the wire format Alexa sends.

The console (local_alexa.py), the test suite (tests/alexa_requests.py) and the benchmark
(bench/fixtures.py) all build their requests here, each with its own ids. A caller says only what
differs from an ordinary request; everything else (request id, timestamp, locale, session, context)
is filled in. The envelope carries ``context.System.application`` and ``context.System.user``,
because both the skill id check and the storage key read those, not the session.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope

REMINDERS_SCOPE = "alexa::alerts:reminders:skill:readwrite"
NO_SESSION_ID = "amzn1.echo-api.session.ENDED"  # what a request outside an open session carries here
# A slot as callers give it: the words heard (no entity resolution), or a dict with "value" and the
# catalog "id" it resolved to (None: tried and not matched), optionally "name" and the slot "type".
SlotSpec = str | Mapping[str, Any]


def timestamp(at: datetime | None = None, *, offset_seconds: float = 0) -> str:
    """A request timestamp the way Alexa writes it (UTC, whole seconds, 'Z'); now unless `at` is given."""
    moment = (at or datetime.now(timezone.utc)) + timedelta(seconds=offset_seconds)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def slot(name: str, value: str, *, skill_id: str, slot_type: str | None = None, resolved_id: str | None = None,
         resolved_name: str | None = None) -> dict[str, Any]:
    """A slot as Alexa sends it.

    Without `slot_type` (a built-in type such as AMAZON.NUMBER) there is no entity resolution. With
    it, `resolved_id` None means the words matched no value (ER_SUCCESS_NO_MATCH); otherwise they
    resolved to that id and `resolved_name` (default: the words heard).
    """
    built: dict[str, Any] = {"name": name, "value": value, "confirmationStatus": "NONE"}
    if slot_type is None:
        return built
    authority: dict[str, Any] = {"authority": f"amzn1.er-authority.echo-sdk.{skill_id}.{slot_type}"}
    if resolved_id is None:
        authority["status"] = {"code": "ER_SUCCESS_NO_MATCH"}
    else:
        authority["status"] = {"code": "ER_SUCCESS_MATCH"}
        authority["values"] = [{"value": {"name": resolved_name or value, "id": resolved_id}}]
    built["resolutions"] = {"resolutionsPerAuthority": [authority]}
    return built


def slot_from_spec(name: str, spec: SlotSpec, skill_id: str) -> dict[str, Any]:
    """A slot from a SlotSpec (see above); a custom slot's type defaults to ExerciseName."""
    if isinstance(spec, str):
        return slot(name, spec, skill_id=skill_id)
    return slot(name, spec["value"], skill_id=skill_id, slot_type=spec.get("type", "ExerciseName"),
                resolved_id=spec.get("id") or None, resolved_name=spec.get("name"))


def launch_request() -> dict[str, Any]:
    """The `request` of "Alexa, open foot coach"."""
    return {"type": "LaunchRequest"}


def intent_request(name: str, slots: Mapping[str, dict[str, Any]] | None = None, *,
                   confirmation: str = "NONE") -> dict[str, Any]:
    """The `request` of an IntentRequest with slots already built (see slot)."""
    return {"type": "IntentRequest", "dialogState": "STARTED",
            "intent": {"name": name, "confirmationStatus": confirmation, "slots": dict(slots or {})}}


def session_ended_request(reason: str = "USER_INITIATED") -> dict[str, Any]:
    """The `request` of a SessionEndedRequest (the user said nothing, left, or an error)."""
    return {"type": "SessionEndedRequest", "reason": reason}


def connections_response_request(status: str, token: str, *, name: str = "AskFor", code: str = "200",
                                 payload: dict[str, Any] | None = None,
                                 scopes: Sequence[str] = (REMINDERS_SCOPE,)) -> dict[str, Any]:
    """The `request` of Alexa's Connections.Response to a skill's AskFor: by default the version 2
    payload answering for `scopes` with `status` (ACCEPTED, DENIED, NOT_ANSWERED)."""
    if payload is None:
        payload = {"permissionScopes": [{"permissionScope": scope, "consentLevel": "ACCOUNT"} for scope in scopes],
                   "status": status}
    return {"type": "Connections.Response", "name": name, "status": {"code": code, "message": "OK"},
            "payload": payload, "token": token}


class Envelopes:
    """Build envelopes for one skill with one set of defaults (who is talking, from which device).

    `device_id` None sends no device; `api_endpoint` None sends no apiEndpoint or apiAccessToken, so
    the skill calls none of Alexa's APIs. Both are plain attributes a caller may change.
    """

    def __init__(self, *, skill_id: str, user_id: str, device_id: str | None = None,
                 api_endpoint: str | None = None, api_access_token: str = "api-access-token",
                 locale: str = "en-US", session_id: str = NO_SESSION_ID,
                 request_id_prefix: str = "amzn1.echo-api.request.") -> None:
        self.skill_id, self.user_id, self.locale = skill_id, user_id, locale
        self.device_id, self.api_endpoint, self.api_access_token = device_id, api_endpoint, api_access_token
        self.session_id = session_id
        self.request_id_prefix = request_id_prefix
        self._ids = itertools.count(1)

    def envelope(self, request: Mapping[str, Any], *, session_attributes: Mapping[str, Any] | None = None,
                 new: bool = False, user_id: str | None = None, person_id: str | None = None,
                 skill_id: str | None = None, locale: str | None = None, at: datetime | None = None,
                 session_id: str | None = None, supported_interfaces: Mapping[str, Any] | None = None,
                 consent_token: str | None = None, scopes: Sequence[str] = ()) -> dict[str, Any]:
        """Wrap a `request` in a full envelope; the request's own id, timestamp or locale are kept.

        `consent_token` marks a user who has granted the skill a permission, `scopes` the scopes granted.
        """
        skill_id = self.skill_id if skill_id is None else skill_id
        user_id = self.user_id if user_id is None else user_id
        stamped = dict(request)
        stamped.setdefault("requestId", f"{self.request_id_prefix}{next(self._ids)}")
        stamped.setdefault("timestamp", timestamp(at))
        stamped.setdefault("locale", self.locale if locale is None else locale)
        user: dict[str, Any] = {"userId": user_id}
        if consent_token:
            user["permissions"] = {"consentToken": consent_token}
            if scopes:
                user["permissions"]["scopes"] = {scope: {"status": "GRANTED"} for scope in sorted(scopes)}
        system: dict[str, Any] = {"application": {"applicationId": skill_id}, "user": dict(user)}
        if self.device_id is not None:
            system["device"] = {"deviceId": self.device_id, "supportedInterfaces": dict(supported_interfaces or {})}
        if self.api_endpoint is not None:
            system["apiEndpoint"], system["apiAccessToken"] = self.api_endpoint, self.api_access_token
        if person_id:
            system["person"] = {"personId": person_id}
        return {
            "version": "1.0",
            "session": {"new": new, "sessionId": self.session_id if session_id is None else session_id,
                        "application": {"applicationId": skill_id},
                        "attributes": dict(session_attributes or {}), "user": user},
            "context": {"System": system},
            "request": stamped,
        }

    def launch(self, **kw: Any) -> dict[str, Any]:
        """A LaunchRequest ("Alexa, open foot coach"); starts a new session."""
        kw.setdefault("new", True)
        return self.envelope(launch_request(), **kw)

    def intent_request(self, name: str, slots: Mapping[str, SlotSpec] | None = None, *,
                       confirmation: str = "NONE", skill_id: str | None = None) -> dict[str, Any]:
        """The `request` of an IntentRequest, its slots given as SlotSpecs."""
        authority_skill = self.skill_id if skill_id is None else skill_id
        built = {name_: slot_from_spec(name_, spec, authority_skill) for name_, spec in (slots or {}).items()}
        return intent_request(name, built, confirmation=confirmation)

    def intent(self, name: str, slots: Mapping[str, SlotSpec] | None = None, *, confirmation: str = "NONE",
               **kw: Any) -> dict[str, Any]:
        """An IntentRequest; slots as SlotSpecs ("toe curls", or {"value": "toe curls", "id": "toe_press"})."""
        return self.envelope(self.intent_request(name, slots, confirmation=confirmation), **kw)

    def session_ended(self, reason: str = "USER_INITIATED", **kw: Any) -> dict[str, Any]:
        """A SessionEndedRequest."""
        return self.envelope(session_ended_request(reason), **kw)

    def connections_response(self, status: str, token: str, *, name: str = "AskFor", code: str = "200",
                             payload: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
        """A Connections.Response: Alexa's answer to the skill's AskFor (the reminders permission)."""
        return self.envelope(connections_response_request(status, token, name=name, code=code, payload=payload),
                             **kw)


def to_model(payload: Mapping[str, Any]) -> RequestEnvelope:
    """Deserialize a wire-format dict into the SDK's typed RequestEnvelope (with the SDK's own serializer)."""
    model: RequestEnvelope = DefaultSerializer().deserialize(json.dumps(payload), RequestEnvelope)
    return model


def encode(payload: Mapping[str, Any]) -> bytes:
    """Serialise an envelope the way Alexa sends it (compact UTF-8 JSON)."""
    return json.dumps(payload, separators=(",", ":")).encode("utf-8")
