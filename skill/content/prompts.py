"""Every user-facing sentence, looked up by key from a locale's prompts file, with variants."""

from __future__ import annotations

import functools
import json
import math
import random
import string
from pathlib import Path
from typing import Any

from skill.content.catalog import BASE_LOCALE, LOCALES_DIR, ContentError


class Prompts:
    """Pick a variant of a sentence by key and fill its placeholders (substitution only)."""

    def __init__(self, table: dict[str, list[str]], rng: random.Random | None = None,
                 choice: int | None = None) -> None:
        self._table = table
        self._rng = rng or random.Random()
        self._choice = choice  # None: pick at random; else variant `choice % n` of every key

    @classmethod
    def load(cls, locale: str = BASE_LOCALE, rng: random.Random | None = None, directory: Path = LOCALES_DIR) -> Prompts:
        """Load en-US/prompts.json, then the locale's own file over it, if it has one (only what it words differently).

        Raises:
            ContentError: a file is missing or malformed, a key has no variants, or a locale file
            has a key the base file does not.
        """
        table = _read_table(directory / BASE_LOCALE / "prompts.json")
        if locale != BASE_LOCALE and (directory / locale / "prompts.json").exists():
            overrides = _read_table(directory / locale / "prompts.json")
            unknown = set(overrides) - set(table)
            if unknown:
                raise ContentError(f"{locale}/prompts.json: keys {sorted(unknown)} are not in {BASE_LOCALE}/prompts.json")
            table = {**table, **overrides}
        return cls(table, rng)

    def keys(self) -> set[str]:
        """All prompt keys."""
        return set(self._table)

    def placeholders(self, key: str) -> set[str]:
        """The placeholder names used by any variant of a key."""
        return {name for v in self._table[key] for _, name, _, _ in string.Formatter().parse(v) if name}

    @functools.cached_property
    def variety(self) -> int:
        """How many fixed choices `fixed()` tells apart: every key's variant count divides it."""
        return math.lcm(*(len(variants) for variants in self._table.values()))

    def draw(self) -> int:
        """A random choice for `fixed()`: each key's variants stay equally likely."""
        return self._rng.randrange(self.variety)

    def fixed(self, choice: int) -> Prompts:
        """These prompts, picking variant `choice % n` of a key with n variants.

        Lets a cache of whole sentences (a planned turn) keep the variety: the cache is keyed by a
        drawn choice, and each choice always sounds the same.
        """
        return Prompts(self._table, self._rng, choice)

    def pick(self, key: str, **params: Any) -> str:
        """One variant of the sentence, with placeholders filled.

        Raises:
            KeyError: unknown key or a placeholder without a value (a programming error).
        """
        variants = self._table[key]
        if len(variants) == 1:
            text = variants[0]
        elif self._choice is None:
            text = self._rng.choice(variants)
        else:
            text = variants[self._choice % len(variants)]
        return text.format(**params) if params or "{" in text else text


def _read_table(path: Path) -> dict[str, list[str]]:
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise ContentError(f"{path.parent.name}/{path.name}: cannot read prompts: {err}") from err
    if not isinstance(table, dict):
        raise ContentError(f"{path.parent.name}/{path.name}: must be an object of prompt keys")
    for key, variants in table.items():
        if not isinstance(variants, list) or not variants or not all(isinstance(v, str) and v for v in variants):
            raise ContentError(f"{path.parent.name}/{path.name}: prompt {key!r} must be a non-empty list of sentences")
    return table
