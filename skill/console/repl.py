"""A local console: type what you would say to Alexa, and read (or hear) what Foot Coach answers.

``python -m skill.console`` builds the real app with create_app() and posts request envelopes to
it through Flask's test client, in-process: no HTTP server, no Alexa, no signatures. Typed text is
matched against the interaction model (console_matching), sessions and their attributes are
carried between turns the way Alexa carries them, and progress is kept for one local user in an
SQLite file, so "Welcome back" works across runs. Speech is printed with its pauses visible
("one ... 2 s ... two"); ``--speak`` also plays it through espeak-ng (speaker.py). Directives and
cards are shown, Alexa's permission question is asked and answered (directives.py), and Alexa's
APIs (time zone, reminders) are a local stand-in on 127.0.0.1 (local_apis.py).
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from flask.testing import FlaskClient

from skill.app import create_app
from skill.console.directives import PermissionRequest, describe
from skill.console.local_apis import LocalAlexaApis, describe_call
from skill.console.matching import LAUNCH_REQUEST, Match, UtteranceMatcher
from skill.console.speaker import Speaker

CONSOLE_USER_ID = "amzn1.ask.account.CONSOLE"
CONSOLE_SKILL_ID = "amzn1.ask.skill.00000000-0000-4000-8000-00000000c0de"
CONSOLE_DEVICE_ID = "amzn1.ask.device.CONSOLE"
APL_INTERFACES = {"Alexa.Presentation.APL": {"runtime": {"maxVersion": "2023.2"}}}
MODEL_DIR = Path(__file__).resolve().parents[2] / "interaction_model"
PROMPT = "you> "
DIM, RESET = "\033[2m", "\033[0m"


def default_database() -> Path:
    """Where the console keeps progress unless told otherwise: ~/.foot-coach/console.sqlite."""
    return Path.home() / ".foot-coach" / "console.sqlite"


def database_url(database: str | None) -> str:
    """A DATABASE_URL for --database: a URL as given, else an SQLite file (its folder is created)."""
    if database and "://" in database:
        return database
    path = Path(database).expanduser() if database else default_database()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path.resolve()}"


# -- showing speech ---------------------------------------------------------------------------

def show_ssml(ssml: str) -> str:
    """SSML as plain text with pauses visible: 'one ... 2 s ... two'; consecutive breaks are added up."""
    try:
        root = ET.fromstring(ssml)
    except ET.ParseError:
        return ssml
    rates = [node.get("rate") for node in root.iter("prosody") if node.get("rate")]
    parts: list[str] = []
    pause_ms = 0
    for piece in _pieces(root):
        if isinstance(piece, int):
            pause_ms += piece
            continue
        if not piece.strip():
            continue
        if pause_ms:
            parts.append(_pause(pause_ms))
            pause_ms = 0
        parts.append(piece.strip())
    if pause_ms:
        parts.append(_pause(pause_ms))
    text = re.sub(r"\s+", " ", " ".join(parts)).strip()
    return f"(rate {rates[0]}) {text}" if rates and rates[0] != "100%" else text


def _pieces(node: ET.Element) -> Iterator[str | int]:
    """Text and break lengths (ms) in document order."""
    if node.tag == "break":
        yield _break_ms(node.get("time", ""))
    if node.text:
        yield node.text
    for child in node:
        yield from _pieces(child)
        if child.tail:
            yield child.tail


def _break_ms(time: str) -> int:
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s)\s*", time)
    if not found:
        return 0
    return round(float(found.group(1)) * (1 if found.group(2) == "ms" else 1000))


def _pause(ms: int) -> str:
    if not ms:
        return "..."
    return f"... {ms / 1000:g} s ..."


# -- the conversation -------------------------------------------------------------------------

@dataclass(frozen=True)
class Turn:
    """What came back for one request."""

    status: int
    ssml: str = ""
    reprompt: str = ""
    ends_session: bool = False
    error: str = ""
    response: dict[str, Any] = field(default_factory=dict)


class LocalAlexa:
    """Post envelopes in-process for one user, carrying sessions and their attributes like Alexa."""

    def __init__(self, client: FlaskClient, *, user_id: str = CONSOLE_USER_ID,
                 skill_id: str = CONSOLE_SKILL_ID, locale: str = "en-US", apis: LocalAlexaApis | None = None,
                 screen: bool = False) -> None:
        self.client = client
        self.user_id, self.skill_id, self.locale = user_id, skill_id, locale
        self.apis, self.screen = apis, screen
        self.granted: set[str] = set()              # permission scopes the user approved
        self.session_id: str | None = None        # None: no session is open
        self.attributes: dict[str, Any] = {}

    @property
    def in_session(self) -> bool:
        """True while a session is open (the last response did not end it)."""
        return self.session_id is not None

    def send(self, match: Match) -> Turn:
        """Send what the user said; a launch, or anything said outside a session, opens a new session."""
        new = match.request_type == LAUNCH_REQUEST or not self.in_session
        if new:
            self.session_id, self.attributes = f"amzn1.echo-api.session.{uuid.uuid4()}", {}
        return self._post(match.to_request(self.skill_id), new=new)

    def answer_permission(self, request: PermissionRequest, status: str) -> Turn:
        """Alexa's Connections.Response to the skill's AskFor; an approval grants the scopes from now on."""
        if status == "ACCEPTED":
            self.granted |= set(request.scopes)
        elif status == "DENIED":
            self.granted -= set(request.scopes)
        return self._post(request.answer(status), new=False)

    def end_session(self, reason: str = "EXCEEDED_MAX_REPROMPTS") -> Turn:
        """Tell the skill the session is over (the user said nothing twice), as Alexa does."""
        return self._post({"type": "SessionEndedRequest", "reason": reason}, new=False)

    def _post(self, request: dict[str, Any], *, new: bool) -> Turn:
        response = self.client.post("/", json=self._envelope(request, new=new))
        body = response.get_json(silent=True) or {}
        if response.status_code != 200 or "response" not in body:
            self.session_id, self.attributes = None, {}
            return Turn(response.status_code, ends_session=True, error=response.get_data(as_text=True).strip())
        answer = body["response"]
        turn = Turn(
            status=200,
            ssml=(answer.get("outputSpeech") or {}).get("ssml", ""),
            reprompt=((answer.get("reprompt") or {}).get("outputSpeech") or {}).get("ssml", ""),
            ends_session=answer.get("shouldEndSession") is True or request["type"] == "SessionEndedRequest",
            response=answer,
        )
        if turn.ends_session:
            self.session_id, self.attributes = None, {}
        else:
            self.attributes = body.get("sessionAttributes") or {}
        return turn

    def _envelope(self, request: dict[str, Any], *, new: bool) -> dict[str, Any]:
        # Without the local API stand-in the request has no device and no apiEndpoint: then the skill
        # asks no Settings API for a time zone (days are UTC) and cannot reach the Reminders API.
        stamped = {**request, "requestId": f"amzn1.echo-api.request.{uuid.uuid4()}", "locale": self.locale,
                   "timestamp": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
        application: dict[str, Any] = {"applicationId": self.skill_id}
        user: dict[str, Any] = {"userId": self.user_id}
        if self.granted:
            user["permissions"] = {"consentToken": f"console-consent-{self.user_id}",
                                   "scopes": {scope: {"status": "GRANTED"} for scope in sorted(self.granted)}}
        system: dict[str, Any] = {"application": application, "user": user}
        if self.apis or self.screen:
            system["device"] = {"deviceId": CONSOLE_DEVICE_ID,
                                "supportedInterfaces": APL_INTERFACES if self.screen else {}}
        if self.apis:
            system["apiEndpoint"], system["apiAccessToken"] = self.apis.url, self.apis.token
        return {
            "version": "1.0",
            "session": {"new": new, "sessionId": self.session_id or "amzn1.echo-api.session.ENDED",
                        "application": application, "attributes": self.attributes, "user": user},
            "context": {"System": system},
            "request": stamped,
        }


class Console:
    """The read-match-send-print loop."""

    def __init__(self, alexa: LocalAlexa, matcher: UtteranceMatcher, *, out: TextIO,
                 speaker: Speaker | None = None, echo: bool = False) -> None:
        self.alexa, self.matcher, self.out = alexa, matcher, out
        self.speaker = speaker
        self.echo = echo                    # print typed lines (input does not when stdin is a pipe)
        self.dim = out.isatty()
        self.last_reprompt = ""
        self.silences = 0
        self.asking: PermissionRequest | None = None    # Alexa's permission question awaits an answer

    def run(self, read: Callable[[str], str] = input, *, launch: bool = True) -> None:
        """Open Foot Coach (unless launch is False), then answer line after line until EOF or Ctrl-C."""
        try:
            if launch:
                self.say("")
            while True:
                try:
                    line = read(PROMPT)
                except EOFError:
                    break
                if self.echo:
                    print(line, file=self.out)
                self.say(line)
        except KeyboardInterrupt:
            pass
        print("\n(console closed)", file=self.out)

    def say(self, line: str) -> None:
        """Handle one typed line: the answer to Alexa's permission question, silence, a launch, or an utterance."""
        if self.asking:
            request, self.asking = self.asking, None
            status = request.status_for(line)
            self.note(f"Connections.Response AskFor: {status}")
            self._show(self.alexa.answer_permission(request, status))
            return
        if not line.strip() and self.alexa.in_session:
            self._silence()
            return
        match = self.matcher.match(line)
        self.note(match.describe())
        self._show(self.alexa.send(match))

    def _silence(self) -> None:
        """Saying nothing: Alexa repeats the reprompt once, then ends the session."""
        self.silences += 1
        if self.silences == 1 and self.last_reprompt:
            self.note("silence: Alexa says the reprompt again")
            self._print("Alexa: " + show_ssml(self.last_reprompt))
            if self.speaker:
                self.speaker.speak(self.last_reprompt)
            return
        self.note("silence again: Alexa ends the session")
        self._show(self.alexa.end_session())

    def _show(self, turn: Turn) -> None:
        if turn.error:
            self._print(f"(the skill answered HTTP {turn.status}: {turn.error[:200]})")
        if turn.ssml:
            self._print("Alexa: " + show_ssml(turn.ssml))
        if turn.reprompt and not turn.ends_session:
            self._print("       " + self._dimmed("(reprompt) " + show_ssml(turn.reprompt)))
        for line in describe(turn.response):
            self.note(line)
        self.last_reprompt = "" if turn.ends_session else turn.reprompt
        self.silences = 0
        if self.speaker:
            self.speaker.speak(turn.ssml)
        self.asking = PermissionRequest.from_response(turn.response)
        if self.asking:
            # Alexa asks in its own voice; the next line is the user's answer.
            self._print("Alexa: " + self.asking.question() + "  (Alexa's own question)")
        if turn.ends_session:
            self._print("(session ended; say something, or press Enter, to open Foot Coach again)")

    def note(self, text: str) -> None:
        """A bracketed, dimmed line about what happened (not what Alexa said)."""
        self._print(self._dimmed(f"  [{text}]"))

    def _dimmed(self, text: str) -> str:
        return f"{DIM}{text}{RESET}" if self.dim else text

    def _print(self, text: str) -> None:
        print(text, file=self.out, flush=True)


# -- entry point ------------------------------------------------------------------------------

@contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    """Raise one logger to ERROR for a moment (the app's "verification off" banner is for servers)."""
    logger = logging.getLogger(logger_name)
    previous = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(previous)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m skill.console",
        description="Talk to Foot Coach by typing what you would say to Alexa. The real skill runs in-process.")
    parser.add_argument("--database", metavar="PATH",
                        help="SQLite file for progress (default ~/.foot-coach/console.sqlite), or a DATABASE_URL")
    parser.add_argument("--user", default=CONSOLE_USER_ID, metavar="ID",
                        help=f"the Alexa user id to talk as (default {CONSOLE_USER_ID})")
    parser.add_argument("--speak", action="store_true", help="also play the speech through espeak-ng, if installed")
    parser.add_argument("--speak-to", metavar="DIR", type=Path,
                        help="write each answer's speech to DIR/NNN.wav with espeak-ng (no audio device needed)")
    parser.add_argument("--screen", action="store_true",
                        help="talk as an Echo Show (APL supported), so the screen directives are sent and shown")
    parser.add_argument("--time-zone", metavar="ZONE",
                        help="the device's time zone the local Settings API answers (default: this machine's)")
    parser.add_argument("--locale", default="en-US", help="request locale and interaction model (default en-US)")
    parser.add_argument("--model", metavar="PATH", type=Path,
                        help="interaction model JSON (default interaction_model/<locale>.json)")
    parser.add_argument("--no-launch", action="store_true", help="do not open Foot Coach before the first line")
    parser.add_argument("-v", "--verbose", action="store_true", help="show the app's log, request lines included")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, *, read: Callable[[str], str] = input, out: TextIO | None = None) -> int:
    """Run the console; returns the exit status."""
    args = parse_args(argv)
    out = out or sys.stdout
    model = args.model or MODEL_DIR / f"{args.locale}.json"
    if not model.is_file():
        print(f"No interaction model at {model}; pass --model PATH or another --locale.", file=sys.stderr)
        return 2
    # Configure logging before the app exists: with a handler in place the app adds none of its own,
    # and at WARNING the per-request INFO lines stay out of the conversation.
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    url = database_url(args.database)
    config = {"DATABASE_URL": url, "SKILL_VERIFY_SIGNATURES": False, "SKILL_ID": CONSOLE_SKILL_ID}
    if args.verbose:
        app = create_app(config)
    else:
        with _quiet(create_app.__module__):
            app = create_app(config)
    try:
        where = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else "the --database URL"
        print(f"Foot Coach local console: the real skill in-process, request verification off,"
              f" user {args.user}, progress in {where}.", file=out)
        print("Type what you would say to Alexa. An empty line is silence; Ctrl-D or Ctrl-C quits.", file=out)
        apis = LocalAlexaApis(zone=args.time_zone,
                              on_call=lambda method, path, body: console.note(describe_call(method, path, body)))
        alexa = LocalAlexa(app.test_client(), user_id=args.user, locale=args.locale, apis=apis.start(),
                           screen=args.screen)
        print(f"Alexa's APIs (time zone {apis.zone}, reminders) are a local stand-in at {apis.url}.", file=out)
        speaker = Speaker(out, enabled=args.speak, wav_dir=args.speak_to)
        console = Console(alexa, UtteranceMatcher.from_file(model), out=out, speaker=speaker,
                          echo=read is not input or not sys.stdin.isatty())
        console.run(read, launch=not args.no_launch)
    finally:
        if "apis" in locals():
            apis.close()
        app.extensions["foot_coach_store"].close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
