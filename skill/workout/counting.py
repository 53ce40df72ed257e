"""Voice one counted block: each rep's opening words, its work counted aloud, release, rest.

Plain Python with no Alexa imports. Every prescribed time is measured from the start of the words
that begin it to the start of the words that end it, and the words said inside it are part of it:

- a hold, from "Hold" to its end: the start of the hold-end sound, or with sounds off the release
  words ("and release"): hold_seconds;
- timed work, from its cue ("Up on your tiptoes and walk") to its end, the same way: hold_seconds;
- a rest, from the end of the work before it to the next cue that starts work (or, at the end of a
  turn, to its closing question), the sounds inside it included: rest_seconds;
- a counted rep (ankle circles), from one number to the next: rep_seconds, scaled by the pace.

So each break is its second (or beat) minus the estimated length of the word said in it, at the
turn's pace (Speech.say_within), and a rest's silence is what its words and sounds leave. Sounds
(content/sounds.json) last their listed length; where a user turned them off, nothing is played
and the timing is the same without them. The pacing between reps (time to get set, to let go and reach
again) is our own, from the exercise's work.ready_seconds and work.recover_seconds, and scales
with the pace; prescribed holds and rests never do. Letting go starts at the hold's end, so a
hold-end sound is part of the time to recover.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from skill.content.catalog import Exercise
from skill.content.prompts import Prompts
from skill.content.sounds import NO_SOUNDS, SoundCues
from skill.speech.ssml import Audio, Speech
from skill.workout.pace import NORMAL_PACE
from skill.workout.routine import Position, next_block
from skill.workout.wording import describe_counts


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


MIN_RECOVER_SECONDS = 0.1  # after the release words, before the next rep's words, whatever the sound took

# count_block's signature, so a cached version (turn_cache.cached_counting) can stand in for it.
CountBlock = Callable[[Exercise, Position, Prompts, int, SoundCues], Sequence[CountedUnit]]


def setup_words(exercise: Exercise, prompts: Prompts, familiar: bool = False) -> Speech:
    """The set-up: name, equipment, every set-up step and the counts (once `familiar`: the set-up in one
    sentence, no counts), then the first caution, which every version says every time."""
    speech = Speech().say(prompts.pick("exercise_intro", name=exercise.name))
    if exercise.equipment:
        speech.say(prompts.pick("equipment", items=prompts.words.join(exercise.equipment)))
    for step in (exercise.position,) if familiar else exercise.setup:
        speech.say(step)
    if not familiar:
        speech.say(describe_counts(exercise, prompts))
    for caution in exercise.cautions[:1]:
        speech.say(caution)
    return speech


def exercise_intro(exercise: Exercise, prompts: Prompts, familiar: bool = False) -> Speech:
    """The set-up, then the exercise's time to get into position, then "Let's begin".

    An exercise with a ready gate gets its time in the gate's own turn (SetupAnswers.get_in_position).
    """
    speech = setup_words(exercise, prompts, familiar)
    if not exercise.gated:
        speech.say(prompts.pick("get_ready")).pause(exercise.get_ready_seconds)
    return speech.say(prompts.pick("begin"))


def count_block(exercise: Exercise, position: Position, prompts: Prompts, pace: int = NORMAL_PACE,
                sounds: SoundCues = NO_SOUNDS) -> list[CountedUnit]:
    """Voice one block from `position.rep` to its end, as one CountedUnit per counted unit.

    The block header (set, side) goes with the block's first unit and the rest between sets with
    its last, so a turn may end after any unit without cutting a rep or a rest in half.
    """
    units: list[CountedUnit] = []
    following = next_block(exercise, position)
    for unit in range(position.rep, exercise.units_per_block + 1):
        speech, cues = Speech(pace), _Cues()
        opening(speech, exercise, Position(position.exercise_id, position.set, position.side, unit),
                prompts, first_of_turn=unit == position.rep)
        last_of_exercise = following is None and unit == exercise.units_per_block
        _count_work(speech, cues, exercise, position, unit, prompts, pace,
                    sounds if not last_of_exercise else replace(sounds, hold_end=sounds.exercise_done),
                    first_of_turn=unit == position.rep, last_of_exercise=last_of_exercise)
        if exercise.work.kind == "reps" and unit == exercise.units_per_block and not exercise.rest_seconds:
            # A set of counted reps is done (a rest has its own sound at its end), or the whole exercise.
            speech.play(sounds.set_end if following else sounds.exercise_done)
        units.append(CountedUnit(speech, tuple(cues)))
    if exercise.rest_seconds and following is not None:
        last = units[-1]
        rest_cue = Cue(last.speech.estimated_seconds(), str(exercise.rest_seconds), prompts.pick("caption_rest"))
        words = prompts.pick("rest", seconds=prompts.words.number(exercise.rest_seconds))
        last_rep = (exercise.units_per_block - 1) % exercise.reps + 1
        released = says_release(exercise, sounds, last_rep, first_of_turn=position.rep == exercise.units_per_block)
        last.speech.say_within(words, exercise.rest_seconds - work_end_seconds(exercise, pace, sounds, released)
                               - rest_tail_seconds(exercise, following, prompts, pace) - sounds.seconds(sounds.set_end))
        # The rest-end sound is part of the rest; it is played by what follows it (planning.py): the
        # next set's opening words, or the turn's closing question.
        units[-1] = CountedUnit(last.speech, (*last.cues, rest_cue))
    return units


def opening(speech: Speech, exercise: Exercise, at: Position, prompts: Prompts, first_of_turn: bool) -> Speech:
    """A unit's words before its work starts (set or side, direction, rep label, cue), then time to get set."""
    work = exercise.work
    direction, rep = divmod(at.rep - 1, exercise.reps)
    rep += 1
    if at.rep == 1:
        if exercise.sets > 1:
            speech.say(prompts.pick("set_intro", n=prompts.words.number(at.set), total=prompts.words.number(exercise.sets)))
        if exercise.sides:
            side = exercise.sides[at.side]
            speech.say(prompts.pick("side_first", side=side.capitalize()) if at.side == 0
                       else prompts.pick("side_next", side=side))
    if exercise.directions and rep == 1:
        text = exercise.directions[direction]
        speech.say(prompts.pick("direction", direction=text.capitalize()) if direction == 0
                   else prompts.pick("direction_next", direction=text))
    if work.kind == "hold" and exercise.reps > 1:
        speech.say(prompts.pick("rep_label", n=prompts.words.number(rep)))
    if work.kind != "timed":  # timed work's cue is its first beat (see _count_work)
        if first_of_turn or rep == 1:
            speech.say(work.cue + ".")
        elif work.repeat_cue:
            speech.say(work.repeat_cue + ".")
    if speech:  # words were said: a moment to get set before the work starts
        speech.pause(work.ready_seconds * NORMAL_PACE / speech.rate_percent)
    return speech


def rest_tail_seconds(exercise: Exercise, following: Position, prompts: Prompts, pace: int) -> float:
    """The estimated length of the next block's opening words and its time to get set (part of a rest)."""
    return opening(Speech(pace), exercise, following, prompts, first_of_turn=True).estimated_seconds()


def release_seconds(exercise: Exercise, pace: int) -> float:
    """The estimated length of the release words ("and stop.")."""
    return Speech(pace).text_seconds(exercise.work.release + ".") if exercise.work.release else 0.0


def work_end_seconds(exercise: Exercise, pace: int, sounds: SoundCues = NO_SOUNDS, released: bool = True) -> float:
    """How long the end of the work lasts before a rest's own words: its sound, then any release words."""
    return sounds.seconds(work_end_sound(exercise, sounds)) + (release_seconds(exercise, pace) if released else 0.0)


def says_release(exercise: Exercise, sounds: SoundCues, rep: int, first_of_turn: bool,
                 last_of_exercise: bool = False) -> bool:
    """Whether a rep ends with its release words ("and release").

    Like the cue, they go with the first rep (of a set, or of a turn); after that, where sounds are
    on, the hold-end sound says it, which keeps a set of short holds within one turn. The exercise's
    last rep ends with its own sound and "That's ... done".
    """
    if work_end_sound(exercise, sounds) is None:
        return True
    return not last_of_exercise and (first_of_turn or rep == 1)


def work_end_sound(exercise: Exercise, sounds: SoundCues) -> Audio | None:
    """The sound that ends a hold or timed work (counted reps have none: each ends at the next number).

    The exercise's last hold ends with the exercise-done sound instead (count_block): one sound, one moment.
    """
    return sounds.hold_end if exercise.work.kind != "reps" else None


class _Cues(list[Cue]):
    """Screen cues of one unit, stamped with the unit's speech length when added."""

    def show(self, speech: Speech, counter: str, caption: str) -> None:
        self.append(Cue(speech.estimated_seconds(), counter, caption))


def _count_work(speech: Speech, cues: _Cues, exercise: Exercise, block: Position, unit: int,
                prompts: Prompts, pace: int, sounds: SoundCues, first_of_turn: bool = True,
                last_of_exercise: bool = False) -> None:
    """Voice one rep's work: each beat's word inside its beat, then the release and time to recover."""
    work = exercise.work
    direction, rep = divmod(unit - 1, exercise.reps)
    rep += 1
    where = " · ".join(filter(None, (exercise.side_name(block.side),
                                      exercise.directions[direction] if exercise.directions else None)))
    if work.kind == "reps":
        # The number marks the start of each movement; the rest of the beat is the movement itself.
        cues.show(speech, str(rep), where or work.cue)
        assert exercise.rep_seconds is not None, "the catalog requires rep_seconds for a reps exercise"
        speech.say_within(prompts.words.number(rep), exercise.rep_seconds * NORMAL_PACE / pace)
        return
    label = (prompts.pick("caption_set", n=block.set, total=exercise.sets)
             if work.kind == "timed" and exercise.sets > 1 else prompts.pick("caption_rep", n=rep, total=exercise.reps))
    caption = " · ".join(filter(None, (where, label)))
    beat = work.count_every_seconds
    for elapsed in range(0, exercise.hold_seconds, beat):
        # Hold counts say the second starting now ("hold, two, three"); timed counts say the seconds gone.
        shown = elapsed + 1 if work.kind == "hold" else elapsed
        if elapsed == 0:
            word = prompts.pick("hold") if work.kind == "hold" else work.cue + "."
        else:
            word = prompts.words.number(shown)
        cues.show(speech, str(shown), caption)
        speech.say_within(word, beat)
    assert work.release is not None, "the catalog requires a release for held and timed work"
    cues.show(speech, "✓", work.release.capitalize())
    end_sound = work_end_sound(exercise, sounds)
    speech.play(end_sound)  # the hold ends as its sound starts
    if says_release(exercise, sounds, rep, first_of_turn, last_of_exercise):
        speech.say(work.release + ".")
    if work.kind == "hold" and rep < exercise.reps:
        speech.pause(max(MIN_RECOVER_SECONDS, work.recover_seconds * NORMAL_PACE / pace - sounds.seconds(end_sound)))
