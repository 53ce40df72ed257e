"""Caches of counted blocks and planned turns: the optimisation that made a counted turn cheap.

Measured (bench/README.md, "Planning on every request"): planning a counted turn tried every unit
against the turn's budget and cost about 200 µs a request; with these caches about 30 µs. Users
mostly start from a few places at a few paces, so most turns repeat. Kept apart from planning.py so
that the plan itself reads as plain code; the caches only store what it computes.
"""

from __future__ import annotations

import functools
from typing import Protocol

from skill.content.catalog import Catalog
from skill.content.prompts import Prompts
from skill.content.sounds import NO_SOUNDS, SoundCues
from skill.speech.ssml import Event, Speech
from skill.workout.pace import NORMAL_PACE
from skill.workout.planning import CountBlock, CountedUnit, Turn, count_block, plan_turn
from skill.workout.routine import Mode, Position


def cached_counting(catalog: Catalog, prompts: Prompts, size: int = 512) -> CountBlock:
    """count_block with a cache for one catalog and prompt set: a block always sounds the same.

    The prompts used inside a block have one variant each, so caching loses no variety.
    """
    @functools.lru_cache(maxsize=size)
    def counted(exercise_id: str, chosen: tuple[str, ...], position: Position, pace: int,
                sounds: SoundCues) -> tuple[CountedUnit, ...]:
        units = tuple(count_block(catalog.version(exercise_id, chosen), position, prompts, pace, sounds))
        for unit in units:
            # Bring each Speech's running totals up to date now: shared units are then only read,
            # never written, by the requests (and threads) that reuse them.
            unit.speech.estimated_seconds()
        return units

    return lambda exercise, position, _prompts, pace, sounds: counted(exercise.id, exercise.chosen, position, pace,
                                                                       sounds)


class PlanTurn(Protocol):
    """plan_turn with the catalog and prompts already chosen (see cached_planning)."""

    def __call__(self, position: Position, mode: Mode, pace: int = NORMAL_PACE, lead_in: Speech | None = None,
                 briefed: bool = False, praise: str | None = None, whole_routine: bool = True,
                 familiar: bool = False, sounds: SoundCues = NO_SOUNDS) -> Turn: ...


def cached_planning(catalog: Catalog, prompts: Prompts, size: int = 512) -> PlanTurn:
    """plan_turn with a cache: the same place, pace and words before it always plan the same turn.

    Planning a counted turn tries every unit against the turn's budget, which made it the largest
    cost of a request; users mostly start from a few places at a few paces, so most turns repeat.
    The cache key holds everything the plan depends on, plus a drawn choice of prompt variants
    (Prompts.fixed), so cached turns keep the variety of the prompts. A cached turn's speech is
    frozen: it is shared by every request that gets it. A turn takes about 10 KB (with its screen
    cues), so the default size keeps at most about 5 MB per language and worker.
    """
    count = cached_counting(catalog, prompts)

    @functools.lru_cache(maxsize=size)
    def planned(position: Position, mode: Mode, pace: int, lead_in: tuple[Event, ...], briefed: bool,
                praise: str | None, whole_routine: bool, familiar: bool, sounds: SoundCues, choice: int) -> Turn:
        turn = plan_turn(catalog, prompts.fixed(choice), position, mode, pace,
                         Speech.of(lead_in) if lead_in else None, briefed, praise, count, whole_routine, familiar, sounds)
        turn.speech.freeze()
        return turn

    def plan(position: Position, mode: Mode, pace: int = NORMAL_PACE, lead_in: Speech | None = None,
             briefed: bool = False, praise: str | None = None, whole_routine: bool = True,
             familiar: bool = False, sounds: SoundCues = NO_SOUNDS) -> Turn:
        return planned(position, mode, pace, tuple(lead_in.events) if lead_in else (), briefed, praise, whole_routine,
                       familiar, sounds, prompts.draw())

    return plan
