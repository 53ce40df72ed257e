"""What Foot Coach answers to each thing a user can say, given where they are.

Plain Python with no Alexa imports: each method takes the conversation's `Context` and returns a
`Reply` (speech, reprompt, whether the session ends, and the new state). Handlers only translate
Alexa requests into these calls, so the whole conversation can be tested without the SDK.
"""

from __future__ import annotations

import functools
from dataclasses import replace

from skill.content.catalog import Catalog, Exercise
from skill.content.prompts import Prompts
from skill.conversation.reminders import ReminderDialogue
from skill.conversation.replies import Context, Reply, Screen
from skill.progress.state import ProgressEvent, SessionState, UserProgress
from skill.speech.ssml import Speech, parse_ssml
from skill.speech.words import duration_words, number_word, times_word
from skill.workout import routine
from skill.workout.pace import changed_pace
from skill.workout.pause_estimate import estimate_resume
from skill.workout.planning import Turn, estimate_exercise_seconds
from skill.workout.routine import Mode, Phase, Position, Workout, describe_place
from skill.workout.turn_cache import cached_counting, cached_planning


class Dialogue:
    """The conversation: one method per user action."""

    def __init__(self, catalog: Catalog, prompts: Prompts) -> None:
        self.catalog = catalog
        self.prompts = prompts
        self.reminders = ReminderDialogue(prompts, catalog.reminder_times, catalog.times_per_day)
        self._count = cached_counting(catalog, prompts)
        self._plan = cached_planning(catalog, prompts)
        # Durations are estimates of whole exercises: worked out once per pace, with fixed wording.
        self._exercise_seconds = functools.lru_cache(maxsize=256)(
            lambda exercise_id, pace: estimate_exercise_seconds(catalog, prompts.fixed(0), catalog.get(exercise_id),
                                                                pace, self._count))

    # -- opening -----------------------------------------------------------------------------
    def launch(self, ctx: Context) -> Reply:
        """"Alexa, open foot coach": welcome, and offer to resume or to start."""
        progress = ctx.progress
        if progress.place is not None:
            workout = Workout(Phase.OFFERED_RESUME, progress.mode, progress.place)
            text = self.prompts.pick("welcome_back_resume", place=describe_place(self.catalog, progress.place))
            return self._ask(ctx, Speech(ctx.state.pace).say(text), ctx.state.with_workout(workout))
        speech = Speech(ctx.state.pace)
        if progress.heard_safety:
            speech.say(self.prompts.pick("welcome_back"))
        else:
            speech.say(self.prompts.pick("welcome_new")).say(self.prompts.pick("safety_first_use"))
            speech.say(self.prompts.pick("ask_start"))
            progress = replace(progress, heard_safety=True)
        state = ctx.state.with_workout(Workout.idle(Phase.OFFERED_ROUTINE))
        return self._ask(replace(ctx, progress=progress), speech, state, reprompt_key="ask_start")

    # -- starting ------------------------------------------------------------------------------
    def start_routine(self, ctx: Context) -> Reply:
        """Start the whole routine from the warm-up."""
        return self._counted(ctx, routine.start(self.catalog), briefed=False)

    def start_exercise(self, ctx: Context, exercise: Exercise | None, heard: str | None) -> Reply:
        """Start one exercise by name; an unknown name gets the list of what we have."""
        if exercise is None:
            return self.unknown_exercise(ctx, heard)
        return self._counted(ctx, routine.start(self.catalog, exercise.id), briefed=False)

    def unknown_exercise(self, ctx: Context, heard: str | None) -> Reply:
        """Say we don't know that exercise and list the ones we do; the session stays open."""
        names = self.catalog.names_list()
        text = (self.prompts.pick("unknown_exercise_heard", heard=heard, names=names) if heard
                else self.prompts.pick("unknown_exercise", names=names))
        workout = ctx.state.workout
        if not workout.in_workout():
            workout = Workout.idle(Phase.IDLE)
        return self._ask(ctx, Speech(ctx.state.pace).say(text), ctx.state.with_workout(workout))

    # -- moving through a workout ------------------------------------------------------------------
    def yes(self, ctx: Context) -> Reply:
        """"Yes" means whatever the last question offered."""
        phase = ctx.state.workout.phase
        if phase is Phase.CONFIRM_FORGET:
            return self.forget(ctx)
        if phase is Phase.OFFERED_ROUTINE:
            return self.start_routine(ctx)
        if phase in (Phase.OFFERED_RESUME, Phase.PAUSED):
            return self.resume(ctx)
        if phase is Phase.ACTIVE:
            return self.carry_on(ctx)
        return self._ask(ctx, Speech(ctx.state.pace).say(self.prompts.pick("ask_start")),
                         ctx.state.with_workout(Workout.idle(Phase.OFFERED_ROUTINE)))

    def no(self, ctx: Context) -> Reply:
        """"No": decline the offer; in a workout, take a break without losing the place."""
        phase = ctx.state.workout.phase
        if phase is Phase.CONFIRM_FORGET:
            return self._ask(ctx, Speech(ctx.state.pace).say(self.prompts.pick("forget_declined"))
                             .say(self.prompts.pick("ask_start")),
                             ctx.state.with_workout(Workout.idle(Phase.OFFERED_ROUTINE)))
        if phase is Phase.OFFERED_RESUME:
            return self._ask(ctx, Speech(ctx.state.pace).say(self.prompts.pick("offer_routine")),
                             ctx.state.with_workout(Workout.idle(Phase.OFFERED_ROUTINE)))
        if phase in (Phase.ACTIVE, Phase.PAUSED):
            return self.pause(ctx, interrupted=False)  # "no" answers our question, so the turn was heard
        return self._ask(ctx, Speech(ctx.state.pace).say(self.prompts.pick("idle_options")),
                         ctx.state.with_workout(Workout.idle()))

    def carry_on(self, ctx: Context) -> Reply:
        """Voice the next counted turn from the current position."""
        if not ctx.state.workout.in_workout():
            return self.yes(ctx)
        return self._counted(ctx, routine.resume(ctx.state.workout), briefed=ctx.state.briefed)

    def next(self, ctx: Context) -> Reply:
        """"Next": start the upcoming exercise, or skip the rest of the current one."""
        workout = ctx.state.workout
        if not workout.in_workout():
            return self.yes(ctx)
        assert workout.position is not None
        if workout.position.is_exercise_start() and not ctx.state.briefed:
            return self.carry_on(ctx)
        skipped = self.catalog.get(workout.position.exercise_id)
        lead = Speech().say(self.prompts.pick("skipped", name=skipped.name))
        moved = routine.skip(self.catalog, workout)
        if moved.position is None:
            return self._finish(ctx, lead, workout.mode)
        return self._counted(ctx, moved, briefed=False, lead_in=lead)

    def start_over(self, ctx: Context) -> Reply:
        """Restart the current exercise from its set-up cue."""
        workout = ctx.state.workout
        if not workout.in_workout():
            return self.start_routine(ctx)
        assert workout.position is not None
        lead = Speech().say(self.prompts.pick("starting_over", name=self.catalog.get(workout.position.exercise_id).name))
        return self._counted(ctx, routine.start_over(self.catalog, workout), briefed=False, lead_in=lead)

    def pause(self, ctx: Context, interrupted: bool | None = None) -> Reply:
        """Remember the exact place: for a pause that cut a count short, the rep that was playing.

        `interrupted=False` when the pause cannot have cut anything (a "no" to our question).
        """
        workout = ctx.state.workout
        if not workout.in_workout():
            return self._ask(ctx, Speech(ctx.state.pace).say(self.prompts.pick("nothing_paused")),
                             ctx.state.with_workout(Workout.idle(Phase.OFFERED_ROUTINE)))
        paused = routine.pause(workout, None if interrupted is False else self._cut_short_at(ctx))
        assert paused.position is not None
        text = self.prompts.pick("paused", place=describe_place(self.catalog, paused.position))
        return self._ask(replace(ctx, progress=replace(ctx.progress, place=paused.position)),
                         Speech(ctx.state.pace).say(text), ctx.state.with_workout(paused), reprompt_key="paused_reprompt")

    def resume(self, ctx: Context) -> Reply:
        """Continue exactly where the user paused or stopped last time."""
        workout = ctx.state.workout
        if not workout.in_workout():
            return self._ask(ctx, Speech(ctx.state.pace).say(self.prompts.pick("nothing_paused")),
                             ctx.state.with_workout(Workout.idle(Phase.OFFERED_ROUTINE)))
        assert workout.position is not None
        lead = Speech().say(self.prompts.pick("resuming_at", place=describe_place(self.catalog, workout.position)))
        briefed = ctx.state.briefed and workout.phase is not Phase.OFFERED_RESUME
        return self._counted(ctx, routine.resume(workout), briefed=briefed, lead_in=lead)

    def repeat(self, ctx: Context) -> Reply:
        """Say the last response again, count included; the place does not change."""
        try:
            speech = parse_ssml(ctx.state.last_ssml)
        except ValueError:
            return self._ask(ctx, Speech(ctx.state.pace).say(self.prompts.pick("nothing_to_repeat")),
                             ctx.state.with_workout(Workout.idle(Phase.OFFERED_ROUTINE))
                             if not ctx.state.workout.in_workout() else ctx.state)
        state = replace(ctx.state, turn_at=ctx.now) if ctx.state.last_was_count else ctx.state
        return Reply(speech, ctx.state.last_reprompt, False, state, ctx.progress)  # a pause now rewinds in it

    def change_pace(self, ctx: Context, direction: str) -> Reply:
        """"Slower" / "faster" / "normal speed": change the counting pace, apply it from the next count."""
        current = ctx.state.pace
        target = changed_pace(current, direction)
        key = {"slower": "pace_slower", "faster": "pace_faster"}.get(direction, "pace_normal")
        if target == current and direction in ("slower", "faster"):
            text = self.prompts.pick("pace_limit", direction="slow" if direction == "slower" else "fast")
        else:
            text = self.prompts.pick(key)
        workout = ctx.state.workout
        cut_at = self._cut_short_at(ctx) if workout.phase is Phase.ACTIVE else None
        if cut_at is not None:
            workout = replace(workout, position=cut_at)  # redo the cut-off part at the new pace
        state = replace(ctx.state, pace=target, workout=workout)
        speech = Speech(target).say(text)
        if workout.in_workout():
            speech.say(self.prompts.pick("ask_continue"))
            return self._ask(replace(ctx, progress=replace(ctx.progress, pace=target)), speech, state)
        return self._ask(replace(ctx, progress=replace(ctx.progress, pace=target)), speech.say(self.prompts.pick("ask_start")),
                         state.with_workout(Workout.idle(Phase.OFFERED_ROUTINE)))

    # -- information -----------------------------------------------------------------------------
    def whats_next(self, ctx: Context) -> Reply:
        """Name the next exercise and about how long it takes, without starting it."""
        workout, pace = ctx.state.workout, ctx.state.pace
        if not workout.in_workout():
            first = self.catalog.exercises[0]
            total = sum(self._exercise_seconds(e.id, pace) for e in self.catalog.exercises)
            text = self.prompts.pick("whats_next_idle", name=first.name, duration=duration_words(total))
            return self._ask(ctx, Speech(pace).say(text), ctx.state.with_workout(Workout.idle(Phase.OFFERED_ROUTINE)))
        assert workout.position is not None
        current = self.catalog.get(workout.position.exercise_id)
        if workout.position.is_exercise_start() and not ctx.state.briefed:
            duration = duration_words(self._exercise_seconds(current.id, pace))
            text = self.prompts.pick("whats_next", name=current.name, duration=duration)
        elif (following := self.catalog.after(current.id)) is None:
            text = self.prompts.pick("whats_next_last", current=current.name.capitalize())
        else:
            duration = duration_words(self._exercise_seconds(following.id, pace))
            text = self.prompts.pick("whats_next_after_current", current=current.name, name=following.name,
                                     duration=duration)
        return self._ask(ctx, Speech(pace).say(text), ctx.state)

    def instructions(self, ctx: Context, exercise: Exercise | None) -> Reply:
        """The detailed how-to for the named or current exercise."""
        workout = ctx.state.workout
        if exercise is None and workout.position is not None:
            exercise = self.catalog.get(workout.position.exercise_id)
        if exercise is None:
            text = self.prompts.pick("instructions_idle", names=self.catalog.names_list())
            return self._ask(ctx, Speech(ctx.state.pace).say(text), ctx.state)
        speech = Speech(ctx.state.pace).say(self.prompts.pick(
            "instructions", name=exercise.name, position=exercise.position, steps=" ".join(exercise.steps)))
        for caution in exercise.cautions:
            speech.say(caution)
        if exercise.times_per_day:
            speech.say(self.prompts.pick("frequency", times=times_word(exercise.times_per_day)))
        state = ctx.state
        if workout.position is None or workout.position.exercise_id != exercise.id:
            state = ctx.state.with_workout(routine.start(self.catalog, exercise.id), briefed=False)
        return self._ask(ctx, speech.say(self.prompts.pick("ask_ready")), state)

    def how_am_i_doing(self, ctx: Context) -> Reply:
        """Today's sessions against the daily goal, the streak, and this week's total."""
        log, today, goal = ctx.progress.log, ctx.today, self.catalog.times_per_day
        speech = Speech(ctx.state.pace).say(self.prompts.pick(
            "report_today", done=number_word(min(log.sessions_on(today), 99)), goal=number_word(goal)))
        streak = log.streak(today)
        if streak > 1:
            speech.say(self.prompts.pick("report_streak", days=number_word(min(streak, 999))))
        week = log.week_total(today)
        speech.say(self.prompts.pick("report_week", times=times_word(week)) if week
                   else self.prompts.pick("report_week_none"))
        if ctx.state.workout.in_workout():
            speech.say(self.prompts.pick("ask_continue"))
            return self._ask(ctx, speech, ctx.state)
        speech.say(self.prompts.pick("ask_start"))
        return self._ask(ctx, speech, ctx.state.with_workout(Workout.idle(Phase.OFFERED_ROUTINE)))

    def confirm_forget(self, ctx: Context) -> Reply:
        """"Delete my progress": say exactly what will go, and ask to confirm."""
        return self._ask(ctx, Speech(ctx.state.pace).say(self.prompts.pick("forget_confirm")),
                         ctx.state.with_workout(Workout.idle(Phase.CONFIRM_FORGET)))

    def forget(self, ctx: Context) -> Reply:
        """Confirmed: delete everything stored for this user and end the session."""
        speech = Speech().say(self.prompts.pick("forget_done"))
        return Reply(speech, "", True, SessionState(), UserProgress(), forget=True)

    def help(self, ctx: Context) -> Reply:
        """What the user can say right now."""
        workout = ctx.state.workout
        if workout.phase is Phase.PAUSED and workout.position:
            text = self.prompts.pick("help_paused", place=describe_place(self.catalog, workout.position))
        elif workout.in_workout() and workout.position:
            text = self.prompts.pick("help_workout", name=self.catalog.get(workout.position.exercise_id).name)
        else:
            text = self.prompts.pick("help_idle", names=self.catalog.names_list())
            workout = Workout.idle(Phase.OFFERED_ROUTINE)
        return self._ask(ctx, Speech(ctx.state.pace).say(text), ctx.state.with_workout(workout))

    def fallback(self, ctx: Context) -> Reply:
        """Something we did not understand: say so, then say what works here."""
        reply = self.help(ctx)
        speech = Speech(ctx.state.pace).say(self.prompts.pick("fallback")).extend(reply.speech)
        return replace(reply, speech=speech, state=replace(reply.state, last_ssml=speech.to_ssml()))

    def stop(self, ctx: Context) -> Reply:
        """Stop or cancel: a short goodbye; the place is kept for next time."""
        goodbye = Speech(ctx.state.pace).say(self.prompts.pick("goodbye"))
        if not ctx.state.workout.in_workout():
            return Reply(goodbye, "", True, ctx.state, ctx.progress)
        saved = Speech(ctx.state.pace).say(self.prompts.pick("goodbye_saved"))
        return Reply(saved, "", True, ctx.state, ctx.progress, if_unsaved=goodbye)

    # -- building replies --------------------------------------------------------------------------
    def _counted(self, ctx: Context, workout: Workout, *, briefed: bool, lead_in: Speech | None = None) -> Reply:
        """Voice the next counted turn and move the workout past it."""
        assert workout.position is not None
        lead = Speech()
        if not ctx.progress.heard_safety:
            lead.say(self.prompts.pick("safety_first_use"))
        if lead_in:
            lead.extend(lead_in)
        new_session = not ctx.state.session_counted
        goal = self.catalog.times_per_day
        praise = (self.prompts.pick("daily_goal", goal=number_word(goal))
                  if new_session and ctx.progress.log.sessions_on(ctx.today) + 1 == goal else None)
        turn: Turn = self._plan(workout.position, workout.mode, ctx.state.pace, lead, briefed, praise)
        moved = routine.after_turn(self.catalog, workout, turn.start, turn.end)
        exercise_done = turn.end is None
        state = replace(ctx.state, workout=moved, briefed=not exercise_done,
                        turn_at=ctx.now, turn_seconds=turn.speech.estimated_seconds(), turn_marks=turn.marks,
                        last_ssml=turn.speech.to_ssml(), last_reprompt=turn.reprompt, last_was_count=True,
                        session_counted=ctx.state.session_counted or exercise_done)
        progress = replace(ctx.progress, heard_safety=True, mode=workout.mode, place=moved.position)
        event = None
        if exercise_done:
            finished = turn.next_exercise is None and workout.mode is Mode.ROUTINE
            event = ProgressEvent(ctx.today, new_session=new_session, routine_finished=finished)
            progress = replace(progress, log=progress.log.record_exercise(ctx.today, new_session=new_session))
        screen = Screen(self.catalog.get(turn.start.exercise_id).name, turn.cues)
        return Reply(turn.speech, turn.reprompt, turn.ends_session, state, progress, event, screen=screen)

    def _finish(self, ctx: Context, lead: Speech, mode: Mode) -> Reply:
        """The last exercise was skipped: close the workout."""
        speech = Speech(ctx.state.pace).extend(lead).say(
            self.prompts.pick("routine_done" if mode is Mode.ROUTINE else "last_exercise_done"))
        return Reply(speech, "", True, ctx.state.with_workout(Workout.idle(), briefed=False),
                     replace(ctx.progress, place=None))

    def _ask(self, ctx: Context, speech: Speech, state: SessionState, *, reprompt_key: str | None = None) -> Reply:
        """A reply that keeps the mic open; the reprompt is the help for where the user now is."""
        reprompt = self.prompts.pick(reprompt_key) if reprompt_key else self._reprompt_for(state)
        state = replace(state, last_ssml=speech.to_ssml(), last_reprompt=reprompt, last_was_count=False)
        return Reply(speech, reprompt, False, state, ctx.progress)

    def _reprompt_for(self, state: SessionState) -> str:
        phase = state.workout.phase
        if phase is Phase.PAUSED:
            return self.prompts.pick("paused_reprompt")
        if phase in (Phase.ACTIVE, Phase.OFFERED_RESUME):
            return self.prompts.pick("reprompt_continue")
        return self.prompts.pick("ask_start")

    def _cut_short_at(self, ctx: Context) -> Position | None:
        """Where the user was if this request cut the last counted turn short, else None."""
        state = ctx.state
        if state.turn_at <= 0 or not state.turn_marks:
            return None
        return estimate_resume(state.turn_marks, state.turn_seconds, ctx.now - state.turn_at).resume_at
