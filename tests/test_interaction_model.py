"""Every locale's interaction model, the handlers and the exercise data must agree."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from skill.alexa.routing import INTENT_HANDLERS
from skill.content.catalog import SUPPORTED_LOCALES, Catalog, load_catalog, normalise

MODEL_DIR = Path(__file__).resolve().parents[1] / "interaction_model"
REQUIRED_BUILT_INS = {
    "AMAZON.HelpIntent", "AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.PauseIntent", "AMAZON.ResumeIntent",
    "AMAZON.RepeatIntent", "AMAZON.NextIntent", "AMAZON.StartOverIntent", "AMAZON.YesIntent", "AMAZON.NoIntent",
    "AMAZON.FallbackIntent", "AMAZON.NavigateHomeIntent",
}
HANDLED = {name for handler in INTENT_HANDLERS for name in handler.intent_names}


class Model:
    """One locale's language model, with its intents by name and the catalog in that locale."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self.file = f"interaction_model/{locale}.json"
        self.language = json.loads((MODEL_DIR / f"{locale}.json").read_text(encoding="utf-8"))[
            "interactionModel"]["languageModel"]
        self.intents: dict[str, dict[str, Any]] = {i["name"]: i for i in self.language["intents"]}
        self.types = {t["name"]: t for t in self.language["types"]}
        self.catalog: Catalog = load_catalog(locale=locale)


@pytest.fixture(params=SUPPORTED_LOCALES)
def model(request: pytest.FixtureRequest) -> Model:
    return Model(request.param)


def test_every_supported_locale_has_a_model() -> None:
    """One model file per English marketplace, and no stray ones."""
    assert sorted(p.stem for p in MODEL_DIR.glob("*.json")) == sorted(SUPPORTED_LOCALES)


def test_invocation_name_is_foot_coach(model: Model) -> None:
    """Users open the skill with 'Alexa, open foot coach'."""
    assert model.language["invocationName"] == "foot coach"


def test_required_built_in_intents_are_in_the_model(model: Model) -> None:
    """Every built-in the skill relies on is declared."""
    missing = REQUIRED_BUILT_INS - set(model.intents)
    assert not missing, f"add {sorted(missing)} to {model.file} intents"


def test_every_model_intent_has_a_handler(model: Model) -> None:
    """Nothing the model can send falls through to the fallback by accident."""
    unhandled = set(model.intents) - HANDLED
    assert not unhandled, f"add a handler (intent_names) for {sorted(unhandled)} in skill/handlers/"


def test_every_handled_intent_is_in_the_model(model: Model) -> None:
    """A handler for an intent the model never sends is dead code."""
    unknown = HANDLED - set(model.intents)
    assert not unknown, f"add {sorted(unknown)} to {model.file} or remove its handler"


def test_custom_intents_have_at_least_eight_distinct_samples(model: Model) -> None:
    """Enough sample utterances for reliable recognition; no duplicates."""
    for name, intent in model.intents.items():
        if name.startswith("AMAZON."):
            continue
        samples = intent["samples"]
        assert len(samples) >= 8, f"give {name} at least 8 sample utterances in {model.file}"
        assert len({s.lower() for s in samples}) == len(samples), f"{name} has duplicate samples in {model.file}"


def test_samples_use_only_declared_slots_and_are_not_shared_between_intents(model: Model) -> None:
    """Every {slot} in a sample is declared on its intent; one utterance maps to one intent."""
    seen: dict[str, str] = {}
    for name, intent in model.intents.items():
        declared = {slot["name"] for slot in intent.get("slots", [])}
        for sample in intent["samples"]:
            used = set(re.findall(r"{(\w+)}", sample))
            assert used <= declared, f"declare slot(s) {sorted(used - declared)} on {name} in {model.file}"
            assert re.fullmatch(r"[a-z0-9' {}]+", sample.lower()), f"{name}: sample {sample!r} has characters Alexa rejects"
            previous = seen.setdefault(sample.lower(), name)
            assert previous == name, f"sample {sample!r} is in both {previous} and {name} in {model.file}"


def test_exercise_slot_values_match_the_catalog(model: Model) -> None:
    """Each exercise has a slot value whose id is the catalog id, with its name and every alias as synonyms."""
    values = {v["id"]: v["name"] for v in model.types["ExerciseName"]["values"]}
    assert set(values) == {e.id for e in model.catalog.exercises}, f"ExerciseName ids in {model.file} must equal exercises.json ids"
    for exercise in model.catalog.exercises:
        spoken = {values[exercise.id]["value"], *values[exercise.id].get("synonyms", [])}
        for alias in (exercise.name, *exercise.aliases):
            assert alias in spoken, f"add {alias!r} as a synonym of {exercise.id} in {model.file}"


def test_every_slot_synonym_resolves_to_its_exercise_in_the_skill(model: Model) -> None:
    """Even without Alexa's entity resolution, every synonym finds the right exercise."""
    for value in model.types["ExerciseName"]["values"]:
        for spoken in (value["name"]["value"], *value["name"].get("synonyms", [])):
            assert normalise(spoken)
            found = model.catalog.find(spoken)
            assert found is not None and found.id == value["id"], (
                f"{spoken!r} should resolve to {value['id']}: add it to that exercise's aliases in exercises.json")


def test_exercise_slot_is_typed_with_the_catalog_slot_type(model: Model) -> None:
    """Intents that take an exercise use the ExerciseName type."""
    for name in ("StartExerciseIntent", "InstructionsIntent"):
        slots = {s["name"]: s["type"] for s in model.intents[name]["slots"]}
        assert slots == {"exercise": "ExerciseName"}


def test_locales_offer_the_same_intents_and_slots(model: Model) -> None:
    """Every marketplace understands the same things; only wording may differ."""
    base = Model("en-US")
    assert set(model.intents) == set(base.intents)
    for name, intent in model.intents.items():
        assert intent.get("slots", []) == base.intents[name].get("slots", []), f"{name} slots differ in {model.file}"
