"""The rep-exact pause: where a user was when "Alexa, pause" cut a count short."""

from __future__ import annotations

import re

import pytest
from conftest import Alexa
from hypothesis import given, settings
from hypothesis import strategies as st

from skill.content.catalog import load_catalog
from skill.content.prompts import Prompts
from skill.workout.pause_estimate import (
    CUT_LATENCY_SECONDS,
    FINISHED_SLACK,
    WORD_TIME_SLACK,
    estimate_resume,
)
from skill.workout.planning import Mark, plan_turn
from skill.workout.routine import Mode, Position

CATALOG = load_catalog()
PROMPTS = Prompts.load()


def synthetic(units: int, speech: float = 2.0, silence: float = 3.0) -> tuple[list[Mark], float]:
    """A made-up turn: each unit is `speech` seconds of words then `silence` seconds of breaks."""
    marks = [Mark(n * (speech + silence), n * silence, Position("toe_press", rep=n + 1)) for n in range(units)]
    return marks, units * (speech + silence)


def test_a_pause_long_after_the_turn_keeps_the_next_place() -> None:
    """The turn surely finished: nothing to rewind."""
    marks, total = synthetic(10)
    late = total * (1 + FINISHED_SLACK) + CUT_LATENCY_SECONDS
    assert estimate_resume(marks, total, late).resume_at is None


def test_a_pause_near_the_end_is_doubtful_and_goes_back_to_the_last_unit_that_may_have_played() -> None:
    """Just after the estimated end it may or may not have finished: the last rep that may still have been
    playing (never a later one), flagged as doubtful."""
    marks, total = synthetic(10)
    estimate = estimate_resume(marks, total, total + 1)
    assert estimate.resume_at is not None and not estimate.confident
    assert 1 < estimate.resume_at.rep <= 10


def test_a_pause_right_away_resumes_at_the_first_unit() -> None:
    """Within the latency, the first unit of the turn."""
    marks, total = synthetic(10)
    assert estimate_resume(marks, total, 1.0).resume_at == marks[0].position


@settings(max_examples=300, deadline=None)
@given(units=st.integers(1, 25), speech=st.floats(0.5, 5), silence=st.floats(0, 10),
       cut=st.floats(0, 1), delay=st.floats(0, CUT_LATENCY_SECONDS), slower=st.floats(1, 1 + WORD_TIME_SLACK))
def test_the_estimate_never_resumes_after_the_rep_that_was_playing(
        units: int, speech: float, silence: float, cut: float, delay: float, slower: float) -> None:
    """Whatever the real speaking rate (up to the slack) and delay (up to the latency), never skip a rep."""
    marks, total = synthetic(units, speech, silence)
    # The real timeline: words may take up to `slower` times as long as estimated; breaks are exact.
    real_starts = [m.silence + (m.at - m.silence) * slower for m in marks]
    real_total = units * (speech * slower + silence)
    cut_at = cut * real_total
    playing = max(i for i, start in enumerate(real_starts) if start <= cut_at)
    estimate = estimate_resume(marks, total, cut_at + delay)
    if estimate.resume_at is not None:
        assert estimate.resume_at.rep <= marks[playing].position.rep


@settings(max_examples=200, deadline=None)
@given(units=st.integers(2, 25), speech=st.floats(0.5, 3), silence=st.floats(1, 10), cut=st.floats(0.05, 0.8))
def test_with_estimated_speech_and_known_delay_it_is_at_most_a_rep_or_two_behind(
        units: int, speech: float, silence: float, cut: float) -> None:
    """When speech runs exactly as estimated, the rewind is short: "rep exact", not "start of the set"."""
    marks, total = synthetic(units, speech, silence)
    cut_at = cut * total
    playing = max(i for i, m in enumerate(marks) if m.at <= cut_at)
    estimate = estimate_resume(marks, total, cut_at + 1.0)
    assert estimate.resume_at is not None
    unit = speech + silence
    allowed = 1 + int((CUT_LATENCY_SECONDS + WORD_TIME_SLACK * cut_at) // unit) + 1
    assert playing - allowed <= estimate.resume_at.rep - 1 <= playing


def test_real_turn_marks_follow_the_spoken_reps() -> None:
    """The marks of a real turn name each rep in order, at increasing times, with exact silences."""
    turn = plan_turn(CATALOG, PROMPTS, Position("toe_press"), Mode.ROUTINE)
    exercise = CATALOG.get("toe_press")
    assert [m.position.rep for m in turn.marks] == list(range(1, exercise.reps + 1))
    assert all(a.at < b.at for a, b in zip(turn.marks, turn.marks[1:]))
    assert all(0 <= m.silence <= m.at for m in turn.marks)


def test_pausing_mid_set_resumes_at_the_rep_that_was_playing(alexa: Alexa) -> None:
    """Pause half-way through toe presses: "Paused at toe presses, rep N"; resume starts that rep."""
    alexa.launch()
    counted = alexa.say("StartExerciseIntent", exercise="toe presses")
    assert counted.ends_session is False
    alexa.wait(45)
    paused = alexa.say("AMAZON.PauseIntent")
    match = re.search(r"Paused at toe presses, rep (\w+)\.", paused.text)
    assert match, paused.text
    rep_word = match.group(1)
    reps = {PROMPTS.words.number(n): n for n in range(1, 11)}
    assert 2 <= reps[rep_word] <= 8  # 45 s into a ~90 s set of ten, minus the latency margin
    resumed = alexa.say("AMAZON.ResumeIntent")
    cue = CATALOG.get("toe_press").work.cue
    assert resumed.text.startswith(f"Picking up at toe presses. Rep {rep_word}. {cue}.")  # the place said once
    assert resumed.text.count("Rep ") == 10 - reps[rep_word] + 1


@pytest.mark.parametrize("wait", [1, 150])
def test_pause_at_the_very_start_or_long_after(alexa: Alexa, wait: int) -> None:
    """At once: the start of the exercise. Long after: the next exercise, nothing repeated."""
    alexa.launch()
    alexa.say("StartExerciseIntent", exercise="toe presses")
    alexa.wait(wait)
    paused = alexa.say("AMAZON.PauseIntent")
    expected = "Paused at toe presses." if wait == 1 else f"Paused at {CATALOG.after('toe_press').name}"
    assert expected in paused.text


def test_a_pause_during_a_repeated_count_rewinds_within_the_repeat(alexa: Alexa) -> None:
    """'Repeat' restarts the count; pausing soon after goes back into that count, not past it."""
    alexa.launch()
    alexa.say("StartExerciseIntent", exercise="ankle circles")
    alexa.wait(100)                       # the right leg has been counted; "Ready for the left leg?"
    alexa.say("AMAZON.RepeatIntent")      # the right leg again
    alexa.wait(5)
    assert "Paused at ankle circles, right leg." in alexa.say("AMAZON.PauseIntent").text


def test_repeating_a_question_does_not_restart_a_count(alexa: Alexa) -> None:
    """After help, 'repeat' says the help again; a later pause keeps the next part."""
    alexa.launch()
    alexa.say("StartExerciseIntent", exercise="ankle circles")
    alexa.say("ContinueIntent")  # "ready": lying down
    alexa.wait(100)
    alexa.say("AMAZON.HelpIntent")
    alexa.say("AMAZON.RepeatIntent")
    alexa.wait(5)
    assert "Paused at ankle circles, left leg." in alexa.say("AMAZON.PauseIntent").text
