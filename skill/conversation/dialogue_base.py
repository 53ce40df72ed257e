"""What every answer shares: the catalog and prompts, the pending question, and building replies.

Plain Python. `DialogueBase.answer` is the one entry point: it settles what the last counted turn
left open (the rep playing when a count was cut short; an exercise finished but not yet known to be
heard), applies the conversation table (table.py) and calls the outcome method it names.
"""

from __future__ import annotations

import functools
from dataclasses import replace

from skill.content.catalog import Catalog, Choices, Exercise
from skill.content.prompts import Prompts
from skill.content.sounds import NO_SOUNDS, SoundCues, load_sounds
from skill.conversation.reminders import ReminderDialogue
from skill.conversation.replies import Context, Reply, Said
from skill.conversation.table import Action, cancels, outcome
from skill.progress.choices import chosen_for
from skill.progress.events import ProgressEvent
from skill.progress.state import Question, SessionState
from skill.speech.ssml import Speech
from skill.workout.pause_estimate import estimate_resume
from skill.workout.planning import estimate_exercise_seconds
from skill.workout.routine import Position, Workout, describe_place
from skill.workout.turn_cache import PlanTurn, cached_counting, cached_planning
from skill.workout.wording import announcement

# Things said over a count (Alexa cuts the speech): the place goes back to the rep that was playing.
INTERRUPTING = frozenset({Action.PAUSE, Action.STOP, Action.CANCEL, Action.PAIN,
                          Action.SLOWER, Action.FASTER, Action.NORMAL_PACE, Action.SOUNDS_OFF, Action.SOUNDS_ON})


# Questions whose words need nothing but a prompt key.
# What a user called an unknown exercise is said back at most this long ("I don't know the one my physio").
HEARD_NAME_WORDS, HEARD_NAME_CHARS = 4, 32


def short_name(heard: str) -> str:
    """The first few words of an unknown name, so a long or rambling slot value is not read back whole."""
    words = heard.split()[:HEARD_NAME_WORDS]
    while len(words) > 1 and len(" ".join(words)) > HEARD_NAME_CHARS:
        words.pop()
    return " ".join(words)[:HEARD_NAME_CHARS]


QUESTION_WORDS = frozenset({Question.RESUME_PAUSED, Question.WAYS_ON, Question.AFTER_PAIN, Question.CONFIRM_FORGET})


class DialogueBase:
    """The conversation's shared parts; the outcomes live in the answer modules."""

    def __init__(self, catalog: Catalog, prompts: Prompts) -> None:
        self.catalog = catalog
        self.prompts = prompts
        self.reminders = ReminderDialogue(prompts, catalog.reminder_times, catalog.times_per_day)
        self.sounds = load_sounds()
        self._count = cached_counting(catalog, prompts)
        self._planners: dict[Choices, PlanTurn] = {(): cached_planning(catalog, prompts)}
        # Durations are estimates of whole exercises: worked out once per version and pace, with fixed wording.
        self._version_seconds = functools.lru_cache(maxsize=256)(
            lambda exercise_id, chosen, pace: estimate_exercise_seconds(
                catalog.with_choices(((exercise_id, chosen),) if chosen else ()), prompts.fixed(0),
                catalog.version(exercise_id, chosen), pace, self._count))

    def catalog_for(self, state: SessionState) -> Catalog:
        """The catalog with the versions this user chose ("make it harder", "I can't lie down")."""
        return self.catalog.with_choices(state.choices)

    def plan(self, state: SessionState) -> PlanTurn:
        """The (cached) turn planner for the versions this user chose."""
        planner = self._planners.get(state.choices)
        if planner is None:
            # Few combinations exist (see Catalog.versions); each gets a small cache of its own.
            planner = self._planners[state.choices] = cached_planning(self.catalog_for(state), self.prompts, size=128)
        return planner

    def sounds_for(self, state: SessionState) -> SoundCues:
        """The sound cues this user hears: all of them, or none after "sounds off"."""
        return self.sounds if state.sounds else NO_SOUNDS

    def exercise_seconds(self, state: SessionState, exercise_id: str) -> float:
        """About how long an exercise takes, in the version chosen, at the session's pace."""
        return self._version_seconds(exercise_id, chosen_for(state.choices, exercise_id), state.pace)

    def answer(self, ctx: Context, action: Action, exercise: Exercise | None = None,
               heard: str | None = None) -> Reply:
        """The reply to `action`, given the pending question (the table decides which outcome)."""
        state, progress = ctx.state, ctx.progress
        question = state.question
        cut_at = self._cut_short_at(ctx) if action in INTERRUPTING and state.last_was_count else None
        carried: tuple[ProgressEvent, ...] = ()
        if state.unheard_finish is not None:
            if cut_at is not None:
                # The turn that finished an exercise was cut short before its last rep: take it back, once.
                undo = state.unheard_finish.taken_back()
                carried = (undo,)
                progress = replace(progress, log=undo.apply(progress.log))
                state = replace(state, session_counted=state.session_counted and not undo.new_session)
            state = replace(state, unheard_finish=None)
        if cut_at is not None:
            state = replace(state, workout=replace(state.workout, position=cut_at), briefed=True)
            progress = replace(progress, place=cut_at)
        if cancels(question, action):
            question = self.natural_question(state)
            state = replace(state, question=question, offered=None)
        ctx = replace(ctx, state=state, progress=progress)
        method = getattr(self, outcome(question, action))
        reply: Reply = method(ctx, Said(action, exercise, heard, cut_at))
        return replace(reply, events=carried + reply.events) if carried else reply

    def unknown_exercise(self, ctx: Context, heard: str | None) -> Reply:
        """Say we don't know that exercise and list the ones we do; the session stays open."""
        names = self.catalog.names_list(self.prompts.words)
        heard = short_name(heard or "")
        text = (self.prompts.pick("unknown_exercise_heard", heard=heard, names=names) if heard
                else self.prompts.pick("unknown_exercise", names=names))
        question = ctx.state.question if ctx.state.workout.in_workout() else Question.START_ROUTINE
        return self.ask(ctx, Speech(ctx.state.pace).say(text), ctx.state, question)

    # -- the pending question ------------------------------------------------------------------------
    def natural_question(self, state: SessionState) -> Question:
        """What is asked where the user is, when nothing else is: carry on, or start."""
        position = state.workout.position
        if position is None:
            return Question.START_ROUTINE
        if position.is_exercise_start() and not state.briefed:
            return Question.NEXT_EXERCISE
        if position.is_exercise_start() and self.catalog_for(state).get(position.exercise_id).gated:
            return Question.GET_IN_POSITION
        return Question.NEXT_PART

    def question_words(self, state: SessionState) -> str:
        """The pending question, said again."""
        q, position = state.question, state.workout.position
        if q is Question.OFFER_REMINDERS:
            return state.last_reprompt
        if q is Question.START_NAMED and state.offered:
            return self.prompts.pick("start_named", name=self.catalog.get(state.offered).name)
        if position is None or q in (Question.NONE, Question.START_ROUTINE):
            return self.prompts.pick("ask_start")
        if q is Question.RESUME_LAST_TIME:
            return self.prompts.pick("resume_last_question", place=describe_place(self.catalog, position, self.prompts))
        if q in QUESTION_WORDS:
            key = {Question.RESUME_PAUSED: "resume_question", Question.WAYS_ON: "resume_question",
                   Question.AFTER_PAIN: "pain_question", Question.CONFIRM_FORGET: "forget_question"}[q]
            return self.prompts.pick(key)
        if q is Question.NEXT_EXERCISE:
            return announcement(self.catalog_for(state).get(position.exercise_id), self.prompts)
        if q is Question.GET_IN_POSITION:
            return self.prompts.pick("ready_gate", ready_when=self.ready_when(state))
        return self.part_question(position)

    def ready_when(self, state: SessionState) -> str:
        """What the ready gate waits for ("you're lying down")."""
        assert state.workout.position is not None
        exercise = self.catalog_for(state).get(state.workout.position.exercise_id)
        return exercise.ready_when or self.prompts.pick("in_position")

    def part_question(self, position: Position) -> str:
        """"Ready for the left leg?", "Ready for set two?", or "Ready to carry on?"."""
        exercise = self.catalog.get(position.exercise_id)
        if position.rep > 1 or position.is_exercise_start():
            return self.prompts.pick("ask_continue")
        if exercise.sides and (position.side != 0 or position.set == 1):
            return self.prompts.pick("ask_next_side", side=exercise.sides[position.side])
        return self.prompts.pick("ask_next_set", n=self.prompts.words.number(position.set))

    def reprompt_for(self, state: SessionState) -> str:
        """The reprompt: the pending question again, with the answers it takes."""
        q, position = state.question, state.workout.position
        if q is Question.OFFER_REMINDERS:
            return state.last_reprompt
        if q is Question.START_NAMED and state.offered:
            return self.prompts.pick("start_named_reprompt", name=self.catalog.get(state.offered).name)
        if position is None or q in (Question.NONE, Question.START_ROUTINE):
            return self.prompts.pick("ask_start")
        if q is Question.RESUME_LAST_TIME:
            return self.prompts.pick("resume_last_reprompt", place=describe_place(self.catalog, position, self.prompts))
        if q in QUESTION_WORDS:
            key = {Question.RESUME_PAUSED: "paused_reprompt", Question.WAYS_ON: "ways_on_reprompt",
                   Question.AFTER_PAIN: "pain_reprompt", Question.CONFIRM_FORGET: "forget_reprompt"}[q]
            return self.prompts.pick(key)
        if q is Question.NEXT_EXERCISE:
            return self.prompts.pick("next_exercise_reprompt", name=self.catalog.get(position.exercise_id).name)
        if q is Question.GET_IN_POSITION:
            return self.prompts.pick("ready_gate_reprompt", ready_when=self.ready_when(state))
        return self.part_question(position) + " " + self.prompts.pick("reprompt_continue")

    # -- building replies ------------------------------------------------------------------------------
    def ask(self, ctx: Context, speech: Speech, state: SessionState, question: Question | None = None) -> Reply:
        """A reply that keeps the mic open, asking `question` (default: the one in `state`)."""
        if question is not None:
            state = replace(state, question=question, offered=state.offered if question is Question.START_NAMED else None)
        reprompt = self.reprompt_for(state)
        state = replace(state, last_ssml=speech.to_ssml(), last_reprompt=reprompt, last_was_count=False)
        return Reply(speech, reprompt, False, state, ctx.progress)

    def restate(self, ctx: Context, speech: Speech) -> Reply:
        """Say `speech`, then ask the pending question again (it stays pending)."""
        state = ctx.state
        if state.question is Question.NONE:
            state = replace(state, question=self.natural_question(state))
        return self.ask(ctx, speech.say(self.question_words(state)), state)

    def _cut_short_at(self, ctx: Context) -> Position | None:
        """Where the user was if this request cut the last counted turn short, else None."""
        state = ctx.state
        if state.turn_at <= 0 or not state.turn_marks:
            return None
        return estimate_resume(state.turn_marks, state.turn_seconds, ctx.now - state.turn_at,
                               state.turn_counted_until).resume_at

    @staticmethod
    def idle(state: SessionState) -> SessionState:
        """The state with no workout under way."""
        return state.with_workout(Workout(state.workout.mode), briefed=False)
