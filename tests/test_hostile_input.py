"""Hostile input from issue 13, each finding reproduced in process: long echoed text, replayed SSML,
odd time zones (from the session, the store and the Settings API), absurd timestamps, missing user ids.

Every answer must be a valid Alexa response within the limits (test_bad_input.assert_sane), never the
apology, and a malformed request is a 400 with one log line.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import alexa_requests as rq
import pytest
from conftest import Alexa
from flask.testing import FlaskClient
from test_bad_input import assert_sane, errors_logged, is_apology, spoken

from skill.alexa.slots import MAX_HEARD_CHARS
from skill.app import create_app
from skill.speech.ssml import MAX_SSML_CHARS

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:   # bench/ is a top-level package of the repository, not installed
    sys.path.insert(0, str(ROOT))

from bench.hostile import SettingsApi  # noqa: E402  the one Settings API stand-in, shared with the fault run

BAD_ZONES = ["America", "Etc", "Mars/Olympus", "zone.tab", "posixrules/../UTC", 5, "Europe/Berlin\x00", "", None,
             "../../../../etc/passwd", "x" * 500]


@pytest.mark.parametrize("heard", ["a" * 9_000, "walk " * 20_000, "\U0001F9B6" * 9_000], ids=["9000", "100000", "emoji"])
def test_an_unknown_exercise_name_is_cut_short_before_it_is_spoken(client: FlaskClient, heard: str) -> None:
    """Finding 3: the name is echoed, but at most MAX_HEARD_CHARS of it, in speech and in the session."""
    body = assert_sane(client.post("/", json=rq.intent("StartExerciseIntent", {"exercise": heard})))
    assert body is not None and not is_apology(body)
    said = spoken(body)
    assert said.startswith("I don't know ") and len(said) < 400
    echoed = said.removeprefix("I don't know ").split(". I can guide")[0]
    assert 0 < len(echoed) <= MAX_HEARD_CHARS + 3
    assert len(body["response"]["outputSpeech"]["ssml"]) < 1_000
    assert len(json.dumps(body)) < 10_000


def replay(client: FlaskClient, last_ssml: str) -> dict[str, Any]:
    attributes = {"schema": 2, "question": "start_routine", "mode": "routine", "last_ssml": last_ssml,
                  "last_reprompt": "Shall we start?"}
    body = assert_sane(client.post("/", json=rq.intent("AMAZON.RepeatIntent", session_attributes=attributes)))
    assert body is not None and not is_apology(body)
    return body


def test_repeat_never_replays_seventy_minutes_of_silence(client: FlaskClient) -> None:
    """Finding 4: 419 ten-second breaks sent back in the session are not one of our turns."""
    body = replay(client, "<speak>" + '<break time="10s"/> ' * 419 + "</speak>")
    assert 'break time="10s"' not in body["response"]["outputSpeech"]["ssml"]
    assert "nothing to repeat" in spoken(body)


def test_repeat_never_replays_control_characters(client: FlaskClient) -> None:
    """Finding 4: U+0000 and U+0001 in the replayed SSML are cleaned: the answer is well-formed XML."""
    body = replay(client, "<speak>Ready\x00 for\x01 the left leg?</speak>")
    assert spoken(body) == "Ready for the left leg?"
    assert body["sessionAttributes"]["last_ssml"] == "<speak>Ready for the left leg?</speak>"


def test_repeat_without_a_reprompt_in_the_session_still_asks(client: FlaskClient) -> None:
    attributes = {"schema": 2, "question": "start_routine", "mode": "routine", "last_ssml": "<speak>Hello.</speak>"}
    body = assert_sane(client.post("/", json=rq.intent("AMAZON.RepeatIntent", session_attributes=attributes)))
    assert body is not None and body["response"]["shouldEndSession"] is False and body["response"]["reprompt"]


def test_repeat_replays_our_own_turn(alexa: Alexa) -> None:
    alexa.launch()
    counted = alexa.say("StartExerciseIntent", exercise={"value": "ankle circles", "id": "ankle_circles"})
    assert alexa.say("AMAZON.RepeatIntent").ssml == counted.ssml


@pytest.mark.parametrize("zone", BAD_ZONES)
def test_a_bad_time_zone_in_the_session_is_dropped_and_every_turn_works(client: FlaskClient, zone: Any) -> None:
    """Finding 5: the zone is replaced by UTC (None), so neither this turn nor the next fails."""
    alexa = Alexa(client, user_id=f"amzn1.ask.account.ZONE-{abs(hash(str(zone)))}")
    alexa.launch()
    alexa.attributes["timezone"] = zone
    with errors_logged() as errors:
        for intent in ("HowAmIDoingIntent", "AMAZON.HelpIntent", "AMAZON.StopIntent"):
            reply = alexa.say(intent)
            assert "something went wrong" not in reply.text
            assert reply.session_attributes.get("timezone") is None
    assert errors == []


@pytest.fixture
def settings_api() -> Iterator[SettingsApi]:
    api = SettingsApi()
    yield api
    api.close()


@pytest.mark.parametrize("answer", [b'"America"', b'"Etc"', b'"Mars/Olympus"', b'"zone.tab"', b"5", b'"a\\u0000b"',
                                    b"<html>Bad Gateway</html>", b"", b"null", b'{"zone": "UTC"}'])
def test_a_bad_answer_from_the_settings_api_means_utc(client: FlaskClient, settings_api: SettingsApi,
                                                      answer: bytes) -> None:
    """Finding 5: whatever the Settings API answers, the session goes on in UTC."""
    settings_api.answer = answer
    alexa = Alexa(client, user_id=f"amzn1.ask.account.API-{abs(hash(answer))}")
    with errors_logged() as errors:
        welcome = alexa.send(launch_with_api(alexa.identity["user_id"], settings_api))
        assert "something went wrong" not in welcome.text and welcome.session_attributes["timezone"] is None
        assert "something went wrong" not in alexa.say("AMAZON.StopIntent").text
    assert errors == []
    settings_api.answer = b'"Europe/Berlin"'
    other = Alexa(client, user_id=f"amzn1.ask.account.API-GOOD-{abs(hash(answer))}")
    assert other.send(launch_with_api(other.identity["user_id"], settings_api)).session_attributes[
        "timezone"] == "Europe/Berlin"


def launch_with_api(user_id: str, api: SettingsApi) -> dict[str, Any]:
    payload = rq.launch(user_id=user_id)
    payload["context"]["System"]["apiEndpoint"] = api.url
    return payload


@pytest.mark.parametrize("stamp", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "1970-01-01T00:00:00Z"])
@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Etc/GMT+12", None])
def test_absurd_timestamps_are_answered_on_the_servers_clock(client: FlaskClient, stamp: str, zone: str | None) -> None:
    """Finding 8: 0001-01-01 (and 9999) in any time zone gives an answer, not an OverflowError apology."""
    attributes = {"schema": 2, "question": "start_routine", "mode": "routine", "timezone": zone}
    with errors_logged() as errors:
        for payload in (rq.launch(), rq.intent("HowAmIDoingIntent", session_attributes=attributes),
                        rq.intent("StartExerciseIntent", {"exercise": {"value": "toe presses", "id": "toe_press"}},
                                  session_attributes=attributes)):
            payload["request"]["timestamp"] = stamp
            body = assert_sane(client.post("/", json=payload))
            assert body is not None and not is_apology(body)
    assert errors == []


@pytest.mark.parametrize("user", [{}, {"userId": ""}, {"userId": "  "}, {"userId": 5}, None])
def test_a_request_without_a_user_id_is_malformed(client: FlaskClient, user: Any,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    """Finding 8: HTTP 400 and one log line, no traceback, nothing read or written."""
    payload = rq.intent("HowAmIDoingIntent")
    payload["context"]["System"]["user"] = user
    caplog.set_level(logging.INFO)
    response = client.post("/", json=payload)
    assert response.status_code == 400 and response.get_json() == {"error": "bad request"}
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in warnings] == ["Refused a request: no context.System.user.userId"]
    assert all(r.exc_info is None for r in caplog.records)


def test_a_huge_session_echoed_back_is_kept_under_alexas_limit(client: FlaskClient) -> None:
    """The final guard: the SDK echoes the session of a request type we do not serve; it is dropped."""
    payload = rq.envelope({"type": "CanFulfillIntentRequest", "intent": {"name": "X", "slots": {}}},
                          session_attributes={"blob": "x" * 125_000})
    response = client.post("/", json=payload)
    body = assert_sane(response)
    assert body is not None and "sessionAttributes" not in body
    assert len(response.get_data()) <= 120 * 1024 and MAX_SSML_CHARS == 8_000


def test_how_am_i_doing_never_says_zero_when_progress_cannot_be_read() -> None:
    """Finding 8: with storage unreadable the answer says so, instead of "zero of your three sessions"."""
    app = create_app({"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none?connect_timeout=1",
                      "SKILL_VERIFY_SIGNATURES": False, "SKILL_ID": rq.SKILL_ID})
    try:
        alexa = Alexa(app.test_client())
        alexa.launch()
        reply = alexa.say("HowAmIDoingIntent")
        assert "can't reach your progress" in reply.text and "zero" not in reply.text
        assert reply.ends_session is False
    finally:
        app.extensions["foot_coach_store"].close()
