"""One turn, in named steps: read progress → build the Context → answer → save → the response.

Everything here knows the ASK SDK's HandlerInput; what to answer is decided by the plain-Python
conversation (skill/conversation). Handlers subclass DialogueHandler and implement only `respond`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any, cast

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.exceptions import PersistenceException
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import IntentRequest, Response
from ask_sdk_model.interfaces.alexa.presentation.apl import (
    Command,
    ExecuteCommandsDirective,
    RenderDocumentDirective,
)

from skill.alexa.apis import device_timezone
from skill.alexa.apl import TOKEN as SCREEN_TOKEN
from skill.alexa.apl import counter_commands, render_document, supports_apl
from skill.alexa.request_parts import MissingIntentError
from skill.alexa.save_later import SaveLater
from skill.content.catalog import BASE_LOCALE, Catalog
from skill.conversation.dialogue import Dialogue
from skill.conversation.replies import Context, Reply
from skill.persistence.protocol import ProgressStore
from skill.progress.events import MAX_UNSAVED_EVENTS, ProgressEvent, turn_event_ids
from skill.progress.local_time import local_day, utc_day
from skill.progress.state import Question, SessionState, UserProgress
from skill.speech.ssml import Speech
from skill.workout.routine import Workout

# Request times outside these are not Alexa's (it launched in 2014): the server's clock is used instead.
EARLIEST_REQUEST = datetime(2014, 1, 1, tzinfo=timezone.utc).timestamp()
LATEST_REQUEST = datetime(2199, 12, 31, tzinfo=timezone.utc).timestamp()


class DialogueHandler(AbstractRequestHandler):
    """Base for handlers: match `intent_names`, then run the turn's steps around `respond`."""

    intent_names: tuple[str, ...] = ()

    def __init__(self, dialogues: Mapping[str, Dialogue], store: ProgressStore,
                 save_later: SaveLater | None = None) -> None:
        self.dialogues = dialogues
        self.store = store
        self.save_later = save_later

    def dialogue_for(self, handler_input: HandlerInput) -> Dialogue:
        """The dialogue in the request's language (en-US for locales we do not have)."""
        locale = getattr(handler_input.request_envelope.request, "locale", None) or BASE_LOCALE
        return self.dialogues.get(locale) or self.dialogues[BASE_LOCALE]

    def can_handle(self, handler_input: HandlerInput) -> bool:
        # What is_intent_name checks, once for all names: every request asks each handler in turn.
        request = handler_input.request_envelope.request
        if not isinstance(request, IntentRequest):
            return False
        if request.intent is None:
            raise MissingIntentError("IntentRequest without an intent")
        return request.intent.name in self.intent_names

    def respond(self, dialogue: Dialogue, ctx: Context, handler_input: HandlerInput) -> Reply:
        """Decide the reply; subclasses call one Dialogue method."""
        raise NotImplementedError

    def finish(self, handler_input: HandlerInput, response: Response, reply: Reply) -> Response:
        """Add what only some replies carry (directives, cards) to the rendered response."""
        return response

    def handle(self, handler_input: HandlerInput) -> Response:
        dialogue = self.dialogue_for(handler_input)
        stored = read_progress(self.store, handler_input)
        ctx = build_context(handler_input, stored or {}, dialogue.catalog)
        if stored is None:
            ctx = replace(ctx, progress_read=False)
        reply = self.respond(dialogue, ctx, handler_input)
        speech = save_outcome(handler_input, self.store, ctx, reply, stored, self.save_later)
        return self.finish(handler_input, build_response(handler_input, ctx, reply, speech), reply)


# -- step 1: read ---------------------------------------------------------------------------------
def read_progress(store: ProgressStore, handler_input: HandlerInput) -> dict[str, Any] | None:
    """The user's stored attributes ({} for a new user), or None when storage could not be read."""
    try:
        return store.get_attributes(request_envelope=handler_input.request_envelope)
    except PersistenceException:
        # The store logs the fault (once per outage, then a count); the session carries on.
        return None


# -- step 2: the Context ----------------------------------------------------------------------------
def build_context(handler_input: HandlerInput, stored: Mapping[str, Any], catalog: Catalog) -> Context:
    """The Context from session state (validated) and stored progress ({} when there is none).

    A new session starts from stored progress alone, and looks up the device's time zone at most
    once a day (a Settings API call; see refresh_timezone).
    """
    envelope = handler_input.request_envelope
    now = request_time(getattr(envelope.request, "timestamp", None))
    loaded = progress = UserProgress.from_dict(stored, catalog)
    session = envelope.session
    # A new session starts from stored progress only: attributes sent with it are not ours.
    state = (SessionState.from_dict(handler_input.attributes_manager.session_attributes, catalog)
             if session is not None and not session.new else None)
    if state is None:
        # A new session (or attributes that did not validate): the stored progress decides.
        workout = Workout(progress.mode, progress.place)
        progress = refresh_timezone(handler_input, progress, now)
        state = SessionState(workout=workout, pace=progress.pace, sounds=progress.sounds, heard_safety=progress.heard_safety,
                             timezone=progress.timezone, choices=progress.choices,
                             question=Question.RESUME_LAST_TIME if progress.place else Question.NONE)
    else:
        # Within a session, the session is the truth: a save that failed earlier is repeated, and
        # the history it could not save is counted (once: events stored since are dropped here).
        place = state.workout.position if state.workout.in_workout() else progress.place
        progress, unsaved = progress.with_unsaved(state.unsaved)
        progress = replace(progress, place=place, pace=state.pace, sounds=state.sounds, mode=state.workout.mode,
                           choices=state.choices,
                           heard_safety=progress.heard_safety or state.heard_safety)
        state = replace(state, unsaved=unsaved)
    return Context(state, progress, now, local_day(now, state.timezone), loaded)


def refresh_timezone(handler_input: HandlerInput, progress: UserProgress, now: float) -> UserProgress:
    """Ask Alexa's Settings API for the device's time zone, at most once a (UTC) day.

    Also when the last answer was "unknown": a device without a time zone (or an API that is down)
    must not cost every session a failed call.
    """
    today_utc = utc_day(now)
    if progress.timezone_checked == today_utc:
        return progress
    zone = device_timezone(handler_input) or progress.timezone
    return replace(progress, timezone=zone, timezone_checked=today_utc)


# -- step 3 is the handler's respond() ----------------------------------------------------------------

# -- step 4: save ---------------------------------------------------------------------------------------
def save_outcome(handler_input: HandlerInput, store: ProgressStore, ctx: Context, reply: Reply,
                 stored: Mapping[str, Any] | None, save_later: SaveLater | None = None) -> Speech:
    """Carry the session state, save or delete progress as the reply says; return what to say.

    ``stored`` is what read_progress returned for this request (None: nothing was read). When a save
    fails, a reply that would claim it (``if_unsaved``) is said differently, and the history it
    held (this turn's events and any carried from earlier turns) travels on in the session, and
    to ``save_later``, which retries it even if the session ends before storage is back.
    """
    state = replace(reply.state, heard_safety=reply.progress.heard_safety, timezone=ctx.state.timezone)
    speech = reply.speech
    if reply.forget:
        state = replace(state, unsaved=())
        if handler_input.request_envelope.session is not None:
            handler_input.attributes_manager.session_attributes = {}
        forget_progress(store, handler_input)
        return speech
    request_id = getattr(handler_input.request_envelope.request, "request_id", None)
    # Named after the request, so a replay of it names them alike; without a request id, no replay can match.
    events = ctx.state.unsaved + turn_event_ids(reply.events, request_id if isinstance(request_id, str) and request_id
                                                else uuid.uuid4().hex)
    if reply.progress != ctx.loaded or events:
        saved = save_progress(store, handler_input, reply.progress, ctx.loaded or UserProgress(), events,
                              read=stored)
        state = replace(state, unsaved=() if saved else events[-MAX_UNSAVED_EVENTS:])
        if save_later is not None:
            if saved:
                save_later.storage_works()
            else:
                save_later.add(handler_input.request_envelope, events)
        if not saved and reply.if_unsaved is not None:
            speech = reply.if_unsaved
    if handler_input.request_envelope.session is not None:  # no session, nothing to carry (the SDK refuses)
        handler_input.attributes_manager.session_attributes = state.to_dict()
    return speech


def save_progress(store: ProgressStore, handler_input: HandlerInput, progress: UserProgress,
                  loaded: UserProgress, events: tuple[ProgressEvent, ...] = (),
                  read: Mapping[str, Any] | None = None) -> bool:
    """Write progress atomically, merged over what is stored; True when it was saved.

    ``read``: the stored attributes `loaded` was parsed from, if any; the store then tries a single
    compare-and-set write over them first (see ProgressStore.update_attributes).

    A storage fault is not spoken, and the store logs it (once per outage, then a count). The
    session attributes carry the place and the unsaved events, so the next turn saves them again
    once storage is back.
    """
    try:
        store.update_attributes(handler_input.request_envelope,
                                lambda stored: progress.merge_into(stored, loaded, events), read=read)
    except PersistenceException:
        return False
    return True


def forget_progress(store: ProgressStore, handler_input: HandlerInput) -> None:
    """Delete everything stored for this user ("forget me"); a failure propagates, never a false "done".

    Raises:
        PersistenceException: the delete did not happen (the error handler says so).
    """
    store.delete_attributes(request_envelope=handler_input.request_envelope)


# -- step 5: the response ---------------------------------------------------------------------------------
def build_response(handler_input: HandlerInput, ctx: Context, reply: Reply, speech: Speech) -> Response:
    """The SDK response: speech, the Echo Show's counter where there is a screen, reprompt, end of session."""
    builder = handler_input.response_builder
    if reply.silent:
        return builder.response
    builder.speak(speech.to_ssml())
    if reply.screen is not None and supports_apl(handler_input):
        document = render_document(reply.screen)
        builder.add_directive(RenderDocumentDirective(token=document["token"], document=document["document"],
                                                      datasources=document["datasources"]))
        if reply.screen.cues:  # a set-up turn has nothing to count
            # The commands stay plain dicts: the SDK's serializer passes dicts through as they are.
            commands = cast("list[Command]", counter_commands(reply.screen.cues))
            builder.add_directive(ExecuteCommandsDirective(commands=commands, token=SCREEN_TOKEN))
    if reply.reprompt:
        builder.ask(Speech(reply.speech.rate_percent).say(reply.reprompt).to_ssml())
    return builder.set_should_end_session(reply.ends_session).response


def request_time(timestamp: Any) -> float:
    """The request timestamp as epoch seconds; the server's clock when it is missing or not sane.

    The SDK gives a datetime. Verification refuses one far from now, but with verification off a
    request may say 0001-01-01, which no date arithmetic downstream should have to survive.
    """
    now = datetime.now(timezone.utc).timestamp()
    if isinstance(timestamp, datetime):
        try:
            moment = timestamp if timestamp.tzinfo else timestamp.replace(tzinfo=timezone.utc)
            seconds = moment.timestamp()
        except (OverflowError, ValueError, OSError):
            return now
        return seconds if EARLIEST_REQUEST <= seconds <= LATEST_REQUEST else now
    return now
