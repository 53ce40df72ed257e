"""The Alexa model build's rules that can be checked offline, each with a name a failure quotes.

After Amazon's invocation name requirements and its rules for intents, slots and sample utterances
(developer documentation, "Choose the invocation name" and "Create intents, utterances, and slots").
``check_model`` returns every broken rule, so ``./dev models`` and the tests report all of them at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

# Words an invocation name may not contain: launch phrases, connecting words, wake words, "skill"/"app".
LAUNCH_WORDS = {"ask", "begin", "enable", "launch", "load", "open", "play", "resume", "run", "start", "talk",
                "tell", "use"}
CONNECTING_WORDS = {"and", "by", "from", "if", "to", "whether"}
WAKE_WORDS = {"alexa", "amazon", "computer", "echo", "skill", "app"}
# With exactly two words, neither may be one of these.
TWO_WORD_ARTICLES = {"a", "an", "for", "of", "the", "to"}
# Built-ins every custom model must have for the build to succeed.
REQUIRED_BUILT_INS = ("AMAZON.CancelIntent", "AMAZON.HelpIntent", "AMAZON.StopIntent", "AMAZON.NavigateHomeIntent")
MAX_INVOCATION_CHARS = 50
MAX_SAMPLE_CHARS = 200
SLOT = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class Violation:
    """One broken rule: its name, where, and what to change."""

    rule: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message} [rule: {self.rule}]"


def check_model(model: dict[str, Any], where: str) -> list[Violation]:
    """Every rule this model breaks (empty when the build would accept it, as far as can be told offline)."""
    language = model.get("interactionModel", {}).get("languageModel", {})
    return [*_invocation_name(str(language.get("invocationName", "")), where), *_intents(language, where),
            *_slot_types(language, where)]


def _invocation_name(name: str, where: str) -> Iterator[Violation]:
    here = f"{where} invocationName {name!r}"
    word = r"(?:[a-z]+(?:'s)?|[a-z]\.)"
    if not re.fullmatch(rf"{word}(?: {word})*", name):
        yield Violation("invocation-name-characters", here,
                        "use only lower-case letters, single spaces between words, possessive apostrophes "
                        "(\"sam's\") and periods in abbreviations (\"a. b. c.\"); spell out numbers")
    if not 2 <= len(name) <= MAX_INVOCATION_CHARS:
        yield Violation("invocation-name-length", here, f"must be 2 to {MAX_INVOCATION_CHARS} characters long")
    words = [w.removesuffix("'s") for w in name.split()]
    if len(words) < 2:
        yield Violation("invocation-name-two-words", here,
                        "use two or more words (one word only for a brand you own)")
    for word in words:
        if word in LAUNCH_WORDS | CONNECTING_WORDS | WAKE_WORDS:
            yield Violation("invocation-name-reserved-words", here,
                            f"{word!r} is a launch phrase, connecting word or wake word and may not be part of it")
    if len(words) == 2 and TWO_WORD_ARTICLES & set(words):
        yield Violation("invocation-name-articles", here,
                        f"a two-word name may not contain {sorted(TWO_WORD_ARTICLES & set(words))}")


def _intents(language: dict[str, Any], where: str) -> Iterator[Violation]:
    intents = language.get("intents", [])
    names = [intent.get("name", "") for intent in intents]
    for missing in sorted(set(REQUIRED_BUILT_INS) - set(names)):
        yield Violation("required-built-in-intents", where, f"add {missing}, which every custom skill must have")
    declared_types = {t.get("name") for t in language.get("types", [])}
    first_seen: dict[str, str] = {}
    for intent in intents:
        name = intent.get("name", "")
        here = f"{where} {name}"
        if names.count(name) > 1:
            yield Violation("intent-names-unique", here, "is declared more than once")
        if not re.fullmatch(r"AMAZON\.[A-Za-z]+|[A-Za-z_]+", name):
            yield Violation("intent-name-characters", here, "custom intent names use only letters and underscores")
        slots = {slot.get("name", ""): slot.get("type", "") for slot in intent.get("slots", [])}
        for slot, slot_type in slots.items():
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", slot):
                yield Violation("slot-name-characters", f"{here} slot {slot!r}",
                                "start with a letter; use only letters, digits and underscores")
            if not slot_type.startswith("AMAZON.") and slot_type not in declared_types:
                yield Violation("slot-type-declared", f"{here} slot {slot!r}",
                                f"type {slot_type!r} is neither built in (AMAZON.*) nor declared under types")
        samples = intent.get("samples", [])
        if not name.startswith("AMAZON.") and not samples:
            yield Violation("custom-intent-has-samples", here, "a custom intent needs at least one sample utterance")
        for sample in samples:
            yield from _sample(sample, set(slots), f"{here} sample {sample!r}")
            key = " ".join(sample.lower().split())
            previous = first_seen.setdefault(key, name)
            if previous != name:
                yield Violation("sample-unique-across-intents", f"{here} sample {sample!r}",
                                f"is also a sample of {previous}; one utterance must map to one intent")
            elif samples.count(sample) > 1:
                yield Violation("sample-unique-in-intent", f"{here} sample {sample!r}", "is listed twice")


def _sample(sample: str, slots: set[str], here: str) -> Iterator[Violation]:
    if not sample.strip() or len(sample) > MAX_SAMPLE_CHARS:
        yield Violation("sample-length", here, f"must be 1 to {MAX_SAMPLE_CHARS} characters long")
    words = SLOT.sub(" ", sample)
    if any(c.isdigit() for c in words):
        yield Violation("sample-numbers-spelled-out", here, "spell numbers out (\"three\", not \"3\")")
    odd = sorted({c for c in words if not (c.isalpha() or c.isdigit() or c == " " or c in ".'-")})
    if odd:
        yield Violation("sample-characters", here, f"{''.join(odd)!r}: use only letters, single spaces, periods in "
                        "abbreviations, possessive apostrophes and hyphens (and {slot} references)")
    for used in SLOT.findall(sample):
        if used not in slots:
            yield Violation("sample-slots-declared", here, f"{{{used}}} is not a slot of this intent; declare it")
    if re.search(r"\S\{|\}\S", sample):
        yield Violation("sample-slot-spacing", here, "separate each {slot} from words and other slots with a space")


def _slot_types(language: dict[str, Any], where: str) -> Iterator[Violation]:
    for slot_type in language.get("types", []):
        here = f"{where} type {slot_type.get('name')}"
        values = slot_type.get("values", [])
        if not values:
            yield Violation("slot-type-has-values", here, "a custom slot type needs at least one value")
        seen: dict[str, str] = {}
        for value in values:
            vid = value.get("id") or value.get("name", {}).get("value", "")
            for said in (value.get("name", {}).get("value", ""), *value.get("name", {}).get("synonyms", [])):
                key = " ".join(said.lower().split())
                if not key or len(said) > 140:
                    yield Violation("slot-value-length", f"{here} value {said!r}", "must be 1 to 140 characters long")
                owner = seen.setdefault(key, vid)
                if owner != vid:
                    yield Violation("slot-values-unique", f"{here} value {said!r}",
                                    f"is both {owner!r} and {vid!r}; entity resolution needs one meaning")
