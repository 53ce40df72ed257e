"""Flask blueprint for Alexa's POST /: body checks, request verification, SDK dispatch, HTTP errors.

Every failure the caller caused is a 400 (or 413) with a short JSON body; the reason goes to the
log only. Anything unexpected is logged with its traceback and answered with a spoken apology, so
Alexa never sees a 500 or a traceback.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import IO, Any

from ask_sdk_core.skill import CustomSkill
from ask_sdk_runtime.exceptions import AskSdkException
from flask import Blueprint, Response, request

from skill.webservice.sdk_support import (
    AbstractVerifier,
    VerificationException,
    WebserviceSkillHandler,
)

logger = logging.getLogger(__name__)

# Alexa requests are a few KiB; session attributes can add up to the 120 KB response limit.
DEFAULT_MAX_BODY_BYTES = 256 * 1024
_READ_CHUNK_BYTES = 64 * 1024
APOLOGY_SSML = "<speak>Sorry, something went wrong. Please try again.</speak>"
_JSON = "application/json"


def make_webhook(
    skill: CustomSkill,
    *,
    verifiers: Sequence[AbstractVerifier],
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> Blueprint:
    """Build the blueprint that serves POST / for a skill, checking every request with verifiers.

    The SDK's own signature and timestamp verifiers are always off: its RequestVerifier cannot
    run here (see sdk_support) and re-validates the chain on every request. Pass
    SignatureVerifier and TimestampVerifier (and ApplicationIdVerifier) from
    skill.webservice.verifier instead; an empty list turns verification off.
    """
    # Built once: the handler appends to the skill's user agent on every construction.
    handler = WebserviceSkillHandler(
        skill, verify_signature=False, verify_timestamp=False, verifiers=list(verifiers)
    )
    blueprint = Blueprint("alexa_webhook", __name__)

    @blueprint.post("/")
    def alexa_request() -> Response:
        """Answer one Alexa request with the skill's response."""
        declared = request.content_length
        if declared is not None and declared > max_body_bytes:
            logger.warning("Refused a request: Content-Length %d > %d", declared, max_body_bytes)
            return _error(413, "request body too large")
        raw = _read_capped(request.stream, max_body_bytes)
        if raw is None:
            logger.warning("Refused a request: body longer than %d bytes", max_body_bytes)
            return _error(413, "request body too large")
        text = _json_object_text(raw)
        if text is None:
            return _error(400, "bad request")
        try:
            # The SDK returns the response envelope as JSON-ready data, not as text.
            body = json.dumps(handler.verify_request_and_dispatch(request.headers, text))
        except VerificationException as err:
            logger.warning("Refused an unverified request: %s", err)
            return _error(400, "bad request")
        except AskSdkException as err:
            # Deserialisation errors and the SDK's own skill id check land here.
            logger.warning("The ASK SDK refused the request: %s", err)
            return _error(400, "bad request")
        except Exception:  # noqa: BLE001
            # Last resort at the HTTP boundary, after the skill's own exception handlers: a 500
            # makes Alexa say "there was a problem with the requested skill's response", while a
            # valid response lets the user hear what happened and try again.
            logger.exception("Unexpected error while answering an Alexa request")
            return _json_response(200, _apology())
        return Response(body, status=200, mimetype=_JSON)

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


def _json_object_text(raw: bytes) -> str | None:
    """Return the body as text if it is UTF-8 JSON with an object at the top, else None."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        logger.warning("Refused a request: body is not UTF-8 (%s)", err)
        return None
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError) as err:
        # RecursionError: deeply nested arrays are valid JSON that the parser cannot follow.
        logger.warning("Refused a request: body is not JSON (%s)", type(err).__name__)
        return None
    if not isinstance(payload, dict):
        logger.warning("Refused a request: JSON body is %s, not an object", type(payload).__name__)
        return None
    return text


def _apology() -> dict[str, Any]:
    """Return a minimal, valid Alexa response that apologises and ends the session."""
    return {
        "version": "1.0",
        "response": {
            "outputSpeech": {"type": "SSML", "ssml": APOLOGY_SSML},
            "shouldEndSession": True,
        },
    }


def _error(status: int, message: str) -> Response:
    """Return a short JSON error that says nothing about why the request failed."""
    return _json_response(status, {"error": message})


def _json_response(status: int, payload: dict[str, Any]) -> Response:
    """Serialise payload as an application/json response."""
    return Response(json.dumps(payload), status=status, mimetype=_JSON)
