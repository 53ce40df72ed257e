"""FastSerializer's leaf decoders and encoders: primitives, Alexa's timestamps, dates, enums, decimals.

Each gives exactly the value the SDK's DefaultSerializer gives, or raises ``NotOnFastPath`` so the
SDK's own code decides (see serializer.py). The timestamp path replaces dateutil's general parser,
the largest single cost the profile showed, for the one shape Alexa sends.
"""

from __future__ import annotations

import decimal
import re
import time
from datetime import date, datetime
from enum import Enum
from typing import Any

from dateutil import tz

# The only timestamp shape Alexa sends: UTC, seconds, an optional fraction of up to 6 digits.
# ASCII digits only: re's \d would also take other scripts' digits, which int() accepts.
ALEXA_TIMESTAMP = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,6}))?(?:Z|\+00:00)"
)


class NotOnFastPath(Exception):
    """The payload is not one the fast path reproduces; the SDK's own code takes it."""


def decode_primitive(cast: type, payload: Any) -> Any:
    """The parent's __deserialize_primitive; a ValueError goes to the parent for its message."""
    if type(payload) is cast:
        return payload  # str(s), int(i), float(f), bool(b) and bytes(b) give the value back
    try:
        return cast(payload)
    except UnicodeEncodeError:
        return str(payload)
    except TypeError:
        return payload


def decode_datetime(payload: Any) -> datetime:
    """Build the datetime dateutil.parser.parse gives for an Alexa timestamp; else decline."""
    if type(payload) is not str:
        raise NotOnFastPath
    match = ALEXA_TIMESTAMP.fullmatch(payload)
    if match is None:
        raise NotOnFastPath  # any other form: dateutil, through the parent
    year, month, day, hour, minute, second, fraction = match.groups()
    naive = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second),
                     int(fraction.ljust(6, "0")) if fraction else 0)
    return as_dateutil_reads_utc(naive)


def decode_date(payload: Any) -> date:
    """An Alexa timestamp's date, as the parent decodes a ``date``."""
    return decode_datetime(payload).date()


def as_dateutil_reads_utc(naive: datetime) -> datetime:
    """Attach the tzinfo dateutil's parser attaches for "Z" or "+00:00".

    dateutil names both zones "UTC". When the host's own zone is also called "UTC"
    (``time.tzname``, as on most servers and containers) it returns ``tzlocal()``, not ``tzutc()``;
    elsewhere it returns ``tz.UTC``. This mirrors its ``_build_tzaware`` for that case, step by step.
    """
    if "UTC" not in time.tzname:
        return naive.replace(tzinfo=tz.UTC)
    aware = naive.replace(tzinfo=tz.tzlocal())
    if aware.tzname() != "UTC":
        folded = tz.enfold(aware, fold=1)
        if folded.tzname() == "UTC":
            aware = folded
    if aware.tzname() != "UTC":
        aware = aware.replace(tzinfo=tz.UTC)
    return aware


def unchanged(value: Any) -> Any:
    """Return the value as it is (types the parent passes through)."""
    return value


def copy_dict(payload: Any) -> dict[Any, Any]:
    """Copy a ``dict(str, object)`` payload, such as session attributes."""
    if type(payload) is not dict:
        raise NotOnFastPath  # dict() would also take a list of pairs, which the parent refuses
    return dict(payload)


def empty_list(payload: Any) -> list[Any]:
    """The parent's result for a ``list[`` type string it cannot parse."""
    return []


def empty_dict(payload: Any) -> dict[Any, Any]:
    """The parent's result for a ``dict(`` type string it cannot parse."""
    return {}


def isoformat(value: date) -> str:
    """Encode a date or datetime as the parent does."""
    return value.isoformat()


def decimal_number(number: decimal.Decimal) -> int | float:
    """Encode a Decimal as an int when whole, else a float."""
    # The parent's rule; a signalling NaN or an infinity raises here, and serialize hands it to the SDK.
    return int(number) if number % 1 == 0 else float(number)


def enum_value(member: Enum) -> Any:
    """Encode an enum member as its value."""
    return member.value
