"""What a turn adds to the stored history, and how it is added exactly once.

Plain Python. A turn that finishes an exercise (or takes one back) produces ProgressEvents. The Alexa
layer gives each event an id made from the request id (`turn_event_ids`), so the same request
replayed or retried produces the same ids. The stored document keeps the ids it has applied
recently (`Applied`), and an event whose id is among them is skipped: nothing counts twice, even
when a save is retried after a write whose outcome was unknown (a connection lost at commit).

An event that could not be saved travels in the session attributes (SessionState.unsaved) until a
later turn's save succeeds, so an outage loses no counts.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from skill.progress.history import TrainingLog

# Days an event may name: Alexa launched in 2014; anything outside was not made by this skill.
FIRST_DAY, LAST_DAY = date(2014, 1, 1), date(2199, 12, 31)
MAX_APPLIED_IDS = 100          # ids kept in the stored document: days of training, about 1.6 KB
MAX_UNSAVED_EVENTS = 64        # events carried in a session; far more than one session can finish
_ID = re.compile(r"[0-9a-f]{1,12}\.[0-9]{1,3}~?")


@dataclass(frozen=True)
class ProgressEvent:
    """Something to add to the stored history (applied to the freshest copy, so nothing is lost)."""

    day: date                  # the user's local day
    new_session: bool          # first finished exercise of this Alexa session
    routine_finished: bool = False
    undo: bool = False         # take back an exercise recorded as finished whose end was cut short
    id: str = ""               # unique per turn and event (turn_event_ids); "" until the Alexa layer names it

    def taken_back(self) -> ProgressEvent:
        """The event that undoes this one (its id, if any, marked so it differs from the original's)."""
        return replace(self, undo=True, id=f"{self.id}~" if self.id and not self.undo else "")

    def apply(self, log: TrainingLog) -> TrainingLog:
        """This event applied to a training log."""
        if self.undo:
            return log.unrecord_exercise(self.day, new_session=self.new_session)
        return log.record_exercise(self.day, new_session=self.new_session)

    def routines_delta(self) -> int:
        """What this event adds to the count of whole routines finished."""
        return (-1 if self.undo else 1) if self.routine_finished else 0

    def to_dict(self) -> dict[str, Any]:
        """Serialise for session attributes."""
        data: dict[str, Any] = {"day": self.day.isoformat(), "new_session": self.new_session,
                                "routine_finished": self.routine_finished}
        if self.undo:
            data["undo"] = True
        if self.id:
            data["id"] = self.id
        return data

    @classmethod
    def from_dict(cls, data: Any) -> ProgressEvent | None:
        """Parse one; None when absent or malformed (a day out of range, an id we could not have made)."""
        if not isinstance(data, dict):
            return None
        try:
            day = date.fromisoformat(str(data["day"])[:10])
        except (KeyError, ValueError):
            return None
        event_id = data.get("id", "")
        if not FIRST_DAY <= day <= LAST_DAY or not isinstance(event_id, str) or (event_id and not _ID.fullmatch(event_id)):
            return None
        return cls(day, data.get("new_session") is True, data.get("routine_finished") is True,
                   data.get("undo") is True, event_id)


def turn_event_ids(events: tuple[ProgressEvent, ...], request_id: str) -> tuple[ProgressEvent, ...]:
    """Name the events a turn produced after its request, so a replay of that request names them alike.

    Events already named (carried from an earlier turn) keep their ids.
    """
    turn = hashlib.blake2b(request_id.encode("utf-8", "surrogatepass"), digest_size=6).hexdigest()
    return tuple(event if event.id else replace(event, id=f"{turn}.{index}")
                 for index, event in enumerate(events))


def unsaved_from(data: Any) -> tuple[ProgressEvent, ...]:
    """The events a session carries because their save failed; malformed entries dropped, the newest kept."""
    if not isinstance(data, list):
        return ()
    parsed = (ProgressEvent.from_dict(item) for item in data[-MAX_UNSAVED_EVENTS:])
    return tuple(event for event in parsed if event is not None and event.id)


class Applied:
    """The ids of events a stored document has applied, newest last, at most MAX_APPLIED_IDS."""

    def __init__(self, stored: Any) -> None:
        ids = [item for item in stored if isinstance(item, str)] if isinstance(stored, list) else []
        self.ids = ids[-MAX_APPLIED_IDS:]
        self._seen = set(self.ids)

    def __contains__(self, event: ProgressEvent) -> bool:
        return bool(event.id) and event.id in self._seen

    def add(self, event: ProgressEvent) -> None:
        """Remember that this event has been applied."""
        if event.id and event.id not in self._seen:
            self.ids.append(event.id)
            self._seen.add(event.id)

    def to_list(self) -> list[str]:
        """The ids to store (the newest MAX_APPLIED_IDS)."""
        return self.ids[-MAX_APPLIED_IDS:]


def apply_events(log: TrainingLog, routines: int, applied: Applied,
                 events: tuple[ProgressEvent, ...]) -> tuple[TrainingLog, int]:
    """Add the events not applied yet to a log and a routine count; record their ids in `applied`."""
    for event in events:
        if event in applied:
            continue
        log = event.apply(log)
        routines = max(0, routines + event.routines_delta())
        applied.add(event)
    return log, routines
