"""What the console shows besides speech: directives, cards, and Alexa's own permission question.

A response that asks for a permission (``Connections.SendRequest`` named ``AskFor``) hands the
session to Alexa, which asks the user in its own words and sends the skill a ``Connections.Response``
with the answer. The console plays Alexa's part: it prints the question, reads the next line as the
answer ("I approve" / "yes", "no"; anything else is no answer) and sends that response, granting or
withdrawing the permission for the rest of the run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from skill.console.envelopes import connections_response_request

APPROVALS = {"i approve", "approve", "yes", "yeah", "yep", "sure", "ok", "okay", "allow", "i allow", "grant"}
REFUSALS = {"no", "nope", "deny", "i deny", "don't", "do not", "i don't approve", "i do not approve", "no thanks"}


@dataclass(frozen=True)
class PermissionRequest:
    """An AskFor the skill sent: the scopes it asks for and the token to send back with the answer."""

    scopes: tuple[str, ...]
    token: str

    @classmethod
    def from_response(cls, response: dict[str, Any]) -> PermissionRequest | None:
        """The AskFor in a response's directives, if there is one."""
        for directive in response.get("directives") or []:
            if directive.get("type") == "Connections.SendRequest" and directive.get("name") == "AskFor":
                scopes = tuple(s.get("permissionScope", "") for s in
                               (directive.get("payload") or {}).get("permissionScopes", []))
                return cls(scopes, str(directive.get("token", "")))
        return None

    def question(self, skill_name: str = "Foot Coach") -> str:
        """Roughly what Alexa asks (its real wording is its own)."""
        what = "update your reminders" if any("reminders" in s for s in self.scopes) else "use " + ", ".join(self.scopes)
        return f"Do you give {skill_name} permission to {what}? You can say I approve or no."

    @staticmethod
    def status_for(line: str) -> str:
        """ACCEPTED, DENIED or NOT_ANSWERED for what the user typed."""
        said = re.sub(r"[^a-z' ]", "", line.lower()).strip()
        if said in APPROVALS:
            return "ACCEPTED"
        if said in REFUSALS:
            return "DENIED"
        return "NOT_ANSWERED"

    def answer(self, status: str) -> dict[str, Any]:
        """The Connections.Response request Alexa sends the skill (payload version 2)."""
        return connections_response_request(status, self.token, scopes=self.scopes)


def describe(response: dict[str, Any]) -> list[str]:
    """One line per directive and card, in the order Alexa would act on them."""
    lines = []
    for directive in response.get("directives") or []:
        kind = directive.get("type", "?")
        if kind == "Connections.SendRequest":
            scopes = [s.get("permissionScope") for s in (directive.get("payload") or {}).get("permissionScopes", [])]
            lines.append(f"directive {kind} {directive.get('name')}: Alexa asks for the permission {', '.join(scopes)}")
        elif kind == "Alexa.Presentation.APL.RenderDocument":
            screen = (directive.get("datasources") or {}).get("screen") or {}
            shown = ", ".join(f"{k} {v!r}" for k, v in screen.items() if isinstance(v, (str, int)))
            lines.append(f"directive {kind}: the screen shows {shown or 'the APL document'}")
        elif kind == "Alexa.Presentation.APL.ExecuteCommands":
            steps = [c for group in directive.get("commands", []) for c in group.get("commands", [group])]
            values = [str(c.get("value")) for c in steps if c.get("type") == "SetValue" and c.get("componentId") == "counter"]
            idle_ms = sum(int(c.get("delay", 0)) for c in steps if c.get("type") == "Idle")
            lines.append(f"directive {kind}: the counter shows {' '.join(values[:12])}{' ...' if len(values) > 12 else ''}"
                         f" over {idle_ms / 1000:g} s")
        else:
            lines.append(f"directive {kind}")
    card = response.get("card")
    if card:
        detail = ", ".join(card.get("permissions", [])) or card.get("title", "")
        lines.append(f"card to the Alexa app: {card.get('type')}{': ' + detail if detail else ''}")
    return lines
