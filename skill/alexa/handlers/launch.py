"""Opening the skill: "Alexa, open foot coach"."""

from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_request_type

from skill.alexa.turn import DialogueHandler
from skill.conversation.dialogue import Dialogue
from skill.conversation.replies import Context, Reply


class LaunchRequestHandler(DialogueHandler):
    """Welcome; offer to resume where the user stopped, or to start the routine."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("LaunchRequest")(handler_input)

    def respond(self, dialogue: Dialogue, ctx: Context, handler_input: HandlerInput) -> Reply:
        return dialogue.launch(ctx)
