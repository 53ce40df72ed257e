"""Every user-facing sentence, looked up by key from a locale's prompts file, with variants."""

from __future__ import annotations

import json
import random
import string
from pathlib import Path
from typing import Any

from skill.content import CONTENT_DIR, ContentError


class Prompts:
    """Pick a variant of a sentence by key and fill its placeholders (substitution only)."""

    def __init__(self, table: dict[str, list[str]], rng: random.Random | None = None) -> None:
        self._table = table
        self._rng = rng or random.Random()

    @classmethod
    def load(cls, locale: str = "en-US", rng: random.Random | None = None, directory: Path = CONTENT_DIR) -> Prompts:
        """Load prompts.<locale>.json.

        Raises:
            ContentError: the file is missing, malformed, or has a key without variants.
        """
        path = directory / f"prompts.{locale}.json"
        try:
            table = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as err:
            raise ContentError(f"{path.name}: cannot read prompts: {err}") from err
        for key, variants in table.items():
            if not isinstance(variants, list) or not variants or not all(isinstance(v, str) and v for v in variants):
                raise ContentError(f"{path.name}: prompt {key!r} must be a non-empty list of sentences")
        return cls(table, rng)

    def keys(self) -> set[str]:
        """All prompt keys."""
        return set(self._table)

    def placeholders(self, key: str) -> set[str]:
        """The placeholder names used by any variant of a key."""
        return {name for v in self._table[key] for _, name, _, _ in string.Formatter().parse(v) if name}

    def pick(self, key: str, **params: Any) -> str:
        """One variant of the sentence, with placeholders filled.

        Raises:
            KeyError: unknown key or a placeholder without a value (a programming error).
        """
        return self._rng.choice(self._table[key]).format(**params)
