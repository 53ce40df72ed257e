"""How one language says numbers, durations, how often, lists and clock times, from its words.json.

A ``Words`` holds no language of its own: every word comes from the mapping it is built from
(skill/content/locales/<locale>/words.json, read by content/prompts.py), so counts are spoken the
same way on every device and a new language brings its own. Templates do substitution only; the
rules here (which template, which number) are the same for every language.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MAX_NUMBER = 999  # no count in the exercise data comes near it

# Every section and entry of a words file, with the placeholders each template may use.
TEMPLATES: dict[str, dict[str, frozenset[str]]] = {
    "numbers": {"tens_and_ones": frozenset({"tens", "ones"}), "hundreds": frozenset({"hundreds"}),
                "hundreds_and_rest": frozenset({"hundreds", "rest"})},
    "duration": {"seconds": frozenset({"n"}), "one_minute": frozenset(), "minutes": frozenset({"n"})},
    "how_often": {"once": frozenset(), "twice": frozenset(), "times": frozenset({"n"})},
    "list": {"pair": frozenset({"first", "last"}), "separator": frozenset(), "final": frozenset({"rest", "last"})},
    "clock": {"midnight": frozenset(), "noon": frozenset(), "am": frozenset(), "pm": frozenset(),
              "on_the_hour": frozenset({"hour", "period"}), "hour_minute": frozenset({"hour", "minute", "period"})},
}
# Entries that are not templates: the words for 0.. and for the tens, and the clock's hours (12 or 24).
WORD_LISTS = {"numbers": ("ones", "tens")}
CLOCK_HOURS = (12, 24)


@dataclass(frozen=True, eq=False)
class Words:
    """Spell numbers, durations, frequencies, lists and clock times in one language."""

    ones: tuple[str, ...]        # 0, 1, 2, ... (at least to 19)
    tens: tuple[str, ...]        # index 2..9: twenty .. ninety
    text: Mapping[str, str]      # every template, by "section.entry" (see TEMPLATES)
    clock_hours: int             # 12 (with am and pm) or 24

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Words:
        """Check a words mapping (see TEMPLATES) and build Words from it.

        Raises:
            ValueError: a section or entry is missing, unknown, of the wrong type, or a template
            uses a placeholder it cannot be given; the message names the entry.
        """
        if not isinstance(data, Mapping) or set(data) != set(TEMPLATES):
            raise ValueError(f"words must have exactly the sections {sorted(TEMPLATES)}")
        text: dict[str, str] = {}
        for section, templates in TEMPLATES.items():
            entries = data[section]
            expected = set(templates) | set(WORD_LISTS.get(section, ())) | ({"hours"} if section == "clock" else set())
            if not isinstance(entries, Mapping) or set(entries) != expected:
                raise ValueError(f"words section {section!r} must have exactly {sorted(expected)}")
            for name, allowed in templates.items():
                text[f"{section}.{name}"] = _checked_template(f"{section}.{name}", entries[name], allowed)
        ones, tens = data["numbers"]["ones"], data["numbers"]["tens"]
        for name, value in (("ones", ones), ("tens", tens)):
            if not isinstance(value, list) or not all(isinstance(word, str) for word in value):
                raise ValueError(f"words entry numbers.{name} must be a list of words")
        if len(ones) < 20 or len(tens) != 10 or not all(ones) or not all(tens[2:]):
            raise ValueError("words entry numbers.ones must spell at least 0..19, numbers.tens 20..90 at 2..9")
        if data["clock"]["hours"] not in CLOCK_HOURS:
            raise ValueError(f"words entry clock.hours must be one of {CLOCK_HOURS}")
        return cls(tuple(ones), tuple(tens), text, data["clock"]["hours"])

    def number(self, n: int) -> str:
        """Spell 0..999 ("twenty one"); numbers.ones may spell more than 0..19 for irregular languages.

        Raises:
            ValueError: outside 0..999.
        """
        if not 0 <= n <= MAX_NUMBER:
            raise ValueError(f"cannot spell {n}")
        ones = self.ones
        if n < len(ones):
            return ones[n]
        if n < 100:
            tens, rest = divmod(n, 10)
            return self.text["numbers.tens_and_ones"].format(tens=self.tens[tens], ones=ones[rest]) if rest \
                else self.tens[tens]
        hundreds, rest = divmod(n, 100)
        if not rest:
            return self.text["numbers.hundreds"].format(hundreds=ones[hundreds])
        return self.text["numbers.hundreds_and_rest"].format(hundreds=ones[hundreds], rest=self.number(rest))

    def duration(self, seconds: float) -> str:
        """Say roughly how long something takes: "about forty seconds", "about three minutes"."""
        rounded = max(10, int(round(seconds / 10) * 10))
        if rounded < 60:
            return self.text["duration.seconds"].format(n=self.number(rounded))
        minutes = max(1, round(seconds / 60))
        if minutes == 1:
            return self.text["duration.one_minute"]
        return self.text["duration.minutes"].format(n=self.number(minutes))

    def times(self, n: int) -> str:
        """Say how often: "once", "twice", "three times"."""
        if n == 1:
            return self.text["how_often.once"]
        if n == 2:
            return self.text["how_often.twice"]
        return self.text["how_often.times"].format(n=self.number(n))

    def join(self, items: Sequence[str]) -> str:
        """Join items the way people list them: "a", "a and b", "a, b, and c" (the one list joiner)."""
        if len(items) <= 1:
            return "".join(items)
        if len(items) == 2:
            return self.text["list.pair"].format(first=items[0], last=items[1])
        rest = self.text["list.separator"].join(items[:-1])
        return self.text["list.final"].format(rest=rest, last=items[-1])

    def clock(self, hour: int, minute: int) -> str:
        """A time of day as people say it: "8 am", "12:30 pm", "noon", "midnight"."""
        if minute == 0 and hour in (0, 12):
            return self.text["clock.midnight" if hour == 0 else "clock.noon"]
        if self.clock_hours == 12:
            shown, period = hour % 12 or 12, self.text["clock.am" if hour < 12 else "clock.pm"]
        else:
            shown, period = hour, ""
        if minute:
            return self.text["clock.hour_minute"].format(hour=shown, minute=f"{minute:02d}", period=period).strip()
        return self.text["clock.on_the_hour"].format(hour=shown, period=period).strip()


def _checked_template(where: str, template: Any, allowed: frozenset[str]) -> str:
    if not isinstance(template, str):
        raise ValueError(f"words entry {where} must be text")
    try:
        used = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as err:
        raise ValueError(f"words entry {where} is not a valid template: {err}") from None
    if not used <= allowed:
        raise ValueError(f"words entry {where} may use only {sorted(allowed) or 'no placeholders'}, "
                         f"not {sorted(used - allowed)}")
    return template
