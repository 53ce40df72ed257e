"""The sources' other versions, by voice: harder and easier counts, seated ankle circles, the band on a chair.

Whole conversations through POST /, with the time passing between turns as it would, and the choice
surviving a restart of the server (it is stored per user).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import alexa_requests as rq
import pytest
from conftest import Alexa, Reply
from timing import heard, runs_of, spans

from skill.app import create_app
from skill.content.catalog import load_catalog
from skill.content.prompts import Prompts, load_words

CATALOG = load_catalog()
PROMPTS = Prompts.load()
number_word = load_words().number


def app_on(database: Path) -> Any:
    return create_app({"DATABASE_URL": f"sqlite:///{database}", "SKILL_VERIFY_SIGNATURES": False,
                       "SKILL_ID": rq.SKILL_ID})


def heard_until_done(alexa: Alexa, reply: Reply) -> str:
    """Say "yes" (ready) until the exercise is done; everything heard."""
    heard = reply.text
    while "Next up is" not in heard and "last exercise" not in heard:
        alexa.wait(60)
        reply = alexa.say("AMAZON.YesIntent")
        heard += " " + reply.text
    return heard


def held(reply: Reply, exercise_id: str, chosen: tuple[str, ...] = ()) -> list[float]:
    """The hold lengths of a counted turn, on its own timeline."""
    exercise = CATALOG.version(exercise_id, chosen)
    return [s.measured for s in spans(runs_of(heard(reply.ssml)), exercise, PROMPTS) if s.kind == "hold"]


def test_i_cant_lie_down_gives_the_seated_ankle_circles_and_it_is_remembered(tmp_path: Path) -> None:
    """At the ready gate of ankle circles, "I can't lie down": A's seated version, set up again; kept after a restart."""
    seated = CATALOG.version("ankle_circles", ("seated",))
    app = app_on(tmp_path / "p.sqlite")
    alexa = Alexa(app.test_client())
    alexa.launch()
    gate = alexa.say("StartExerciseIntent", exercise="ankle circles")
    assert "Say ready when you're lying down." in gate.text
    alexa.wait(8)
    switched = alexa.say("SitDownIntent")
    assert switched.text.startswith(f"Okay, ankle circles {seated.announce} from now on. "
                                    "Starting ankle circles again from the beginning. Let's do ankle circles.")
    for step in seated.setup:
        assert step in switched.text
    assert seated.cautions[0] in switched.text, "the caution stays with the seated version"
    assert switched.text.endswith(f"Say ready when {seated.ready_when}.")
    alexa.wait(20)
    counted = alexa.say("ContinueIntent")
    assert counted.text.startswith("Let's begin. Right leg first. Clockwise.")
    alexa.wait(90)
    alexa.say("AMAZON.StopIntent")
    app.extensions["foot_coach_store"].close()

    later = Alexa(app_on(tmp_path / "p.sqlite").test_client())
    welcome = later.launch()
    assert welcome.text.startswith(f"Welcome back. Last time you stopped at ankle circles, left leg, {seated.announce}.")
    again = later.say("StartExerciseIntent", exercise="ankle circles")
    assert seated.position in again.text, "the set-up is known now: one sentence"
    assert "lying" not in again.text.lower()


def test_the_band_one_on_a_chair_is_article_bs_version(alexa: Alexa) -> None:
    """"Can I do the band one on a chair?": B's chair version, offered, set up in full, counted with A's five."""
    chair = CATALOG.version("resisted_flexion", ("chair",))
    alexa.launch()
    offer = alexa.say("SitDownIntent", exercise={"value": "band", "id": "resisted_flexion"})
    assert offer.text == f"Okay, resisted flexion {chair.announce} from now on. Would you like to start resisted flexion now?"
    setup = alexa.say("AMAZON.YesIntent")
    for step in chair.setup:
        assert step in setup.text
    assert "a chair" in setup.text and "sturdy chair" not in setup.text
    assert chair.cautions[0] in setup.text
    alexa.wait(25)
    counted = alexa.say("ContinueIntent")
    assert chair.work.cue in counted.text
    assert held(counted, "resisted_flexion", ("chair",)) == pytest.approx([5.0] * chair.reps, abs=0.01)


def test_make_it_harder_uses_bs_counts_and_frequency_and_easier_goes_back(tmp_path: Path) -> None:
    """Resisted flexion: harder is B's 15 with B's twice a day; the welcome says the level; easier is A's 5 again."""
    app = app_on(tmp_path / "h.sqlite")
    alexa = Alexa(app.test_client())
    alexa.launch()
    alexa.say("StartExerciseIntent", exercise="resisted flexion")
    alexa.wait(15)
    first = alexa.say("ContinueIntent")
    assert first.text.count("Hold ") == 5 and "Next up is pencil pickups" in first.text
    named = alexa.say("HarderIntent", exercise="the band one")   # done for now: remembered, not restarted
    assert named.text.startswith("Okay, resisted flexion at the harder level. Hold for five seconds, fifteen times. "
                                 "Aim to do this one twice a day. Next up is pencil pickups")
    alexa.say("AMAZON.StopIntent")
    alexa.launch()
    alexa.say("AMAZON.NoIntent")
    alexa.say("StartExerciseIntent", exercise="resisted flexion")
    alexa.wait(10)
    harder = alexa.say("EasierIntent")
    assert harder.text.startswith("Okay, back to the gentler level of resisted flexion. Hold for five seconds, five times. "
                                  "Starting resisted flexion again from the beginning.")
    harder = alexa.say("HarderIntent")    # at the ready gate: the set-up again, with the counts said once
    assert harder.text.startswith("Okay, resisted flexion at the harder level. Hold for five seconds, fifteen times. "
                                  "Aim to do this one twice a day. Starting resisted flexion again from the beginning.")
    assert harder.text.count("fifteen times") == 1
    alexa.wait(15)
    heard = heard_until_done(alexa, alexa.say("ContinueIntent"))
    assert heard.count("Hold ") == 15 and f"Rep {number_word(15)}." in heard
    alexa.wait(120)
    alexa.say("AMAZON.StopIntent")
    app.extensions["foot_coach_store"].close()

    later = Alexa(app_on(tmp_path / "h.sqlite").test_client())
    welcome = later.launch()
    assert welcome.text == "Welcome back. Last time you stopped at pencil pickups, right foot. Shall we carry on?"
    later.say("AMAZON.NoIntent")
    easier = later.say("EasierIntent", exercise={"value": "the band one", "id": "resisted_flexion"})
    assert easier.text.startswith("Okay, back to the gentler level of resisted flexion. Hold for five seconds, five times.")
    assert "twice a day" not in easier.text
    how = later.say("InstructionsIntent", exercise="resisted flexion")
    assert "five times" in how.text and "twice a day" not in how.text
    later.say("AMAZON.StopIntent")
    assert "harder level" not in later.launch().text


def test_the_welcome_back_says_the_versions_chosen(tmp_path: Path) -> None:
    """With nothing to resume, the welcome names every version chosen; with a place, that exercise's version."""
    app = app_on(tmp_path / "w.sqlite")
    alexa = Alexa(app.test_client())
    alexa.launch()
    alexa.say("HarderIntent", exercise="resisted flexion")
    alexa.say("SitDownIntent", exercise="ankle circles")
    alexa.say("AMAZON.StopIntent")
    app.extensions["foot_coach_store"].close()
    later = Alexa(app_on(tmp_path / "w.sqlite").test_client())
    welcome = later.launch()
    assert "You're doing ankle circles sitting on the floor and resisted flexion at the harder level." in welcome.text
    assert welcome.text.endswith("?")
    later.say("StartExerciseIntent", exercise="resisted flexion")
    later.wait(10)
    later.say("AMAZON.StopIntent")
    assert Alexa(later.client).launch().text == ("Welcome back. Last time you stopped at resisted flexion, "
                                                 "at the harder level. Shall we carry on?")


def test_harder_toe_presses_hold_four_seconds(alexa: Alexa) -> None:
    """B's harder toe presses: every hold four seconds, from "Hold" to "and release"."""
    alexa.launch()
    alexa.say("HarderIntent", exercise="toe presses")
    counted = alexa.say("AMAZON.YesIntent")   # "Would you like to start toe presses now?"
    holds = held(counted, "toe_press", ("harder",))
    if alexa.attributes["question"] == "next_part":   # ten 4 s holds may take two turns, shared evenly
        alexa.wait(60)
        holds += held(alexa.say("AMAZON.YesIntent"), "toe_press", ("harder",))
    assert holds == pytest.approx([4.0] * 10, abs=0.01)


@pytest.mark.parametrize(("intent", "exercise", "expected"), [
    ("HarderIntent", "toe walking", "Toe walking has just the one level in the articles I follow."),
    ("EasierIntent", "pencil pickups", "Pencil pickups has just the one level in the articles I follow."),
    ("SitDownIntent", "toe presses", "The articles I follow only give toe presses standing up."),
    ("SitDownIntent", "pencil pickups", "You can do pencil pickups sitting down, even at a desk."),
    ("UsualWayIntent", "ankle circles", "You're already doing ankle circles the usual way."),
    ("EasierIntent", "toe presses", "That's already the gentler level of toe presses."),
])
def test_no_version_is_invented(alexa: Alexa, intent: str, exercise: str, expected: str) -> None:
    """Where the articles give no other version, the user is told so and nothing changes."""
    alexa.launch()
    reply = alexa.say(intent, exercise=exercise)
    assert reply.text.startswith(expected) and reply.ends_session is False
    assert "choices" not in alexa.attributes or not alexa.attributes["choices"]


def test_the_usual_way_goes_back_to_lying_down(alexa: Alexa) -> None:
    """"I can lie down now" after choosing the seated version: ankle circles lying on the back again."""
    alexa.launch()
    alexa.say("SitDownIntent")   # idle: the exercise done lying down
    back = alexa.say("UsualWayIntent")
    assert back.text.startswith("Okay, back to ankle circles lying on your back.")
    start = alexa.say("AMAZON.YesIntent")
    assert "Say ready when you're lying down." in start.text
