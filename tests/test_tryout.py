"""The try page's server side, without a browser: never served by the production app, malformed input
is a 400, and each answer's timeline agrees with what the skill planned (words, pauses, sounds, screen).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from skill.alexa.apl import counter_commands, render_document
from skill.app import create_app
from skill.console.matching import UtteranceMatcher
from skill.console.repl import MODEL_DIR
from skill.content.catalog import load_catalog
from skill.content.prompts import Prompts
from skill.content.sounds import cue_labels, load_sounds
from skill.conversation.replies import Screen
from skill.speech.ssml import Speech
from skill.tryout.conversations import Conversations
from skill.tryout.page import make_try_blueprint
from skill.tryout.server import can_open_browser, create_try_app
from skill.tryout.timeline import (
    first_frame,
    screen_steps,
    screen_timeline,
    speech_segments,
    speech_timeline,
)
from skill.workout.planning import plan_turn
from skill.workout.routine import Mode, Position

SOUNDS = load_sounds().by_address()   # the skill's own cues, by soundbank address
MATCHER = UtteranceMatcher.from_file(MODEL_DIR / "en-US.json")
HOLD_END = next(src for src, label in cue_labels().items() if label == "hold ends")
AT = 1_704_096_000_000   # 2024-01-01T08:00:00Z, in milliseconds
TRY_PATHS = ("/try", "/try/", "/try/static/index.html", "/try/static/try.js", "/try/static/player.js",
             "/try/static/try.css")
API_PATHS = ("/try/api/say", "/try/api/silence")


@pytest.fixture
def try_app(tmp_path: Path) -> Iterator[Flask]:
    """The try app on a temporary SQLite file."""
    app = create_try_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'try.sqlite'}"})
    yield app
    app.extensions["foot_coach_try"].close()
    app.extensions["foot_coach_store"].close()


def status_of(answer: Any) -> int:
    """An answer's status, the answer closed (a static file is streamed from an open file)."""
    answer.close()
    return int(answer.status_code)


def turn_body(text: str | None = "open foot coach", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"page": "page-1", "text": text, "at": AT}
    body.update(changes)
    return body


def test_the_production_app_serves_no_try_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """create_app() as deployed (verification on) answers 404 for the page, its files and its endpoints."""
    monkeypatch.delenv("SKILL_VERIFY_SIGNATURES", raising=False)
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite'}"})
    try:
        assert app.config["SKILL_VERIFY_SIGNATURES"] is True
        client = app.test_client()
        for path in TRY_PATHS:
            assert status_of(client.get(path)) == 404, path
        for path in API_PATHS:
            assert client.post(path, json=turn_body()).status_code == 404, path
    finally:
        app.extensions["foot_coach_store"].close()


def test_the_try_blueprint_serves_nothing_where_verification_is_on(tmp_path: Path) -> None:
    """Registered on an app that checks signatures (by mistake), the page and its endpoints are 404."""
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite'}", "SKILL_VERIFY_SIGNATURES": True})
    try:
        app.register_blueprint(make_try_blueprint(Conversations(app.test_client, MATCHER)))
        client = app.test_client()
        for path in TRY_PATHS[1:]:
            assert status_of(client.get(path)) == 404, path
        for path in API_PATHS:
            assert client.post(path, json=turn_body()).status_code == 404, path
    finally:
        app.extensions["foot_coach_store"].close()


def test_the_try_app_has_verification_off_whatever_the_environment_says(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKILL_VERIFY_SIGNATURES", "1")
    app = create_try_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'try.sqlite'}"})
    try:
        client = app.test_client()
        assert client.get("/healthz").get_json()["verification"] == "off"
        assert status_of(client.get("/try/")) == 200
        assert status_of(client.get("/try/static/try.js")) == 200
    finally:
        app.extensions["foot_coach_try"].close()
        app.extensions["foot_coach_store"].close()


@pytest.mark.parametrize("raw", [
    b"", b"not json", b"[1, 2]", b'"text"', b"null", b'{"page": "p", "text": "hi", "at": NaN}',
    b'{"page": "p", "text": "hi", "at": Infinity}', b'{"page": "p", "text": "hi", "at": 1' + b"0" * 400 + b"}",
], ids=["empty", "not-json", "array", "string", "null", "nan", "infinity", "huge-int"])
def test_malformed_bodies_are_a_400(try_app: Flask, raw: bytes) -> None:
    for path in API_PATHS:
        answer = try_app.test_client().post(path, data=raw, content_type="application/json")
        assert answer.status_code == 400, (path, answer.get_data(as_text=True))
        assert answer.get_json()["error"]


@pytest.mark.parametrize("changes", [
    {"page": None}, {"page": ""}, {"page": "a b"}, {"page": "x" * 65}, {"page": 7},
    {"text": None}, {"text": 42}, {"text": ["pause"]}, {"text": "a" * 301},
    {"at": None}, {"at": "2024-01-01T08:00:00Z"}, {"at": True}, {"at": -1}, {"at": 1e300}, {"at": 10**30},
])
def test_wrong_fields_are_a_400_naming_the_field(try_app: Flask, changes: dict[str, Any]) -> None:
    [field] = changes
    answer = try_app.test_client().post("/try/api/say", json=turn_body(**changes))
    assert answer.status_code == 400
    assert field in answer.get_json()["error"]


def test_an_oversized_body_is_a_400(try_app: Flask) -> None:
    answer = try_app.test_client().post("/try/api/say", json=turn_body("pause " * 5000))
    assert answer.status_code == 400


def test_a_turn_is_real_request_json_stamped_with_the_page_clock(try_app: Flask) -> None:
    """The text goes through the matcher, the envelope through POST /, and the answer comes with its timeline."""
    client = try_app.test_client()
    opened = client.post("/try/api/say", json=turn_body()).get_json()
    assert opened["heard"] == "LaunchRequest"
    assert opened["request"]["request"]["timestamp"] == "2024-01-01T08:00:00Z"
    assert opened["request"]["context"]["System"]["device"]["supportedInterfaces"]["Alexa.Presentation.APL"]
    assert "Welcome to Foot Coach" in opened["response"]["response"]["outputSpeech"]["ssml"]
    assert opened["speech"]["segments"][0]["words"][:3] == ["Welcome", "to", "Foot"]
    assert opened["reprompt"]["seconds"] > 0 and not opened["ends_session"]

    later = client.post("/try/api/say", json=turn_body("start toe walking", at=AT + 7_400)).get_json()
    assert later["heard"].startswith("StartExerciseIntent")
    assert later["request"]["request"]["timestamp"] == "2024-01-01T08:00:07Z"
    assert later["request"]["session"]["new"] is False   # the session, and its attributes, carried on
    assert later["screen"]["frame"] == {"title": "Toe walking", "caption": "Set 1 of 5", "counter": ""}

    ended = client.post("/try/api/silence", json={"page": "page-1", "at": AT + 200_000}).get_json()
    assert ended["request"]["request"] == {**ended["request"]["request"], "type": "SessionEndedRequest",
                                           "reason": "EXCEEDED_MAX_REPROMPTS"}
    assert ended["ends_session"] is True
    again = client.post("/try/api/silence", json={"page": "page-1", "at": AT + 210_000}).get_json()
    assert again["request"] is None and again["ends_session"] is True


def test_the_spoken_count_and_the_screen_agree(try_app: Flask) -> None:
    """Each counter value shows when its number word is said, on the page's own timeline."""
    client = try_app.test_client()
    client.post("/try/api/say", json=turn_body())
    played = client.post("/try/api/say", json=turn_body("start toe walking")).get_json()
    said_at: dict[str, list[float]] = {}
    for segment in played["speech"]["segments"]:
        for index, word in enumerate(segment["words"]):
            said_at.setdefault(word.strip(".,?"), []).append(segment["at"] + index * segment["seconds"] / len(segment["words"]))
    numbers = {"5": "five", "10": "ten", "15": "fifteen"}
    steps = played["screen"]["steps"]
    resting = {step["at"] for step in steps if step["component"] == "caption" and step["value"] == "Rest"}
    counted = [step for step in steps
               if step["component"] == "counter" and step["value"] in numbers and step["at"] not in resting]
    assert len(counted) == 6, "two sets, each counted five, ten, fifteen"
    for step in counted:
        assert min(abs(at - step["at"]) for at in said_at[numbers[step["value"]]]) < 0.01, step
    assert max(step["at"] for step in played["screen"]["steps"]) <= played["speech"]["seconds"]


def test_speech_segments_follow_the_skills_own_estimate() -> None:
    """Breaks exact, words at 2.5 a second scaled by the rate: the same times as Speech.timeline()."""
    speech = Speech(rate_percent=80).say("Rep one.").pause(0.5).say("Hold").pause(0.6).pause(0.6).say("and release.")
    segments = speech_segments(speech.to_ssml())
    assert [(s.kind, s.text) for s in segments] == [("say", "Rep one."), ("pause", ""), ("say", "Hold"),
                                                     ("pause", ""), ("say", "and release.")]
    starts, kinds = [], []
    for at, event in speech.timeline():   # a segment starts where the kind of event changes
        if not kinds or type(event) is not kinds[-1]:
            starts.append(at)
        kinds.append(type(event))
    assert [s.at for s in segments] == pytest.approx(starts)
    assert segments[0].seconds == pytest.approx(2 / 2.5 / 0.8)
    assert segments[3].seconds == pytest.approx(1.2)
    timeline = speech_timeline(speech.to_ssml())
    assert timeline is not None and timeline["seconds"] == pytest.approx(speech.estimated_seconds(), abs=0.001)


def test_a_sound_lasts_its_length_from_sounds_json() -> None:
    ssml = f'<speak>Hold <break time="3s"/> <audio src="{HOLD_END}"/> and release.</speak>'
    segments = speech_segments(ssml)
    assert [(s.kind, s.text) for s in segments] == [("say", "Hold"), ("pause", ""), ("sound", "hold ends"),
                                                     ("say", "and release.")]
    sound = segments[2]
    assert (sound.at, sound.seconds) == pytest.approx((3.4, SOUNDS[HOLD_END].ms / 1000))
    assert segments[3].at == pytest.approx(3.4 + SOUNDS[HOLD_END].ms / 1000)
    # Not the skill's own SSML (a sound it never plays): shown as its words, nothing played or waited for.
    unknown = speech_segments('<speak><audio src="https://example.org/a.mp3">fallback</audio> hi</speak>')
    assert [(s.kind, s.text, s.seconds) for s in unknown] == [("say", "fallback hi", 0.8)]


def test_every_sound_cue_has_a_label_and_a_length() -> None:
    cues = json.loads((Path(__file__).resolve().parents[1] / "skill/content/sounds.json").read_text())["cues"]
    assert len(SOUNDS) == len(cues)
    assert all(cue_labels()[src] and sound.ms > 0 for src, sound in SOUNDS.items())


def test_ssml_that_does_not_parse_is_shown_as_its_words() -> None:
    segments = speech_segments("<speak>one <b>two</speak>")
    assert [s.words for s in segments] == [("one", "two")]


def test_the_screen_replays_the_skills_cues_at_their_times() -> None:
    turn = plan_turn(load_catalog(), Prompts.load(), Position("toe_walk"), Mode.ROUTINE, briefed=True)
    steps, _ = screen_steps(counter_commands(turn.cues))
    counters = [(step.at, step.value) for step in steps if step.component == "counter"]
    assert counters == [(pytest.approx(cue.at, abs=0.001), cue.counter) for cue in turn.cues]


def test_apl_delays_in_sequence_and_in_parallel() -> None:
    set_text = {"type": "SetValue", "property": "text", "componentId": "c"}
    commands = [{"type": "Sequential", "commands": [
        {"type": "Idle", "delay": 500}, {**set_text, "value": "a"},
        {"type": "Parallel", "commands": [{**set_text, "value": "b", "delay": 300}, {"type": "Idle", "delay": 1000}]},
        {**set_text, "value": "c"}, {"type": "SetValue", "property": "opacity", "componentId": "c", "value": 0},
    ]}]
    steps, end = screen_steps(commands)
    assert [(step.at, step.value) for step in steps] == [(0.5, "a"), (0.8, "b"), (1.5, "c")]
    assert end == 1500


def test_the_first_frame_fills_the_documents_bindings() -> None:
    turn = plan_turn(load_catalog(), Prompts.load(), Position("toe_press"), Mode.ROUTINE, briefed=True)
    directive = render_document(Screen("toe presses", turn.cues))
    assert first_frame(directive) == {"title": "Toe presses", "caption": "Rep 1 of 10", "counter": ""}
    assert screen_timeline({"directives": [directive]}) == {"frame": first_frame(directive), "steps": []}
    assert screen_timeline({"outputSpeech": {}}) is None


@pytest.mark.parametrize(("environ", "platform", "opens"), [
    ({"DISPLAY": ":0"}, "linux", True), ({}, "linux", False), ({"DISPLAY": ":0", "CI": "true"}, "linux", False),
    ({}, "darwin", True), ({"CI": "1"}, "win32", False),
])
def test_a_browser_is_opened_only_on_a_desktop_outside_ci(environ: dict[str, str], platform: str, opens: bool) -> None:
    assert can_open_browser(environ, platform) is opens

