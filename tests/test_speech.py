"""Tests for the SSML builder and the number words: what Alexa is sent is well-formed, escaped and timed.

Every document is checked the way Alexa would read it: parsed as XML, with each <break> read back
from its `time` attribute. Expected figures come from the module's own named limits, never from
numbers copied into the test.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skill.content.prompts import load_words
from skill.speech.ssml import (
    MAX_BREAK_MS,
    MAX_RATE_PERCENT,
    MAX_SSML_CHARS,
    MAX_TURN_SECONDS,
    MIN_RATE_PERCENT,
    WORDS_PER_SECOND,
    Say,
    Silence,
    Speech,
    SpeechTooLong,
)

EN_US = load_words()
duration_words, number_word, times_word = EN_US.duration, EN_US.number, EN_US.times
from skill.speech.replay import parse_ssml

# -- helpers: read SSML the way a speech engine would -------------------------------------------------

# Characters XML 1.0 allows in text; the builder is only responsible for what XML can carry at all.
XML_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff")
    | st.sampled_from("&<>\"' \t\n"),
    max_size=40,
)


def break_ms(value: str) -> int:
    """Read an SSML time value ("5s", "250ms") as milliseconds."""
    match = re.fullmatch(r"(\d+)(ms|s)", value)
    assert match, f"break time {value!r} is not a whole number of s or ms"
    return int(match.group(1)) * (1 if match.group(2) == "ms" else 1000)


def breaks_in(ssml: str) -> list[int]:
    """Every <break> in a document, in milliseconds, after parsing it as XML."""
    return [break_ms(node.attrib["time"]) for node in ET.fromstring(ssml).iter("break")]


def spoken_text(ssml: str) -> str:
    """All the text a speech engine would say, whitespace folded."""
    return " ".join("".join(ET.fromstring(ssml).itertext()).split())


# -- number words: checked against an independent reading of the words ------------------------------

_SMALL = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen".split())}
_TENS = {w: 10 * i for i, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()) if i > 1}


def read_number(words: str) -> int:
    """Turn spelled English ("one hundred and five") back into an int; fail on anything else."""
    total, tokens = 0, words.split()
    if "hundred" in tokens:
        i = tokens.index("hundred")
        assert i == 1 and tokens[0] in _SMALL and 1 <= _SMALL[tokens[0]] <= 9, words
        total, tokens = 100 * _SMALL[tokens[0]], tokens[2:]
        if tokens:
            assert tokens[0] == "and" and len(tokens) > 1, words
            tokens = tokens[1:]
    if not tokens:
        return total
    if tokens[0] in _TENS:
        value = _TENS[tokens[0]]
        if len(tokens) == 2:
            assert 1 <= _SMALL[tokens[1]] <= 9, words
            value += _SMALL[tokens[1]]
        else:
            assert len(tokens) == 1, words
        return total + value
    assert len(tokens) == 1 and tokens[0] in _SMALL, words
    assert not (total and _SMALL[tokens[0]] == 0), words
    return total + _SMALL[tokens[0]]


# -- escaping -------------------------------------------------------------------------------------------

def test_markup_characters_are_escaped_and_read_back_unchanged() -> None:
    """A name with & < > " ' is spoken as written and cannot break or inject SSML."""
    text = 'Tom & Jerry\'s <audio src="x"/> "toe" press > 3'
    ssml = Speech().say(text).to_ssml()
    root = ET.fromstring(ssml)  # well-formed, or this raises
    assert root.tag == "speak"
    assert list(root) == [], "escaped text must not create elements"
    assert root.text == text
    for raw, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&apos;")):
        assert ssml.count(entity) == text.count(raw), f"{raw!r} should appear only as {entity}"


@given(texts=st.lists(XML_TEXT, max_size=5), rate=st.integers(MIN_RATE_PERCENT, MAX_RATE_PERCENT))
@settings(max_examples=150, deadline=None)
def test_any_text_round_trips_through_xml(texts: list[str], rate: int) -> None:
    """Whatever text goes in, the document parses and says exactly that text (spacing folded)."""
    speech = Speech(rate)
    for text in texts:
        speech.say(text)
    ssml = speech.to_ssml()
    assert spoken_text(ssml) == " ".join(" ".join(texts).split())


def test_blank_text_adds_nothing() -> None:
    """Blank text produces no event, so a missing optional sentence adds no stray gap."""
    assert not Speech().say("").say("  \n\t ")
    assert Speech().say("").to_ssml() == "<speak></speak>"


# -- pauses ----------------------------------------------------------------------------------------------

def test_long_pause_is_chained_from_full_breaks_then_the_remainder() -> None:
    """A 25-second silence is sent as breaks of at most 10 s that add up to 25 s (10 + 10 + 5)."""
    seconds = 25
    ms = breaks_in(Speech().pause(seconds).to_ssml())
    full, remainder = divmod(seconds * 1000, MAX_BREAK_MS)
    assert ms == [MAX_BREAK_MS] * full + [remainder]
    assert sum(ms) == seconds * 1000


def test_sub_second_pause_is_written_in_milliseconds() -> None:
    """A quarter-second pause is a 250ms break, not rounded to a whole second."""
    ssml = Speech().pause(0.25).to_ssml()
    assert '<break time="250ms"/>' in ssml
    assert breaks_in(ssml) == [250]


@given(seconds=st.floats(min_value=0, max_value=600, allow_nan=False))
@settings(max_examples=200, deadline=None)
def test_every_pause_becomes_valid_breaks_summing_to_it(seconds: float) -> None:
    """Any pause is sent as positive breaks no longer than Alexa's maximum, summing to the request."""
    speech = Speech().pause(seconds)
    ms = breaks_in(speech.to_ssml())
    assert all(0 < m <= MAX_BREAK_MS for m in ms)
    assert sum(ms) == round(seconds * 1000)
    assert all(m == MAX_BREAK_MS for m in ms[:-1]), "only the last break may be shorter than the maximum"
    assert speech.silence_seconds == pytest.approx(sum(ms) / 1000)


@pytest.mark.parametrize("seconds", [-1, -0.001, math.nan, math.inf, -math.inf])
def test_impossible_pauses_are_refused(seconds: float) -> None:
    """A negative or non-finite pause is a programming error, refused before anything is added."""
    speech = Speech().say("before")
    with pytest.raises(ValueError):
        speech.pause(seconds)
    assert speech.events == [Say("before")]


# -- rate ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("rate", [MIN_RATE_PERCENT - 1, MAX_RATE_PERCENT + 1, 0, -100])
def test_rate_outside_alexas_range_is_refused(rate: int) -> None:
    """Alexa rejects prosody rates outside its range, so the builder never writes one."""
    with pytest.raises(ValueError):
        Speech(rate)


@pytest.mark.parametrize("rate", [MIN_RATE_PERCENT, 70, 130, MAX_RATE_PERCENT])
def test_rate_wraps_the_whole_document_in_prosody(rate: int) -> None:
    """A non-default pace is one <prosody rate> around everything said."""
    root = ET.fromstring(Speech(rate).say("one").pause(1).say("two").to_ssml())
    (prosody,) = list(root)
    assert prosody.tag == "prosody" and prosody.attrib["rate"] == f"{rate}%"
    assert "".join(prosody.itertext()).split() == ["one", "two"]
    assert [b.attrib["time"] for b in prosody.iter("break")] == ["1s"]


def test_normal_rate_adds_no_prosody() -> None:
    """At the normal rate the document has no prosody element at all."""
    assert list(ET.fromstring(Speech().say("hi").to_ssml())) == []


# -- timing arithmetic -----------------------------------------------------------------------------------

@pytest.mark.parametrize("rate", [MIN_RATE_PERCENT, 70, 100, 130, MAX_RATE_PERCENT])
def test_estimate_is_words_at_the_rate_plus_exact_silence(rate: int) -> None:
    """The turn-length estimate is the words at this rate plus every break, exactly."""
    words = "lift your toes and hold them there".split()
    pauses = [2.5, 10, 0.25, 12]
    speech = Speech(rate)
    for word, pause in zip(words, pauses):
        speech.say(word).pause(pause)
    speech.say(" ".join(words[len(pauses):]))
    assert speech.word_count == len(words)
    assert speech.silence_seconds == pytest.approx(sum(pauses))
    assert speech.speaking_seconds() == pytest.approx(len(words) / WORDS_PER_SECOND * 100 / rate)
    assert speech.estimated_seconds() == pytest.approx(speech.speaking_seconds() + sum(pauses))


def test_slower_rate_takes_longer_to_say_but_keeps_silence() -> None:
    """Slowing the voice stretches the words, never the prescribed silences."""
    slow, normal = Speech(70).say("one two three").pause(5), Speech().say("one two three").pause(5)
    assert slow.silence_seconds == normal.silence_seconds
    assert slow.speaking_seconds() > normal.speaking_seconds()


def test_extend_keeps_the_other_speechs_events_and_timing() -> None:
    """Joining two pieces of speech says both, in order, with both silences."""
    first, second = Speech().say("a").pause(3), Speech().say("b").pause(4.5)
    joined = Speech().extend(first).extend(second)
    assert joined.events == first.events + second.events
    assert joined.silence_seconds == pytest.approx(first.silence_seconds + second.silence_seconds)


def test_timeline_ends_at_the_estimated_length() -> None:
    """Each event starts where the previous one ended; the last ends at the turn's estimated length."""
    speech = Speech(80).say("get ready").pause(3).say("one").pause(2).say("two and relax")
    timeline = speech.timeline()
    per_word = 100 / speech.rate_percent / WORDS_PER_SECOND
    for (start, event), (next_start, _) in zip(timeline, timeline[1:]):
        length = event.ms / 1000 if isinstance(event, Silence) else len(event.text.split()) * per_word
        assert next_start == pytest.approx(start + length)
    last_start, last = timeline[-1]
    assert last_start + len(last.text.split()) * per_word == pytest.approx(speech.estimated_seconds())


def test_fits_one_turn_respects_both_limits() -> None:
    """A turn over the spoken-length or SSML-size budget is reported as not fitting."""
    assert Speech().say("hi").pause(MAX_TURN_SECONDS - 5).fits_one_turn()
    assert not Speech().say("hi").pause(MAX_TURN_SECONDS + 1).fits_one_turn()
    # Many short breaks (as a replayed document may hold them): little time, lots of markup.
    many = Speech.of([Silence(1)] * (MAX_SSML_CHARS // len('<break time="1ms"/>') + 1))
    assert many.ssml_length() > MAX_SSML_CHARS
    assert many.estimated_seconds() < MAX_TURN_SECONDS
    assert not many.fits_one_turn()


def test_the_builder_refuses_to_render_more_than_alexa_takes() -> None:
    """Over 8,000 characters of SSML, rendering raises instead of producing a response Alexa refuses."""
    long = Speech().say("word " * 1_700)
    assert long.ssml_length() > MAX_SSML_CHARS
    with pytest.raises(SpeechTooLong):
        long.to_ssml()
    with pytest.raises(SpeechTooLong):
        long.freeze()


BUILD_STEPS = st.lists(st.one_of(
    XML_TEXT.map(lambda t: ("say", t)),
    st.floats(0, 25, allow_nan=False).map(lambda s: ("pause", s)),
    st.integers(0, 10).map(lambda n: ("extend_copy", n)),   # extend with a copy of the first n events
    st.just(("extend_self", None)),
    st.just(("replace_events", None)),                     # parse_ssml-style: a new events list
), max_size=16)


@given(steps=BUILD_STEPS, rate=st.integers(MIN_RATE_PERCENT, MAX_RATE_PERCENT))
@settings(max_examples=200, deadline=None)
def test_running_totals_match_a_full_recount(steps: list[tuple[str, object]], rate: int) -> None:
    """The budget figures kept as running totals equal those recounted from the rendered document."""
    speech = Speech(rate)
    for kind, value in steps:
        if kind == "say":
            speech.say(value)  # type: ignore[arg-type]
        elif kind == "pause":
            speech.pause(value)  # type: ignore[arg-type]
        elif kind == "extend_copy":
            part = Speech()
            part.events = list(speech.events[:value])  # type: ignore[misc]
            speech.extend(part)
        elif kind == "extend_self":
            speech.extend(speech)
        else:
            speech.events = list(speech.events)
        # Checked after every step: the totals are updated incrementally.
        if speech.ssml_length() > MAX_SSML_CHARS:
            with pytest.raises(SpeechTooLong):
                speech.to_ssml()
            continue
        ssml = speech.to_ssml()
        silences = [e.ms for e in speech.events if isinstance(e, Silence)]
        words = sum(len(e.text.split()) for e in speech.events if isinstance(e, Say))
        assert speech.ssml_length() == len(ssml)
        assert speech.word_count == words
        assert speech.silence_seconds == sum(silences) / 1000
        assert speech.estimated_seconds() == speech.speaking_seconds() + speech.silence_seconds
        assert speech.fits_one_turn() == (len(ssml) <= MAX_SSML_CHARS and speech.estimated_seconds() <= MAX_TURN_SECONDS)


# -- parse_ssml: replaying our own output, refusing anything else -------------------------------------------

EVENTS = st.lists(
    st.one_of(XML_TEXT.map(lambda t: ("say", t)), st.floats(0, 40, allow_nan=False).map(lambda s: ("pause", s))),
    max_size=12,
)


@given(events=EVENTS, rate=st.integers(MIN_RATE_PERCENT, MAX_RATE_PERCENT))
@settings(max_examples=200, deadline=None)
def test_builder_output_replays_identically(events: list[tuple[str, object]], rate: int) -> None:
    """"Repeat" replays exactly what was said: same SSML, same words, same silences, same rate."""
    speech = Speech(rate)
    for kind, value in events:
        speech.say(value) if kind == "say" else speech.pause(value)  # type: ignore[arg-type]
    if not speech.fits_one_turn():
        if speech.ssml_length() <= MAX_SSML_CHARS:   # rendered, but more than one turn: never replayed
            with pytest.raises(ValueError):
                parse_ssml(speech.to_ssml())
        return
    ssml = speech.to_ssml()
    replay = parse_ssml(ssml)
    assert replay.to_ssml() == ssml
    assert replay.rate_percent == rate
    assert replay.word_count == speech.word_count
    assert replay.silence_seconds == pytest.approx(speech.silence_seconds)
    assert [e for e in replay.events if isinstance(e, Silence)] == [e for e in speech.events if isinstance(e, Silence)]


@pytest.mark.parametrize("ssml", [
    '<speak>Hi <audio src="https://example.com/a.mp3"/></speak>',
    '<speak>Hi <break time="20s"/></speak>',
    f'<speak>Hi <break time="{MAX_BREAK_MS + 1}ms"/></speak>',
    '<speak>Hi <break time="0s"/></speak>',
    '<speak>Hi <break time="1.5s"/></speak>',
    '<speak>Hi <emphasis>there</emphasis></speak>',
    '<speak><speak>nested</speak></speak>',
    'Hi there',
    '<speak>Hi there',
    'Hi there</speak>',
    '',
], ids=["audio", "20s-break", "break-over-max-ms", "zero-break", "fractional-break", "emphasis",
        "nested-speak", "no-speak", "unclosed", "unopened", "empty"])
def test_foreign_or_invalid_markup_is_refused(ssml: str) -> None:
    """Tampered session data cannot make "repeat" play audio, over-long silence or other markup."""
    with pytest.raises(ValueError):
        parse_ssml(ssml)


def test_replayed_speech_is_held_to_one_turns_budget() -> None:
    """419 ten-second breaks are 70 minutes of silence: not a turn this skill could have said."""
    seventy_minutes = "<speak>" + '<break time="10s"/> ' * 419 + "</speak>"
    with pytest.raises(ValueError):
        parse_ssml(seventy_minutes)
    with pytest.raises(ValueError):
        parse_ssml("<speak>" + "a " * 4_000 + "</speak>")
    assert parse_ssml("<speak>" + '<break time="10s"/> ' * 8 + "</speak>").silence_seconds == 80


def test_replayed_text_is_cleaned_again() -> None:
    """Control characters sent back in the session never reach the SSML (it stays well-formed XML)."""
    replay = parse_ssml("<speak>one\x00two\x01 &amp; three</speak>").to_ssml()
    assert replay == "<speak>one two &amp; three</speak>"
    ET.fromstring(replay)


# -- number words -----------------------------------------------------------------------------------------

def test_number_words_spell_every_count_distinctly_and_correctly() -> None:
    """Every count from zero to 999 is spoken as the number it is, never two numbers alike."""
    spelled = [number_word(n) for n in range(1000)]
    assert [read_number(w) for w in spelled] == list(range(1000))
    assert len(set(spelled)) == 1000


@pytest.mark.parametrize("n", [-1, 1000, -1000])
def test_number_words_refuse_what_they_cannot_spell(n: int) -> None:
    """Outside 0..999 the speller refuses instead of saying something wrong."""
    with pytest.raises(ValueError):
        number_word(n)


def test_times_word_uses_once_and_twice() -> None:
    """How-often phrases read naturally: once, twice, then "N times"."""
    assert [times_word(1), times_word(2)] == ["once", "twice"]
    for n in range(3, 30):
        head, tail = times_word(n).rsplit(" ", 1)
        assert tail == "times" and read_number(head) == n


def spoken_duration(phrase: str) -> float:
    """Read "about forty seconds" / "about a minute" / "about three minutes" back as seconds."""
    if phrase == "about a minute":
        return 60
    match = re.fullmatch(r"about (.+) (seconds|minutes)", phrase)
    assert match, phrase
    value = read_number(match.group(1))
    return value * (60 if match.group(2) == "minutes" else 1)


@given(seconds=st.floats(min_value=0, max_value=3 * 3600, allow_nan=False))
@settings(max_examples=300, deadline=None)
def test_duration_is_close_to_the_real_length(seconds: float) -> None:
    """"About N" is within half a rounding step of the truth: 10 s steps under a minute, then minutes."""
    said = spoken_duration(duration_words(seconds))
    if seconds < 60:
        assert said % 10 == 0 and said >= 10
        assert abs(said - seconds) <= 5 or (seconds < 5 and said == 10)
    else:
        assert said % 60 == 0 and said >= 60
        assert abs(said - seconds) <= 30


@given(a=st.floats(0, 3 * 3600, allow_nan=False), b=st.floats(0, 3 * 3600, allow_nan=False))
@settings(max_examples=200, deadline=None)
def test_longer_never_sounds_shorter(a: float, b: float) -> None:
    """A longer exercise is never announced as shorter than a shorter one."""
    short, long = sorted((a, b))
    assert spoken_duration(duration_words(short)) <= spoken_duration(duration_words(long))


def test_pauses_in_a_row_are_one_break() -> None:
    """Two pauses with nothing said between them are one silence (espeak-ng drops a second break in a row)."""
    speech = Speech().say("and stop").pause(5).pause(2.6).say("ready")
    assert speech.to_ssml() == '<speak>and stop <break time="7600ms"/> ready</speak>'
    assert speech.silence_seconds == pytest.approx(7.6)
    assert speech.ssml_length() == len(speech.to_ssml())
    longer = Speech().say("x").pause(8).pause(8)
    assert [e.ms for e in longer.events if isinstance(e, Silence)] == [MAX_BREAK_MS, 6000]
