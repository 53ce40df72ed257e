"""One exercise as the coach uses it, parsed and validated from exercises.json, with its variants.

An exercise is the version article A or B gives (the gentler one, chosen). Its `variants` are the
other versions the articles give: a `level` (B's harder counts) and a `position` (A's seated ankle
circles, B's band stretch on a chair). A user's choice applies at most one variant per axis;
`versions()` builds every combination at load time, each validated like the base, so a choice can
never produce an exercise the counting engine cannot voice.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from typing import Any

from skill.speech.ssml import MAX_TURN_SECONDS

WORK_KINDS = ("hold", "timed", "reps")
VARIANT_AXES = ("level", "position")
POSTURES = ("standing", "lying", "floor", "chair", "any")
# What a variant may change. Cautions are not among them: every version keeps the exercise's cautions.
VARIANT_FIELDS = frozenset({"announce", "position", "setup", "steps", "equipment", "work", "reps", "hold_seconds",
                            "sets", "rest_seconds", "times_per_day", "get_ready_seconds", "ready_when", "posture"})
# Pacing of our own around the prescribed numbers (seconds at normal pace), when the data gives none.
DEFAULT_READY_SECONDS = 1
DEFAULT_RECOVER_SECONDS = 1


class ContentError(ValueError):
    """The exercise data is invalid; the message names the exercise and the field."""


@dataclass(frozen=True)
class Work:
    """How one rep is performed and counted."""

    kind: str  # "hold": cue, count the hold second by second; "timed": count every N s; "reps": count each rep
    cue: str
    release: str | None
    count_every_seconds: int = 1
    ready_seconds: float = DEFAULT_READY_SECONDS      # silence after a rep's opening words, before it starts
    recover_seconds: float = DEFAULT_RECOVER_SECONDS  # silence after the release words, before the next rep
    repeat_cue: str | None = None                     # said to open every later rep ("Pick it up again")


@dataclass(frozen=True)
class Variant:
    """Another version of an exercise that an article gives, and what it changes."""

    id: str        # "harder", "seated", "chair"
    axis: str      # "level" (the counts) or "position" (how the body is placed)
    source: str    # the article it comes from
    changes: dict[str, Any] = field(hash=False, compare=True)


@dataclass(frozen=True)
class Exercise:
    """One exercise with its prescription, as chosen from the source articles."""

    id: str
    name: str
    aliases: tuple[str, ...]
    position: str                 # the set-up in one sentence (said once the user knows the exercise)
    equipment: tuple[str, ...]
    steps: tuple[str, ...]        # how the movement goes
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
    announce: str = ""            # the position in a few words, said when the exercise is announced
    setup: tuple[str, ...] = ()   # every set-up step: said the first time, and on "how do I do this"
    get_ready_seconds: int = 0    # silence to get into position after the set-up words
    ready_when: str | None = None  # a ready gate: "Say ready when {ready_when}." (down on the floor, lying down)
    posture: str = "any"
    side_noun: str | None = None  # "foot", "leg": "five times on each foot"
    variants: tuple[Variant, ...] = ()
    chosen: tuple[str, ...] = ()  # the variant ids this version applies (empty: the base version)

    def __hash__(self) -> int:
        return hash((self.id, self.chosen))

    @property
    def side_count(self) -> int:
        """How many sides are worked in turn (1 when both feet work together)."""
        return max(1, len(self.sides))

    @property
    def units_per_block(self) -> int:
        """Counted units in one block: the reps, once per direction when there are directions."""
        return self.reps * max(1, len(self.directions))

    @property
    def gated(self) -> bool:
        """True when counting waits for the user's "ready" (getting down to the floor or lying down)."""
        return self.ready_when is not None

    @property
    def setup_key(self) -> str:
        """Which set-up this version has: the id, with the position variant if one applies."""
        position = [v.id for v in self.variants if v.axis == "position" and v.id in self.chosen]
        return ".".join([self.id, *position])

    def side_name(self, side: int) -> str | None:
        """The spoken name of a side index, or None when the exercise has no sides."""
        return self.sides[side] if self.sides else None

    def variant(self, variant_id: str) -> Variant | None:
        """The variant with this id, or None."""
        return next((v for v in self.variants if v.id == variant_id), None)


def parse_exercise(e: dict[str, Any], chosen: tuple[str, ...] = ()) -> Exercise:
    """One exercise from its dict (already merged with any chosen variants), validated.

    Raises:
        ContentError: a field is missing or invalid; the message names the exercise and the field.
    """
    eid = e.get("id", "?")

    def need(name: str) -> Any:
        if name not in e:
            raise ContentError(f"exercise {eid!r}: missing field {name!r}")
        return e[name]

    work = _parse_work(need("work"), eid)
    ready_when = e.get("ready_when")
    if ready_when is not None:
        ready_when = _text(ready_when, eid, "ready_when")
    posture = e.get("posture", "any")
    if posture not in POSTURES:
        raise ContentError(f"exercise {eid!r}: field 'posture' must be one of {POSTURES}")
    exercise = Exercise(
        id=eid, name=_text(need("name"), eid, "name"), aliases=_texts(need("aliases"), eid, "aliases"),
        position=_text(need("position"), eid, "position"), equipment=_texts(need("equipment"), eid, "equipment"),
        steps=_texts(need("steps"), eid, "steps"), work=work,
        reps=positive(e, "reps", eid), hold_seconds=_non_negative(e, "hold_seconds", eid),
        rep_seconds=need("rep_seconds"), sets=positive(e, "sets", eid),
        rest_seconds=_non_negative(e, "rest_seconds", eid), sides=_texts(need("sides") or [], eid, "sides"),
        directions=_texts(need("directions") or [], eid, "directions"), times_per_day=need("times_per_day"),
        cautions=_texts(need("cautions"), eid, "cautions"), sources=_sources(need("sources"), eid),
        announce=_text(e.get("announce", e.get("name")), eid, "announce"),
        setup=_texts(e.get("setup") or [e.get("position")], eid, "setup"),
        get_ready_seconds=_non_negative({"get_ready_seconds": e.get("get_ready_seconds", 0)}, "get_ready_seconds", eid),
        ready_when=ready_when, posture=posture,
        side_noun=_text(e["side_noun"], eid, "side_noun") if e.get("side_noun") else None,
        variants=_parse_variants(e.get("variants", []), eid), chosen=chosen,
    )
    _check_counting(exercise)
    return exercise


def versions(raw: dict[str, Any]) -> dict[tuple[str, ...], Exercise]:
    """Every version of an exercise, by the sorted ids of the variants it applies (() is the base).

    Raises:
        ContentError: the base or a combination of its variants is invalid (the message names which).
    """
    base = parse_exercise(raw)
    by_axis: dict[str, list[Variant | None]] = {axis: [None] for axis in VARIANT_AXES}
    for variant in base.variants:
        by_axis[variant.axis].append(variant)
    out: dict[tuple[str, ...], Exercise] = {(): base}
    for combination in itertools.product(*by_axis.values()):
        picked = [v for v in combination if v is not None]
        if not picked:
            continue
        chosen = tuple(sorted(v.id for v in picked))
        merged = copy.deepcopy(raw)
        for variant in picked:
            for name, value in variant.changes.items():
                if name == "sources":
                    continue
                merged[name] = {**merged["work"], **value} if name == "work" else copy.deepcopy(value)
            merged["sources"] = {**merged["sources"], **variant.changes.get("sources", {})}
        try:
            out[chosen] = parse_exercise(merged, chosen)
        except ContentError as err:
            raise ContentError(f"{err} (in the version with {' and '.join(chosen)})") from err
    return out


def _parse_variants(value: Any, eid: str) -> tuple[Variant, ...]:
    if not isinstance(value, list):
        raise ContentError(f"exercise {eid!r}: field 'variants' must be a list")
    out: list[Variant] = []
    for raw in value:
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or raw.get("axis") not in VARIANT_AXES:
            raise ContentError(f"exercise {eid!r}: each of 'variants' needs an id and an axis in {VARIANT_AXES}")
        changes = raw.get("changes")
        if not isinstance(changes, dict) or not changes:
            raise ContentError(f"exercise {eid!r}: variant {raw['id']!r} field 'changes' must say what it changes")
        unknown = set(changes) - VARIANT_FIELDS
        if unknown:
            raise ContentError(f"exercise {eid!r}: variant {raw['id']!r} cannot change {sorted(unknown)} "
                               f"(cautions stay with every version)")
        if not isinstance(raw.get("source"), str) or not raw["source"].strip():
            raise ContentError(f"exercise {eid!r}: variant {raw['id']!r} field 'source' must name its article")
        notes = raw.get("sources", {})
        if not isinstance(notes, dict):
            raise ContentError(f"exercise {eid!r}: variant {raw['id']!r} field 'sources' must be an object")
        if raw["id"] in {v.id for v in out}:
            raise ContentError(f"exercise {eid!r}: variant id {raw['id']!r} is used twice")
        out.append(Variant(raw["id"], raw["axis"], raw["source"], {**changes, "sources": notes}))
    return tuple(out)


def _parse_work(work_raw: Any, eid: str) -> Work:
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
    pacing = {}
    for name, default in (("ready_seconds", DEFAULT_READY_SECONDS), ("recover_seconds", DEFAULT_RECOVER_SECONDS)):
        value = work_raw.get(name, default)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 10:
            raise ContentError(f"exercise {eid!r}: field 'work.{name}' must be a number of seconds from 0 to 10")
        pacing[name] = value
    repeat_cue = work_raw.get("repeat_cue")
    if repeat_cue is not None:
        repeat_cue = _text(repeat_cue, eid, "work.repeat_cue")
    return Work(work_raw["kind"], _text(work_raw.get("cue"), eid, "work.cue"), work_raw.get("release"), beat,
                pacing["ready_seconds"], pacing["recover_seconds"], repeat_cue)


def _check_counting(ex: Exercise) -> None:
    """The numbers must be ones the counting engine can speak within one turn per rep."""
    if ex.work.kind in ("hold", "timed") and ex.hold_seconds < 1:
        raise ContentError(f"exercise {ex.id!r}: field 'hold_seconds' must be at least 1 for a {ex.work.kind} exercise")
    if ex.work.kind == "timed" and ex.hold_seconds % ex.work.count_every_seconds:
        raise ContentError(f"exercise {ex.id!r}: field 'hold_seconds' must be a multiple of work.count_every_seconds")
    if ex.work.kind == "hold" and ex.hold_seconds > 20:
        raise ContentError(f"exercise {ex.id!r}: field 'hold_seconds' over 20 cannot be counted second by second "
                           "(the count words no longer fit their seconds); make it timed work")
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
    if ex.get_ready_seconds > 30:
        raise ContentError(f"exercise {ex.id!r}: field 'get_ready_seconds' over 30 leaves too little of the turn; "
                           "use a ready gate (ready_when) instead")


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


def positive(e: dict[str, Any], name: str, eid: str) -> int:
    """A whole number >= 1 from field `name`.

    Raises:
        ContentError: it is missing or not a positive whole number.
    """
    value = e.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ContentError(f"exercise {eid!r}: field {name!r} must be a whole number of at least 1, not {value!r}")
    return value


def _non_negative(e: dict[str, Any], name: str, eid: str) -> int:
    value = e.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ContentError(f"exercise {eid!r}: field {name!r} must be a whole number of at least 0, not {value!r}")
    return value
