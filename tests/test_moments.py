"""At the moments that matter: stopping partway, answering "Ready?", pain, "forget me", asking how,
counting at every pace, changing pace mid-set, and what "how am I doing" says. Whole conversations in
a person's words, with the time passing as it would."""

from __future__ import annotations

from typing import Any

import alexa_requests as rq
import pytest
from flask import Flask
from flask.testing import FlaskClient
from person import Person

from skill.content.catalog import load_catalog

CATALOG = load_catalog()


def stored(app: Flask, person: Person) -> dict[str, Any]:
    return app.extensions["foot_coach_store"].get_attributes(rq.to_model(rq.launch(user_id=person.user_id)))


def rep_of(place: dict[str, Any] | None) -> int:
    assert place is not None
    return int(place["rep"])


def started_toe_presses(client: FlaskClient) -> Person:
    person = Person(client)
    person.says("open foot coach")
    person.says("start toe presses")
    return person


# -- stopping partway -------------------------------------------------------------------------------------

@pytest.mark.parametrize("words", ["stop", "cancel"])
def test_stop_mid_count_keeps_the_rep_that_was_playing_and_counts_nothing(app: Flask, client: FlaskClient,
                                                                          words: str) -> None:
    """"Stop" 20, 45 and 70 seconds into toe presses keeps the rep playing; nothing is counted as done."""
    kept = []
    for seconds in (20, 45, 70):
        person = started_toe_presses(client)
        turn_seconds = float(person.attributes["turn_seconds"])
        assert turn_seconds > 75, "the toe-press turn is one long count"
        person.waits(seconds)
        goodbye = person.says(words)
        assert goodbye.ends_session is True
        place = stored(app, person)["place"]
        assert place["exercise_id"] == "toe_press"
        assert "I'll remember where you stopped: toe presses, rep" in goodbye.text or rep_of(place) == 1, goodbye.text
        kept.append(rep_of(place))
        welcome = person.says("open foot coach")
        assert "Last time you stopped at toe presses" in welcome.text, welcome.text
        report = person.says("how am I doing")
        assert "Today you've done zero" in report.text and "finished one exercise" not in report.text
        assert stored(app, person)["log"] == {}
    assert kept == sorted(kept) and kept[-1] > kept[0] >= 1, kept
    assert kept[-1] < CATALOG.get("toe_press").reps + 1


def test_stop_after_the_count_was_heard_counts_the_exercise(app: Flask, client: FlaskClient) -> None:
    """Heard to its end (the reprompt, 8 s after "Ready?", has played), toe presses count as done and the
    place is the next exercise."""
    person = started_toe_presses(client)
    person.listens()
    person.waits(12)
    goodbye = person.says("stop")
    assert "toe walking" in goodbye.text
    assert stored(app, person)["place"]["exercise_id"] == "toe_walk"
    person.says("open foot coach")
    assert "Today you've done one of your three sessions" in person.says("how am I doing").text


def test_a_stop_just_after_ready_may_have_cut_the_last_rep_so_it_keeps_that_rep(app: Flask,
                                                                               client: FlaskClient) -> None:
    """Two seconds after the estimated end, the words may still have been playing (they are estimated, up
    to a quarter slower): the last rep is kept, said, and not counted; one rep next time finishes it."""
    person = started_toe_presses(client)
    person.listens()
    goodbye = person.says("stop")
    assert "toe presses, rep ten" in goodbye.text
    assert stored(app, person)["place"]["rep"] == 10 and stored(app, person).get("log", {}) == {}
    person.says("open foot coach")
    last = person.says("yes")
    assert last.text.count("Hold") == 1 and "That's toe presses" in last.text


# -- answers to "Next up is toe walking, ... Ready?" ------------------------------------------------------------

def at_next_up(client: FlaskClient) -> Person:
    person = Person(client)
    person.says("open foot coach")
    first = person.says("start the routine")
    assert first.text.endswith("Next up is toe walking, standing, with space to walk around. Ready?"), first.text[-120:]
    person.listens()
    return person


def test_skip_at_next_up_skips_that_exercise(client: FlaskClient) -> None:
    person = at_next_up(client)
    reply = person.says("skip")
    assert reply.text.startswith("Skipping toe walking. Let's do ankle circles."), reply.text[:120]


def test_start_over_at_next_up_restarts_the_routine(client: FlaskClient) -> None:
    person = at_next_up(client)
    reply = person.says("start over")
    assert reply.text.startswith("Starting the routine again from the beginning. Let's do toe presses."), reply.text[:120]


def test_no_then_no_closes_politely_with_the_place_kept(app: Flask, client: FlaskClient) -> None:
    person = at_next_up(client)
    first = person.says("no")
    assert first.ends_session is False and "resume" in first.text and "skip" in first.text
    assert "Say resume, skip, or stop." in first.reprompt
    second = person.says("no")
    assert second.ends_session is True and "toe walking" in second.text
    assert stored(app, person)["place"]["exercise_id"] == "toe_walk"
    welcome = person.says("open foot coach")
    assert "Last time you stopped at toe walking" in welcome.text


def test_every_reprompt_restates_the_pending_question(client: FlaskClient) -> None:
    person = at_next_up(client)
    assert "Ready for toe walking?" in person.last.reprompt
    person.says("pause")
    assert "resume" in person.last.reprompt
    person.says("forget me")
    assert "delete everything" in person.last.reprompt


# -- pain ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("words", ["ouch my knee hurts", "it hurts", "I need to stop, this is painful", "my back hurts"])
def test_pain_stops_the_count_keeps_the_place_and_never_says_carry_on(app: Flask, client: FlaskClient,
                                                                      words: str) -> None:
    person = started_toe_presses(client)
    person.waits(45)
    reply = person.says(words)
    said = reply.text.lower()
    assert "stop" in said and "rest" in said and "health professional" in said, reply.text
    assert "carry on" not in said and "ready" not in said
    assert "skip to the next exercise" in said and "finish for today" in said
    assert person.place["exercise_id"] == "toe_press" and rep_of(person.place) > 1
    assert stored(app, person).get("log", {}) == {}
    goodbye = person.says("no")
    assert goodbye.ends_session is True and "toe presses" in goodbye.text
    assert stored(app, person)["place"]["exercise_id"] == "toe_press"


def test_yes_after_pain_skips_to_the_next_exercise(client: FlaskClient) -> None:
    person = started_toe_presses(client)
    person.waits(30)
    person.says("it hurts")
    reply = person.says("yes")
    assert reply.text.startswith("Skipping toe presses. Let's do toe walking."), reply.text[:100]


# -- forgetting ------------------------------------------------------------------------------------------

def test_forget_me_then_silence_then_yes_to_something_else_never_deletes(app: Flask, client: FlaskClient) -> None:
    person = started_toe_presses(client)
    person.listens()
    person.says("stop")
    person.says("open foot coach")
    person.says("forget me")
    reprompt = person.is_silent()
    assert "delete everything" in reprompt.reprompt
    assert stored(app, person)          # silence deleted nothing
    person.says("open foot coach")      # "Shall we carry on?" ...
    person.says("yes")                  # ... yes: carry on, not delete
    assert stored(app, person)
    person.says("forget me")
    person.says("how am I doing")       # another answer cancels the question
    person.says("yes")
    assert stored(app, person), "a later yes must never delete"


def test_forget_me_and_yes_deletes(app: Flask, client: FlaskClient) -> None:
    person = started_toe_presses(client)
    person.listens()
    person.says("forget me")
    done = person.says("yes")
    assert done.ends_session is True and "deleted everything" in done.text
    assert stored(app, person) == {}


# -- asking how ------------------------------------------------------------------------------------------

def test_asking_how_to_do_another_exercise_never_moves_the_place(app: Flask, client: FlaskClient) -> None:
    person = at_next_up(client)
    person.says("yes")                     # toe walking, set one and two
    person.listens()
    before = dict(person.place)
    how = person.says("how do I do pencil pickups")
    assert "pencil" in how.text.lower() and how.text.endswith("Would you like to start pencil pickups now?")
    assert person.place == before
    person.says("stop")
    assert stored(app, person)["place"] == before
    welcome = person.says("open foot coach")
    assert "Last time you stopped at toe walking" in welcome.text


def test_yes_to_the_offer_after_instructions_starts_that_exercise(client: FlaskClient) -> None:
    person = Person(client)
    person.says("open foot coach")
    person.says("how do I do pencil pickups")
    reply = person.says("yes")
    if person.attributes["question"] == "get_in_position":   # shoes and socks off first: the ready gate
        reply = person.says("ready")
    assert person.place["exercise_id"] == "pencil_pickups" and "Hold" in reply.text


# -- every counted start counts ---------------------------------------------------------------------------

def assert_counts(reply: Any, attributes: dict[str, Any]) -> None:
    assert attributes.get("turn_marks"), f"nothing was counted: {reply.text[-160:]}"
    assert not reply.text.endswith("Ready to start?")


def start(person: Person, exercise: str) -> Any:
    """Start an exercise; where it waits for "ready" (the floor, lying down, bare feet), say it: counting starts then."""
    reply = person.says(f"start {exercise}")
    return person.says("ready") if person.attributes["question"] == "get_in_position" else reply


def test_a_brand_new_users_one_shot_counts_at_once(client: FlaskClient) -> None:
    person = Person(client)
    reply = person.says("ask foot coach to start toe curls")
    assert "not medical advice" in reply.text
    assert_counts(reply, person.attributes)


@pytest.mark.parametrize("exercise, changes", [
    ("toe presses", ["faster"]),                          # 85 % is "slower" once; 115 % "faster" once
    ("toe presses", ["slower"]),
    ("pencil pickups", ["faster"]), ("pencil pickups", ["faster", "faster"]),
    ("ankle circles", ["slower", "slower"]), ("resisted flexion", ["slower", "slower"]),
])
def test_every_pace_counts_from_the_first_turn(client: FlaskClient, exercise: str, changes: list[str]) -> None:
    person = Person(client)
    person.says("open foot coach")
    for change in changes:
        person.says(change)
    reply = start(person, exercise)
    assert_counts(reply, person.attributes)


def test_the_days_third_session_counts_with_its_praise(client: FlaskClient) -> None:
    person = Person(client)
    for session in range(3):
        person.says("open foot coach")
        reply = start(person, "resisted flexion")
        assert_counts(reply, person.attributes)
        person.listens()
        person.waits(12)
        person.says("stop")
        person.waits(3 * 3600)
    assert "daily goal" in reply.text


# -- pace mid-set -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("seconds", [20, 45, 70])
@pytest.mark.parametrize("words", ["slower", "faster"])
def test_a_pace_change_mid_set_counts_on_from_the_rep_that_was_playing(client: FlaskClient, seconds: int,
                                                                       words: str) -> None:
    person = started_toe_presses(client)
    person.waits(seconds)
    reply = person.says(words)
    playing = rep_of(person.attributes["turn_marks"] and {"rep": person.attributes["turn_marks"][0][4]})
    assert "Counting on from toe presses" in reply.text, reply.text[:160]
    assert playing > 1 or seconds == 20
    assert reply.text.count("Hold") >= 1, "it counts on at once"


# -- what "how am I doing" says ---------------------------------------------------------------------------

def test_progress_is_true_after_sets_without_a_finished_exercise(client: FlaskClient) -> None:
    person = at_next_up(client)
    person.says("skip")                      # toe walking skipped; ankle circles begin
    person.listens()
    report = person.says("how am I doing")
    assert "haven't trained" not in report.text
    assert "You've finished one exercise today." in report.text   # toe presses, heard to the end


def test_skipping_every_exercise_is_never_praised_as_the_whole_routine(client: FlaskClient) -> None:
    person = Person(client)
    person.says("open foot coach")
    person.says("start the routine")
    reply = None
    for _ in range(len(CATALOG.exercises)):
        reply = person.says("skip")
        if reply.ends_session:
            break
    assert reply is not None and reply.ends_session is True
    assert "whole routine" not in reply.text and "end of the routine" in reply.text
