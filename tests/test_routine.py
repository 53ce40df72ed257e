"""Tests for the routine engine and turn planning: where the user is, and what each turn makes them do.

The first half covers every transition in skill/routine.py. The second half walks every exercise
turn by turn through `plan_turn`, parses each turn's SSML as XML, and checks the counting against the
exercise data: holds, rests and rep cadence are derived from the catalog, never typed in here.
"""

from __future__ import annotations

import random
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from functools import lru_cache
from itertools import product

import pytest
from ssml_reading import break_ms, runs
from timing import Span, runs_of, spans

from skill.content.catalog import Catalog, Exercise, load_catalog
from skill.content.prompts import Prompts
from skill.speech.ssml import MAX_BREAK_MS, MAX_SSML_CHARS, MAX_TURN_SECONDS, Speech
from skill.workout.pace import MAX_PACE, MIN_PACE, NORMAL_PACE
from skill.workout.planning import Turn, estimate_exercise_seconds, plan_turn
from skill.workout.routine import (
    Mode,
    Position,
    Workout,
    after_turn,
    blocks_from,
    describe_place,
    first_position,
    next_block,
    pause,
    skip,
    start,
    start_over,
)
from skill.workout.turn_cache import cached_planning

CATALOG: Catalog = load_catalog()
PROMPTS = Prompts.load(rng=random.Random(0))
EXERCISES = CATALOG.exercises
IDS = [e.id for e in EXERCISES]
PACES = [NORMAL_PACE, MIN_PACE, MAX_PACE]
NUMBERS = {PROMPTS.words.number(n): n for n in range(1000)}


def by_kind(kind: str) -> list[Exercise]:
    """The catalog's exercises of one work kind; fails if the catalog has none (no vacuous tests)."""
    found = [e for e in EXERCISES if e.work.kind == kind]
    assert found, f"the catalog has no {kind!r} exercise, so its timing cannot be checked"
    return found


# -- walking and reading turns ----------------------------------------------------------------------------

@lru_cache(maxsize=None)
def walk(exercise_id: str, pace: int = NORMAL_PACE, mode: Mode = Mode.ROUTINE) -> tuple[Turn, ...]:
    """Every turn of one exercise, from its set-up cue to its end (briefed after the first turn)."""
    position, briefed, turns = Position(exercise_id), False, []
    while True:
        turn = plan_turn(CATALOG, PROMPTS, position, mode, pace, briefed=briefed)
        turns.append(turn)
        assert len(turns) < 100, "turn planning does not make progress"
        if turn.end is None:
            return tuple(turns)
        position, briefed = turn.end, True


def silences(parts: list[str | int], opens: Callable[[str], bool], closes: Callable[[str], bool]) -> list[int]:
    """For each text run matching `opens`, the silence (ms) until the next run matching `closes`.

    Runs in between that match neither (count words) are allowed; an unclosed span fails the test.
    """
    out = []
    for i, part in enumerate(parts):
        if isinstance(part, str) and opens(part):
            total = 0
            for later in parts[i + 1:]:
                if isinstance(later, int):
                    total += later
                elif closes(later):
                    out.append(total)
                    break
                else:
                    assert not opens(later), f"{part!r} opened again before {closes} closed it"
            else:
                raise AssertionError(f"{part!r} is never closed in {parts}")
    return out


def text_of(turn: Turn) -> str:
    """Everything said in a turn, as one string."""
    return " ".join(p for p in runs(turn.speech.to_ssml()) if isinstance(p, str))


def units(exercise: Exercise) -> list[tuple[int, int, int]]:
    """Every counted unit of an exercise as (set, side, rep), in the order they are done."""
    return [(b.set, b.side, rep) for b in blocks_from(exercise, first_position(exercise))
            for rep in range(1, exercise.units_per_block + 1)]


def covered(exercise: Exercise, turn: Turn) -> list[tuple[int, int, int]]:
    """The units a turn claims to count, from its start and end positions."""
    order = units(exercise)
    begin = order.index((turn.start.set, turn.start.side, turn.start.rep))
    stop = len(order) if turn.end is None else order.index((turn.end.set, turn.end.side, turn.end.rep))
    return order[begin:stop]


def trailing_number(part: str | int) -> int | None:
    """The counted number a text run ends with ("... Clockwise. twenty one" -> 21), or None."""
    if not isinstance(part, str):
        return None
    words = part.split()
    for size in (4, 3, 2, 1):  # longest spelling first, so "twenty one" is not read as "one"
        if len(words) >= size and " ".join(words[-size:]) in NUMBERS:
            return NUMBERS[" ".join(words[-size:])]
    return None


def is_number(part: str | int) -> bool:
    """True for a text run that ends in a bare counted number."""
    return trailing_number(part) is not None


def order_key(position: Position) -> tuple[int, int, int, int]:
    """Where a position falls in the whole routine, for "earlier/later" comparisons."""
    return (CATALOG.index(position.exercise_id), position.set, position.side, position.rep)


# -- positions and blocks ------------------------------------------------------------------------------------

@pytest.mark.parametrize("exercise_id", IDS)
def test_blocks_cover_every_set_and_side_once(exercise_id: str) -> None:
    """An exercise is worked as sets x sides blocks, each set and side exactly once, each from rep one."""
    exercise = CATALOG.get(exercise_id)
    blocks = blocks_from(exercise, first_position(exercise))
    assert len(blocks) == exercise.sets * exercise.side_count
    assert {(b.set, b.side) for b in blocks} == set(product(range(1, exercise.sets + 1), range(exercise.side_count)))
    assert all(b.rep == 1 and b.is_valid_for(exercise) and b.exercise_id == exercise_id for b in blocks)
    assert next_block(exercise, blocks[-1]) is None


@pytest.mark.parametrize("exercise_id", IDS)
def test_next_block_from_mid_block_goes_to_the_next_block_start(exercise_id: str) -> None:
    """Moving on from the middle of a block never skips the following block or lands mid-rep."""
    exercise = CATALOG.get(exercise_id)
    blocks = blocks_from(exercise, first_position(exercise))
    for here, following in zip(blocks, blocks[1:] + [None]):
        assert next_block(exercise, Position(exercise_id, here.set, here.side, exercise.units_per_block)) == following


def test_positions_outside_the_exercise_are_not_valid() -> None:
    """A stored place that does not exist in the exercise (tampered or stale) is recognised as invalid."""
    for exercise in EXERCISES:
        assert first_position(exercise).is_valid_for(exercise)
        for bad in (Position(exercise.id, set=0), Position(exercise.id, set=exercise.sets + 1),
                    Position(exercise.id, side=exercise.side_count), Position(exercise.id, side=-1),
                    Position(exercise.id, rep=0), Position(exercise.id, rep=exercise.units_per_block + 1)):
            assert not bad.is_valid_for(exercise), bad


def test_describe_place_names_exercise_side_set_and_rep() -> None:
    """"Paused at ..." names the exercise, then the side, set and rep only when they mean something."""
    for exercise in EXERCISES:
        last = Position(exercise.id, exercise.sets, exercise.side_count - 1, 1)
        expected = [exercise.name]
        if exercise.sides:
            expected.append(exercise.sides[-1])
        if exercise.sets > 1:
            expected.append(f"set {PROMPTS.words.number(exercise.sets)}")
        assert describe_place(CATALOG, last, PROMPTS) == ", ".join(expected)
        assert describe_place(CATALOG, first_position(exercise), PROMPTS).startswith(exercise.name)
    sided = next(e for e in EXERCISES if e.sides and not e.directions and e.units_per_block > 1)
    mid = Position(sided.id, 1, sided.side_count - 1, 2)
    assert describe_place(CATALOG, mid, PROMPTS) == f"{sided.name}, {sided.sides[-1]}, rep {PROMPTS.words.number(2)}"
    turning = next(e for e in EXERCISES if len(e.directions) > 1)
    second_way = Position(turning.id, 1, 0, turning.reps + 1)  # rep counts across directions
    assert describe_place(CATALOG, second_way, PROMPTS) == (
        f"{turning.name}, {turning.sides[0]}, {turning.directions[1]}, rep {PROMPTS.words.number(1)}")
    multi_set = next(e for e in EXERCISES if e.sets > 1 and not e.sides)
    assert describe_place(CATALOG, Position(multi_set.id, 2), PROMPTS) == f"{multi_set.name}, set {PROMPTS.words.number(2)}"


# -- transitions ---------------------------------------------------------------------------------------------

def test_start_routine_begins_with_the_first_exercise() -> None:
    """"Start the routine" begins the first exercise in routine order, in routine mode."""
    workout = start(CATALOG)
    assert (workout.mode, workout.position) == (Mode.ROUTINE, first_position(EXERCISES[0]))
    assert workout.in_workout()


@pytest.mark.parametrize("exercise_id", IDS)
def test_start_single_exercise_begins_that_exercise(exercise_id: str) -> None:
    """Naming an exercise starts exactly that one, from its first rep, in single mode."""
    workout = start(CATALOG, exercise_id)
    assert (workout.mode, workout.position) == (Mode.SINGLE, Position(exercise_id))


def test_idle_is_not_a_workout() -> None:
    """Before anything starts there is no place to continue from."""
    assert not Workout.idle().in_workout()
    assert not Workout(Mode.SINGLE).in_workout()
    assert Workout(Mode.ROUTINE, Position(IDS[0])).in_workout()


def test_after_turn_inside_an_exercise_moves_to_the_turn_end() -> None:
    """After a counted turn the next turn starts exactly where this one stopped."""
    exercise = next(e for e in EXERCISES if len(walk(e.id)) > 1)
    first = walk(exercise.id)[0]
    moved = after_turn(CATALOG, start(CATALOG), first.start, first.end)
    assert (moved.position, moved.turn_start) == (first.end, first.start)


def test_after_turn_at_end_of_exercise_moves_to_the_next_exercise() -> None:
    """Finishing an exercise in the routine moves on to the next exercise's start."""
    for exercise, following in zip(EXERCISES, EXERCISES[1:]):
        last = walk(exercise.id)[-1]
        moved = after_turn(CATALOG, Workout(Mode.ROUTINE, last.start), last.start, None)
        assert (moved.mode, moved.position) == (Mode.ROUTINE, first_position(following))


@pytest.mark.parametrize("mode", list(Mode))
def test_after_turn_at_the_last_exercise_finishes(mode: Mode) -> None:
    """Finishing the last exercise leaves no place to continue: position None."""
    last = walk(EXERCISES[-1].id)[-1]
    finished = after_turn(CATALOG, Workout(mode, last.start), last.start, None)
    assert finished.position is None
    assert not finished.in_workout()


def test_skip_moves_to_the_next_exercise_start() -> None:
    """"Skip" from anywhere in an exercise starts the next exercise from its beginning."""
    for exercise, following in zip(EXERCISES, EXERCISES[1:]):
        for turn in walk(exercise.id):
            skipped = skip(CATALOG, Workout(Mode.ROUTINE, turn.start, turn.start))
            assert skipped.position == first_position(following)
            assert skipped.turn_start is None


def test_skip_on_the_last_exercise_finishes() -> None:
    """Skipping the last exercise ends the workout instead of wrapping around."""
    last = EXERCISES[-1]
    for turn in walk(last.id):
        skipped = skip(CATALOG, Workout(Mode.ROUTINE, turn.start, turn.start))
        assert skipped.position is None


@pytest.mark.parametrize("mode", list(Mode))
def test_start_over_returns_to_the_start_of_the_same_exercise(mode: Mode) -> None:
    """"Start over" from any point goes back to the same exercise's first rep, keeping the mode."""
    for exercise in EXERCISES:
        for turn in walk(exercise.id):
            again = start_over(CATALOG, Workout(mode, turn.end or turn.start, turn.start))
            assert (again.mode, again.position) == (mode, first_position(exercise))


def routine_states() -> list[Workout]:
    """Every workout state met while doing the whole routine, as the dialogue moves through it."""
    workout, briefed, states = start(CATALOG), False, []
    while workout.position is not None:
        assert len(states) < 200, "the routine never finishes"
        states.append(workout)
        turn = plan_turn(CATALOG, PROMPTS, workout.position, workout.mode, briefed=briefed)
        workout, briefed = after_turn(CATALOG, workout, turn.start, turn.end), turn.end is not None
    states.append(workout)
    return states


def test_interrupted_pause_rewinds_to_the_turn_start_and_never_forward() -> None:
    """Pausing mid-turn replays that turn from its start: no rep is ever missed."""
    checked = 0
    for workout in routine_states():
        paused = pause(workout, workout.turn_start)
        assert paused.mode is workout.mode
        if workout.turn_start is None:
            assert paused.position == workout.position
            continue
        assert paused.position == workout.turn_start
        if workout.position is not None:
            assert order_key(paused.position) <= order_key(workout.position)
        checked += 1
    assert checked > len(EXERCISES), "the walk should produce turns to interrupt"


def test_uninterrupted_pause_keeps_the_place() -> None:
    """Pausing after a turn finished keeps the next place: nothing is repeated."""
    for workout in routine_states()[:-1]:
        paused = pause(workout)
        assert (paused.position, paused.mode) == (workout.position, workout.mode)
        assert paused.in_workout()


def test_resume_after_pause_continues_at_the_paused_place() -> None:
    """"Resume" carries on at exactly the paused place, and the replayed turn starts there."""
    for workout in routine_states()[1:-1]:
        for resume_at in (workout.turn_start, None):
            paused = pause(workout, resume_at)
            resumed = paused
            assert (resumed.position, resumed.mode) == (paused.position, workout.mode)
            assert resumed.in_workout()
            assert plan_turn(CATALOG, PROMPTS, resumed.position, resumed.mode, briefed=True).start == paused.position


def test_whole_routine_visits_every_exercise_in_order_and_ends_once() -> None:
    """Doing the routine goes through every exercise in order and ends the session exactly once, at the end."""
    workout, briefed, seen, endings = start(CATALOG), False, [], []
    while workout.position is not None:
        assert len(endings) < 200, "the routine never finishes"
        turn = plan_turn(CATALOG, PROMPTS, workout.position, workout.mode, briefed=briefed)
        if not seen or seen[-1] != turn.start.exercise_id:
            seen.append(turn.start.exercise_id)
        endings.append(turn.ends_session)
        workout, briefed = after_turn(CATALOG, workout, turn.start, turn.end), turn.end is not None
    assert seen == IDS
    assert endings[-1] and not any(endings[:-1])
    assert not workout.in_workout()


# -- planned turns: limits and shape -------------------------------------------------------------------------

@pytest.mark.parametrize("pace", PACES)
@pytest.mark.parametrize("exercise_id", IDS)
def test_every_turn_is_valid_ssml_within_alexas_limits(exercise_id: str, pace: int) -> None:
    """Each turn is well-formed SSML, with no break over 10 s, under 8,000 characters and 90 seconds."""
    for turn in walk(exercise_id, pace):
        ssml = turn.speech.to_ssml()
        root = ET.fromstring(ssml)
        assert all(0 < break_ms(b.attrib["time"]) <= MAX_BREAK_MS for b in root.iter("break"))
        assert len(ssml) <= MAX_SSML_CHARS
        assert turn.speech.estimated_seconds() <= MAX_TURN_SECONDS
        if pace == NORMAL_PACE:
            assert root.find("prosody") is None
        else:
            (prosody,) = list(root)
            assert prosody.tag == "prosody" and prosody.attrib["rate"] == f"{pace}%"


@pytest.mark.parametrize("pace", PACES)
@pytest.mark.parametrize("exercise_id", IDS)
def test_turns_count_every_rep_exactly_once(exercise_id: str, pace: int) -> None:
    """Across its turns, every rep of every block is counted once: none skipped, none doubled."""
    exercise = CATALOG.get(exercise_id)
    turns = walk(exercise_id, pace)
    claimed = [u for turn in turns for u in covered(exercise, turn)]
    assert claimed == units(exercise)
    for previous, turn in zip(turns, turns[1:]):
        assert turn.start == previous.end, "each turn starts where the previous one stopped"
    hold_word, release, cue = PROMPTS.pick("hold"), exercise.work.release, exercise.work.cue + "."
    for turn in turns:
        parts = runs(turn.speech.to_ssml())
        said = [p for p in parts if isinstance(p, str)]
        expected = len(covered(exercise, turn))
        if exercise.work.kind == "hold":
            assert sum(p.endswith(hold_word) for p in said) == expected
            assert sum(p.startswith(release) for p in said) == expected
        elif exercise.work.kind == "timed":
            assert sum(p.count(cue) for p in said) == expected
            assert sum(p.startswith(release) for p in said) == expected
        else:
            assert sum(is_number(p) for p in said) == expected


@pytest.mark.parametrize("exercise_id", [e.id for e in EXERCISES if e.work.kind == "hold" and e.reps > 1])
def test_rep_labels_follow_the_reps_counted(exercise_id: str) -> None:
    """"Rep one", "Rep two" ... announce exactly the reps each turn counts, in order."""
    exercise = CATALOG.get(exercise_id)
    template = PROMPTS.pick("rep_label", n="\0")
    pattern = re.compile(re.escape(template).replace("\0", "([a-z ]+?)"))
    for turn in walk(exercise_id):
        labels = [NUMBERS[m] for m in pattern.findall(text_of(turn))]
        assert labels == [rep for _, _, rep in covered(exercise, turn)]


@pytest.mark.parametrize("pace", PACES)
@pytest.mark.parametrize("exercise_id", IDS)
def test_turns_never_stop_mid_rep(exercise_id: str, pace: int) -> None:
    """A turn stops only between whole reps or blocks; a hold turn's last count is the release."""
    exercise = CATALOG.get(exercise_id)
    hold_word, release = PROMPTS.pick("hold"), exercise.work.release
    for turn in walk(exercise_id, pace):
        assert turn.end is None or turn.end.is_valid_for(exercise)
        if turn.end is not None and turn.end.rep != 1:
            assert (turn.end.set, turn.end.side) == (turn.start.set, turn.start.side), \
                "a turn may split only the block it started in"
        parts = runs(turn.speech.to_ssml())
        said = [p for p in parts if isinstance(p, str)]
        if not covered(exercise, turn):
            continue
        if exercise.work.kind in ("hold", "timed"):
            counting = [i for i, p in enumerate(said) if p.endswith(hold_word) or p in NUMBERS
                        or p.endswith(exercise.work.cue + ".")]
            last = counting[-1]
            assert said[last + 1].startswith(release), f"turn stops mid-rep after {said[last]!r}"
            assert hold_word not in said[last + 1][len(release):].split()
        else:
            last_number = max(i for i, p in enumerate(parts) if is_number(p))
            assert isinstance(parts[last_number + 1], int), "the last counted rep keeps its full movement time"


@pytest.mark.parametrize("mode", list(Mode))
@pytest.mark.parametrize("exercise_id", IDS)
def test_open_turns_end_with_a_question_and_have_a_reprompt(exercise_id: str, mode: Mode) -> None:
    """When the mic stays open the user hears a question and gets a reprompt; closing turns have none."""
    for turn in walk(exercise_id, NORMAL_PACE, mode):
        said = [p for p in runs(turn.speech.to_ssml()) if isinstance(p, str)]
        if turn.ends_session:
            assert turn.reprompt == ""
        else:
            assert said[-1].endswith("?"), f"open turn ends {said[-1][-60:]!r}"
            assert turn.reprompt.strip()


@pytest.mark.parametrize("exercise_id", IDS)
def test_only_the_last_exercise_ends_the_session(exercise_id: str) -> None:
    """In the routine, only the last turn of the last exercise ends the session."""
    turns = walk(exercise_id)
    is_last = exercise_id == IDS[-1]
    assert [t.ends_session for t in turns] == [False] * (len(turns) - 1) + [is_last]
    assert (turns[-1].next_exercise is None) == is_last
    if not is_last:
        assert turns[-1].next_exercise == CATALOG.after(exercise_id)
        assert CATALOG.after(exercise_id).name in text_of(turns[-1])


@pytest.mark.parametrize("exercise_id", IDS)
def test_first_turn_sets_the_user_up(exercise_id: str) -> None:
    """The first turn names the exercise, the position and any equipment before counting starts."""
    exercise = CATALOG.get(exercise_id)
    said = text_of(walk(exercise_id)[0])
    assert exercise.name in said and all(step in said for step in exercise.setup)
    for item in exercise.equipment:
        assert item in said
    for turn in walk(exercise_id)[1:]:
        assert not any(step in text_of(turn) for step in exercise.setup), "the set-up cue is given once"
    familiar = text_of(plan_turn(CATALOG, PROMPTS, Position(exercise_id), Mode.ROUTINE, familiar=True))
    assert exercise.position in familiar, "a user who knows the exercise hears the set-up in one sentence"


@pytest.mark.parametrize("exercise_id", IDS)
def test_the_movement_cue_is_spoken_when_counting_starts(exercise_id: str) -> None:
    """The turn that counts the first rep tells the user what movement to make (the data's work.cue)."""
    exercise = CATALOG.get(exercise_id)
    first_counting = next(t for t in walk(exercise_id) if covered(exercise, t))
    assert exercise.work.cue in text_of(first_counting), (
        f"{exercise.name}: the cue {exercise.work.cue!r} from exercises.json is never said")


@pytest.mark.parametrize("exercise_id", [e.id for e in EXERCISES if e.sides])
def test_each_side_is_announced_before_it_is_counted(exercise_id: str) -> None:
    """For two-sided exercises the user hears which side to use in the turn that starts it."""
    exercise = CATALOG.get(exercise_id)
    for turn in walk(exercise_id):
        starts = {side for _, side, rep in covered(exercise, turn) if rep == 1}
        for side in starts:
            assert exercise.sides[side].lower() in text_of(turn).lower()


def test_estimate_is_the_sum_of_the_planned_turns() -> None:
    """"What's next" durations come from the very turns the user will hear."""
    for exercise in EXERCISES:
        for pace in PACES:
            total = sum(t.speech.estimated_seconds() for t in walk(exercise.id, pace, Mode.SINGLE))
            assert estimate_exercise_seconds(CATALOG, PROMPTS, exercise, pace) == pytest.approx(total)


# -- timing against the data ---------------------------------------------------------------------------------
# Measured as tests/timing.py says (and the README): from the start of the words that begin a hold, a
# rest or a rep to the start of the words that end it, on the speech builder's own estimated timeline.
# test_espeak_timing.py measures the same spans in audio rendered by espeak-ng.

# Breaks are whole milliseconds, so a span of ten counted seconds may be off by a few of them.
MS_ROUNDING = 0.01


def measured(exercise_id: str, pace: int, kind: str) -> list[Span]:
    """Every span of one kind over all of an exercise's turns."""
    exercise = CATALOG.get(exercise_id)
    return [span for turn in walk(exercise_id, pace) for span in spans(runs_of(turn.speech), exercise, PROMPTS, pace)
            if span.kind == kind]


@pytest.mark.parametrize("pace", PACES)
@pytest.mark.parametrize("exercise_id", [e.id for e in by_kind("hold")])
def test_every_hold_lasts_the_prescribed_seconds_from_hold_to_release(exercise_id: str, pace: int) -> None:
    """From the start of "Hold" to the start of the release words: hold_seconds, counts included, at any pace."""
    exercise = CATALOG.get(exercise_id)
    holds = measured(exercise_id, pace, "hold")
    assert len(holds) == len(units(exercise))
    assert [h.measured for h in holds] == pytest.approx([exercise.hold_seconds] * len(holds), abs=MS_ROUNDING)


@pytest.mark.parametrize("pace", PACES)
@pytest.mark.parametrize("exercise_id", [e.id for e in by_kind("timed")])
def test_timed_work_and_rest_are_exactly_the_prescription(exercise_id: str, pace: int) -> None:
    """Timed work lasts hold_seconds from the cue to "stop", each rest rest_seconds to the next cue, none after the last set."""
    exercise = CATALOG.get(exercise_id)
    work, rests = measured(exercise_id, pace, "work"), measured(exercise_id, pace, "rest")
    assert [w.measured for w in work] == pytest.approx([exercise.hold_seconds] * len(units(exercise)), abs=MS_ROUNDING)
    blocks = exercise.sets * exercise.side_count
    assert [r.measured for r in rests] == pytest.approx([exercise.rest_seconds] * (blocks - 1), abs=MS_ROUNDING)
    rest_sentence = PROMPTS.pick("rest", seconds=PROMPTS.words.number(exercise.rest_seconds))
    final = text_of(walk(exercise_id, pace)[-1])
    assert rest_sentence not in final[final.rindex(exercise.work.release):], "no rest after the final set"


@pytest.mark.parametrize("pace", PACES)
@pytest.mark.parametrize("exercise_id", [e.id for e in by_kind("reps")])
def test_reps_are_counted_one_to_reps_each_way_with_the_rep_time(exercise_id: str, pace: int) -> None:
    """Each circle gets rep_seconds (scaled only by the pace), counted one..reps in each direction, each side."""
    exercise = CATALOG.get(exercise_id)
    counted, said = [], ""
    for turn in walk(exercise_id, pace):
        counted += [trailing_number(text) for _, text in runs_of(turn.speech) if is_number(text)]
        said += " " + text_of(turn)
    directions = max(1, len(exercise.directions))
    blocks = exercise.sets * exercise.side_count
    assert counted == list(range(1, exercise.reps + 1)) * directions * blocks
    beats = measured(exercise_id, pace, "rep")
    turns = len(walk(exercise_id, pace))
    assert len(beats) >= (exercise.reps - 1) * directions * blocks - (turns - 1)  # a turn may end between two reps
    assert [b.measured for b in beats] == pytest.approx([exercise.rep_seconds * NORMAL_PACE / pace] * len(beats),
                                                        abs=MS_ROUNDING)
    for direction in exercise.directions:
        assert len(re.findall(rf"\b{re.escape(direction)}\b", said, re.IGNORECASE)) == blocks
    for side in exercise.sides:
        assert side.lower() in said.lower()


@pytest.mark.parametrize("exercise_id", IDS)
def test_pace_changes_only_the_rep_cadence_and_voice_rate(exercise_id: str) -> None:
    """Slower or faster counting keeps every prescribed hold and rest; only rep beats and the voice change."""
    def prescribed(pace: int) -> list[float]:
        return sorted(round(s.measured, 1) for kind in ("hold", "work", "rest") for s in measured(exercise_id, pace, kind))

    normal = prescribed(NORMAL_PACE)
    assert prescribed(MIN_PACE) == normal == prescribed(MAX_PACE)
    exercise = CATALOG.get(exercise_id)
    if exercise.work.kind == "reps":
        assert not normal  # nothing is held or rested: the check below covers what pace does change
        beats = {pace: min(b.measured for b in measured(exercise_id, pace, "rep")) for pace in PACES}
        assert beats[MIN_PACE] > beats[NORMAL_PACE] > beats[MAX_PACE]
    else:
        assert len(normal) >= len(units(exercise)), "every rep's hold or work time is checked"
    slow = sum(t.speech.speaking_seconds() for t in walk(exercise_id, MIN_PACE))
    fast = sum(t.speech.speaking_seconds() for t in walk(exercise_id, MAX_PACE))
    assert slow > fast


# -- the planned-turn cache ---------------------------------------------------------------------------------

def variants_of(position: Position, pace: int, lead_in: Speech | None, briefed: bool) -> dict[str, Turn]:
    """Every turn plan_turn can plan here, by SSML: one per fixed choice of prompt variants."""
    return {t.speech.to_ssml(): t for t in (
        plan_turn(CATALOG, PROMPTS.fixed(choice), position, Mode.ROUTINE, pace, lead_in, briefed)
        for choice in range(PROMPTS.variety))}


@pytest.mark.parametrize("pace", PACES)
@pytest.mark.parametrize("exercise_id", IDS)
def test_cached_planning_plans_exactly_what_plan_turn_plans(exercise_id: str, pace: int) -> None:
    """Every turn of the exercise, with and without a lead-in, is one plan_turn would make, marks and all."""
    plan = cached_planning(CATALOG, Prompts.load(rng=random.Random(1)))
    safety = Speech().say(PROMPTS.pick("safety_first_use"))
    for lead_in in (None, safety):
        position, briefed = Position(exercise_id), False
        while True:
            cached = plan(position, Mode.ROUTINE, pace, lead_in, briefed)
            expected = variants_of(position, pace, lead_in, briefed)
            assert cached.speech.to_ssml() in expected
            twin = expected[cached.speech.to_ssml()]
            assert (cached.start, cached.end, cached.next_exercise, cached.reprompt, cached.ends_session,
                    cached.marks, cached.cues) == (twin.start, twin.end, twin.next_exercise, twin.reprompt,
                                                   twin.ends_session, twin.marks, twin.cues)
            assert (PROMPTS.pick("safety_first_use") in text_of(cached)) == (lead_in is not None)
            if cached.end is None:
                break
            position, briefed = cached.end, True


def test_cached_turns_keep_the_variety_of_the_prompts() -> None:
    """The words that close an exercise have variants; a cached planner still says each of them."""
    exercise = CATALOG.exercises[0]
    last = walk(exercise.id)[-1]
    plan = cached_planning(CATALOG, Prompts.load(rng=random.Random(2)))
    heard = {plan(last.start, Mode.ROUTINE, NORMAL_PACE, None, True).speech.to_ssml() for _ in range(60)}
    assert len(heard) == len(variants_of(last.start, NORMAL_PACE, None, True)) >= 2


def test_a_cached_turn_is_shared_and_cannot_be_changed() -> None:
    """The same request plans the same (frozen) turn; adding to it raises instead of changing every copy."""
    plan = cached_planning(CATALOG, Prompts.load(rng=random.Random(3)).fixed(0))
    first = plan(Position(IDS[0]), Mode.ROUTINE)
    assert plan(Position(IDS[0]), Mode.ROUTINE) is first
    with pytest.raises(RuntimeError):
        first.speech.say("one more")
    with pytest.raises(RuntimeError):
        first.speech.pause(1)
    longer = Speech().extend(first.speech).say("one more")
    assert longer.to_ssml().endswith("one more</speak>") and not first.speech.to_ssml().endswith("one more</speak>")


def test_fixed_prompts_pick_every_variant_equally_often() -> None:
    """Over all fixed choices, each variant of every key is picked the same number of times."""
    for key in PROMPTS.keys():
        counts: dict[str, int] = {}
        for choice in range(PROMPTS.variety):
            text = PROMPTS.fixed(choice).pick(key, **{name: "x" for name in PROMPTS.placeholders(key)})
            counts[text] = counts.get(text, 0) + 1
        assert len(set(counts.values())) == 1, key
