"""One structured log line per Alexa request, on the "footcoach.requests" logger at INFO.

Every POST / ends with exactly one line, a JSON object such as::

    {"request_type": "IntentRequest", "intent": "AMAZON.YesIntent", "outcome": "ok",
     "status": 200, "latency_ms": 3.12, "user": "5c1f0d9b7e3a4f20"}

``user`` is a keyed hash (HMAC-SHA256, truncated) of the id the store keys by (personId, else
userId): one user's lines can be told apart from another's, but the id itself never reaches the
log. The key is random per process unless one is configured, so hashes cannot be joined across
processes or restarts, nor reversed by hashing a guessed id.

The fields come from the JSON object the webhook has already parsed, so logging costs no second
parse; values chosen by the caller are capped in length, and json.dumps escapes line breaks, so
one request is always exactly one line.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import logging
import secrets
import sys
import time
from contextvars import Token
from enum import StrEnum
from typing import Any

from skill.alexa.outcome import skill_error

LOGGER_NAME = "footcoach.requests"
USER_HASH_HEX_CHARS = 16      # 64 bits: plenty to tell users apart, too few to be an identifier elsewhere
USER_HASH_CACHE = 4096         # users whose hash is kept, per process
MAX_CACHED_ID_CHARS = 256      # Alexa's ids are about 200 characters
MAX_FIELD_CHARS = 80          # request types and intent names are short; a longer one was made up


class Outcome(StrEnum):
    """How the webhook answered a request."""

    OK = "ok"                    # the skill answered
    REFUSED = "refused"          # verification failed or the request was for another skill (400)
    TOO_LARGE = "too_large"      # the body was over the cap (413)
    BAD_REQUEST = "bad_request"  # not a UTF-8 JSON object, or not an Alexa envelope (400)
    ERROR = "error"              # something broke; the user heard an apology (still 200)


def describe(payload: Any) -> tuple[str | None, str | None, str | None]:
    """Return (request type, intent name, user id) from a parsed envelope, None where absent or odd."""
    request = _get(payload, "request")
    system = _get(_get(payload, "context"), "System")
    # The same id the store keys by (skill.persistence.keys.user_key): the person, else the account.
    user_id = _text(_get(_get(system, "person"), "personId")) or _text(_get(_get(system, "user"), "userId"))
    return (_short(_text(_get(request, "type"))), _short(_text(_get(_get(request, "intent"), "name"))),
            user_id or None)


class RequestLog:
    """Write the per-request lines; one instance per webhook."""

    def __init__(self, *, salt: bytes | None = None, logger: logging.Logger | None = None) -> None:
        self._salt = salt if salt is not None else secrets.token_bytes(32)
        self.logger = logger or logging.getLogger(LOGGER_NAME)
        # A user's turns come one after another, so most ids were hashed moments ago. Bounded in
        # entries and in key length: an id longer than any Alexa sends is hashed, not kept.
        self._cached_hash = functools.lru_cache(maxsize=USER_HASH_CACHE)(self._keyed_hash)

    def hash_user(self, user_id: str) -> str:
        """The keyed hash that stands for a user id in the log."""
        return self._cached_hash(user_id) if len(user_id) <= MAX_CACHED_ID_CHARS else self._keyed_hash(user_id)

    def _keyed_hash(self, user_id: str) -> str:
        """Return the keyed, truncated hash that stands for a user id in the log."""
        digest = hmac.new(self._salt, user_id.encode("utf-8", "surrogatepass"), hashlib.sha256)
        return digest.hexdigest()[:USER_HASH_HEX_CHARS]

    def begin(self) -> RequestEntry:
        """Start timing one request."""
        return RequestEntry(self)

    def write(self, payload: Any, outcome: Outcome, status: int, latency_ms: float) -> None:
        """Write the line for one finished request."""
        if not self.logger.isEnabledFor(logging.INFO):
            return
        request_type, intent, user_id = describe(payload)
        fields = {
            "request_type": request_type,
            "intent": intent,
            "outcome": outcome.value,
            "status": status,
            "latency_ms": round(latency_ms, 2),
            "user": self.hash_user(user_id) if user_id else None,
        }
        # makeRecord + handle is what logger.info does, minus its search of the call stack for the
        # caller's file and line, which are always this function's: one less cost on every request.
        record = self.logger.makeRecord(self.logger.name, logging.INFO, __file__, sys._getframe().f_lineno, "%s",
                                        (json.dumps(fields, separators=(", ", ": ")),), None, func="write",
                                        extra={"alexa_request": fields})
        self.logger.handle(record)


class RequestEntry:
    """One request in flight: when it started and, once parsed, its envelope."""

    def __init__(self, log: RequestLog) -> None:
        self._log = log
        self._started = time.perf_counter()
        self._token: Token[bool] | None = skill_error.set(False)
        self.payload: Any = None

    def end(self, outcome: Outcome, status: int) -> None:
        """Write this request's line (only the first call writes)."""
        if self._token is None:
            return
        if outcome is Outcome.OK and skill_error.get():
            outcome = Outcome.ERROR
        skill_error.reset(self._token)
        self._token = None
        self._log.write(self.payload, outcome, status, (time.perf_counter() - self._started) * 1000)


def ensure_output(logger: logging.Logger | None = None) -> None:
    """Make the lines visible when logging is not configured at all (gunicorn leaves it so).

    With no handler anywhere, Python would print only warnings; then send the lines, bare, to
    stderr at INFO. Any configuration of its own (a handler or a level) is left alone.
    """
    logger = logger or logging.getLogger(LOGGER_NAME)
    if logger.hasHandlers() or logger.level != logging.NOTSET:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def _get(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, dict) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _short(value: str | None) -> str | None:
    return value if value is None or len(value) <= MAX_FIELD_CHARS else value[:MAX_FIELD_CHARS] + "..."
