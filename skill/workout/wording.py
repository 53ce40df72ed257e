"""Sentences built from an exercise's numbers and places: the counts, the announcement, where to resume.

Plain Python. The numbers come from the exercise data and the words from the prompts, so what is said
always matches what is counted ("hold for ten seconds, five times on each foot").
"""

from __future__ import annotations

from skill.content.catalog import Catalog, Exercise
from skill.content.prompts import Prompts
from skill.workout.routine import Position


def describe_counts(exercise: Exercise, prompts: Prompts) -> str:
    """The counts in one sentence: "Hold for ten seconds, five times on each foot."."""
    seconds, side = prompts.words.number(exercise.hold_seconds), exercise.side_noun
    if exercise.work.kind == "hold":
        return prompts.pick("counts_hold_sides" if side else "counts_hold", seconds=seconds,
                            times=prompts.words.times(exercise.reps), side=side or "")
    if exercise.work.kind == "timed":
        if exercise.sets > 1:
            return prompts.pick("counts_timed_sets", seconds=seconds, sets=prompts.words.number(exercise.sets).capitalize(),
                                rest=prompts.words.number(exercise.rest_seconds))
        return prompts.pick("counts_timed", seconds=seconds)
    if exercise.directions:
        return prompts.pick("counts_reps_ways_sides" if side else "counts_reps_ways",
                            reps=prompts.words.number(exercise.reps).capitalize(), side=side or "")
    return prompts.pick("counts_reps_sides" if side else "counts_reps",
                        times=prompts.words.times(exercise.reps).capitalize(), side=side or "")


def announcement(exercise: Exercise, prompts: Prompts) -> str:
    """"Next up is resisted flexion, sitting on the floor. You'll need a resistance band and a sturdy chair. Ready?"."""
    if exercise.equipment:
        return prompts.pick("ask_next_exercise_needs", name=exercise.name, where=exercise.announce,
                            items=prompts.words.join(exercise.equipment))
    return prompts.pick("ask_next_exercise", name=exercise.name, where=exercise.announce)


def describe_version(exercise: Exercise, prompts: Prompts) -> str:
    """How the chosen version differs from the base: "sitting on a chair, at the harder level" ("" for the base)."""
    parts = []
    for variant in exercise.variants:
        if variant.id in exercise.chosen:
            parts.append(exercise.announce if variant.axis == "position" else prompts.pick("version_harder"))
    return ", ".join(parts)


def resume_place(catalog: Catalog, position: Position, prompts: Prompts) -> str:
    """Where counting picks up, leaving out what the turn itself says first.

    A turn that starts a side or set announces it ("Right leg first", "Set two of five"), a held rep
    says its number ("Rep three") and a counted rep is its number ("three"), so the place names only
    the exercise and, inside a block, the side, set and direction: "ankle circles, left leg, counterclockwise".
    """
    exercise = catalog.get(position.exercise_id)
    parts = [exercise.name]
    if position.rep > 1:
        if exercise.sides:
            parts.append(exercise.sides[position.side])
        if exercise.sets > 1:
            parts.append(prompts.pick("place_set", n=prompts.words.number(position.set)))
        direction, rep = divmod(position.rep - 1, exercise.reps)
        if exercise.directions and rep > 0:
            parts.append(exercise.directions[direction])
    return ", ".join(parts)
