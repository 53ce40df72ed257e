"""Time zones and moments from outside (session attributes, stored progress, Alexa's APIs), validated.

Plain Python. A zone name is used only if zoneinfo lists it: ZoneInfo() alone opens whatever path
it is given ("America" is a folder, "zone.tab" a table), and a name that fails there would fail every
turn of the session it travels in. Request times are used only within a sane range.
"""

from __future__ import annotations

import functools
import zoneinfo
from datetime import date, datetime, timezone, tzinfo
from typing import Any

MAX_ZONE_CHARS = 64            # the longest IANA name is 32 characters
# Request times outside these are not Alexa's (it launched in 2014); the server's clock is used instead.
EARLIEST = datetime(2014, 1, 1, tzinfo=timezone.utc).timestamp()
LATEST = datetime(2199, 12, 31, tzinfo=timezone.utc).timestamp()


@functools.cache
def available_zones() -> frozenset[str]:
    """Every IANA zone name this machine can load (read once; about 600 names)."""
    return frozenset(zoneinfo.available_timezones())


def zone_name(value: Any) -> str | None:
    """An IANA time zone name zoneinfo lists, or None (then UTC is used)."""
    if not isinstance(value, str) or len(value) > MAX_ZONE_CHARS or value not in available_zones():
        return None
    return value


def zone(name: str | None) -> tzinfo:
    """The tzinfo for a validated name; UTC for None or a zone that still cannot be loaded."""
    if name is None or zone_name(name) is None:
        return timezone.utc
    try:
        return zoneinfo.ZoneInfo(name)
    except (ValueError, OSError, zoneinfo.ZoneInfoNotFoundError):
        return timezone.utc


def sane_moment(epoch_seconds: float, fallback: float) -> float:
    """The moment if it lies between 2014 and 2199, else the fallback (the server's clock)."""
    return epoch_seconds if EARLIEST <= epoch_seconds <= LATEST else fallback


def local_day(epoch_seconds: float, zone_id: str | None) -> date:
    """The local date at a (sane) moment in a zone (UTC when the zone is unknown)."""
    return datetime.fromtimestamp(epoch_seconds, zone(zone_id)).date()
