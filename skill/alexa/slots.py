"""Reading slots: the exercise a user named, by entity-resolution id or by the words heard."""

from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import get_slot
from ask_sdk_model.slu.entityresolution import StatusCode

from skill.content.catalog import Catalog, Exercise


def slot_exercise(handler_input: HandlerInput, catalog: Catalog,
                  slot_name: str = "exercise") -> tuple[Exercise | None, str | None]:
    """Resolve the exercise slot: the entity-resolution id first, then the words heard; (None, heard) if unknown."""
    slot = get_slot(handler_input, slot_name)
    if slot is None or not slot.value:
        return None, None
    for authority in (slot.resolutions.resolutions_per_authority or []) if slot.resolutions else []:
        if authority.status and authority.status.code == StatusCode.ER_SUCCESS_MATCH and authority.values:
            resolved = authority.values[0].value
            try:
                return catalog.get((resolved.id if resolved else None) or ""), slot.value
            except KeyError:
                break
    return catalog.find(slot.value), slot.value
