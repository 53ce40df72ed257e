"""The try app and `./dev try`: the real skill with the try page, on 127.0.0.1, verification off.

create_try_app() is create_app() with request verification switched off and the page's blueprint
added; it is the only place the page is registered, so the production app never serves it. main()
serves it with werkzeug's threaded server on the loopback interface only, prints the page's address
and, on a desktop outside CI, opens it in the browser.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import webbrowser
from collections.abc import Mapping, Sequence
from typing import Any

from flask import Flask
from werkzeug.serving import make_server

from skill.app import create_app
from skill.console.local_alexa import CONSOLE_SKILL_ID
from skill.console.matching import UtteranceMatcher
from skill.console.repl import MODEL_DIR, database_url
from skill.tryout.conversations import Conversations
from skill.tryout.page import URL_PREFIX, make_try_blueprint

HOST = "127.0.0.1"   # local use only: the page sends unsigned requests to an app that accepts them
DEFAULT_PORT = 8001  # ./dev run has 8000


def create_try_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """The app with the try page: create_app() with verification always off, the console's skill id.

    TRY_LOCALE (default en-US) is the locale the page speaks and whose interaction model matches its text.
    """
    config = {"SKILL_ID": CONSOLE_SKILL_ID, "TRY_LOCALE": "en-US", **(test_config or {})}
    config["SKILL_VERIFY_SIGNATURES"] = False   # whatever the environment says: the page cannot sign
    app = create_app(config)
    locale = app.config["TRY_LOCALE"]
    matcher = UtteranceMatcher.from_file(MODEL_DIR / f"{locale}.json")
    conversations = Conversations(app.test_client, matcher, locale=locale)
    app.register_blueprint(make_try_blueprint(conversations))
    app.extensions["foot_coach_try"] = conversations   # close() it with the store: it stops the API stand-in
    return app


def page_url(port: int) -> str:
    """The page's address on this machine."""
    return f"http://{HOST}:{port}{URL_PREFIX}/"


def can_open_browser(environ: Mapping[str, str], platform: str) -> bool:
    """True on a desktop outside CI (on a Linux without a display a text browser would take the terminal)."""
    if environ.get("CI"):
        return False
    if platform.startswith("linux"):
        return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))
    return platform in ("darwin", "win32")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="./dev try",
        description="Serve a page on 127.0.0.1 that plays the real skill in real time, as an Echo Show would.")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port on 127.0.0.1 (default {DEFAULT_PORT})")
    parser.add_argument("--database", metavar="PATH",
                        help="SQLite file for progress (default: the console's, ~/.foot-coach/console.sqlite), "
                             "or a DATABASE_URL")
    parser.add_argument("--locale", default="en-US", help="request locale and interaction model (default en-US)")
    parser.add_argument("--no-browser", action="store_true", help="print the address only; open no browser")
    parser.add_argument("-v", "--verbose", action="store_true", help="show the app's log, request lines included")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the try page until Ctrl-C; returns the exit status."""
    args = parse_args(argv)
    if not (MODEL_DIR / f"{args.locale}.json").is_file():
        print(f"No interaction model for {args.locale} in interaction_model/; pass another --locale.", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    app = create_try_app({"DATABASE_URL": database_url(args.database), "TRY_LOCALE": args.locale})
    try:
        server = make_server(HOST, args.port, app, threaded=True)
    except OSError as err:
        print(f"Cannot listen on {HOST}:{args.port} ({err.strerror}); pass --port with a free one.", file=sys.stderr)
        app.extensions["foot_coach_store"].close()
        return 1
    url = page_url(server.server_port)
    print(f"Foot Coach, try it in a browser: {url}")
    print("Local use only: request verification is off. Ctrl-C stops the server.", flush=True)
    if not args.no_browser and can_open_browser(os.environ, sys.platform):
        try:
            webbrowser.open(url)
        except webbrowser.Error:
            pass   # the address is printed; a missing browser is no reason to stop
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        app.extensions["foot_coach_try"].close()
        app.extensions["foot_coach_store"].close()
    return 0
