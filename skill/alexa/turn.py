"""The one place where an Alexa request becomes a `Context` and a `Reply` becomes a response."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import replace
from datetime import date, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.exceptions import PersistenceException
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import get_slot
from ask_sdk_model import Response
from ask_sdk_model.interfaces.alexa.presentation.apl import (
    ExecuteCommandsDirective,
    RenderDocumentDirective,
)
from ask_sdk_model.slu.entityresolution import StatusCode

from skill.alexa.apis import device_timezone
from skill.alexa.apl import TOKEN as SCREEN_TOKEN
from skill.alexa.apl import counter_commands, render_document
from skill.content.catalog import BASE_LOCALE, Catalog, Exercise
from skill.conversation.dialogue import Context, Dialogue, Reply
from skill.progress.state import ProgressEvent, SessionState, UserProgress
from skill.speech.ssml import Speech
from skill.workout.routine import Phase, Workout

log = logging.getLogger(__name__)


# The locale of the request being handled. A context variable, so concurrent requests in threads
# each see their own; subclasses simply use `self.dialogue`.
_request_locale: ContextVar[str] = ContextVar("request_locale", default=BASE_LOCALE)


class DialogueHandler(AbstractRequestHandler):
    """Base for handlers: match `intent_names`, build the Context, call `respond`, render, save."""

    intent_names: tuple[str, ...] = ()

    def __init__(self, dialogues: Mapping[str, Dialogue], store: AbstractPersistenceAdapter) -> None:
        self.dialogues = dialogues
        self.store = store

    @property
    def dialogue(self) -> Dialogue:
        """The dialogue in the request's language (en-US for locales we do not have)."""
        return self.dialogues.get(_request_locale.get()) or self.dialogues[BASE_LOCALE]

    def can_handle(self, handler_input: HandlerInput) -> bool:
        # What is_intent_name checks, once for all names: every request asks each handler in turn.
        request = handler_input.request_envelope.request
        return getattr(request, "object_type", None) == "IntentRequest" and request.intent.name in self.intent_names

    def respond(self, ctx: Context, handler_input: HandlerInput) -> Reply:
        """Decide the reply; subclasses call one Dialogue method."""
        raise NotImplementedError

    def finish(self, handler_input: HandlerInput, response: Response, reply: Reply) -> Response:
        """Add what only some replies carry (directives, cards) to the rendered response."""
        return response

    def handle(self, handler_input: HandlerInput) -> Response:
        token = _request_locale.set(getattr(handler_input.request_envelope.request, "locale", None) or BASE_LOCALE)
        try:
            stored = read_progress(self.store, handler_input)
            ctx = load_context(handler_input, stored or {}, self.dialogue.catalog)
            reply = self.respond(ctx, handler_input)
            return self.finish(handler_input, render(handler_input, self.store, ctx, reply, stored), reply)
        finally:
            _request_locale.reset(token)


def read_progress(store: AbstractPersistenceAdapter, handler_input: HandlerInput) -> dict[str, Any] | None:
    """The user's stored attributes ({} for a new user), or None when storage could not be read."""
    try:
        return store.get_attributes(request_envelope=handler_input.request_envelope)
    except PersistenceException:
        log.warning("progress could not be loaded; continuing from the session", exc_info=True)
        return None


def load_context(handler_input: HandlerInput, stored: Mapping[str, Any], catalog: Catalog) -> Context:
    """Build the Context from session state (validated) and stored progress ({} when there is none)."""
    envelope = handler_input.request_envelope
    loaded = progress = UserProgress.from_dict(stored, catalog)
    session = envelope.session
    # A new session starts from stored progress only: attributes sent with it are not ours.
    state = (SessionState.from_dict(handler_input.attributes_manager.session_attributes, catalog)
             if session is not None and not session.new else None)
    if state is None:
        # A new session (or attributes that did not validate): the stored progress decides.
        workout = (Workout(Phase.OFFERED_RESUME, progress.mode, progress.place) if progress.place
                   else Workout.idle())
        today_utc = datetime.fromtimestamp(request_time(envelope.request.timestamp), timezone.utc).date().isoformat()
        zone = progress.timezone
        # Ask Alexa at most once a day, also when the answer was "unknown": a device without a
        # time zone (or an API that is down) must not cost every session a failed call.
        if progress.timezone_checked != today_utc:
            zone = device_timezone(handler_input) or zone
            progress = replace(progress, timezone=zone, timezone_checked=today_utc)
        state = SessionState(workout=workout, pace=progress.pace, heard_safety=progress.heard_safety, timezone=zone)
    else:
        # Within a session, the session is the truth: a save that failed earlier is repeated.
        place = state.workout.position if state.workout.in_workout() else progress.place
        progress = replace(progress, place=place, pace=state.pace, mode=state.workout.mode,
                           heard_safety=progress.heard_safety or state.heard_safety)
    now = request_time(envelope.request.timestamp)
    return Context(state, progress, now, local_day(now, state.timezone), loaded)


def render(handler_input: HandlerInput, store: AbstractPersistenceAdapter, ctx: Context, reply: Reply,
           stored: Mapping[str, Any] | None = None) -> Response:
    """Turn a Reply into the SDK response, keep the session state, and save changed progress.

    ``stored`` is what read_progress returned for this request (None: nothing was read).
    """
    state = replace(reply.state, heard_safety=reply.progress.heard_safety, timezone=ctx.state.timezone)
    if handler_input.request_envelope.session is not None:  # no session, nothing to carry (the SDK refuses)
        handler_input.attributes_manager.session_attributes = {} if reply.forget else state.to_dict()
    speech = reply.speech
    if reply.forget:
        forget_progress(store, handler_input)
    elif reply.progress != ctx.loaded or reply.event:
        saved = save_progress(store, handler_input, reply.progress, ctx.loaded or UserProgress(), reply.event,
                              read=stored)
        if not saved and reply.if_unsaved is not None:
            speech = reply.if_unsaved
    builder = handler_input.response_builder.speak(speech.to_ssml())
    if reply.screen is not None and supports_apl(handler_input):
        document = render_document(reply.screen)
        builder.add_directive(RenderDocumentDirective(token=document["token"], document=document["document"],
                                                      datasources=document["datasources"]))
        if reply.screen.cues:  # a set-up turn has nothing to count
            # The commands stay plain dicts: the SDK's serializer passes dicts through as they are.
            builder.add_directive(ExecuteCommandsDirective(commands=counter_commands(reply.screen.cues),
                                                           token=SCREEN_TOKEN))
    if reply.reprompt:
        builder.ask(Speech(reply.speech.rate_percent).say(reply.reprompt).to_ssml())
    return builder.set_should_end_session(reply.ends_session).response


def save_progress(store: AbstractPersistenceAdapter, handler_input: HandlerInput, progress: UserProgress,
                  loaded: UserProgress, event: ProgressEvent | None = None,
                  read: Mapping[str, Any] | None = None) -> bool:
    """Write progress atomically, merged over what is stored; True when it was saved.

    ``read``: the stored attributes `loaded` was parsed from, if any; the store then tries a single
    compare-and-set write over them first (see SqlStore.update_attributes).

    A storage fault is logged, not spoken.

    The session attributes still carry the place, so the next turn saves it again once storage
    is back.
    """
    try:
        store.update_attributes(handler_input.request_envelope,
                                lambda stored: progress.merge_into(stored, loaded, event), read=read)
    except PersistenceException:
        log.warning("progress could not be saved; will retry on the next turn", exc_info=True)
        return False
    return True


def forget_progress(store: AbstractPersistenceAdapter, handler_input: HandlerInput) -> None:
    """Delete everything stored for this user ("forget me"); a failure propagates, never a false "done".

    Raises:
        PersistenceException: the delete did not happen (the error handler says so).
    """
    store.delete_attributes(request_envelope=handler_input.request_envelope)


def request_time(timestamp: Any) -> float:
    """The request timestamp as epoch seconds (the SDK gives a datetime; tolerate a missing one)."""
    if isinstance(timestamp, datetime):
        moment = timestamp if timestamp.tzinfo else timestamp.replace(tzinfo=timezone.utc)
        return moment.timestamp()
    return datetime.now(timezone.utc).timestamp()


def supports_apl(handler_input: HandlerInput) -> bool:
    """True when the device shows APL (an Echo Show); requests without a device say no."""
    context = handler_input.request_envelope.context
    device = context.system.device if context and context.system else None
    interfaces = device.supported_interfaces if device else None
    return interfaces is not None and interfaces.alexa_presentation_apl is not None


def local_day(epoch_seconds: float, zone: str | None) -> date:
    """The user's local date at this moment (UTC when the time zone is unknown)."""
    return datetime.fromtimestamp(epoch_seconds, ZoneInfo(zone) if zone else timezone.utc).date()


def slot_exercise(handler_input: HandlerInput, catalog: Catalog, slot_name: str = "exercise") -> tuple[Exercise | None, str | None]:
    """Resolve the exercise slot: the entity-resolution id first, then the words heard; (None, heard) if unknown."""
    slot = get_slot(handler_input, slot_name)
    if slot is None or not slot.value:
        return None, None
    for authority in (slot.resolutions.resolutions_per_authority or []) if slot.resolutions else []:
        if authority.status and authority.status.code == StatusCode.ER_SUCCESS_MATCH and authority.values:
            resolved = authority.values[0].value
            try:
                return catalog.get(resolved.id if resolved else ""), slot.value
            except KeyError:
                break
    return catalog.find(slot.value), slot.value

