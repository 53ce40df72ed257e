"""What a spoken document is made of: text to say, silences, and short sounds; each with its markup.

Events are immutable and a counted turn says the same few words ("two", "hold", a cue) dozens of
times, so cleaning, escaping and event objects are memoised by text. Bounded in entries, and only
texts as long as a prompt are kept, so no request can fill the memo with long text of its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar
from xml.sax.saxutils import escape

# Amazon's SSML reference: one <break> may last at most 10 seconds; longer silences are chained.
MAX_BREAK_MS = 10_000

T = TypeVar("T")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EXTRA_ENTITIES = {'"': "&quot;", "'": "&apos;"}
_MEMO_SIZE = 4096
_MEMO_MAX_CHARS = 320


@dataclass(frozen=True)
class Say:
    """Some text to speak."""

    text: str


@dataclass(frozen=True)
class Silence:
    """A pause, in whole milliseconds."""

    ms: int


@dataclass(frozen=True)
class Audio:
    """A short sound from Alexa's sound library (a soundbank:// address), and how long it plays."""

    src: str
    ms: int


Event = Say | Silence | Audio


def memo(fn: Callable[[str], T]) -> Callable[[str], T]:
    """Memoise a function of one text, for texts up to _MEMO_MAX_CHARS."""
    cached = lru_cache(maxsize=_MEMO_SIZE)(fn)
    return lambda text: cached(text) if len(text) <= _MEMO_MAX_CHARS else fn(text)


@memo
def say_event(text: str) -> Say | None:
    """The event for some text: control characters replaced, whitespace folded; None if blank."""
    # Control characters are not allowed in XML; whatever the user said must not break the document.
    cleaned = " ".join(_CONTROL_CHARS.sub(" ", text).split())
    return Say(cleaned) if cleaned else None


@memo
def escaped(text: str) -> str:
    """Text as it appears in SSML."""
    return escape(text, _EXTRA_ENTITIES)


@memo
def word_count(text: str) -> int:
    return len(text.split())


@lru_cache(maxsize=_MEMO_SIZE)
def silences(ms: int) -> tuple[Silence, ...]:
    """A silence as breaks of at most MAX_BREAK_MS each."""
    chunks: list[Silence] = []
    while ms > 0:
        chunk = min(ms, MAX_BREAK_MS)
        chunks.append(Silence(chunk))
        ms -= chunk
    return tuple(chunks)


@lru_cache(maxsize=_MEMO_SIZE)
def break_tag(ms: int) -> str:
    """The <break> tag for one silence, in whole seconds when exact."""
    return f'<break time="{ms // 1000}s"/>' if ms % 1000 == 0 else f'<break time="{ms}ms"/>'


@lru_cache(maxsize=64)
def audio_tag(src: str) -> str:
    """The <audio> tag for one sound."""
    return f'<audio src="{escaped(src)}"/>'


def markup(event: Event) -> str:
    """One event as it appears in SSML."""
    if isinstance(event, Say):
        return escaped(event.text)
    return break_tag(event.ms) if isinstance(event, Silence) else audio_tag(event.src)
