"""The one SSML builder: every spoken text is escaped, every pause is valid, length is budgeted.

A `Speech` is a list of events (text, silence or a short sound; events.py), so besides the SSML it
can report the exact silence and sound it contains and an estimate of how long it takes to say.
Turn planning uses those figures to keep each response inside Alexa's limits.
"""

from __future__ import annotations

import math

from skill.speech.events import (
    MAX_BREAK_MS,
    Audio,
    Event,
    Say,
    Silence,
    break_tag,
    markup,
    say_event,
    silences,
    word_count,
)

__all__ = ["MAX_AUDIO_SECONDS", "MAX_BREAK_MS", "MAX_SSML_CHARS", "MAX_TURN_SECONDS", "WORDS_PER_SECOND",
           "Audio", "Event", "Say", "Silence", "Speech", "SpeechTooLong"]

# outputSpeech SSML limit, markup included. One Amazon page says 10,000; 8,000 is the safe budget.
MAX_SSML_CHARS = 8_000
# Design guide: a turn that expects a reply should take about 90 seconds or less to speak.
MAX_TURN_SECONDS = 90.0
# Request and Response JSON Reference: all <audio> in outputSpeech together play at most 240 s (in a
# reprompt 90 s; ours are words only). It names no number of clips (a 2016 forum post said five).
MAX_AUDIO_SECONDS = 240.0
# Alexa's default voice says roughly 150 words a minute; used only for estimates.
WORDS_PER_SECOND = 2.5
MIN_GAP_SECONDS = 0.1  # the shortest silence say_within() leaves after its words
# Alexa accepts <prosody rate> percentages from 20% upwards.
MIN_RATE_PERCENT = 20
MAX_RATE_PERCENT = 200

_SPEAK_TAGS_CHARS = len("<speak></speak>")
_PROSODY_CLOSE_CHARS = len("</prosody>")


class SpeechTooLong(ValueError):
    """The document would exceed MAX_SSML_CHARS, which Alexa refuses."""


def _starts_run(events: list[Event] | tuple[Event, ...], i: int) -> bool:
    """True when events[i] begins a stretch of words and silences (one <prosody> element at a set rate).

    Sounds stay outside <prosody>: a rate is for the voice, while the timeline counts each sound at
    its listed length.
    """
    return not isinstance(events[i], Audio) and (i == 0 or isinstance(events[i - 1], Audio))


class Speech:
    """Build an SSML document; all text is escaped and every pause is split into valid breaks.

    `events` only grows through say/pause/play/extend (or is replaced by a new list): the
    document's length, words, silence and sound are kept as running totals, so checking the budget
    after each addition costs only the new events, not a re-render (turn planning checks after
    every rep).
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
        self._audio_ms = 0
        self._audio_count = 0
        self._runs = 0  # stretches between sounds: each is one <prosody> element when the rate is not 100%
        self._rendered: str | None = None  # the SSML of a frozen document, rendered once

    @classmethod
    def of(cls, events: tuple[Event, ...] | list[Event], rate_percent: int = 100) -> Speech:
        """A document holding these events (for example another document's, as a cache key)."""
        speech = cls(rate_percent)
        speech.events = list(events)
        return speech

    def freeze(self) -> Speech:
        """Make the document read-only, so it can be shared: by a cache, across requests and threads.

        Its totals and SSML are worked out now; say, pause, play and extend raise from then on.
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
            self._markup_chars = self._words = self._silence_ms = self._audio_ms = self._audio_count = self._runs = 0
        for i in range(self._counted, len(events)):
            event = events[i]
            self._markup_chars += len(markup(event))
            if isinstance(event, Say):
                self._words += word_count(event.text)
            elif isinstance(event, Silence):
                self._silence_ms += event.ms
            else:
                self._audio_ms += event.ms
                self._audio_count += 1
            self._runs += _starts_run(events, i)
        self._counted = len(events)
        return self

    def say(self, text: str) -> Speech:
        """Add text to speak; empty or blank text adds nothing."""
        event = say_event(text)
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
            self._runs -= _starts_run(events, len(events) - 1)
            events.pop()
            self._counted, self._silence_ms, ms = self._counted - 1, self._silence_ms - last.ms, ms + last.ms
            self._markup_chars -= len(break_tag(last.ms))
        events.extend(silences(ms))
        return self

    def play(self, sound: Audio | None) -> Speech:
        """Add a sound (its length is exact, like a silence's); None adds nothing (sounds are off)."""
        if sound is not None:
            self._writable().append(sound)
        return self

    def sounds_as_silence(self) -> Speech:
        """This document with each sound as a silence of its length, for a speech engine that cannot
        play Alexa's sound library (espeak-ng): the words then fall where Alexa says them."""
        voiced = Speech(self.rate_percent)
        for event in self.events:
            if isinstance(event, Say):
                voiced._writable().append(event)
            else:
                voiced.pause(event.ms / 1000)
        return voiced

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
        totals = (other._markup_chars, other._words, other._silence_ms, other._audio_ms, other._audio_count, other._runs)
        if self._counted != len(self.events) or self._tallied is not self.events:
            self._tally()
        events = self._writable()
        # A stretch of words that goes on across the join is one stretch, not two.
        joined = bool(events) and added > 0 and not isinstance(events[-1], Audio) and not isinstance(other.events[0], Audio)
        events.extend(other.events)
        # Both were up to date, so the totals simply add up (also when other is self).
        self._markup_chars += totals[0]
        self._words += totals[1]
        self._silence_ms += totals[2]
        self._audio_ms += totals[3]
        self._audio_count += totals[4]
        self._runs += totals[5] - joined
        self._counted += added
        return self

    @property
    def silence_seconds(self) -> float:
        """Exact total of all breaks, in seconds."""
        return self._tally()._silence_ms / 1000

    @property
    def audio_seconds(self) -> float:
        """Exact total length of all sounds, in seconds."""
        return self._tally()._audio_ms / 1000

    @property
    def audio_count(self) -> int:
        """How many sounds the document plays."""
        return self._tally()._audio_count

    @property
    def exact_seconds(self) -> float:
        """The part of the document's length that is known exactly: its breaks and its sounds."""
        self._tally()
        return (self._silence_ms + self._audio_ms) / 1000

    @property
    def word_count(self) -> int:
        """Number of words spoken."""
        return self._tally()._words

    def speaking_seconds(self) -> float:
        """Estimated time to say the words at this document's rate (breaks and sounds excluded)."""
        return self.word_count / WORDS_PER_SECOND * 100 / self.rate_percent

    def estimated_seconds(self) -> float:
        """Estimated length of the whole turn: words at the current rate plus exact breaks and sounds."""
        self._tally()
        # Same arithmetic as speaking_seconds() + exact_seconds, so the figures are identical.
        return self._words / WORDS_PER_SECOND * 100 / self.rate_percent + (self._silence_ms + self._audio_ms) / 1000

    def timeline(self) -> list[tuple[float, Event]]:
        """Each event with its estimated start time in seconds from the start of speech."""
        at, out = 0.0, []
        per_word = 100 / self.rate_percent / WORDS_PER_SECOND
        for event in self.events:
            out.append((at, event))
            at += word_count(event.text) * per_word if isinstance(event, Say) else event.ms / 1000
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
        if self.rate_percent == 100:
            return f"<speak>{' '.join([markup(event) for event in self.events])}</speak>"
        parts: list[str] = []
        run: list[str] = []
        for event in self.events:
            if isinstance(event, Audio):
                if run:
                    parts.append(f"{self._prosody_open()}{' '.join(run)}</prosody>")
                    run = []
                parts.append(markup(event))
            else:
                run.append(markup(event))
        if run:
            parts.append(f"{self._prosody_open()}{' '.join(run)}</prosody>")
        if not self._tally()._runs:  # no words at all: an empty element still carries the rate (for replay)
            parts.insert(0, f"{self._prosody_open()}</prosody>")
        return f"<speak>{' '.join(parts)}</speak>"

    def ssml_length(self) -> int:
        """len(self.to_ssml()), from the running totals instead of rendering."""
        self._tally()
        length = _SPEAK_TAGS_CHARS + self._markup_chars + max(0, self._counted - 1)
        if self.rate_percent != 100:
            length += max(1, self._runs) * (len(self._prosody_open()) + _PROSODY_CLOSE_CHARS)
            length += self._runs == 0 and self._counted > 0  # the empty element's separating space
        return length

    def _prosody_open(self) -> str:
        return f'<prosody rate="{self.rate_percent}%">'

    def fits_one_turn(self) -> bool:
        """True when the SSML, the estimated duration and the sounds are within Alexa's per-turn budget."""
        return (self.ssml_length() <= MAX_SSML_CHARS and self.estimated_seconds() <= MAX_TURN_SECONDS
                and self.audio_seconds <= MAX_AUDIO_SECONDS)

    def __bool__(self) -> bool:
        return bool(self.events)
