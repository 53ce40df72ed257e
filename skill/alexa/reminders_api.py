"""Alexa's Reminders API and the reminder's alert token, for the reminder handlers.

Every call goes through the ASK SDK's ReminderManagementServiceClient with the request's
apiEndpoint and apiAccessToken (skill/alexa_api.py decides when those can be used). The alertToken
of the reminder we created is kept beside the user's progress, so "cancel my reminders" can delete
exactly that one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from ask_sdk_core.exceptions import (
    ApiClientException,
    PersistenceException,
    SerializationException,
)
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import RequestEnvelope
from ask_sdk_model.services import ApiResponse, ServiceClientResponse, ServiceException
from ask_sdk_model.services.reminder_management import (
    AlertInfo,
    PushNotification,
    PushNotificationStatus,
    Recurrence,
    ReminderManagementServiceClient,
    ReminderRequest,
    SpokenInfo,
    SpokenText,
    Trigger,
    TriggerType,
)

from skill.alexa.apis import can_call_alexa_apis
from skill.content.catalog import BASE_LOCALE, SUPPORTED_LOCALES
from skill.conversation.reminders import (
    PERMISSION_SCOPE,
    STORE_KEY,
    ClockTime,
    encode_times,
)
from skill.persistence.protocol import ProgressStore

log = logging.getLogger(__name__)

NO_PERMISSION = (401, 403)
_LIST_TYPE = "ask_sdk_model.services.reminder_management.get_reminders_response.GetRemindersResponse"


class ReminderClient(ReminderManagementServiceClient):
    """The SDK's Reminders API client, except that the reminder list is read as plain JSON.

    ask-sdk-model 1.x types AlertInfo.spoken_info as a class in a module that does not exist
    (``alert_info_spoken_info``), so its own get_reminders() fails on every reminder with spoken text.
    """

    def invoke(self, method: str, endpoint: str, path: str, query_params: list[tuple[str, str]],
               header_params: list[tuple[str, str]], path_params: dict[str, str],
               response_definitions: list[ServiceClientResponse], body: Any, response_type: Any) -> ApiResponse | None:
        if response_type == _LIST_TYPE:
            response_type = "object"
        # The SDK's per-argument type comments give self the type str, so mypy cannot bind super().invoke.
        sdk_invoke: Callable[..., ApiResponse | None] = getattr(super(), "invoke")
        return sdk_invoke(method, endpoint, path, query_params, header_params, path_params,
                          response_definitions, body, response_type)


def reminders_client(handler_input: HandlerInput) -> ReminderClient | None:
    """A client for this request's apiEndpoint and apiAccessToken, or None when the request has neither."""
    if not can_call_alexa_apis(handler_input):
        return None
    return ReminderClient(handler_input.service_client_factory.api_configuration)


def has_reminders_permission(handler_input: HandlerInput) -> bool:
    """True when the user has granted the reminders permission (a consent token, and the scope if listed)."""
    context = handler_input.request_envelope.context
    user = context.system.user if context and context.system else None
    permissions = user.permissions if user else None
    if not permissions or not permissions.consent_token:
        return False
    scope = (permissions.scopes or {}).get(PERMISSION_SCOPE)
    return scope is None or getattr(scope.status, "value", scope.status) == "GRANTED"


def reminder_request(times: Sequence[ClockTime], zone: str, locale: str, now: Any, text: str) -> ReminderRequest:
    """One reminder with a daily rule per time, in the user's time zone (Amazon's multi-time example).

    ``text`` is the prompt "reminder_text": short and discreet, since others may hear it.
    """
    return ReminderRequest(
        request_time=now,
        trigger=Trigger(object_type=TriggerType.SCHEDULED_ABSOLUTE, time_zone_id=zone,
                        recurrence=Recurrence(start_date_time=now, recurrence_rules=[t.rule() for t in times])),
        alert_info=AlertInfo(spoken_info=SpokenInfo(content=[SpokenText(locale=locale, text=text)])),
        push_notification=PushNotification(status=PushNotificationStatus.ENABLED),
    )


def reminder_locale(handler_input: HandlerInput) -> str:
    """The request's locale when the skill speaks it (the reminder text is English), else en-US."""
    locale = getattr(handler_input.request_envelope.request, "locale", None)
    return locale if locale in SUPPORTED_LOCALES else BASE_LOCALE


def stored_alert_token(store: ProgressStore, envelope: RequestEnvelope) -> str | None:
    """The alertToken of the reminder we created last, or None (unknown, or storage unavailable)."""
    try:
        stored = store.get_attributes(request_envelope=envelope)
    except PersistenceException:
        log.warning("stored reminder could not be read; will look it up", exc_info=True)
        return None
    entry = stored.get(STORE_KEY)
    token = entry.get("alert_token") if isinstance(entry, dict) else None
    return token if isinstance(token, str) and token else None


def remember_alert_token(store: ProgressStore, envelope: RequestEnvelope, token: str | None,
                         times: Sequence[ClockTime] = ()) -> None:
    """Store (or, with None, forget) our reminder's alertToken beside the progress; a fault is only logged.

    Without it, "cancel my reminders" lists the skill's reminders instead.
    """
    def change(stored: dict[str, Any]) -> dict[str, Any]:
        if token is None:
            stored.pop(STORE_KEY, None)
        else:
            stored[STORE_KEY] = {"alert_token": token, "times": encode_times(times)}
        return stored

    try:
        store.update_attributes(envelope, change)
    except PersistenceException:
        log.warning("reminder token could not be saved", exc_info=True)


def delete_reminder(client: ReminderClient, token: str) -> bool:
    """Delete one reminder; False when it was already gone.

    Raises:
        ServiceException, ApiClientException, SerializationException: the API failed.
    """
    try:
        client.delete_reminder(alert_token=token)
    except ServiceException as err:
        if err.status_code == 404:
            return False
        raise
    return True


def listed_alert_tokens(client: ReminderClient) -> list[str]:
    """The alertTokens of every reminder this skill has for the user (the API shows a skill only its own).

    Raises:
        ServiceException, ApiClientException, SerializationException: the API failed.
    """
    body = client.get_reminders()
    alerts = body.get("alerts") if isinstance(body, dict) else None
    return [alert["alertToken"] for alert in alerts if isinstance(alert, dict)
            and isinstance(alert.get("alertToken"), str) and alert["alertToken"]] if isinstance(alerts, list) else []


def replace_previous(client: ReminderClient, token: str) -> None:
    """Delete the reminder a new one replaces, so the user never gets two sets; a failure is logged."""
    try:
        delete_reminder(client, token)
    except (ServiceException, ApiClientException, SerializationException) as err:
        log.warning("previous reminder %s could not be deleted: %s", token, err)
