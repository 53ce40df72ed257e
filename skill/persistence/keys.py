"""Key functions: which row of the store a request reads and writes (the SDK's partition keygen idea)."""

from __future__ import annotations

from collections.abc import Callable

from ask_sdk_core.exceptions import PersistenceException
from ask_sdk_model import RequestEnvelope

KeyFunction = Callable[[RequestEnvelope], str]


def user_key(request_envelope: RequestEnvelope) -> str:
    """Return the recognised person's id if present, else the account's user id.

    A personId appears only for a recognised voice profile, so two people in one household
    keep separate progress; everyone else shares the account's userId.

    Raises:
        PersistenceException: if the envelope carries neither id.
    """
    system = getattr(getattr(request_envelope, "context", None), "system", None)
    person_id = getattr(getattr(system, "person", None), "person_id", None)
    if person_id:
        return str(person_id)
    user_id = getattr(getattr(system, "user", None), "user_id", None)
    if user_id:
        return str(user_id)
    raise PersistenceException(
        "Couldn't retrieve a person id or user id from context.System in the request envelope"
    )
