"""Every user-facing sentence, looked up by key from a locale's prompts file, with variants; and its words.

A locale's folder (locales/<locale>/) may hold prompts.json and words.json with only what it says
differently from en-US: each is read over the en-US file. ``Prompts.words`` (speech.words.Words)
spells numbers, durations, how often, lists and clock times in that language.
"""

from __future__ import annotations

import functools
import json
import math
import random
import string
from pathlib import Path
from typing import Any

from skill.content.catalog import BASE_LOCALE, LOCALES_DIR, ContentError
from skill.speech.words import Words


class Prompts:
    """Pick a variant of a sentence by key and fill its placeholders (substitution only)."""

    def __init__(self, table: dict[str, list[str]], rng: random.Random | None = None,
                 choice: int | None = None, *, words: Words) -> None:
        self._table = table
        self.words = words
        self._rng = rng or random.Random()
        self._choice = choice  # None: pick at random; else variant `choice % n` of every key

    @classmethod
    def load(cls, locale: str = BASE_LOCALE, rng: random.Random | None = None, directory: Path = LOCALES_DIR) -> Prompts:
        """Load en-US/prompts.json and words.json, then the locale's own files over them, where it has them.

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
        return cls(table, rng, words=load_words(locale, directory))

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
        return Prompts(self._table, self._rng, choice, words=self.words)

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


def load_words(locale: str = BASE_LOCALE, directory: Path = LOCALES_DIR) -> Words:
    """en-US/words.json with the locale's words.json over it, entry by entry (only what it says differently).

    Raises:
        ContentError: a file is missing or malformed, or names an entry en-US/words.json does not have.
    """
    base_path = directory / BASE_LOCALE / "words.json"
    data = _read_json_object(base_path, "words")
    overlay_path = directory / locale / "words.json"
    if locale != BASE_LOCALE and overlay_path.exists():
        overlay = _read_json_object(overlay_path, "words")
        for section, entries in overlay.items():
            if section not in data or not isinstance(entries, dict) or not set(entries) <= set(data[section]):
                raise ContentError(f"{locale}/words.json: {section!r} must change only entries of "
                                   f"{BASE_LOCALE}/words.json (sections {sorted(data)})")
            data[section] = {**data[section], **entries}
    try:
        return Words.from_dict(data)
    except ValueError as err:
        raise ContentError(f"{locale}/words.json: {err}") from err


def _read_json_object(path: Path, what: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise ContentError(f"{path.parent.name}/{path.name}: cannot read {what}: {err}") from err
    if not isinstance(data, dict):
        raise ContentError(f"{path.parent.name}/{path.name}: must be a JSON object")
    return data
