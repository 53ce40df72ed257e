"""Typed state with one owner: the session's workout and the user's stored progress.

Session attributes come back from the device and can be tampered with, and stored progress may come
from an older version, so both are validated against the catalog on the way in. Anything that does
not check out is dropped (the user's stored progress then decides), never trusted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from skill.content.catalog import Catalog, Choices
from skill.progress.choices import choices_dict, parse_choices, parse_known
from skill.progress.events import Applied, ProgressEvent, apply_events, unsaved_from
from skill.progress.history import TrainingLog
from skill.progress.local_time import valid_zone
from skill.workout.pace import NORMAL_PACE, clamp_pace
from skill.workout.planning import Mark
from skill.workout.routine import Mode, Position, Workout

SCHEMA = 2                     # of the session attributes; 2: the pending question replaced "phase"
STORED_SCHEMA = 1              # of the stored progress
MAX_REPLAY_CHARS = 8_000       # one response's SSML; anything longer was not ours
MAX_REPROMPT_CHARS = 400       # our longest question is about 250 characters; it is spoken again on "repeat"
MAX_MARKS = 200                # counted units in one turn; far more than any real turn has
APPLIED_KEY = "applied_events"  # stored: ids of the events already added, so none is added twice
COUNTER_KEYS = ("log", "routines_completed", APPLIED_KEY)   # added to the stored copy, never overwritten


class Question(StrEnum):
    """What Foot Coach last asked, so every answer has one meaning (the table: conversation/table.py)."""

    NONE = "none"                          # nothing asked (the session is ending, or just opened)
    START_ROUTINE = "start_routine"        # "Would you like to start the routine, or name an exercise?"
    RESUME_LAST_TIME = "resume_last_time"  # "Welcome back. Last time you stopped at ... Shall we carry on?"
    NEXT_EXERCISE = "next_exercise"        # "Next up is toe walking. Ready?" (nothing of it done yet)
    NEXT_PART = "next_part"                # "Ready for the left leg?", "Ready for set two?", "Ready to carry on?"
    RESUME_PAUSED = "resume_paused"        # "Paused at ... Would you like to resume now?"
    WAYS_ON = "ways_on"                    # after a "no": "Say resume when you're ready, skip, or stop."
    START_NAMED = "start_named"            # after "how do I do X" elsewhere: "Would you like to start X?"
    AFTER_PAIN = "after_pain"              # "Shall we skip to the next exercise? If not, we'll finish for today."
    CONFIRM_FORGET = "confirm_forget"      # "This deletes everything ... Are you sure?"
    OFFER_REMINDERS = "offer_reminders"    # "Shall I remind you every day at ...?"
    GET_IN_POSITION = "get_in_position"    # after the set-up of a floor exercise: "Say ready when you're lying down."


# Questions about a place in a workout: session attributes naming one of these without a place are refused.
POSITIONED_QUESTIONS = frozenset({Question.RESUME_LAST_TIME, Question.NEXT_PART, Question.RESUME_PAUSED,
                                  Question.WAYS_ON, Question.AFTER_PAIN, Question.GET_IN_POSITION})


@dataclass(frozen=True)
class SessionState:
    """What this session needs between turns (kept in session attributes)."""

    workout: Workout = field(default_factory=Workout.idle)
    briefed: bool = False          # the current exercise's set-up cue has been given
    pace: int = NORMAL_PACE
    sounds: bool = True            # sounds mark each hold's and rest's end ("sounds off" turns them off)
    last_ssml: str = ""            # the last response, for "repeat"
    last_reprompt: str = ""
    turn_at: float = 0.0           # request time (epoch s) of the last counted turn
    turn_seconds: float = 0.0      # its estimated length, to tell "pause" mid-turn from after it
    last_was_count: bool = False   # last_ssml is that counted turn (so "repeat" restarts its timeline)
    heard_safety: bool = False     # said this session, even if storage could not record it
    turn_marks: tuple[Mark, ...] = ()  # the last counted turn's timeline, for a rep-exact pause
    turn_counted_until: tuple[float, float] = (0.0, 0.0)  # when its counting ends: (at, silence) seconds
    session_counted: bool = False  # this Alexa session already counts as a training session
    timezone: str | None = None    # looked up once per session
    question: Question = Question.NONE   # what was last asked: decides what each answer means
    offered: str | None = None     # the exercise id offered by START_NAMED
    unheard_finish: ProgressEvent | None = None  # the last turn's finish, taken back if a stop cuts that turn
    skipped: bool = False          # an exercise of this routine run was skipped (no "whole routine" praise)
    unsaved: tuple[ProgressEvent, ...] = ()  # history whose save failed: carried until a save succeeds
    choices: Choices = ()          # the versions this user does (a copy of UserProgress.choices)

    def to_dict(self) -> dict[str, Any]:
        """Serialise for session attributes."""
        w = self.workout
        return {
            "schema": SCHEMA, "question": self.question.value, "mode": w.mode.value, "offered": self.offered,
            "unheard_finish": self.unheard_finish.to_dict() if self.unheard_finish else None,
            "skipped": self.skipped,
            "position": _position_dict(w.position), "turn_start": _position_dict(w.turn_start),
            "briefed": self.briefed, "pace": self.pace, "sounds": self.sounds, "last_ssml": self.last_ssml,
            "last_reprompt": self.last_reprompt, "turn_at": self.turn_at, "turn_seconds": self.turn_seconds,
            "last_was_count": self.last_was_count,
            "heard_safety": self.heard_safety, "session_counted": self.session_counted,
            "turn_marks": [[m.at, m.silence, m.position.set, m.position.side, m.position.rep] for m in self.turn_marks],
            "turn_counted_until": list(self.turn_counted_until),
            "timezone": self.timezone, "unsaved": [event.to_dict() for event in self.unsaved],
            "choices": choices_dict(self.choices),
        }

    @classmethod
    def from_dict(cls, data: Any, catalog: Catalog) -> SessionState | None:
        """Parse session attributes; None when absent or not trustworthy."""
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            return None
        choices = parse_choices(data.get("choices"), catalog)
        catalog = catalog.with_choices(choices)  # places are checked against the versions chosen
        try:
            question, mode = Question(data["question"]), Mode(data["mode"])
            position = position_from(data.get("position"), catalog)
            turn_start = position_from(data.get("turn_start"), catalog)
            pace = clamp_pace(data.get("pace", NORMAL_PACE))
            last_ssml, last_reprompt = str(data.get("last_ssml", "")), str(data.get("last_reprompt", ""))
            turn_at, turn_seconds = _finite(data.get("turn_at", 0)), _finite(data.get("turn_seconds", 0))
        except (KeyError, ValueError, TypeError):
            return None
        if question in POSITIONED_QUESTIONS and position is None:
            return None
        offered = data.get("offered")
        if question is Question.START_NAMED:
            if not isinstance(offered, str) or offered not in {e.id for e in catalog.exercises}:
                return None
        else:
            offered = None
        if len(last_ssml) > MAX_REPLAY_CHARS:
            last_ssml = ""
        return cls(workout=Workout(mode, position, turn_start), briefed=data.get("briefed") is True,
                   pace=pace, sounds=data.get("sounds") is not False, last_ssml=last_ssml, last_reprompt=last_reprompt[:MAX_REPROMPT_CHARS], turn_at=turn_at,
                   turn_seconds=turn_seconds, last_was_count=data.get("last_was_count") is True,
                   heard_safety=data.get("heard_safety") is True,
                   turn_marks=_marks_from(data.get("turn_marks"), turn_start, catalog),
                   turn_counted_until=_counted_until(data.get("turn_counted_until"), turn_seconds),
                   session_counted=data.get("session_counted") is True,
                   timezone=valid_zone(data.get("timezone")), question=question, offered=offered,
                   unheard_finish=ProgressEvent.from_dict(data.get("unheard_finish")),
                   skipped=data.get("skipped") is True, unsaved=unsaved_from(data.get("unsaved")), choices=choices)

    def with_workout(self, workout: Workout, **changes: Any) -> SessionState:
        """A copy with a new workout (and any other field changes)."""
        return replace(self, workout=workout, **changes)


@dataclass(frozen=True)
class UserProgress:
    """What is stored per user between sessions."""

    place: Position | None = None   # where the user stopped, if mid-workout
    mode: Mode = Mode.ROUTINE
    heard_safety: bool = False      # the one-time safety sentence has been spoken
    pace: int = NORMAL_PACE
    sounds: bool = True             # sounds mark each hold's and rest's end; "sounds off" is remembered
    timezone: str | None = None     # the device's time zone, from the Alexa Settings API
    timezone_checked: str | None = None  # the day (UTC, ISO) it was last asked for; asked at most daily
    log: TrainingLog = field(default_factory=TrainingLog)
    routines_completed: int = 0
    applied: tuple[str, ...] = ()   # ids of the events already added (see progress/events.py)
    choices: Choices = ()           # the version of each exercise the user asked for ("make it harder")
    known: frozenset[str] = frozenset()  # set-ups heard in full: later times get the short version

    def to_dict(self) -> dict[str, Any]:
        """Serialise for the persistence adapter."""
        return {"schema": STORED_SCHEMA, "place": _position_dict(self.place), "mode": self.mode.value,
                "heard_safety": self.heard_safety, "pace": self.pace, "sounds": self.sounds, "timezone": self.timezone,
                "timezone_checked": self.timezone_checked, "choices": choices_dict(self.choices),
                "known": sorted(self.known), "log": self.log.to_dict(),
                "routines_completed": self.routines_completed, APPLIED_KEY: list(self.applied)}

    @classmethod
    def from_dict(cls, data: Any, catalog: Catalog) -> UserProgress:
        """Parse stored attributes; unknown or broken fields fall back to defaults."""
        if not isinstance(data, dict):
            return cls()
        try:
            mode = Mode(data.get("mode", Mode.ROUTINE))
        except ValueError:
            mode = Mode.ROUTINE
        timezone = valid_zone(data.get("timezone"))
        routines = data.get("routines_completed", 0)
        checked = data.get("timezone_checked") if isinstance(data.get("timezone_checked"), str) else None
        choices = parse_choices(data.get("choices"), catalog)
        return cls(position_from(data.get("place"), catalog.with_choices(choices)), mode, data.get("heard_safety") is True,
                   clamp_pace(data.get("pace", NORMAL_PACE)), data.get("sounds") is not False, timezone, checked, TrainingLog.from_dict(data.get("log")),
                   routines if isinstance(routines, int) and routines >= 0 else 0,
                   tuple(Applied(data.get(APPLIED_KEY)).ids), choices, parse_known(data.get("known"), catalog))

    def with_unsaved(self, events: tuple[ProgressEvent, ...]) -> tuple[UserProgress, tuple[ProgressEvent, ...]]:
        """This progress with the session's unsaved events added, and those still unsaved.

        An event whose id this progress has already applied (its save went through after all) is
        dropped, so it is neither counted twice here nor carried any longer.
        """
        applied = Applied(list(self.applied))
        pending = tuple(event for event in events if event not in applied)
        if not pending:
            return self, ()
        log, routines = apply_events(self.log, self.routines_completed, applied, pending)
        return replace(self, log=log, routines_completed=routines), pending

    def merge_into(self, stored: dict[str, Any], loaded: UserProgress,
                   events: tuple[ProgressEvent, ...] = ()) -> dict[str, Any]:
        """Write the fields that differ from what this request `loaded` over the freshest stored copy.

        Place, pace and flags are "last change wins", and only changed fields are written, so a
        save after a storage outage cannot reset what it never read. Counters are added to the
        stored copy (`events`), so two devices training at once never overwrite each other, and an
        event whose id the stored copy has applied already is not added again (progress/events.py).
        """
        mine, theirs = self.to_dict(), loaded.to_dict()
        changed = {k: v for k, v in mine.items() if k not in COUNTER_KEYS and theirs.get(k) != v}
        merged = {**stored, **changed, "schema": STORED_SCHEMA}
        routines = stored.get("routines_completed", 0)
        applied = Applied(stored.get(APPLIED_KEY))
        log, routines = apply_events(TrainingLog.from_dict(stored.get("log")),
                                     routines if isinstance(routines, int) and routines > 0 else 0, applied, events)
        merged["log"], merged["routines_completed"], merged[APPLIED_KEY] = log.to_dict(), routines, applied.to_list()
        if "known" in changed and isinstance(stored.get("known"), list):  # set-ups heard on any device stay heard
            merged["known"] = sorted(set(self.known) | {k for k in stored["known"] if isinstance(k, str)})
        return merged


def position_from(data: Any, catalog: Catalog) -> Position | None:
    """A Position from a dict, or None when it names no real place in the catalog."""
    if not isinstance(data, dict):
        return None
    try:
        position = Position(str(data["exercise_id"]), int(data["set"]), int(data["side"]), int(data["rep"]))
        exercise = catalog.get(position.exercise_id)
    except (KeyError, ValueError, TypeError):
        return None
    return position if position.is_valid_for(exercise) else None


def _position_dict(position: Position | None) -> dict[str, Any] | None:
    # Written out rather than dataclasses.asdict, which deep-copies and is slow on every turn.
    if position is None:
        return None
    return {"exercise_id": position.exercise_id, "set": position.set, "side": position.side, "rep": position.rep}


def _marks_from(data: Any, turn_start: Position | None, catalog: Catalog) -> tuple[Mark, ...]:
    """The last turn's timeline, if every mark is a real place in that turn's exercise."""
    if turn_start is None or not isinstance(data, list) or len(data) > MAX_MARKS:
        return ()
    marks = []
    for item in data:
        try:
            at, silence, set_, side, rep = (_finite(item[0]), _finite(item[1]), int(item[2]), int(item[3]), int(item[4]))
        except (TypeError, ValueError, IndexError, KeyError):
            return ()
        position = position_from({"exercise_id": turn_start.exercise_id, "set": set_, "side": side, "rep": rep}, catalog)
        if position is None or not 0 <= silence <= at:
            return ()
        marks.append(Mark(at, silence, position))
    return tuple(marks)


def _counted_until(data: Any, turn_seconds: float) -> tuple[float, float]:
    """When the last turn's counting ended, if it is a moment inside that turn; else unknown (0, 0)."""
    try:
        at, silence = _finite(data[0]), _finite(data[1])
    except (TypeError, ValueError, IndexError, KeyError):
        return (0.0, 0.0)
    return (at, silence) if 0 <= silence <= at <= turn_seconds else (0.0, 0.0)


def _finite(value: Any) -> float:
    """A finite number, or ValueError (session attributes may carry "nan" or "1e999")."""
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"not a finite number: {value!r}")
    return number
