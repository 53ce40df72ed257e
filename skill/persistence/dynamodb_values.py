"""A user's document as DynamoDB attribute values and back, exactly, or PersistenceException.

DynamoDB has one number type, sent and returned as text (which boto3's resource layer would hand
back as ``Decimal``): integers go as their digits and come back as ``int``; floats go as their shortest repr (``0.1`` as ``"0.1"``,
never as the binary expansion) and come back as the same ``float``. DynamoDB trims trailing zeros,
so a whole float (``2.0``) comes back as the ``int`` 2, equal to it. What DynamoDB cannot hold
exactly (NaN, infinities, more than 38 significant digits, magnitudes outside 1e-130..1e126) is
refused before anything is sent, as are values that are not JSON (objects, bytes, sets).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ask_sdk_core.exceptions import PersistenceException

MAX_DIGITS = 38                          # DynamoDB's number precision
MIN_EXPONENT, MAX_EXPONENT = -130, 125   # adjusted exponents DynamoDB accepts
_INTEGER = re.compile(r"-?\d+")


def encode_document(document: Mapping[str, Any]) -> dict[str, Any]:
    """The document's fields as a DynamoDB map's members (``{"name": {"S": ...}, ...}``).

    Raises:
        PersistenceException: a value is not JSON, or is a number DynamoDB cannot hold exactly.
    """
    return {_key(name): encode(value) for name, value in document.items()}


def encode(value: Any) -> dict[str, Any]:
    """One JSON value as a DynamoDB attribute value (raises PersistenceException, see encode_document)."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):          # before int: bool is a subclass of int
        return {"BOOL": value}
    if isinstance(value, str):
        try:
            value.encode("utf-8")        # a lone surrogate is no character: DynamoDB would refuse it
        except UnicodeEncodeError as err:
            raise PersistenceException(f"a string cannot be stored: {err}") from err
        return {"S": value}
    if isinstance(value, int):
        return {"N": _number(Decimal(value), value)}
    if isinstance(value, float):
        if not math.isfinite(value):
            raise PersistenceException(f"{value!r} cannot be stored (not a JSON number)")
        return {"N": _number(Decimal(repr(value)), value)}
    if isinstance(value, (list, tuple)):
        return {"L": [encode(item) for item in value]}
    if isinstance(value, Mapping):
        return {"M": {_key(name): encode(item) for name, item in value.items()}}
    raise PersistenceException(f"attributes are not JSON-serialisable: {type(value).__name__} {value!r}")


def decode_document(members: Mapping[str, Any]) -> dict[str, Any]:
    """A DynamoDB map's members as the plain document (``int``, ``float``, ``str``, lists, dicts)."""
    return {name: decode(value) for name, value in members.items()}


def decode(value: Mapping[str, Any]) -> Any:
    """One DynamoDB attribute value (the low-level client's ``{"N": "2.5"}`` form) as a plain value.

    Raises:
        PersistenceException: a binary value, which no JSON document has (someone else wrote it).
    """
    (kind, data), = value.items()
    if kind == "S":
        return data
    if kind == "N":
        return _from_number(data)
    if kind == "BOOL":
        return bool(data)
    if kind == "NULL":
        return None
    if kind == "L":
        return [decode(item) for item in data]
    if kind == "M":
        return decode_document(data)
    if kind == "SS":                     # sets are no JSON; read as sorted lists (never written by us)
        return sorted(data)
    if kind == "NS":
        return sorted((_from_number(n) for n in data), key=Decimal)
    raise PersistenceException(f"a stored value of DynamoDB type {kind} is not JSON")


def _key(name: object) -> str:
    if not isinstance(name, str):
        raise PersistenceException(f"attributes are not JSON-serialisable: key {name!r} is not a string")
    return name


def _number(number: Decimal, original: int | float) -> str:
    """The number's text for DynamoDB, if DynamoDB holds it exactly."""
    if number.is_zero():
        return "0"
    digits = len("".join(map(str, number.as_tuple().digits)).rstrip("0"))   # significant digits, never rounded
    if digits > MAX_DIGITS or not MIN_EXPONENT <= number.adjusted() <= MAX_EXPONENT:
        raise PersistenceException(
            f"{original!r} cannot be stored exactly in DynamoDB (at most {MAX_DIGITS} significant digits, "
            f"magnitude 1e{MIN_EXPONENT} to 1e{MAX_EXPONENT + 1})")
    return str(number)


def _from_number(text: str) -> int | float:
    # Integers came from int (or from a whole float, which is equal to it); anything else from a float.
    return int(text) if _INTEGER.fullmatch(text) else float(text)
