"""What an Echo Show displays during a counted turn: the exercise, the current step, a big counter.

Plain Python building APL as dicts. The counter moves by SetValue commands separated by Idle delays
computed from the same timeline as the speech (breaks exact, words estimated at the current pace), so
screen and voice count together. Devices without APL get nothing from here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ask_sdk_core.handler_input import HandlerInput

from skill.conversation.replies import Screen
from skill.workout.planning import Cue

TOKEN = "foot-coach-counter"
DOCUMENT: dict[str, Any] = json.loads((Path(__file__).parent / "screen.apl.json").read_text(encoding="utf-8"))


def render_document(screen: Screen) -> dict[str, Any]:
    """The Alexa.Presentation.APL.RenderDocument directive (as its JSON fields)."""
    first = screen.cues[0] if screen.cues else Cue(0, "", "")
    return {
        "type": "Alexa.Presentation.APL.RenderDocument",
        "token": TOKEN,
        "document": DOCUMENT,
        "datasources": {"screen": {"title": screen.title.capitalize(), "caption": first.caption, "counter": ""}},
    }


def counter_commands(cues: Sequence[Cue]) -> list[dict[str, Any]]:
    """One Sequential of Idle + SetValue steps that replays the cues at their times (milliseconds)."""
    steps: list[dict[str, Any]] = []
    clock_ms = 0
    for cue in cues:
        at_ms = round(cue.at * 1000)
        if at_ms > clock_ms:
            steps.append({"type": "Idle", "delay": at_ms - clock_ms})
            clock_ms = at_ms
        steps.append({"type": "SetValue", "componentId": "counter", "property": "text", "value": cue.counter})
        steps.append({"type": "SetValue", "componentId": "caption", "property": "text", "value": cue.caption})
    return [{"type": "Sequential", "commands": steps}]


def supports_apl(handler_input: HandlerInput) -> bool:
    """True when the device shows APL (an Echo Show); requests without a device say no."""
    context = handler_input.request_envelope.context
    device = context.system.device if context and context.system else None
    interfaces = device.supported_interfaces if device else None
    return interfaces is not None and interfaces.alexa_presentation_apl is not None
