"""Typed reads of the request parts the ASK SDK types as optional: the intent, session attributes, Alexa's answer.

The SDK's models type almost every field as Optional, and ``request_envelope.request`` as the base
``Request``. The webhook refuses an envelope without a request (400), and each handler's can_handle
has checked the request type before these run, so each function states what it relies on and fails
loudly, with a named error, when that does not hold.
"""

from __future__ import annotations

from typing import Any

from ask_sdk_core.exceptions import AttributesManagerException
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import IntentRequest
from ask_sdk_model.interfaces.connections import ConnectionsResponse


class MissingIntentError(ValueError):
    """An IntentRequest without an intent object; the catch-all error handler answers it."""


def intent_name(handler_input: HandlerInput) -> str | None:
    """The intent's name, or None when the request is not an IntentRequest.

    Raises:
        MissingIntentError: an IntentRequest without an intent object.
    """
    request = handler_input.request_envelope.request
    if not isinstance(request, IntentRequest):
        return None
    if request.intent is None:
        raise MissingIntentError("IntentRequest without an intent")
    return request.intent.name


def session_attributes(handler_input: HandlerInput) -> dict[str, Any]:
    """This session's attributes, as the SDK's attributes manager holds them (changes are sent back).

    Raises:
        AttributesManagerException: the request has no session (the SDK's own error).
    """
    attributes = handler_input.attributes_manager.session_attributes
    if attributes is None:  # the SDK raises before this; its type says Optional all the same
        raise AttributesManagerException("Cannot get SessionAttributes from out of session request!")
    return attributes


def connections_response(handler_input: HandlerInput) -> ConnectionsResponse:
    """The request as Alexa's Connections.Response (the answer to an AskFor directive).

    Raises:
        TypeError: the request is of another type.
    """
    request = handler_input.request_envelope.request
    if not isinstance(request, ConnectionsResponse):
        raise TypeError(f"expected a Connections.Response, got {type(request).__name__}")
    return request
