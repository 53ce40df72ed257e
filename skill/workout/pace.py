"""Counting pace: one place for its bounds and steps ("slower", "faster", "normal speed").

The pace scales both the speaking rate (SSML prosody) and the counting cadence between reps; holds
and rests are prescribed seconds and never scale.
"""

from __future__ import annotations

from typing import Any

NORMAL_PACE = 100              # speaking rate and counting cadence, in percent
MIN_PACE, MAX_PACE = 70, 130   # bounds a user can reach by voice; session data is clamped to them
PACE_STEP = 15                 # one "slower" or "faster"


def clamp_pace(value: Any) -> int:
    """A pace within the safe bounds (a bad value gives the normal pace)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return NORMAL_PACE
    return min(MAX_PACE, max(MIN_PACE, number))


def changed_pace(current: int, direction: str) -> int:
    """The pace after "slower", "faster" or "normal", within the bounds."""
    target = {"slower": current - PACE_STEP, "faster": current + PACE_STEP}.get(direction, NORMAL_PACE)
    return min(MAX_PACE, max(MIN_PACE, target))
