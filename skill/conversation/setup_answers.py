"""Answers about getting ready: the set-up of an exercise done on the floor or lying down, and its ready gate.

Plain Python. An exercise with a ready gate (exercises.json's `ready_when`: getting down to the floor,
lying down, shoes and socks off) is set up in a turn of its own that ends "Say ready when you're
lying down."; counting starts only on the user's "ready". The first time a user does an exercise they
hear every set-up step; later a one-sentence version (UserProgress.known), and every step again on
"how do I do this".
"""

from __future__ import annotations

from dataclasses import replace

from skill.content.catalog import Exercise
from skill.conversation.dialogue_base import DialogueBase
from skill.conversation.replies import Context, Reply, Said
from skill.progress.state import Question
from skill.speech.ssml import Speech
from skill.workout.counting import setup_words
from skill.workout.routine import Workout


class SetupAnswers(DialogueBase):
    """The set-up turn and the answers to its ready gate."""

    def get_in_position(self, ctx: Context, workout: Workout, exercise: Exercise, *, briefed: bool,
                        lead_in: Speech | None = None) -> Reply:
        """Set the exercise up (unless `briefed`), give time to get down, then wait for "ready"."""
        speech = Speech(ctx.state.pace)
        if not ctx.progress.heard_safety:
            speech.say(self.prompts.pick("safety_first_use"))
        if lead_in:
            speech.extend(lead_in)
        if not briefed:
            speech.extend(setup_words(exercise, self.prompts, familiar=exercise.setup_key in ctx.progress.known))
        speech.say(self.prompts.pick("take_your_time")).pause(exercise.get_ready_seconds)
        state = replace(ctx.state.with_workout(workout), briefed=True)
        progress = replace(ctx.progress, heard_safety=True, mode=workout.mode, place=workout.position,
                           known=ctx.progress.known | {exercise.setup_key})
        speech.say(self.prompts.pick("ready_gate", ready_when=exercise.ready_when))
        return self.ask(replace(ctx, progress=progress), speech, state, Question.GET_IN_POSITION)

    def begin_counting(self, ctx: Context, said: Said) -> Reply:
        """"Ready" at the ready gate: counting starts."""
        return self.counted(ctx, ctx.state.workout, briefed=True, ready=True,
                            lead_in=Speech().say(self.prompts.pick("begin")))

    def take_your_time(self, ctx: Context, said: Said) -> Reply:
        """"No" at the ready gate: not yet; the gate stays."""
        return self.restate(ctx, Speech(ctx.state.pace).say(self.prompts.pick("no_rush")))

    def counted(self, ctx: Context, workout: Workout, *, briefed: bool, lead_in: Speech | None = None,
                ready: bool = False) -> Reply:
        """Voice the next counted turn (WorkoutAnswers)."""
        raise NotImplementedError
