"""The skill's SSML as the console prints it: text with the pauses and sounds visible, "two ... 2 s ... [♪ hold ends]"."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

from skill.content.sounds import cue_labels


def show_ssml(ssml: str) -> str:
    """SSML as plain text with pauses visible: 'one ... 2 s ... two'; consecutive breaks are added up."""
    try:
        root = ET.fromstring(ssml)
    except ET.ParseError:
        return ssml
    rates = [node.get("rate") for node in root.iter("prosody") if node.get("rate")]
    parts: list[str] = []
    pause_ms = 0
    for piece in _pieces(root):
        if isinstance(piece, int):
            pause_ms += piece
            continue
        if not piece.strip():
            continue
        if pause_ms:
            parts.append(_pause(pause_ms))
            pause_ms = 0
        parts.append(piece.strip())
    if pause_ms:
        parts.append(_pause(pause_ms))
    text = re.sub(r"\s+", " ", " ".join(parts)).strip()
    return f"(rate {rates[0]}) {text}" if rates and rates[0] != "100%" else text


def _pieces(node: ET.Element) -> Iterator[str | int]:
    """Text and break lengths (ms) in document order."""
    if node.tag == "break":
        yield _break_ms(node.get("time", ""))
    if node.tag == "audio":
        yield f"[♪ {cue_labels().get(node.get('src', ''), 'a sound')}]"
    if node.text:
        yield node.text
    for child in node:
        yield from _pieces(child)
        if child.tail:
            yield child.tail


def _break_ms(time: str) -> int:
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s)\s*", time)
    if not found:
        return 0
    return round(float(found.group(1)) * (1 if found.group(2) == "ms" else 1000))


def _pause(ms: int) -> str:
    if not ms:
        return "..."
    return f"... {ms / 1000:g} s ..."
