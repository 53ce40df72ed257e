"""The local console: typed text matched to intents, pauses shown, whole sessions through the real skill."""

from __future__ import annotations

import io
import json
import logging
import stat
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import alexa_requests as rq
import pytest
from flask.testing import FlaskClient

from skill.console import repl as console
from skill.console.matching import (
    BUILTIN_PHRASES,
    FALLBACK_INTENT,
    LAUNCH_REQUEST,
    UtteranceMatcher,
    normalise,
)
from skill.console.local_alexa import LocalAlexa
from skill.console.ssml_text import show_ssml
from skill.speech.ssml import Speech

MODEL_PATH = Path(__file__).resolve().parents[1] / "interaction_model" / "en-US.json"
LANGUAGE = json.loads(MODEL_PATH.read_text(encoding="utf-8"))["interactionModel"]["languageModel"]
MATCHER = UtteranceMatcher.from_file(MODEL_PATH)
EXERCISE_TYPE = next(slot_type for slot_type in LANGUAGE["types"] if slot_type["name"] == "ExerciseName")
EXERCISE_WORDS = [(value["id"], said) for value in EXERCISE_TYPE["values"]
                  for said in (value["name"]["value"], *value["name"]["synonyms"])]
SAMPLES = [(intent["name"], sample) for intent in LANGUAGE["intents"] for sample in intent["samples"]]


# -- matcher -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("intent", "sample"), [s for s in SAMPLES if "{" not in s[1]])
def test_every_plain_sample_matches_its_own_intent(intent: str, sample: str) -> None:
    """A sample said as written (any case, with punctuation) is its own intent, without slots."""
    match = MATCHER.match(sample.capitalize() + "?")
    assert (match.intent, match.slots) == (intent, ()), f"{sample!r} matched {match.intent} ({match.sample!r})"


@pytest.mark.parametrize(("intent", "sample"), [s for s in SAMPLES if "{exercise}" in s[1]])
def test_every_slot_sample_resolves_every_exercise_synonym(intent: str, sample: str) -> None:
    """A sample with {exercise} filled by any value or synonym resolves to that exercise's id."""
    for exercise_id, said in EXERCISE_WORDS:
        match = MATCHER.match(sample.replace("{exercise}", said))
        assert match.intent == intent, f"{sample!r} with {said!r} matched {match.intent} ({match.sample!r})"
        [slot] = match.slots
        assert (slot.name, slot.heard, slot.value and slot.value.id) == ("exercise", normalise(said), exercise_id)


def test_a_resolved_slot_has_the_same_wire_format_as_the_tests_request_builder() -> None:
    """What the console sends for a known exercise is what Alexa sends (ER_SUCCESS_MATCH with the id)."""
    match = MATCHER.match("start ankle rotations")
    expected = rq.intent("StartExerciseIntent",
                         {"exercise": {"value": "ankle rotations", "id": "ankle_circles", "name": "ankle circles"}})
    assert match.to_request(rq.SKILL_ID) == {k: v for k, v in expected["request"].items()
                                             if k not in ("requestId", "timestamp", "locale")}


def test_an_unknown_exercise_fills_the_slot_without_a_match() -> None:
    """Words that are no exercise still reach the skill, as ER_SUCCESS_NO_MATCH, so it can say so."""
    match = MATCHER.match("start jumping jacks")
    assert match.intent == "StartExerciseIntent"
    slot = match.to_request(rq.SKILL_ID)["intent"]["slots"]["exercise"]
    expected = rq.intent("StartExerciseIntent", {"exercise": {"value": "jumping jacks", "id": None}})
    assert slot == expected["request"]["intent"]["slots"]["exercise"]


@pytest.mark.parametrize(("said", "intent"), [
    *[(phrase, "AMAZON.YesIntent") for phrase in ("yes", "yeah", "sure", "yep", "ok")],
    *[(phrase, "AMAZON.StopIntent") for phrase in ("stop", "quit", "exit")],
    ("no", "AMAZON.NoIntent"), ("help", "AMAZON.HelpIntent"), ("cancel", "AMAZON.CancelIntent"),
    ("pause", "AMAZON.PauseIntent"), ("resume", "AMAZON.ResumeIntent"), ("repeat", "AMAZON.RepeatIntent"),
    ("next", "AMAZON.NextIntent"), ("start over", "AMAZON.StartOverIntent"), ("restart", "AMAZON.StartOverIntent"),
    ("go home", "AMAZON.NavigateHomeIntent"),
    *[(phrase, intent) for intent, phrases in BUILTIN_PHRASES.items() for phrase in phrases],
])
def test_built_in_phrases(said: str, intent: str) -> None:
    """Built-in intents have no samples in the model; the phrase table stands in for Amazon's."""
    assert MATCHER.match(said).intent == intent


@pytest.mark.parametrize("said", ["", "   ", "open foot coach", "Alexa, open Foot Coach.", "launch",
                                  "start foot coach"])
def test_opening_phrases_are_a_launch_request(said: str) -> None:
    """"Open foot coach", "launch" or nothing at all opens the skill."""
    assert MATCHER.match(said).request_type == LAUNCH_REQUEST


@pytest.mark.parametrize(("said", "intent", "exercise_id"), [
    ("start the routine", "StartRoutineIntent", None),          # exact beats "start {exercise}"
    ("next exercise", "SkipIntent", None),                      # the model's sample beats built-in "next"
    ("What\u2019s next?", "WhatsNextIntent", None),              # curly apostrophe, contraction
    ("what is the next exercise", "WhatsNextIntent", None),
    ("how do I do ankle circles", "InstructionsIntent", "ankle_circles"),   # more literal words win
    ("do some pencil", "StartExerciseIntent", "pencil_pickups"),
    ("Tip-toe walking!", "StartExerciseIntent", "toe_walk"),
    ("Alexa, ask foot coach to start toe curls", "StartExerciseIntent", "toe_press"),
])
def test_best_match_wins(said: str, intent: str, exercise_id: str | None) -> None:
    """Exact samples beat slot samples, resolved slots beat unresolved ones, longer carriers beat shorter."""
    match = MATCHER.match(said)
    assert match.intent == intent
    assert (match.slots[0].value.id if match.slots and match.slots[0].value else None) == exercise_id


@pytest.mark.parametrize("said", ["hello there", "what's the weather like", "banana", "toe curls please maybe"])
def test_anything_else_is_the_fallback_intent(said: str) -> None:
    """Unmatched words go to AMAZON.FallbackIntent (a bare {exercise} sample never swallows them)."""
    assert MATCHER.match(said).intent == FALLBACK_INTENT


def test_normalise() -> None:
    """Lower case, punctuation gone, contractions spelled out the same way on both sides."""
    assert normalise("  What's NEXT?! ") == "what is next"
    assert normalise("I\u2019m ready, let's go.") == "i am ready let us go"


# -- showing speech ----------------------------------------------------------------------------

@pytest.mark.parametrize(("ssml", "shown"), [
    ('<speak>one <break time="2s"/> two</speak>', "one ... 2 s ... two"),
    ('<speak>Hold <break time="10s"/> <break time="10s"/> done</speak>', "Hold ... 20 s ... done"),
    ('<speak>a <break time="1500ms"/><break time="1s"/> b</speak>', "a ... 2.5 s ... b"),
    ('<speak>Ready? <break time="500ms"/></speak>', "Ready? ... 0.5 s ..."),
    ('<speak><prosody rate="80%">one <break time="2s"/> two</prosody></speak>', "(rate 80%) one ... 2 s ... two"),
    ("<speak>Salt &amp; pepper &lt;3</speak>", "Salt & pepper <3"),
    ("not ssml <", "not ssml <"),
])
def test_pauses_are_shown_and_consecutive_breaks_added_up(ssml: str, shown: str) -> None:
    """Breaks appear as '... N s ...', one per run of breaks, in seconds."""
    assert show_ssml(ssml) == shown


def test_the_skills_own_long_hold_shows_as_one_pause() -> None:
    """A 20 s hold, which the builder splits into 10 s breaks, reads as one pause."""
    shown = show_ssml(Speech(90).say("Hold").pause(20).say("and relax").to_ssml())
    assert shown == "(rate 90%) Hold ... 20 s ... and relax"


# -- whole sessions ----------------------------------------------------------------------------

def lines(*said: str, out: io.StringIO, interrupt: bool = False) -> Callable[[str], str]:
    """A stand-in for input(): prints the prompt, then returns each line, then EOF (or Ctrl-C)."""
    pending = iter(said)

    def read(prompt: str) -> str:
        out.write(prompt)
        try:
            return next(pending)
        except StopIteration:
            raise (KeyboardInterrupt if interrupt else EOFError) from None
    return read


def run_console(database: Path, *said: str, args: Iterable[str] = (), interrupt: bool = False) -> list[str]:
    """Run the console on some typed lines; return the transcript split at each prompt."""
    out = io.StringIO()
    read = lines(*said, out=out, interrupt=interrupt)
    assert console.main(["--database", str(database), *args], read=read, out=out) == 0
    return out.getvalue().split(console.PROMPT)


def test_a_scripted_session_and_welcome_back_on_the_next_run(tmp_path: Path) -> None:
    """Open, start an exercise by synonym, pause, resume, stop; the next run remembers the place."""
    database = tmp_path / "console.sqlite"
    banner, opened, gate, started, paused, resumed, stopped, end = run_console(
        database, "open foot coach", "start ankle rotations", "ready", "pause", "resume", "stop", args=["--no-launch"])
    assert "request verification off" in banner and "Alexa:" not in banner
    assert "Alexa: Welcome to Foot Coach" in opened and "(reprompt)" in opened
    assert '[StartExerciseIntent, exercise: "ankle rotations" = ankle_circles]' in gate
    assert "Alexa: Let's do ankle circles." in gate and "Say ready when you're lying down." in gate
    assert "Alexa: Let's begin." in started and "one ... 1.6 s ... two ... 1.6 s ..." in started
    assert "Paused at ankle circles" in paused
    assert "Picking up at ankle circles" in resumed
    assert "Goodbye" in stopped and "(session ended" in stopped
    assert end == "\n(console closed)\n"

    opening, *rest = run_console(database)
    assert "Alexa: Welcome back. Last time you stopped at ankle circles" in opening
    assert rest == ["\n(console closed)\n"]


def test_silence_repeats_the_reprompt_then_ends_the_session(tmp_path: Path) -> None:
    """Enter on an empty line is saying nothing: the reprompt once, then the session is over."""
    _, first, second, ctrl_c = run_console(tmp_path / "c.sqlite", "", "", interrupt=True)
    assert "Alexa: Would you like to start the routine" in first
    assert "(session ended" in second
    assert "(console closed)" in ctrl_c


class RecordingClient:
    """A test client that keeps every envelope it posts."""

    def __init__(self, client: FlaskClient) -> None:
        self.client, self.sent = client, []

    def post(self, path: str, *, json: dict[str, Any]) -> Any:
        self.sent.append(json)
        return self.client.post(path, json=json)


def test_sessions_and_attributes_are_carried_like_alexa_does(client: FlaskClient) -> None:
    """New session on launch; attributes of each answer go back with the next turn; a fresh one after stop."""
    recorder = RecordingClient(client)
    alexa = LocalAlexa(recorder, skill_id=rq.SKILL_ID)   # type: ignore[arg-type]
    for said in ("open foot coach", "start ankle rotations", "pause", "stop", "start toe curls"):
        alexa.send(MATCHER.match(said))
    launch, start, pause, stop, one_shot = recorder.sent
    assert [e["session"]["new"] for e in recorder.sent] == [True, False, False, False, True]
    assert launch["session"]["sessionId"] == pause["session"]["sessionId"] != one_shot["session"]["sessionId"]
    assert start["session"]["attributes"] and pause["session"]["attributes"] != start["session"]["attributes"]
    assert one_shot["session"]["attributes"] == {}
    assert len({e["request"]["requestId"] for e in recorder.sent}) == 5
    for envelope in recorder.sent:
        assert envelope["context"]["System"]["user"]["userId"] == console.CONSOLE_USER_ID
        at = datetime.strptime(envelope["request"]["timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        assert abs(datetime.now(timezone.utc) - at) < timedelta(seconds=5)
    assert alexa.in_session


def test_verification_banner_is_left_out_and_the_log_level_restored(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The console says in one line that it is local; the server's loud warning stays out of the way."""
    app_logger = logging.getLogger("skill.app")
    before = app_logger.level
    banner = run_console(tmp_path / "c.sqlite")[0]
    assert "request verification off" in banner
    assert not [r for r in caplog.records if "SKILL_VERIFY_SIGNATURES" in r.getMessage()]
    assert app_logger.level == before
    run_console(tmp_path / "c.sqlite", args=["--verbose"])
    assert [r for r in caplog.records if "SKILL_VERIFY_SIGNATURES" in r.getMessage()]


def fake_espeak(folder: Path, *, exit_status: int = 0) -> Path:
    """An 'espeak-ng' on PATH that writes its arguments to a file."""
    log = folder / "espeak.log"
    program = folder / "espeak-ng"
    program.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" >> "{log}"\necho broken >&2\nexit {exit_status}\n')
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    return log


def test_speak_plays_the_ssml_through_espeak_ng(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--speak passes each answer's SSML to `espeak-ng -m`."""
    log = fake_espeak(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("PULSE_SERVER", "unix:/nonexistent/pulse")   # an audio output, as far as the console can tell
    run_console(tmp_path / "c.sqlite", "stop", args=["--speak"])
    played = log.read_text()
    assert played.count("-m\n<speak>") == 2 and "Welcome to Foot Coach" in played


def test_speak_without_espeak_ng_says_so_once_and_goes_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No espeak-ng: one clear note, the conversation still works."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    transcript = "".join(run_console(tmp_path / "c.sqlite", "stop", args=["--speak"]))
    assert transcript.count("espeak-ng is not installed") == 1 and "(session ended" in transcript


def test_a_failing_espeak_ng_turns_speech_off_without_failing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """espeak-ng exiting with an error is reported once; the console carries on."""
    log = fake_espeak(tmp_path, exit_status=1)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("PULSE_SERVER", "unix:/nonexistent/pulse")
    transcript = "".join(run_console(tmp_path / "c.sqlite", "stop", args=["--speak"]))
    assert transcript.count("espeak-ng failed") == 1 and "broken" in transcript and "(session ended" in transcript
    assert log.read_text().count("<speak>") == 1


def test_database_defaults_to_a_file_in_the_home_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No --database: ~/.foot-coach/console.sqlite (folder created); a URL is used as given."""
    monkeypatch.setenv("HOME", str(tmp_path))
    assert console.database_url(None) == f"sqlite:///{tmp_path / '.foot-coach' / 'console.sqlite'}"
    assert (tmp_path / ".foot-coach").is_dir()
    assert console.database_url("postgresql://db/x") == "postgresql://db/x"


def test_a_missing_interaction_model_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown locale names the file it looked for."""
    assert console.main(["--database", str(tmp_path / "c.sqlite"), "--locale", "xx-XX"], out=io.StringIO()) == 2
    assert "xx-XX.json" in capsys.readouterr().err
