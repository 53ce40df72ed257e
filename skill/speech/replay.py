"""Replaying a turn: the SSML the client sends back ("repeat") rebuilt through the one builder, never trusted."""

from __future__ import annotations

import re
from collections.abc import Mapping
from xml.sax.saxutils import unescape

from skill.speech.ssml import MAX_BREAK_MS, MAX_SSML_CHARS, Audio, Speech

_SSML_TOKEN = re.compile(r'<break time="(\d+)(ms|s)"/>|<prosody rate="(\d+)%">|<audio src="([^"<>]*)"/>|</prosody>'
                         r'|<[^>]*>|[^<]+')
_ENTITIES = {"&quot;": '"', "&apos;": "'"}


def parse_ssml(ssml: str, sounds: Mapping[str, Audio] | None = None) -> Speech:
    """Rebuild a Speech from SSML this builder produced (used to replay the last turn).

    The SSML comes back from the client (session attributes), so it is rebuilt through this
    builder, not trusted: only our own vocabulary (text, breaks, one prosody rate), every text
    cleaned and escaped again (no control characters), only the `sounds` we play (by their address,
    with their own lengths), and within one turn's budget, in characters and in time (no seventy
    minutes of breaks).

    Raises:
        ValueError: the document is not one this builder could have written.
    """
    if len(ssml) > MAX_SSML_CHARS or not (ssml.startswith("<speak>") and ssml.endswith("</speak>")):
        raise ValueError("not a <speak> document within the budget")
    rate = 100
    tokens: list[tuple[str, str | int | Audio]] = []
    for match in _SSML_TOKEN.finditer(ssml[len("<speak>"):-len("</speak>")]):
        token = match.group(0)
        if match.group(1):
            ms = int(match.group(1)) * (1 if match.group(2) == "ms" else 1000)
            if not 0 < ms <= MAX_BREAK_MS:
                raise ValueError(f"break of {ms} ms")
            tokens.append(("pause", ms))
        elif match.group(3):
            rate = int(match.group(3))
        elif match.group(4) is not None:
            sound = (sounds or {}).get(unescape(match.group(4), _ENTITIES))
            if sound is None:
                raise ValueError(f"a sound we do not play: {match.group(4)[:60]!r}")
            tokens.append(("play", sound))
        elif token == "</prosody>":
            continue
        elif token.startswith("<"):
            raise ValueError(f"unexpected markup {token[:40]!r}")
        elif token.strip():
            tokens.append(("say", unescape(token.strip(), _ENTITIES)))
    speech = Speech(rate)   # ValueError for a rate outside what Alexa takes
    for kind, value in tokens:
        if isinstance(value, Audio):
            speech.play(value)
        elif kind == "pause":
            speech.pause(int(value) / 1000)
        else:
            speech.say(str(value))
    if not speech.fits_one_turn():
        raise ValueError(f"{speech.ssml_length()} characters and {speech.estimated_seconds():.0f} s: not one turn")
    return speech
