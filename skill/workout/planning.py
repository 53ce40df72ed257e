"""Plan one counted turn: the set-up cue, then as many counted blocks as fit, then a question.

Plain Python with no Alexa imports. The counting itself (holds, rests, reps, and how each is timed)
is counting.py; this module fits it into Alexa's limits for one response.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

from skill.content.catalog import Catalog, Exercise
from skill.content.prompts import Prompts
from skill.content.sounds import NO_SOUNDS, SoundCues
from skill.speech.ssml import Speech
from skill.workout.counting import CountBlock, CountedUnit, Cue, count_block, exercise_intro, rest_tail_seconds
from skill.workout.pace import NORMAL_PACE
from skill.workout.routine import Mode, Position, blocks_from, next_block
from skill.workout.wording import announcement

__all__ = ["CountBlock", "CountedUnit", "Cue", "Mark", "Turn", "count_block", "estimate_exercise_seconds", "plan_turn"]

@dataclass(frozen=True)
class Turn:
    """One planned response: what to say, where it started and where the next turn starts."""

    speech: Speech
    start: Position
    end: Position | None      # None: the exercise is finished
    next_exercise: Exercise | None
    reprompt: str
    ends_session: bool
    marks: tuple[Mark, ...] = ()  # when each counted unit starts, for "pause" mid-turn
    placed: tuple[tuple[float, CountedUnit], ...] = ()  # each counted unit with its start time
    counted_until: tuple[float, float] = (0.0, 0.0)  # when the counting ends (before the closing words): at, silence

    @functools.cached_property
    def cues(self) -> tuple[Cue, ...]:
        """What a screen shows, and when (worked out only for devices that have a screen)."""
        return tuple(Cue(round(start + cue.at, 2), cue.counter, cue.caption)
                     for start, unit in self.placed for cue in unit.cues)


@dataclass(frozen=True)
class Mark:
    """A counted unit's place and its estimated start, in seconds from the start of the turn."""

    at: float
    silence: float  # the exact part of `at` (breaks and sounds); the rest is estimated speech
    position: Position


def plan_turn(catalog: Catalog, prompts: Prompts, position: Position, mode: Mode,
              pace: int = NORMAL_PACE, lead_in: Speech | None = None, briefed: bool = False,
              praise: str | None = None, count: CountBlock = count_block, whole_routine: bool = True,
              familiar: bool = False, sounds: SoundCues = NO_SOUNDS) -> Turn:
    """Fit as many whole blocks as one turn allows, then close with the right question.

    The set-up cue comes first unless the user was already `briefed`. Every turn counts at least
    its first unit: when the cue and the first block do not fit together, the turn ends between reps
    of that block ("Ready to carry on?"); when a lead-in leaves no room for even one unit, the
    lead-in is dropped, never the counting. `praise` is said if the turn finishes the exercise (for
    example, the day's goal reached); `whole_routine` is False when an exercise of this routine run
    was skipped, so its end is not praised as the whole routine done. A `familiar` user hears the
    set-up in one sentence instead of every step. `sounds` are the cues that mark each hold's end, each
    rest's end and the exercise's end (NO_SOUNDS for a user who turned them off).
    """
    exercise = catalog.get(position.exercise_id)
    intro = None if not position.is_exercise_start() or briefed else exercise_intro(exercise, prompts, familiar)
    turn = None
    for opening_events in ((lead_in, intro), (None, intro)):
        opening = Speech(pace)
        for part in opening_events:
            if part:
                opening.extend(part)
        turn = _fill_turn(catalog, prompts, exercise, position, mode, pace, opening, praise, count, whole_routine,
                          sounds)
        if turn.speech.fits_one_turn():
            return turn
    assert turn is not None
    return turn


def _fill_turn(catalog: Catalog, prompts: Prompts, exercise: Exercise, position: Position, mode: Mode,
               pace: int, body: Speech, praise: str | None, count: CountBlock, whole_routine: bool = True,
               sounds: SoundCues = NO_SOUNDS) -> Turn:
    """Greedily add counted units after `body` while the closed turn still fits."""
    # The best turn so far and how many marks and cues it covers; they are attached once, at the
    # end (dataclasses.replace for every candidate cost more than the rest of the loop).
    best: tuple[Turn, int] | None = None
    marks: list[Mark] = []
    placed: list[tuple[float, CountedUnit]] = []
    ends: list[tuple[float, float]] = []
    split: list[tuple[Turn, int]] = []  # the first block's turns ending after its 1st, 2nd, ... unit
    for block in blocks_from(exercise, position):
        units = count(exercise, block, prompts, pace, sounds)
        if block != position and exercise.rest_seconds:
            body.play(sounds.set_end)  # the rest before this set is over (count_block left room for it)
        for i, unit in enumerate(units):
            start = body.estimated_seconds()
            marks.append(Mark(round(start, 2), body.exact_seconds,
                              Position(block.exercise_id, block.set, block.side, block.rep + i)))
            placed.append((start, unit))
            body.extend(unit.speech)
            ends.append((round(body.estimated_seconds(), 2), body.exact_seconds))
            done_block = i == len(units) - 1
            if not done_block and block != position:
                continue  # ending between reps is allowed only inside the turn's first block
            end = next_block(exercise, block) if done_block else Position(block.exercise_id, block.set, block.side, block.rep + i + 1)
            turn = _close(catalog, prompts, exercise, position, end, mode, Speech(pace).extend(body), praise,
                          whole_routine, sounds)
            if not turn.speech.fits_one_turn():
                if best is None:
                    return turn  # a single unit always fits; this only guards bad data
                if block == position and split:
                    # The first block needs more than one turn: share its units evenly between the
                    # turns it needs, instead of leaving one rep for the next ("rep ten, ready?").
                    turns_needed = -(-len(units) // len(split))
                    best = split[-(-len(units) // turns_needed) - 1]
                return _with_timeline(*best, marks, placed, ends)
            best = (turn, len(marks))
            if block == position:
                split.append(best)
    assert best is not None
    return _with_timeline(*best, marks, placed, ends)


def _with_timeline(turn: Turn, covered: int, marks: list[Mark], placed: list[tuple[float, CountedUnit]],
                   ends: list[tuple[float, float]]) -> Turn:
    """The turn with the marks and placed units of the units it voices, and when its counting ends."""
    return replace(turn, marks=tuple(marks[:covered]), placed=tuple(placed[:covered]), counted_until=ends[covered - 1])


def _close(catalog: Catalog, prompts: Prompts, exercise: Exercise, start: Position, end: Position | None,
           mode: Mode, speech: Speech, praise: str | None = None, whole_routine: bool = True,
           sounds: SoundCues = NO_SOUNDS) -> Turn:
    """Add the closing words: the next question, or the end of the exercise or routine."""
    if end is not None:
        if end.rep == 1 and exercise.rest_seconds:
            # The turn ends in a rest: ask when the next set would have been announced, as the rest's sound ends it.
            speech.pause(rest_tail_seconds(exercise, end, prompts, speech.rate_percent)).play(sounds.set_end)
        if end.rep > 1:
            question = prompts.pick("ask_continue")
        elif end.side != 0 or (end.set == 1 and exercise.sides):
            question = prompts.pick("ask_next_side", side=exercise.sides[end.side])
        else:
            question = prompts.pick("ask_next_set", n=prompts.words.number(end.set))
        speech.say(question)
        return Turn(speech, start, end, None, prompts.pick("reprompt_continue"), ends_session=False)
    speech.say(prompts.pick("exercise_done", name=exercise.name))  # its sound ended the last rep (counting.py)
    if praise:
        speech.say(praise)
    following = catalog.after(exercise.id)
    if following is None:
        if mode is Mode.ROUTINE:
            speech.say(prompts.pick("routine_done" if whole_routine else "routine_end_skipped"))
        else:
            speech.say(prompts.pick("last_exercise_done"))
        return Turn(speech, start, None, None, "", ends_session=True)
    speech.say(announcement(following, prompts))
    return Turn(speech, start, None, following, prompts.pick("reprompt_continue"), ends_session=False)


def estimate_exercise_seconds(catalog: Catalog, prompts: Prompts, exercise: Exercise, pace: int = NORMAL_PACE,
                              count: CountBlock = count_block, sounds: SoundCues = NO_SOUNDS) -> float:
    """How long an exercise takes from its set-up cue to its last rep, by planning every turn."""
    total, position, briefed = 0.0, Position(exercise.id), False
    while True:
        turn = plan_turn(catalog, prompts, position, Mode.SINGLE, pace, briefed=briefed, count=count, sounds=sounds)
        total += turn.speech.estimated_seconds()
        if turn.end is None:
            return total
        position, briefed = turn.end, True
