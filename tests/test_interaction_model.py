"""The interaction model, the handlers and the exercise data must agree."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from skill.content import load_catalog, normalise
from skill.routing import INTENT_HANDLERS

MODEL_DIR = Path(__file__).resolve().parents[1] / "interaction_model"
MODEL = json.loads((MODEL_DIR / "en-US.json").read_text(encoding="utf-8"))["interactionModel"]["languageModel"]
INTENTS = {intent["name"]: intent for intent in MODEL["intents"]}
CATALOG = load_catalog()
REQUIRED_BUILT_INS = {
    "AMAZON.HelpIntent", "AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.PauseIntent", "AMAZON.ResumeIntent",
    "AMAZON.RepeatIntent", "AMAZON.NextIntent", "AMAZON.StartOverIntent", "AMAZON.YesIntent", "AMAZON.NoIntent",
    "AMAZON.FallbackIntent", "AMAZON.NavigateHomeIntent",
}
HANDLED = {name for handler in INTENT_HANDLERS for name in handler.intent_names}


def test_invocation_name_is_foot_coach() -> None:
    """Users open the skill with 'Alexa, open foot coach'."""
    assert MODEL["invocationName"] == "foot coach"


def test_required_built_in_intents_are_in_the_model() -> None:
    """Every built-in the skill relies on is declared."""
    missing = REQUIRED_BUILT_INS - set(INTENTS)
    assert not missing, f"add {sorted(missing)} to interaction_model/en-US.json intents"


def test_every_model_intent_has_a_handler() -> None:
    """Nothing the model can send falls through to the fallback by accident."""
    unhandled = set(INTENTS) - HANDLED
    assert not unhandled, f"add a handler (intent_names) for {sorted(unhandled)} in skill/handlers/"


def test_every_handled_intent_is_in_the_model() -> None:
    """A handler for an intent the model never sends is dead code."""
    unknown = HANDLED - set(INTENTS)
    assert not unknown, f"add {sorted(unknown)} to interaction_model/en-US.json or remove its handler"


@pytest.mark.parametrize("name", sorted(n for n in INTENTS if not n.startswith("AMAZON.")))
def test_custom_intents_have_at_least_eight_distinct_samples(name: str) -> None:
    """Enough sample utterances for reliable recognition; no duplicates."""
    samples = INTENTS[name]["samples"]
    assert len(samples) >= 8, f"give {name} at least 8 sample utterances"
    assert len({s.lower() for s in samples}) == len(samples), f"{name} has duplicate samples"


def test_samples_use_only_declared_slots_and_are_not_shared_between_intents() -> None:
    """Every {slot} in a sample is declared on its intent; one utterance maps to one intent."""
    seen: dict[str, str] = {}
    for name, intent in INTENTS.items():
        declared = {slot["name"] for slot in intent.get("slots", [])}
        for sample in intent["samples"]:
            used = set(re.findall(r"{(\w+)}", sample))
            assert used <= declared, f"declare slot(s) {sorted(used - declared)} on {name}"
            assert re.fullmatch(r"[a-z' {}]+", sample.lower()), f"{name}: sample {sample!r} has characters Alexa rejects"
            previous = seen.setdefault(sample.lower(), name)
            assert previous == name, f"sample {sample!r} is in both {previous} and {name}"


def test_exercise_slot_values_match_the_catalog() -> None:
    """Each exercise has a slot value whose id is the catalog id, with its name and every alias as synonyms."""
    types = {t["name"]: t for t in MODEL["types"]}
    values = {v["id"]: v["name"] for v in types["ExerciseName"]["values"]}
    assert set(values) == {e.id for e in CATALOG.exercises}, "ExerciseName value ids must equal exercises.json ids"
    for exercise in CATALOG.exercises:
        spoken = {values[exercise.id]["value"], *values[exercise.id].get("synonyms", [])}
        for alias in (exercise.name, *exercise.aliases):
            assert alias in spoken, f"add {alias!r} as a synonym of {exercise.id} in interaction_model/en-US.json"


def test_every_slot_synonym_resolves_to_its_exercise_in_the_skill() -> None:
    """Even without Alexa's entity resolution, every synonym finds the right exercise."""
    types = {t["name"]: t for t in MODEL["types"]}
    for value in types["ExerciseName"]["values"]:
        for spoken in (value["name"]["value"], *value["name"].get("synonyms", [])):
            found = CATALOG.find(spoken)
            assert found is not None and found.id == value["id"], (
                f"{spoken!r} should resolve to {value['id']}: add it to that exercise's aliases in exercises.json")
            assert normalise(spoken)


def test_exercise_slot_is_typed_with_the_catalog_slot_type() -> None:
    """Intents that take an exercise use the ExerciseName type."""
    for name in ("StartExerciseIntent", "InstructionsIntent"):
        slots = {s["name"]: s["type"] for s in INTENTS[name]["slots"]}
        assert slots == {"exercise": "ExerciseName"}
