"""Whole conversations through POST /, as Alexa sends them, checking what the user hears."""

from __future__ import annotations

import re

import alexa_requests as rq
import pytest
from conftest import Alexa, Reply
from flask.testing import FlaskClient

from skill.app import create_app
from skill.content.catalog import load_catalog
from skill.content.prompts import Prompts, load_words
from skill.speech.ssml import MAX_BREAK_MS, MAX_SSML_CHARS
from timing import heard, runs_of, spans

number_word = load_words().number

CATALOG = load_catalog()
PROMPTS = Prompts.load()


def assert_valid_turn(reply: Reply) -> None:
    """Every response: well-formed SSML within limits; an open session ends with a question and reprompts."""
    assert reply.text  # parses as XML
    assert len(reply.ssml) <= MAX_SSML_CHARS
    for value, unit in re.findall(r'<break time="(\d+)(ms|s)"/>', reply.ssml):
        assert int(value) * (1 if unit == "ms" else 1000) <= MAX_BREAK_MS
    if reply.ends_session is False:
        # A question, or the ready gate's clear prompt ("Say ready when you're lying down.").
        assert reply.text.rstrip().endswith("?") or re.search(r"Say ready when [^.?]+\.$", reply.text), reply.text[-80:]
        assert reply.reprompt


def start_and_get_ready(alexa: Alexa, exercise: str) -> Reply:
    """Start an exercise by name; where it has a ready gate (lying down, floor), say "ready" as well."""
    reply = alexa.say("StartExerciseIntent", exercise=exercise)
    if alexa.attributes.get("question") == "get_in_position":
        reply = alexa.say("ContinueIntent")
    return reply


def test_first_launch_welcomes_with_one_safety_line_and_keeps_the_mic_open(alexa: Alexa) -> None:
    """A new user hears the welcome, the not-medical-advice line once, and a question."""
    first = alexa.launch()
    assert_valid_turn(first)
    assert "not medical advice" in first.text
    assert first.ends_session is False
    alexa.say("AMAZON.StopIntent")
    again = alexa.launch()
    assert "not medical advice" not in again.text
    assert "Welcome" in again.text or "Hello" in again.text


def test_start_the_routine_begins_with_the_warm_up_and_counts_every_rep(alexa: Alexa) -> None:
    """'Start the routine' sets up toe presses, then counts every rep with the hold from the data."""
    alexa.launch()
    reply = alexa.say("StartRoutineIntent")
    assert_valid_turn(reply)
    toe_press = CATALOG.exercises[0]
    assert reply.text.startswith(f"Let's do {toe_press.name}")
    for rep in range(1, toe_press.reps + 1):
        assert f"Rep {number_word(rep)}." in reply.text
    holds = [s.measured for s in spans(runs_of(heard(reply.ssml)), toe_press, PROMPTS) if s.kind == "hold"]
    assert holds == pytest.approx([toe_press.hold_seconds] * toe_press.reps, abs=0.01)
    assert f"Next up is {CATALOG.exercises[1].name}" in reply.text


def test_yes_after_launch_starts_the_routine(alexa: Alexa) -> None:
    """'Yes' to 'start the routine?' starts it."""
    alexa.launch()
    assert alexa.say("AMAZON.YesIntent").text.startswith(f"Let's do {CATALOG.exercises[0].name}")


@pytest.mark.parametrize("exercise", CATALOG.exercises, ids=lambda e: e.id)
def test_every_exercise_starts_by_its_name_and_by_each_synonym(alexa: Alexa, exercise) -> None:
    """Every name and synonym the user might say starts that exercise, resolved or not."""
    alexa.launch()
    for spoken in (exercise.name, *exercise.aliases):
        reply = alexa.say("StartExerciseIntent", exercise=spoken)  # no entity resolution: matched by the skill
        assert_valid_turn(reply)
        assert f"Let's do {exercise.name}" in reply.text, spoken
    resolved = alexa.say("StartExerciseIntent", exercise={"value": "whatever was heard", "id": exercise.id})
    assert f"Let's do {exercise.name}" in resolved.text


def test_an_unknown_exercise_gets_the_list_and_the_session_stays_open(alexa: Alexa) -> None:
    """'Start jumping jacks': 'I don't know that one', the list of exercises, mic open."""
    alexa.launch()
    reply = alexa.say("StartExerciseIntent", exercise={"value": "jumping jacks", "id": None})
    assert_valid_turn(reply)
    assert "I don't know jumping jacks" in reply.text
    assert all(e.name in reply.text for e in CATALOG.exercises)
    assert reply.ends_session is False
    empty = alexa.say("StartExerciseIntent")
    assert "I don't know that one" in empty.text and empty.ends_session is False


def test_heard_text_is_escaped_in_speech(alexa: Alexa) -> None:
    """What the user said is spoken back safely even with XML characters in it."""
    alexa.launch()
    reply = alexa.say("StartExerciseIntent", exercise="<b>jacks & jumps</b>")
    assert "&lt;b&gt;jacks &amp; jumps&lt;/b&gt;" in reply.ssml
    assert_valid_turn(reply)


def test_sides_are_switched_with_a_question_between_them(alexa: Alexa) -> None:
    """Ankle circles: right leg, 'Ready for the left leg?', yes, left leg, then the next exercise."""
    ankle = CATALOG.get("ankle_circles")
    alexa.launch()
    gate = alexa.say("StartExerciseIntent", exercise={"value": "ankle rotations", "id": "ankle_circles"})
    assert_valid_turn(gate)
    assert gate.text.endswith(f"Say ready when {ankle.ready_when}.")
    first = alexa.say("ContinueIntent")
    assert_valid_turn(first)
    assert first.text.startswith(f"Let's begin. {ankle.sides[0].capitalize()} first.")
    assert first.text.endswith(f"Ready for the {ankle.sides[1]}?")
    second = alexa.say("AMAZON.YesIntent")
    assert second.text.startswith(f"Now the {ankle.sides[1]}.")
    assert f"Next up is {CATALOG.after('ankle_circles').name}" in second.text


def test_toe_walking_sets_and_rests_span_turns_without_losing_a_set(alexa: Alexa) -> None:
    """Every set of toe walking is announced exactly once across turns."""
    walk = CATALOG.get("toe_walk")
    alexa.launch()
    heard = alexa.say("StartExerciseIntent", exercise="tiptoe walking").text
    while "Next up" not in heard:
        heard += alexa.say("AMAZON.YesIntent").text
    for n in range(1, walk.sets + 1):
        assert heard.count(f"Set {number_word(n)} of {number_word(walk.sets)}.") == 1
    assert heard.count(f"Rest for {number_word(walk.rest_seconds)} seconds.") == walk.sets - 1


def test_whats_next_names_the_next_exercise_without_starting_it(alexa: Alexa) -> None:
    """'What's next' names what follows and about how long it takes; the place does not move."""
    alexa.launch()
    start_and_get_ready(alexa, "ankle circles")
    reply = alexa.say("WhatsNextIntent")
    assert_valid_turn(reply)
    assert re.search(rf"After ankle circles comes {CATALOG.after('ankle_circles').name}, which takes about", reply.text)
    assert alexa.say("AMAZON.YesIntent").text.startswith("Now the left leg.")


def test_pause_during_a_count_rewinds_to_the_start_of_that_part(alexa: Alexa) -> None:
    """'Alexa, pause' mid-count: resume repeats the interrupted side rather than skipping it."""
    alexa.launch()
    start_and_get_ready(alexa, "ankle circles")
    alexa.wait(5)  # the count takes about a minute; five seconds in, the user pauses
    paused = alexa.say("AMAZON.PauseIntent")
    assert_valid_turn(paused)
    assert "Paused at ankle circles, right leg." in paused.text
    resumed = alexa.say("AMAZON.ResumeIntent")
    assert resumed.text.startswith("Picking up at ankle circles. Right leg first.")  # the place said once


def test_pause_after_a_turn_keeps_the_next_part(alexa: Alexa) -> None:
    """Pausing once the count has played remembers the next side, and resume continues there."""
    alexa.launch()
    start_and_get_ready(alexa, "ankle circles")
    alexa.wait(120)
    assert "Paused at ankle circles, left leg." in alexa.say("AMAZON.PauseIntent").text
    assert alexa.say("AMAZON.ResumeIntent").text.startswith("Picking up at ankle circles. Now the left leg.")


def test_repeat_says_the_last_turn_again_count_included(alexa: Alexa) -> None:
    """'Repeat' replays exactly what was said, and the place does not move."""
    alexa.launch()
    counted = start_and_get_ready(alexa, "pencil pickups")
    again = alexa.say("AMAZON.RepeatIntent")
    assert again.ssml == counted.ssml
    assert again.reprompt == counted.reprompt


def test_tampered_repeat_text_is_never_spoken(alexa: Alexa) -> None:
    """Session attributes carrying foreign markup are not replayed."""
    alexa.launch()
    alexa.attributes["last_ssml"] = '<speak><audio src="https://evil.example/x.mp3"/></speak>'
    reply = alexa.say("AMAZON.RepeatIntent")
    assert "audio" not in reply.ssml
    assert_valid_turn(reply)


def test_start_over_restarts_the_current_exercise(alexa: Alexa) -> None:
    """'Start over' goes back to the set-up of the exercise in progress."""
    alexa.launch()
    alexa.say("StartExerciseIntent", exercise="ankle circles")
    reply = alexa.say("AMAZON.StartOverIntent")
    assert reply.text.startswith("Starting ankle circles again from the beginning. Let's do ankle circles.")


def test_skip_skips_the_rest_of_the_current_exercise_and_next_carries_on(alexa: Alexa) -> None:
    """'Skip' mid-exercise moves on to the following exercise; 'next' (as the help says) carries on."""
    alexa.launch()
    alexa.say("StartExerciseIntent", exercise="toe walking")
    carried_on = alexa.say("AMAZON.NextIntent")
    assert carried_on.text.startswith("Set "), carried_on.text
    alexa.say("StartExerciseIntent", exercise="toe walking")
    assert alexa.attributes["question"] == "next_part"  # part-way through toe walking
    reply = alexa.say("SkipIntent")
    assert reply.text.startswith(f"Skipping toe walking. Let's do {CATALOG.after('toe_walk').name}.")


def test_skipping_the_last_exercise_finishes_politely(alexa: Alexa) -> None:
    """Skipping past the last exercise ends with a goodbye, not an error."""
    alexa.launch()
    alexa.say("StartExerciseIntent", exercise="pencil pickups")
    reply = alexa.say("SkipIntent")
    assert reply.ends_session is True
    assert "last exercise" in reply.text


def test_instructions_explain_the_current_exercise(alexa: Alexa) -> None:
    """'How do I do this' gives the steps of the current exercise and asks to start."""
    alexa.launch()
    start_and_get_ready(alexa, "ankle circles")
    reply = alexa.say("InstructionsIntent")
    assert_valid_turn(reply)
    for step in (*CATALOG.get("ankle_circles").setup, *CATALOG.get("ankle_circles").steps):
        assert step in reply.text
    named = alexa.say("InstructionsIntent", exercise={"value": "band stretch", "id": "resisted_flexion"})
    assert CATALOG.get("resisted_flexion").steps[0] in named.text


def test_help_depends_on_where_the_user_is(alexa: Alexa) -> None:
    """Help lists the routine when idle, workout commands mid-exercise, resume when paused."""
    alexa.launch()
    idle = alexa.say("AMAZON.HelpIntent")
    assert "start the routine" in idle.text and idle.ends_session is False
    start_and_get_ready(alexa, "ankle circles")
    working = alexa.say("AMAZON.HelpIntent")
    assert "You're doing ankle circles" in working.text
    alexa.wait(200)
    alexa.say("AMAZON.PauseIntent")
    paused = alexa.say("AMAZON.HelpIntent")
    assert "resume" in paused.text
    for reply in (idle, working, paused):
        assert_valid_turn(reply)


@pytest.mark.parametrize("intent", ["AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.NavigateHomeIntent"])
def test_stop_and_cancel_say_goodbye_and_end_the_session(alexa: Alexa, intent: str) -> None:
    """Stop, cancel and home end the session politely."""
    alexa.launch()
    reply = alexa.say(intent)
    assert reply.ends_session is True
    assert "Goodbye" in reply.text or "Bye" in reply.text


@pytest.mark.parametrize("intent", ["AMAZON.FallbackIntent", "SomeIntentFromANewerModel"])
def test_unrecognised_words_get_guidance_not_silence(alexa: Alexa, intent: str) -> None:
    """Anything we cannot match gets a short apology and what can be said; the session stays open."""
    alexa.launch()
    reply = alexa.say(intent)
    assert_valid_turn(reply)
    assert reply.ends_session is False
    assert "start the routine" in reply.text


def test_welcome_back_resumes_where_the_user_stopped_across_restarts(tmp_path, client: FlaskClient) -> None:
    """Stop mid-exercise, restart the server, open again: 'Last time you stopped at ...', yes resumes."""
    db = f"sqlite:///{tmp_path / 'restart.sqlite'}"
    config = {"DATABASE_URL": db, "SKILL_VERIFY_SIGNATURES": False, "SKILL_ID": rq.SKILL_ID}
    first_app = create_app(config)
    alexa = Alexa(first_app.test_client())
    alexa.launch()
    start_and_get_ready(alexa, "ankle circles")
    alexa.wait(120)
    alexa.say("AMAZON.StopIntent")
    first_app.extensions["foot_coach_store"].close()

    second_app = create_app(config)
    later = Alexa(second_app.test_client())
    welcome = later.launch()
    assert welcome.text.startswith("Welcome back. Last time you stopped at ankle circles, left leg. Shall we carry on?")
    assert later.say("AMAZON.YesIntent").text.startswith("Picking up at ankle circles. Now the left leg.")
    later.say("AMAZON.StopIntent")
    offered = later.launch()
    assert "Shall we carry on?" in offered.text
    declined = later.say("AMAZON.NoIntent")
    assert "start the routine from the top?" in declined.text
    assert later.say("AMAZON.YesIntent").text.startswith(f"Let's do {CATALOG.exercises[0].name}")
    second_app.extensions["foot_coach_store"].close()


def test_each_user_keeps_their_own_place(client: FlaskClient) -> None:
    """Two accounts on one server do not see each other's progress."""
    anna, ben = Alexa(client, user_id="amzn1.ask.account.ANNA"), Alexa(client, user_id="amzn1.ask.account.BEN")
    anna.launch()
    anna.say("StartExerciseIntent", exercise="pencil pickups")
    anna.say("AMAZON.StopIntent")
    assert "pencil pickups" in anna.launch().text
    assert "Last time" not in ben.launch().text


def test_a_finished_routine_is_not_offered_for_resuming(alexa: Alexa) -> None:
    """After the last exercise, the next launch offers the routine, not a resume."""
    alexa.launch()
    heard = start_and_get_ready(alexa, "pencil pickups")
    while heard.ends_session is False:
        heard = alexa.say("AMAZON.YesIntent")
    assert "last exercise" in heard.text
    assert "Last time" not in alexa.launch().text


def test_slower_changes_the_counting_pace_at_once(alexa: Alexa) -> None:
    """'Slower' is confirmed, and the next count is spoken more slowly with longer rep beats."""
    alexa.launch()
    normal = start_and_get_ready(alexa, "ankle circles")
    ankle = CATALOG.get("ankle_circles")

    def beats(reply: Reply, pace: int) -> set[float]:
        return {round(s.measured, 2) for s in spans(runs_of(heard(reply.ssml)), ankle, PROMPTS, pace)}

    assert beats(normal, 100) == {ankle.rep_seconds}
    alexa.wait(120)
    assert "more slowly" in alexa.say("SlowerIntent").text
    slower = alexa.say("AMAZON.YesIntent")
    assert '<prosody rate="85%">' in slower.ssml
    assert beats(slower, 85) == {round(ankle.rep_seconds * 100 / 85, 2)}  # 2 s per circle at 85% pace


def test_session_ended_request_is_answered_quietly(alexa: Alexa) -> None:
    """A SessionEndedRequest gets an empty, valid response."""
    alexa.launch()
    response = alexa.client.post("/", json=rq.session_ended(reason="EXCEEDED_MAX_REPROMPTS"))
    assert response.status_code == 200
    assert "outputSpeech" not in response.get_json()["response"]


def test_unserved_request_types_do_not_fail(client: FlaskClient) -> None:
    """Request types we do not serve get a valid empty response, never a 500."""
    payload = rq.envelope({"type": "CanFulfillIntentRequest", "intent": {"name": "StartRoutineIntent", "slots": {}}})
    response = client.post("/", json=payload)
    assert response.status_code == 200
    assert response.get_json()["version"] == "1.0"


def test_tampered_session_attributes_fall_back_to_stored_progress(alexa: Alexa) -> None:
    """Garbage in session attributes cannot crash the skill; the user gets a normal answer."""
    alexa.launch()
    alexa.attributes = {"schema": 2, "question": "next_part", "mode": "routine",
                        "position": {"exercise_id": "../../etc", "set": -1, "side": 99, "rep": "x"}, "pace": "fast"}
    reply = alexa.say("AMAZON.YesIntent")
    assert_valid_turn(reply)
    alexa.attributes = {"schema": 2, "question": "next_part", "mode": "routine",
                        "position": {"exercise_id": "toe_walk", "set": 9, "side": 0, "rep": 1}}
    assert_valid_turn(alexa.say("ContinueIntent"))


def test_an_unexpected_error_is_apologised_for_and_logged_with_its_traceback(
        client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    """An IntentRequest with no intent breaks routing: the user hears an apology, the log gets the traceback."""
    with caplog.at_level("ERROR"):
        response = client.post("/", json=rq.envelope({"type": "IntentRequest"}))
    assert response.status_code == 200
    reply = Reply(response.get_json())
    assert "Sorry, something went wrong" in reply.text
    assert reply.ends_session is False and reply.reprompt
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert errors and errors[0].exc_info is not None
    assert "Traceback" not in response.get_data(as_text=True)


@pytest.mark.parametrize(("locale", "other_way"), [("en-GB", "anticlockwise"), ("en-AU", "anticlockwise"),
                                                   ("en-IN", "anticlockwise"), ("en-CA", "counterclockwise"),
                                                   ("en-US", "counterclockwise"), ("de-DE", "counterclockwise")])
def test_the_request_locale_picks_the_wording(client: FlaskClient, locale: str, other_way: str) -> None:
    """British, Australian and Indian English say 'anticlockwise'; other locales get US English, never an error."""
    alexa = Alexa(client, locale=locale)
    alexa.launch()
    reply = start_and_get_ready(alexa, "ankle circles")
    assert_valid_turn(reply)
    assert f"Now the other way, {other_way}." in reply.text
