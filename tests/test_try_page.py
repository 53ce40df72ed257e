"""The try page in a real browser: Debian's Chromium, headless, driven by Playwright, with a fake clock.

The try app runs in werkzeug's server on 127.0.0.1 (a free port, a temporary SQLite file) in a thread.
The page's clock is Playwright's: paused, and moved only by the test (clock.run_for), so a minute of
counting plays in a moment and every request timestamp is known. Nothing here downloads a browser:
without Chromium these tests skip, naming the package to install, and fail when CI is "true".
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NoReturn

import pytest

from skill.tryout.server import create_try_app
from skill.tryout.timeline import speech_timeline

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[1]
SCREENSHOT = ROOT / "test-artifacts" / "try-page-counting.png"
INSTALL = "apt-get install -y chromium"
START = datetime(2024, 1, 1, 8, 0, 0, tzinfo=timezone.utc)   # the page's clock when the test begins
WAIT_MS = 10_000          # every wait on the page is bounded
SILENCE_MS = 8_000


def unavailable(reason: str) -> NoReturn:
    """Skip, or in CI (CI=true) fail: CI installs Chromium, so a missing browser there is a broken setup."""
    message = f"{reason}; install it with: {INSTALL}"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium from the system, never a downloaded build."""
    executable = shutil.which("chromium")
    if executable is None:
        unavailable("Chromium is not installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright is not installed (./dev installs the [test] extra)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True, timeout=30_000)
        yield launched
        launched.close()


@pytest.fixture
def try_url(tmp_path: Path) -> Iterator[str]:
    """The try app served on 127.0.0.1 in a thread, stopped after the test."""
    from werkzeug.serving import make_server

    app = create_try_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'try.sqlite'}"})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="try-page-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/try/"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        app.extensions["foot_coach_try"].close()
        app.extensions["foot_coach_store"].close()


@pytest.fixture
def page(browser: Any, try_url: str) -> Iterator[Any]:
    """The page, loaded, its clock paused at START; requests anywhere but 127.0.0.1 are refused."""
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    context.route(re.compile(r"^(?!http://127\.0\.0\.1[:/])"), lambda route: route.abort())
    opened = context.new_page()
    opened.set_default_timeout(WAIT_MS)
    # The fake clock runs from install until pause_at; a minute is more than the page may take to load.
    opened.clock.install(time=START.timestamp() - 60)
    opened.goto(try_url, timeout=WAIT_MS)
    opened.clock.pause_at(START.timestamp())
    try:
        yield opened
    finally:
        context.close()


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect
    return playwright_expect(locator)


def say(page: Any, text: str) -> None:
    """Type a sentence and send it; returns when the answer has arrived (the form is free again)."""
    page.fill("#text", text)
    page.press("#text", "Enter")
    wait_for_answer(page)


def press(page: Any, phrase: str) -> None:
    """Press the button for a common phrase; returns when the answer has arrived."""
    page.click(f'.phrases button[data-say="{phrase}"]')
    wait_for_answer(page)


def wait_for_answer(page: Any) -> None:
    expect(page.locator("#say-form")).not_to_have_class(re.compile("busy"), timeout=WAIT_MS)


def screen(page: Any, component: str) -> Any:
    return page.locator(f'#screen [data-component="{component}"]')


def last_alexa_line(page: Any) -> Any:
    return page.locator("#transcript li.alexa").last


def test_the_page_loads(page: Any) -> None:
    expect(page).to_have_title("Foot Coach: try it in a browser")
    expect(screen(page, "title")).to_have_text("Foot Coach")
    for phrase in ("open foot coach", "start the routine", "start ankle circles", "pause", "resume", "what's next",
                   "slower", "sounds off", "sounds on", "it hurts", "stop"):
        expect(page.locator(f'.phrases button[data-say="{phrase}"]')).to_be_visible()
    expect(page.locator("#status")).to_contain_text("open foot coach")


def test_a_button_sends_real_request_json_and_the_panel_shows_it(page: Any) -> None:
    press(page, "open foot coach")
    newest = page.locator("#exchanges details").first
    expect(newest.locator("summary")).to_contain_text("LaunchRequest → HTTP 200")
    request = newest.locator("pre.request")
    expect(request).to_contain_text('"type": "LaunchRequest"')
    expect(request).to_contain_text('"timestamp": "2024-01-01T08:00:00Z"')   # the page's clock when pressed
    expect(request).to_contain_text('"Alexa.Presentation.APL"')
    expect(newest.locator("pre.response")).to_contain_text("Welcome to Foot Coach")
    expect(page.locator("#transcript")).to_contain_text("[LaunchRequest]")


def test_the_words_and_the_counter_move_in_time(page: Any) -> None:
    """A set of toe walking, played on the fake clock: words, pauses and the counter at their times."""
    press(page, "open foot coach")
    say(page, "start toe walking")        # said over the welcome, at START: the count starts now
    answer = last_alexa_line(page)
    expect(answer).to_have_text(re.compile(r"^Alexa\s*Let's$"))
    expect(screen(page, "title")).to_have_text("Toe walking")
    expect(screen(page, "caption")).to_have_text("Set 1 of 5")
    expect(screen(page, "counter")).to_have_text("")
    began = time.monotonic()
    page.clock.run_for(9_000)
    expect(answer).not_to_contain_text("position")
    page.clock.run_for(1_000)           # "Get into position." then five seconds to get there
    expect(answer).to_contain_text("Get into position. … 5 s …")
    page.clock.run_for(8_300)           # 18.3 s: "Let's begin. Set one of five." said, the walking not yet
    expect(answer).to_contain_text("Set one of five.")
    expect(screen(page, "counter")).to_have_text("")
    page.clock.run_for(200)             # 18.5 s: "Up on your tiptoes and walk", and the counter starts
    expect(screen(page, "counter")).to_have_text("0")
    page.clock.run_for(4_800)           # 23.3 s
    expect(screen(page, "counter")).to_have_text("0")
    page.clock.run_for(200)             # 23.5 s: "five"
    expect(screen(page, "counter")).to_have_text("5")
    expect(answer).to_contain_text(re.compile(r"walk\. … 2\.6 s … five$"))
    page.clock.run_for(15_000)          # 38.5 s: the set ends as its sound starts, "and stop" after it
    expect(screen(page, "counter")).to_have_text("✓")
    expect(screen(page, "caption")).to_have_text("And stop")
    expect(answer).to_contain_text(re.compile(r"fifteen … 4\.6 s … +♪ hold ends\s*$"))
    page.clock.run_for(1_600)           # 40.1 s: the sound (0.71 s) and "and stop." said, the rest counts down
    expect(screen(page, "caption")).to_have_text("Rest")
    page.clock.run_for(20_400)          # 60.5 s: halfway through set two
    expect(screen(page, "caption")).to_have_text("Set 2 of 5")
    expect(screen(page, "counter")).to_have_text("10")
    expect(page.locator("#status")).to_have_text("Alexa is speaking")
    assert time.monotonic() - began < 10, "a minute of counting on the fake clock takes moments"
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=False)


def test_pause_then_resume_continues_at_the_set_shown(page: Any) -> None:
    """Pausing mid-set stops the playback there; the pause request carries the page's time; resume picks
    up at the set the screen showed when paused."""
    press(page, "open foot coach")
    say(page, "start toe walking")
    page.clock.run_for(60_000)
    expect(screen(page, "caption")).to_have_text("Set 2 of 5")
    expect(screen(page, "counter")).to_have_text("10")
    shown = screen(page, "caption").text_content()
    press(page, "pause")
    expect(page.locator("#exchanges details").first.locator("pre.request")).to_contain_text(
        '"timestamp": "2024-01-01T08:01:00Z"')
    expect(page.locator("#transcript li.alexa").nth(-2)).to_contain_text(
        re.compile(r"ten … 4\.6 s … +\(cut off\)$"))   # the count stopped where it was
    expect(screen(page, "caption")).to_have_text(shown)          # the screen keeps what it showed
    expect(screen(page, "counter")).to_have_text("10")
    page.clock.run_for(5_000)
    expect(last_alexa_line(page)).to_contain_text("Paused at toe walking, set two.")
    page.clock.run_for(2_000)
    press(page, "resume")
    page.clock.run_for(10_000)          # "Picking up ... Set two of five." and the set's first five seconds
    expect(last_alexa_line(page)).to_contain_text("Picking up at toe walking. Set two of five.")
    expect(screen(page, "caption")).to_have_text(shown)
    expect(screen(page, "counter")).to_have_text("5")


def test_the_reprompt_after_8_s_of_silence_then_the_session_ends(page: Any) -> None:
    press(page, "open foot coach")
    response = page.locator("#exchanges details").first.locator("pre.response")
    expect(response).to_contain_text("outputSpeech")
    answer = json.loads(response.text_content())["response"]
    speech_ms = round(speech_timeline(answer["outputSpeech"]["ssml"])["seconds"] * 1000)
    reprompt_ms = round(speech_timeline(answer["reprompt"]["outputSpeech"]["ssml"])["seconds"] * 1000)
    page.clock.run_for(speech_ms)
    expect(page.locator("#status")).to_have_text("Listening")
    page.clock.run_for(SILENCE_MS - 100)
    expect(page.locator("#transcript")).not_to_contain_text("reprompt")
    page.clock.run_for(100)
    expect(page.locator("#transcript")).to_contain_text("(8 s of silence: Alexa says the reprompt)")
    expect(last_alexa_line(page)).to_have_text(re.compile(r"^Alexa\s*Would$"))
    page.clock.run_for(reprompt_ms)
    expect(last_alexa_line(page)).to_contain_text("or name an exercise, like ankle circles?")
    expect(page.locator("#exchanges details")).to_have_count(1)
    page.clock.run_for(SILENCE_MS)
    newest = page.locator("#exchanges details").first
    expect(newest.locator("summary")).to_contain_text("SessionEndedRequest EXCEEDED_MAX_REPROMPTS")
    expect(newest.locator("pre.request")).to_contain_text('"timestamp": "2024-01-01T08:00:')
    expect(page.locator("#status")).to_have_text("Session closed")


def test_an_answer_that_ends_the_session_closes_it(page: Any) -> None:
    press(page, "open foot coach")
    press(page, "stop")
    expect(page.locator("#exchanges details").first.locator("pre.response")).to_contain_text(
        '"shouldEndSession": true')
    page.clock.run_for(30_000)
    expect(page.locator("#status")).to_have_text("Session closed")
    expect(page.locator("#exchanges details")).to_have_count(2)   # no reprompt, no SessionEndedRequest
    expect(page.locator("#transcript")).not_to_contain_text("reprompt")


def test_sounds_off_and_on_from_the_page(page: Any) -> None:
    """The sound cues show in the transcript as they play; "sounds off" leaves the release words only."""
    press(page, "open foot coach")
    press(page, "sounds off")
    page.clock.run_for(8_000)
    expect(last_alexa_line(page)).to_contain_text("Okay, no more sounds.")
    say(page, "start toe presses")
    page.clock.run_for(90_000)
    counted = page.locator("#transcript li.alexa", has_text="Rep two").last
    expect(counted).to_contain_text("Next up is")
    assert "♪" not in (counted.text_content() or "")
    assert (counted.text_content() or "").count("and release.") == 10
    press(page, "sounds on")
    page.clock.run_for(8_000)
    expect(last_alexa_line(page)).to_contain_text("Okay, sounds are on")
    say(page, "start toe presses")
    page.clock.run_for(90_000)
    again = page.locator("#transcript li.alexa", has_text="Rep two").last   # before it, the reprompt may follow
    expect(again).to_contain_text("♪ hold ends")
    expect(again).to_contain_text("♪ exercise done")
    assert (again.text_content() or "").count("♪ hold ends") == 9


def test_reminders_from_the_page_with_alexas_permission_question(page: Any) -> None:
    """"Remind me": Alexa's own permission question on the page, "I approve", the offer, "yes": the
    reminder is created at the stand-in for Alexa's Reminders API, in this machine's time zone."""
    press(page, "open foot coach")
    say(page, "remind me to do my foot exercises")
    page.clock.run_for(10_000)
    expect(page.locator("#transcript")).to_contain_text("(Alexa's own question)")
    expect(page.locator("#transcript")).to_contain_text("Alexa asks for the permission alexa::alerts:reminders")
    say(page, "I approve")
    expect(page.locator("#transcript")).to_contain_text("[Connections.Response AskFor: ACCEPTED]")
    page.clock.run_for(15_000)
    expect(last_alexa_line(page)).to_contain_text("Shall I remind you")
    say(page, "yes")
    expect(page.locator("#transcript")).to_contain_text("[Reminders API: POST /v1/alerts/reminders: every day at")
    page.clock.run_for(15_000)
    expect(page.locator("#transcript li.alexa", has_text="Done.").last).to_contain_text("I'll remind you")


def test_silence_after_alexas_permission_question_is_no_answer(page: Any) -> None:
    press(page, "open foot coach")
    say(page, "remind me to do my foot exercises")
    page.clock.run_for(10_000 + 8_000 + 1_000)
    expect(page.locator("#transcript")).to_contain_text("[Connections.Response AskFor: NOT_ANSWERED]")
