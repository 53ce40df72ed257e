"""What Foot Coach remembers per user: sessions, streaks, pace, voice profiles, time zones, forgetting."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import alexa_requests as rq
import pytest
from conftest import Alexa
from flask.testing import FlaskClient

from skill.content.catalog import load_catalog
from skill.content.prompts import load_words

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:   # bench/ is a top-level package of the repository, not installed
    sys.path.insert(0, str(ROOT))

from bench.hostile import SettingsApi  # noqa: E402  the one Settings API stand-in of the tests

number_word = load_words().number

CATALOG = load_catalog()
GOAL = CATALOG.times_per_day
MORNING = datetime(2026, 11, 21, 8, 0, tzinfo=timezone.utc)


def finish_one_exercise(alexa: Alexa) -> None:
    """Open the skill and do toe presses (one turn, no ready gate) to the end, then stop."""
    alexa.launch()
    reply = alexa.say("StartExerciseIntent", exercise="toe presses")
    assert "That's toe presses" in reply.text
    alexa.wait(120)   # the turn plays to its end before the user says stop
    alexa.say("AMAZON.StopIntent")


def report(alexa: Alexa) -> str:
    alexa.launch()
    return alexa.say("HowAmIDoingIntent").text


def test_sessions_are_counted_against_the_daily_goal_with_praise_at_the_goal(alexa: Alexa) -> None:
    """Each session with a finished exercise counts once; the third of the day earns praise."""
    alexa.clock = MORNING
    assert f"Today you've done zero of your {number_word(GOAL)} sessions." in report(alexa)
    alexa.say("AMAZON.StopIntent")
    for session in range(1, GOAL + 1):
        alexa.wait(3 * 3600)
        alexa.launch()
        first = alexa.say("StartExerciseIntent", exercise="toe presses")
        second = alexa.say("AMAZON.YesIntent")  # toe walking, same session: not a new session
        assert ("daily goal" in first.text) == (session == GOAL)
        assert "daily goal" not in second.text
        alexa.wait(120)
        alexa.say("AMAZON.StopIntent")
        assert f"Today you've done {number_word(session)} of your {number_word(GOAL)} sessions." in report(alexa)
        alexa.say("AMAZON.StopIntent")


def test_streak_and_week_total_follow_the_calendar(alexa: Alexa) -> None:
    """Three days in a row make a three day streak; a missed day resets it; the week counts sessions."""
    alexa.clock = MORNING
    for _ in range(3):
        finish_one_exercise(alexa)
        alexa.wait(24 * 3600)
    text = report(alexa)  # the next morning, before training: yesterday's streak still stands
    assert "You're on a three day streak." in text
    assert "This week you've trained three times." in text
    alexa.say("AMAZON.StopIntent")
    alexa.wait(2 * 24 * 3600)
    text = report(alexa)
    assert "streak" not in text


def test_the_pace_is_remembered_between_sessions(alexa: Alexa) -> None:
    """'Slower' today still applies tomorrow."""
    alexa.launch()
    alexa.say("SlowerIntent")
    alexa.say("AMAZON.StopIntent")
    alexa.wait(3600)
    alexa.launch()
    assert '<prosody rate="85%">' in alexa.say("StartExerciseIntent", exercise="ankle circles").ssml
    alexa.say("NormalPaceIntent")
    assert "<prosody" not in alexa.say("StartExerciseIntent", exercise="ankle circles").ssml


def test_each_voice_profile_in_a_household_keeps_its_own_place(client: FlaskClient) -> None:
    """Two recognised people on one account: each is welcomed back to their own exercise."""
    anna = Alexa(client, person_id="amzn1.ask.person.ANNA")
    ben = Alexa(client, person_id="amzn1.ask.person.BEN")
    anna.launch()
    anna.say("StartExerciseIntent", exercise="toe walking")
    anna.say("AMAZON.StopIntent")
    ben.launch()
    ben.say("StartExerciseIntent", exercise="ankle circles")
    ben.say("AMAZON.StopIntent")
    assert "Last time you stopped at toe walking" in anna.launch().text
    assert "Last time you stopped at ankle circles" in ben.launch().text
    unrecognised = Alexa(client)  # same account, voice not recognised: the account's own progress
    assert "Last time" not in unrecognised.launch().text


def test_forget_me_asks_first_then_deletes_everything(alexa: Alexa) -> None:
    """'Forget me' explains what goes and asks; 'no' keeps it; 'yes' deletes it and the user starts fresh."""
    finish_one_exercise(alexa)
    alexa.launch()
    alexa.say("StartExerciseIntent", exercise="toe walking")
    asked = alexa.say("ForgetMeIntent")
    assert "Are you sure?" in asked.text and asked.ends_session is False
    kept = alexa.say("AMAZON.NoIntent")
    assert "kept everything" in kept.text
    alexa.say("AMAZON.StopIntent")
    assert "Last time you stopped at toe walking" in alexa.launch().text
    alexa.say("ForgetMeIntent")
    done = alexa.say("AMAZON.YesIntent")
    assert "deleted everything" in done.text and done.ends_session is True
    fresh = alexa.launch()
    assert "Welcome to Foot Coach" in fresh.text and "not medical advice" in fresh.text
    assert "Today you've done zero" in alexa.say("HowAmIDoingIntent").text


def test_two_devices_training_at_once_never_lose_a_session(client: FlaskClient) -> None:
    """Eight sessions of one user finishing at the same moment on eight devices all count."""
    devices = 8
    at = datetime.now(timezone.utc).replace(hour=12)
    barrier = threading.Barrier(devices)
    errors: list[BaseException] = []

    def train(n: int) -> None:
        try:
            alexa = Alexa(client)
            alexa.clock = at
            alexa.launch()
            barrier.wait(timeout=10)
            alexa.say("StartExerciseIntent", exercise="toe presses")
        except BaseException as err:  # noqa: BLE001 - collected and re-raised in the main thread
            errors.append(err)

    threads = [threading.Thread(target=train, args=(n,)) for n in range(devices)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    checker = Alexa(client)
    checker.clock = at
    assert f"Today you've done {number_word(devices)} of your" in report(checker)


KIRITIMATI = "Pacific/Kiritimati"  # UTC+14: its day starts ten hours before UTC's previous day ends


@pytest.fixture
def settings_api() -> Iterator[SettingsApi]:
    """The Settings API stand-in (shared with the hostile-input run), answering Kiritimati."""
    api = SettingsApi()
    api.answer = json.dumps(KIRITIMATI).encode()
    try:
        yield api
    finally:
        api.close()


def test_days_follow_the_device_time_zone(client: FlaskClient, settings_api: SettingsApi, monkeypatch: Any) -> None:
    """A session at 23:00 local time counts for that local day, not for the UTC day."""
    monkeypatch.setattr(rq.REQUESTS, "api_endpoint", settings_api.url)
    alexa = Alexa(client)
    alexa.clock = datetime(2026, 11, 21, 9, 0, tzinfo=timezone.utc)  # 23:00 on the 21st in Kiritimati
    finish_one_exercise(alexa)
    assert settings_api.calls[0] == (f"/v2/devices/{rq.DEVICE_ID}/settings/System.timeZone",
                                     "Bearer test-api-access-token")
    alexa.wait(2 * 3600)  # 11:00 UTC, still the 21st in UTC, but the 22nd in Kiritimati
    assert "Today you've done zero" in report(alexa)


@pytest.mark.parametrize("failing", [False, True], ids=["answered", "failed"])
def test_the_time_zone_is_asked_for_at_most_once_a_day(client: FlaskClient, settings_api: SettingsApi,
                                                       monkeypatch: Any, failing: bool) -> None:
    """Later sessions that day reuse the answer, even "unknown"; the next day asks again."""
    monkeypatch.setattr(rq.REQUESTS, "api_endpoint", settings_api.url)
    settings_api.status = 503 if failing else 200
    alexa = Alexa(client)
    alexa.clock = datetime(2026, 11, 21, 8, 0, tzinfo=timezone.utc)
    for _ in range(3):
        alexa.launch()
        alexa.say("AMAZON.StopIntent")
        alexa.wait(3600)
    assert len(settings_api.calls) == 1
    alexa.wait(timedelta(days=1).total_seconds())
    alexa.launch()
    assert len(settings_api.calls) == 2


@pytest.mark.parametrize("answer", ["America", "zone.tab", "Europe/Berlin\u0000", "../etc/passwd", 14, None])
def test_a_settings_api_answer_that_is_no_time_zone_means_utc(client: FlaskClient, settings_api: SettingsApi,
                                                              monkeypatch: Any, answer: Any) -> None:
    """The device's answer is outside data too: a name that is no IANA zone is not stored, and days are UTC."""
    monkeypatch.setattr(rq.REQUESTS, "api_endpoint", settings_api.url)
    settings_api.answer = json.dumps(answer).encode()
    alexa = Alexa(client)
    alexa.clock = datetime(2026, 11, 21, 9, 0, tzinfo=timezone.utc)
    finish_one_exercise(alexa)
    assert settings_api.calls
    alexa.wait(2 * 3600)  # still the 21st in UTC
    assert "Today you've done one" in report(alexa)


def test_without_the_settings_api_days_are_utc(alexa: Alexa) -> None:
    """When the time zone cannot be had (here: nothing listens), the day is the UTC day."""
    alexa.clock = datetime(2026, 11, 21, 9, 0, tzinfo=timezone.utc)
    finish_one_exercise(alexa)
    alexa.wait(2 * 3600)
    assert "Today you've done one" in report(alexa)
    alexa.say("AMAZON.StopIntent")
    alexa.wait(timedelta(hours=14).total_seconds())
    assert "Today you've done zero" in report(alexa)
