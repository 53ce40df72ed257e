"""The user's time zone, in one place: which names are valid, and the user's local day and clock.

A zone name always comes from outside: Alexa's Settings API, session attributes sent back by the
device, stored progress written by an older version. So it is checked against the IANA names zoneinfo
knows (``zoneinfo.available_timezones()``) before anything uses it. Anything else, such as a folder of
the zone database ("America", "Etc"), one of its data files ("zone.tab"), a path, a NUL or a number, is
no time zone at all, and no time zone means UTC: days and reminders are then UTC, and the user is told.
"""

from __future__ import annotations

import functools
from datetime import date, datetime, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

UTC = "UTC"                # the zone used when the device's is unknown
MAX_ZONE_NAME = 64         # the longest IANA name is 32 characters
# On some hosts the database folder holds "localtime", a link to the server's own zone: not an IANA name.
NOT_ZONES = frozenset({"localtime"})


@functools.cache
def known_zones() -> frozenset[str]:
    """Every IANA time zone name zoneinfo can load here (read once per process: it walks the database)."""
    return frozenset(available_timezones()) - NOT_ZONES


def valid_zone(value: Any) -> str | None:
    """The value if it names an IANA time zone zoneinfo knows, else None."""
    if not isinstance(value, str) or not value or len(value) > MAX_ZONE_NAME:
        return None
    return value if value in known_zones() else None


def zone_info(zone: str | None) -> tzinfo:
    """The tzinfo of a zone name, UTC when it is missing or not a valid zone."""
    name = valid_zone(zone)
    return ZoneInfo(name) if name else timezone.utc


def local_day(epoch_seconds: float, zone: str | None) -> date:
    """The user's local date at this moment (UTC when the time zone is unknown)."""
    return datetime.fromtimestamp(epoch_seconds, zone_info(zone)).date()


def local_now(epoch_seconds: float, zone: str | None) -> datetime:
    """The moment on the user's clock, to the second, without an offset (as the Reminders API wants it)."""
    return datetime.fromtimestamp(epoch_seconds, timezone.utc).astimezone(zone_info(zone)).replace(
        tzinfo=None, microsecond=0)


def utc_day(epoch_seconds: float) -> str:
    """The UTC date at this moment, as ISO text (when the time zone was last asked for)."""
    return datetime.fromtimestamp(epoch_seconds, timezone.utc).date().isoformat()
