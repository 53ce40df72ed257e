"""Exercise content: load the validated catalog from exercises.json into immutable objects.

A broken content file stops the app at start-up with the exercise and field named, instead of
failing halfway through someone's workout.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skill.speech.ssml import MAX_TURN_SECONDS
from skill.speech.words import Words

CONTENT_DIR = Path(__file__).parent
# One folder per language: everything that language says (see skill/content/__init__.py).
LOCALES_DIR = CONTENT_DIR / "locales"
BASE_LOCALE = "en-US"
# Every locale with a folder; other locales are answered in en-US rather than refused.
SUPPORTED_LOCALES = (BASE_LOCALE, *sorted(p.name for p in LOCALES_DIR.iterdir()
                                          if p.is_dir() and p.name != BASE_LOCALE))
# Exercise texts a locale may word differently (spelling); numbers are never localised.
LOCALISABLE_FIELDS = ("name", "aliases", "position", "steps", "cautions", "directions", "sides", "equipment")
WORK_KINDS = ("hold", "timed", "reps")


class ContentError(ValueError):
    """The exercise data is invalid; the message names the exercise and the field."""


@dataclass(frozen=True)
class Work:
    """How one rep is performed and counted."""

    kind: str  # "hold": cue, count the hold second by second; "timed": count every N s; "reps": count each rep
    cue: str
    release: str | None
    count_every_seconds: int = 1


@dataclass(frozen=True)
class Exercise:
    """One exercise with its prescription, as chosen from the source articles."""

    id: str
    name: str
    aliases: tuple[str, ...]
    position: str
    equipment: tuple[str, ...]
    steps: tuple[str, ...]
    work: Work
    reps: int
    hold_seconds: int
    rep_seconds: int | None
    sets: int
    rest_seconds: int
    sides: tuple[str, ...]
    directions: tuple[str, ...]
    times_per_day: int | None
    cautions: tuple[str, ...]
    sources: dict[str, str]

    @property
    def side_count(self) -> int:
        """How many sides are worked in turn (1 when both feet work together)."""
        return max(1, len(self.sides))

    @property
    def units_per_block(self) -> int:
        """Counted units in one block: the reps, once per direction when there are directions."""
        return self.reps * max(1, len(self.directions))

    def side_name(self, side: int) -> str | None:
        """The spoken name of a side index, or None when the exercise has no sides."""
        return self.sides[side] if self.sides else None


@dataclass(frozen=True)
class Catalog:
    """Every exercise, in routine order, plus the routine's daily goal."""

    exercises: tuple[Exercise, ...]
    times_per_day: int
    reminder_times: tuple[str, ...]

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

    def names_list(self, words: Words) -> str:
        """The exercise names as a spoken list: "a, b, and c"."""
        return words.join([e.name for e in self.exercises])


def normalise(text: str) -> str:
    """Lower-case, drop punctuation and a leading "the", fold spaces: how spoken names compare."""
    words = re.sub(r"[^a-z0-9 ]+", " ", text.lower().replace("-", " ")).split()
    if words and words[0] in {"the", "my", "some"}:
        words = words[1:]
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
    exercises = tuple(_parse_exercise(raw[i]) for i in order)
    _check_aliases_unique(exercises)
    return Catalog(exercises, _positive(routine, "times_per_day", "routine"), tuple(routine.get("reminder_times", ())))


def _parse_exercise(e: dict[str, Any]) -> Exercise:
    eid = e.get("id", "?")

    def field(name: str) -> Any:
        if name not in e:
            raise ContentError(f"exercise {eid!r}: missing field {name!r}")
        return e[name]

    work_raw = field("work")
    if not isinstance(work_raw, dict):
        raise ContentError(f"exercise {eid!r}: field 'work' must be an object with kind, cue and release")
    if work_raw.get("kind") not in WORK_KINDS:
        raise ContentError(f"exercise {eid!r}: field 'work.kind' must be one of {WORK_KINDS}")
    beat = work_raw.get("count_every_seconds", 1)
    if not isinstance(beat, int) or isinstance(beat, bool) or beat < 1:
        raise ContentError(f"exercise {eid!r}: field 'work.count_every_seconds' must be a whole number >= 1")
    if work_raw["kind"] != "timed" and beat != 1:
        raise ContentError(f"exercise {eid!r}: field 'work.count_every_seconds' applies to timed work only; "
                           "holds are counted second by second")
    if work_raw["kind"] != "reps" and not (isinstance(work_raw.get("release"), str) and work_raw["release"].strip()):
        raise ContentError(f"exercise {eid!r}: field 'work.release' must say how a {work_raw['kind']} ends")
    work = Work(work_raw["kind"], _text(work_raw.get("cue"), eid, "work.cue"), work_raw.get("release"), beat)
    exercise = Exercise(
        id=eid, name=_text(field("name"), eid, "name"), aliases=_texts(field("aliases"), eid, "aliases"),
        position=_text(field("position"), eid, "position"), equipment=_texts(field("equipment"), eid, "equipment"),
        steps=_texts(field("steps"), eid, "steps"), work=work,
        reps=_positive(e, "reps", eid), hold_seconds=_non_negative(e, "hold_seconds", eid),
        rep_seconds=field("rep_seconds"), sets=_positive(e, "sets", eid),
        rest_seconds=_non_negative(e, "rest_seconds", eid), sides=_texts(field("sides") or [], eid, "sides"),
        directions=_texts(field("directions") or [], eid, "directions"), times_per_day=field("times_per_day"),
        cautions=_texts(field("cautions"), eid, "cautions"), sources=_sources(field("sources"), eid),
    )
    _check_counting(exercise)
    return exercise


def _check_counting(ex: Exercise) -> None:
    """The numbers must be ones the counting engine can speak within one turn per rep."""
    if ex.work.kind in ("hold", "timed") and ex.hold_seconds < 1:
        raise ContentError(f"exercise {ex.id!r}: field 'hold_seconds' must be at least 1 for a {ex.work.kind} exercise")
    if ex.work.kind == "timed" and ex.hold_seconds % ex.work.count_every_seconds:
        raise ContentError(f"exercise {ex.id!r}: field 'hold_seconds' must be a multiple of work.count_every_seconds")
    if ex.work.kind == "reps" and not (isinstance(ex.rep_seconds, int) and ex.rep_seconds >= 1):
        raise ContentError(f"exercise {ex.id!r}: field 'rep_seconds' must be a whole number >= 1 for a reps exercise")
    if ex.hold_seconds + ex.rest_seconds > MAX_TURN_SECONDS / 2:
        raise ContentError(f"exercise {ex.id!r}: field 'hold_seconds' plus 'rest_seconds' is too long for one spoken turn")
    if ex.work.kind == "reps" and ex.rep_seconds is not None and ex.rep_seconds > MAX_TURN_SECONDS / 6:
        raise ContentError(f"exercise {ex.id!r}: field 'rep_seconds' is too long to count within one spoken turn")
    if not ex.steps or not all(isinstance(s, str) and s.strip() for s in ex.steps):
        raise ContentError(f"exercise {ex.id!r}: field 'steps' must be a list of sentences")
    if ex.times_per_day is not None and not (isinstance(ex.times_per_day, int) and ex.times_per_day > 0):
        raise ContentError(f"exercise {ex.id!r}: field 'times_per_day' must be a positive whole number or null")


def _check_aliases_unique(exercises: tuple[Exercise, ...]) -> None:
    seen: dict[str, str] = {}
    for ex in exercises:
        for name in (ex.id.replace("_", " "), ex.name, *ex.aliases):
            key = normalise(name)
            if seen.setdefault(key, ex.id) != ex.id:
                raise ContentError(f"exercise {ex.id!r}: alias {name!r} is already used by {seen[key]!r}")


def _text(value: Any, eid: str, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ContentError(f"exercise {eid!r}: field {name!r} must be non-empty text")
    return value


def _texts(value: Any, eid: str, name: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ContentError(f"exercise {eid!r}: field {name!r} must be a list of non-empty texts")
    return tuple(value)


def _sources(value: Any, eid: str) -> dict[str, str]:
    if not isinstance(value, dict) or not value or not all(isinstance(v, str) for v in value.values()):
        raise ContentError(f"exercise {eid!r}: field 'sources' must map each chosen number to its source note")
    return dict(value)


def _positive(e: dict[str, Any], name: str, eid: str) -> int:
    value = e.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ContentError(f"exercise {eid!r}: field {name!r} must be a whole number of at least 1, not {value!r}")
    return value


def _non_negative(e: dict[str, Any], name: str, eid: str) -> int:
    value = e.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ContentError(f"exercise {eid!r}: field {name!r} must be a whole number of at least 0, not {value!r}")
    return value


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
