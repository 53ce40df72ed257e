"""Answers that move the workout: start, carry on, resume, skip, start over, pace, pause, stop, pain.

Plain Python. An exercise counts as finished only when its last rep was heard: the turn that voices
it records the finish at once (so nothing is lost if no further request comes) and keeps it in the
session; when the next request is a stop, pause, pain or pace change that cut that turn short, the
finish is taken back, exactly once, and the place goes back to the rep that was playing.
"""

from __future__ import annotations

from dataclasses import replace

from skill.conversation.replies import Context, Reply, Said, Screen
from skill.conversation.setup_answers import SetupAnswers
from skill.conversation.table import Action
from skill.progress.events import ProgressEvent
from skill.progress.state import Question
from skill.speech.ssml import Speech
from skill.workout import routine
from skill.workout.pace import changed_pace
from skill.workout.planning import Turn
from skill.workout.routine import Mode, Workout, describe_place
from skill.workout.wording import resume_place


class WorkoutAnswers(SetupAnswers):
    """The outcomes that count, or that stop counting with the place kept."""

    def start_routine(self, ctx: Context, said: Said) -> Reply:
        """Start the whole routine from the warm-up."""
        ctx = replace(ctx, state=replace(ctx.state, skipped=False))
        return self.counted(ctx, routine.start(self.catalog), briefed=False)

    def restart_routine(self, ctx: Context, said: Said) -> Reply:
        """"Start over" with nothing under way: the routine from the beginning."""
        lead = Speech().say(self.prompts.pick("starting_routine_over"))
        ctx = replace(ctx, state=replace(ctx.state, skipped=False))
        return self.counted(ctx, routine.start(self.catalog), briefed=False, lead_in=lead)

    def start_exercise(self, ctx: Context, said: Said) -> Reply:
        """Start one exercise by name; an unknown name gets the list of what we have."""
        if said.exercise is None:
            return self.unknown_exercise(ctx, said.heard)
        return self.counted(ctx, routine.start(self.catalog, said.exercise.id), briefed=False)

    def start_offered(self, ctx: Context, said: Said) -> Reply:
        """"Yes" to "Would you like to start X?": after its instructions (or a version chosen, "on a chair"),
        the set-up is not said again if the user knows it."""
        if ctx.state.offered is None:
            return self.start_routine(ctx, said)
        known = self.catalog_for(ctx.state).get(ctx.state.offered).setup_key in ctx.progress.known
        return self.counted(ctx, routine.start(self.catalog, ctx.state.offered), briefed=known)

    def carry_on(self, ctx: Context, said: Said) -> Reply:
        """Voice the next counted turn from the current position."""
        if not ctx.state.workout.in_workout():
            return self.ask(ctx, Speech(ctx.state.pace).say(self.prompts.pick("ask_start")), ctx.state,
                            Question.START_ROUTINE)
        return self.counted(ctx, ctx.state.workout, briefed=ctx.state.briefed)

    def resume(self, ctx: Context, said: Said) -> Reply:
        """Continue exactly where the user paused, or stopped last time."""
        workout = ctx.state.workout
        if not workout.in_workout():
            return self.ask(ctx, Speech(ctx.state.pace).say(self.prompts.pick("nothing_paused")), ctx.state,
                            Question.START_ROUTINE)
        assert workout.position is not None
        # The place once: the turn itself then says the side, set or rep it starts with.
        lead = Speech().say(self.prompts.pick("resuming_at",
                                              place=resume_place(self.catalog, workout.position, self.prompts)))
        briefed = ctx.state.briefed and ctx.state.question is not Question.RESUME_LAST_TIME
        return self.counted(ctx, workout, briefed=briefed, lead_in=lead, ready=briefed)

    def skip(self, ctx: Context, said: Said) -> Reply:
        """Skip the exercise under way (or the one just announced) and go on to the one after it."""
        workout = ctx.state.workout
        if not workout.in_workout():
            return self.start_routine(ctx, said)
        assert workout.position is not None
        skipped = self.catalog.get(workout.position.exercise_id)
        lead = Speech().say(self.prompts.pick("skipped", name=skipped.name))
        moved = routine.skip(self.catalog, workout)
        ctx = replace(ctx, state=replace(ctx.state, skipped=True))
        if moved.position is None:
            return self.finish_skipped(ctx, lead, workout.mode)
        return self.counted(ctx, moved, briefed=False, lead_in=lead)

    def start_over(self, ctx: Context, said: Said) -> Reply:
        """Restart the exercise under way from its set-up cue (with nothing under way, the routine)."""
        workout = ctx.state.workout
        if not workout.in_workout():
            return self.start_routine(ctx, said)
        assert workout.position is not None
        name = self.catalog.get(workout.position.exercise_id).name
        lead = Speech().say(self.prompts.pick("starting_over", name=name))
        return self.counted(ctx, routine.start_over(self.catalog, workout), briefed=False, lead_in=lead)

    def change_pace(self, ctx: Context, said: Said) -> Reply:
        """"Slower" / "faster" / "normal speed": over a count, count on from the rep that was playing."""
        direction = {"slower": "slower", "faster": "faster"}.get(said.action, "normal")
        current = ctx.state.pace
        target = changed_pace(current, direction)
        if target == current and direction != "normal":
            text = self.prompts.pick("pace_limit", direction="slow" if direction == "slower" else "fast")
        else:
            key = {"slower": "pace_slower", "faster": "pace_faster"}.get(direction, "pace_normal")
            text = self.prompts.pick(key)
        ctx = replace(ctx, state=replace(ctx.state, pace=target), progress=replace(ctx.progress, pace=target))
        return self._delivery_changed(ctx, said, text)

    def change_sounds(self, ctx: Context, said: Said) -> Reply:
        """"Sounds off" / "sounds on", remembered; over a count, count on from the rep that was playing."""
        wanted = said.action is Action.SOUNDS_ON
        key = ("sounds_on" if wanted else "sounds_off") if ctx.state.sounds != wanted else (
            "sounds_already_on" if wanted else "sounds_already_off")
        text = self.prompts.pick(key)
        ctx = replace(ctx, state=replace(ctx.state, sounds=wanted), progress=replace(ctx.progress, sounds=wanted))
        return self._delivery_changed(ctx, said, text)

    def _delivery_changed(self, ctx: Context, said: Said, text: str) -> Reply:
        """After a change to how counting sounds: over a count, count on from the rep that was playing
        (said with `text` first); else `text`, then the pending question again."""
        if said.cut_at is not None:
            place = resume_place(self.catalog, said.cut_at, self.prompts)
            lead = Speech().say(text).say(self.prompts.pick("counting_on_from", place=place))
            return self.counted(ctx, ctx.state.workout, briefed=True, lead_in=lead, ready=True)
        return self.restate(ctx, Speech(ctx.state.pace).say(text))

    def pause(self, ctx: Context, said: Said) -> Reply:
        """Keep the exact place (over a count, the rep that was playing) and offer to resume."""
        workout = ctx.state.workout
        if not workout.in_workout():
            return self.ask(ctx, Speech(ctx.state.pace).say(self.prompts.pick("nothing_paused")), ctx.state,
                            Question.START_ROUTINE)
        assert workout.position is not None
        text = self.prompts.pick("paused", place=describe_place(self.catalog, workout.position, self.prompts))
        ctx = replace(ctx, progress=replace(ctx.progress, place=workout.position))
        return self.ask(ctx, Speech(ctx.state.pace).say(text), ctx.state, Question.RESUME_PAUSED)

    def stop(self, ctx: Context, said: Said) -> Reply:
        """Stop or cancel: a short goodbye that names the place kept for next time."""
        goodbye = Speech(ctx.state.pace).say(self.prompts.pick("goodbye"))
        state = replace(ctx.state, question=Question.NONE)
        position = state.workout.position
        if position is None:
            return Reply(goodbye, "", True, state, ctx.progress)
        place = describe_place(self.catalog, position, self.prompts)
        saved = Speech(ctx.state.pace).say(self.prompts.pick("goodbye_saved_at", place=place))
        progress = replace(ctx.progress, place=position, mode=state.workout.mode)
        return Reply(saved, "", True, state, progress, if_unsaved=goodbye)

    def goodbye(self, ctx: Context, said: Said) -> Reply:
        """A second "no": close politely, the place kept."""
        return self.stop(ctx, said)

    def finish_for_today(self, ctx: Context, said: Said) -> Reply:
        """"No" to skipping after pain: finish for today, the place kept."""
        return self.stop(ctx, said)

    def decline(self, ctx: Context, said: Said) -> Reply:
        """A first "no": offer the ways on in one short sentence; nothing moves."""
        key = "ways_on" if ctx.state.workout.in_workout() else "ways_on_idle"
        return self.ask(ctx, Speech(ctx.state.pace).say(self.prompts.pick(key)), ctx.state, Question.WAYS_ON)

    def pain(self, ctx: Context, said: Said) -> Reply:
        """Stop counting, say to rest and when to see a professional; keep the place; never say carry on."""
        speech = Speech(ctx.state.pace).say(self.prompts.pick("pain"))
        position = ctx.state.workout.position
        if position is None:
            return Reply(speech.say(self.prompts.pick("pain_goodbye")), "", True,
                         replace(ctx.state, question=Question.NONE), ctx.progress)
        ctx = replace(ctx, progress=replace(ctx.progress, place=position))
        return self.ask(ctx, speech.say(self.prompts.pick("pain_question")), ctx.state, Question.AFTER_PAIN)

    # -- counted turns --------------------------------------------------------------------------------
    def counted(self, ctx: Context, workout: Workout, *, briefed: bool, lead_in: Speech | None = None,
                ready: bool = False) -> Reply:
        """Voice the next counted turn and move the workout past it.

        At the start of an exercise with a ready gate, unless the user is `ready`, the set-up turn
        comes instead (SetupAnswers.get_in_position).
        """
        assert workout.position is not None
        exercise = self.catalog_for(ctx.state).get(workout.position.exercise_id)
        if workout.position.is_exercise_start() and exercise.gated and not ready:
            return self.get_in_position(ctx, workout, exercise, briefed=briefed, lead_in=lead_in)
        state = ctx.state
        lead = Speech()
        if not ctx.progress.heard_safety:
            lead.say(self.prompts.pick("safety_first_use"))
        if lead_in:
            lead.extend(lead_in)
        new_session = not state.session_counted
        goal = self.catalog.times_per_day
        praise = (self.prompts.pick("daily_goal", goal=self.prompts.words.number(goal))
                  if new_session and ctx.progress.log.sessions_on(ctx.today) + 1 == goal else None)
        turn: Turn = self.plan(state)(workout.position, workout.mode, state.pace, lead, briefed, praise,
                                      whole_routine=not state.skipped, familiar=exercise.setup_key in ctx.progress.known,
                                      sounds=self.sounds_for(state))
        moved = routine.after_turn(self.catalog, workout, turn.start, turn.end)
        exercise_done = turn.end is None
        question = (Question.NONE if turn.ends_session else Question.NEXT_EXERCISE if exercise_done
                    else Question.NEXT_PART)
        state = replace(state, workout=moved, briefed=not exercise_done, question=question, offered=None,
                        turn_at=ctx.now, turn_seconds=turn.speech.estimated_seconds(), turn_marks=turn.marks,
                        turn_counted_until=turn.counted_until,
                        last_ssml=turn.speech.to_ssml(), last_was_count=True)
        progress = replace(ctx.progress, heard_safety=True, mode=workout.mode, place=moved.position)
        if workout.position.is_exercise_start() and not briefed:  # the set-up was said in full, or again
            progress = replace(progress, known=progress.known | {exercise.setup_key})
        events: tuple[ProgressEvent, ...] = ()
        if exercise_done:
            whole = turn.next_exercise is None and workout.mode is Mode.ROUTINE and not ctx.state.skipped
            event = ProgressEvent(ctx.today, new_session=new_session, routine_finished=whole)
            events = (event,)
            progress = replace(progress, log=event.apply(progress.log))
            state = replace(state, session_counted=True, unheard_finish=None if turn.ends_session else event)
        reprompt = self.reprompt_for(state) if not turn.ends_session else ""
        state = replace(state, last_reprompt=reprompt)
        screen = Screen(self.catalog.get(turn.start.exercise_id).name, turn.cues)
        return Reply(turn.speech, reprompt, turn.ends_session, state, progress, events, screen=screen)

    def finish_skipped(self, ctx: Context, lead: Speech, mode: Mode) -> Reply:
        """The last exercise was skipped: close the workout (never praised as the whole routine)."""
        key = "routine_end_skipped" if mode is Mode.ROUTINE else "last_exercise_done"
        speech = Speech(ctx.state.pace).extend(lead).say(self.prompts.pick(key))
        state = replace(self.idle(ctx.state), question=Question.NONE)
        return Reply(speech, "", True, state, replace(ctx.progress, place=None))
