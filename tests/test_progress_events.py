"""Progress events: named after their turn, added exactly once, carried in the session while unsaved."""

from __future__ import annotations

from datetime import date

import alexa_requests as rq
from conftest import Alexa, Reply
from flask import Flask
from flask.testing import FlaskClient

from skill.content.catalog import load_catalog
from skill.persistence import SqlStore
from skill.progress.events import (
    MAX_APPLIED_IDS,
    MAX_UNSAVED_EVENTS,
    Applied,
    ProgressEvent,
    turn_event_ids,
    unsaved_from,
)
from skill.progress.state import APPLIED_KEY, SessionState, UserProgress

CATALOG = load_catalog()
DAY = date(2030, 6, 1)


def test_a_turns_events_are_named_after_its_request_and_keep_names_they_have() -> None:
    carried = ProgressEvent(DAY, True, id="00ff.0")
    named = turn_event_ids((carried, ProgressEvent(DAY, False), ProgressEvent(DAY, False, undo=True)), "req-1")
    assert named[0] is carried
    assert named[1].id.endswith(".1") and named[2].id.endswith(".2") and named[1].id != named[2].id
    assert turn_event_ids((ProgressEvent(DAY, False),), "req-1")[0].id == turn_event_ids((ProgressEvent(DAY, False),),
                                                                                          "req-1")[0].id
    assert turn_event_ids((ProgressEvent(DAY, False),), "req-2")[0].id != named[1].id.replace(".1", ".0")


def test_an_event_and_its_undo_have_different_names() -> None:
    finish = ProgressEvent(DAY, True, id="abc.0")
    assert finish.taken_back() == ProgressEvent(DAY, True, undo=True, id="abc.0~")
    assert ProgressEvent(DAY, True).taken_back().id == ""   # named by the turn that takes it back


def test_merging_the_same_events_twice_adds_them_once() -> None:
    events = turn_event_ids((ProgressEvent(DAY, True, routine_finished=True), ProgressEvent(DAY, False)), "r")
    once = UserProgress().merge_into({}, UserProgress(), events)
    twice = UserProgress().merge_into(once, UserProgress(), events)
    assert once == twice
    assert once["log"] == {"2030-06-01": {"sessions": 1, "exercises": 2}} and once["routines_completed"] == 1
    undo = turn_event_ids((events[1].taken_back(),), "s")
    taken_back = UserProgress().merge_into(UserProgress().merge_into(twice, UserProgress(), undo), UserProgress(), undo)
    assert taken_back["log"] == {"2030-06-01": {"sessions": 1, "exercises": 1}}


def test_the_stored_ids_are_bounded_and_keep_the_newest() -> None:
    applied = Applied([f"{n:x}.0" for n in range(MAX_APPLIED_IDS + 50)] + [7, None])
    assert len(applied.ids) == MAX_APPLIED_IDS and applied.ids[-1] == f"{MAX_APPLIED_IDS + 49:x}.0"
    merged = UserProgress().merge_into({APPLIED_KEY: applied.ids}, UserProgress(),
                                       turn_event_ids((ProgressEvent(DAY, True),), "new"))
    assert len(merged[APPLIED_KEY]) == MAX_APPLIED_IDS and merged[APPLIED_KEY][0] == "33.0"


def test_unsaved_events_from_the_session_are_validated_and_bounded() -> None:
    good = {"day": "2030-06-01", "new_session": True, "id": "ab.0"}
    assert unsaved_from([good]) == (ProgressEvent(DAY, True, id="ab.0"),)
    bad = [{"day": "0001-01-01", "id": "ab.1"}, {"day": "2030-06-01"}, {"day": "2030-06-01", "id": "<script>"},
           {"day": "2030-06-01", "id": 5}, "x", None, {"day": "9999-12-31", "id": "ab.2"}]
    assert unsaved_from(bad) == () and unsaved_from("nope") == ()
    assert len(unsaved_from([good] * 1000)) == MAX_UNSAVED_EVENTS
    state = SessionState.from_dict({"schema": 2, "question": "none", "mode": "routine", "unsaved": [good]}, CATALOG)
    assert state is not None and state.unsaved == (ProgressEvent(DAY, True, id="ab.0"),)
    assert SessionState.from_dict(state.to_dict(), CATALOG) == state


def test_unsaved_events_already_stored_are_neither_counted_again_nor_carried() -> None:
    events = turn_event_ids((ProgressEvent(DAY, True), ProgressEvent(DAY, False)), "r")
    stored = UserProgress.from_dict(UserProgress().merge_into({}, UserProgress(), events[:1]), CATALOG)
    progress, pending = stored.with_unsaved(events)
    assert pending == events[1:]
    assert progress.log.exercises_on(DAY) == 2 and progress.log.sessions_on(DAY) == 1


def test_a_replayed_request_counts_once(app: Flask, client: FlaskClient) -> None:
    """Alexa retries a request (same request id, same session): the finish it reports is stored once."""
    alexa = Alexa(client)
    alexa.launch()
    finish = rq.intent("StartExerciseIntent", {"exercise": {"value": "toe presses", "id": "toe_press"}},
                       session_attributes=alexa.attributes, at=alexa.clock)
    for _ in range(3):
        response = client.post("/", json=finish)
        assert response.status_code == 200
        assert "That's toe presses" in Reply(response.get_json()).text
    store: SqlStore = app.extensions["foot_coach_store"]
    stored = store.get_attributes(rq.to_model(rq.launch()))
    day = next(iter(stored["log"]))
    assert stored["log"][day] == {"sessions": 1, "exercises": 1}
