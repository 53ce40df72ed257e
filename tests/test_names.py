"""Every exercise by the names people use: held-out phrasings through the interaction model, unknown names.

The phrasings below were written as people say them, before and apart from the model's samples; none
is a sample. Each is matched through the interaction model the way the console does (console/matching.py:
samples, slot values and synonyms, entity resolution), in every locale, and at least 90% must reach
the right exercise. Unknown names still get the list of what there is, with the name heard cut short.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import Alexa

from skill.console.matching import UtteranceMatcher, normalise
from skill.content.catalog import SUPPORTED_LOCALES

MODEL_DIR = Path(__file__).resolve().parents[1] / "interaction_model"
COVERAGE = 0.90
HELD_OUT = [
    ("the pencil one", "pencil_pickups"),
    ("the band one", "resisted_flexion"),
    ("pencil pickups please", "pencil_pickups"),
    ("do the pencil exercise", "pencil_pickups"),
    ("the band exercise", "resisted_flexion"),
    ("let's do the band one", "resisted_flexion"),
    ("can we do the ankle circles", "ankle_circles"),
    ("I'd like to do the toe presses", "toe_press"),
    ("start the tiptoe walking", "toe_walk"),
    ("do the walking on tiptoes one", "toe_walk"),
    ("the ankle one please", "ankle_circles"),
    ("ankle circles please", "ankle_circles"),
    ("let's do the circles", "ankle_circles"),
    ("the resistance band one", "resisted_flexion"),
    ("do the stretch with the band", "resisted_flexion"),
    ("the toe curl exercise", "toe_press"),
    ("let's do the warm up", "toe_press"),
    ("go to the pencil exercise", "pencil_pickups"),
    ("can we do pencil pickups", "pencil_pickups"),
    ("I want to do the ankle rotations", "ankle_circles"),
    ("start the pencil one", "pencil_pickups"),
    ("the tiptoe one", "toe_walk"),
    ("toe walking please", "toe_walk"),
    ("do the band stretch please", "resisted_flexion"),
    ("picking up the pencil please", "pencil_pickups"),
    ("the one with the pencil", "pencil_pickups"),
    ("the one with the band", "resisted_flexion"),
    ("do the elastic band exercise", "resisted_flexion"),
    ("start ankle rolls", "ankle_circles"),
    ("do some tiptoe walking", "toe_walk"),
    ("let's do toe grips", "toe_press"),
    ("how about the pencil one", "pencil_pickups"),
    ("the toe walking exercise please", "toe_walk"),
    ("can I do the pencil one", "pencil_pickups"),
    ("I'll do the band one", "resisted_flexion"),
    ("the walking one", "toe_walk"),
    ("let's try the ankle exercise", "ankle_circles"),
    ("time for pencil pickups", "pencil_pickups"),
    ("the toe squeeze one", "toe_press"),
    ("let's do the plantar flexion", "resisted_flexion"),
]


def matcher(locale: str) -> UtteranceMatcher:
    return UtteranceMatcher.from_file(MODEL_DIR / f"{locale}.json")


def test_the_held_out_phrasings_are_not_samples() -> None:
    """Held out means held out: no phrasing is a sample of any intent (which would test nothing)."""
    language = json.loads((MODEL_DIR / "en-US.json").read_text(encoding="utf-8"))["interactionModel"]["languageModel"]
    samples = {normalise(s) for intent in language["intents"] for s in intent.get("samples", [])}
    assert len(HELD_OUT) >= 30
    assert not [said for said, _ in HELD_OUT if normalise(said) in samples]


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_natural_names_reach_the_right_exercise(locale: str) -> None:
    """At least 90% of the held-out phrasings start the right exercise, resolved to its id."""
    match = matcher(locale).match
    missed = []
    for said, exercise_id in HELD_OUT:
        found = match(said)
        resolved = [slot.value.id for slot in found.slots if slot.name == "exercise" and slot.value]
        if found.intent != "StartExerciseIntent" or resolved != [exercise_id]:
            missed.append(f"{said!r} -> {found.describe()}")
    coverage = 1 - len(missed) / len(HELD_OUT)
    assert coverage >= COVERAGE, f"{coverage:.0%} reached the right exercise; missed: {missed}"


@pytest.mark.parametrize(("said", "exercise"), [("the pencil one", "pencil pickups"), ("the band exercise", "resisted flexion"),
                                                ("pencil pickups please", "pencil pickups")])
def test_a_name_alexa_did_not_resolve_is_still_found_by_the_skill(alexa: Alexa, said: str, exercise: str) -> None:
    """When entity resolution misses, the words heard ("the pencil one") still find the exercise."""
    alexa.launch()
    reply = alexa.say("StartExerciseIntent", exercise=said)
    assert reply.text.startswith(f"Let's do {exercise}.")


def test_an_unknown_name_is_cut_short_and_the_list_follows(alexa: Alexa) -> None:
    """A long unknown name is said back only in part; the list of exercises follows; the mic stays open."""
    alexa.launch()
    rambling = "the one my physio showed me last week with the towel and the little ball"
    reply = alexa.say("StartExerciseIntent", exercise=rambling)
    assert reply.text.startswith("I don't know the one my physio. I can guide you through toe presses,")
    assert "towel" not in reply.text and reply.ends_session is False
