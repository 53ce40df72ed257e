"""How long each hold, rest and counted rep of a turn lasts, from when its words start (tests only).

A turn is read as runs: the words between two breaks, each with the moment it starts. The moments
come either from the speech builder's own estimate (Speech.timeline) or from audio rendered by
espeak-ng (test_espeak_timing.py); the same rules then measure both, as the README describes:

- a hold: from the start of "Hold" to the start of its end sound (with sounds off, of the release words);
- timed work: from the start of its cue to its end, the same way;
- a rest: from the end of the work before it to the start of the next cue (or, when the turn ends
  in the rest, to the start of the closing question);
- a counted rep: from the start of its number to the start of the next number.
"""

from __future__ import annotations

from dataclasses import dataclass

from skill.content.catalog import Exercise
from skill.content.prompts import Prompts, load_words
from skill.content.sounds import load_sounds
from skill.speech.replay import parse_ssml
from skill.speech.ssml import Audio, Say, Speech
from skill.workout.pace import NORMAL_PACE

number_word = load_words().number
NUMBERS = {number_word(n) for n in range(1, 100)}
SOUNDS = load_sounds()
SOUND = "\a"  # a run that is a sound, not words


def heard(ssml: str) -> Speech:
    """A response's SSML as the builder's events again (our own sounds included)."""
    return parse_ssml(ssml, SOUNDS.by_address())


@dataclass(frozen=True)
class Span:
    """One measured stretch of a turn: what it is, the seconds the data gives, the seconds it lasts."""

    kind: str          # "hold", "work", "rest", "rep"
    prescribed: float
    measured: float


def runs_of(speech: Speech) -> list[tuple[float, str]]:
    """The speech's runs (words between breaks, or a sound: SOUND) with their estimated start times."""
    out: list[tuple[float, str]] = []
    joined = False
    for at, event in speech.timeline():
        if isinstance(event, Audio):
            out.append((at, SOUND))
            joined = False
        elif isinstance(event, Say):
            if joined:
                out[-1] = (out[-1][0], f"{out[-1][1]} {event.text}")
            else:
                out.append((at, event.text))
            joined = True
        else:
            joined = False
    return out


def spans(runs: list[tuple[float, str]], exercise: Exercise, prompts: Prompts, pace: int = NORMAL_PACE) -> list[Span]:
    """Every hold, timed work, rest and counted rep in a turn's runs, measured as the module says."""
    work = exercise.work
    hold_word, cue, release = prompts.pick("hold"), work.cue + ".", work.release or "\0"
    rest_words = prompts.pick("rest", seconds=number_word(exercise.rest_seconds)) if exercise.rest_seconds else "\0"
    out: list[Span] = []
    opened: tuple[str, float] | None = None
    for i, (at, text) in enumerate(runs):
        if opened and (text == SOUND or text.startswith(release)):
            out.append(Span(opened[0], exercise.hold_seconds, at - opened[1]))
            opened = None
            # A rest's words are in the release words' run, or the next words after the end sound.
            said_next = [j for j in range(i, len(runs)) if runs[j][1] != SOUND][:2 if text == SOUND else 1]
            rest_run = next((j for j in said_next if rest_words in runs[j][1]), None)
            if rest_run is not None:
                after = [(t, r) for t, r in runs[rest_run + 1:] if r != SOUND]
                ends = [t for t, r in after if r.startswith(cue)] or [t for t, _ in after[:1]]
                if ends:
                    out.append(Span("rest", exercise.rest_seconds, ends[0] - at))
        elif work.kind == "hold" and text == hold_word:
            opened = ("hold", at)
        elif work.kind == "timed" and text.startswith(cue):
            opened = ("work", at)
        elif work.kind == "reps" and text in NUMBERS and i + 1 < len(runs):
            following = runs[i + 1][1]
            if following in NUMBERS and _value(following) == _value(text) + 1:
                out.append(Span("rep", exercise.rep_seconds * NORMAL_PACE / pace, runs[i + 1][0] - at))  # type: ignore[operator]
    return out


def _value(word: str) -> int:
    return next(n for n in range(1, 100) if number_word(n) == word)
