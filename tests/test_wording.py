"""Wording a person would say: no sentence twice in a row, the place said once, cautions that add something,
instructions that name the counts, a frequency that goes with the counts, the daily goal explained once.

Whole conversations through POST /, with time passing between turns, for every exercise and version.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from conftest import Alexa, Reply

from skill.content.catalog import SUPPORTED_LOCALES, Exercise, load_catalog
from skill.content.prompts import Prompts
from skill.speech.ssml import Say, Speech
from skill.workout.counting import setup_words
from skill.workout.planning import plan_turn
from skill.workout.routine import Mode, Position
from skill.workout.wording import describe_counts

CATALOG = load_catalog()
PROMPTS = Prompts.load()
number_word, times_word = PROMPTS.words.number, PROMPTS.words.times
VERSIONS = [v for e in CATALOG.exercises for v in CATALOG.versions[e.id].values()]
VARIANT_INTENT = {"harder": "HarderIntent", "seated": "SitDownIntent", "chair": "SitDownIntent"}


def sentences(text: str) -> list[str]:
    """What was said, sentence by sentence (pauses dropped), in lower case."""
    words = re.sub(r"\[[^\]]*\]", " ", text)
    return [" ".join(s.split()).lower() for s in re.split(r"(?<=[.?!])\s+", words) if s.strip()]


def repeated(text: str) -> list[str]:
    """Sentences said twice in a row, and places said twice ("..., right leg. Right leg first.")."""
    said = sentences(text)
    out = [a for a, b in zip(said, said[1:]) if a == b]
    for a, b in zip(said, said[1:]):
        if a.startswith(("picking up at", "counting on from")):
            place_parts = {p.strip(" .") for p in a.split(",")[1:]}
            out += [f"{a} / {b}" for part in place_parts if part and part in b]
    return out


def version_label(version: Exercise) -> str:
    return "+".join([version.id, *version.chosen])


def conversation(alexa: Alexa, version: Exercise) -> Iterator[Reply]:
    """Choose the version, start it, get ready, pause and resume, slow down, ask how, and finish it."""
    alexa.launch()
    for variant in version.chosen:
        yield alexa.say(VARIANT_INTENT[variant], exercise=version.name)
    yield alexa.say("StartExerciseIntent", exercise=version.name)
    if alexa.attributes["question"] == "get_in_position":
        alexa.wait(20)
        yield alexa.say("ContinueIntent")
    alexa.wait(12)
    yield alexa.say("AMAZON.PauseIntent")
    yield alexa.say("AMAZON.ResumeIntent")
    alexa.wait(9)
    yield alexa.say("SlowerIntent")
    yield alexa.say("InstructionsIntent")
    while alexa.attributes.get("question") not in ("next_exercise", "none", None):
        alexa.wait(100)
        yield alexa.say("AMAZON.YesIntent")


@pytest.mark.parametrize("version", VERSIONS, ids=version_label)
def test_no_sentence_or_place_is_said_twice_in_a_row(alexa: Alexa, version: Exercise) -> None:
    """Through a whole exercise in each version, with pause, resume, pace and how-to, nothing is said twice in a row."""
    for reply in conversation(alexa, version):
        assert not repeated(reply.text), reply.text
        assert reply.text.lower().count("well done") <= 1, reply.text[-200:]


@pytest.mark.parametrize(("exercise", "wait", "expected"), [
    ("toe presses", 25, r"^Picking up at toe presses\. Rep (\w+)\. "),
    ("ankle circles", 5, r"^Picking up at ankle circles\. Right leg first\. Clockwise\. "),
])
def test_resuming_says_the_place_once(alexa: Alexa, exercise: str, wait: int, expected: str) -> None:
    """The issue's "Picking up at ankle circles, right leg. Right leg first." and "rep three. Rep three." are gone."""
    alexa.launch()
    alexa.say("StartExerciseIntent", exercise=exercise)
    if alexa.attributes["question"] == "get_in_position":
        alexa.say("ContinueIntent")
    alexa.wait(wait)
    paused = alexa.say("AMAZON.PauseIntent")
    assert paused.text.startswith(f"Paused at {exercise}")
    resumed = alexa.say("AMAZON.ResumeIntent")
    assert re.match(expected, resumed.text), resumed.text
    assert not repeated(resumed.text)


@pytest.mark.parametrize("version", VERSIONS, ids=version_label)
def test_cautions_do_not_restate_the_position(version: Exercise) -> None:
    """A caution adds a warning; it does not say again (three words in a row) what the position already said."""
    def trigrams(text: str) -> set[tuple[str, ...]]:
        words = re.findall(r"[a-z']+", text.lower())
        return set(zip(words, words[1:], words[2:]))

    setup = set().union(*(trigrams(s) for s in (version.position, *version.setup)))
    for caution in version.cautions:
        assert not trigrams(caution) & setup, f"{version_label(version)}: {caution!r} restates the set-up"


@pytest.mark.parametrize("version", VERSIONS, ids=version_label)
def test_instructions_name_the_counts_and_only_a_frequency_that_goes_with_them(alexa: Alexa, version: Exercise) -> None:
    """"How do I do this" names the hold and the reps ("hold for ten seconds, five times on each foot"), every
    set-up step, every caution, and a frequency only where this version's differs from the routine's."""
    alexa.launch()
    for variant in version.chosen:
        alexa.say(VARIANT_INTENT[variant], exercise=version.name)
    text = alexa.say("InstructionsIntent", exercise=version.name).text
    assert describe_counts(version, PROMPTS) in text
    for part in (*version.setup, *version.steps, *version.cautions):
        assert part in text
    if version.times_per_day and version.times_per_day != CATALOG.times_per_day:
        assert f"{times_word(version.times_per_day)} a day" in text
    else:
        assert " a day" not in text


def test_pencil_pickups_instructions_say_the_issues_example() -> None:
    """The wording the issue asks for, from the data: ten seconds, five times on each foot."""
    assert describe_counts(CATALOG.get("pencil_pickups"), PROMPTS) == "Hold for ten seconds, five times on each foot."


def test_resisted_flexion_says_twice_a_day_only_with_bs_fifteen() -> None:
    """A's five repetitions go with the routine's frequency; B's twice a day goes only with B's fifteen."""
    gentle, harder = CATALOG.get("resisted_flexion"), CATALOG.version("resisted_flexion", ("harder",))
    assert (gentle.reps, gentle.times_per_day) == (5, None)
    assert (harder.reps, harder.times_per_day) == (15, 2)


def test_the_daily_goal_is_explained_once_in_a_whole_first_routine(alexa: Alexa) -> None:
    """A new user doing the whole routine hears "three times a day" once (the welcome), and no other frequency."""
    heard = [alexa.launch().text]
    heard.append(alexa.say("StartRoutineIntent").text)
    while alexa.attributes:
        alexa.wait(100)
        heard.append(alexa.say("ContinueIntent" if alexa.attributes["question"] == "get_in_position"
                               else "AMAZON.YesIntent").text)
    everything = " ".join(heard)
    goal = f"{number_word(CATALOG.times_per_day)} times a day"
    assert everything.count(goal) == 1 and goal in heard[0]
    assert "twice a day" not in everything
    assert "Brilliant, that's the whole routine done." in heard[-1]


NEW_KEYS = ("counts_hold", "counts_hold_sides", "counts_timed", "counts_timed_sets", "counts_reps", "counts_reps_sides",
            "counts_reps_ways", "counts_reps_ways_sides", "ask_next_exercise_needs", "take_your_time", "ready_gate",
            "ready_gate_reprompt", "in_position", "no_rush", "level_harder", "level_easier", "level_only_one",
            "level_already_harder", "level_already_easier", "which_exercise_level", "which_exercise_seated",
            "position_changed", "position_already", "position_usual", "position_usual_already",
            "position_sitting_fine", "position_standing_only", "version_harder", "welcome_back_resume_version",
            "welcome_back_versions")


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_new_line_is_in_every_locale_and_goes_through_the_speech_builder(locale: str) -> None:
    """Each locale's prompts have every new sentence, and every version of every exercise is set up, counted
    and described in that locale's words, as valid SSML."""
    prompts = Prompts.load(locale)
    catalog = load_catalog(locale=locale)
    for key in NEW_KEYS:
        for variant in range(prompts.variety):
            text = prompts.fixed(variant).pick(key, **{name: "x" for name in prompts.placeholders(key)})
            assert Speech().say(text).to_ssml().startswith("<speak>")
    for exercise in catalog.exercises:
        for version in catalog.versions[exercise.id].values():
            chosen = catalog.with_choices(((version.id, version.chosen),) if version.chosen else ())
            turn = plan_turn(chosen, prompts, Position(version.id), Mode.SINGLE)
            ET.fromstring(turn.speech.to_ssml())
            assert describe_counts(version, prompts) in " ".join(
                e.text for e in setup_words(version, prompts).events if isinstance(e, Say))
