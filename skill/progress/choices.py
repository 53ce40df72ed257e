"""What a user chose about the exercises: the versions they do, and the set-ups they already know.

Plain Python. Both come back from session attributes or storage, so both are checked against the
catalog on the way in; anything unknown is dropped, never trusted.
"""

from __future__ import annotations

from typing import Any

from skill.content.catalog import Catalog, Choices

MAX_KNOWN = 50  # set-ups a user can know; far more than the catalog has


def parse_choices(data: Any, catalog: Catalog) -> Choices:
    """{"resisted_flexion": ["harder"]} as Choices, keeping only versions the catalog has."""
    if not isinstance(data, dict):
        return ()
    out = []
    for exercise_id, chosen in data.items():
        if not isinstance(chosen, list) or not all(isinstance(v, str) for v in chosen):
            continue
        key = tuple(sorted(set(chosen)))
        if key and key in catalog.versions.get(str(exercise_id), {}):
            out.append((str(exercise_id), key))
    return tuple(sorted(out))


def choices_dict(choices: Choices) -> dict[str, list[str]]:
    """Choices as stored: {"resisted_flexion": ["harder"]}."""
    return {exercise_id: list(chosen) for exercise_id, chosen in choices}


def with_choice(choices: Choices, exercise_id: str, chosen: tuple[str, ...]) -> Choices:
    """The choices with one exercise's version replaced (an empty `chosen` is the base version)."""
    kept = [(e, c) for e, c in choices if e != exercise_id]
    if chosen:
        kept.append((exercise_id, tuple(sorted(chosen))))
    return tuple(sorted(kept))


def chosen_for(choices: Choices, exercise_id: str) -> tuple[str, ...]:
    """The variant ids chosen for one exercise (() for its base version)."""
    return dict(choices).get(exercise_id, ())


def parse_known(data: Any, catalog: Catalog) -> frozenset[str]:
    """The set-up keys a user has heard in full (see Exercise.setup_key), keeping only real ones."""
    if not isinstance(data, list):
        return frozenset()
    real = {version.setup_key for versions in catalog.versions.values() for version in versions.values()}
    return frozenset(key for key in data[:MAX_KNOWN] if isinstance(key, str) and key in real)
