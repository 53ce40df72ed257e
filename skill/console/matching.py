"""Match typed text to what Alexa would send: an intent with resolved slots, or a LaunchRequest.

A rough stand-in for Alexa's language model, built once from an interaction model file, for the
local console. Text is normalised (lower case, no punctuation, "what's" ~ "what is") and compared
with every sample utterance. A sample with a {slot} matches when its other words match and the
slot's words are a value or synonym of the slot type (resolved to the value id, as Alexa's entity
resolution does); words that are no value still fill the slot, unresolved (ER_SUCCESS_NO_MATCH).
Built-in intents have no samples in the model, so a small phrase table stands in for Amazon's.
Nothing here imports the ASK SDK: matching is plain functions over plain data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skill.console import envelopes

LAUNCH_REQUEST = "LaunchRequest"
INTENT_REQUEST = "IntentRequest"
FALLBACK_INTENT = "AMAZON.FallbackIntent"

# What people say for Amazon's built-in intents (Amazon's own list is larger and not published).
# Used only for built-ins the model declares, and only where no custom sample says the same words.
BUILTIN_PHRASES: Mapping[str, tuple[str, ...]] = {
    "AMAZON.YesIntent": ("yes", "yeah", "sure", "yep", "ok", "okay", "yes please"),
    "AMAZON.NoIntent": ("no", "nope", "no thanks", "no thank you", "not now"),
    "AMAZON.HelpIntent": ("help", "help me", "what can i say", "what can i do"),
    "AMAZON.StopIntent": ("stop", "quit", "exit", "goodbye", "bye"),
    "AMAZON.CancelIntent": ("cancel", "never mind"),
    "AMAZON.PauseIntent": ("pause", "hold on", "wait"),
    "AMAZON.ResumeIntent": ("resume", "unpause"),
    "AMAZON.RepeatIntent": ("repeat", "repeat that", "say that again", "again", "pardon"),
    "AMAZON.NextIntent": ("next",),
    "AMAZON.StartOverIntent": ("start over", "restart", "start again", "begin again"),
    "AMAZON.NavigateHomeIntent": ("go home", "home"),
}
# "Alexa, open foot coach": these verbs before the invocation name (or alone) open the skill.
LAUNCH_VERBS = ("open", "launch", "start", "begin", "run", "load", "play")
# "Alexa, ask foot coach to start the routine": the words after the prefix are the utterance.
ONE_SHOT_VERBS = ("ask", "tell")

_CONTRACTIONS = {
    "what's": "what is", "that's": "that is", "it's": "it is", "let's": "let us", "i'm": "i am",
    "how's": "how is", "where's": "where is", "who's": "who is", "there's": "there is",
    "i'd": "i would", "i'll": "i will", "you're": "you are", "we're": "we are",
    "can't": "cannot", "won't": "will not", "don't": "do not", "doesn't": "does not",
}
_NOT_WORD = re.compile(r"[^\w\s']|_")
_SLOT = re.compile(r"^\{(\w+)\}$")

# Match tiers, best first: every word literal; a slot resolved to a value; a slot left unresolved.
_EXACT, _RESOLVED, _UNRESOLVED = 0, 1, 2


def normalise(text: str) -> str:
    """Lower-case words without punctuation, contractions spelled out ("What's next?" -> "what is next")."""
    words: list[str] = []
    for token in _NOT_WORD.sub(" ", text.lower().replace("\u2019", "'").replace("\u2018", "'")).split():
        token = token.strip("'")
        words.extend(_CONTRACTIONS.get(token, token.replace("'", "")).split())
    return " ".join(words)


@dataclass(frozen=True)
class SlotValue:
    """One value of a custom slot type: its id and its name as Alexa resolves it."""

    id: str
    name: str


@dataclass(frozen=True)
class SlotMatch:
    """A filled slot: the words heard and, for a custom slot type, the value they resolved to."""

    name: str
    heard: str
    slot_type: str
    value: SlotValue | None = None   # None: no value of a custom type matched (ER_SUCCESS_NO_MATCH)
    custom: bool = True              # built-in types (AMAZON.NUMBER, ...) carry no resolutions

    def to_slot(self, skill_id: str) -> dict[str, Any]:
        """The slot as Alexa sends it, with entity resolution for a custom slot type."""
        if not self.custom:
            return envelopes.slot(self.name, self.heard, skill_id=skill_id)
        return envelopes.slot(self.name, self.heard, skill_id=skill_id, slot_type=self.slot_type,
                    resolved_id=self.value.id if self.value else None,
                    resolved_name=self.value.name if self.value else None)


@dataclass(frozen=True)
class Match:
    """What Alexa would send for some words: a LaunchRequest, or an intent with its slots."""

    request_type: str
    intent: str | None = None
    slots: tuple[SlotMatch, ...] = ()
    sample: str | None = None        # the sample utterance that matched, for the operator

    def describe(self) -> str:
        """How the words were understood, e.g. 'StartExerciseIntent, exercise: "toe curls" = toe_press'."""
        if self.request_type == LAUNCH_REQUEST:
            return LAUNCH_REQUEST
        slots = []
        for slot in self.slots:
            resolved = f" = {slot.value.id}" if slot.value else (" (no match)" if slot.custom else "")
            slots.append(f'{slot.name}: "{slot.heard}"{resolved}')
        return ", ".join([self.intent or "?", *slots])

    def to_request(self, skill_id: str) -> dict[str, Any]:
        """The `request` part of an envelope (without id, timestamp and locale)."""
        if self.request_type == LAUNCH_REQUEST:
            return envelopes.launch_request()
        return envelopes.intent_request(self.intent or "", {matched.name: matched.to_slot(skill_id) for matched in self.slots})


@dataclass(frozen=True)
class _Sample:
    intent: str
    text: str
    pattern: tuple[str, ...]          # words, and slot names written "{name}"
    slot_types: Mapping[str, str]

    @property
    def literal_words(self) -> int:
        return sum(1 for part in self.pattern if not _SLOT.match(part))


class UtteranceMatcher:
    """Match normalised text against an interaction model's samples and slot values."""

    def __init__(self, model: Mapping[str, Any]) -> None:
        language = model["interactionModel"]["languageModel"]
        self.invocation = normalise(language.get("invocationName", ""))
        self.values: dict[str, dict[str, SlotValue]] = {}   # slot type -> normalised words -> value
        for slot_type in language.get("types", []):
            words = self.values.setdefault(slot_type["name"], {})
            for entry in slot_type.get("values", []):
                name = entry["name"]
                value = SlotValue(entry.get("id") or name["value"], name["value"])
                for said in (name["value"], *name.get("synonyms", [])):
                    words.setdefault(normalise(said), value)
        self.samples: list[_Sample] = []
        declared = [intent["name"] for intent in language.get("intents", [])]
        # Custom samples first: on equal footing a model's own sample beats the built-in table.
        for intent in language.get("intents", []):
            types = {slot["name"]: slot["type"] for slot in intent.get("slots", [])}
            for text in intent.get("samples", []):
                self.samples.append(_Sample(intent["name"], text, _pattern(text), types))
        for name in declared:
            for text in BUILTIN_PHRASES.get(name, ()):
                self.samples.append(_Sample(name, text, _pattern(text), {}))

    @classmethod
    def from_file(cls, path: Path) -> UtteranceMatcher:
        """Build a matcher from an interaction model JSON file (as pasted into the Alexa console)."""
        return cls(json.loads(Path(path).read_text(encoding="utf-8")))

    def match(self, text: str) -> Match:
        """What Alexa would send for `text`: launch phrases, the best sample, else FallbackIntent."""
        words = normalise(text).split()
        if words[:1] == ["alexa"]:
            words = words[1:]
        if self._is_launch(words):
            return Match(LAUNCH_REQUEST)
        words = self._strip_one_shot(words)
        best: tuple[tuple[int, int, int], Match] | None = None
        for order, sample in enumerate(self.samples):
            for slots in _bind(sample.pattern, words):
                rank = self._rank(sample, slots, order)
                if rank is not None and (best is None or rank < best[0]):
                    best = rank, Match(INTENT_REQUEST, sample.intent, self._slots(sample, slots), sample.text)
        return best[1] if best else Match(INTENT_REQUEST, FALLBACK_INTENT)

    def _is_launch(self, words: list[str]) -> bool:
        invocation = self.invocation.split()
        if not words or words == invocation or (len(words) == 1 and words[0] in ("open", "launch")):
            return True
        return words[0] in LAUNCH_VERBS and words[1:] == invocation

    def _strip_one_shot(self, words: list[str]) -> list[str]:
        invocation = self.invocation.split()
        size = len(invocation) + 1
        if invocation and words[:1] and words[0] in ONE_SHOT_VERBS and words[1:size] == invocation:
            rest = words[size:]
            return rest[1:] if rest[:1] == ["to"] else rest
        return words

    def _resolve(self, slot_type: str, heard: str) -> SlotValue | None:
        return self.values.get(slot_type, {}).get(heard)

    def _rank(self, sample: _Sample, slots: dict[str, str], order: int) -> tuple[int, int, int] | None:
        """Sort key for a candidate (lower is better), or None when it is no match at all."""
        tier = _EXACT
        for name, heard in slots.items():
            slot_type = sample.slot_types.get(name, "")
            if slot_type in self.values and self._resolve(slot_type, heard) is None:
                # A bare "{exercise}" would swallow every sentence; unresolved words need carrier words.
                if sample.literal_words == 0:
                    return None
                tier = max(tier, _UNRESOLVED)
            else:
                tier = max(tier, _RESOLVED)
        return tier, -sample.literal_words, order

    def _slots(self, sample: _Sample, slots: dict[str, str]) -> tuple[SlotMatch, ...]:
        out = []
        for name, heard in slots.items():
            slot_type = sample.slot_types.get(name, "")
            out.append(SlotMatch(name, heard, slot_type, self._resolve(slot_type, heard), slot_type in self.values))
        return tuple(out)


def _pattern(sample: str) -> tuple[str, ...]:
    """A sample's words, normalised, with each {slot} kept as one part."""
    parts: list[str] = []
    for token in sample.split():
        parts.append(token if _SLOT.match(token) else "")
        if not parts[-1]:
            parts.pop()
            parts.extend(normalise(token).split())
    return tuple(parts)


def _bind(pattern: tuple[str, ...], words: list[str]) -> Iterator[dict[str, str]]:
    """Every way the words fit the pattern: literal words equal, each slot taking one or more words."""
    if not pattern:
        if not words:
            yield {}
        return
    head, rest = pattern[0], pattern[1:]
    slot = _SLOT.match(head)
    if slot is None:
        if words and words[0] == head:
            yield from _bind(rest, words[1:])
        return
    for end in range(1, len(words) - len(rest) + 1):   # every later part needs at least one word
        for bound in _bind(rest, words[end:]):
            yield {slot.group(1): " ".join(words[:end]), **bound}
