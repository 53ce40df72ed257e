"""An answer as the try page plays it: when each word, pause and sound starts, and when the screen changes.

Plain Python over the response JSON. Speech follows the skill's own estimate (skill/speech/ssml.py):
a <break> lasts exactly its time, words WORDS_PER_SECOND scaled by the <prosody rate>, and a soundbank
<audio> its length from skill/content/sounds.json, so the words, the pauses and the counter agree with
what the skill planned. The screen comes from the APL directives: the RenderDocument's text bindings
filled from its datasources (the first frame), and the ExecuteCommands' delays and SetValue steps as
times from the start of the speech, as an Echo Show runs them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from skill.content.sounds import cue_labels, load_sounds
from skill.speech.replay import parse_ssml
from skill.speech.ssml import WORDS_PER_SECOND, Audio, Say

RENDER_DOCUMENT = "Alexa.Presentation.APL.RenderDocument"
EXECUTE_COMMANDS = "Alexa.Presentation.APL.ExecuteCommands"
_BINDING = re.compile(r"^\$\{(\w+)((?:\.\w+)+)\}$")
_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class Segment:
    """One stretch of an answer: words said, a pause, or a sound, from `at` for `seconds`."""

    kind: str                   # "say", "pause" or "sound"
    at: float                   # seconds from the start of the speech
    seconds: float
    text: str = ""              # the words (say) or the sound's label (sound)
    words: tuple[str, ...] = ()
    rate: int = 100             # the <prosody rate> percentage the words are said at


@dataclass(frozen=True)
class ScreenStep:
    """A SetValue of a component's text, at `at` seconds from the start of the speech."""

    at: float
    component: str
    value: str


def speech_segments(ssml: str) -> list[Segment]:
    """The SSML's words, pauses and sounds with their start times, adjacent words and pauses merged.

    The skill's own SSML is read back through its builder (speech/replay.py) with the skill's own
    sounds (content/sounds.py), so the times are the skill's own timeline (Speech.timeline). Other
    SSML is shown as its text at the normal rate.
    """
    try:
        speech = parse_ssml(ssml, load_sounds().by_address())
    except ValueError:
        words = tuple(_TAG.sub(" ", ssml).split())
        return [Segment("say", 0.0, len(words) / WORDS_PER_SECOND, " ".join(words), words)] if words else []
    segments: list[Segment] = []
    rate = speech.rate_percent
    for at, event in speech.timeline():
        last = segments[-1] if segments else None
        if isinstance(event, Say):
            words = tuple(event.text.split())
            seconds = len(words) / WORDS_PER_SECOND * 100 / rate
            if last and last.kind == "say":   # one run of words, as it is said
                segments[-1] = Segment("say", last.at, last.seconds + seconds, f"{last.text} {event.text}",
                                       last.words + words, rate)
                continue
            segments.append(Segment("say", at, seconds, event.text, words, rate))
        elif isinstance(event, Audio):
            segments.append(Segment("sound", at, event.ms / 1000, cue_labels()[event.src]))
        elif last and last.kind == "pause":
            segments[-1] = Segment("pause", last.at, last.seconds + event.ms / 1000)
        else:
            segments.append(Segment("pause", at, event.ms / 1000))
    return segments


def speech_seconds(segments: Sequence[Segment]) -> float:
    """When the last segment ends."""
    return max((segment.at + segment.seconds for segment in segments), default=0.0)


def first_frame(directive: Mapping[str, Any]) -> dict[str, str]:
    """The text of every component with an id in a RenderDocument, its ${payload...} bindings filled in."""
    document = directive.get("document") or {}
    template = document.get("mainTemplate") or {}
    parameters = template.get("parameters") or ["payload"]
    data = {str(parameters[0]): directive.get("datasources") or {}}
    frame: dict[str, str] = {}
    for component in _components(template):
        if isinstance(component.get("id"), str) and "text" in component:
            frame[component["id"]] = _bound(component["text"], data)
    return frame


def _components(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for key in ("items", "item"):
            yield from _components(node.get(key))
    elif isinstance(node, list):
        for item in node:
            yield from _components(item)


def _bound(text: Any, data: Mapping[str, Any]) -> str:
    """A text with one whole-value ${name.path} binding resolved; any other text as written."""
    found = _BINDING.fullmatch(str(text))
    if not found:
        return str(text)
    value: Any = data.get(found.group(1))
    for key in found.group(2).strip(".").split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return "" if value is None else str(value)


def screen_steps(commands: Sequence[Any], start_ms: int = 0) -> tuple[list[ScreenStep], int]:
    """The text SetValues of APL commands with their times, and when the commands end (milliseconds).

    Every APL command may wait `delay` first (an Idle does nothing else); a Sequential runs its
    commands one after another, a Parallel all from the same moment. Other commands take no time here.
    """
    steps: list[ScreenStep] = []
    clock = start_ms
    for command in commands:
        if not isinstance(command, dict):
            continue
        delay = command.get("delay", 0)
        clock += delay if isinstance(delay, int) and delay > 0 else 0
        kind = command.get("type")
        if kind == "Sequential":
            inner, clock = screen_steps(command.get("commands") or [], clock)
            steps += inner
        elif kind == "Parallel":
            ends = [clock]
            for branch in command.get("commands") or []:
                inner, end = screen_steps([branch], clock)
                steps += inner
                ends.append(end)
            clock = max(ends)
        elif kind == "SetValue" and command.get("property") == "text":
            steps.append(ScreenStep(clock / 1000, str(command.get("componentId", "")), str(command.get("value", ""))))
    return sorted(steps, key=lambda step: step.at), clock


def screen_timeline(response: Mapping[str, Any]) -> dict[str, Any] | None:
    """What an Echo Show shows for a response: its first frame and the timed steps; None without APL."""
    frame: dict[str, str] | None = None
    steps: list[ScreenStep] = []
    for directive in response.get("directives") or []:
        if not isinstance(directive, dict):
            continue
        if directive.get("type") == RENDER_DOCUMENT:
            frame = first_frame(directive)
        elif directive.get("type") == EXECUTE_COMMANDS:
            steps += screen_steps(directive.get("commands") or [])[0]
    if frame is None:
        return None
    return {"frame": frame, "steps": [vars(step) for step in sorted(steps, key=lambda step: step.at)]}


def speech_timeline(ssml: str) -> dict[str, Any] | None:
    """An SSML document as the page plays it: its segments and its length; None when there is none."""
    if not ssml:
        return None
    segments = speech_segments(ssml)
    return {"seconds": round(speech_seconds(segments), 3),
            "segments": [{**vars(segment), "at": round(segment.at, 3), "seconds": round(segment.seconds, 3),
                          "words": list(segment.words)} for segment in segments]}
