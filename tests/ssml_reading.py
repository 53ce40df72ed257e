"""Read SSML the way a speech engine hears it: text runs and silences, parsed as XML (tests only)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET


def break_ms(value: str) -> int:
    """Read an SSML time value as milliseconds."""
    match = re.fullmatch(r"(\d+)(ms|s)", value)
    assert match, f"break time {value!r}"
    return int(match.group(1)) * (1 if match.group(2) == "ms" else 1000)


def runs(ssml: str) -> list[str | int]:
    """The document as a speech engine hears it: text runs (str) and silences (int ms), in order."""
    out: list[str | int] = []

    def text(t: str | None) -> None:
        if t and t.strip():
            folded = " ".join(t.split())
            if out and isinstance(out[-1], str):
                out[-1] = f"{out[-1]} {folded}"
            else:
                out.append(folded)

    def visit(node: ET.Element) -> None:
        text(node.text)
        for child in node:
            if child.tag == "break":
                out.append(break_ms(child.attrib["time"]))
            else:
                assert child.tag == "prosody", f"unexpected <{child.tag}> in a counted turn"
                visit(child)
            text(child.tail)

    visit(ET.fromstring(ssml))
    return out
