"""Calls to Alexa's own APIs (device settings), through the ASK SDK's service clients.

The SDK's DefaultApiClient sends requests without a timeout; Alexa gives a skill about 8 seconds
in all, so every call here is bounded. Any failure falls back quietly (time zone: UTC).
"""

from __future__ import annotations

import functools
import ipaddress
import json
import logging
from typing import Any, Callable
from urllib.parse import urlsplit

import requests
from ask_sdk_core.api_client import DefaultApiClient
from ask_sdk_core.exceptions import ApiClientException
from ask_sdk_core.exceptions import SerializationException as SdkSerializationException
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model.services import ApiClientRequest, ApiClientResponse, ServiceException
from ask_sdk_runtime.exceptions import (
    SerializationException as RuntimeSerializationException,
)

from skill.progress.local_time import valid_zone

log = logging.getLogger(__name__)

API_TIMEOUT_SECONDS = 1.0


class TimedApiClient(DefaultApiClient):
    """The SDK's API client with a timeout; plain HTTP only for loopback (local stand-ins in tests)."""

    def __init__(self, timeout: float = API_TIMEOUT_SECONDS) -> None:
        self.timeout = timeout
        # One session per client: connections to the API are reused instead of set up per call.
        self._session = requests.Session()

    def invoke(self, request: ApiClientRequest) -> ApiClientResponse:
        parts = urlsplit(request.url)
        if parts.scheme == "http" and _is_loopback(parts.hostname or ""):
            return self._invoke_local(request)
        return super().invoke(request)

    def _resolve_method(self, request: ApiClientRequest) -> Callable[..., Any]:
        method = super()._resolve_method(request)  # validates the method name, as the SDK does
        return functools.partial(getattr(self._session, method.__name__), timeout=self.timeout)

    def _invoke_local(self, request: ApiClientRequest) -> ApiClientResponse:
        headers = dict(request.headers or [])
        body = request.body
        if body is not None and "json" in (headers.get("Content-type") or headers.get("Content-Type") or ""):
            body = json.dumps(body)  # exactly what the SDK's HTTPS path sends
        try:
            response = self._resolve_method(request)(url=request.url, headers=headers, data=body)
        except requests.RequestException as err:
            raise ApiClientException(f"Error executing the request: {err}") from err
        return ApiClientResponse(headers=list(response.headers.items()), status_code=response.status_code,
                                 body=response.text)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def can_call_alexa_apis(handler_input: HandlerInput) -> bool:
    """True when the request carries an API endpoint and token (the SDK's clients fail badly without)."""
    context = handler_input.request_envelope.context
    system = context.system if context else None
    return (handler_input.service_client_factory is not None and system is not None
            and isinstance(system.api_endpoint, str) and bool(system.api_endpoint)
            and isinstance(system.api_access_token, str) and bool(system.api_access_token))


def device_timezone(handler_input: HandlerInput) -> str | None:
    """The device's IANA time zone from the Settings API, or None when it cannot be had."""
    system = handler_input.request_envelope.context.system if handler_input.request_envelope.context else None
    device_id = system.device.device_id if system and system.device else None
    if not device_id or not can_call_alexa_apis(handler_input):
        return None
    try:
        zone = handler_input.service_client_factory.get_ups_service().get_system_time_zone(device_id)
    except (ServiceException, ApiClientException, SdkSerializationException, RuntimeSerializationException,
            ValueError, TypeError) as err:
        # An answer that is not JSON (a proxy's error page, say) is a failed call like any other.
        log.info("time zone unavailable, using UTC: %s", type(err).__name__)
        return None
    valid = valid_zone(zone)
    if valid is None:
        log.info("the Settings API answered %r, which is no time zone; using UTC", str(zone)[:80])
    return valid
