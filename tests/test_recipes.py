"""The README's recipes, followed once each so they cannot rot.

"Add or change an exercise": a sixth exercise in a copy of the catalog loads, is counted, is offered by
name and reaches the interaction model. "Add a language": a new locale folder in a temporary tree loads
its prompts, words and exercise wording over en-US's, and its model builds within the rules. "Add a
storage backend": every store in skill/persistence/ keeps the ProgressStore contract and runs the
contract tests.
"""

from __future__ import annotations

import html
import importlib
import inspect
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from storage_fixtures import BACKENDS

import skill.persistence
from skill.content.catalog import CONTENT_DIR, LOCALES_DIR, load_catalog
from skill.content.model_rules import check_model
from skill.content.models import build_model
from skill.content.prompts import Prompts
from skill.persistence import ProgressStore, SqlStore
from skill.workout.planning import plan_turn
from skill.workout.routine import Mode, Position

HEEL_RAISES: dict[str, Any] = {
    "id": "heel_raises", "name": "heel raises", "aliases": ["heel raise", "calf raises"],
    "position": "Stand behind a chair and rest your hands on its back.", "equipment": ["a chair"],
    "steps": ["Rise onto the balls of your feet.", "Hold, then lower your heels slowly."],
    "work": {"kind": "hold", "cue": "Rise onto your toes", "release": "and lower"},
    "reps": 6, "hold_seconds": 2, "rep_seconds": None, "sets": 1, "rest_seconds": 0,
    "sides": None, "directions": None, "times_per_day": 2,
    "cautions": ["Keep hold of the chair."],
    "sources": {"reps": "Recipe test: six.", "hold_seconds": "Recipe test: two seconds.",
                "times_per_day": "Recipe test: twice a day."},
}


def spoken(prompts: Prompts, exercise_id: str, catalog: Any) -> str:
    """The first turn of an exercise as plain words."""
    ssml = plan_turn(catalog, prompts, Position(exercise_id), Mode.SINGLE).speech.to_ssml()
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", ssml)).split())


def test_add_an_exercise(tmp_path: Path) -> None:
    """Steps 1 and 2 (exercises.json and routine.order); the catalog, the counting and the model follow."""
    data = json.loads((CONTENT_DIR / "exercises.json").read_text(encoding="utf-8"))
    data["exercises"].append(HEEL_RAISES)
    data["routine"]["order"].append("heel_raises")
    path = tmp_path / "exercises.json"
    path.write_text(json.dumps(data), encoding="utf-8")

    catalog = load_catalog(path)
    assert len(catalog.exercises) == 6 and catalog.exercises[-1].id == "heel_raises"
    assert catalog.find("calf raises") is catalog.get("heel_raises")
    prompts = Prompts.load()
    assert catalog.names_list(prompts.words).endswith(", and heel raises")
    said = spoken(prompts, "heel_raises", catalog)
    assert "Let's do heel raises." in said and "You'll need a chair." in said
    assert said.count("Rise onto your toes") >= 1 and "Rep six." in said    # every rep counted, to the last
    model = build_model("en-US", catalog=catalog)
    [values] = [t["values"] for t in model["interactionModel"]["languageModel"]["types"] if t["name"] == "ExerciseName"]
    assert {"id": "heel_raises", "name": {"value": "heel raises", "synonyms": ["heel raise", "calf raises"]}} in values
    assert not check_model(model, "en-US")


@pytest.fixture
def locales(tmp_path: Path) -> Path:
    """A copy of the locales folder, to add a language to."""
    shutil.copytree(LOCALES_DIR, tmp_path / "locales")
    return tmp_path / "locales"


def test_add_a_language(locales: Path) -> None:
    """One folder: prompts, words, exercise wording and model differences, each over en-US's."""
    folder = locales / "xx-XX"
    folder.mkdir()
    files = {
        "prompts.json": {"exercise_intro": ["On fait {name}."], "rep_label": ["Répétition {n}."]},
        "words.json": {"numbers": {"ones": ["zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit",
                                            "neuf", "dix", "onze", "douze", "treize", "quatorze", "quinze", "seize",
                                            "dix-sept", "dix-huit", "dix-neuf"]},
                       "list": {"pair": "{first} et {last}", "final": "{rest} et {last}"}},
        "exercises.json": {"resisted_flexion": {"name": "flexion contre résistance",
                                                "aliases": ["flexion", "élastique"]}},
        "model.json": {"invocationName": "foot coach"},
    }
    for name, content in files.items():
        (folder / name).write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")

    prompts = Prompts.load("xx-XX", directory=locales)
    catalog = load_catalog(locale="xx-XX", locales_dir=locales)
    assert prompts.words.number(4) == "quatre" and prompts.words.join(["a", "b", "c"]) == "a, b et c"
    assert catalog.get("resisted_flexion").name == "flexion contre résistance"
    said = spoken(prompts, "resisted_flexion", catalog)
    assert "On fait flexion contre résistance." in said and "Répétition cinq." in said
    assert prompts.pick("rest", seconds="x") == Prompts.load().pick("rest", seconds="x")   # the rest stays en-US
    model = build_model("xx-XX", locales_dir=locales)
    assert not check_model(model, "xx-XX")
    [values] = [t["values"] for t in model["interactionModel"]["languageModel"]["types"] if t["name"] == "ExerciseName"]
    assert any(v["name"]["value"] == "flexion contre résistance" for v in values)


def store_classes() -> dict[str, type]:
    """Every store class in skill/persistence/, by the module (the backend) it lives in."""
    found: dict[str, type] = {}
    for path in sorted(Path(skill.persistence.__file__).parent.glob("*.py")):
        module = importlib.import_module(f"skill.persistence.{path.stem}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if (cls.__module__ == module.__name__ and cls is not ProgressStore and not inspect.isabstract(cls)
                    and (issubclass(cls, SqlStore) or cls.__name__.endswith("Store"))):
                found[path.stem] = cls
    return found


def test_add_a_storage_backend() -> None:
    """Each backend implements ProgressStore and is one of the contract tests' BACKENDS (storage_fixtures.py)."""
    classes = store_classes()
    assert {"sqlite", "postgres", "dynamodb"} <= set(classes)
    for backend, cls in classes.items():
        assert issubclass(cls, ProgressStore), f"{cls.__name__} does not implement persistence/protocol.ProgressStore"
    tested = {b if isinstance(b, str) else b.values[0] for b in BACKENDS}
    assert set(classes) <= tested, (f"add {sorted(set(classes) - tested)} to BACKENDS and database_url in "
                                    "tests/storage_fixtures.py, so the contract tests run on it")
