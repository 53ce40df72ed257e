"""Tests for the content files: the exercise catalog, where its numbers come from, and the prompts.

Content is data, so it is checked like data: every field present, every chosen number traced to a
source note, every disagreement between the two articles recorded, every alias resolvable, and a
broken file refused at start-up with a message naming the exercise and field. The prompt checks read
the code itself, so a new `prompts.pick("...")` without its sentence fails here, not in front of a user.
"""

from __future__ import annotations

import ast
import copy
import json
import random
import re
import string
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from ssml_reading import runs
from timing import runs_of, spans

import skill
from skill.content.catalog import (
    CONTENT_DIR,
    LOCALES_DIR,
    Catalog,
    ContentError,
    load_catalog,
    normalise,
)
from skill.content.prompts import Prompts, load_words
from skill.speech.ssml import MAX_SSML_CHARS, MAX_TURN_SECONDS, Speech
from skill.workout.planning import plan_turn
from skill.workout.routine import Mode, Position

EN_US = load_words()
number_word, times_word = EN_US.number, EN_US.times

EXERCISES_JSON = CONTENT_DIR / "exercises.json"
PROMPTS_JSON = LOCALES_DIR / "en-US" / "prompts.json"
SKILL_DIR = Path(skill.__file__).parent
RAW: dict[str, Any] = json.loads(EXERCISES_JSON.read_text(encoding="utf-8"))
CATALOG: Catalog = load_catalog()
IDS = [e["id"] for e in RAW["exercises"]]

# What the issue asks every exercise to carry, as named in exercises.json.
REQUIRED_FIELDS = ("id", "name", "aliases", "position", "steps", "equipment", "reps", "hold_seconds", "sets",
                   "rest_seconds", "sides", "times_per_day", "cautions", "sources")
# Numbers that are a prescription when set, so each needs a note saying which article it came from.
# A value at its neutral default (1 rep, 1 set, no hold, no rest, no tempo) prescribes nothing.
PRESCRIBED_IF = {
    "reps": lambda v: v > 1, "hold_seconds": lambda v: v > 0, "sets": lambda v: v > 1,
    "rest_seconds": lambda v: v > 0, "rep_seconds": lambda v: v is not None, "times_per_day": lambda v: v is not None,
}
# The disagreements between the articles (seed 000 = A, seed 002 = B) that the data must record:
# (exercise, field, value chosen, value kept as the alternative, the article the alternative comes from).
DISAGREEMENTS = [
    ("toe_press", "hold_seconds", 3, 4, "B"),       # A: "a count of three"; B: "Hold for four seconds"
    ("resisted_flexion", "reps", 5, 15, "B"),       # A: "Up to five times"; B: "a total of 15 repetitions"
]


def raw_exercise(data: dict[str, Any], exercise_id: str) -> dict[str, Any]:
    """One exercise's dict inside a copy of exercises.json."""
    return next(e for e in data["exercises"] if e["id"] == exercise_id)


def first_of_kind(kind: str) -> str:
    """The id of the first exercise whose work is of this kind (so tests do not depend on ids)."""
    return next(e.id for e in CATALOG.exercises if e.work.kind == kind)


def mentions(note: str, value: int) -> bool:
    """True when a source note states a number as digits or words ("10", "ten", "twice")."""
    said = {str(value), number_word(value), times_word(value)}
    return any(re.search(rf"\b{re.escape(s)}\b", note, re.IGNORECASE) for s in said)


# -- the catalog as shipped ----------------------------------------------------------------------------------

def test_catalog_loads_in_routine_order() -> None:
    """The shipped file loads, with every exercise, in the routine order it declares."""
    assert [e.id for e in CATALOG.exercises] == RAW["routine"]["order"]
    assert sorted(RAW["routine"]["order"]) == sorted(IDS)
    assert CATALOG.times_per_day == RAW["routine"]["times_per_day"]
    assert len(set(IDS)) == len(IDS)


@pytest.mark.parametrize("exercise_id", IDS)
def test_exercise_has_every_required_field(exercise_id: str) -> None:
    """Every exercise carries what the coach needs to set up, count and caution the user."""
    raw = raw_exercise(RAW, exercise_id)
    missing = [f for f in REQUIRED_FIELDS if f not in raw]
    assert not missing, f"add {missing} to {exercise_id} in exercises.json"
    exercise = CATALOG.get(exercise_id)
    assert exercise.name.strip() and exercise.position.strip()
    assert exercise.aliases and all(isinstance(a, str) and a.strip() for a in exercise.aliases)
    assert exercise.steps and all(isinstance(s, str) and s.strip() for s in exercise.steps)
    assert all(isinstance(item, str) and item.strip() for item in (*exercise.equipment, *exercise.cautions))
    assert all(isinstance(side, str) and side.strip() for side in exercise.sides)
    assert exercise.reps >= 1 and exercise.sets >= 1 and exercise.hold_seconds >= 0 and exercise.rest_seconds >= 0
    assert exercise.sources, f"say where {exercise_id}'s numbers come from in its 'sources'"


@pytest.mark.parametrize("exercise_id", IDS)
def test_every_chosen_number_is_traced_to_a_source_note(exercise_id: str) -> None:
    """Each prescribed number has a note citing an article (or saying neither gives one) that states it."""
    raw = raw_exercise(RAW, exercise_id)
    articles = set(RAW["sources"])
    for field, prescribes in PRESCRIBED_IF.items():
        value = raw[field]
        if not prescribes(value):
            continue
        note = raw["sources"].get(field)
        assert note, f"add a sources[{field!r}] note for {exercise_id} saying which article gives {value}"
        cited = set(re.findall(r"\b([A-Z])\b", note)) & articles
        assert cited or "neither" in note.lower(), f"{exercise_id}.{field}: the note should cite {sorted(articles)}"
        if value is not None:
            assert mentions(note, value), f"{exercise_id}.{field}: the note should state the chosen {value}"


@pytest.mark.parametrize(("exercise_id", "field", "chosen", "alternative", "article"), DISAGREEMENTS)
def test_disagreements_between_the_articles_are_recorded(
        exercise_id: str, field: str, chosen: int, alternative: int, article: str) -> None:
    """Where the articles disagree, the gentler value is used and the other is the harder level, with its source."""
    raw = raw_exercise(RAW, exercise_id)
    assert getattr(CATALOG.get(exercise_id), field) == chosen
    harder = next(v for v in raw["variants"] if v["axis"] == "level")
    assert harder["changes"][field] == alternative and harder["source"] == article
    assert getattr(CATALOG.version(exercise_id, (harder["id"],)), field) == alternative
    note = raw["sources"][field]
    assert mentions(note, chosen) and mentions(note, alternative), f"{exercise_id}.{field}: name both values"


def test_every_variant_names_a_known_article_and_traces_every_number_it_changes() -> None:
    """A variant really differs, says which article gives it, and each number it changes has its own note."""
    articles = set(RAW["sources"])
    for raw in RAW["exercises"]:
        for variant in raw.get("variants", []):
            where = f"{raw['id']} variant {variant['id']!r}"
            assert variant["source"] in articles, f"{where}: name the article it comes from"
            for field, value in variant["changes"].items():
                assert value != raw.get(field), f"{where}: {field} is the same as the base"
                if field in PRESCRIBED_IF and PRESCRIBED_IF[field](value):
                    note = variant["sources"].get(field, "")
                    assert variant["source"] in note and mentions(note, value), (
                        f"{where}: add sources[{field!r}] citing {variant['source']} for {value}")
            if any(f in variant["changes"] for f in ("position", "setup")):
                assert variant["source"] in variant["sources"].get("position", ""), f"{where}: cite the position"


def test_every_version_keeps_the_cautions() -> None:
    """The safety cautions go with every version of an exercise (a variant cannot drop them)."""
    for exercise in CATALOG.exercises:
        for version in CATALOG.versions[exercise.id].values():
            assert version.cautions == exercise.cautions and version.cautions or not exercise.cautions


def test_toe_walk_total_contradiction_is_resolved_from_the_data() -> None:
    """Article A's "120 seconds" total contradicts its own numbers; the data says so and follows the numbers."""
    walk = next(e for e in CATALOG.exercises if e.work.kind == "timed")
    resolutions = " ".join(raw_exercise(RAW, walk.id)["resolutions"])
    walking = walk.sets * walk.hold_seconds
    with_rests = walking + (walk.sets * walk.side_count - 1) * walk.rest_seconds
    assert "120" in resolutions
    assert str(walking) in resolutions and str(with_rests) in resolutions


# -- finding exercises by what the user says ----------------------------------------------------------------------

def spoken_names(exercise_id: str) -> set[str]:
    """Everything a user may call an exercise: id as words, name and aliases, normalised."""
    e = CATALOG.get(exercise_id)
    return {normalise(n) for n in (e.id.replace("_", " "), e.name, *e.aliases)}


def test_aliases_are_unique_across_exercises() -> None:
    """No phrase could mean two exercises, so "toe press" always starts the same one."""
    owner: dict[str, str] = {}
    for exercise_id in IDS:
        for name in spoken_names(exercise_id):
            assert owner.setdefault(name, exercise_id) == exercise_id, \
                f"{name!r} is used by both {owner[name]} and {exercise_id}; remove it from one"


@pytest.mark.parametrize("exercise_id", IDS)
def test_find_resolves_every_name_and_alias_however_it_is_written(exercise_id: str) -> None:
    """Whatever Alexa hears (any case, punctuation, a leading "the"), the right exercise starts."""
    e = CATALOG.get(exercise_id)
    for name in (e.id.replace("_", " "), e.name, *e.aliases):
        for heard in (name, name.upper(), f"the {name}", f"{name.title()}!", name.replace(" ", "-"), f"  {name}. "):
            found = CATALOG.find(heard)
            assert found is not None and found.id == exercise_id, f"{heard!r} should find {exercise_id}"


@pytest.mark.parametrize("heard", ["jumping jacks", "", "   ", None, "the", "toe", "ankle circles please now"])
def test_find_returns_none_for_unknown_exercises(heard: str | None) -> None:
    """An exercise we do not have is not matched to one we do."""
    assert CATALOG.find(heard) is None


# -- validation of broken files ------------------------------------------------------------------------------------

def write(tmp_path: Path, data: dict[str, Any] | str) -> Path:
    """Write a (broken) copy of exercises.json into the test's temp directory."""
    path = tmp_path / "exercises.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def broken(mutate: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """A deep copy of the shipped data with one change applied."""
    data = copy.deepcopy(RAW)
    mutate(data)
    return data


def _set(exercise_id: str, field: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: raw_exercise(d, exercise_id).__setitem__(field, value)


def _drop(exercise_id: str, field: str) -> Callable[[dict[str, Any]], None]:
    return lambda d: raw_exercise(d, exercise_id).pop(field)


def _set_work(exercise_id: str, field: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: raw_exercise(d, exercise_id)["work"].__setitem__(field, value)


def _duplicate(exercise_id: str) -> Callable[[dict[str, Any]], None]:
    def mutate(d: dict[str, Any]) -> None:
        twin = copy.deepcopy(raw_exercise(d, exercise_id))
        twin["name"], twin["aliases"] = "another copy", ["another copy alias"]
        d["exercises"].append(twin)
    return mutate


def _alias_other_id(exercise_id: str, other_id: str) -> Callable[[dict[str, Any]], None]:
    """Give one exercise an alias that is another's id in words, after removing it from the other's aliases."""
    def mutate(d: dict[str, Any]) -> None:
        words = other_id.replace("_", " ")
        other = raw_exercise(d, other_id)
        other["aliases"] = [a for a in other["aliases"] if normalise(a) != normalise(words)]
        raw_exercise(d, exercise_id)["aliases"].append(words)
    return mutate


HOLD, TIMED, REPS = first_of_kind("hold"), first_of_kind("timed"), first_of_kind("reps")
LAST = IDS[-1]
BROKEN_FILES = [
    # (what is wrong, the change, the exercise the message must name, the field it must name)
    ("missing cautions", _drop(TIMED, "cautions"), TIMED, "cautions"),
    ("missing name", _drop(LAST, "name"), LAST, "name"),
    ("missing steps", _drop(HOLD, "steps"), HOLD, "steps"),
    ("missing sources", _drop(REPS, "sources"), REPS, "sources"),
    ("missing work", _drop(HOLD, "work"), HOLD, "work"),
    ("negative reps", _set(HOLD, "reps", -1), HOLD, "reps"),
    ("zero sets", _set(TIMED, "sets", 0), TIMED, "sets"),
    ("reps as text", _set(HOLD, "reps", "10"), HOLD, "reps"),
    ("negative rest", _set(TIMED, "rest_seconds", -10), TIMED, "rest_seconds"),
    ("empty steps", _set(HOLD, "steps", []), HOLD, "steps"),
    ("zero times per day", _set(HOLD, "times_per_day", 0), HOLD, "times_per_day"),
    ("blank position", _set(LAST, "position", "  "), LAST, "position"),
    ("hold too long for a turn", _set(HOLD, "hold_seconds", int(MAX_TURN_SECONDS)), HOLD, "hold_seconds"),
    ("zero hold on a hold", _set(HOLD, "hold_seconds", 0), HOLD, "hold_seconds"),
    ("no rep time on reps", _set(REPS, "rep_seconds", None), REPS, "rep_seconds"),
    ("unknown work kind", _set_work(HOLD, "kind", "jumping"), HOLD, "work.kind"),
    ("timed count not dividing the work", _set_work(TIMED, "count_every_seconds", 7), TIMED, "count_every_seconds"),
    ("alias clash", _set(TIMED, "aliases", [f"{CATALOG.get(HOLD).aliases[0].upper()}!"]), TIMED, "alias"),
    ("name clash", _set(LAST, "name", CATALOG.get(HOLD).name), LAST, "alias"),
    ("alias equal to another exercise's id", _alias_other_id(HOLD, TIMED), HOLD, "alias"),
    ("duplicate id", _duplicate(IDS[0]), IDS[0], "id"),
    ("work is not an object", _set(HOLD, "work", "hold"), HOLD, "work"),
    ("aliases is not a list", _set(TIMED, "aliases", "toe walk"), TIMED, "aliases"),
    ("timed count every zero seconds", _set_work(TIMED, "count_every_seconds", 0), TIMED, "count_every_seconds"),
    ("hold with no release phrase", lambda d: raw_exercise(d, HOLD)["work"].pop("release"), HOLD, "work.release"),
    ("routine is not an object", lambda d: d.__setitem__("routine", []), "routine", "routine"),
]


@pytest.mark.parametrize(("change", "exercise_id", "field"), [b[1:] for b in BROKEN_FILES],
                         ids=[b[0] for b in BROKEN_FILES])
def test_broken_content_is_refused_naming_exercise_and_field(
        tmp_path: Path, change: Callable[[dict[str, Any]], None], exercise_id: str, field: str) -> None:
    """A mistake in exercises.json stops start-up with a message saying which exercise and field to fix."""
    with pytest.raises(ContentError) as refused:
        load_catalog(write(tmp_path, broken(change)))
    message = str(refused.value)
    assert exercise_id in message, f"the message should name {exercise_id}: {message}"
    assert field in message, f"the message should name the field {field!r}: {message}"


@pytest.mark.parametrize("text", ['{"exercises": [', "", "not json", '{"exercises": [{"id": "x",}]}'])
def test_unreadable_json_is_refused_naming_the_file(tmp_path: Path, text: str) -> None:
    """A file that is not JSON stops start-up with the file named, not a raw parser traceback."""
    with pytest.raises(ContentError, match=r"exercises\.json"):
        load_catalog(write(tmp_path, text))


def test_missing_file_is_refused(tmp_path: Path) -> None:
    """A missing content file is a ContentError too."""
    with pytest.raises(ContentError):
        load_catalog(tmp_path / "exercises.json")


def test_unchanged_copy_loads(tmp_path: Path) -> None:
    """The validation tests start from a copy that loads, so each failure is due to its one change."""
    assert load_catalog(write(tmp_path, broken(lambda d: None))) == CATALOG


def play(catalog: Catalog, exercise_id: str) -> tuple[list[float], list[float]]:
    """Plan an exercise turn by turn; return each hold's (or timed work's) length and the turn lengths."""
    exercise = catalog.get(exercise_id)
    prompts = Prompts.load(rng=random.Random(0))
    holds, lengths, position, briefed = [], [], Position(exercise_id), False
    for _ in range(200):
        turn = plan_turn(catalog, prompts, position, Mode.ROUTINE, briefed=briefed)
        lengths.append(turn.speech.estimated_seconds())
        assert len(turn.speech.to_ssml()) <= MAX_SSML_CHARS
        holds += [s.measured for s in spans(runs_of(turn.speech), exercise, prompts) if s.kind in ("hold", "work")]
        if turn.end is None:
            return holds, lengths
        position, briefed = turn.end, True
    raise AssertionError("the exercise never ends")


PLAYABILITY = [
    # (what is unusual, the change, the exercise) -- the data either refuses it or still plays exactly.
    ("shipped hold exercise (control)", lambda d: None, HOLD),
    ("shipped timed exercise (control)", lambda d: None, TIMED),
    ("hold counted in 2 s beats that do not divide the hold", _set_work(HOLD, "count_every_seconds", 2), HOLD),
    ("negative count beat on timed work", _set_work(TIMED, "count_every_seconds", -5), TIMED),
    ("one rep longer than a whole turn", _set(REPS, "rep_seconds", int(MAX_TURN_SECONDS) + 10), REPS),
]


@pytest.mark.parametrize(("change", "exercise_id"), [p[1:] for p in PLAYABILITY], ids=[p[0] for p in PLAYABILITY])
def test_content_that_loads_plays_exactly_as_prescribed(
        tmp_path: Path, change: Callable[[dict[str, Any]], None], exercise_id: str) -> None:
    """Any file the loader accepts is voiced with exact holds and turns inside Alexa's limits; otherwise it is refused."""
    try:
        catalog = load_catalog(write(tmp_path, broken(change)))
    except ContentError as refused:
        assert exercise_id in str(refused)
        return
    exercise = catalog.get(exercise_id)
    holds, lengths = play(catalog, exercise_id)
    assert max(lengths) <= MAX_TURN_SECONDS, f"accepted data produced a {max(lengths):.0f} s turn"
    if exercise.work.kind != "reps":
        assert holds == pytest.approx([exercise.hold_seconds] * (exercise.reps * exercise.sets * exercise.side_count),
                                      abs=0.01)


# -- prompts -----------------------------------------------------------------------------------------------------

PROMPTS = Prompts.load(rng=random.Random(0))
TABLE: dict[str, list[str]] = json.loads(PROMPTS_JSON.read_text(encoding="utf-8"))


def python_files() -> Iterator[tuple[Path, ast.Module]]:
    """Every module of the skill, parsed."""
    for path in sorted(SKILL_DIR.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def strings_in(node: ast.AST) -> set[str]:
    """Every string constant inside an expression."""
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def keyword_values(name: str) -> set[str]:
    """String constants passed anywhere in the skill as keyword `name=` (e.g. reprompt_key="ask_start")."""
    return {s for _, tree in python_files() for call in ast.walk(tree) if isinstance(call, ast.Call)
            for kw in call.keywords if kw.arg == name for s in strings_in(kw.value)}


def resolve_key(expr: ast.expr, function: ast.AST | None) -> set[str]:
    """The prompt keys a pick() key argument can take: literals, conditionals, or a variable's assigned literals."""
    if not isinstance(expr, ast.Name):
        return strings_in(expr)
    keys: set[str] = set()
    for node in ast.walk(function) if function else ():
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id == expr.id:
                    keys |= strings_in(node.value) & set(TABLE)
                elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                    for t, v in zip(target.elts, node.value.elts):
                        if isinstance(t, ast.Name) and t.id == expr.id:
                            keys |= strings_in(v) & set(TABLE)
    return keys or (keyword_values(expr.id) & set(TABLE))


def pick_calls() -> list[tuple[str, set[str], set[str] | None]]:
    """Each prompts.pick(...) call in the skill: where, the keys it may use, the placeholders it fills."""
    calls = []
    for path, tree in python_files():
        owner: dict[int, ast.AST] = {}
        for function in ast.walk(tree):
            if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for node in ast.walk(function):
                    owner[id(node)] = function  # inner functions are walked later, so the innermost wins
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "pick":
                keys = resolve_key(node.args[0], owner.get(id(node)))
                filled = None if any(kw.arg is None for kw in node.keywords) else {kw.arg for kw in node.keywords}
                where = f"{path.relative_to(SKILL_DIR.parent)}:{node.lineno}"
                assert keys, f"{where}: cannot tell which prompt key this pick() uses; pass a literal key"
                calls.append((where, keys, filled))
    return calls


CALLS = pick_calls()


def test_every_prompt_key_used_in_code_exists() -> None:
    """Every sentence the code asks for is in the prompts file, so no user hits a KeyError mid-conversation."""
    missing = {(where, key) for where, keys, _ in CALLS for key in keys if key not in TABLE}
    assert not missing, f"add these keys to {PROMPTS_JSON.name}: {sorted(missing)}"


def test_every_prompt_in_the_file_is_used() -> None:
    """No dead sentences: each key in the prompts file is picked somewhere in the skill."""
    used = {key for _, keys, _ in CALLS for key in keys}
    assert set(TABLE) - used == set(), f"remove or use these prompts: {sorted(set(TABLE) - used)}"


def test_every_placeholder_is_filled_at_every_call_site() -> None:
    """Each call supplies every placeholder of every variant it may pick, so no variant can crash."""
    for where, keys, filled in CALLS:
        if filled is None:
            continue
        for key in keys & set(TABLE):
            for variant in TABLE[key]:
                needed = {name for _, name, _, _ in string.Formatter().parse(variant) if name}
                assert needed <= filled, f"{where}: pick({key!r}) does not fill {sorted(needed - filled)}"
    for key in TABLE:
        assert PROMPTS.placeholders(key) <= set().union(*(f or set() for _, k, f in CALLS if key in k)), key


@pytest.mark.parametrize("key", sorted(TABLE))
def test_every_prompt_renders_to_well_formed_ssml(key: str) -> None:
    """Every variant, filled with awkward text, becomes valid SSML that says exactly that text."""
    awkward = "Tom & Jerry's <toe> \"press\""
    for variant in TABLE[key]:
        values = {name: awkward for _, name, _, _ in string.Formatter().parse(variant) if name}
        text = variant.format(**values)
        root = ET.fromstring(Speech().say(text).to_ssml())
        assert " ".join("".join(root.itertext()).split()) == " ".join(text.split())
        assert not list(root), f"{key}: markup in a prompt must not become SSML elements"


def test_prompts_file_is_valid_and_has_variants() -> None:
    """Each key has at least one non-empty sentence, and every template's braces parse."""
    assert PROMPTS.keys() == set(TABLE)
    for key, variants in TABLE.items():
        assert variants and all(v.strip() for v in variants), key
        for variant in variants:
            list(string.Formatter().parse(variant))  # raises on unbalanced braces


def test_broken_prompts_file_is_refused(tmp_path: Path) -> None:
    """A prompts file with an empty key or bad JSON stops start-up with a ContentError."""
    (tmp_path / "en-US").mkdir()
    (tmp_path / "en-US" / "prompts.json").write_text(json.dumps({"welcome_new": []}), encoding="utf-8")
    with pytest.raises(ContentError, match="welcome_new"):
        Prompts.load(directory=tmp_path)
    (tmp_path / "en-US" / "prompts.json").write_text("{", encoding="utf-8")
    with pytest.raises(ContentError):
        Prompts.load(directory=tmp_path)
    with pytest.raises(ContentError):
        Prompts.load(locale="xx-XX", directory=tmp_path)


def test_pick_is_deterministic_with_a_seeded_generator() -> None:
    """Tests and replays can pin the variant: the same seed picks the same sentences."""
    keys = sorted(k for k in TABLE if len(TABLE[k]) > 1)
    assert keys, "some prompt should have variants"

    def picks(seed: int) -> list[str]:
        prompts = Prompts.load(rng=random.Random(seed))
        return [prompts.pick(k, **dict.fromkeys(prompts.placeholders(k), "x")) for k in keys * 5]

    assert picks(1) == picks(1)
