"""The one SSML builder: every spoken text is escaped, every pause is valid, length is budgeted.

A `Speech` is a list of events (text or silence), so besides the SSML it can report the exact
silence it contains and an estimate of how long it takes to say. Turn planning uses those figures
to keep each response inside Alexa's limits.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from xml.sax.saxutils import escape, unescape

# Amazon's SSML reference: one <break> may last at most 10 seconds; longer silences are chained.
MAX_BREAK_MS = 10_000
# outputSpeech SSML limit, markup included. One Amazon page says 10,000; 8,000 is the safe budget.
MAX_SSML_CHARS = 8_000
# Design guide: a turn that expects a reply should take about 90 seconds or less to speak.
MAX_TURN_SECONDS = 90.0
# Alexa's default voice says roughly 150 words a minute; used only for estimates.
WORDS_PER_SECOND = 2.5
# Alexa accepts <prosody rate> percentages from 20% upwards.
MIN_RATE_PERCENT = 20
MAX_RATE_PERCENT = 200

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


class Speech:
    """Build an SSML document; all text is escaped and every pause is split into valid breaks."""

    def __init__(self, rate_percent: int = 100) -> None:
        if not MIN_RATE_PERCENT <= rate_percent <= MAX_RATE_PERCENT:
            raise ValueError(f"speaking rate {rate_percent}% is outside {MIN_RATE_PERCENT}..{MAX_RATE_PERCENT}%")
        self.rate_percent = rate_percent
        self.events: list[Event] = []

    def say(self, text: str) -> Speech:
        """Add text to speak; empty or blank text adds nothing."""
        # Control characters are not allowed in XML; whatever the user said must not break the document.
        text = " ".join(_CONTROL_CHARS.sub(" ", text).split())
        if text:
            self.events.append(Say(text))
        return self

    def pause(self, seconds: float) -> Speech:
        """Add a silence, chaining breaks of at most 10 s for longer ones.

        Raises:
            ValueError: if seconds is negative or not finite.
        """
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"pause must be a finite, non-negative number of seconds, not {seconds!r}")
        remaining = round(seconds * 1000)
        while remaining > 0:
            chunk = min(remaining, MAX_BREAK_MS)
            self.events.append(Silence(chunk))
            remaining -= chunk
        return self

    def extend(self, other: Speech) -> Speech:
        """Append another Speech's events (its rate is ignored; the document has one rate)."""
        self.events.extend(other.events)
        return self

    @property
    def silence_seconds(self) -> float:
        """Exact total of all breaks, in seconds."""
        return sum(e.ms for e in self.events if isinstance(e, Silence)) / 1000

    @property
    def word_count(self) -> int:
        """Number of words spoken."""
        return sum(len(e.text.split()) for e in self.events if isinstance(e, Say))

    def speaking_seconds(self) -> float:
        """Estimated time to say the words at this document's rate (breaks excluded)."""
        return self.word_count / WORDS_PER_SECOND * 100 / self.rate_percent

    def estimated_seconds(self) -> float:
        """Estimated length of the whole turn: words at the current rate plus exact breaks."""
        return self.speaking_seconds() + self.silence_seconds

    def timeline(self) -> list[tuple[float, Event]]:
        """Each event with its estimated start time in seconds from the start of speech."""
        at, out = 0.0, []
        per_word = 100 / self.rate_percent / WORDS_PER_SECOND
        for event in self.events:
            out.append((at, event))
            at += event.ms / 1000 if isinstance(event, Silence) else len(event.text.split()) * per_word
        return out

    def to_ssml(self) -> str:
        """Render the document as `<speak>...</speak>`."""
        parts: list[str] = []
        for event in self.events:
            if isinstance(event, Say):
                parts.append(escape(event.text, _EXTRA_ENTITIES))
            elif event.ms % 1000 == 0:
                parts.append(f'<break time="{event.ms // 1000}s"/>')
            else:
                parts.append(f'<break time="{event.ms}ms"/>')
        body = " ".join(parts)
        if self.rate_percent != 100:
            body = f'<prosody rate="{self.rate_percent}%">{body}</prosody>'
        return f"<speak>{body}</speak>"

    def fits_one_turn(self) -> bool:
        """True when the rendered SSML and estimated duration are within Alexa's per-turn budget."""
        return len(self.to_ssml()) <= MAX_SSML_CHARS and self.estimated_seconds() <= MAX_TURN_SECONDS

    def __bool__(self) -> bool:
        return bool(self.events)


_SSML_TOKEN = re.compile(r'<break time="(\d+)(ms|s)"/>|<prosody rate="(\d+)%">|</prosody>|<[^>]*>|[^<]+')


def parse_ssml(ssml: str) -> Speech:
    """Rebuild a Speech from SSML this builder produced (used to replay the last turn).

    Only our own vocabulary is accepted: text, breaks and one prosody rate. Anything else (for
    example tampered session attributes carrying other tags) is refused.

    Raises:
        ValueError: the document is not one this builder could have written.
    """
    if not (ssml.startswith("<speak>") and ssml.endswith("</speak>")):
        raise ValueError("not a <speak> document")
    rate = 100
    events: list[Event] = []
    for match in _SSML_TOKEN.finditer(ssml[len("<speak>"):-len("</speak>")]):
        token = match.group(0)
        if match.group(1):
            ms = int(match.group(1)) * (1 if match.group(2) == "ms" else 1000)
            if not 0 < ms <= MAX_BREAK_MS:
                raise ValueError(f"break of {ms} ms")
            events.append(Silence(ms))
        elif match.group(3):
            rate = int(match.group(3))
        elif token == "</prosody>":
            continue
        elif token.startswith("<"):
            raise ValueError(f"unexpected markup {token[:40]!r}")
        elif token.strip():
            events.append(Say(unescape(token.strip(), {"&quot;": '"', "&apos;": "'"})))
    speech = Speech(rate)
    speech.events = events
    return speech
