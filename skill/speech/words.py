"""Numbers and durations as words, so counts are spoken the same way on every device."""

from __future__ import annotations

from collections.abc import Sequence

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
         "fifteen sixteen seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def number_word(n: int) -> str:
    """Spell 0..999 in words ("twenty one").

    Raises:
        ValueError: outside 0..999 (no count in the exercise data comes near that).
    """
    if not 0 <= n <= 999:
        raise ValueError(f"cannot spell {n}")
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f" {_ONES[ones]}" if ones else "")
    hundreds, rest = divmod(n, 100)
    return f"{_ONES[hundreds]} hundred" + (f" and {number_word(rest)}" if rest else "")


def duration_words(seconds: float) -> str:
    """Say roughly how long something takes: "about forty seconds", "about three minutes"."""
    rounded = max(10, int(round(seconds / 10) * 10))
    if rounded < 60:
        return f"about {number_word(rounded)} seconds"
    minutes = max(1, round(seconds / 60))
    return "about a minute" if minutes == 1 else f"about {number_word(minutes)} minutes"


def spoken_list(items: Sequence[str]) -> str:
    """Join items the way people list them: "a", "a and b", "a, b, and c" (the one list joiner)."""
    items = list(items)
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + ", and " + items[-1]


def times_word(n: int) -> str:
    """Say how often: "once", "twice", "three times"."""
    return {1: "once", 2: "twice"}.get(n, f"{number_word(n)} times")
