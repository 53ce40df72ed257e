"""Reading slots: the exercise a user named, by entity-resolution id or by the words heard."""

from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import get_slot
from ask_sdk_model import Slot
from ask_sdk_model.slu.entityresolution import StatusCode

from skill.content.catalog import Catalog, Exercise

# What a user says to name an exercise is a few words; anything longer is cut before it is spoken back.
MAX_HEARD_CHARS = 60


def slot_exercise(handler_input: HandlerInput, catalog: Catalog,
                  slot_name: str = "exercise") -> tuple[Exercise | None, str | None]:
    """Resolve the exercise slot: the entity-resolution id first, then the words heard; (None, heard) if unknown.

    The words heard come back cut to MAX_HEARD_CHARS (at a word boundary), since they may be spoken.
    """
    slot = get_slot(handler_input, slot_name)
    if slot is None or not slot.value or not isinstance(slot.value, str):
        return None, None
    return _resolve(slot, slot.value, catalog), cut_short(slot.value)


def cut_short(text: str, limit: int = MAX_HEARD_CHARS) -> str:
    """The text, or its first words up to `limit` characters followed by "..."."""
    text = " ".join(text[:limit * 4].split())
    if len(text) <= limit:
        return text
    head = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return head + "..."


def _resolve(slot: Slot, heard: str, catalog: Catalog) -> Exercise | None:
    for authority in (slot.resolutions.resolutions_per_authority or []) if slot.resolutions else []:
        if authority.status and authority.status.code == StatusCode.ER_SUCCESS_MATCH and authority.values:
            resolved = authority.values[0].value
            try:
                return catalog.get(resolved.id if resolved and resolved.id else "")
            except KeyError:
                break
    return catalog.find(heard)
