"""Exercise content: load the validated catalog from exercises.json into immutable objects.

A broken content file stops the app at start-up with the exercise and field named, instead of
failing halfway through someone's workout.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skill.content.exercise import WORK_KINDS, ContentError, Exercise, Variant, Work, positive, versions
from skill.speech.words import Words

__all__ = ["WORK_KINDS", "Catalog", "ContentError", "Exercise", "Variant", "Work", "load_catalog", "normalise"]

CONTENT_DIR = Path(__file__).parent
# One folder per language: everything that language says (see skill/content/__init__.py).
LOCALES_DIR = CONTENT_DIR / "locales"
BASE_LOCALE = "en-US"
# Every locale with a folder; other locales are answered in en-US rather than refused.
SUPPORTED_LOCALES = (BASE_LOCALE, *sorted(p.name for p in LOCALES_DIR.iterdir()
                                          if p.is_dir() and p.name != BASE_LOCALE))
# Exercise texts a locale may word differently (spelling); numbers are never localised.
LOCALISABLE_FIELDS = ("name", "aliases", "position", "steps", "cautions", "directions", "sides", "equipment",
                      "announce", "setup", "ready_when", "side_noun")
# A user's choice of versions: for each exercise id, the sorted ids of the variants applied (hashable).
Choices = tuple[tuple[str, tuple[str, ...]], ...]
# Words around a name that do not change which exercise is meant: "the pencil one", "band exercise please".
_LEADING_FILLERS = {"the", "my", "some", "a", "that", "this"}
_TRAILING_FILLERS = {"please", "one", "exercise", "exercises"}


@dataclass(frozen=True)
class Catalog:
    """Every exercise, in routine order, plus the routine's daily goal."""

    exercises: tuple[Exercise, ...]
    times_per_day: int
    reminder_times: tuple[str, ...]
    # Every version of every exercise (see content/exercise.py), by id, then by the variant ids applied.
    versions: dict[str, dict[tuple[str, ...], Exercise]] = field(default_factory=dict, compare=False, repr=False)
    _chosen: dict[Choices, Catalog] = field(default_factory=dict, compare=False, repr=False)

    def get(self, exercise_id: str) -> Exercise:
        """The exercise with this id; KeyError if there is none."""
        for exercise in self.exercises:
            if exercise.id == exercise_id:
                return exercise
        raise KeyError(exercise_id)

    def index(self, exercise_id: str) -> int:
        """Position of an exercise in the routine order."""
        return [e.id for e in self.exercises].index(exercise_id)

    def after(self, exercise_id: str) -> Exercise | None:
        """The exercise that follows this one in the routine, or None after the last."""
        i = self.index(exercise_id) + 1
        return self.exercises[i] if i < len(self.exercises) else None

    def find(self, spoken: str | None) -> Exercise | None:
        """Match what the user said against ids, names and aliases; None when nothing matches."""
        wanted = normalise(spoken or "")
        if not wanted:
            return None
        for exercise in self.exercises:
            names = {exercise.id.replace("_", " "), exercise.name, *exercise.aliases}
            if wanted in {normalise(n) for n in names}:
                return exercise
        return None

    def version(self, exercise_id: str, chosen: tuple[str, ...]) -> Exercise:
        """One version of an exercise (the base for ()); KeyError if it has no such version."""
        return self.versions[exercise_id][tuple(sorted(chosen))] if chosen else self.get(exercise_id)

    def with_choices(self, choices: Choices) -> Catalog:
        """This catalog with the chosen version of each exercise (names and order never change).

        Unknown ids or variants in `choices` are ignored: choices come from stored or session data.
        """
        if not choices:
            return self
        cached = self._chosen.get(choices)
        if cached is None:
            picked = dict(choices)
            exercises = tuple(self.versions.get(e.id, {}).get(tuple(sorted(picked.get(e.id, ()))), e)
                              for e in self.exercises)
            cached = Catalog(exercises, self.times_per_day, self.reminder_times, self.versions)
            self._chosen[choices] = cached
        return cached

    def names_list(self, words: Words) -> str:
        """The exercise names as a spoken list: "a, b, and c"."""
        return words.join([e.name for e in self.exercises])


def normalise(text: str) -> str:
    """Lower-case, drop punctuation, fillers around the name ("the ... one", "... please"), fold spaces."""
    words = re.sub(r"[^a-z0-9 ]+", " ", text.lower().replace("-", " ")).split()
    while len(words) > 1 and words[0] in _LEADING_FILLERS:
        words = words[1:]
    while len(words) > 1 and words[-1] in _TRAILING_FILLERS:
        words = words[:-1]
    return " ".join(words)


def load_catalog(path: Path = CONTENT_DIR / "exercises.json", locale: str = BASE_LOCALE,
                 locales_dir: Path = LOCALES_DIR) -> Catalog:
    """Read and validate the exercise file, with the locale's wording (locales/<locale>/exercises.json) applied.

    Raises:
        ContentError: a file is malformed; the message names the exercise and field.
    """
    data = _read_json(path)
    if locale != BASE_LOCALE:
        overlay_path = locales_dir / locale / "exercises.json"
        if overlay_path.exists():
            _apply_overlay(data, _read_json(overlay_path), f"{locale}/exercises.json")
    entries = data.get("exercises", []) if isinstance(data, dict) else []
    if not entries or not all(isinstance(e, dict) for e in entries):
        raise ContentError(f"{path.name}: 'exercises' must be a non-empty list of objects")
    raw: dict[str, dict[str, Any]] = {}
    for i, entry in enumerate(entries):
        eid = entry.get("id", f"#{i}")
        if eid in raw:
            raise ContentError(f"exercise {eid!r}: field 'id' is used twice; ids must be unique")
        raw[eid] = entry
    routine = data.get("routine")
    if not isinstance(routine, dict):
        raise ContentError(f"{path.name}: field 'routine' must be an object with order and times_per_day")
    order = routine.get("order", [])
    if sorted(order) != sorted(raw):
        raise ContentError(f"{path.name}: routine.order {order} must list every exercise id exactly once")
    all_versions = {i: versions(raw[i]) for i in order}
    exercises = tuple(all_versions[i][()] for i in order)
    _check_aliases_unique(exercises)
    return Catalog(exercises, positive(routine, "times_per_day", "routine"), tuple(routine.get("reminder_times", ())),
                   all_versions)


def _check_aliases_unique(exercises: tuple[Exercise, ...]) -> None:
    seen: dict[str, str] = {}
    for ex in exercises:
        for name in (ex.id.replace("_", " "), ex.name, *ex.aliases):
            key = normalise(name)
            if seen.setdefault(key, ex.id) != ex.id:
                raise ContentError(f"exercise {ex.id!r}: alias {name!r} is already used by {seen[key]!r}")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise ContentError(f"{path.name}: cannot read exercise data: {err}") from err


def _apply_overlay(data: dict[str, Any], overlay: Any, name: str) -> None:
    """Replace wording fields of named exercises; anything else in an overlay is an error."""
    by_id = {e.get("id"): e for e in data.get("exercises", []) if isinstance(e, dict)}
    if not isinstance(overlay, dict):
        raise ContentError(f"{name}: must map exercise ids to the fields worded differently")
    for eid, fields in overlay.items():
        if eid not in by_id or not isinstance(fields, dict):
            raise ContentError(f"{name}: {eid!r} is not an exercise id in exercises.json")
        for field_name, value in fields.items():
            if field_name not in LOCALISABLE_FIELDS and field_name != "work":
                raise ContentError(f"exercise {eid!r}: field {field_name!r} cannot be changed by {name} (wording only)")
            if field_name == "work":
                by_id[eid]["work"] = {**by_id[eid]["work"], **{k: v for k, v in value.items() if k in ("cue", "release")}}
            else:
                by_id[eid][field_name] = value
