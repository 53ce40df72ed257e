"""One source for every locale's model: interaction_model/ is exactly what ./dev models builds, within the build rules."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from deploy.models import MODEL_DIR, expected_files
from skill.content.catalog import LOCALES_DIR, SUPPORTED_LOCALES, ContentError, load_catalog
from skill.content.model_rules import check_model
from skill.content.models import build_model

BASE = build_model("en-US")


def test_committed_models_are_exactly_what_dev_models_writes() -> None:
    """Edit skill/content/locales/*/model.json (or exercises.json), never interaction_model/ by hand."""
    for path, text in expected_files().items():
        assert path.read_text(encoding="utf-8") == text, f"{path.name} is out of date: run ./dev models and commit it"
    assert sorted(p.name for p in MODEL_DIR.glob("*.json")) == sorted(f"{loc}.json" for loc in SUPPORTED_LOCALES)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_locale_passes_the_build_rules(locale: str) -> None:
    """What the developer console would refuse to build, found offline, every rule named."""
    violations = [str(v) for v in check_model(build_model(locale), locale)]
    assert not violations, "\n".join(violations)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_locale_has_its_differences_file_and_its_catalog_in_the_slot(locale: str) -> None:
    """A locale folder has model.json ({} when nothing differs); ExerciseName is that locale's catalog."""
    assert (LOCALES_DIR / locale / "model.json").is_file()
    [slot_type] = [t for t in build_model(locale)["interactionModel"]["languageModel"]["types"]
                   if t["name"] == "ExerciseName"]
    catalog = load_catalog(locale=locale)
    assert [(v["id"], v["name"]["value"], v["name"]["synonyms"]) for v in slot_type["values"]] == [
        (e.id, e.name, list(e.aliases)) for e in catalog.exercises]


def locale_tree(tmp_path: Path, differences: Any) -> Path:
    """A copy of the locales folder whose en-GB/model.json holds these differences."""
    tree = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, tree)
    (tree / "en-GB" / "model.json").write_text(json.dumps(differences), encoding="utf-8")
    return tree


def intent_samples(model: dict[str, Any], name: str) -> list[str]:
    return next(i for i in model["interactionModel"]["languageModel"]["intents"] if i["name"] == name)["samples"]


def test_a_locale_adds_and_removes_samples_and_keeps_the_rest_of_the_base(tmp_path: Path) -> None:
    """Differences are applied to the base; everything else is the base's."""
    tree = locale_tree(tmp_path, {"samples": {"StartRoutineIntent": {"add": ["let's crack on"], "remove": ["let's go"]}}})
    model = build_model("en-GB", locales_dir=tree)
    assert intent_samples(model, "StartRoutineIntent") == [
        s for s in intent_samples(BASE, "StartRoutineIntent") if s != "let's go"] + ["let's crack on"]
    expected = copy.deepcopy(BASE)
    for intent in expected["interactionModel"]["languageModel"]["intents"]:
        if intent["name"] == "StartRoutineIntent":
            intent["samples"] = intent_samples(model, "StartRoutineIntent")
    assert model == expected


@pytest.mark.parametrize(("differences", "message"), [
    ([], "must be an object"),
    ({"intents": []}, "cannot differ by locale"),
    ({"samples": {"NoSuchIntent": {"add": ["x"]}}}, "no such intent in the base model"),
    ({"samples": {"StartRoutineIntent": {"remove": ["never said"]}}}, "is not a sample of the base model"),
    ({"samples": {"StartRoutineIntent": {"add": ["start the routine"]}}}, "is already a sample"),
    ({"samples": {"StartRoutineIntent": ["x"]}}, "must be {\"add\""),
    ({"invocationName": 3}, "must be a string"),
])
def test_unclear_differences_are_refused_with_the_file_named(tmp_path: Path, differences: Any, message: str) -> None:
    """A typo in a locale's file fails ./dev models with the file and field, not silently."""
    with pytest.raises(ContentError, match="en-GB/model.json") as raised:
        build_model("en-GB", locales_dir=locale_tree(tmp_path, differences))
    assert message in str(raised.value)


def test_exercise_values_are_never_written_in_the_base(tmp_path: Path) -> None:
    """The ExerciseName values come from exercises.json; listing them in model.json too is refused."""
    tree = locale_tree(tmp_path, {})
    base_file = tree / "en-US" / "model.json"
    base_file.write_text(json.dumps(BASE), encoding="utf-8")
    with pytest.raises(ContentError, match="values come from exercises.json"):
        build_model("en-US", locales_dir=tree)


def language(**changes: Any) -> dict[str, Any]:
    """The en-US model with some languageModel fields replaced."""
    model = copy.deepcopy(BASE)
    model["interactionModel"]["languageModel"].update(changes)
    return model


def with_samples(intent_name: str, *samples: str, slots: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """The en-US model with one intent's samples (and optionally its slots) replaced."""
    model = copy.deepcopy(BASE)
    for intent in model["interactionModel"]["languageModel"]["intents"]:
        if intent["name"] == intent_name:
            intent["samples"] = list(samples)
            if slots is not None:
                intent["slots"] = slots
    return model


def without_intent(name: str) -> dict[str, Any]:
    model = copy.deepcopy(BASE)
    lm = model["interactionModel"]["languageModel"]
    lm["intents"] = [i for i in lm["intents"] if i["name"] != name]
    return model


BROKEN = [
    (language(invocationName="Foot Coach"), "invocation-name-characters"),
    (language(invocationName="foot coach 2"), "invocation-name-characters"),
    (language(invocationName="coach"), "invocation-name-two-words"),
    (language(invocationName="open foot coach"), "invocation-name-reserved-words"),
    (language(invocationName="foot coach skill"), "invocation-name-reserved-words"),
    (language(invocationName="alexa foot coach"), "invocation-name-reserved-words"),
    (language(invocationName="the coach"), "invocation-name-articles"),
    (language(invocationName="foot " * 12 + "coach"), "invocation-name-length"),
    (without_intent("AMAZON.NavigateHomeIntent"), "required-built-in-intents"),
    (with_samples("SkipIntent", "skip this one", "skip to 3"), "sample-numbers-spelled-out"),
    (with_samples("SkipIntent", "skip this one!"), "sample-characters"),
    (with_samples("SkipIntent", "skip " + "very " * 40 + "much"), "sample-length"),
    (with_samples("SkipIntent", "skip {exercise}"), "sample-slots-declared"),
    (with_samples("StartExerciseIntent", "start{exercise}", slots=[{"name": "exercise", "type": "ExerciseName"}]),
     "sample-slot-spacing"),
    (with_samples("SkipIntent", "skip", "start the routine"), "sample-unique-across-intents"),
    (with_samples("SkipIntent", "skip", "skip"), "sample-unique-in-intent"),
    (with_samples("SkipIntent"), "custom-intent-has-samples"),
    (with_samples("SkipIntent", "skip {thing}", slots=[{"name": "thing", "type": "Things"}]), "slot-type-declared"),
    (with_samples("SkipIntent", "skip {2nd}", slots=[{"name": "2nd", "type": "AMAZON.NUMBER"}]), "slot-name-characters"),
]


@pytest.mark.parametrize(("model", "rule"), BROKEN, ids=[f"{rule}-{i}" for i, (_, rule) in enumerate(BROKEN)])
def test_each_build_rule_catches_what_it_names(model: dict[str, Any], rule: str) -> None:
    """A model breaking one rule fails with that rule's name in the message, and only the expected rules."""
    found = check_model(model, "en-US")
    assert rule in {v.rule for v in found}, [str(v) for v in found]
    assert all(f"[rule: {v.rule}]" in str(v) for v in found)


def test_slot_values_may_not_mean_two_things() -> None:
    """One synonym under two exercise ids makes entity resolution ambiguous."""
    model = copy.deepcopy(BASE)
    values = model["interactionModel"]["languageModel"]["types"][0]["values"]
    values[1]["name"]["synonyms"].append(values[0]["name"]["value"])
    assert "slot-values-unique" in {v.rule for v in check_model(model, "en-US")}


@pytest.mark.parametrize("name", ["foot coach", "sam's foot coach", "a. b. c. foot coach"])
def test_good_invocation_names_pass(name: str) -> None:
    """Possessives and spelled abbreviations are allowed."""
    assert not [v for v in check_model(language(invocationName=name), "en-US") if v.rule.startswith("invocation")]


def test_dev_models_check_passes_on_the_committed_files(capsys: pytest.CaptureFixture[str]) -> None:
    """`./dev models --check` is the same comparison, as a command (exit 0, nothing written)."""
    from deploy.models import main

    assert main(["--check"]) == 0
    assert "interaction_model/ is current (5 locales)" in capsys.readouterr().out
