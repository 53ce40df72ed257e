"""Where was the user when they said "Alexa, pause"? An estimate from the turn's own timeline.

Plain Python. Breaks in a turn are exact; words are estimated at the current pace. Between the
response leaving us and the pause request arriving there is delivery, the wake word and the word
"pause" itself, and timestamps are whole seconds. So the estimate rounds back, never forward: the
user may repeat part of a rep, but never misses one. When it is unclear whether the turn had
already finished, the user goes back to the last unit that may have been playing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from skill.workout.planning import Mark
from skill.workout.routine import Position

# Seconds between the speech being cut and the pause request's timestamp: audio delivery and
# start-up, "Alexa, pause", request time rounded to the second. Generous on purpose.
CUT_LATENCY_SECONDS = 3.0
# Spoken words may run this much slower than estimated (breaks are exact).
WORD_TIME_SLACK = 0.25
# After the estimated end plus this share, the turn surely finished playing.
FINISHED_SLACK = 0.25


@dataclass(frozen=True)
class PauseEstimate:
    """Where to resume, and whether the turn had surely finished before the pause."""

    resume_at: Position | None  # None: the turn finished; keep the next position
    confident: bool


def estimate_resume(marks: Sequence[Mark], turn_seconds: float, elapsed: float,
                    counted_until: tuple[float, float] | None = None) -> PauseEstimate:
    """Pick the unit to resume at from the seconds `elapsed` since the turn was sent.

    Each mark's offset is exact silence plus estimated speech; only the speech part gets slack.
    `counted_until` (at, silence): when the turn's counting ends, before its closing words; a request
    that comes after the latest that can be, with the latency allowed for, interrupted nothing counted.
    """
    if not marks:
        return PauseEstimate(None, True)
    if counted_until is not None and counted_until[0] > 0:
        at, silence = counted_until
        if elapsed - CUT_LATENCY_SECONDS >= silence + (at - silence) * (1 + WORD_TIME_SLACK):
            return PauseEstimate(None, True)
    if elapsed >= turn_seconds * (1 + FINISHED_SLACK) + CUT_LATENCY_SECONDS:
        return PauseEstimate(None, True)
    cut = elapsed - CUT_LATENCY_SECONDS
    chosen = marks[0]
    for mark in marks:
        latest_start = mark.silence + (mark.at - mark.silence) * (1 + WORD_TIME_SLACK)  # latest it could begin
        if latest_start <= cut:
            chosen = mark
    # Just after the estimated end the turn may or may not have finished: the last unit that may have
    # been playing, flagged as doubtful (a rep may be repeated, never missed).
    return PauseEstimate(chosen.position, elapsed < turn_seconds)
