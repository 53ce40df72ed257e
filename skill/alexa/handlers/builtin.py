"""Requests no other handler claims (CanFulfillIntentRequest, APL events, ...): an empty answer."""

from __future__ import annotations

import logging

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

log = logging.getLogger(__name__)


class UnservedRequestHandler(AbstractRequestHandler):
    """Request types we do not serve (CanFulfillIntentRequest, APL events, ...): an empty answer.

    Registered last, so it only sees what no other handler claimed.
    """

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return True

    def handle(self, handler_input: HandlerInput) -> Response:
        log.info("no handler for request type %s", getattr(handler_input.request_envelope.request, "object_type", None))
        return handler_input.response_builder.response
