"""A local console: type what you would say to Alexa, and read (or hear) what Foot Coach answers.

``python -m skill.console`` builds the real app with create_app() and posts request envelopes to
it in-process through Flask's test client (local_alexa.py): no HTTP server, no Alexa, no
signatures. Typed text is matched against the interaction model (matching.py), sessions and their
attributes are carried between turns the way Alexa carries them, and progress is kept for one
local user in an SQLite file, so "Welcome back" works across runs. Speech is printed with its
pauses visible ("one ... 2 s ... two", ssml_text.py); ``--speak`` also plays it through espeak-ng
(speaker.py). Directives and cards are shown, Alexa's permission question is asked and answered
(directives.py), and Alexa's APIs (time zone, reminders) are a local stand-in on 127.0.0.1
(local_apis.py).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from skill.app import create_app
from skill.console.directives import PermissionRequest, describe
from skill.console.local_alexa import (
    CONSOLE_SKILL_ID,
    CONSOLE_USER_ID,
    LocalAlexa,
    Turn,
)
from skill.console.local_apis import LocalAlexaApis, describe_call
from skill.console.matching import UtteranceMatcher
from skill.console.speaker import Speaker
from skill.console.ssml_text import show_ssml

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
