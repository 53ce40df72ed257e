"""Answer Alexa's Lambda events with the skill build_skill() assembles, configured from the environment.

    DATABASE_URL   where progress is kept, normally dynamodb://TABLE?region=... (see persistence/);
                   unset in an Alexa-hosted skill, whose DynamoDB table is found from
                   DYNAMODB_PERSISTENCE_TABLE_NAME and DYNAMODB_PERSISTENCE_REGION
    SKILL_ID       when set, requests for any other skill are refused

What the webhook does at the HTTP boundary, done here for an event: an event that is no Alexa request,
or one for another skill, is refused (raised, so Lambda reports a failed invocation and Alexa gets
nothing from us); anything that fails inside the skill is answered with a spoken apology.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from typing import Any

from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.skill import CustomSkill
from ask_sdk_model import RequestEnvelope
from ask_sdk_runtime.exceptions import AskSdkException, DispatchException
from ask_sdk_runtime.exceptions import (
    SerializationException as RuntimeSerializationException,
)

from skill.alexa.routing import build_dialogues, build_skill
from skill.content.catalog import BASE_LOCALE
from skill.conversation.dialogue import Dialogue
from skill.persistence import make_store
from skill.persistence.protocol import ProgressStore
from skill.speech.ssml import Speech

log = logging.getLogger(__name__)

ALEXA_HOSTED_TABLE, ALEXA_HOSTED_REGION = "DYNAMODB_PERSISTENCE_TABLE_NAME", "DYNAMODB_PERSISTENCE_REGION"


class RequestRefused(Exception):
    """The event is not an Alexa request, or not one for this skill; Lambda reports a failed invocation."""


def database_url(environ: Mapping[str, str]) -> str:
    """DATABASE_URL, else the Alexa-hosted skill's own DynamoDB table (which exists: never created here).

    Raises:
        ValueError: neither is set (Lambda's file system keeps nothing, so there is no default).
    """
    if environ.get("DATABASE_URL", "").strip():
        return environ["DATABASE_URL"].strip()
    table = environ.get(ALEXA_HOSTED_TABLE, "").strip()
    if table:
        region = environ.get(ALEXA_HOSTED_REGION) or environ.get("AWS_REGION") or ""
        return f"dynamodb://{table}?region={region.strip()}&create=0"
    raise ValueError("set DATABASE_URL (dynamodb://TABLE?region=REGION on AWS Lambda); an Alexa-hosted skill "
                     f"sets {ALEXA_HOSTED_TABLE} itself")


class LambdaSkill:
    """The skill as a Lambda handler: call it with (event, context)."""

    def __init__(self, skill: CustomSkill, store: ProgressStore, apology: str) -> None:
        self.skill = skill
        self.store = store
        self._apology_ssml = Speech().say(apology).to_ssml()   # said when the skill itself could not answer

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None, *, store: ProgressStore | None = None,
                     dialogues: Mapping[str, Dialogue] | None = None) -> LambdaSkill:
        """Build the skill as create_app does, from the environment (``store``/``dialogues`` for tests)."""
        environ = os.environ if environ is None else environ
        skill_id = environ.get("SKILL_ID", "").strip() or None
        if skill_id is None:
            log.warning("SKILL_ID is not set: requests for any skill are answered.")
        store = store or make_store(database_url(environ))
        dialogues = dialogues or build_dialogues()
        skill = build_skill(skill_id=skill_id, store=store, dialogues=dialogues)
        return cls(skill, store, dialogues[BASE_LOCALE].prompts.pick("webhook_apology"))

    def __call__(self, event: Any, context: Any = None) -> dict[str, Any]:
        """Answer one Alexa event with the response envelope, as JSON-ready data.

        Raises:
            RequestRefused: not an Alexa request, not one the SDK can read, or one for another skill.
        """
        request = event.get("request") if isinstance(event, dict) else None
        if not isinstance(request, dict) or not isinstance(request.get("type"), str):
            log.warning("Refused an event that is not an Alexa request")
            raise RequestRefused("not an Alexa request envelope")
        try:
            envelope = self.skill.serializer.deserialize(json.dumps(event), RequestEnvelope)
            response = self.skill.invoke(request_envelope=envelope, context=context)
            body = self.skill.serializer.serialize(response)
            if not isinstance(body, dict):
                raise TypeError(f"the response envelope serialized as {type(body).__name__}")
            json.dumps(body, allow_nan=False)   # what Lambda sends must be JSON: NaN is not
        except (SerializationException, RuntimeSerializationException, DispatchException) as err:
            log.warning("The ASK SDK could not take the request: %s", err)
            raise RequestRefused(str(err)) from err
        except AskSdkException as err:
            if type(err) is AskSdkException:    # exactly this class: the SDK's skill id check
                log.warning("The ASK SDK refused the request: %s", err)
                raise RequestRefused(str(err)) from err
            return self._apology()
        except Exception:  # noqa: BLE001 - the last resort: a spoken apology, never a failed invocation
            return self._apology()
        return body

    def _apology(self) -> dict[str, Any]:
        log.exception("Unexpected error while answering an Alexa request")
        return {"version": "1.0",
                "response": {"outputSpeech": {"type": "SSML", "ssml": self._apology_ssml}, "shouldEndSession": True}}
