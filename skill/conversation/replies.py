"""What the conversation works on and answers with: the turn's Context and its Reply.

Plain Python with no Alexa imports. The Alexa layer builds a Context from the request and the store,
and turns a Reply into speech, directives and a save (skill/alexa/turn.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from skill.content.catalog import Exercise
from skill.progress.events import ProgressEvent
from skill.progress.state import SessionState, UserProgress
from skill.speech.ssml import Speech
from skill.workout.planning import Cue
from skill.workout.routine import Position


@dataclass(frozen=True)
class Screen:
    """One counted turn's display: a title and the timed cues."""

    title: str
    cues: tuple[Cue, ...]



@dataclass(frozen=True)
class Context:
    """Everything a reply depends on: session state, stored progress, and the request time."""

    state: SessionState
    progress: UserProgress
    now: float  # request timestamp, seconds since the epoch
    today: date  # the user's local day
    loaded: UserProgress | None = None  # exactly what storage returned (None: same as progress)
    progress_read: bool = True   # False: storage could not be read this turn (progress is the session's only)


@dataclass(frozen=True)
class Reply:
    """One response: what to say, the reprompt ("" for none), and the state afterwards."""

    speech: Speech
    reprompt: str
    ends_session: bool
    state: SessionState
    progress: UserProgress
    events: tuple[ProgressEvent, ...] = ()  # history to add to the stored copy
    forget: bool = False                 # delete everything stored for this user
    if_unsaved: Speech | None = None     # say this instead if the save fails (never claim a save)
    screen: Screen | None = None         # what a device with a screen shows during this turn
    effect: str | None = None            # work only the Alexa layer can do (the Reminders API), then reply
    silent: bool = False                 # no speech at all (Alexa closed the session)


@dataclass(frozen=True)
class Said:
    """What the user said this turn: the action, the exercise named (if any), and the words heard."""

    action: str
    exercise: Exercise | None = None
    heard: str | None = None
    cut_at: Position | None = None       # set by Dialogue.answer: the rep playing when a count was cut short
