"""The routing table: every handler, in priority order. The first whose can_handle() is true wins.

build_skill() is the one way the skill is assembled, for the webhook (app.py) and for AWS Lambda
(serverless/): the same handlers, the same dialogues and the store they are given.
"""

from __future__ import annotations

import random
from collections.abc import Mapping

from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import CustomSkillBuilder

from skill.alexa.apis import TimedApiClient
from skill.alexa.handlers import actions, builtin, reminders
from skill.alexa.handlers.errors import PersistenceErrorHandler, UnexpectedErrorHandler
from skill.alexa.save_later import SaveLater
from skill.alexa.serializer import FastSerializer
from skill.content.catalog import BASE_LOCALE, SUPPORTED_LOCALES, load_catalog
from skill.content.prompts import Prompts
from skill.conversation.dialogue import Dialogue
from skill.persistence.protocol import ProgressStore

INTENT_HANDLERS = (
    actions.LaunchRequestHandler,
    reminders.RemindersConnectionsResponseHandler,  # Alexa's answer to our permission request
    reminders.SetRemindersIntentHandler,
    reminders.CancelRemindersIntentHandler,
    actions.WorkoutIntentHandler,
    actions.TalkIntentHandler,
    actions.VariantIntentHandler,
    actions.StopIntentHandler,
    actions.SessionEndedRequestHandler,
    actions.FallbackIntentHandler,  # last intent handler: catches every intent not listed above
)


def build_dialogues(rng: random.Random | None = None) -> dict[str, Dialogue]:
    """One Dialogue per supported locale (its catalog and prompts); ``rng`` picks the prompt variants."""
    return {locale: Dialogue(load_catalog(locale=locale), Prompts.load(locale, rng)) for locale in SUPPORTED_LOCALES}


def build_skill(*, skill_id: str | None, store: ProgressStore,
                dialogues: Mapping[str, Dialogue]) -> CustomSkill:
    """Register handlers in priority order, plus the exception handlers (catch-all last)."""
    # No persistence_adapter: each turn reads and saves progress through the store it is given
    # (alexa/turn.py), never through the SDK's attributes manager.
    builder = CustomSkillBuilder(api_client=TimedApiClient())
    # The SDK checks the application id only when it is set here (its attribute is typed as None).
    setattr(builder, "skill_id", skill_id)
    prompts = dialogues[BASE_LOCALE].prompts
    save_later = SaveLater(store)   # one per skill: one retry thread per process
    for handler in INTENT_HANDLERS:
        builder.add_request_handler(handler(dialogues, store, save_later))
    builder.add_request_handler(builtin.UnservedRequestHandler())
    builder.add_exception_handler(PersistenceErrorHandler(prompts))
    builder.add_exception_handler(UnexpectedErrorHandler(prompts))
    skill = builder.create()
    # Same results as the SDK's DefaultSerializer, a few times faster (see the module docstring).
    skill.serializer = FastSerializer()
    return skill
