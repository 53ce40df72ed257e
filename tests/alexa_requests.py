"""The test suite's Alexa requests: the one envelope builder (skill/console/envelopes.py) with the tests' ids.

Each test says only what differs from an ordinary request; everything else is filled in there.
"""

from __future__ import annotations

from skill.console.envelopes import REMINDERS_SCOPE, Envelopes, encode, timestamp, to_model

__all__ = ["API_ENDPOINT", "DEVICE_ID", "OTHER_SKILL_ID", "PERSON_ID", "REMINDERS_SCOPE", "REQUESTS", "SKILL_ID",
           "USER_ID", "connections_response", "encode", "envelope", "intent", "launch", "session_ended",
           "timestamp", "to_model"]

SKILL_ID = "amzn1.ask.skill.00000000-0000-4000-8000-000000000001"
OTHER_SKILL_ID = "amzn1.ask.skill.00000000-0000-4000-8000-00000000dead"
USER_ID = "amzn1.ask.account.TESTUSER"
PERSON_ID = "amzn1.ask.person.TESTPERSON"
DEVICE_ID = "amzn1.ask.device.TESTDEVICE"
API_ENDPOINT = "http://127.0.0.1:9"  # loopback, closed: tests never reach Amazon

# Tests that stand in for Alexa's APIs point REQUESTS.api_endpoint at their stand-in (monkeypatch.setattr).
REQUESTS = Envelopes(skill_id=SKILL_ID, user_id=USER_ID, device_id=DEVICE_ID, api_endpoint=API_ENDPOINT,
                     api_access_token="test-api-access-token", session_id="amzn1.echo-api.session.TEST")
envelope = REQUESTS.envelope
launch = REQUESTS.launch
intent = REQUESTS.intent
session_ended = REQUESTS.session_ended
connections_response = REQUESTS.connections_response
