"""Intents as actions of the conversation table: each handler only says which Action a request is.

What an action means depends on the pending question, and that is decided in one place, the
conversation table (skill/conversation/table.py), not here.
"""

from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_request_type

from skill.alexa.handlers.reminders import ReminderHandler
from skill.alexa.request_parts import intent_name
from skill.alexa.slots import slot_exercise
from skill.conversation.dialogue import Dialogue
from skill.conversation.replies import Context, Reply
from skill.conversation.table import Action

NAMED_EXERCISE = frozenset({Action.START_EXERCISE, Action.INSTRUCTIONS, Action.HARDER, Action.EASIER,
                            Action.SIT_DOWN, Action.USUAL_WAY})


class ActionHandler(ReminderHandler):
    """Translate the request into its Action, let the dialogue answer, do any Reminders API work."""

    actions: dict[str, Action] = {}

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        cls.intent_names = tuple(cls.actions)

    def action_of(self, handler_input: HandlerInput) -> Action:
        """The Action this request is."""
        return self.actions[intent_name(handler_input) or ""]

    def respond(self, dialogue: Dialogue, ctx: Context, handler_input: HandlerInput) -> Reply:
        action = self.action_of(handler_input)
        exercise, heard = slot_exercise(handler_input, dialogue.catalog) if action in NAMED_EXERCISE else (None, None)
        reply = dialogue.answer(ctx, action, exercise, heard)
        return self.perform(dialogue, ctx, handler_input, reply) if reply.effect else reply


class LaunchRequestHandler(ActionHandler):
    """"Alexa, open foot coach": welcome; offer to resume where the user stopped, or to start."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("LaunchRequest")(handler_input)

    def action_of(self, handler_input: HandlerInput) -> Action:
        return Action.LAUNCH


class SessionEndedRequestHandler(ActionHandler):
    """The session ended (silence, or the user left): nothing is said; what was heard is recorded."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("SessionEndedRequest")(handler_input)

    def action_of(self, handler_input: HandlerInput) -> Action:
        return Action.SESSION_ENDED


class WorkoutIntentHandler(ActionHandler):
    """Starting and moving through a workout."""

    actions = {
        "StartRoutineIntent": Action.START_ROUTINE,
        "StartExerciseIntent": Action.START_EXERCISE,
        "ContinueIntent": Action.READY,
        "AMAZON.NextIntent": Action.READY,     # "next" carries on (the help says so); "skip" skips
        "SkipIntent": Action.SKIP,
        "AMAZON.PauseIntent": Action.PAUSE,
        "AMAZON.ResumeIntent": Action.RESUME,
        "AMAZON.StartOverIntent": Action.START_OVER,
        "SlowerIntent": Action.SLOWER,
        "FasterIntent": Action.FASTER,
        "NormalPaceIntent": Action.NORMAL_PACE,
        "SoundsOffIntent": Action.SOUNDS_OFF,
        "SoundsOnIntent": Action.SOUNDS_ON,
        "PainIntent": Action.PAIN,
    }


class TalkIntentHandler(ActionHandler):
    """Questions and answers: yes, no, repeat, help, what's next, how-to, progress, forgetting."""

    actions = {
        "AMAZON.YesIntent": Action.YES,
        "AMAZON.NoIntent": Action.NO,
        "AMAZON.RepeatIntent": Action.REPEAT,
        "AMAZON.HelpIntent": Action.HELP,
        "InstructionsIntent": Action.INSTRUCTIONS,
        "WhatsNextIntent": Action.WHATS_NEXT,
        "HowAmIDoingIntent": Action.HOW_AM_I_DOING,
        "ForgetMeIntent": Action.FORGET_ME,
    }


class VariantIntentHandler(ActionHandler):
    """Choosing a version of an exercise: harder, easier, seated, the usual way."""

    actions = {
        "HarderIntent": Action.HARDER,
        "EasierIntent": Action.EASIER,
        "SitDownIntent": Action.SIT_DOWN,
        "UsualWayIntent": Action.USUAL_WAY,
    }


class StopIntentHandler(ActionHandler):
    """"Stop", "cancel", or the home button: goodbye, naming the place kept (a documented trio)."""

    actions = {
        "AMAZON.StopIntent": Action.STOP,
        "AMAZON.CancelIntent": Action.CANCEL,
        "AMAZON.NavigateHomeIntent": Action.STOP,
    }


class FallbackIntentHandler(ActionHandler):
    """Anything that matched no intent, and any intent we do not serve: say what works here."""

    actions = {"AMAZON.FallbackIntent": Action.FALLBACK}

    def can_handle(self, handler_input: HandlerInput) -> bool:
        # Registered after every other intent handler, so any IntentRequest reaching it is unknown.
        return is_request_type("IntentRequest")(handler_input)

    def action_of(self, handler_input: HandlerInput) -> Action:
        return Action.FALLBACK
