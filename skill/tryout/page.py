"""The try page's routes: the static page under /try/, and its two JSON endpoints.

Handlers only check what the page sent and hand it to the page's Conversation. Every malformed body
is a 400 with a JSON error, never a 500. The blueprint answers 404 to everything on an app whose
request verification is on, so registering it on a production app by mistake serves nothing.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, request

from skill.alexa.turn import EARLIEST_REQUEST, LATEST_REQUEST
from skill.tryout.conversations import Conversations

URL_PREFIX = "/try"
MAX_BODY_BYTES = 16 * 1024
MAX_TEXT_CHARS = 300          # far more than anyone says to Alexa in one go
_PAGE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class BadInput(ValueError):
    """What the page sent is not a turn: the message says which field and why."""


@dataclass(frozen=True)
class TurnInput:
    """A checked turn from the page: whose page, what was said (None: silence), and when."""

    page_id: str
    text: str | None
    at: datetime


def read_turn(payload: Any, *, needs_text: bool) -> TurnInput:
    """Check the page's JSON: {"page": id, "text": words, "at": the page's clock in epoch milliseconds}.

    Raises:
        BadInput: a field is missing, of the wrong type, or out of range.
    """
    if not isinstance(payload, dict):
        raise BadInput("the body must be a JSON object")
    page_id = payload.get("page")
    if not isinstance(page_id, str) or not _PAGE_ID.match(page_id):
        raise BadInput("page must be 1 to 64 letters, digits, '-' or '_'")
    text = payload.get("text")
    if needs_text and (not isinstance(text, str) or len(text) > MAX_TEXT_CHARS):
        raise BadInput(f"text must be a string of at most {MAX_TEXT_CHARS} characters")
    at = payload.get("at")
    if isinstance(at, bool) or not isinstance(at, (int, float)):
        raise BadInput("at must be the page's clock, in milliseconds since the epoch")
    try:
        seconds = float(at) / 1000
    except OverflowError as err:   # an integer beyond any float
        raise BadInput("at is not a time Alexa could send") from err
    if not (math.isfinite(seconds) and EARLIEST_REQUEST <= seconds <= LATEST_REQUEST):
        raise BadInput("at is not a time Alexa could send")
    return TurnInput(page_id, text if needs_text else None, datetime.fromtimestamp(seconds, timezone.utc))


def make_try_blueprint(conversations: Conversations) -> Blueprint:
    """The page at /try/, its files at /try/static/, and POST /try/api/say and /try/api/silence."""
    blueprint = Blueprint("try_page", __name__, url_prefix=URL_PREFIX, static_folder="static",
                          static_url_path="/static")

    @blueprint.before_request
    def only_without_verification() -> None:
        """Serve nothing where Alexa's signatures are checked: the page sends unsigned requests."""
        if current_app.config.get("SKILL_VERIFY_SIGNATURES", True):
            abort(404)

    @blueprint.get("/")
    def page() -> Response:
        """The page itself."""
        return blueprint.send_static_file("index.html")

    @blueprint.post("/api/say")
    def say() -> tuple[Response, int]:
        """One thing the user said: the request sent, the response, and how it plays."""
        return _turn(conversations, needs_text=True)

    @blueprint.post("/api/silence")
    def silence() -> tuple[Response, int]:
        """Silence after the reprompt: Alexa ends the session (SessionEndedRequest)."""
        return _turn(conversations, needs_text=False)

    return blueprint


def _turn(conversations: Conversations, *, needs_text: bool) -> tuple[Response, int]:
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return jsonify(error=f"the body is over {MAX_BODY_BYTES} bytes"), 400
    try:
        turn = read_turn(request.get_json(silent=True), needs_text=needs_text)
    except BadInput as err:
        return jsonify(error=str(err)), 400
    conversation = conversations.get(turn.page_id)
    played = conversation.silence(turn.at) if turn.text is None else conversation.say(turn.text, turn.at)
    return jsonify(played), 200
