"""History a session could not save, retried in the background until storage takes it.

A turn whose save fails carries its events in the session attributes, and the next turn saves them.
A session that ends during an outage has no next turn, so its events are also kept here, per user,
and a background thread retries them until a save succeeds. Both paths may deliver the same event:
each has an id the stored document remembers (progress/events.py), so it is added exactly once.

Only counters are retried here, never the place or the pace: a retry that lands after the user's
next session must not overwrite what that session saved ("last change wins" needs the real order).
Kept in memory, per process: a restart loses what is still waiting (the log says how much).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from ask_sdk_core.exceptions import PersistenceException
from ask_sdk_model import RequestEnvelope
from ask_sdk_model.context import Context as EnvelopeContext
from ask_sdk_model.interfaces.system.system_state import SystemState
from ask_sdk_model.person import Person
from ask_sdk_model.user import User

from skill.persistence.keys import user_key
from skill.persistence.protocol import ProgressStore
from skill.progress.events import MAX_UNSAVED_EVENTS, ProgressEvent
from skill.progress.state import UserProgress

log = logging.getLogger(__name__)

MAX_USERS = 10_000            # users with history waiting; the oldest is dropped (and counted) beyond
FIRST_RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 5.0
# An outage longer than this loses what waited (the log says so). Far less than a person needs to
# finish MAX_APPLIED_IDS exercises, so a late retry can never be mistaken for new history.
GIVE_UP_SECONDS = 900.0


class SaveLater:
    """Per user, the events whose save failed; one daemon thread retries them with backoff."""

    def __init__(self, store: ProgressStore, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self._clock = clock
        self._lock = threading.Lock()
        self._waiting: dict[str, tuple[RequestEnvelope, tuple[ProgressEvent, ...], float]] = {}
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.dropped = 0

    def add(self, envelope: RequestEnvelope, events: tuple[ProgressEvent, ...]) -> None:
        """Keep events to retry for the envelope's user (merged with any already waiting)."""
        if not events:
            return
        try:
            key = user_key(envelope)
        except PersistenceException:
            return
        with self._lock:
            _, waiting, since = self._waiting.pop(key, (None, (), self._clock()))
            known = {event.id for event in waiting}
            merged = waiting + tuple(event for event in events if event.id not in known)
            self._waiting[key] = (_key_only(envelope), merged[-MAX_UNSAVED_EVENTS:], since)
            if len(self._waiting) > MAX_USERS:
                del self._waiting[next(iter(self._waiting))]
                self.dropped += 1
            if self._thread is None or not self._thread.is_alive():
                # Started on first use, in the process that serves (never before a server forks).
                self._thread = threading.Thread(target=self._retry_forever, name="footcoach-save-later", daemon=True)
                self._thread.start()
        self._wake.set()

    def storage_works(self) -> None:
        """A save just succeeded: retry what is waiting now instead of at the next backoff."""
        if self._waiting:
            self._wake.set()

    def waiting(self) -> int:
        """How many users have history waiting."""
        return len(self._waiting)

    def _retry_forever(self) -> None:
        delay = FIRST_RETRY_SECONDS
        while True:
            self._wake.wait(delay)
            self._wake.clear()
            if getattr(self.store, "closed", False):   # the app is shutting down (or a test is done with it)
                with self._lock:
                    self.dropped += len(self._waiting)
                    self._waiting.clear()
                    self._thread = None
                return
            if self.retry_once():
                delay = FIRST_RETRY_SECONDS
            else:
                delay = min(delay * 2, MAX_RETRY_SECONDS)

    def retry_once(self) -> bool:
        """Try the waiting users once, oldest first; stop at the first failure (storage is still down)."""
        with self._lock:
            items = list(self._waiting.items())
        for key, (envelope, events, since) in items:
            try:
                self.store.update_attributes(envelope, functools.partial(_add_counts, events=events))
            except PersistenceException:
                if self._clock() - since > GIVE_UP_SECONDS:
                    self._forget(key, events, dropped=True)
                    log.warning("gave up saving %d event(s) of one user after %.0f s", len(events), GIVE_UP_SECONDS)
                return False
            self._forget(key, events)
        return True

    def _forget(self, key: str, events: tuple[ProgressEvent, ...], *, dropped: bool = False) -> None:
        with self._lock:
            current = self._waiting.get(key)
            if current is not None and current[1] == events:   # not if more arrived meanwhile
                del self._waiting[key]
                self.dropped += dropped


def _add_counts(stored: dict[str, Any], events: tuple[ProgressEvent, ...]) -> dict[str, Any]:
    """The stored document with the events added (those it has not applied yet); nothing else changed."""
    nothing = UserProgress()
    return nothing.merge_into(dict(stored), nothing, events)


def _key_only(envelope: RequestEnvelope) -> RequestEnvelope:
    """A minimal envelope that keys to the same row (the whole request is not kept)."""
    system = envelope.context.system if envelope.context else None
    person = system.person if system else None
    user = system.user if system else None
    return RequestEnvelope(context=EnvelopeContext(system=SystemState(
        person=Person(person_id=person.person_id) if person and person.person_id else None,
        user=User(user_id=user.user_id) if user and user.user_id else None)))
