"""Flask blueprint for Alexa's POST /: body checks, request verification, SDK dispatch, HTTP errors.

Every failure the caller caused is a 400 (or 413) with a short JSON body; the reason goes to the
log only. Anything unexpected is logged with its traceback and answered with a spoken apology, so
Alexa never sees a 500 or a traceback. Every POST / also leaves one structured line on the
"footcoach.requests" logger (see request_log).
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Sequence
from typing import IO, Any, cast

from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.skill import CustomSkill
from ask_sdk_runtime.exceptions import AskSdkException, DispatchException
from ask_sdk_runtime.exceptions import (
    SerializationException as RuntimeSerializationException,
)
from flask import Blueprint, Response, request
from werkzeug.exceptions import ClientDisconnected

from skill.content.prompts import Prompts
from skill.speech.ssml import Speech
from skill.webservice.request_log import (
    Outcome,
    RequestEntry,
    RequestLog,
    ensure_output,
)
from skill.webservice.sdk_support import (
    AbstractVerifier,
    VerificationException,
    WebserviceSkillHandler,
)

logger = logging.getLogger(__name__)

# Alexa requests are a few KiB; session attributes can add up to the 120 KB response limit.
DEFAULT_MAX_BODY_BYTES = 256 * 1024
_READ_CHUNK_BYTES = 64 * 1024
# The whole response Alexa accepts (its JSON, session attributes included).
MAX_RESPONSE_BYTES = 120 * 1024
_JSON = "application/json"


def make_webhook(
    skill: CustomSkill,
    *,
    verifiers: Sequence[AbstractVerifier],
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    request_log: RequestLog | None = None,
    apology: str | None = None,
) -> Blueprint:
    """Build the blueprint that serves POST / for a skill, checking every request with verifiers.

    The SDK's own signature and timestamp verifiers are always off: its RequestVerifier cannot
    run here (see sdk_support) and re-validates the chain on every request. Pass
    SignatureVerifier and TimestampVerifier (and ApplicationIdVerifier) from
    skill.webservice.verifier instead; an empty list turns verification off. ``request_log``
    writes the per-request lines (default: a RequestLog with a per-process salt). ``apology`` is
    what the user hears when the skill itself could not answer (default: en-US's webhook_apology).
    """
    apology_ssml = apology_as_ssml(apology if apology is not None else Prompts.load().pick("webhook_apology"))
    # Built once: the handler appends to the skill's user agent on every construction.
    handler = WebserviceSkillHandler(
        skill, verify_signature=False, verify_timestamp=False, verifiers=list(verifiers)
    )
    lines = request_log or RequestLog()
    ensure_output(lines.logger)
    blueprint = Blueprint("alexa_webhook", __name__)

    def answer(entry: RequestEntry) -> tuple[Outcome, Response]:
        declared = request.content_length
        if declared is not None and declared > max_body_bytes:
            logger.warning("Refused a request: Content-Length %d > %d", declared, max_body_bytes)
            return Outcome.TOO_LARGE, _error(413, "request body too large")
        try:
            raw = _read_capped(request.stream, max_body_bytes)
        except ClientDisconnected:
            logger.warning("Refused a request: the body ended before its Content-Length")
            return Outcome.BAD_REQUEST, _error(400, "bad request")
        if raw is None:
            logger.warning("Refused a request: body longer than %d bytes", max_body_bytes)
            return Outcome.TOO_LARGE, _error(413, "request body too large")
        parsed = _json_object(raw)
        if parsed is None:
            return Outcome.BAD_REQUEST, _error(400, "bad request")
        text, entry.payload = parsed
        request_part = entry.payload.get("request")
        if not isinstance(request_part, dict) or not isinstance(request_part.get("type"), str):
            # The SDK would read this as an envelope without a request and fail deep in dispatch.
            logger.warning("Refused a request: JSON object without a request type")
            return Outcome.BAD_REQUEST, _error(400, "bad request")
        if not _has_user_id(entry.payload):
            # Alexa always names the user; without one there is no progress to read or save.
            logger.warning("Refused a request: no context.System.user.userId")
            return Outcome.BAD_REQUEST, _error(400, "bad request")
        try:
            # The SDK returns the response envelope as JSON-ready data, not as text. NaN and
            # Infinity are not JSON: Alexa would fail to read a response carrying them.
            # The SDK types headers as a dict; it only hands them to our verifiers, which read any Mapping.
            headers = cast("dict[str, Any]", request.headers)
            body = _within_limit(json.dumps(handler.verify_request_and_dispatch(headers, text), allow_nan=False),
                                 apology_ssml)
        except VerificationException as err:
            logger.warning("Refused an unverified request: %s", err)
            return Outcome.REFUSED, _error(400, "bad request")
        except (SerializationException, RuntimeSerializationException, DispatchException) as err:
            # Not an envelope the SDK can read, or a request no handler serves.
            logger.warning("The ASK SDK could not take the request: %s", err)
            return Outcome.BAD_REQUEST, _error(400, "bad request")
        except AskSdkException as err:
            if type(err) is AskSdkException:
                # Exactly this class: the SDK's own skill id check (when no ApplicationIdVerifier
                # ran first). Its subclasses (storage, attributes) are our failures, not the caller's.
                logger.warning("The ASK SDK refused the request: %s", err)
                return Outcome.REFUSED, _error(400, "bad request")
            return _last_resort(apology_ssml)
        except Exception:  # noqa: BLE001
            return _last_resort(apology_ssml)
        return Outcome.OK, Response(body, status=200, mimetype=_JSON)

    @blueprint.post("/")
    def alexa_request() -> Response:
        """Answer one Alexa request with the skill's response, and log one line about it."""
        entry = lines.begin()
        try:
            outcome, response = answer(entry)
        except BaseException:
            entry.end(Outcome.ERROR, 500)   # not expected to happen; the line must still be there
            raise
        entry.end(outcome, response.status_code)
        return response

    return blueprint


def _read_capped(stream: IO[bytes], limit: int) -> bytes | None:
    """Read the whole body, or return None as soon as it is longer than limit bytes."""
    # Content-Length can be absent (chunked) or wrong, so count what actually arrives.
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = stream.read(min(_READ_CHUNK_BYTES, limit + 1 - size))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return None


def _json_object(raw: bytes) -> tuple[str, dict[str, Any]] | None:
    """Return the body as text and as parsed JSON if it is UTF-8 JSON with an object at the top.

    Numbers a double cannot hold are refused with the rest: NaN and Infinity are not JSON at all,
    and 1e999 or a 400-digit integer would only overflow later, deep inside the skill.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        logger.warning("Refused a request: body is not UTF-8 (%s)", err)
        return None
    try:
        payload = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float,
                             parse_int=_double_range_int)
    except (ValueError, RecursionError) as err:
        # RecursionError: deeply nested arrays are valid JSON that the parser cannot follow.
        logger.warning("Refused a request: body is not JSON (%s)", type(err).__name__)
        return None
    if not isinstance(payload, dict):
        logger.warning("Refused a request: JSON body is %s, not an object", type(payload).__name__)
        return None
    # A lone surrogate escape ("\ud800") parses, but is no character: storage and speech cannot
    # encode it. Escaped surrogates are rare, so the full check runs only when one appears.
    if _ESCAPED_SURROGATE.search(text) and _has_lone_surrogate(payload):
        logger.warning("Refused a request: JSON string with a lone surrogate")
        return None
    return text, payload


_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def _has_lone_surrogate(payload: Any) -> bool:
    try:
        json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


_MAX_DOUBLE_INT = int(1.7976931348623157e308)


def _has_user_id(payload: dict[str, Any]) -> bool:
    """Whether context.System.user.userId is a non-empty string."""
    system = (payload.get("context") or {}).get("System") if isinstance(payload.get("context"), dict) else None
    user = system.get("user") if isinstance(system, dict) else None
    return isinstance(user, dict) and isinstance(user.get("userId"), str) and bool(user["userId"].strip())


def _within_limit(body: str, apology_ssml: str) -> str:
    """The response body if Alexa takes its size; else without session attributes; else the apology.

    The skill's own responses are far below the limit by construction (speech is capped at 8,000
    characters, echoed text is cut short): this guard is for whatever was not foreseen, such as
    the SDK echoing a huge session back in a response to a request type we do not serve.
    """
    if len(body) <= MAX_RESPONSE_BYTES:   # ASCII: json.dumps escapes everything else
        return body
    response = json.loads(body)
    response.pop("sessionAttributes", None)
    smaller = json.dumps(response, allow_nan=False)
    logger.warning("A response of %d bytes was over Alexa's limit; sent %s", len(body),
                   "without its session attributes" if len(smaller) <= MAX_RESPONSE_BYTES else "the apology")
    return smaller if len(smaller) <= MAX_RESPONSE_BYTES else json.dumps(_apology(apology_ssml))


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise ValueError("number out of range")
    return value


def _double_range_int(literal: str) -> int:
    value = int(literal)
    if abs(value) > _MAX_DOUBLE_INT:
        raise ValueError("number out of range")
    return value


def apology_as_ssml(text: str) -> str:
    """The apology as SSML, built like every other line by the one SSML builder."""
    return Speech().say(text).to_ssml()


def _last_resort(apology_ssml: str) -> tuple[Outcome, Response]:
    """Log the exception being handled with its traceback; answer with a spoken apology.

    The last resort at the HTTP boundary, after the skill's own exception handlers: a 500 makes
    Alexa say "there was a problem with the requested skill's response", while a valid response
    lets the user hear what happened and try again.
    """
    logger.exception("Unexpected error while answering an Alexa request")
    return Outcome.ERROR, _json_response(200, _apology(apology_ssml))


def _apology(apology_ssml: str) -> dict[str, Any]:
    """Return a minimal, valid Alexa response that apologises and ends the session."""
    return {
        "version": "1.0",
        "response": {
            "outputSpeech": {"type": "SSML", "ssml": apology_ssml},
            "shouldEndSession": True,
        },
    }


def _error(status: int, message: str) -> Response:
    """Return a short JSON error that says nothing about why the request failed."""
    return _json_response(status, {"error": message})


def _json_response(status: int, payload: dict[str, Any]) -> Response:
    """Serialise payload as an application/json response."""
    return Response(json.dumps(payload), status=status, mimetype=_JSON)
