"""Plan and voice one counted turn: the set-up cue, then reps, holds and rests, then a question.

Plain Python with no Alexa imports. Every number spoken and every pause comes from the exercise
data; the only figures of our own are the pacing constants below, which shape the speech around the
prescribed holds and rests and never shorten them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from skill.content.catalog import Catalog, Exercise
from skill.content.prompts import Prompts
from skill.speech.ssml import Speech
from skill.workout.pace import NORMAL_PACE
from skill.workout.routine import Mode, Position, blocks_from, next_block

SETUP_PAUSE_SECONDS = 3            # time to get into position before the first rep
SETUP_PAUSE_WITH_EQUIPMENT = 5     # a little longer when a band or pencil must be fetched
RELAX_BETWEEN_REPS_SECONDS = 1     # a breath between held reps; the hold itself is exact


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
class Cue:
    """What a screen shows from a moment of the turn: a big counter and a caption."""

    at: float  # seconds from the start of the turn, on the same estimated timeline as the speech
    counter: str
    caption: str


@dataclass(frozen=True)
class CountedUnit:
    """One rep (or one timed set) as speech, with its screen cues relative to the unit's start."""

    speech: Speech
    cues: tuple[Cue, ...]


@dataclass(frozen=True)
class Mark:
    """A counted unit's place and its estimated start, in seconds from the start of the turn."""

    at: float
    silence: float  # the exact (break) part of `at`; the rest is estimated speech
    position: Position


def exercise_intro(exercise: Exercise, prompts: Prompts) -> Speech:
    """The set-up cue: name, position, equipment, the first caution, time to get ready."""
    speech = Speech().say(prompts.pick("exercise_intro", name=exercise.name))
    if exercise.equipment:
        speech.say(prompts.pick("equipment", items=prompts.words.join(exercise.equipment)))
    speech.say(exercise.position)
    for caution in exercise.cautions[:1]:
        speech.say(caution)
    speech.say(prompts.pick("get_ready"))
    speech.pause(SETUP_PAUSE_WITH_EQUIPMENT if exercise.equipment else SETUP_PAUSE_SECONDS)
    return speech.say(prompts.pick("begin"))


def count_block(exercise: Exercise, position: Position, prompts: Prompts, pace: int = NORMAL_PACE) -> list[CountedUnit]:
    """Voice one block from `position.rep` to its end, as one CountedUnit per counted unit.

    The block header (set, side) goes with the block's first unit and the rest between sets with
    its last, so a turn may end after any unit without cutting a rep or a rest in half.
    """
    units: list[CountedUnit] = []
    per_direction = exercise.reps
    for unit in range(position.rep, exercise.units_per_block + 1):
        speech, cues = Speech(pace), _Cues()
        if unit == 1:
            _block_header(speech, exercise, position, prompts)
        direction, rep = divmod(unit - 1, per_direction)
        rep += 1
        if exercise.directions and rep == 1:
            key = "direction" if direction == 0 else "direction_next"
            speech.say(prompts.pick(key, direction=exercise.directions[direction].capitalize() if direction == 0
                                    else exercise.directions[direction]))
        where = " · ".join(filter(None, (exercise.side_name(position.side),
                                          exercise.directions[direction] if exercise.directions else None)))
        _count_rep(speech, cues, exercise, rep, position, where,
                   first_of_turn=unit == position.rep, prompts=prompts, pace=pace)
        units.append(CountedUnit(speech, tuple(cues)))
    if exercise.rest_seconds and next_block(exercise, position) is not None:
        last = units[-1]
        last.speech.say(prompts.pick("rest", seconds=prompts.words.number(exercise.rest_seconds)))
        rest_cue = Cue(last.speech.estimated_seconds(), str(exercise.rest_seconds), prompts.pick("caption_rest"))
        last.speech.pause(exercise.rest_seconds)
        units[-1] = CountedUnit(last.speech, (*last.cues, rest_cue))
    return units


class _Cues(list[Cue]):
    """Screen cues of one unit, stamped with the unit's speech length when added."""

    def show(self, speech: Speech, counter: str, caption: str) -> None:
        self.append(Cue(speech.estimated_seconds(), counter, caption))


def _block_header(speech: Speech, exercise: Exercise, position: Position, prompts: Prompts) -> None:
    if exercise.sets > 1:
        speech.say(prompts.pick("set_intro", n=prompts.words.number(position.set),
                                total=prompts.words.number(exercise.sets)))
    if exercise.sides:
        side = exercise.sides[position.side]
        speech.say(prompts.pick("side_first", side=side.capitalize()) if position.side == 0
                   else prompts.pick("side_next", side=side))


def _count_rep(speech: Speech, cues: _Cues, exercise: Exercise, rep: int, position: Position, where: str, *,
               first_of_turn: bool, prompts: Prompts, pace: int) -> None:
    """Voice one rep: the cue, then the hold counted second by second, or the rep's own beat."""
    work = exercise.work
    if work.kind == "reps":
        if first_of_turn or rep == 1:
            speech.say(work.cue + ".")
        # The number marks the start of each movement; the pause is the movement itself.
        cues.show(speech, str(rep), where or work.cue)
        assert exercise.rep_seconds is not None, "the catalog requires rep_seconds for a reps exercise"
        speech.say(prompts.words.number(rep)).pause(exercise.rep_seconds * NORMAL_PACE / pace)
        return
    label = (prompts.pick("caption_set", n=position.set, total=exercise.sets)
             if work.kind == "timed" and exercise.sets > 1 else prompts.pick("caption_rep", n=rep, total=exercise.reps))
    caption = " · ".join(filter(None, (where, label)))
    if exercise.reps > 1:
        speech.say(prompts.pick("rep_label", n=prompts.words.number(rep)))
    if first_of_turn or work.kind == "timed":
        speech.say(work.cue + ".")
    beat = work.count_every_seconds
    first_word = prompts.pick("hold") if work.kind == "hold" else ""
    for elapsed in range(0, exercise.hold_seconds, beat):
        # Hold counts say the second starting now ("hold, two, three"); timed counts say the seconds gone.
        shown = elapsed + 1 if work.kind == "hold" else elapsed
        word = first_word if elapsed == 0 else prompts.words.number(shown)
        cues.show(speech, str(shown), caption)
        speech.say(word).pause(beat)
    if work.release:
        cues.show(speech, "✓", work.release.capitalize())
        speech.say(work.release + ".")
    if work.kind == "hold" and rep < exercise.reps:
        speech.pause(RELAX_BETWEEN_REPS_SECONDS * NORMAL_PACE / pace)


# count_block's signature, so a cached version (turn_cache.cached_counting) can stand in for it.
CountBlock = Callable[[Exercise, Position, Prompts, int], Sequence[CountedUnit]]


def plan_turn(catalog: Catalog, prompts: Prompts, position: Position, mode: Mode,
              pace: int = NORMAL_PACE, lead_in: Speech | None = None, briefed: bool = False,
              praise: str | None = None, count: CountBlock = count_block, whole_routine: bool = True) -> Turn:
    """Fit as many whole blocks as one turn allows, then close with the right question.

    The set-up cue comes first unless the user was already `briefed`. Every turn counts at least
    its first unit: when the cue and the first block do not fit together, the turn ends between reps
    of that block ("Ready to carry on?"); when a lead-in leaves no room for even one unit, the
    lead-in is dropped, never the counting. `praise` is said if the turn finishes the exercise (for
    example, the day's goal reached); `whole_routine` is False when an exercise of this routine run
    was skipped, so its end is not praised as the whole routine done.
    """
    exercise = catalog.get(position.exercise_id)
    intro = None if not position.is_exercise_start() or briefed else exercise_intro(exercise, prompts)
    turn = None
    for opening_events in ((lead_in, intro), (None, intro)):
        opening = Speech(pace)
        for part in opening_events:
            if part:
                opening.extend(part)
        turn = _fill_turn(catalog, prompts, exercise, position, mode, pace, opening, praise, count, whole_routine)
        if turn.speech.fits_one_turn():
            return turn
    assert turn is not None
    return turn


def _fill_turn(catalog: Catalog, prompts: Prompts, exercise: Exercise, position: Position, mode: Mode,
               pace: int, body: Speech, praise: str | None, count: CountBlock, whole_routine: bool = True) -> Turn:
    """Greedily add counted units after `body` while the closed turn still fits."""
    # The best turn so far and how many marks and cues it covers; they are attached once, at the
    # end (dataclasses.replace for every candidate cost more than the rest of the loop).
    best: tuple[Turn, int] | None = None
    marks: list[Mark] = []
    placed: list[tuple[float, CountedUnit]] = []
    ends: list[tuple[float, float]] = []
    for block in blocks_from(exercise, position):
        units = count(exercise, block, prompts, pace)
        for i, unit in enumerate(units):
            start = body.estimated_seconds()
            marks.append(Mark(round(start, 2), body.silence_seconds,
                              Position(block.exercise_id, block.set, block.side, block.rep + i)))
            placed.append((start, unit))
            body.extend(unit.speech)
            ends.append((round(body.estimated_seconds(), 2), body.silence_seconds))
            done_block = i == len(units) - 1
            if not done_block and block != position:
                continue  # ending between reps is allowed only inside the turn's first block
            end = next_block(exercise, block) if done_block else Position(block.exercise_id, block.set, block.side, block.rep + i + 1)
            turn = _close(catalog, prompts, exercise, position, end, mode, Speech(pace).extend(body), praise,
                          whole_routine)
            if not turn.speech.fits_one_turn():
                if best is None:
                    return turn  # a single unit always fits; this only guards bad data
                return _with_timeline(*best, marks, placed, ends)
            best = (turn, len(marks))
    assert best is not None
    return _with_timeline(*best, marks, placed, ends)


def _with_timeline(turn: Turn, covered: int, marks: list[Mark], placed: list[tuple[float, CountedUnit]],
                   ends: list[tuple[float, float]]) -> Turn:
    """The turn with the marks and placed units of the units it voices, and when its counting ends."""
    return replace(turn, marks=tuple(marks[:covered]), placed=tuple(placed[:covered]), counted_until=ends[covered - 1])


def _close(catalog: Catalog, prompts: Prompts, exercise: Exercise, start: Position, end: Position | None,
           mode: Mode, speech: Speech, praise: str | None = None, whole_routine: bool = True) -> Turn:
    """Add the closing words: the next question, or the end of the exercise or routine."""
    if end is not None:
        if end.rep > 1:
            question = prompts.pick("ask_continue")
        elif end.side != 0 or (end.set == 1 and exercise.sides):
            question = prompts.pick("ask_next_side", side=exercise.sides[end.side])
        else:
            question = prompts.pick("ask_next_set", n=prompts.words.number(end.set))
        speech.say(question)
        return Turn(speech, start, end, None, prompts.pick("reprompt_continue"), ends_session=False)
    speech.say(prompts.pick("exercise_done", name=exercise.name))
    if praise:
        speech.say(praise)
    following = catalog.after(exercise.id)
    if following is None:
        if mode is Mode.ROUTINE:
            speech.say(prompts.pick("routine_done" if whole_routine else "routine_end_skipped"))
        else:
            speech.say(prompts.pick("last_exercise_done"))
        return Turn(speech, start, None, None, "", ends_session=True)
    speech.say(prompts.pick("ask_next_exercise", name=following.name))
    return Turn(speech, start, None, following, prompts.pick("reprompt_continue"), ends_session=False)


def estimate_exercise_seconds(catalog: Catalog, prompts: Prompts, exercise: Exercise, pace: int = NORMAL_PACE,
                              count: CountBlock = count_block) -> float:
    """How long an exercise takes from its set-up cue to its last rep, by planning every turn."""
    total, position, briefed = 0.0, Position(exercise.id), False
    while True:
        turn = plan_turn(catalog, prompts, position, Mode.SINGLE, pace, briefed=briefed, count=count)
        total += turn.speech.estimated_seconds()
        if turn.end is None:
            return total
        position, briefed = turn.end, True
