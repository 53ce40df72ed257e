"""Alexa's built-in intents: yes, no, help, stop, cancel, fallback, navigate home, session end."""

from __future__ import annotations

import logging

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_request_type
from ask_sdk_model import Response

from skill.alexa.turn import DialogueHandler
from skill.conversation.dialogue import Dialogue
from skill.conversation.replies import Context, Reply

log = logging.getLogger(__name__)


class YesIntentHandler(DialogueHandler):
    """"Yes": accept whatever the last question offered."""

    intent_names = ("AMAZON.YesIntent",)

    def respond(self, dialogue: Dialogue, ctx: Context, handler_input: HandlerInput) -> Reply:
        return dialogue.yes(ctx)


class NoIntentHandler(DialogueHandler):
    """"No": decline the offer, or take a break mid-workout."""

    intent_names = ("AMAZON.NoIntent",)

    def respond(self, dialogue: Dialogue, ctx: Context, handler_input: HandlerInput) -> Reply:
        return dialogue.no(ctx)


class HelpIntentHandler(DialogueHandler):
    """"Help": what can be said right now; the session stays open."""

    intent_names = ("AMAZON.HelpIntent",)

    def respond(self, dialogue: Dialogue, ctx: Context, handler_input: HandlerInput) -> Reply:
        return dialogue.help(ctx)


class StopOrCancelIntentHandler(DialogueHandler):
    """"Stop", "cancel", or the home button: goodbye; the place is kept. (A documented pair.)"""

    intent_names = ("AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.NavigateHomeIntent")

    def respond(self, dialogue: Dialogue, ctx: Context, handler_input: HandlerInput) -> Reply:
        return dialogue.stop(ctx)


class FallbackIntentHandler(DialogueHandler):
    """Anything that matched no intent, and any intent we do not serve: say what works here."""

    intent_names = ("AMAZON.FallbackIntent",)

    def can_handle(self, handler_input: HandlerInput) -> bool:
        # Registered after every other intent handler, so any IntentRequest reaching it is unknown.
        return is_request_type("IntentRequest")(handler_input)

    def respond(self, dialogue: Dialogue, ctx: Context, handler_input: HandlerInput) -> Reply:
        return dialogue.fallback(ctx)


class SessionEndedRequestHandler(AbstractRequestHandler):
    """The session ended (timeout, error, user exit): nothing to say; progress was saved each turn."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("SessionEndedRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        request = handler_input.request_envelope.request
        if getattr(request, "error", None):
            log.warning("session ended with error: %s", request.error)
        return handler_input.response_builder.response


class UnservedRequestHandler(AbstractRequestHandler):
    """Request types we do not serve (CanFulfillIntentRequest, APL events, ...): an empty answer.

    Registered last, so it only sees what no other handler claimed.
    """

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return True

    def handle(self, handler_input: HandlerInput) -> Response:
        log.info("no handler for request type %s", handler_input.request_envelope.request.object_type)
        return handler_input.response_builder.response
