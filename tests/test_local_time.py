"""Tests for the user's time zone (skill/progress/local_time.py) and every way a zone name arrives.

A zone name is outside data wherever it comes from (the Settings API, session attributes, stored
progress). A name zoneinfo does not list as a time zone is no zone: days and clock times are UTC.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

import pytest

from skill.content.catalog import load_catalog
from skill.progress.local_time import local_day, local_now, utc_day, valid_zone, zone_info
from skill.progress.state import SessionState, UserProgress

CATALOG = load_catalog()
NINE_UTC = datetime(2026, 11, 21, 9, 0, tzinfo=timezone.utc).timestamp()   # 23:00 on the 21st in Kiritimati

NOT_ZONES = [
    "America", "Etc", "Europe", "posix", "right",            # folders of the zone database
    "zone.tab", "zone1970.tab", "tzdata.zi", "leapseconds",   # its data files
    "localtime",                                              # a host's link to its own zone
    "Europe/Berlin\x00", "\x00", "UTC\x00../../etc/passwd",   # NUL
    "../etc/passwd", "/etc/localtime", "Europe/../UTC", "posix/Europe/Berlin", "right/UTC",
    "", " UTC", "UTC ", "utc ", "Europe/Nowhere", "x" * 200,
    5, 0, 1.5, None, True, b"UTC", ["UTC"], {"zone": "UTC"},
]


@pytest.mark.parametrize("name", ["UTC", "Etc/UTC", "Europe/Berlin", "America/Los_Angeles", "Pacific/Kiritimati",
                                  "Asia/Kolkata", "Etc/GMT+12", "America/Argentina/Buenos_Aires"])
def test_iana_time_zones_are_accepted(name: str) -> None:
    assert valid_zone(name) == name
    assert zone_info(name) is not timezone.utc or name in ("UTC", "Etc/UTC")


@pytest.mark.parametrize("name", NOT_ZONES, ids=repr)
def test_names_that_are_no_time_zone_are_refused_and_mean_utc(name: Any) -> None:
    assert valid_zone(name) is None
    assert zone_info(name) is timezone.utc
    assert local_day(NINE_UTC, name) == date(2026, 11, 21)
    assert local_now(NINE_UTC, name) == datetime(2026, 11, 21, 9, 0)


def test_the_local_day_and_clock_follow_a_valid_zone() -> None:
    assert local_day(NINE_UTC, "Pacific/Kiritimati") == date(2026, 11, 21)
    assert local_day(NINE_UTC + 3600, "Pacific/Kiritimati") == date(2026, 11, 22)
    assert local_now(NINE_UTC + 0.7, "Europe/Berlin") == datetime(2026, 11, 21, 10, 0)
    assert utc_day(NINE_UTC) == "2026-11-21"


@pytest.mark.parametrize("name", NOT_ZONES, ids=repr)
def test_session_attributes_and_stored_progress_drop_a_bad_zone(name: Any) -> None:
    """Tampered session attributes and old stored rows keep everything else, without the zone."""
    session = SessionState(timezone="Europe/Berlin").to_dict()
    assert SessionState.from_dict({**session, "timezone": name}, CATALOG) == SessionState()
    stored = UserProgress(timezone="Europe/Berlin", routines_completed=2).to_dict()
    assert UserProgress.from_dict({**stored, "timezone": name}, CATALOG) == UserProgress(routines_completed=2)
