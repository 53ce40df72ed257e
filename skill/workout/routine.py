"""The routine engine: where the user is in a workout and how each command moves them.

Plain Python with no Alexa imports. A workout is a walk through blocks: one block is one set on one
side of one exercise. Turns end at block boundaries (or, for a block too long for one turn, at a rep
boundary), so nobody is ever cut off mid-rep.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from skill.content.catalog import Catalog, Exercise
from skill.content.prompts import Prompts


class Mode(StrEnum):
    """Whether the user asked for the whole routine or a single exercise."""

    ROUTINE = "routine"
    SINGLE = "single"


@dataclass(frozen=True)
class Position:
    """The next thing to do: an exercise, its set and side, and the first rep still to do."""

    exercise_id: str
    set: int = 1
    side: int = 0
    rep: int = 1

    def is_exercise_start(self) -> bool:
        """True at the very start of an exercise (before its set-up cue)."""
        return (self.set, self.side, self.rep) == (1, 0, 1)

    def block_start(self) -> Position:
        """The start of this position's block (used to rewind an interrupted turn)."""
        return replace(self, rep=1)

    def is_valid_for(self, exercise: Exercise) -> bool:
        """True when set, side and rep all exist in this exercise."""
        return (1 <= self.set <= exercise.sets and 0 <= self.side < exercise.side_count
                and 1 <= self.rep <= exercise.units_per_block)


def first_position(exercise: Exercise) -> Position:
    """Where an exercise starts."""
    return Position(exercise.id)


def next_block(exercise: Exercise, position: Position) -> Position | None:
    """The block after the one at `position`, or None when the exercise is finished."""
    if position.side + 1 < exercise.side_count:
        return Position(exercise.id, position.set, position.side + 1)
    if position.set < exercise.sets:
        return Position(exercise.id, position.set + 1, 0)
    return None


def blocks_from(exercise: Exercise, position: Position) -> list[Position]:
    """Every block still to do in this exercise, starting with the one at `position`."""
    out: list[Position] = []
    current: Position | None = position
    while current is not None:
        out.append(current)
        current = next_block(exercise, current)
    return out


def describe_place(catalog: Catalog, position: Position, prompts: Prompts) -> str:
    """Say where a position is: "ankle circles, left leg", "toe walking, set three"."""
    exercise = catalog.get(position.exercise_id)
    parts = [exercise.name]
    if exercise.sides:
        parts.append(exercise.sides[position.side])
    if exercise.sets > 1:
        parts.append(prompts.pick("place_set", n=prompts.words.number(position.set)))
    if position.rep > 1:
        # `rep` counts across directions (ankle circles: 1-10 clockwise, 11-20 the other way).
        direction, rep = divmod(position.rep - 1, exercise.reps)
        if exercise.directions:
            parts.append(exercise.directions[direction])
        parts.append(prompts.pick("place_rep", n=prompts.words.number(rep + 1)))
    return ", ".join(parts)


@dataclass(frozen=True)
class Workout:
    """A workout: whole routine or one exercise, the next position (None: none under way), and where
    the last counted turn began (for repeat and pause). What the skill last asked is not the
    workout's business: it is the session's pending question (progress/state.py)."""

    mode: Mode = Mode.ROUTINE
    position: Position | None = None
    turn_start: Position | None = None

    @classmethod
    def idle(cls) -> Workout:
        """No workout under way."""
        return cls()

    def in_workout(self) -> bool:
        """True while there is a place to continue from."""
        return self.position is not None


def start(catalog: Catalog, exercise_id: str | None = None) -> Workout:
    """Start the whole routine (no id) or a single exercise."""
    if exercise_id is None:
        return Workout(Mode.ROUTINE, first_position(catalog.exercises[0]))
    return Workout(Mode.SINGLE, first_position(catalog.get(exercise_id)))


def after_turn(catalog: Catalog, workout: Workout, turn_start: Position, turn_end: Position | None) -> Workout:
    """Move past a counted turn; at the end of an exercise, on to the next one (None after the last)."""
    if turn_end is not None:
        return Workout(workout.mode, turn_end, turn_start)
    following = catalog.after(turn_start.exercise_id)
    return Workout(workout.mode, first_position(following) if following else None, turn_start)


def skip(catalog: Catalog, workout: Workout) -> Workout:
    """Skip the rest of the current exercise; None position when it was the last."""
    assert workout.position is not None
    following = catalog.after(workout.position.exercise_id)
    return Workout(workout.mode, first_position(following) if following else None, None)


def start_over(catalog: Catalog, workout: Workout) -> Workout:
    """Go back to the beginning of the current exercise."""
    assert workout.position is not None
    return Workout(workout.mode, first_position(catalog.get(workout.position.exercise_id)), None)


def pause(workout: Workout, resume_at: Position | None = None) -> Workout:
    """Stop at `resume_at` (a place inside the last counted turn, when the user cut it short) or
    else at the next position.

    `resume_at` comes from the pause estimate, which only ever picks a place at or before the one
    being spoken: the user may repeat part of a turn, but never misses a rep.
    """
    return Workout(workout.mode, resume_at or workout.position, None)
