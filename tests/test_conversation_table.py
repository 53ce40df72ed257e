"""Every cell of the conversation table, through real request JSON: each pending question × each thing a
user can say × each kind of place (in a set, between sides, between exercises, nothing under way).

For each cell the reply must be a valid turn that leaves the user a way on (or ends the session on
purpose), and must never delete, finish or move anything the cell does not say.
"""

from __future__ import annotations

import itertools
import re
import uuid
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

import alexa_requests as rq
import pytest
from conftest import Reply
from flask import Flask
from flask.testing import FlaskClient

from skill.content.catalog import load_catalog
from skill.conversation.table import ANYWHERE, BY_QUESTION, Action, cancels, outcome
from skill.progress.history import TrainingLog
from skill.progress.state import (
    POSITIONED_QUESTIONS,
    Question,
    SessionState,
    UserProgress,
)
from skill.speech.ssml import MAX_BREAK_MS, MAX_SSML_CHARS
from skill.workout.routine import Mode, Position, Workout

CATALOG = load_catalog()
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
TODAY = NOW.date()

# Each kind of place a question can be asked at: (position, briefed). None: nothing under way.
PLACES: dict[str, tuple[Position | None, bool]] = {
    "in a set": (Position("toe_press", 1, 0, 4), True),
    "between sides": (Position("ankle_circles", 1, 1, 1), True),
    "between exercises": (Position("toe_walk"), False),
    "nothing under way": (None, False),
}
# What each action is, as Alexa sends it.
REQUESTS: dict[Action, tuple[str, dict[str, Any] | None]] = {
    Action.START_ROUTINE: ("StartRoutineIntent", None),
    Action.START_EXERCISE: ("StartExerciseIntent", {"exercise": {"value": "pencil pickups", "id": "pencil_pickups"}}),
    Action.YES: ("AMAZON.YesIntent", None),
    Action.READY: ("ContinueIntent", None),
    Action.NO: ("AMAZON.NoIntent", None),
    Action.SKIP: ("SkipIntent", None),
    Action.START_OVER: ("AMAZON.StartOverIntent", None),
    Action.REPEAT: ("AMAZON.RepeatIntent", None),
    Action.HELP: ("AMAZON.HelpIntent", None),
    Action.PAUSE: ("AMAZON.PauseIntent", None),
    Action.RESUME: ("AMAZON.ResumeIntent", None),
    Action.STOP: ("AMAZON.StopIntent", None),
    Action.CANCEL: ("AMAZON.CancelIntent", None),
    Action.SLOWER: ("SlowerIntent", None),
    Action.FASTER: ("FasterIntent", None),
    Action.NORMAL_PACE: ("NormalPaceIntent", None),
    Action.SOUNDS_OFF: ("SoundsOffIntent", None),
    Action.SOUNDS_ON: ("SoundsOnIntent", None),
    Action.INSTRUCTIONS: ("InstructionsIntent", {"exercise": {"value": "pencil pickups", "id": "pencil_pickups"}}),
    Action.WHATS_NEXT: ("WhatsNextIntent", None),
    Action.HOW_AM_I_DOING: ("HowAmIDoingIntent", None),
    Action.PAIN: ("PainIntent", None),
    Action.FORGET_ME: ("ForgetMeIntent", None),
    Action.FALLBACK: ("AMAZON.FallbackIntent", None),
    Action.HARDER: ("HarderIntent", None),
    Action.EASIER: ("EasierIntent", None),
    Action.SIT_DOWN: ("SitDownIntent", None),
    Action.USUAL_WAY: ("UsualWayIntent", None),
}
# Written from what a person means, not read from the table (so a wrong table cell fails here):
# only these may move the place or count (and so record a finished exercise) ...
MAY_MOVE = {Action.START_ROUTINE, Action.START_EXERCISE, Action.YES, Action.READY, Action.SKIP,
            Action.START_OVER, Action.RESUME,
            # another version of the exercise under way ("make it harder") starts it again from its set-up
            Action.HARDER, Action.EASIER, Action.SIT_DOWN, Action.USUAL_WAY}
# ... and only these may end the session (a counting action only when it finishes the routine).
MAY_END = {Action.STOP, Action.CANCEL, Action.NO, Action.PAIN, Action.SKIP, Action.SESSION_ENDED}
STORED_LOG = TrainingLog().record_exercise(TODAY, new_session=True)


def cells() -> list[tuple[Question, Action, str]]:
    """Every valid (question, action, place) cell."""
    out = []
    for question, action, place in itertools.product(Question, Action, PLACES):
        position, _ = PLACES[place]
        if position is None and question in POSITIONED_QUESTIONS:
            continue  # such session attributes are refused as not ours (tested in test_bad_input.py)
        out.append((question, action, place))
    return out


def session_for(question: Question, place: str) -> dict[str, Any]:
    position, briefed = PLACES[place]
    state = SessionState(workout=Workout(Mode.ROUTINE, position), briefed=briefed, question=question,
                         offered="pencil_pickups" if question is Question.START_NAMED else None,
                         heard_safety=True, last_reprompt="Shall I set daily reminders at 8 am? Please say yes or no.")
    return state.to_dict()


def store_progress(app: Flask, user_id: str, place: str) -> dict[str, Any]:
    position, _ = PLACES[place]
    document = replace(UserProgress(place=position, heard_safety=True), log=STORED_LOG).to_dict()
    store = app.extensions["foot_coach_store"]
    store.save_attributes(rq.to_model(rq.launch(user_id=user_id)), dict(document))
    return document


def stored(app: Flask, user_id: str) -> dict[str, Any]:
    store = app.extensions["foot_coach_store"]
    return {k: v for k, v in store.get_attributes(rq.to_model(rq.launch(user_id=user_id))).items() if k != "_version"}


def request_for(action: Action, question: Question, place: str, user_id: str) -> dict[str, Any]:
    attributes = session_for(question, place)
    common = {"user_id": user_id, "at": NOW, "session_attributes": attributes}
    if action is Action.LAUNCH:
        return rq.launch(user_id=user_id, at=NOW)
    if action is Action.SESSION_ENDED:
        return rq.session_ended("EXCEEDED_MAX_REPROMPTS", **common)
    name, slots = REQUESTS[action]
    return rq.intent(name, slots, **common)


def assert_valid(reply: Reply) -> None:
    if not reply.ssml:
        return
    assert reply.text
    assert len(reply.ssml) <= MAX_SSML_CHARS
    for value, unit in re.findall(r'<break time="(\d+)(ms|s)"/>', reply.ssml):
        assert int(value) * (1 if unit == "ms" else 1000) <= MAX_BREAK_MS


def test_the_table_has_a_meaning_for_every_cell() -> None:
    """Every action has a meaning anywhere, every override names a real outcome, every question has a row."""
    from skill.conversation.dialogue import Dialogue

    assert set(ANYWHERE) == set(Action)
    assert set(BY_QUESTION) == set(Question)
    for question, action in itertools.product(Question, Action):
        assert callable(getattr(Dialogue, outcome(question, action), None)), (question, action)
    assert set(REQUESTS) | {Action.LAUNCH, Action.SESSION_ENDED} == set(Action)


@pytest.mark.parametrize("question, action, place", cells(),
                         ids=lambda v: v.value if isinstance(v, (Question, Action)) else str(v).replace(" ", "-"))
def test_every_cell(app: Flask, client: FlaskClient, question: Question, action: Action, place: str) -> None:
    """A valid turn with a way on; nothing deleted, finished or moved that the cell does not say."""
    user_id = f"amzn1.ask.account.CELL-{uuid.uuid4().hex}"
    before = store_progress(app, user_id, place)
    response = client.post("/", json=request_for(action, question, place, user_id))
    assert response.status_code == 200, response.get_data(as_text=True)
    reply = Reply(response.get_json())
    assert_valid(reply)
    done = outcome(question, action) if action is not Action.LAUNCH else "launch"
    after = stored(app, user_id)
    if reply.ends_session is False:
        assert reply.reprompt, f"{done}: the mic stays open, so the question must be asked again on silence"
        assert reply.session_attributes.get("question") not in (None, "none"), done
    elif reply.ends_session is None and action is not Action.SESSION_ENDED:
        directives = reply.body["response"].get("directives") or []
        assert any(d.get("type") == "Connections.SendRequest" for d in directives), \
            f"{done}: the session is left to Alexa only while Alexa asks for a permission"
    elif action is not Action.SESSION_ENDED:
        counted_to_the_end = action in MAY_MOVE and "see you next time" in reply.text.lower()
        deleted = (question, action) == (Question.CONFIRM_FORGET, Action.YES)
        assert action in MAY_END or counted_to_the_end or deleted, f"{done} ended the session: {reply.text}"
    if done != "forget":
        assert after, f"{done} deleted the user's progress"
    else:
        assert question is Question.CONFIRM_FORGET and action is Action.YES and not after
        return
    if action not in MAY_MOVE:
        assert after.get("log") == before["log"], f"{done} changed the training history"
        assert after.get("place") == before["place"], f"{done} moved the place: {after.get('place')}"
    if action is Action.PAIN:
        words = reply.text.lower()
        assert "health professional" in words and "carry on" not in words and "ready" not in words, reply.text
    if question is Question.CONFIRM_FORGET and action is not Action.YES:
        assert reply.session_attributes.get("question") != "confirm_forget" or action is Action.FORGET_ME


def test_a_cancelled_question_no_longer_takes_its_yes() -> None:
    """Destructive and detour questions are cancelled by any answer not listed for them."""
    for action in Action:
        if action not in (Action.YES, Action.NO, Action.FALLBACK, Action.FORGET_ME):
            assert cancels(Question.CONFIRM_FORGET, action), action
    assert outcome(Question.CONFIRM_FORGET, Action.YES) == "forget"
    assert all(outcome(q, a) != "forget" for q, a in itertools.product(Question, Action)
               if (q, a) != (Question.CONFIRM_FORGET, Action.YES))


def test_the_walk_covers_hundreds_of_cells() -> None:
    """The figure for the closing note, and a guard that the walk did not silently shrink."""
    assert len(cells()) >= len(Question) * len(Action) * 2
