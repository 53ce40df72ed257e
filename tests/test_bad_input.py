"""Bad input through the real app: every malformed, odd or hostile request gets a 400 or a sensible answer.

Never a 5xx, never a traceback to the caller, and every 200 is a valid Alexa response within the
speech limits. Hypothesis generates envelopes, and mutations of real ones; tampered session
attributes can neither crash the skill nor reach another user's stored progress.
"""

from __future__ import annotations

import base64
import copy
import io
import ipaddress
import json
import logging
import re
import socket
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import alexa_requests as rq
import pytest
from conftest import Alexa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from signing import CertificateAuthority, ChainServer, Leaf

from skill.app import create_app
from skill.content.catalog import load_catalog
from skill.persistence import SqlStore
from skill.progress.state import Question, SessionState
from skill.webservice.verifier import SignatureVerifier
from skill.workout.routine import Mode

ROOT = Path(__file__).resolve().parents[1]
REAL_ALEXA = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "real-alexa"
CATALOG = load_catalog()
MAX_SSML_CHARS = 8_000            # Alexa's outputSpeech limit, markup included
MAX_BREAK_MS = 10_000             # one <break>
MAX_RESPONSE_BYTES = 120 * 1024   # the whole response JSON
BODY_CAP = 128 * 1024             # create_app's MAX_BODY_BYTES
CHAIN_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert-test.pem"
# Requests that must never be answered with speech (Alexa refuses such a response).
NO_SPEECH = ("SessionEndedRequest", "System.ExceptionEncountered", "AudioPlayer.", "PlaybackController.")
UNSERVED_TYPES = [
    "CanFulfillIntentRequest", "Connections.Response", "Connections.Request", "Alexa.Presentation.APL.UserEvent",
    "Alexa.Presentation.APL.LoadIndexListData", "Alexa.Presentation.APLT.UserEvent", "System.ExceptionEncountered",
    "AudioPlayer.PlaybackStarted", "AudioPlayer.PlaybackFailed", "PlaybackController.PlayCommandIssued",
    "Messaging.MessageReceived", "Display.ElementSelected", "GameEngine.InputHandlerEvent", "Dialog.API.Invoked",
    "AlexaSkillEvent.SkillEnabled", "AlexaSkillEvent.SkillPermissionAccepted",
]
MODEL_INTENTS = [intent["name"] for intent in json.loads(
    (ROOT / "interaction_model" / "en-US.json").read_text())["interactionModel"]["languageModel"]["intents"]]
WELCOME = re.compile(r"Foot Coach|foot routine|Welcome", re.IGNORECASE)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


# --- the app, once per module ------------------------------------------------------------------

@pytest.fixture(scope="module", autouse=True)
def loopback_only() -> Iterator[None]:
    """Fail any name lookup that is not loopback: fuzzed envelopes carry URLs the skill may call."""
    real = socket.getaddrinfo

    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        try:
            loopback = ipaddress.ip_address(name).is_loopback
        except ValueError:
            loopback = name == "localhost"
        if not loopback:
            raise socket.gaierror(f"tests talk to 127.0.0.1 only, not {name!r}")
        return real(host, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket, "getaddrinfo", guarded)
        yield


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The real app on a SQLite file of its own, verification off, skill id set."""
    folder = tmp_path_factory.mktemp("bad-input")
    app = create_app({"DATABASE_URL": f"sqlite:///{folder / 'fuzz.sqlite'}",
                      "SKILL_VERIFY_SIGNATURES": False, "SKILL_ID": rq.SKILL_ID})
    yield app
    app.extensions["foot_coach_store"].close()


@pytest.fixture(scope="module")
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="module")
def store(app: Flask) -> SqlStore:
    return app.extensions["foot_coach_store"]


@pytest.fixture(scope="module")
def victim(client: FlaskClient, store: SqlStore) -> Callable[[], dict[str, Any]]:
    """A user with stored progress (stopped in pencil pickups); returns a reader of their stored row."""
    user = f"amzn1.ask.account.VICTIM-{uuid.uuid4().hex}"
    alexa = Alexa(client, user_id=user)
    alexa.launch()
    alexa.say("StartExerciseIntent", exercise={"value": "pencil pickups", "id": "pencil_pickups"})
    alexa.say("AMAZON.StopIntent")
    envelope = rq.to_model(rq.launch(user_id=user))
    row = store.get_attributes(envelope)
    assert row.get("place", {}).get("exercise_id") == "pencil_pickups", row
    return lambda: store.get_attributes(envelope)


@pytest.fixture(scope="module")
def mid_workout_attributes(client: FlaskClient) -> dict[str, Any]:
    """Real session attributes from the middle of an exercise."""
    alexa = Alexa(client, user_id=f"amzn1.ask.account.SEED-{uuid.uuid4().hex}")
    alexa.launch()
    alexa.say("StartExerciseIntent", exercise={"value": "ankle circles", "id": "ankle_circles"})
    assert alexa.attributes["question"] == "get_in_position"
    alexa.say("ContinueIntent")  # "ready": lying down
    assert alexa.attributes["question"] == "next_part"
    return alexa.attributes


@contextmanager
def errors_logged() -> Iterator[list[logging.LogRecord]]:
    """Collect ERROR records: the skill's catch-all and the webhook's last resort both log one."""
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Collect(logging.ERROR)
    logging.getLogger().addHandler(handler)
    try:
        yield records
    finally:
        logging.getLogger().removeHandler(handler)


# --- what every answer must be -------------------------------------------------------------------

def _no_constant(name: str) -> Any:
    raise AssertionError(f"{name} in a response: not JSON, Alexa cannot read it")


def break_ms(value: str | None) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s)", value or "")
    assert match, f"<break time={value!r}> needs a number and a unit"
    return float(match[1]) * (1 if match[2] == "ms" else 1000)


def assert_valid_speech(speech: Any) -> str:
    """outputSpeech is SSML that parses, fits 8,000 characters, with no break over 10 s."""
    assert isinstance(speech, dict) and speech.get("type") == "SSML", speech
    ssml = speech["ssml"]
    assert isinstance(ssml, str) and len(ssml) <= MAX_SSML_CHARS, len(ssml)
    root = ET.fromstring(ssml)
    assert root.tag == "speak"
    for pause in root.iter("break"):
        assert break_ms(pause.get("time")) <= MAX_BREAK_MS, ssml
    return ssml


def fuzzed(response: Any, payload: Any) -> dict[str, Any] | None:
    """assert_sane inside a property test, counting outcomes for --hypothesis-show-statistics.

    The one request still answered by the catch-all apology is an IntentRequest without an intent
    object (test_conversation uses it to exercise that handler); anything else that reaches it is a bug.
    """
    body = assert_sane(response, request_type_of(payload))
    event(f"HTTP {response.status_code}" + (" apology" if is_apology(body) else ""))
    if is_apology(body):
        request = payload["request"]
        assert request["type"] == "IntentRequest" and not isinstance(request.get("intent"), dict), payload
    return body


def assert_sane(response: Any, request_type: Any = None) -> dict[str, Any] | None:
    """Never 5xx, never a traceback; a refusal is a short JSON error; a 200 is a valid Alexa response.

    Returns the response envelope for a 200, None for a refusal.
    """
    text = response.get_data(as_text=True)
    assert response.status_code < 500, text[:500]
    assert "Traceback" not in text and 'File "' not in text
    assert response.mimetype == "application/json"
    body = json.loads(text, parse_constant=_no_constant)
    if response.status_code != 200:
        assert response.status_code in (400, 413) and set(body) == {"error"}, (response.status_code, body)
        return None
    assert len(text.encode()) <= MAX_RESPONSE_BYTES
    assert body["version"] == "1.0"
    assert isinstance(body.get("sessionAttributes", {}), dict)
    reply = body["response"]
    assert isinstance(reply, dict)
    speech, reprompt = reply.get("outputSpeech"), reply.get("reprompt")
    if speech is not None:
        assert_valid_speech(speech)
    if reprompt is not None:
        assert_valid_speech(reprompt.get("outputSpeech"))
    assert reply.get("shouldEndSession") in (None, True, False)
    if reply.get("shouldEndSession") is False:
        assert speech is not None and reprompt is not None, "an open session needs a question and a reprompt"
    if isinstance(request_type, str) and request_type.startswith(NO_SPEECH):
        assert speech is None and reprompt is None, f"{request_type} cannot be answered with speech"
    return body


def spoken(body: dict[str, Any] | None) -> str:
    """The words of a response, markup stripped."""
    assert body is not None
    ssml = (body["response"].get("outputSpeech") or {}).get("ssml", "<speak/>")
    return " ".join("".join(ET.fromstring(ssml).itertext()).split())


def is_apology(body: dict[str, Any] | None) -> bool:
    """The skill's catch-all or the webhook's last resort answered (something broke)."""
    return body is not None and "something went wrong" in spoken(body)


def post_raw(client: FlaskClient, data: bytes, content_type: str | None = "application/json",
             **kw: Any) -> Any:
    return client.post("/", data=data, content_type=content_type, **kw)


def request_type_of(payload: Any) -> Any:
    request = payload.get("request") if isinstance(payload, dict) else None
    return request.get("type") if isinstance(request, dict) else None


# --- bodies that are not Alexa JSON ----------------------------------------------------------------

def launch_bytes() -> bytes:
    return json.dumps(rq.launch()).encode()


BAD_BODIES: dict[str, Callable[[], bytes]] = {
    "not-json": lambda: b"hello there",
    "empty": lambda: b"",
    "whitespace": lambda: b" \n\t ",
    "truncated": lambda: launch_bytes()[: len(launch_bytes()) // 2],
    "not-utf8": lambda: launch_bytes().replace(b"en-US", b"en-\xff\xfe"),
    "utf16": lambda: json.dumps(rq.launch()).encode("utf-16"),
    "utf8-bom": lambda: b"\xef\xbb\xbf" + launch_bytes(),
    "json-array": lambda: b"[" + launch_bytes() + b"]",
    "json-string": lambda: b'"LaunchRequest"',
    "json-number": lambda: b"1.0",
    "json-null": lambda: b"null",
    "two-objects": lambda: launch_bytes() + launch_bytes(),
    "nested-arrays": lambda: b"[" * 50_000 + b"]" * 50_000,          # deep, yet under the size cap
    "nested-objects": lambda: b'{"a":' * 20_000 + b"1" + b"}" * 20_000,
    "nested-in-envelope": lambda: launch_bytes().replace(b'"attributes": {}', b'"attributes": {"a": '
                                                         + b"[" * 30_000 + b"]" * 30_000 + b"}"),
    "nan-literal": lambda: launch_bytes().replace(b'"new": true', b'"new": NaN'),
    "infinity-literal": lambda: launch_bytes().replace(b'"new": true', b'"new": -Infinity'),
    "float-overflow": lambda: json.dumps(rq.intent("AMAZON.HelpIntent", session_attributes={
        "schema": 2, "question": "none", "mode": "routine", "turn_at": "HUGE"})).replace('"HUGE"', "1e999").encode(),
    "int-overflow": lambda: json.dumps(rq.intent("AMAZON.HelpIntent", session_attributes={
        "schema": 2, "question": "none", "mode": "routine", "turn_at": 10 ** 400})).encode(),
    "lone-surrogate-user": lambda: json.dumps(rq.launch(user_id="amzn1.ask.account.\ud800")).encode(),
    "lone-surrogate-slot": lambda: json.dumps(rq.intent("StartExerciseIntent", {"exercise": "toe\udc00"})).encode(),
    "no-request": lambda: json.dumps({k: v for k, v in rq.launch().items() if k != "request"}).encode(),
    "request-null": lambda: json.dumps({**rq.launch(), "request": None}).encode(),
    "request-string": lambda: json.dumps({**rq.launch(), "request": "LaunchRequest"}).encode(),
    "request-type-missing": lambda: json.dumps(rq.envelope({"locale": "en-US"})).encode(),
    "request-type-number": lambda: json.dumps(rq.envelope({"type": 7})).encode(),
    "unknown-request-type": lambda: json.dumps(rq.envelope({"type": "NoSuchRequest"})).encode(),
    "bad-timestamp": lambda: json.dumps(rq.envelope({"type": "LaunchRequest", "timestamp": "yesterday"})).encode(),
    "number-timestamp": lambda: json.dumps(rq.envelope({"type": "LaunchRequest", "timestamp": 5})).encode(),
    "attributes-list": lambda: json.dumps(
        {**rq.launch(), "session": {**rq.launch()["session"], "attributes": [1]}}).encode(),
    "slots-list": lambda: json.dumps(
        rq.envelope({"type": "IntentRequest", "intent": {"name": "X", "slots": [1]}})).encode(),
    "intent-string": lambda: json.dumps(rq.envelope({"type": "IntentRequest", "intent": "AMAZON.YesIntent"})).encode(),
    "another-skill": lambda: json.dumps(rq.launch(skill_id=rq.OTHER_SKILL_ID)).encode(),
    "no-context": lambda: json.dumps({k: v for k, v in rq.launch().items() if k != "context"}).encode(),
}


@pytest.mark.parametrize("make", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_bodies_that_are_not_alexa_requests_get_400(client: FlaskClient, make: Callable[[], bytes]) -> None:
    response = post_raw(client, make())
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert assert_sane(response) is None


def test_huge_bodies_get_413_declared_or_not(client: FlaskClient) -> None:
    big = json.dumps(rq.launch(session_attributes={"pad": "x" * BODY_CAP})).encode()
    assert post_raw(client, big).status_code == 413
    chunked = client.post("/", input_stream=io.BytesIO(big), content_type="application/json",
                          headers={"Transfer-Encoding": "chunked"}, environ_overrides={"wsgi.input_terminated": True})
    assert chunked.status_code == 413 and assert_sane(chunked) is None
    # Just under the cap is an ordinary request.
    padded = json.dumps(rq.launch(session_attributes={"pad": "x" * (BODY_CAP - 2_000)})).encode()
    assert len(padded) <= BODY_CAP and assert_sane(post_raw(client, padded)) is not None


def test_a_body_shorter_than_its_content_length_gets_400(client: FlaskClient) -> None:
    response = post_raw(client, launch_bytes(), environ_overrides={"CONTENT_LENGTH": str(len(launch_bytes()) + 50)})
    assert response.status_code == 400 and assert_sane(response) is None


@pytest.mark.parametrize("content_type", [
    None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
    "application/json; charset=latin-1", "application/xml", "",
])
def test_the_content_type_does_not_matter_the_body_does(client: FlaskClient, content_type: str | None) -> None:
    """Alexa sends application/json; what is checked (and signed) is the body, so any label gets the skill.

    Form content types must not make Flask parse the body away before the webhook reads it.
    """
    body = assert_sane(post_raw(client, launch_bytes(), content_type=content_type))
    assert body is not None and WELCOME.search(spoken(body))
    assert post_raw(client, b"a=1&b=2", content_type=content_type).status_code == 400


# --- Alexa requests with odd, missing or wrong-typed parts -------------------------------------------

def edited(payload: dict[str, Any], path: str, value: Any = ..., *, delete: bool = False) -> dict[str, Any]:
    """A copy of payload with the value at a dotted path replaced (or deleted)."""
    out = copy.deepcopy(payload)
    *parents, last = path.split(".")
    node = out
    for key in parents:
        node = node[key]
    if delete:
        del node[last]
    else:
        node[last] = value
    return out


ODD_ENVELOPES: dict[str, Callable[[], dict[str, Any]]] = {
    "no-version": lambda: edited(rq.launch(), "version", delete=True),
    "version-number": lambda: edited(rq.launch(), "version", 2),
    "no-session": lambda: edited(rq.intent("AMAZON.HelpIntent"), "session", delete=True),
    "session-new-string": lambda: edited(rq.launch(), "session.new", "yes"),
    "attributes-null": lambda: edited(rq.intent("AMAZON.YesIntent"), "session.attributes", None),
    "no-user-id": lambda: edited(rq.launch(), "context.System.user", {}),
    "empty-user-id": lambda: rq.launch(user_id=""),
    "user-id-number": lambda: edited(rq.launch(), "context.System.user.userId", 12345),
    "person-id-empty": lambda: rq.launch(person_id=""),
    "no-device": lambda: edited(rq.launch(), "context.System.device", delete=True),
    "device-id-number": lambda: edited(rq.launch(), "context.System.device.deviceId", 5),
    "api-endpoint-number": lambda: edited(rq.launch(), "context.System.apiEndpoint", 5),
    "no-api-token": lambda: edited(rq.launch(), "context.System.apiAccessToken", delete=True),
    "no-timestamp": lambda: edited(rq.launch(), "request.timestamp", delete=True),
    "timestamp-year-1": lambda: edited(rq.launch(), "request.timestamp", "0001-01-01T00:00:00Z"),
    "timestamp-year-9999": lambda: edited(rq.launch(), "request.timestamp", "9999-12-31T23:59:59Z"),
    "no-request-id": lambda: edited(rq.launch(), "request.requestId", delete=True),
    "intent-request-without-intent": lambda: rq.envelope({"type": "IntentRequest"}),
    "intent-name-null": lambda: rq.intent(None),  # type: ignore[arg-type]
    "intent-name-number": lambda: rq.intent(5),  # type: ignore[arg-type]
    "intent-name-huge": lambda: rq.intent("X" * 50_000),
    "slots-null": lambda: edited(rq.intent("StartExerciseIntent"), "request.intent.slots", None),
    "slot-null": lambda: edited(rq.intent("StartExerciseIntent"), "request.intent.slots", {"exercise": None}),
    "slot-value-number": lambda: edited(rq.intent("StartExerciseIntent"), "request.intent.slots",
                                        {"exercise": {"name": "exercise", "value": 5}}),
    "slot-resolutions-empty": lambda: edited(rq.intent("StartExerciseIntent", {"exercise": {"value": "x", "id": "y"}}),
                                             "request.intent.slots.exercise.resolutions", {}),
    "confirmation-odd": lambda: rq.intent("AMAZON.YesIntent", confirmation="MAYBE"),
    "dialog-state-odd": lambda: edited(rq.intent("AMAZON.YesIntent"), "request.dialogState", "SIDEWAYS"),
    "session-ended-error": lambda: rq.envelope({"type": "SessionEndedRequest", "reason": "ERROR",
                                                "error": {"type": "INVALID_RESPONSE", "message": "x" * 1000}}),
    "session-ended-odd-reason": lambda: rq.session_ended(reason="BORED"),
}


@pytest.mark.parametrize("make", ODD_ENVELOPES.values(), ids=ODD_ENVELOPES.keys())
def test_odd_envelopes_get_400_or_a_valid_answer(client: FlaskClient, make: Callable[[], dict[str, Any]]) -> None:
    payload = make()
    assert_sane(client.post("/", json=payload), request_type_of(payload))


@pytest.mark.parametrize("request_type", UNSERVED_TYPES)
def test_request_types_we_do_not_serve_get_an_empty_valid_answer(client: FlaskClient, request_type: str) -> None:
    with errors_logged() as errors:
        body = assert_sane(client.post("/", json=rq.envelope({"type": request_type})), request_type)
        sessionless = rq.envelope({"type": request_type})
        del sessionless["session"]   # most of these arrive outside any session
        assert_sane(client.post("/", json=sessionless), request_type)
    assert body is not None and "outputSpeech" not in body["response"]
    assert errors == []


@pytest.mark.parametrize("name", ["NoSuchIntent", "AMAZON.ShuffleOnIntent", "", "<speak>", "AMAZON.FallbackIntent",
                                  "AMAZON.SearchAction<object@WeatherForecast>"])
def test_unknown_intents_get_guidance_and_a_question(client: FlaskClient, name: str) -> None:
    body = assert_sane(client.post("/", json=rq.intent(name)))
    assert body is not None and body["response"]["shouldEndSession"] is False
    assert re.search(r"didn't get that|not sure what you meant", spoken(body)), spoken(body)


@pytest.mark.parametrize("intent", ["StartExerciseIntent", "InstructionsIntent"])
@pytest.mark.parametrize("slot", [
    {"value": "jumping jacks", "id": None},                # tried, no match
    {"value": "toe stuff", "id": "no_such_exercise"},       # a match to an id we do not have
    "hopscotch",                                            # no resolutions at all
    "<break time='100s'/> & <audio src='https://x'/>",     # markup must come out as words
    "a" * 3000,                                             # a very long utterance
    "\u202e\u0000\u0007 emoji 🦶 and \ufffe",                 # control and odd characters
])
def test_unresolved_exercise_slots_get_the_list_of_exercises(client: FlaskClient, intent: str, slot: Any) -> None:
    with errors_logged() as errors:
        body = assert_sane(client.post("/", json=rq.intent(intent, {"exercise": slot})))
    assert body is not None and body["response"]["shouldEndSession"] is False
    assert "ankle circles" in spoken(body)
    root = ET.fromstring(body["response"]["outputSpeech"]["ssml"])
    assert {element.tag for element in root.iter()} <= {"speak", "prosody", "break"}   # what was heard stays words
    assert errors == []


@pytest.mark.parametrize("intent", ["StartExerciseIntent", "InstructionsIntent"])
def test_a_missing_or_empty_slot_is_asked_about(client: FlaskClient, intent: str) -> None:
    for payload in (rq.intent(intent), rq.intent(intent, {"exercise": ""})):
        body = assert_sane(client.post("/", json=payload))
        assert body is not None and body["response"]["shouldEndSession"] is False and "?" in spoken(body)


@pytest.mark.parametrize("locale", ["de-DE", "ja-JP", "en-GB", "xx-YY", "", "EN-us", 5, None])
def test_unsupported_locales_still_get_an_english_answer(client: FlaskClient, locale: Any) -> None:
    payload = rq.launch()
    payload["request"]["locale"] = locale
    body = assert_sane(client.post("/", json=payload))
    assert body is None or WELCOME.search(spoken(body))


OUT_OF_RANGE_ATTRIBUTES = {
    "pace-huge": {"pace": 10 ** 12}, "pace-negative": {"pace": -5}, "pace-float-max": {"pace": 1.7e308},
    "pace-text": {"pace": "fast"},
    "set-huge": {"position": {"exercise_id": "toe_walk", "set": 10 ** 18, "side": 0, "rep": 1}},
    "rep-negative": {"position": {"exercise_id": "ankle_circles", "set": 1, "side": 0, "rep": -1}},
    "side-float": {"position": {"exercise_id": "ankle_circles", "set": 1, "side": 0.5, "rep": 1}},
    "turn-at-huge": {"turn_at": 1.7e308, "turn_seconds": 1.7e308},
    "turn-at-negative": {"turn_at": -1.7e308, "turn_seconds": -1},
    "turn-at-big-int": {"turn_at": 10 ** 300},
}


@pytest.mark.parametrize("intent", ["AMAZON.YesIntent", "AMAZON.PauseIntent", "AMAZON.HelpIntent",
                                    "AMAZON.RepeatIntent", "SlowerIntent"])
@pytest.mark.parametrize("change", OUT_OF_RANGE_ATTRIBUTES.values(), ids=OUT_OF_RANGE_ATTRIBUTES.keys())
def test_numbers_out_of_range_in_session_attributes_are_ignored(
        client: FlaskClient, mid_workout_attributes: dict[str, Any], intent: str, change: dict[str, Any]) -> None:
    payload = rq.intent(intent, session_attributes={**mid_workout_attributes, **change},
                        user_id=f"amzn1.ask.account.RANGE-{uuid.uuid4().hex}")
    with errors_logged() as errors:
        body = assert_sane(client.post("/", json=payload))
    assert body is not None and not is_apology(body), spoken(body)
    assert errors == []


# --- regressions: bugs the fuzzing below found (all fixed) ------------------------------------------------

@pytest.mark.parametrize("text", ["inf", "-Infinity", "nan", "1e999"])
def test_non_finite_turn_times_in_session_attributes_are_ignored(
        client: FlaskClient, mid_workout_attributes: dict[str, Any], text: str) -> None:
    payload = rq.intent("AMAZON.HelpIntent", session_attributes={**mid_workout_attributes, "turn_at": text},
                        user_id=f"amzn1.ask.account.NONFINITE-{uuid.uuid4().hex}")
    with errors_logged() as errors:
        body = assert_sane(client.post("/", json=payload))
    assert not is_apology(body) and errors == []


@pytest.mark.parametrize("marks", [[{"at": 1}], [["inf", 0, 1, 0, 1]], [["1e999", "0", 1, 0, 1]]])
def test_malformed_turn_marks_are_ignored(client: FlaskClient, mid_workout_attributes: dict[str, Any],
                                          marks: list[Any]) -> None:
    assert mid_workout_attributes.get("turn_start"), "marks are read only with a turn start"
    payload = rq.intent("AMAZON.HelpIntent", session_attributes={**mid_workout_attributes, "turn_marks": marks},
                        user_id=f"amzn1.ask.account.MARKS-{uuid.uuid4().hex}")
    with errors_logged() as errors:
        body = assert_sane(client.post("/", json=payload))
    assert not is_apology(body) and errors == []


@pytest.mark.parametrize("values", [[{}], [{"value": None}]])
def test_a_resolution_without_a_value_is_treated_as_unresolved(client: FlaskClient, values: list[Any]) -> None:
    payload = rq.intent("StartExerciseIntent", {"exercise": {"value": "toe walking", "id": "toe_walk"}})
    payload["request"]["intent"]["slots"]["exercise"]["resolutions"]["resolutionsPerAuthority"][0]["values"] = values
    with errors_logged() as errors:
        body = assert_sane(client.post("/", json=payload))
    assert not is_apology(body) and errors == []


@pytest.mark.parametrize(("field", "value"), [("apiEndpoint", "missing"), ("apiEndpoint", None),
                                              ("apiAccessToken", "missing"), ("apiAccessToken", None)])
def test_a_new_session_without_api_access_is_welcomed(client: FlaskClient, field: str, value: Any) -> None:
    payload = rq.launch(user_id=f"amzn1.ask.account.NOAPI-{uuid.uuid4().hex}")
    if value == "missing":
        del payload["context"]["System"][field]
    else:
        payload["context"]["System"][field] = value
    with errors_logged() as errors:
        body = assert_sane(client.post("/", json=payload))
    assert WELCOME.search(spoken(body)) and errors == []


@pytest.mark.parametrize("session", ["missing", None])
def test_a_launch_without_a_session_is_refused_or_welcomed(client: FlaskClient, session: Any) -> None:
    payload = rq.launch()
    if session == "missing":
        del payload["session"]
    else:
        payload["session"] = session
    with errors_logged() as errors:
        response = client.post("/", json=payload)
        body = assert_sane(response)
    assert response.status_code == 400 or (WELCOME.search(spoken(body)) and errors == [])


SESSIONLESS_CRASH = ("AMAZON.YesIntent", "AMAZON.NoIntent", "AMAZON.RepeatIntent")


@pytest.mark.parametrize("intent", SESSIONLESS_CRASH)
def test_sessionless_yes_no_and_repeat_are_answered(client: FlaskClient, intent: str) -> None:
    payload = rq.intent(intent)
    del payload["session"]
    with errors_logged() as errors:
        body = assert_sane(client.post("/", json=payload))
    assert not is_apology(body) and errors == []


# --- verification on: malformed headers ------------------------------------------------------------

@pytest.fixture(scope="module")
def signing() -> tuple[CertificateAuthority, Leaf]:
    ca = CertificateAuthority(now=datetime.now(timezone.utc))
    return ca, ca.issue()


@pytest.fixture(scope="module")
def signed_client(tmp_path_factory: pytest.TempPathFactory,
                  signing: tuple[CertificateAuthority, Leaf]) -> Iterator[FlaskClient]:
    """The real app with verification on, trusting the test CA; chains come from a local stand-in."""
    ca, leaf = signing
    chains = ChainServer()
    chains.publish(CHAIN_URL, leaf.chain_pem())
    folder = tmp_path_factory.mktemp("bad-input-signed")
    app = create_app({"DATABASE_URL": f"sqlite:///{folder / 'signed.sqlite'}", "SKILL_ID": rq.SKILL_ID,
                      "SIGNATURE_VERIFIER": SignatureVerifier(trusted_roots=[ca.root], fetch=chains)})
    yield app.test_client()
    app.extensions["foot_coach_store"].close()


def signed_headers(leaf: Leaf, body: bytes) -> dict[str, str]:
    return {"SignatureCertChainUrl": CHAIN_URL, "Signature-256": leaf.sign(body)}


MALFORMED_HEADERS: dict[str, dict[str, str]] = {
    "signature-whitespace": {"Signature-256": "   "},
    "signature-latin1": {"Signature-256": "caf\xe9=="},
    "signature-huge": {"Signature-256": "QUFB" * 4096},
    "signature-padding-only": {"Signature-256": "===="},
    "url-port-not-a-number": {"SignatureCertChainUrl": "https://s3.amazonaws.com:abc/echo.api/x.pem"},
    "url-port-out-of-range": {"SignatureCertChainUrl": "https://s3.amazonaws.com:99999/echo.api/x.pem"},
    "url-bad-ipv6": {"SignatureCertChainUrl": "https://[::1/echo.api/x.pem"},
    "url-user-info": {"SignatureCertChainUrl": "https://evil@s3.amazonaws.com.evil.com/echo.api/x.pem"},
    "url-percent-nul": {"SignatureCertChainUrl": "https://s3.amazonaws.com/echo.api/%00.pem"},
    "url-relative": {"SignatureCertChainUrl": "/echo.api/echo-api-cert-test.pem"},
    "url-latin1": {"SignatureCertChainUrl": "https://s3.amazonaws.com/echo.api/\xe9.pem"},
    "url-file-scheme": {"SignatureCertChainUrl": "file:///etc/passwd"},
}


@pytest.mark.parametrize("changes", MALFORMED_HEADERS.values(), ids=MALFORMED_HEADERS.keys())
def test_malformed_verification_headers_get_400(signed_client: FlaskClient, signing: tuple[CertificateAuthority, Leaf],
                                                changes: dict[str, str]) -> None:
    body = launch_bytes()
    response = post_raw(signed_client, body, headers={**signed_headers(signing[1], body), **changes})
    assert response.status_code == 400 and assert_sane(response) is None


def test_signed_odd_requests_are_checked_like_unsigned_ones(signed_client: FlaskClient,
                                                           signing: tuple[CertificateAuthority, Leaf],
                                                           mid_workout_attributes: dict[str, Any]) -> None:
    leaf = signing[1]
    cases = [
        (json.dumps(rq.envelope({"type": "Alexa.Presentation.APL.UserEvent"})).encode(), 200),
        (json.dumps(rq.intent("NoSuchIntent")).encode(), 200),
        (json.dumps(rq.intent("AMAZON.YesIntent", session_attributes={**mid_workout_attributes, "pace": "x",
                                                                      "position": [1, 2]})).encode(), 200),
        (launch_bytes().replace(b'"new": true', b'"new": NaN'), 400),
        (BAD_BODIES["lone-surrogate-user"](), 400),
        (b"", 400),
    ]
    for body, status in cases:
        response = post_raw(signed_client, body, content_type="text/plain", headers=signed_headers(leaf, body))
        assert response.status_code == status
        assert_sane(response, request_type_of(json.loads(body)) if status == 200 else None)


header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, blacklist_characters="\x7f"), max_size=300)


amazon_like_urls = st.sampled_from(["https://s3.amazonaws.com/echo.api/", "HTTPS://S3.AMAZONAWS.COM:443/echo.api/"]) \
    .flatmap(lambda prefix: header_text.map(lambda tail: prefix + tail))


@FUZZ
@given(signature=st.one_of(header_text, st.binary(max_size=256).map(lambda b: base64.b64encode(b).decode())),
       url=st.one_of(header_text, amazon_like_urls))
def test_random_verification_headers_always_get_400(signed_client: FlaskClient, signature: str, url: str) -> None:
    headers = {"Signature-256": signature, "SignatureCertChainUrl": url}
    response = post_raw(signed_client, launch_bytes(), headers=headers)
    assert response.status_code == 400 and assert_sane(response) is None


# --- property tests: generated envelopes ------------------------------------------------------------

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                    st.text(max_size=20))
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)), max_leaves=12)
small_ints = st.one_of(st.integers(-2, 12), st.integers())
exercise_ids = st.sampled_from([e.id for e in CATALOG.exercises])
positions = st.one_of(
    st.fixed_dictionaries({"exercise_id": st.one_of(exercise_ids, st.text(max_size=12)),
                           "set": small_ints, "side": small_ints, "rep": small_ints}),
    json_values)
PLAUSIBLE: dict[str, st.SearchStrategy[Any]] = {
    "schema": st.one_of(st.just(1), json_values),
    "question": st.one_of(st.sampled_from([q.value for q in Question]), json_values),
    "mode": st.one_of(st.sampled_from([m.value for m in Mode]), json_values),
    "position": positions,
    "turn_start": positions,
    "pace": st.one_of(st.integers(0, 300), json_values),
    "last_ssml": st.one_of(st.sampled_from([
        "<speak>one <break time=\"2s\"/> two</speak>", "<speak><audio src='x'/></speak>",
        "<speak>" + "<break time=\"10s\"/>" * 900 + "</speak>", "not ssml"]), json_values),
    "turn_at": st.one_of(st.floats(0, 2e9), json_values),
    "turn_seconds": st.one_of(st.floats(0, 1000), json_values),
    "turn_marks": st.one_of(st.lists(st.one_of(
        st.tuples(st.floats(0, 100), st.floats(0, 100), small_ints, small_ints, small_ints).map(list),
        st.lists(scalars, max_size=6)), max_size=5), json_values),
    "timezone": st.one_of(st.sampled_from(["Europe/London", "America/Los_Angeles", "Etc/GMT+12", "../../etc/passwd"]),
                          json_values),
}
ATTRIBUTE_KEYS = list(SessionState().to_dict())   # follows state.py as it grows
session_attributes = st.one_of(
    st.fixed_dictionaries({}, optional={key: PLAUSIBLE.get(key, json_values) for key in ATTRIBUTE_KEYS}),
    st.fixed_dictionaries({"schema": st.just(2), "question": st.sampled_from([q.value for q in Question]),
                           "mode": st.sampled_from([m.value for m in Mode]), "position": positions},
                          optional={key: PLAUSIBLE.get(key, json_values) for key in ATTRIBUTE_KEYS
                                    if key not in ("schema", "question", "mode", "position")}),
    st.dictionaries(st.text(max_size=12), json_values, max_size=6),
)


slot_specs = st.one_of(
    st.sampled_from([alias for e in CATALOG.exercises for alias in (e.name, *e.aliases)]),
    st.text(max_size=40),
    st.fixed_dictionaries({"value": st.text(max_size=30),
                           "id": st.one_of(st.none(), exercise_ids, st.text(max_size=12))}),
)
FUZZ_USERS = [f"amzn1.ask.account.FUZZ-{n}" for n in range(3)]


@st.composite
def envelopes(draw: st.DrawFn) -> dict[str, Any]:
    """A request envelope from Alexa's vocabulary, with random parts where Alexa has choices."""
    kind = draw(st.sampled_from(["launch", "intent", "intent", "intent", "ended", "unserved", "random-type"]))
    common = {
        "session_attributes": draw(st.one_of(st.just({}), session_attributes)),
        "new": draw(st.booleans()),
        "user_id": draw(st.sampled_from(FUZZ_USERS)),
        "person_id": draw(st.one_of(st.none(), st.sampled_from(["amzn1.ask.person.FUZZ", ""]))),
        "locale": draw(st.one_of(st.sampled_from(["en-US", "en-GB", "de-DE", "ja-JP", ""]), st.text(max_size=8))),
        "at": datetime.fromtimestamp(draw(st.integers(0, 4_000_000_000)), timezone.utc),
    }
    if kind == "launch":
        return rq.launch(**common)
    if kind == "intent":
        name = draw(st.one_of(st.sampled_from(MODEL_INTENTS), st.text(max_size=30)))
        slots = draw(st.one_of(st.none(),
                               st.dictionaries(st.sampled_from(["exercise", "other"]), slot_specs, max_size=2)))
        return rq.intent(name, slots, confirmation=draw(st.sampled_from(["NONE", "CONFIRMED", "DENIED"])), **common)
    if kind == "ended":
        reason = draw(st.sampled_from(["USER_INITIATED", "ERROR", "EXCEEDED_MAX_REPROMPTS"]))
        return rq.session_ended(reason=reason, **common)
    request_type = draw(st.sampled_from(UNSERVED_TYPES) if kind == "unserved" else st.text(max_size=40))
    extra = draw(st.dictionaries(st.text(max_size=10), json_values, max_size=3))
    return rq.envelope({"type": request_type, **extra}, **common)


@FUZZ
@given(value=json_values)
def test_any_json_value_gets_400_or_a_valid_answer(client: FlaskClient, value: Any) -> None:
    fuzzed(client.post("/", json=value), value)


@FUZZ
@given(payload=envelopes())
def test_generated_envelopes_get_400_or_a_valid_answer(client: FlaskClient, payload: dict[str, Any]) -> None:
    fuzzed(client.post("/", json=payload), payload)


# --- property tests: mutations of real envelopes ------------------------------------------------------

def real_bodies() -> list[dict[str, Any]]:
    """Requests Amazon really sent (shared fixtures), re-addressed to this skill and to a loopback API."""
    bodies = []
    for path in sorted(REAL_ALEXA.glob("*/body*.json")):
        body = json.loads(path.read_text())
        for holder in (body.get("session"), body.get("context", {}).get("System")):
            if isinstance(holder, dict) and isinstance(holder.get("application"), dict):
                holder["application"]["applicationId"] = rq.SKILL_ID
        system = body.get("context", {}).get("System", {})
        if "apiEndpoint" in system:
            system["apiEndpoint"] = rq.API_ENDPOINT
        bodies.append(body)
    return bodies


def seed_envelopes(mid_workout: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        rq.launch(),
        rq.launch(person_id=rq.PERSON_ID),
        rq.intent("StartExerciseIntent", {"exercise": {"value": "ankle circles", "id": "ankle_circles"}}),
        rq.intent("AMAZON.YesIntent", session_attributes=mid_workout),
        rq.intent("AMAZON.PauseIntent", session_attributes=mid_workout),
        rq.intent("SlowerIntent", session_attributes=mid_workout),
        rq.session_ended(session_attributes=mid_workout),
        rq.envelope({"type": "CanFulfillIntentRequest", "intent": {"name": "StartRoutineIntent", "slots": {}}}),
        *real_bodies(),
    ]


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside a JSON document (not the root itself)."""
    found: list[tuple[Any, ...]] = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        found.append(prefix + (key,))
        found.extend(paths(child, prefix + (key,)))
    return found


def retyped(value: Any) -> list[Any]:
    """The same value as other JSON types."""
    text = json.dumps(value)
    return [text, [value], {"value": value}, None, 0, True, 1.5, "" if value else "x",
            list(value.values()) if isinstance(value, dict) else {}, len(text)]


def mutate(data: st.DataObject, document: dict[str, Any]) -> dict[str, Any]:
    """Delete, replace or re-type one to three values anywhere in a copy of the document."""
    out = copy.deepcopy(document)
    for _ in range(data.draw(st.integers(1, 3))):
        candidates = paths(out)
        if not candidates:
            break
        path = data.draw(st.sampled_from(candidates))
        parent = out
        for key in path[:-1]:
            parent = parent[key]
        key, kind = path[-1], data.draw(st.sampled_from(["delete", "replace", "retype"]))
        if kind == "delete":
            del parent[key]
        elif kind == "replace":
            parent[key] = data.draw(json_values)
        else:
            parent[key] = data.draw(st.sampled_from(retyped(parent[key])))
    return out


@FUZZ
@given(data=st.data())
def test_mutated_real_envelopes_get_400_or_a_valid_answer(client: FlaskClient, mid_workout_attributes: dict[str, Any],
                                                         data: st.DataObject) -> None:
    seed = data.draw(st.sampled_from(seed_envelopes(mid_workout_attributes)))
    payload = mutate(data, seed)
    fuzzed(client.post("/", json=payload), payload)


def test_the_real_request_fixtures_are_used_when_present() -> None:
    if not REAL_ALEXA.is_dir():
        pytest.skip(f"real Alexa fixtures not found at {REAL_ALEXA}")
    assert real_bodies(), "no body*.json under the real-alexa fixtures"


# --- tampered session attributes -----------------------------------------------------------------------

TAMPER_INTENTS = ["AMAZON.YesIntent", "AMAZON.NoIntent", "AMAZON.PauseIntent", "AMAZON.ResumeIntent",
                  "AMAZON.RepeatIntent", "AMAZON.NextIntent", "AMAZON.StartOverIntent", "AMAZON.HelpIntent",
                  "AMAZON.StopIntent", "ContinueIntent", "SlowerIntent", "FasterIntent", "WhatsNextIntent",
                  "InstructionsIntent", "HowAmIDoingIntent", "NoSuchIntent"]


@FUZZ
@given(attributes=session_attributes, intent=st.sampled_from(TAMPER_INTENTS + ["LaunchRequest", "SessionEndedRequest"]))
def test_tampered_session_attributes_never_crash_and_never_touch_another_user(
        client: FlaskClient, victim: Callable[[], dict[str, Any]], attributes: dict[str, Any], intent: str) -> None:
    before = victim()
    common = {"session_attributes": attributes, "user_id": "amzn1.ask.account.TAMPERER"}
    payload = (rq.launch(**common) if intent == "LaunchRequest" else
               rq.session_ended(**common) if intent == "SessionEndedRequest" else rq.intent(intent, **common))
    with errors_logged() as errors:
        body = assert_sane(client.post("/", json=payload), request_type_of(payload))
    assert body is not None and not is_apology(body), spoken(body)
    assert errors == [], [r.getMessage() for r in errors]
    assert victim() == before   # same attributes, same row version: not written


def two_users_with_places(client: FlaskClient) -> tuple[str, str, dict[str, Any]]:
    """Anna stopped in pencil pickups, Ben in toe walking; returns their ids and Anna's open session."""
    anna_id, ben_id = (f"amzn1.ask.account.{name}-{uuid.uuid4().hex}" for name in ("ANNA", "BEN"))
    anna, ben = Alexa(client, user_id=anna_id), Alexa(client, user_id=ben_id)
    anna.launch()
    anna.say("StartExerciseIntent", exercise={"value": "pencil pickups", "id": "pencil_pickups"})
    anna.say("AMAZON.StopIntent")
    ben.launch()
    ben.say("StartExerciseIntent", exercise={"value": "toe walking", "id": "toe_walk"})
    ben.say("AMAZON.StopIntent")
    anna.launch()
    return anna_id, ben_id, dict(anna.attributes)


def claims(user_id: str) -> dict[str, Any]:
    """Every way session attributes could try to name a user."""
    return {"userId": user_id, "user_id": user_id, "personId": user_id, "key": user_id, "_version": 99,
            "user": {"userId": user_id}, "context": {"System": {"user": {"userId": user_id}}}}


def row(store: SqlStore, user_id: str, person_id: str | None = None) -> dict[str, Any]:
    return store.get_attributes(rq.to_model(rq.launch(user_id=user_id, person_id=person_id)))


def test_attributes_naming_another_user_never_read_or_write_their_row(client: FlaskClient, store: SqlStore) -> None:
    """Ben replays Anna's session and names her every way: Anna's stored row is never touched."""
    anna_id, ben_id, annas_session = two_users_with_places(client)
    anna_row = row(store, anna_id)
    forged = {**annas_session, **claims(anna_id)}
    for payload in (rq.intent("AMAZON.HelpIntent", user_id=ben_id, session_attributes=forged),
                    rq.intent("AMAZON.PauseIntent", user_id=ben_id, session_attributes=forged),
                    rq.intent("AMAZON.StopIntent", user_id=ben_id, session_attributes=forged),
                    rq.session_ended(user_id=ben_id, session_attributes=forged)):
        body = assert_sane(client.post("/", json=payload), request_type_of(payload))
        assert body is not None and not is_apology(body)
        assert row(store, anna_id) == anna_row
    # Even "yes, delete everything" with a forged confirmation deletes only the caller's own row.
    confirm = rq.intent("AMAZON.YesIntent", user_id=ben_id, session_attributes={**forged, "question": "confirm_forget"})
    assert not is_apology(assert_sane(client.post("/", json=confirm)))
    assert row(store, ben_id).get("place") is None
    assert row(store, anna_id) == anna_row
    assert "pencil pickups" in Alexa(client, user_id=anna_id).launch().text


def test_a_new_session_names_the_callers_own_place_whatever_its_attributes_claim(
        client: FlaskClient, store: SqlStore) -> None:
    anna_id, ben_id, annas_session = two_users_with_places(client)
    ben_row = row(store, ben_id)
    welcome = assert_sane(client.post("/", json=rq.launch(user_id=ben_id,
                                                          session_attributes={**annas_session, **claims(anna_id)})))
    assert "toe walking" in spoken(welcome) and "pencil" not in spoken(welcome), spoken(welcome)
    assert row(store, ben_id).get("place") == ben_row.get("place")


def test_a_voice_profile_cannot_reach_another_profiles_row(client: FlaskClient, store: SqlStore) -> None:
    """Two people on one account: the request's personId picks the row, never the session attributes."""
    account = f"amzn1.ask.account.HOUSE-{uuid.uuid4().hex}"
    mum, kid = "amzn1.ask.person.MUM", f"amzn1.ask.person.KID-{uuid.uuid4().hex}"
    first = Alexa(client, user_id=account, person_id=mum)
    first.launch()
    first.say("StartExerciseIntent", exercise={"value": "ankle circles", "id": "ankle_circles"})
    first.say("AMAZON.StopIntent")
    mum_row = row(store, account, mum)
    forged = {**mum_row, **claims(mum), "schema": 2, "question": "confirm_forget", "mode": "routine"}
    for intent in ("AMAZON.HelpIntent", "HowAmIDoingIntent", "AMAZON.YesIntent"):
        payload = rq.intent(intent, user_id=account, person_id=kid, session_attributes=forged)
        assert not is_apology(assert_sane(client.post("/", json=payload)))
        assert row(store, account, mum) == mum_row
    assert row(store, account, kid) == {}   # the forged "yes" deleted the kid's own (empty) row
    assert "ankle circles" in Alexa(client, user_id=account, person_id=mum).launch().text
