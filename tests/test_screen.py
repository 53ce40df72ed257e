"""Echo Show: the counter on screen moves in step with the spoken count; no APL for other devices."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Alexa
from flask.testing import FlaskClient

from skill.alexa.apl import DOCUMENT, TOKEN, counter_commands
from skill.content.catalog import load_catalog
from skill.content.prompts import Prompts
from skill.speech.ssml import Say
from skill.workout.planning import plan_turn
from skill.workout.routine import Mode, Position

CATALOG = load_catalog()
PROMPTS = Prompts.load()
APL_DEVICE = {"Alexa.Presentation.APL": {"runtime": {"maxVersion": "2023.2"}}}


def spoken_times(turn: Any, words: set[str]) -> list[tuple[float, str]]:
    """When each of `words` starts being spoken, from the SSML's own timeline."""
    return [(round(at, 2), event.text) for at, event in turn.speech.timeline()
            if isinstance(event, Say) and event.text in words]


@pytest.mark.parametrize("exercise", CATALOG.exercises, ids=lambda e: e.id)
def test_every_counter_step_happens_when_its_number_is_spoken(exercise: Any) -> None:
    """For every exercise, each counter value appears exactly when the matching count word is said."""
    turn = plan_turn(CATALOG, PROMPTS, Position(exercise.id), Mode.ROUTINE, briefed=True)
    numbered = [c for c in turn.cues if c.counter.isdigit() and c.caption != "Rest"]
    assert numbered, "a counted turn shows a counter"
    kind = exercise.work.kind
    if kind == "reps":
        expected_words = [PROMPTS.words.number(int(c.counter)) for c in numbered]
    elif kind == "hold":
        expected_words = [PROMPTS.pick("hold") if c.counter == "1" else PROMPTS.words.number(int(c.counter)) for c in numbered]
    else:  # timed: 0 appears as the walking starts (after the cue), then the seconds gone are spoken
        starts = [c for c in numbered if c.counter == "0"]
        firsts = [c for c in numbered if c.counter == str(exercise.work.count_every_seconds)]
        assert [b.at - a.at for a, b in zip(starts, firsts)] == pytest.approx(
            [float(exercise.work.count_every_seconds)] * len(starts), abs=0.01)
        numbered = [c for c in numbered if c.counter != "0"]
        expected_words = [PROMPTS.words.number(int(c.counter)) for c in numbered]
    timeline = [(at, text) for at, text in spoken_times(turn, set(expected_words))]
    assert [text for _, text in timeline] == expected_words
    assert [c.at for c in numbered] == pytest.approx([at for at, _ in timeline], abs=0.01)


def test_commands_replay_the_cues_at_their_times() -> None:
    """The Idle delays add up to each cue's time, and the counter is set to each cue's value."""
    turn = plan_turn(CATALOG, PROMPTS, Position("pencil_pickups"), Mode.ROUTINE, briefed=True)
    [sequential] = counter_commands(turn.cues)
    clock, seen = 0, []
    for step in sequential["commands"]:
        if step["type"] == "Idle":
            assert step["delay"] > 0
            clock += step["delay"]
        elif step["componentId"] == "counter":
            seen.append((clock, step["value"]))
    assert seen == [(round(c.at * 1000), c.counter) for c in turn.cues]
    hold = CATALOG.get("pencil_pickups").hold_seconds
    one_hold = [ms for ms, _ in seen[:hold]]
    # Each counted second holds a full second of silence after its number is said.
    assert all(later - earlier >= 1000 for earlier, later in zip(one_hold, one_hold[1:]))


def test_the_document_names_the_components_the_commands_set() -> None:
    """Every componentId the commands address exists in the APL document."""
    ids = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "id" in node:
                ids.add(node["id"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(DOCUMENT["mainTemplate"])
    assert DOCUMENT["type"] == "APL" and DOCUMENT["mainTemplate"]["parameters"] == ["payload"]
    turn = plan_turn(CATALOG, PROMPTS, Position("ankle_circles"), Mode.ROUTINE, briefed=True)
    used = {s["componentId"] for s in counter_commands(turn.cues)[0]["commands"] if s["type"] == "SetValue"}
    assert used <= ids


def test_an_echo_show_gets_the_document_and_the_timed_counter(client: FlaskClient) -> None:
    """With APL supported, a counted turn carries RenderDocument then ExecuteCommands with the same token."""
    alexa = Alexa(client, supported_interfaces=APL_DEVICE)
    alexa.launch()
    alexa.say("StartExerciseIntent", exercise="ankle circles")
    response = alexa.client.post("/", json=__import__("alexa_requests").intent(
        "AMAZON.YesIntent", session_attributes=alexa.attributes, supported_interfaces=APL_DEVICE))
    directives = response.get_json()["response"]["directives"]
    assert [d["type"] for d in directives] == ["Alexa.Presentation.APL.RenderDocument",
                                               "Alexa.Presentation.APL.ExecuteCommands"]
    assert {d["token"] for d in directives} == {TOKEN}
    assert directives[0]["datasources"]["screen"]["title"] == "Ankle circles"
    values = [s["value"] for s in directives[1]["commands"][0]["commands"]
              if s["type"] == "SetValue" and s["componentId"] == "counter"]
    reps = CATALOG.get("ankle_circles").reps
    assert values == [str(n) for n in range(1, reps + 1)] * len(CATALOG.get("ankle_circles").directions)


def test_devices_without_a_screen_get_no_apl(alexa: Alexa) -> None:
    """A plain Echo gets speech only."""
    alexa.launch()
    reply = alexa.say("StartExerciseIntent", exercise="ankle circles")
    assert "directives" not in reply.body["response"] or not reply.body["response"]["directives"]
