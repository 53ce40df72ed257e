"""Starting and moving through a workout."""

from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput

from skill.alexa.slots import slot_exercise
from skill.alexa.turn import DialogueHandler
from skill.conversation.dialogue import Dialogue
from skill.conversation.replies import Context, Reply


class StartRoutineIntentHandler(DialogueHandler):
    """"Start the routine", "start my exercises"."""

    intent_names = ("StartRoutineIntent",)

    def respond(self, dialogue: Dialogue, ctx: Context, handler_input: HandlerInput) -> Reply:
        return dialogue.start_routine(ctx)


class StartExerciseIntentHandler(DialogueHandler):
    """"Start ankle circles": one exercise by name or synonym."""

    intent_names = ("StartExerciseIntent",)

    def respond(self, dialogue: Dialogue, ctx: Context, handler_input: HandlerInput) -> Reply:
        exercise, heard = slot_exercise(handler_input, dialogue.catalog)
        return dialogue.start_exercise(ctx, exercise, heard)


class InstructionsIntentHandler(DialogueHandler):
    """"How do I do this", "tell me more about ankle circles"."""

    intent_names = ("InstructionsIntent",)

    def respond(self, dialogue: Dialogue, ctx: Context, handler_input: HandlerInput) -> Reply:
        exercise, heard = slot_exercise(handler_input, dialogue.catalog)
        if heard and exercise is None:
            return dialogue.unknown_exercise(ctx, heard)
        return dialogue.instructions(ctx, exercise)


class WhatsNextIntentHandler(DialogueHandler):
    """"What's next": name the next exercise and its length without starting it."""

    intent_names = ("WhatsNextIntent",)

    def respond(self, dialogue: Dialogue, ctx: Context, handler_input: HandlerInput) -> Reply:
        return dialogue.whats_next(ctx)


class NextIntentHandler(DialogueHandler):
    """"Next", "skip": move on to the next exercise."""

    intent_names = ("AMAZON.NextIntent", "SkipIntent")

    def respond(self, dialogue: Dialogue, ctx: Context, handler_input: HandlerInput) -> Reply:
        return dialogue.next(ctx)


class ContinueIntentHandler(DialogueHandler):
    """"Ready", "carry on", "go": the next counted part."""

    intent_names = ("ContinueIntent",)

    def respond(self, dialogue: Dialogue, ctx: Context, handler_input: HandlerInput) -> Reply:
        return dialogue.carry_on(ctx)


class PauseIntentHandler(DialogueHandler):
    """"Pause": remember the exact exercise, side, set."""

    intent_names = ("AMAZON.PauseIntent",)

    def respond(self, dialogue: Dialogue, ctx: Context, handler_input: HandlerInput) -> Reply:
        return dialogue.pause(ctx)


class ResumeIntentHandler(DialogueHandler):
    """"Resume": continue from the paused place."""

    intent_names = ("AMAZON.ResumeIntent",)

    def respond(self, dialogue: Dialogue, ctx: Context, handler_input: HandlerInput) -> Reply:
        return dialogue.resume(ctx)


class RepeatIntentHandler(DialogueHandler):
    """"Repeat": say the last turn again, count included."""

    intent_names = ("AMAZON.RepeatIntent",)

    def respond(self, dialogue: Dialogue, ctx: Context, handler_input: HandlerInput) -> Reply:
        return dialogue.repeat(ctx)


class StartOverIntentHandler(DialogueHandler):
    """"Start over": the current exercise from the beginning."""

    intent_names = ("AMAZON.StartOverIntent",)

    def respond(self, dialogue: Dialogue, ctx: Context, handler_input: HandlerInput) -> Reply:
        return dialogue.start_over(ctx)


class PaceIntentHandler(DialogueHandler):
    """"Slower", "faster", "normal speed" (one class: the three differ only in direction)."""

    intent_names = ("SlowerIntent", "FasterIntent", "NormalPaceIntent")
    _directions = {"SlowerIntent": "slower", "FasterIntent": "faster", "NormalPaceIntent": "normal"}

    def respond(self, dialogue: Dialogue, ctx: Context, handler_input: HandlerInput) -> Reply:
        name = handler_input.request_envelope.request.intent.name
        return dialogue.change_pace(ctx, self._directions[name])


class HowAmIDoingIntentHandler(DialogueHandler):
    """"How am I doing?": today's sessions, the streak, this week's total."""

    intent_names = ("HowAmIDoingIntent",)

    def respond(self, dialogue: Dialogue, ctx: Context, handler_input: HandlerInput) -> Reply:
        return dialogue.how_am_i_doing(ctx)


class ForgetMeIntentHandler(DialogueHandler):
    """"Delete my progress", "forget me": confirm first; "yes" then deletes."""

    intent_names = ("ForgetMeIntent",)

    def respond(self, dialogue: Dialogue, ctx: Context, handler_input: HandlerInput) -> Reply:
        return dialogue.confirm_forget(ctx)
