"""The one SSML builder: every spoken text is escaped, every pause is valid, length is budgeted.

A `Speech` is a list of events (text or silence), so besides the SSML it can report the exact
silence it contains and an estimate of how long it takes to say. Turn planning uses those figures
to keep each response inside Alexa's limits.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar
from xml.sax.saxutils import escape

# Amazon's SSML reference: one <break> may last at most 10 seconds; longer silences are chained.
MAX_BREAK_MS = 10_000
# outputSpeech SSML limit, markup included. One Amazon page says 10,000; 8,000 is the safe budget.
MAX_SSML_CHARS = 8_000
# Design guide: a turn that expects a reply should take about 90 seconds or less to speak.
MAX_TURN_SECONDS = 90.0
# Alexa's default voice says roughly 150 words a minute; used only for estimates.
WORDS_PER_SECOND = 2.5
MIN_GAP_SECONDS = 0.1  # the shortest silence say_within() leaves after its words
# Alexa accepts <prosody rate> percentages from 20% upwards.
MIN_RATE_PERCENT = 20
MAX_RATE_PERCENT = 200

T = TypeVar("T")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EXTRA_ENTITIES = {'"': "&quot;", "'": "&apos;"}


@dataclass(frozen=True)
class Say:
    """Some text to speak."""

    text: str


@dataclass(frozen=True)
class Silence:
    """A pause, in whole milliseconds."""

    ms: int


Event = Say | Silence
_SPEAK_TAGS_CHARS = len("<speak></speak>")
_PROSODY_CLOSE_CHARS = len("</prosody>")

# Events are immutable and a counted turn says the same few words ("two", "hold", a cue) dozens of
# times, so cleaning, escaping and event objects are memoised by text. Bounded in entries, and only
# texts as long as a prompt are kept, so no request can fill the memo with long text of its own.
_MEMO_SIZE = 4096
_MEMO_MAX_CHARS = 320


class SpeechTooLong(ValueError):
    """The document would exceed MAX_SSML_CHARS, which Alexa refuses."""


def _memo(fn: Callable[[str], T]) -> Callable[[str], T]:
    """Memoise a function of one text, for texts up to _MEMO_MAX_CHARS."""
    cached = lru_cache(maxsize=_MEMO_SIZE)(fn)
    return lambda text: cached(text) if len(text) <= _MEMO_MAX_CHARS else fn(text)


@_memo
def _say_event(text: str) -> Say | None:
    """The event for some text: control characters replaced, whitespace folded; None if blank."""
    # Control characters are not allowed in XML; whatever the user said must not break the document.
    cleaned = " ".join(_CONTROL_CHARS.sub(" ", text).split())
    return Say(cleaned) if cleaned else None


@_memo
def _escaped(text: str) -> str:
    """Text as it appears in SSML."""
    return escape(text, _EXTRA_ENTITIES)


@_memo
def _word_count(text: str) -> int:
    return len(text.split())


@lru_cache(maxsize=_MEMO_SIZE)
def _silences(ms: int) -> tuple[Silence, ...]:
    """A silence as breaks of at most MAX_BREAK_MS each."""
    chunks: list[Silence] = []
    while ms > 0:
        chunk = min(ms, MAX_BREAK_MS)
        chunks.append(Silence(chunk))
        ms -= chunk
    return tuple(chunks)


@lru_cache(maxsize=_MEMO_SIZE)
def _break_tag(ms: int) -> str:
    """The <break> tag for one silence, in whole seconds when exact."""
    return f'<break time="{ms // 1000}s"/>' if ms % 1000 == 0 else f'<break time="{ms}ms"/>'


def _markup(event: Event) -> str:
    return _escaped(event.text) if isinstance(event, Say) else _break_tag(event.ms)


class Speech:
    """Build an SSML document; all text is escaped and every pause is split into valid breaks.

    `events` only grows through say/pause/extend (or is replaced by a new list): the document's
    length, words and silence are kept as running totals, so checking the budget after each
    addition costs only the new events, not a re-render (turn planning checks after every rep).
    """

    def __init__(self, rate_percent: int = 100) -> None:
        if not MIN_RATE_PERCENT <= rate_percent <= MAX_RATE_PERCENT:
            raise ValueError(f"speaking rate {rate_percent}% is outside {MIN_RATE_PERCENT}..{MAX_RATE_PERCENT}%")
        self.rate_percent = rate_percent
        self.events: list[Event] | tuple[Event, ...] = []  # a tuple once frozen
        # Running totals over events[:_counted] of the list object _tallied.
        self._tallied: list[Event] | tuple[Event, ...] = self.events
        self._counted = 0
        self._markup_chars = 0
        self._words = 0
        self._silence_ms = 0
        self._rendered: str | None = None  # the SSML of a frozen document, rendered once

    @classmethod
    def of(cls, events: tuple[Event, ...] | list[Event], rate_percent: int = 100) -> Speech:
        """A document holding these events (for example another document's, as a cache key)."""
        speech = cls(rate_percent)
        speech.events = list(events)
        return speech

    def freeze(self) -> Speech:
        """Make the document read-only, so it can be shared: by a cache, across requests and threads.

        Its totals and SSML are worked out now; say, pause and extend raise from then on.
        """
        self._tally()
        self._rendered = self.to_ssml()
        self.events = tuple(self.events)
        self._tallied = self.events
        return self

    def _writable(self) -> list[Event]:
        events = self.events
        if self._rendered is not None or not isinstance(events, list):  # freeze() also made it a tuple
            raise RuntimeError("this Speech is frozen (shared); extend a new Speech with it instead")
        return events

    def _tally(self) -> Speech:
        """Bring the running totals up to date with the events added since the last call."""
        events = self.events
        if events is self._tallied and len(events) == self._counted:
            return self
        if events is not self._tallied or len(events) < self._counted:
            self._tallied, self._counted = events, 0
            self._markup_chars = self._words = self._silence_ms = 0
        if self._counted < len(events):
            chars, words, silence_ms = self._markup_chars, self._words, self._silence_ms
            for event in events[self._counted:]:
                if isinstance(event, Say):
                    chars += len(_escaped(event.text))
                    words += _word_count(event.text)
                else:
                    chars += len(_break_tag(event.ms))
                    silence_ms += event.ms
            self._markup_chars, self._words, self._silence_ms = chars, words, silence_ms
            self._counted = len(events)
        return self

    def say(self, text: str) -> Speech:
        """Add text to speak; empty or blank text adds nothing."""
        event = _say_event(text)
        if event is not None:
            self._writable().append(event)
        return self

    def pause(self, seconds: float) -> Speech:
        """Add a silence (one with a silence just before it), chaining breaks of at most 10 s.

        Raises:
            ValueError: if seconds is negative or not finite.
        """
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"pause must be a finite, non-negative number of seconds, not {seconds!r}")
        events, ms = self._tally()._writable(), round(seconds * 1000)
        if ms and events and isinstance(last := events[-1], Silence):
            # One silence, one break: some engines (espeak-ng) drop the second of two breaks in a row.
            events.pop()
            self._counted, self._silence_ms, ms = self._counted - 1, self._silence_ms - last.ms, ms + last.ms
            self._markup_chars -= len(_break_tag(last.ms))
        events.extend(_silences(ms))
        return self

    def text_seconds(self, text: str) -> float:
        """Estimated time to say `text` at this document's rate (as estimated_seconds counts it)."""
        return len(text.split()) / WORDS_PER_SECOND * 100 / self.rate_percent

    def say_within(self, text: str, seconds: float, min_pause: float = MIN_GAP_SECONDS) -> Speech:
        """Say `text`, then be silent until `seconds` after it began (estimated at this rate; at least min_pause)."""
        self.say(text)
        return self.pause(max(min_pause, seconds - self.text_seconds(text)))

    def extend(self, other: Speech) -> Speech:
        """Append another Speech's events (its rate is ignored; the document has one rate)."""
        added = len(other.events)
        if other._counted != added or other._tallied is not other.events:
            other._tally()
        chars, words, silence_ms = other._markup_chars, other._words, other._silence_ms
        if self._counted != len(self.events) or self._tallied is not self.events:
            self._tally()
        self._writable().extend(other.events)
        # Both were up to date, so the totals simply add up (also when other is self).
        self._markup_chars += chars
        self._words += words
        self._silence_ms += silence_ms
        self._counted += added
        return self

    @property
    def silence_seconds(self) -> float:
        """Exact total of all breaks, in seconds."""
        return self._tally()._silence_ms / 1000

    @property
    def word_count(self) -> int:
        """Number of words spoken."""
        return self._tally()._words

    def speaking_seconds(self) -> float:
        """Estimated time to say the words at this document's rate (breaks excluded)."""
        return self.word_count / WORDS_PER_SECOND * 100 / self.rate_percent

    def estimated_seconds(self) -> float:
        """Estimated length of the whole turn: words at the current rate plus exact breaks."""
        self._tally()
        # Same arithmetic as speaking_seconds() + silence_seconds, so the figures are identical.
        return self._words / WORDS_PER_SECOND * 100 / self.rate_percent + self._silence_ms / 1000

    def timeline(self) -> list[tuple[float, Event]]:
        """Each event with its estimated start time in seconds from the start of speech."""
        at, out = 0.0, []
        per_word = 100 / self.rate_percent / WORDS_PER_SECOND
        for event in self.events:
            out.append((at, event))
            at += event.ms / 1000 if isinstance(event, Silence) else _word_count(event.text) * per_word
        return out

    def to_ssml(self) -> str:
        """Render the document as `<speak>...</speak>`.

        Raises:
            SpeechTooLong: it would be longer than MAX_SSML_CHARS (Alexa refuses such a response).
        """
        if self._rendered is not None:
            return self._rendered
        if self.ssml_length() > MAX_SSML_CHARS:
            raise SpeechTooLong(f"{self.ssml_length():,} characters of SSML; Alexa takes at most {MAX_SSML_CHARS:,}")
        body = " ".join([_markup(event) for event in self.events])
        if self.rate_percent != 100:
            body = f'{self._prosody_open()}{body}</prosody>'
        return f"<speak>{body}</speak>"

    def ssml_length(self) -> int:
        """len(self.to_ssml()), from the running totals instead of rendering."""
        self._tally()
        length = _SPEAK_TAGS_CHARS + self._markup_chars + max(0, self._counted - 1)
        if self.rate_percent != 100:
            length += len(self._prosody_open()) + _PROSODY_CLOSE_CHARS
        return length

    def _prosody_open(self) -> str:
        return f'<prosody rate="{self.rate_percent}%">'

    def fits_one_turn(self) -> bool:
        """True when the rendered SSML and estimated duration are within Alexa's per-turn budget."""
        return self.ssml_length() <= MAX_SSML_CHARS and self.estimated_seconds() <= MAX_TURN_SECONDS

    def __bool__(self) -> bool:
        return bool(self.events)
