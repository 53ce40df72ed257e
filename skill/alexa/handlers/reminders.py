"""Reminders: thin handlers between Alexa requests, skill.conversation.reminders and the Reminders API.

"Remind me to do my foot exercises" asks for the reminders permission when it is missing (by voice:
a Connections.SendRequest "AskFor" directive, answered by a Connections.Response), proposes the
routine's reminder times, and on a spoken yes creates ONE reminder with a daily rule per time, in the
device's time zone. "Cancel my reminders" deletes it. The API calls are in skill/reminders_api.py.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from ask_sdk_core.exceptions import ApiClientException, SerializationException
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import get_slot, is_request_type
from ask_sdk_model import Response
from ask_sdk_model.interfaces.connections import SendRequestDirective
from ask_sdk_model.services import ServiceException
from ask_sdk_model.ui import AskForPermissionsConsentCard

from skill.alexa.reminders_api import (
    NO_PERMISSION,
    delete_reminder,
    has_reminders_permission,
    listed_alert_tokens,
    remember_alert_token,
    reminder_locale,
    reminder_request,
    reminders_client,
    replace_previous,
    stored_alert_token,
)
from skill.alexa.request_parts import connections_response, session_attributes
from skill.alexa.turn import DialogueHandler
from skill.conversation.dialogue import Dialogue
from skill.conversation.reminders import (
    OFFER_KEY,
    PERMISSION_SCOPE,
    ClockTime,
    ConsentStatus,
    InvalidTimeError,
    consent_status,
    consent_token,
    decode_times,
    encode_times,
    heard_times,
    is_consent_token,
    times_from_token,
)
from skill.conversation.replies import Context, Reply
from skill.progress.local_time import UTC, local_now

log = logging.getLogger(__name__)

TIME_SLOTS = ("firstTime", "secondTime", "thirdTime")   # AMAZON.TIME slots of SetRemindersIntent
@dataclass(frozen=True)
class ReminderReply(Reply):
    """A Reply plus what only a reminder response carries."""

    offered: tuple[ClockTime, ...] = ()   # times proposed: kept in the session for the yes
    card: bool = False                    # add the permissions card for the Alexa app
    consent_token: str | None = None      # hand the session to Alexa to ask for the permission


def with_extras(reply: Reply, **extras: Any) -> ReminderReply:
    """The reply with reminder extras."""
    return ReminderReply(**{f.name: getattr(reply, f.name) for f in fields(Reply)}, **extras)


def add_extras(handler_input: HandlerInput, response: Response, reply: ReminderReply) -> Response:
    """Add a ReminderReply's extras to the rendered response."""
    if reply.offered and handler_input.request_envelope.session is not None:
        session_attributes(handler_input)[OFFER_KEY] = encode_times(reply.offered)
    if reply.card:
        response.card = AskForPermissionsConsentCard(permissions=[PERMISSION_SCOPE])
    if reply.consent_token is not None:
        # Alexa now asks the question and answers with a Connections.Response carrying the token.
        # The session is Alexa's meanwhile: no reprompt, and shouldEndSession left unset, as in
        # Amazon's example for this directive.
        response.should_end_session = None
        response.reprompt = None
        response.directives = [*(response.directives or []), SendRequestDirective(
            name="AskFor",
            payload={"@type": "AskForPermissionsConsentRequest", "@version": "2",
                     "permissionScopes": [{"permissionScope": PERMISSION_SCOPE, "consentLevel": "ACCOUNT"}]},
            token=reply.consent_token)]
    return response


class ReminderHandler(DialogueHandler):
    """Base for the reminder handlers: the reminder dialogue and the steps they share.

    Subclasses implement `respond`; the reply is rendered like any other, then `finish` adds the
    extras of a ReminderReply (offered times, card, permission request). The yes, no and repeat to
    the reminder offer are cells of the conversation table like any other answer; `perform` does
    the API work a yes asks for.
    """

    def finish(self, handler_input: HandlerInput, response: Response, reply: Reply) -> Response:
        return add_extras(handler_input, response, reply) if isinstance(reply, ReminderReply) else response

    def perform(self, dialogue: Dialogue, ctx: Context, handler_input: HandlerInput, reply: Reply) -> Reply:
        """Carry out what the conversation asked of the Reminders API (a yes, or a repeat, to the offer).

        The times offered are kept in the session, so the yes creates exactly those.
        """
        times = decode_times(session_attributes(handler_input).get(OFFER_KEY))
        if reply.effect == "create_reminders" and times is not None:
            if not has_reminders_permission(handler_input):
                return self.ask_permission(dialogue, ctx, times)
            return self.create(dialogue, ctx, handler_input, times)
        # What was offered is no longer known (or the user asked to hear it again): offer again.
        return self.offer(dialogue, ctx, handler_input, times or dialogue.reminders.default_times)

    def offer(self, dialogue: Dialogue, ctx: Context, handler_input: HandlerInput, times: Sequence[ClockTime], *,
              permitted: bool = False) -> Reply:
        """Propose the times (asking for the permission first unless it is known to be `permitted`).

        The times offered are kept in the session, so the yes creates exactly those.
        """
        if not (permitted or has_reminders_permission(handler_input)):
            return self.ask_permission(dialogue, ctx, times)
        return with_extras(dialogue.reminders.offer(ctx, times), offered=tuple(times))

    def ask_permission(self, dialogue: Dialogue, ctx: Context, times: Sequence[ClockTime]) -> Reply:
        """Ask Alexa to ask for the reminders permission; the token brings the times back."""
        return with_extras(dialogue.reminders.permission_needed(ctx), consent_token=consent_token(times))

    def create(self, dialogue: Dialogue, ctx: Context, handler_input: HandlerInput, times: Sequence[ClockTime]) -> Reply:
        """POST the reminder; say it is set only when the API said so.

        A missing permission (401/403) asks for it; any other failure is an apology that claims nothing.
        """
        client = reminders_client(handler_input)
        if client is None:
            log.warning("no apiEndpoint or apiAccessToken in the request; reminder not set")
            return dialogue.reminders.not_set(ctx)
        zone = ctx.state.timezone or UTC
        envelope = handler_input.request_envelope
        previous = stored_alert_token(self.store, envelope)
        request = reminder_request(times, zone, reminder_locale(handler_input), local_now(ctx.now, zone),
                                   dialogue.prompts.pick("reminder_text"))
        try:
            created = client.create_reminder(reminder_request=request)
        except ServiceException as err:
            if err.status_code in NO_PERMISSION:
                log.info("Reminders API refused (%s): asking for the permission", err.status_code)
                return self.ask_permission(dialogue, ctx, times)
            log.warning("Reminders API failed (%s): %s", err.status_code, err)
            return dialogue.reminders.not_set(ctx)
        except (ApiClientException, SerializationException) as err:
            log.warning("Reminders API answer unusable: %s", err)
            return dialogue.reminders.not_set(ctx)
        token = getattr(created, "alert_token", None)
        if isinstance(token, str) and token:
            remember_alert_token(self.store, envelope, token, times)
            if previous and previous != token:
                replace_previous(client, previous)
        return dialogue.reminders.created(ctx, times)


class SetRemindersIntentHandler(ReminderHandler):
    """"Remind me to do my foot exercises" (optionally "at 7 am, 1 pm and 7 pm"): propose the times."""

    intent_names = ("SetRemindersIntent",)

    def respond(self, dialogue: Dialogue, ctx: Context, handler_input: HandlerInput) -> Reply:
        values = [getattr(get_slot(handler_input, name), "value", None) for name in TIME_SLOTS]
        try:
            named = heard_times([v if isinstance(v, str) else None for v in values])
        except InvalidTimeError:
            return dialogue.reminders.times_unclear(ctx)
        return self.offer(dialogue, ctx, handler_input, named or dialogue.reminders.default_times)


class RemindersConnectionsResponseHandler(ReminderHandler):
    """Alexa's answer to our permission question: a Connections.Response to the AskFor directive."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        if not is_request_type("Connections.Response")(handler_input):
            return False
        request = handler_input.request_envelope.request
        return getattr(request, "name", None) == "AskFor" and is_consent_token(getattr(request, "token", None))

    def respond(self, dialogue: Dialogue, ctx: Context, handler_input: HandlerInput) -> Reply:
        request = connections_response(handler_input)
        code = getattr(getattr(request, "status", None), "code", None)
        status = consent_status(request.payload) if code in (None, "200") else ConsentStatus.UNKNOWN
        if status is ConsentStatus.ACCEPTED:
            times = times_from_token(request.token) or dialogue.reminders.default_times
            return self.offer(dialogue, ctx, handler_input, times, permitted=True)
        if status is ConsentStatus.DENIED:
            return with_extras(dialogue.reminders.permission_denied(ctx), card=True)
        log.info("reminders permission not answered (status %s, code %s)", status, code)
        return dialogue.reminders.permission_not_answered(ctx)


class CancelRemindersIntentHandler(ReminderHandler):
    """"Cancel my reminders": delete ours (the stored one, or every one the API lists for this skill)."""

    intent_names = ("CancelRemindersIntent",)

    def respond(self, dialogue: Dialogue, ctx: Context, handler_input: HandlerInput) -> Reply:
        client = reminders_client(handler_input)
        if client is None:
            log.warning("no apiEndpoint or apiAccessToken in the request; reminders not cancelled")
            return dialogue.reminders.cancel_failed(ctx)
        envelope = handler_input.request_envelope
        stored = stored_alert_token(self.store, envelope)
        try:
            deleted = stored is not None and delete_reminder(client, stored)
            if not deleted:
                # Unknown or stale token: the API lists only this skill's reminders, so all are ours.
                deleted = sum(delete_reminder(client, token) for token in listed_alert_tokens(client)) > 0
        except ServiceException as err:
            if err.status_code in NO_PERMISSION:
                return with_extras(dialogue.reminders.cancel_needs_permission(ctx), card=True)
            log.warning("Reminders API failed while cancelling (%s): %s", err.status_code, err)
            return dialogue.reminders.cancel_failed(ctx)
        except (ApiClientException, SerializationException) as err:
            log.warning("Reminders API answer unusable while cancelling: %s", err)
            return dialogue.reminders.cancel_failed(ctx)
        if stored is not None:
            remember_alert_token(self.store, envelope, None)
        return dialogue.reminders.cancelled(ctx, deleted)
