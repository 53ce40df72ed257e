"""Interaction models: each locale's model is built from one base and that locale's differences.

``locales/en-US/model.json`` is the whole model (invocation name, intents, samples, slot types),
except the ``ExerciseName`` values: those are the locale's catalog (exercises.json with its wording
applied), every exercise's id, name and aliases, so an exercise or alias is written once.
``locales/<locale>/model.json`` holds only what that locale says differently ({} when nothing):

    {"invocationName": "foot coach",
     "samples": {"StartExerciseIntent": {"add": ["let's have a go at {exercise}"], "remove": ["..."]}}}

``./dev models`` writes the results to interaction_model/<locale>.json (the console-ready copies,
also used by ./dev package and the local console); tests/test_models.py checks they are current.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from skill.content.catalog import (
    BASE_LOCALE,
    LOCALES_DIR,
    Catalog,
    ContentError,
    load_catalog,
)

EXERCISE_SLOT_TYPE = "ExerciseName"
DIFFERENCE_KEYS = ("invocationName", "samples")


def build_model(locale: str, *, locales_dir: Path = LOCALES_DIR, catalog: Catalog | None = None) -> dict[str, Any]:
    """The locale's interaction model, as the developer console and the ASK CLI take it.

    Raises:
        ContentError: the base or the locale's differences are malformed; the message names the file and field.
    """
    base_file = locales_dir / BASE_LOCALE / "model.json"
    model: dict[str, Any] = _read(base_file)
    language = model.get("interactionModel", {}).get("languageModel")
    if not isinstance(language, dict) or not isinstance(language.get("intents"), list):
        raise ContentError(f"{_name(base_file)}: needs interactionModel.languageModel with intents")
    if locale != BASE_LOCALE:
        differences_file = locales_dir / locale / "model.json"
        if not differences_file.exists():
            raise ContentError(f"{_name(differences_file)} is missing: add it, {{}} if {locale} says nothing differently")
        _apply_differences(language, _read(differences_file), _name(differences_file))
    _fill_exercise_values(language, catalog or load_catalog(locale=locale, locales_dir=locales_dir), _name(base_file))
    return model


def model_text(model: dict[str, Any]) -> str:
    """The model as written to interaction_model/<locale>.json (stable, reviewable diffs)."""
    return json.dumps(model, indent=2, ensure_ascii=False) + "\n"


def _apply_differences(language: dict[str, Any], differences: Any, name: str) -> None:
    """Apply one locale's differences to a copy of the base language model, refusing anything unclear."""
    if not isinstance(differences, dict):
        raise ContentError(f"{name}: must be an object ({{}} when the locale says nothing differently)")
    unknown = sorted(set(differences) - set(DIFFERENCE_KEYS))
    if unknown:
        raise ContentError(f"{name}: {unknown} cannot differ by locale; only {list(DIFFERENCE_KEYS)} can")
    if "invocationName" in differences:
        if not isinstance(differences["invocationName"], str):
            raise ContentError(f"{name}: invocationName must be a string")
        language["invocationName"] = differences["invocationName"]
    intents = {intent["name"]: intent for intent in language["intents"]}
    for intent_name, change in differences.get("samples", {}).items():
        if intent_name not in intents:
            raise ContentError(f"{name}: samples.{intent_name}: no such intent in the base model (locales share intents)")
        if not isinstance(change, dict) or set(change) - {"add", "remove"}:
            raise ContentError(f"{name}: samples.{intent_name} must be {{\"add\": [...], \"remove\": [...]}}")
        samples = list(intents[intent_name].get("samples", []))
        for sample in change.get("remove", []):
            if sample not in samples:
                raise ContentError(f"{name}: samples.{intent_name}.remove: {sample!r} is not a sample of the base model")
            samples.remove(sample)
        for sample in change.get("add", []):
            if sample in samples:
                raise ContentError(f"{name}: samples.{intent_name}.add: {sample!r} is already a sample")
            samples.append(sample)
        intents[intent_name]["samples"] = samples


def _fill_exercise_values(language: dict[str, Any], catalog: Catalog, name: str) -> None:
    """ExerciseName values from the catalog: id, name, and every alias as a synonym, in routine order."""
    types = {t.get("name"): t for t in language.get("types", [])}
    slot_type = types.get(EXERCISE_SLOT_TYPE)
    if slot_type is None:
        raise ContentError(f"{name}: declare the {EXERCISE_SLOT_TYPE} slot type (its values come from exercises.json)")
    if slot_type.get("values"):
        raise ContentError(f"{name}: {EXERCISE_SLOT_TYPE} values come from exercises.json; leave \"values\": [] here")
    slot_type["values"] = [{"id": e.id, "name": {"value": e.name, "synonyms": list(e.aliases)}}
                           for e in catalog.exercises]


def _read(path: Path) -> Any:
    try:
        return copy.deepcopy(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, json.JSONDecodeError) as err:
        raise ContentError(f"{_name(path)}: cannot read the model: {err}") from err


def _name(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"
