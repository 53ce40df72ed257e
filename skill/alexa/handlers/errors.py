"""Exception handlers: a request we do not serve gets guidance; anything unexpected, an apology."""

from __future__ import annotations

import logging

from ask_sdk_core.dispatch_components import AbstractExceptionHandler
from ask_sdk_core.exceptions import PersistenceException
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from skill.alexa.outcome import note_skill_error
from skill.content.prompts import Prompts
from skill.speech.ssml import Speech

log = logging.getLogger(__name__)


class PersistenceErrorHandler(AbstractExceptionHandler):
    """Storage failed where the answer depends on it (deleting progress): say so plainly, keep the session."""

    def __init__(self, prompts: Prompts) -> None:
        self.prompts = prompts

    def can_handle(self, handler_input: HandlerInput, exception: Exception) -> bool:
        return isinstance(exception, PersistenceException)

    def handle(self, handler_input: HandlerInput, exception: Exception) -> Response:
        # The store has logged the fault (once per outage, with its traceback); one line here.
        log.warning("storage failed where the answer depends on it: %s", exception)
        note_skill_error()
        return (handler_input.response_builder
                .speak(Speech().say(self.prompts.pick("storage_unavailable")).to_ssml())
                .set_should_end_session(True).response)


class UnexpectedErrorHandler(AbstractExceptionHandler):
    """Last resort: log with the traceback, apologise, keep the session open so the user can retry."""

    def __init__(self, prompts: Prompts) -> None:
        self.prompts = prompts

    def can_handle(self, handler_input: HandlerInput, exception: Exception) -> bool:
        return True

    def handle(self, handler_input: HandlerInput, exception: Exception) -> Response:
        log.error("unexpected error while handling a request", exc_info=exception)
        note_skill_error()
        text = self.prompts.pick("error")
        return (handler_input.response_builder
                .speak(Speech().say(text).to_ssml())
                .ask(Speech().say(self.prompts.pick("ask_start")).to_ssml())
                .set_should_end_session(False).response)
