"""Tests for a language's words (locales/<locale>/words.json): numbers, durations, how often, lists, clock times.

en-US's spoken forms are pinned in test_speech.py and test_reminders.py; here: what another locale
changes, how a language unlike English fits, and that a broken words file stops start-up naming the entry.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from skill.content.catalog import LOCALES_DIR, SUPPORTED_LOCALES, ContentError
from skill.content.prompts import Prompts, load_words


@pytest.fixture
def locales(tmp_path: Path) -> Path:
    """A copy of en-US's folder in a temporary locales tree."""
    shutil.copytree(LOCALES_DIR / "en-US", tmp_path / "en-US")
    return tmp_path


def write(directory: Path, locale: str, data: Any) -> None:
    (directory / locale).mkdir(exist_ok=True)
    (directory / locale / "words.json").write_text(json.dumps(data), encoding="utf-8")


def test_every_locale_loads_words_and_prompts_carry_them() -> None:
    for locale in SUPPORTED_LOCALES:
        assert Prompts.load(locale).words.number(21) == "twenty one"


@pytest.mark.parametrize(("locale", "joined"), [
    ("en-US", "a, b, and c"), ("en-CA", "a, b, and c"), ("en-IN", "a, b, and c"),
    ("en-GB", "a, b and c"),   # GOV.UK style guide: no serial (Oxford) comma
    ("en-AU", "a, b and c"),   # Australian Government Style Manual: no serial comma
])
def test_lists_are_joined_as_each_locale_writes_them(locale: str, joined: str) -> None:
    words = load_words(locale)
    assert words.join(["a", "b", "c"]) == joined
    assert [words.join([]), words.join(["a"]), words.join(["a", "b"])] == ["", "a", "a and b"]


def test_a_locale_changes_only_the_entries_it_names() -> None:
    us, gb = load_words("en-US"), load_words("en-GB")
    assert [gb.number(n) for n in range(1000)] == [us.number(n) for n in range(1000)]
    assert [gb.clock(h, m) for h in range(24) for m in (0, 30)] == [us.clock(h, m) for h in range(24) for m in (0, 30)]
    assert gb.duration(200) == us.duration(200) and gb.times(3) == us.times(3)


def test_a_language_unlike_english_fits_its_words_file(locales: Path) -> None:
    """A 24-hour clock and irregular numbers (listed in full in numbers.ones) need no code."""
    us = json.loads((locales / "en-US" / "words.json").read_text(encoding="utf-8"))
    ones = [f"n{n}" for n in range(100)]
    write(locales, "xx-XX", {
        "numbers": {"ones": ones, "hundreds": "{hundreds}-cent", "hundreds_and_rest": "{hundreds}-cent {rest}"},
        "clock": {"hours": 24, "on_the_hour": "{hour} heures", "hour_minute": "{hour} heures {minute}"},
        "list": {"pair": "{first} et {last}", "final": "{rest} et {last}"},
        "how_often": {"once": "une fois", "twice": "deux fois", "times": "{n} fois"},
    })
    words = load_words("xx-XX", locales)
    assert [words.number(77), words.number(100), words.number(342)] == ["n77", "n1-cent", "n3-cent n42"]
    assert [words.clock(18, 0), words.clock(7, 5), words.clock(12, 0)] == ["18 heures", "7 heures 05", "noon"]
    assert words.join(["a", "b", "c"]) == "a, b et c" and words.times(2) == "deux fois"
    assert words.duration(40) == us["duration"]["seconds"].format(n="n40")


@pytest.mark.parametrize(("overlay", "named"), [
    ({"lists": {"final": "{rest} and {last}"}}, "lists"),                 # no such section
    ({"list": {"last": "{rest} and {last}"}}, "list"),                    # no such entry
    ({"list": {"final": "{rest} and {first}"}}, "list.final"),            # a placeholder it is not given
    ({"list": {"final": "{rest and {last}"}}, "list.final"),              # not a template
    ({"clock": {"hours": 13}}, "clock.hours"),
    ({"numbers": {"ones": ["zero", "one"]}}, "numbers.ones"),
    ({"how_often": {"once": 1}}, "how_often.once"),
    ([], "words"),
])
def test_a_broken_words_file_is_refused_naming_the_entry(locales: Path, overlay: Any, named: str) -> None:
    write(locales, "xx-XX", overlay)
    with pytest.raises(ContentError, match=named.replace(".", r"\.")):
        load_words("xx-XX", locales)


def test_unreadable_words_files_are_refused(locales: Path) -> None:
    (locales / "xx-XX").mkdir()
    (locales / "xx-XX" / "words.json").write_text("{", encoding="utf-8")
    with pytest.raises(ContentError, match="words.json"):
        load_words("xx-XX", locales)
    (locales / "en-US" / "words.json").unlink()
    with pytest.raises(ContentError, match="words.json"):
        load_words("en-US", locales)


@pytest.mark.parametrize("n", [-1, 1000])
def test_numbers_outside_what_is_spelled_are_refused(n: int) -> None:
    with pytest.raises(ValueError):
        load_words().number(n)
