"""Sounds that mark each hold and each set: where they play, Alexa's limits, timing, and "sounds off".

The cue map is content/sounds.json: a short chime ends every hold and every stretch of timed work,
an elevator bell ends a rest between sets (and a set of counted reps), a medium chime ends the
exercise. Alexa's current limit (Request and Response JSON Reference) is 240 s of <audio> in one
outputSpeech and 90 s in a reprompt; it names no number of clips. Every response is checked against
those figures, every hold against its prescribed seconds with the sounds included, and the setting
against a restart of the server.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import alexa_requests as rq  # noqa: E402
from conftest import Alexa, Reply  # noqa: E402
from person import Person  # noqa: E402
from timing import SOUND, heard, runs_of, spans  # noqa: E402

from skill.app import create_app  # noqa: E402
from skill.content.catalog import Exercise, load_catalog  # noqa: E402
from skill.content.prompts import Prompts  # noqa: E402
from skill.content.sounds import NO_SOUNDS, load_sounds  # noqa: E402
from skill.persistence.protocol import ProgressStore  # noqa: E402
from skill.speech.ssml import MAX_AUDIO_SECONDS, Audio, Say  # noqa: E402
from skill.workout.pace import MAX_PACE, MIN_PACE, PACE_STEP  # noqa: E402
from skill.workout.planning import Turn, plan_turn  # noqa: E402
from skill.workout.routine import Mode, Position  # noqa: E402

CATALOG = load_catalog()
PROMPTS = Prompts.load().fixed(0)
SOUNDS = load_sounds()
LENGTHS = {cue.src: cue.ms / 1000 for cue in SOUNDS.by_address().values()}
PACES = list(range(MIN_PACE, MAX_PACE + 1, PACE_STEP))
VERSIONS = [version for exercise in CATALOG.exercises for version in CATALOG.versions[exercise.id].values()]
REPROMPT_AUDIO_SECONDS = 90  # the reference's limit for a reprompt
AUDIO_TAG = re.compile(r'<audio src="([^"]*)"/>')


def label(exercise: Exercise) -> str:
    return "+".join([exercise.id, *exercise.chosen])


def turns(exercise: Exercise, pace: int, sounds: Any = SOUNDS) -> list[Turn]:
    """Every counted turn of one version, first to last (the user is ready for each)."""
    catalog = CATALOG.with_choices(((exercise.id, exercise.chosen),) if exercise.chosen else ())
    position, briefed, out = Position(exercise.id), exercise.gated, []
    while True:
        turn = plan_turn(catalog, PROMPTS, position, Mode.SINGLE, pace, briefed=briefed, sounds=sounds)
        out.append(turn)
        if turn.end is None:
            return out
        position, briefed = turn.end, True


def audio_in(ssml: str) -> tuple[int, float]:
    """How many sounds a response plays, and for how long in all (lengths from sounds.json)."""
    sources = AUDIO_TAG.findall(ssml)
    assert all(src in LENGTHS for src in sources), f"a sound that is not ours: {sources}"
    return len(sources), sum(LENGTHS[src] for src in sources)


def assert_within_alexas_audio_limits(reply: Reply) -> None:
    count, seconds = audio_in(reply.ssml)
    assert seconds <= MAX_AUDIO_SECONDS, f"{count} sounds, {seconds:.1f} s in one outputSpeech"
    reprompt_count, reprompt_seconds = audio_in(reply.reprompt) if reply.reprompt else (0, 0.0)
    assert reprompt_seconds <= REPROMPT_AUDIO_SECONDS and reprompt_count == 0, "a reprompt is words only"


def test_the_cue_map_is_three_short_soundbank_sounds() -> None:
    """Three distinct sounds from Alexa's own library (nothing to host), each under two seconds."""
    cues = [SOUNDS.hold_end, SOUNDS.set_end, SOUNDS.exercise_done]
    assert all(cue is not None and cue.src.startswith("soundbank://soundlibrary/") for cue in cues)
    assert len({cue.src for cue in cues if cue}) == 3
    assert all(cue and 0 < cue.ms < 2000 for cue in cues)
    assert NO_SOUNDS.by_address() == {} and not NO_SOUNDS.on


@pytest.mark.parametrize("pace", PACES)
@pytest.mark.parametrize("exercise", VERSIONS, ids=label)
def test_every_hold_ends_at_its_sound_and_lasts_its_seconds(exercise: Exercise, pace: int) -> None:
    """On the turn's own timeline, sounds included: each hold and rest lasts what the data says, and
    each hold or stretch of timed work ends as a sound starts."""
    for turn in turns(exercise, pace):
        runs = runs_of(turn.speech)
        measured = spans(runs, exercise, PROMPTS, pace)
        for span in measured:
            assert span.measured == pytest.approx(span.prescribed, abs=0.01), (label(exercise), pace, span)
        ends = [at for at, text in runs if text == SOUND]
        for span_start, text in runs:
            if text == PROMPTS.pick("hold") and exercise.work.kind == "hold":
                assert any(end == pytest.approx(span_start + exercise.hold_seconds, abs=0.01) for end in ends)


@pytest.mark.parametrize("exercise", VERSIONS, ids=label)
def test_which_sound_plays_where(exercise: Exercise) -> None:
    """Hold ends: the short chime; a rest's end or a set of counted reps: the bell; the exercise's end: its own chime, once."""
    played = [event.src for turn in turns(exercise, 100) for event in turn.speech.events if isinstance(event, Audio)]
    assert SOUNDS.exercise_done and SOUNDS.hold_end and SOUNDS.set_end
    assert played.count(SOUNDS.exercise_done.src) == 1 and played[-1] == SOUNDS.exercise_done.src
    blocks = exercise.sets * max(1, len(exercise.sides or ()))
    if exercise.work.kind == "reps":
        assert played == [SOUNDS.set_end.src] * (blocks - 1) + [SOUNDS.exercise_done.src]
    else:
        holds = blocks * exercise.reps
        assert played.count(SOUNDS.hold_end.src) == holds - 1
        assert played.count(SOUNDS.set_end.src) == (blocks - 1 if exercise.rest_seconds else 0)


@pytest.mark.parametrize("pace", [MIN_PACE, MAX_PACE])
@pytest.mark.parametrize("exercise", VERSIONS, ids=label)
def test_sounds_do_not_cost_an_extra_question(exercise: Exercise, pace: int) -> None:
    """With sounds on, every exercise takes no more turns than with them off (no extra "Ready?")."""
    assert len(turns(exercise, pace)) <= len(turns(exercise, pace, NO_SOUNDS)), label(exercise)


def test_the_echo_show_counter_ticks_with_the_sound(alexa: Alexa) -> None:
    """The screen's "✓" at each hold's end is at the moment its sound starts, on the same timeline."""
    alexa.launch()
    reply = alexa.say("StartExerciseIntent", exercise={"value": "toe presses", "id": "toe_press"})
    speech = heard(reply.ssml)
    starts = [at for at, event in speech.timeline() if isinstance(event, Audio)]
    turn = plan_turn(CATALOG, PROMPTS, Position("toe_press"), Mode.SINGLE, 100, sounds=SOUNDS)
    ticks = [cue.at for cue in turn.cues if cue.counter == "✓"]
    assert len(starts) == len(ticks) == CATALOG.get("toe_press").reps
    # The first turn in a conversation has words before it (a welcome, the safety sentence): shift by them.
    shift = starts[0] - ticks[0]
    assert [round(t + shift, 2) for t in ticks] == pytest.approx(starts, abs=0.01)


def walk_the_routine(person: Person) -> list[Reply]:
    """A person does the whole routine, saying yes after every counted turn; every reply."""
    replies = [person.says("open foot coach"), person.says("start the routine")]
    while replies[-1].ends_session is False:
        person.listens()
        replies.append(person.says("ready" if "lying" in replies[-1].text or "Say ready" in replies[-1].text
                                   else "yes"))
        assert len(replies) < 60, "the routine did not end"
    return replies


def test_every_response_of_the_routine_is_within_alexas_audio_limits(client: Any) -> None:
    """Through real request JSON, the whole routine: each response's sounds within the limits."""
    replies = walk_the_routine(Person(client))
    assert "see you" in replies[-1].text.lower() or replies[-1].ends_session
    counts = [audio_in(reply.ssml)[0] for reply in replies]
    for reply in replies:
        assert_within_alexas_audio_limits(reply)
    assert sum(counts) >= sum(exercise.reps for exercise in CATALOG.exercises), "the sounds did not play"


def app_on(store: ProgressStore) -> Any:
    """A server process of the skill on this store (a second one on the same table is a restart)."""
    return create_app({"STORE": store, "SKILL_VERIFY_SIGNATURES": False, "SKILL_ID": rq.SKILL_ID})


def test_sounds_off_is_remembered_across_a_restart_and_sounds_on_brings_them_back(
        open_store: Callable[..., ProgressStore]) -> None:
    """"Sounds off" in one session: the next day, on a restarted server, counting has no sounds; "sounds on" again.
    On every storage backend (SQLite, PostgreSQL, DynamoDB)."""
    person = Person(app_on(open_store()).test_client())
    person.says("open foot coach")
    off = person.says("sounds off")
    assert off.text.startswith("Okay, no more sounds.") and off.ends_session is False
    counted = person.says("start toe presses")
    assert audio_in(counted.ssml)[0] == 0
    assert counted.text.count("and release.") == CATALOG.get("toe_press").reps  # the words say it instead
    person.says("stop")

    later = Person(app_on(open_store()).test_client(), user_id=person.user_id, at=person.clock)
    later.waits(24 * 3600)
    later.says("open foot coach")
    later.says("no")
    quiet = later.says("start toe presses")
    assert audio_in(quiet.ssml)[0] == 0, "sounds off was forgotten"
    later.says("stop")
    later.says("open foot coach")
    on = later.says("turn the sounds back on")
    assert on.text.startswith("Okay, sounds are on")
    loud = later.says("start toe presses")
    assert audio_in(loud.ssml)[0] == CATALOG.get("toe_press").reps


def test_sounds_off_said_over_a_count_counts_on_from_the_rep_playing(client: Any) -> None:
    """"Alexa, sounds off" cuts the count: it goes on from the rep that was playing, now without sounds."""
    person = Person(client)
    person.says("open foot coach")
    counted = person.says("start resisted flexion")
    if "Say ready" in counted.text:
        person.waits(10)
        counted = person.says("ready")
    assert audio_in(counted.ssml)[0] > 0
    person.waits(20)   # into the count
    off = person.says("no more chimes")
    assert off.text.startswith("Okay, no more sounds.") and "Counting on from" in off.text
    assert audio_in(off.ssml)[0] == 0
    holds = [s.measured for s in spans(runs_of(heard(off.ssml)), CATALOG.get("resisted_flexion"), PROMPTS)
             if s.kind == "hold"]
    assert holds and all(h == pytest.approx(CATALOG.get("resisted_flexion").hold_seconds, abs=0.01) for h in holds)


def test_sounds_on_when_already_on_says_so_and_keeps_the_question(client: Any) -> None:
    """Sounds are on by default: asking again says so, and the pending question is asked again."""
    person = Person(client)
    person.says("open foot coach")
    again = person.says("sounds on")
    assert again.text.startswith("Sounds are already on") and again.ends_session is False and again.reprompt


def test_repeat_replays_the_sounds(alexa: Alexa) -> None:
    """"Repeat" after a counted turn says it again with its sounds, rebuilt through the builder."""
    alexa.launch()
    counted = alexa.say("StartExerciseIntent", exercise={"value": "toe presses", "id": "toe_press"})
    again = alexa.say("AMAZON.RepeatIntent")
    assert audio_in(again.ssml) == audio_in(counted.ssml) and audio_in(again.ssml)[0] > 0


def test_a_sound_that_is_not_ours_in_the_session_is_not_replayed(alexa: Alexa) -> None:
    """Session attributes come from the client: a forged <audio> in the last speech is never played back."""
    alexa.launch()
    alexa.say("StartExerciseIntent", exercise={"value": "toe presses", "id": "toe_press"})
    alexa.attributes["last_ssml"] = '<speak>Hi <audio src="https://example.com/loud.mp3"/></speak>'
    again = alexa.say("AMAZON.RepeatIntent")
    assert "example.com" not in again.ssml and again.ends_session is False


def test_sounds_stay_outside_the_pace_prosody() -> None:
    """At a slower pace the rate applies to words only: no <audio> inside <prosody>."""
    turn = plan_turn(CATALOG, PROMPTS, Position("toe_press"), Mode.SINGLE, MIN_PACE, sounds=SOUNDS)
    ssml = turn.speech.to_ssml()
    assert AUDIO_TAG.search(ssml)
    inside = re.findall(r"<prosody[^>]*>(.*?)</prosody>", ssml)
    assert inside and not any("<audio" in part for part in inside)
    assert heard(ssml).to_ssml() == ssml
    said = [e.text for e in turn.speech.events if isinstance(e, Say)]
    assert " ".join(e.text for e in heard(ssml).events if isinstance(e, Say)) == " ".join(said)


@pytest.mark.parametrize("pace", PACES)
@pytest.mark.parametrize("exercise", VERSIONS, ids=label)
def test_a_rest_ends_with_its_bell_then_words_never_a_silence(exercise: Exercise, pace: int) -> None:
    """The rest-end bell says "go": right after it come the next set's words, or the turn's question."""
    assert SOUNDS.set_end
    for turn in turns(exercise, pace):
        events = list(turn.speech.events)
        for i, event in enumerate(events):
            if isinstance(event, Audio) and event.src == SOUNDS.set_end.src:
                assert i + 1 < len(events) and isinstance(events[i + 1], Say), (label(exercise), pace)
