"""One structured line per POST /: what was asked, how it ended, how long it took, and who, hashed."""

from __future__ import annotations

import io
import json
import logging
import re
import uuid
from typing import Any

import alexa_requests as rq
import pytest
from ask_sdk_core.dispatch_components import (
    AbstractExceptionHandler,
    AbstractRequestHandler,
)
from ask_sdk_core.exceptions import PersistenceException
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.skill_builder import SkillBuilder
from ask_sdk_core.utils import is_intent_name, is_request_type
from ask_sdk_model import Response
from conftest import Alexa
from flask import Flask
from flask.testing import FlaskClient

from skill.alexa.outcome import note_skill_error
from skill.webservice.request_log import (
    LOGGER_NAME,
    MAX_FIELD_CHARS,
    USER_HASH_HEX_CHARS,
    Outcome,
    RequestLog,
    describe,
    ensure_output,
)
from skill.webservice.webhook import make_webhook

FIELDS = {"request_type", "intent", "outcome", "status", "latency_ms", "user"}
HASH = re.compile(rf"[0-9a-f]{{{USER_HASH_HEX_CHARS}}}")


def request_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """Every request line captured so far, parsed (each must be one line of valid JSON)."""
    lines = []
    for record in caplog.records:
        if record.name == LOGGER_NAME:
            message = record.getMessage()
            assert record.levelno == logging.INFO and "\n" not in message
            line = json.loads(message)
            assert set(line) == FIELDS, line
            lines.append(line)
    return lines


def everything_logged(caplog: pytest.LogCaptureFixture) -> str:
    """All captured records as a handler would print them, tracebacks included."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(formatter.format(record) for record in caplog.records)


def test_a_whole_conversation_logs_one_line_per_request_and_never_a_raw_user_id(
        client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    user = f"amzn1.ask.account.SECRET-{uuid.uuid4().hex}"
    person = f"amzn1.ask.person.SECRET-{uuid.uuid4().hex}"
    alexa = Alexa(client, user_id=user)
    with caplog.at_level(logging.DEBUG):   # every logger, every level: warnings and tracebacks too
        alexa.launch()
        alexa.say("StartExerciseIntent", exercise="ankle circles")
        alexa.say("AMAZON.YesIntent")
        alexa.say("AMAZON.PauseIntent")
        alexa.say("AMAZON.ResumeIntent")
        alexa.say("NoSuchIntent")
        alexa.say("AMAZON.StopIntent")
        alexa.end_session()
        Alexa(client, user_id=user, person_id=person).launch()
        sent = 9
        # Refusals and failures are logged too, with whatever identity the body carried.
        statuses = [
            client.post("/", data=b"{not json", content_type="application/json").status_code,
            client.post("/", json=rq.launch(user_id=user, skill_id=rq.OTHER_SKILL_ID)).status_code,
            client.post("/", data=b"x" * (200 * 1024), content_type="application/json").status_code,
            client.post("/", json=rq.envelope({"type": "CanFulfillIntentRequest"}, user_id=user)).status_code,
            # No user id: malformed, refused with one warning, still no raw id.
            client.post("/", json=rq.launch(user_id="")).status_code,
            # No session at all: the skill's catch-all answers, logging a traceback.
            client.post("/", json={"version": "1.0", "request": {"type": "LaunchRequest"}, "context": {"System": {
                "application": {"applicationId": rq.SKILL_ID}, "user": {"userId": user}}}}).status_code,
        ]
    assert statuses == [400, 400, 413, 200, 400, 200]
    lines = request_lines(caplog)
    assert len(lines) == sent + len(statuses)
    assert [(line["request_type"], line["intent"], line["outcome"], line["status"]) for line in lines] == [
        ("LaunchRequest", None, "ok", 200),
        ("IntentRequest", "StartExerciseIntent", "ok", 200),
        ("IntentRequest", "AMAZON.YesIntent", "ok", 200),
        ("IntentRequest", "AMAZON.PauseIntent", "ok", 200),
        ("IntentRequest", "AMAZON.ResumeIntent", "ok", 200),
        ("IntentRequest", "NoSuchIntent", "ok", 200),
        ("IntentRequest", "AMAZON.StopIntent", "ok", 200),
        ("SessionEndedRequest", None, "ok", 200),
        ("LaunchRequest", None, "ok", 200),
        (None, None, "bad_request", 400),
        ("LaunchRequest", None, "refused", 400),
        (None, None, "too_large", 413),
        ("CanFulfillIntentRequest", None, "ok", 200),
        ("LaunchRequest", None, "bad_request", 400),
        ("LaunchRequest", None, lines[-1]["outcome"], 200),
    ]
    assert lines[-1]["outcome"] in ("ok", "error")
    account_hashes = {line["user"] for line in lines[:8]}
    assert len(account_hashes) == 1 and HASH.fullmatch(account_hashes.pop() or "")
    assert lines[8]["user"] != lines[0]["user"] and HASH.fullmatch(lines[8]["user"])   # keyed like storage
    assert lines[10]["user"] == lines[12]["user"] == lines[-1]["user"] == lines[0]["user"]
    assert lines[9]["user"] is None and lines[11]["user"] is None and lines[13]["user"] is None
    assert all(isinstance(line["latency_ms"], (int, float)) and line["latency_ms"] >= 0 for line in lines)
    logged = everything_logged(caplog)
    assert any(r.levelno >= logging.WARNING for r in caplog.records)   # the check covered warnings
    for secret in (user, person, user.rsplit(".", 1)[1], person.rsplit(".", 1)[1]):
        assert secret not in logged


def test_outcomes_error_and_note_skill_error(caplog: pytest.LogCaptureFixture) -> None:
    """A bug escaping the skill is "error" (200 apology); so is one its own catch-all handler answered."""

    class Broken(AbstractRequestHandler):
        def can_handle(self, handler_input: HandlerInput) -> bool:
            names = ("BrokenIntent", "HandledIntent", "StorageIntent")
            return any(is_intent_name(name)(handler_input) for name in names)

        def handle(self, handler_input: HandlerInput) -> Response:
            if is_intent_name("StorageIntent")(handler_input):
                raise PersistenceException("storage down, and no handler in this skill for it")
            raise RuntimeError("bug")

    class Ended(AbstractRequestHandler):
        def can_handle(self, handler_input: HandlerInput) -> bool:
            return is_request_type("SessionEndedRequest")(handler_input)

        def handle(self, handler_input: HandlerInput) -> Response:
            return handler_input.response_builder.response

    class CatchHandled(AbstractExceptionHandler):
        def can_handle(self, handler_input: HandlerInput, exception: Exception) -> bool:
            return is_intent_name("HandledIntent")(handler_input)

        def handle(self, handler_input: HandlerInput, exception: Exception) -> Response:
            note_skill_error()
            return handler_input.response_builder.speak("sorry").response

    builder = SkillBuilder()
    builder.add_request_handler(Broken())
    builder.add_request_handler(Ended())
    builder.add_exception_handler(CatchHandled())
    app = Flask(__name__)
    app.register_blueprint(make_webhook(builder.create(), verifiers=[]))
    client = app.test_client()
    with caplog.at_level(logging.INFO, logger=LOGGER_NAME):
        assert client.post("/", json=rq.intent("BrokenIntent")).status_code == 200
        assert client.post("/", json=rq.intent("HandledIntent")).status_code == 200
        assert client.post("/", json=rq.envelope({"type": "SessionEndedRequest"})).status_code == 200
        assert client.post("/", json=rq.launch()).status_code == 400   # no handler serves it
        storage = client.post("/", json=rq.intent("StorageIntent"))
    assert storage.status_code == 200 and "something went wrong" in storage.get_data(as_text=True)
    assert [line["outcome"] for line in request_lines(caplog)] == ["error", "error", "ok", "bad_request", "error"]


def test_caller_chosen_values_stay_on_one_short_line(client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    odd_type = "Launch\nRequest\r\u2028" + "X" * 5000
    odd_intent = 'Intent"}\n{"outcome": "ok"' + "Y" * 5000
    with caplog.at_level(logging.INFO, logger=LOGGER_NAME):
        client.post("/", json=rq.envelope({"type": odd_type}))
        client.post("/", json=rq.intent(odd_intent))
        client.post("/", json={"request": {"type": 5, "intent": {"name": ["x"]}}, "context": "x"})
    first, second, third = request_lines(caplog)
    assert first["request_type"] == odd_type[:MAX_FIELD_CHARS] + "..." and first["outcome"] == "bad_request"
    assert second["intent"] == odd_intent[:MAX_FIELD_CHARS] + "..." and second["outcome"] == "ok"
    assert third["request_type"] is None and third["intent"] is None and third["user"] is None
    assert all(len(r.getMessage()) < 400 for r in caplog.records if r.name == LOGGER_NAME)


def test_describe_follows_the_storage_key_person_first() -> None:
    assert describe(rq.intent("AMAZON.YesIntent", person_id="p")) == ("IntentRequest", "AMAZON.YesIntent", "p")
    assert describe(rq.launch(user_id="u")) == ("LaunchRequest", None, "u")
    assert describe(rq.launch(user_id="u", person_id="")) == ("LaunchRequest", None, "u")
    for odd in (None, 5, "x", [], {"request": []}, {"context": {"System": {"user": {"userId": 7}}}}):
        assert describe(odd) == (None, None, None)


def test_user_hash_is_keyed_stable_and_short() -> None:
    one, same, other = RequestLog(salt=b"a"), RequestLog(salt=b"a"), RequestLog(salt=b"b")
    assert one.hash_user(rq.USER_ID) == same.hash_user(rq.USER_ID) != other.hash_user(rq.USER_ID)
    assert one.hash_user(rq.USER_ID) != one.hash_user(rq.PERSON_ID)
    assert HASH.fullmatch(one.hash_user(rq.USER_ID))
    assert RequestLog().hash_user("x") != RequestLog().hash_user("x")   # a fresh random key per instance
    assert HASH.fullmatch(one.hash_user("\ud800 lone surrogate"))         # any str, never an exception


def test_a_line_is_written_per_call_and_nothing_when_switched_off() -> None:
    """Every call writes one line at INFO and nothing above it (its cost is measured in bench/, not here:
    `./dev bench --ablation` reports Foot Coach without the log line)."""
    logger = logging.getLogger("footcoach.test.request_log_lines")
    logger.propagate, stream = False, io.StringIO()
    logger.addHandler(logging.StreamHandler(stream))
    logger.setLevel(logging.INFO)
    lines, payload = RequestLog(logger=logger), rq.intent("AMAZON.YesIntent", person_id=rq.PERSON_ID)
    try:
        for _ in range(200):
            lines.write(payload, Outcome.OK, 200, 1.5)
        assert stream.getvalue().count("\n") == 200
        logger.setLevel(logging.WARNING)
        for _ in range(200):
            lines.write(payload, Outcome.OK, 200, 1.5)
        assert stream.getvalue().count("\n") == 200
    finally:
        logger.handlers.clear()


def test_lines_reach_stderr_when_logging_is_not_configured() -> None:
    """gunicorn configures no handler for the app's loggers: the lines must not vanish."""
    bare = logging.getLogger(f"footcoach.test.bare.{uuid.uuid4().hex}")
    bare.propagate = False   # stands for a process where no ancestor has a handler either
    try:
        ensure_output(bare)
        assert bare.level == logging.INFO and len(bare.handlers) == 1
        ensure_output(bare)
        assert len(bare.handlers) == 1   # idempotent
        configured = logging.getLogger(f"footcoach.test.configured.{uuid.uuid4().hex}")
        configured.setLevel(logging.WARNING)
        ensure_output(configured)
        assert configured.handlers == [] and configured.level == logging.WARNING   # left alone
    finally:
        bare.handlers.clear()


def test_non_post_requests_are_not_logged(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=LOGGER_NAME):
        assert app.test_client().get("/").status_code == 405
        assert app.test_client().get("/healthz").status_code == 200
    assert request_lines(caplog) == []
    assert Outcome.TOO_LARGE == "too_large"
