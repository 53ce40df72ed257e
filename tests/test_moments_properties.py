"""Property-based: random things a person says, with random pauses between them, never lose a place that
was announced, never count an unfinished exercise, and never start counted work without a count."""

from __future__ import annotations

import re
import uuid
from typing import Any

import alexa_requests as rq
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from person import MATCHER, Person

from skill.content.catalog import load_catalog
from skill.content.prompts import Prompts
from skill.speech.ssml import MAX_SSML_CHARS
from skill.workout.pause_estimate import CUT_LATENCY_SECONDS, WORD_TIME_SLACK
from skill.workout.routine import Position, describe_place

CATALOG = load_catalog()
PROMPTS = Prompts.load()
WORDS = ["open foot coach", "start the routine", "start toe presses", "start ankle circles", "start pencil pickups",
         "yes", "no", "ready", "skip", "next", "start over", "repeat", "help", "pause", "resume", "stop", "cancel",
         "slower", "faster", "normal speed", "how do I do pencil pickups", "what's next", "how am I doing",
         "it hurts", "forget me", "purple elephants"]
WAITS = [0, 1, 5, 20, 45, 70, 100, 130]
INTERRUPTING = {"AMAZON.PauseIntent", "AMAZON.StopIntent", "AMAZON.CancelIntent", "PainIntent", "SlowerIntent",
                "FasterIntent", "NormalPaceIntent"}
FINISHED = re.compile(r"That's (.+?) (?:done|finished)\.")


def stored(app: Flask, person: Person) -> dict[str, Any]:
    return app.extensions["foot_coach_store"].get_attributes(rq.to_model(rq.launch(user_id=person.user_id)))


def place_words(place: dict[str, Any] | None) -> str | None:
    if not place:
        return None
    return describe_place(CATALOG, Position(place["exercise_id"], place["set"], place["side"], place["rep"]), PROMPTS)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(WAITS)), min_size=1, max_size=14))
def test_random_conversations_keep_every_promise(app: Flask, steps: list[tuple[str, int]]) -> None:
    person = Person(app.test_client(), user_id=f"amzn1.ask.account.PROP-{uuid.uuid4().hex}")
    heard: list[bool | None] = []            # per finishing turn: heard to the end, cut short, or can't tell
    pending: dict[str, Any] | None = None    # the last reply, if it finished an exercise with the session open
    for words, wait in [("open foot coach", 0), *steps]:
        person.waits(wait)
        intent = MATCHER.match(words).intent
        if pending is not None:
            elapsed = (person.clock - pending["sent"]).total_seconds()
            at, silence = pending["counted_until"]
            latest_end = silence + (at - silence) * (1 + WORD_TIME_SLACK) + CUT_LATENCY_SECONDS
            if intent in INTERRUPTING and person.in_session and elapsed < at - CUT_LATENCY_SECONDS:
                heard.append(False)
            elif (intent not in INTERRUPTING and person.in_session) or elapsed >= latest_end:
                heard.append(True)
            else:
                heard.append(None)
            pending = None
        sent = person.clock
        reply = person.says(words)
        text = reply.text if reply.ssml else ""
        assert len(reply.ssml) <= MAX_SSML_CHARS
        if reply.ends_session is False:
            assert reply.reprompt and person.attributes.get("question") not in (None, "none"), text
        if "deleted everything" in text:
            heard, pending = [], None
            continue
        # Never a counted start without a count.
        if person.attributes.get("last_was_count") or "Let's begin" in text:
            assert person.attributes.get("turn_marks") or reply.ends_session, text[-200:]
        # Never lose an announced place.
        said = re.search(r"I'll remember where you stopped: (.+?)\. Goodbye", text)
        if said:
            assert place_words(stored(app, person).get("place")) == said.group(1), text
        paused = re.search(r"Paused at (.+?)\. Would you", text)
        if paused:
            assert place_words(person.place) == paused.group(1), text
        if FINISHED.search(text) and intent != "AMAZON.RepeatIntent":   # a repeat replays, it finishes nothing new
            if person.in_session:
                pending = {"sent": sent, "counted_until": tuple(person.attributes["turn_counted_until"])}
            else:
                heard.append(True)   # the routine's last turn ends the session: nothing can take it back
    if pending is not None:
        heard.append(None)           # the person said nothing more: it may or may not have played to the end
    log = stored(app, person).get("log") or {}
    exercises = sum(day["exercises"] for day in log.values())
    # Never count an unfinished exercise, never drop a finished one.
    assert heard.count(True) <= exercises <= heard.count(True) + heard.count(None), (heard, log)
