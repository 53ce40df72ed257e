"""Daily reminders: the times and rules (pure), and the conversation against a stand-in Alexa API.

The stand-in is a ThreadingHTTPServer on 127.0.0.1 that records every request and answers from a
table; the skill finds it through context.System.apiEndpoint, as it finds Amazon's in production.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import alexa_requests as rq
import pytest
from ask_sdk_core.attributes_manager import AttributesManager
from ask_sdk_core.handler_input import HandlerInput
from conftest import Alexa, Reply
from flask.testing import FlaskClient

from skill.alexa.handlers import reminders
from skill.content.catalog import BASE_LOCALE, load_catalog
from skill.content.prompts import Prompts
from skill.conversation.dialogue import Dialogue
from skill.conversation.reminders import (
    MAX_TIMES,
    MEAL_TIMES,
    OFFER_KEY,
    PERMISSION_SCOPE,
    STORE_KEY,
    TOKEN_PREFIX,
    ClockTime,
    ConsentStatus,
    InvalidTimeError,
    consent_status,
    consent_token,
    decode_times,
    encode_times,
    heard_times,
    is_consent_token,
    meal_times,
    times_from_token,
)
from skill.conversation.table import Action, cancels, outcome
from skill.progress.local_time import local_now
from skill.progress.state import Question, SessionState

CATALOG = load_catalog()
PROMPTS = Prompts.load()
REMINDERS = "/v1/alerts/reminders"
TIME_ZONE_PATH = f"/v2/devices/{rq.DEVICE_ID}/settings/System.timeZone"
NOON_UTC = datetime(2026, 11, 21, 11, 0, tzinfo=timezone.utc)   # 12:00 in Berlin
CONSENT = "test-consent-token"
AUTHORIZATION = "Bearer test-api-access-token"
DEFAULT_RULES = ["FREQ=DAILY;BYHOUR=8;BYMINUTE=0;BYSECOND=0;INTERVAL=1",
                 "FREQ=DAILY;BYHOUR=12;BYMINUTE=30;BYSECOND=0;INTERVAL=1",
                 "FREQ=DAILY;BYHOUR=18;BYMINUTE=30;BYSECOND=0;INTERVAL=1"]
ASK_FOR_PAYLOAD = {"@type": "AskForPermissionsConsentRequest", "@version": "2",
                   "permissionScopes": [{"permissionScope": PERMISSION_SCOPE, "consentLevel": "ACCOUNT"}]}


# -- pure logic --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, spoken, rule", [
    ("08:00", "8 am", "FREQ=DAILY;BYHOUR=8;BYMINUTE=0;BYSECOND=0;INTERVAL=1"),
    ("12:30", "12:30 pm", "FREQ=DAILY;BYHOUR=12;BYMINUTE=30;BYSECOND=0;INTERVAL=1"),
    ("18:30", "6:30 pm", "FREQ=DAILY;BYHOUR=18;BYMINUTE=30;BYSECOND=0;INTERVAL=1"),
    ("07:05", "7:05 am", "FREQ=DAILY;BYHOUR=7;BYMINUTE=5;BYSECOND=0;INTERVAL=1"),
    ("12:00", "noon", "FREQ=DAILY;BYHOUR=12;BYMINUTE=0;BYSECOND=0;INTERVAL=1"),
    ("00:00", "midnight", "FREQ=DAILY;BYHOUR=0;BYMINUTE=0;BYSECOND=0;INTERVAL=1"),
    ("23:59", "11:59 pm", "FREQ=DAILY;BYHOUR=23;BYMINUTE=59;BYSECOND=0;INTERVAL=1"),
])
def test_clock_times_are_read_said_and_turned_into_daily_rules(value: str, spoken: str, rule: str) -> None:
    """AMAZON.TIME's "HH:MM" becomes what people say and an RFC 5545 daily rule."""
    time = ClockTime.parse(value)
    assert (time.spoken(PROMPTS.words), time.rule(), time.wire()) == (spoken, rule, value)


@pytest.mark.parametrize("value", ["EV", "MO", "NI", "24:00", "12:60", "7", "", "seven", "07:00 pm", "1:2:3"])
def test_values_that_are_not_clock_times_are_refused(value: str) -> None:
    """Parts of the day and garbage are not guessed at: the user is asked again."""
    with pytest.raises(InvalidTimeError):
        ClockTime.parse(value)


def test_the_default_times_are_the_articles_meals_at_the_skills_own_clock_times() -> None:
    """Breakfast, lunch and dinner (the article's reminders) at 8:00, 12:30 and 18:30 (our defaults)."""
    assert CATALOG.reminder_times == ("breakfast", "lunch", "dinner")
    assert meal_times(CATALOG.reminder_times) == (ClockTime(8), ClockTime(12, 30), ClockTime(18, 30))
    assert len(meal_times(CATALOG.reminder_times)) == CATALOG.times_per_day
    for meal in CATALOG.reminder_times:
        assert meal in MEAL_TIMES, f"add a default clock time for {meal!r} to MEAL_TIMES in skill/reminders.py"
    with pytest.raises(ValueError, match="MEAL_TIMES"):
        meal_times(["elevenses"])


def test_named_times_are_deduplicated_sorted_and_at_most_three() -> None:
    """ "7 pm, 7 am and 7 pm" is two reminders in the day's order; four times are refused."""
    assert heard_times(["19:00", "07:00", "19:00", None]) == (ClockTime(7), ClockTime(19))
    assert heard_times([None, None, " "]) == ()
    with pytest.raises(InvalidTimeError):
        heard_times(["06:00", "07:00", "08:00", "09:00"][: MAX_TIMES + 1])


def test_times_survive_the_session_and_the_consent_token_and_tampering_is_ignored() -> None:
    """What was offered comes back exactly; anything that is not ours decodes to None."""
    times = meal_times(CATALOG.reminder_times)
    assert decode_times(encode_times(times)) == times
    assert times_from_token(consent_token(times)) == times
    assert is_consent_token(consent_token(times)) and consent_token(times).startswith(TOKEN_PREFIX)
    for bad in (None, 5, "", "25:00", "08:00,lunch", "08:00," * 40, ["08:00"], "06:00,07:00,08:00,09:00"):
        assert decode_times(bad) is None
    assert times_from_token("someone-elses-token") is None


@pytest.mark.parametrize("payload, status", [
    ({"permissionScopes": [{"permissionScope": PERMISSION_SCOPE, "consentLevel": "ACCOUNT"}], "status": "ACCEPTED"},
     ConsentStatus.ACCEPTED),
    ({"permissionScopes": [{"permissionScope": PERMISSION_SCOPE, "consentLevel": "ACCOUNT", "status": "DENIED"}]},
     ConsentStatus.DENIED),
    ({"permissionScope": PERMISSION_SCOPE, "status": "NOT_ANSWERED"}, ConsentStatus.NOT_ANSWERED),   # version 1
    ({"status": "MAYBE"}, ConsentStatus.UNKNOWN),
    ({"permissionScopes": "ACCEPTED"}, ConsentStatus.UNKNOWN),
    (None, ConsentStatus.UNKNOWN),
])
def test_the_users_answer_is_read_from_either_payload_version(payload: Any, status: ConsentStatus) -> None:
    """Connections.Response payloads of version 1 and 2; anything else counts as no answer."""
    assert consent_status(payload) is status


def test_local_time_and_spoken_lists() -> None:
    """The request moment in the user's zone, without offset; lists read naturally."""
    assert local_now(NOON_UTC.timestamp(), "Europe/Berlin") == datetime(2026, 11, 21, 12, 0)
    assert local_now(NOON_UTC.timestamp() + 0.7, "UTC") == datetime(2026, 11, 21, 11, 0)
    assert [PROMPTS.words.join(w) for w in ([], ["a"], ["a", "b"], ["a", "b", "c"])] == ["", "a", "a and b", "a, b, and c"]


# -- which handler answers ----------------------------------------------------------------------------------

def handler_input(payload: dict[str, Any]) -> HandlerInput:
    envelope = rq.to_model(payload)
    return HandlerInput(request_envelope=envelope, attributes_manager=AttributesManager(request_envelope=envelope))


OFFERED = SessionState(question=Question.OFFER_REMINDERS).to_dict()
IDLE = SessionState().to_dict()


@pytest.mark.parametrize("action, expected", [(Action.YES, "create_reminders"), (Action.NO, "decline_reminders"),
                                               (Action.REPEAT, "repeat_reminders_offer")])
def test_yes_no_and_repeat_mean_the_reminder_offer_only_while_it_is_pending(action: Action, expected: str) -> None:
    """The conversation table gives them their reminder meaning at the offer, and only there."""
    assert outcome(Question.OFFER_REMINDERS, action) == expected
    assert all(outcome(q, action) != expected for q in Question if q is not Question.OFFER_REMINDERS)
    assert cancels(Question.OFFER_REMINDERS, Action.HELP) and not cancels(Question.OFFER_REMINDERS, action)


def test_only_answers_to_our_own_permission_request_are_ours() -> None:
    """A Connections.Response to AskFor with our token; not another name, token or request type."""
    chosen = reminders.RemindersConnectionsResponseHandler({BASE_LOCALE: Dialogue(CATALOG, Prompts.load())}, None)
    ours = consent_token(meal_times(CATALOG.reminder_times))
    assert chosen.can_handle(handler_input(rq.connections_response("ACCEPTED", ours)))
    assert not chosen.can_handle(handler_input(rq.connections_response("ACCEPTED", "")))
    assert not chosen.can_handle(handler_input(rq.connections_response("ACCEPTED", ours, name="Buy")))
    assert not chosen.can_handle(handler_input(rq.intent("SetRemindersIntent")))


# -- a stand-in for the Alexa APIs on 127.0.0.1 ------------------------------------------------------------

@dataclass
class Call:
    """One request the skill made."""

    method: str
    path: str
    authorization: str
    content_type: str
    raw: str

    @property
    def json(self) -> Any:
        """The body's content, as JSON (what Amazon's API would parse)."""
        return json.loads(self.raw)


class AlexaApi:
    """Answers from `answers` by (method, path); records every call. Unlisted requests get 404."""

    def __init__(self) -> None:
        self.url = ""
        self.calls: list[Call] = []
        self.answers: dict[tuple[str, str], tuple[int, Any]] = {
            ("GET", TIME_ZONE_PATH): (200, "Europe/Berlin"),
            ("POST", REMINDERS): (201, {"alertToken": "alert-1", "createdTime": "2026-11-21T12:00:00.000Z",
                                        "status": "ON", "version": "1", "href": f"{REMINDERS}/alert-1"}),
            ("GET", REMINDERS): (200, {"totalCount": "0", "alerts": []}),
        }

    def reminder_calls(self) -> list[Call]:
        """The calls to the Reminders API (the Settings API is asked for the time zone too)."""
        return [call for call in self.calls if call.path.startswith(REMINDERS)]


def _handler_for(api: AlexaApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else ""
            api.calls.append(Call(self.command, self.path, self.headers.get("Authorization", ""),
                                  self.headers.get("Content-Type", ""), raw))
            status, body = api.answers.get((self.command, self.path), (404, {"code": "NOT_FOUND", "message": "no"}))
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = do_PUT = _serve  # noqa: N815 - http.server's naming

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[AlexaApi]:
    """The stand-in, listening on a free loopback port; requests built by `rq` point at it."""
    stand_in = AlexaApi()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(stand_in))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stand_in.url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setattr(rq.REQUESTS, "api_endpoint", stand_in.url)
    try:
        yield stand_in
    finally:
        server.shutdown()
        server.server_close()


def permitted(client: FlaskClient) -> Alexa:
    """A user who has granted the reminders permission, at noon in Berlin."""
    alexa = Alexa(client, consent_token=CONSENT)
    alexa.clock = NOON_UTC
    return alexa


def stored(client: FlaskClient) -> dict[str, Any]:
    """What the skill stores for the default test user."""
    return client.application.extensions["foot_coach_store"].get_attributes(rq.to_model(rq.launch()))


def directives(reply: Reply) -> list[dict[str, Any]]:
    return reply.body["response"].get("directives") or []


def expected_body(rules: list[str], zone: str = "Europe/Berlin", at: str = "2026-11-21T12:00:00") -> dict[str, Any]:
    return {
        "requestTime": at,
        "trigger": {"type": "SCHEDULED_ABSOLUTE", "timeZoneId": zone,
                    "recurrence": {"startDateTime": at, "recurrenceRules": rules}},
        "alertInfo": {"spokenInfo": {"content": [{"locale": "en-US", "text": PROMPTS.pick("reminder_text")}]}},
        "pushNotification": {"status": "ENABLED"},
    }


# -- setting reminders ---------------------------------------------------------------------------------------

def test_remind_me_offers_the_meal_times_and_yes_creates_one_reminder_with_three_daily_rules(
        client: FlaskClient, api: AlexaApi) -> None:
    """The exact POST: path, token, JSON body with three rules in the device's zone; then it is restated."""
    alexa = permitted(client)
    alexa.launch()
    offer = alexa.say("SetRemindersIntent")
    assert "breakfast, lunch, and dinner make good reminders" in offer.text
    assert "Shall I remind you to do your foot exercises every day at 8 am, 12:30 pm, and 6:30 pm?" in offer.text
    assert offer.ends_session is False and "yes or no" in offer.reprompt
    assert api.reminder_calls() == []                    # nothing before the spoken yes
    done = alexa.say("AMAZON.YesIntent")
    [call] = api.reminder_calls()
    assert (call.method, call.path, call.authorization) == ("POST", REMINDERS, AUTHORIZATION)
    assert call.content_type.startswith("application/json")
    assert call.json == expected_body(DEFAULT_RULES)
    assert "Done. Every day at 8 am, 12:30 pm, and 6:30 pm, I'll remind you to do your foot exercises." in done.text
    assert done.ends_session is False and "start the routine" in done.text
    assert stored(client)[STORE_KEY] == {"alert_token": "alert-1", "times": "08:00,12:30,18:30"}


def test_the_user_may_name_other_times(client: FlaskClient, api: AlexaApi) -> None:
    """ "Remind me at 7 am, 1 pm and 7 pm": no meal talk, and exactly those rules."""
    alexa = permitted(client)
    alexa.launch()
    offer = alexa.say("SetRemindersIntent", firstTime="19:00", secondTime="07:00", thirdTime="13:00")
    assert "meals" not in offer.text and "breakfast" not in offer.text
    assert "every day at 7 am, 1 pm, and 7 pm?" in offer.text
    alexa.say("AMAZON.YesIntent")
    [call] = api.reminder_calls()
    assert call.json["trigger"]["recurrence"]["recurrenceRules"] == [
        "FREQ=DAILY;BYHOUR=7;BYMINUTE=0;BYSECOND=0;INTERVAL=1",
        "FREQ=DAILY;BYHOUR=13;BYMINUTE=0;BYSECOND=0;INTERVAL=1",
        "FREQ=DAILY;BYHOUR=19;BYMINUTE=0;BYSECOND=0;INTERVAL=1"]


def test_times_that_are_not_clock_times_are_asked_for_again(client: FlaskClient, api: AlexaApi) -> None:
    """ "In the evening" (EV) is not a time to set: say how to name times; nothing is offered or sent."""
    alexa = permitted(client)
    alexa.launch()
    reply = alexa.say("SetRemindersIntent", firstTime="EV")
    assert "I need up to three clock times" in reply.text and reply.ends_session is False
    assert OFFER_KEY not in reply.session_attributes
    assert "Let's do" in alexa.say("AMAZON.YesIntent").text    # nothing was offered: yes starts the routine
    assert api.reminder_calls() == []


def test_without_a_time_zone_the_times_are_utc_and_the_user_is_told(client: FlaskClient, api: AlexaApi) -> None:
    """The Settings API has no zone for the device: say so before the yes, and send UTC."""
    del api.answers[("GET", TIME_ZONE_PATH)]
    alexa = permitted(client)
    alexa.launch()
    assert "so these times are in UTC" in alexa.say("SetRemindersIntent").text
    alexa.say("AMAZON.YesIntent")
    [call] = api.reminder_calls()
    assert call.json == expected_body(DEFAULT_RULES, zone="UTC", at="2026-11-21T11:00:00")


def test_no_sets_nothing_and_yes_means_the_routine_again(client: FlaskClient, api: AlexaApi) -> None:
    """Declining sends nothing; the next yes is the ordinary yes (the offer is over)."""
    alexa = permitted(client)
    alexa.launch()
    alexa.say("SetRemindersIntent")
    declined = alexa.say("AMAZON.NoIntent")
    assert "I haven't set any reminders" in declined.text and "remind me at 7 am" in declined.text
    assert "Let's do" in alexa.say("AMAZON.YesIntent").text   # starts the routine
    assert api.reminder_calls() == []


def test_repeat_during_the_offer_keeps_the_named_times(client: FlaskClient, api: AlexaApi) -> None:
    """ "Repeat" says the same offer, and the yes after it still creates the named times."""
    alexa = permitted(client)
    alexa.launch()
    alexa.say("SetRemindersIntent", firstTime="06:15")
    assert "every day at 6:15 am?" in alexa.say("AMAZON.RepeatIntent").text
    alexa.say("AMAZON.YesIntent")
    [call] = api.reminder_calls()
    assert call.json["trigger"]["recurrence"]["recurrenceRules"] == [
        "FREQ=DAILY;BYHOUR=6;BYMINUTE=15;BYSECOND=0;INTERVAL=1"]


def test_reminders_in_the_middle_of_a_workout_keep_the_place(client: FlaskClient, api: AlexaApi) -> None:
    """After the detour the user is asked to carry on, and yes continues where they were."""
    alexa = permitted(client)
    alexa.launch()
    first = alexa.say("StartExerciseIntent", exercise={"value": "ankle circles", "id": "ankle_circles"})
    assert "ankle circles" in first.text
    alexa.say("SetRemindersIntent")
    done = alexa.say("AMAZON.YesIntent")
    assert "I'll remind you" in done.text and "Ready to carry on?" in done.text
    carry_on = alexa.say("AMAZON.YesIntent")
    assert "Picking up at ankle circles" in carry_on.text


def test_a_new_reminder_replaces_the_previous_one(client: FlaskClient, api: AlexaApi) -> None:
    """Setting reminders twice leaves one set: the stored one is deleted once the new one exists."""
    alexa = permitted(client)
    alexa.launch()
    alexa.say("SetRemindersIntent")
    alexa.say("AMAZON.YesIntent")
    api.answers[("POST", REMINDERS)] = (201, {"alertToken": "alert-2", "status": "ON"})
    alexa.say("SetRemindersIntent", firstTime="09:00")
    alexa.say("AMAZON.YesIntent")
    assert [(c.method, c.path) for c in api.reminder_calls()] == [
        ("POST", REMINDERS), ("POST", REMINDERS), ("DELETE", f"{REMINDERS}/alert-1")]
    assert stored(client)[STORE_KEY] == {"alert_token": "alert-2", "times": "09:00"}


# -- the permission ------------------------------------------------------------------------------------------

def ask_for(reply: Reply) -> dict[str, Any]:
    """The one AskFor directive of a reply, checked to hand the session to Alexa properly."""
    [directive] = directives(reply)
    assert directive["type"] == "Connections.SendRequest" and directive["name"] == "AskFor"
    response = reply.body["response"]
    assert "shouldEndSession" not in response and "reprompt" not in response
    return directive


def test_without_the_permission_alexa_is_asked_to_ask_for_it_by_voice(client: FlaskClient, api: AlexaApi) -> None:
    """A Connections.SendRequest AskFor for the reminders scope; nothing is offered or sent yet."""
    alexa = Alexa(client)
    alexa.clock = NOON_UTC
    alexa.launch()
    reply = alexa.say("SetRemindersIntent", firstTime="07:00")
    directive = ask_for(reply)
    assert directive["payload"] == ASK_FOR_PAYLOAD
    assert directive["token"] == consent_token((ClockTime(7),))
    assert "needs your permission to set reminders" in reply.text
    assert api.reminder_calls() == []


def test_accepted_permission_goes_on_to_offer_the_times_and_yes_creates(client: FlaskClient, api: AlexaApi) -> None:
    """Connections.Response ACCEPTED: offer the times the token carried; the yes creates them."""
    alexa = Alexa(client)
    alexa.clock = NOON_UTC
    alexa.launch()
    token = ask_for(alexa.say("SetRemindersIntent", firstTime="07:00", secondTime="19:00"))["token"]
    alexa.identity["consent_token"] = CONSENT           # what Alexa sends once the user approved
    offer = alexa.send(rq.connections_response("ACCEPTED", token, **alexa.common()))
    assert "every day at 7 am and 7 pm?" in offer.text and offer.ends_session is False
    alexa.say("AMAZON.YesIntent")
    [call] = api.reminder_calls()
    assert call.json["trigger"]["recurrence"]["recurrenceRules"] == [
        "FREQ=DAILY;BYHOUR=7;BYMINUTE=0;BYSECOND=0;INTERVAL=1", "FREQ=DAILY;BYHOUR=19;BYMINUTE=0;BYSECOND=0;INTERVAL=1"]


def test_denied_permission_sends_the_consent_card_and_sets_nothing(client: FlaskClient, api: AlexaApi) -> None:
    """Connections.Response DENIED: explain, send the permissions card, keep the session."""
    alexa = Alexa(client)
    alexa.launch()
    token = ask_for(alexa.say("SetRemindersIntent"))["token"]
    reply = alexa.send(rq.connections_response("DENIED", token, **alexa.common()))
    assert reply.body["response"]["card"] == {"type": "AskForPermissionsConsent", "permissions": [PERMISSION_SCOPE]}
    assert "I haven't set any reminders" in reply.text and "card to your Alexa app" in reply.text
    assert reply.ends_session is False
    assert api.reminder_calls() == []


@pytest.mark.parametrize("status, code", [("NOT_ANSWERED", "200"), ("ACCEPTED", "500")])
def test_no_answer_or_a_failed_question_sets_nothing(client: FlaskClient, api: AlexaApi, status: str, code: str) -> None:
    """Not answered, or Alexa could not ask: nothing set, no card, say how to ask again."""
    alexa = Alexa(client)
    alexa.launch()
    token = ask_for(alexa.say("SetRemindersIntent"))["token"]
    reply = alexa.send(rq.connections_response(status, token, code=code, **alexa.common()))
    assert "remind me to do my foot exercises" in reply.text and "card" not in reply.body["response"]
    assert api.reminder_calls() == []


def test_a_connections_response_that_is_not_ours_is_left_alone(client: FlaskClient) -> None:
    """Another AskFor (not our token) gets the empty answer for requests we do not serve."""
    reply = Alexa(client).send(rq.connections_response("ACCEPTED", "someone-else"))
    assert "outputSpeech" not in reply.body["response"]


def test_a_refusal_from_the_api_asks_for_the_permission(client: FlaskClient, api: AlexaApi) -> None:
    """403 on create (the permission was withdrawn): ask again by voice, claim nothing."""
    api.answers[("POST", REMINDERS)] = (403, {"code": "FORBIDDEN", "message": "no permission"})
    alexa = permitted(client)
    alexa.launch()
    alexa.say("SetRemindersIntent")
    reply = alexa.say("AMAZON.YesIntent")
    assert ask_for(reply)["token"] == consent_token(meal_times(CATALOG.reminder_times))
    assert "Done" not in reply.text
    assert STORE_KEY not in stored(client)


# -- API failures --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("answer", [(500, {"code": "INTERNAL", "message": "boom"}), (503, None), (429, {})])
def test_an_api_error_is_an_apology_that_claims_nothing(client: FlaskClient, api: AlexaApi,
                                                        answer: tuple[int, Any]) -> None:
    """5xx or throttling: say nothing was set; the session goes on; nothing is stored."""
    api.answers[("POST", REMINDERS)] = answer
    alexa = permitted(client)
    alexa.launch()
    alexa.say("SetRemindersIntent")
    reply = alexa.say("AMAZON.YesIntent")
    assert "couldn't reach the reminders service, so no reminders are set" in reply.text
    assert "Done" not in reply.text and reply.ends_session is False
    assert len(api.reminder_calls()) == 1 and STORE_KEY not in stored(client)


def test_an_unreachable_api_is_an_apology_too(client: FlaskClient) -> None:
    """Nothing listens at the endpoint (as for a timeout): the same apology, never an error."""
    alexa = permitted(client)
    alexa.launch()
    alexa.say("SetRemindersIntent")
    assert "no reminders are set" in alexa.say("AMAZON.YesIntent").text


def test_the_loopback_client_sends_json_bodies(client: FlaskClient, api: AlexaApi) -> None:
    """The stand-in must see what Amazon sees: a JSON body (the HTTPS path json.dumps it)."""
    alexa = permitted(client)
    alexa.launch()
    alexa.say("SetRemindersIntent")
    alexa.say("AMAZON.YesIntent")
    [call] = api.reminder_calls()
    assert json.loads(call.raw) == expected_body(DEFAULT_RULES)


# -- cancelling ----------------------------------------------------------------------------------------------

def test_cancel_deletes_the_stored_reminder(client: FlaskClient, api: AlexaApi) -> None:
    """The exact DELETE for the alertToken we stored; then it is forgotten."""
    alexa = permitted(client)
    alexa.launch()
    alexa.say("SetRemindersIntent")
    alexa.say("AMAZON.YesIntent")
    api.answers[("DELETE", f"{REMINDERS}/alert-1")] = (200, {})
    reply = alexa.say("CancelRemindersIntent")
    call = api.reminder_calls()[-1]
    assert (call.method, call.path, call.authorization, call.raw) == ("DELETE", f"{REMINDERS}/alert-1", AUTHORIZATION, "")
    assert "I've cancelled your foot exercise reminders" in reply.text and reply.ends_session is False
    assert STORE_KEY not in stored(client)


def test_cancel_without_a_stored_token_lists_and_deletes_ours(client: FlaskClient, api: AlexaApi) -> None:
    """Unknown (or stale) token: GET the skill's reminders and delete each one."""
    api.answers[("GET", REMINDERS)] = (200, {"totalCount": "2", "alerts": [
        {"alertToken": "old-1", "status": "ON", "alertInfo": {"spokenInfo": {"content": [
            {"locale": "en-US", "text": PROMPTS.pick("reminder_text")}]}}},
        {"alertToken": "old-2", "status": "ON"}]})
    for token in ("old-1", "old-2"):
        api.answers[("DELETE", f"{REMINDERS}/{token}")] = (200, {})
    alexa = permitted(client)
    alexa.launch()
    reply = alexa.say("CancelRemindersIntent")
    assert [(c.method, c.path, c.authorization) for c in api.reminder_calls()] == [
        ("GET", REMINDERS, AUTHORIZATION), ("DELETE", f"{REMINDERS}/old-1", AUTHORIZATION),
        ("DELETE", f"{REMINDERS}/old-2", AUTHORIZATION)]
    assert "I've cancelled" in reply.text


def test_cancel_with_nothing_to_cancel_says_so(client: FlaskClient, api: AlexaApi) -> None:
    """The stored reminder is already gone (404) and none are listed: nothing to cancel."""
    alexa = permitted(client)
    alexa.launch()
    alexa.say("SetRemindersIntent")
    alexa.say("AMAZON.YesIntent")                     # stores alert-1; the DELETE below gets 404
    reply = alexa.say("CancelRemindersIntent")
    assert [(c.method, c.path) for c in api.reminder_calls()[1:]] == [
        ("DELETE", f"{REMINDERS}/alert-1"), ("GET", REMINDERS)]
    assert "You don't have any foot exercise reminders from me." in reply.text
    assert STORE_KEY not in stored(client)


def test_cancel_without_the_permission_explains_and_sends_the_card(client: FlaskClient, api: AlexaApi) -> None:
    """401 from the API: the skill cannot see its reminders; the card and the Alexa app can help."""
    api.answers[("GET", REMINDERS)] = (401, {"code": "UNAUTHORIZED", "message": "no"})
    alexa = Alexa(client)
    alexa.launch()
    reply = alexa.say("CancelRemindersIntent")
    assert "I need your permission to change reminders" in reply.text
    assert reply.body["response"]["card"]["type"] == "AskForPermissionsConsent"


def test_cancel_when_the_api_fails_says_nothing_changed(client: FlaskClient, api: AlexaApi) -> None:
    """5xx while cancelling: the reminders may still be there, and the user is told so."""
    api.answers[("GET", REMINDERS)] = (500, {"code": "INTERNAL", "message": "boom"})
    alexa = permitted(client)
    alexa.launch()
    reply = alexa.say("CancelRemindersIntent")
    assert "your reminders haven't changed" in reply.text and reply.ends_session is False
