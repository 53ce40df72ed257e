"""Training history: sessions and exercises per local day, streaks, and the week's total.

Plain Python. A "session" is one Alexa session in which the user finished at least one exercise; the
articles' goal is three a day. Only day counts are kept (no health information), for five weeks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

KEEP_DAYS = 35


@dataclass(frozen=True)
class Day:
    """What one local day holds."""

    sessions: int = 0
    exercises: int = 0


@dataclass(frozen=True)
class TrainingLog:
    """Counts per local day, newest kept, oldest dropped after KEEP_DAYS."""

    days: dict[date, Day] = field(default_factory=dict)

    def record_exercise(self, today: date, *, new_session: bool) -> TrainingLog:
        """Count a finished exercise, and a session the first time in this Alexa session."""
        day = self.days.get(today, Day())
        updated = Day(day.sessions + (1 if new_session else 0), day.exercises + 1)
        return self._with(today, updated)

    def unrecord_exercise(self, today: date, *, new_session: bool) -> TrainingLog:
        """Take back one recorded exercise (it turned out not to be heard to its end); never below zero."""
        day = self.days.get(today, Day())
        return self._with(today, Day(max(0, day.sessions - (1 if new_session else 0)), max(0, day.exercises - 1)))

    def sessions_on(self, today: date) -> int:
        """Sessions recorded on a day."""
        return self.days.get(today, Day()).sessions

    def exercises_on(self, today: date) -> int:
        """Exercises finished on a day."""
        return self.days.get(today, Day()).exercises

    def streak(self, today: date) -> int:
        """Consecutive days with a session, ending today (or yesterday, if today has none yet)."""
        current = today if self.sessions_on(today) else today - timedelta(days=1)
        count = 0
        while self.sessions_on(current):
            count += 1
            current -= timedelta(days=1)
        return count

    def week_total(self, today: date) -> int:
        """Sessions in the seven days ending today."""
        return sum(self.sessions_on(today - timedelta(days=n)) for n in range(7))

    def to_dict(self) -> dict[str, Any]:
        """Serialise: {"2026-11-21": {"sessions": 2, "exercises": 7}, ...}."""
        return {d.isoformat(): {"sessions": c.sessions, "exercises": c.exercises} for d, c in sorted(self.days.items())}

    @classmethod
    def from_dict(cls, data: Any) -> TrainingLog:
        """Parse stored counts, dropping anything malformed."""
        days: dict[date, Day] = {}
        if isinstance(data, dict):
            for key, counts in data.items():
                try:
                    day = date.fromisoformat(key)
                    sessions, exercises = int(counts["sessions"]), int(counts["exercises"])
                except (TypeError, ValueError, KeyError):
                    continue
                if sessions >= 0 and exercises >= 0:
                    days[day] = Day(sessions, exercises)
        return cls(_recent(days))

    def _with(self, today: date, day: Day) -> TrainingLog:
        days = {**self.days, today: day}
        if day == Day():
            del days[today]   # a day whose only exercise was taken back holds nothing
        return TrainingLog(_recent(days))


def _recent(days: dict[date, Day]) -> dict[date, Day]:
    if not days:
        return {}
    newest = max(days)
    return {d: c for d, c in days.items() if (newest - d).days < KEEP_DAYS}
