"""Answers that inform or confirm without moving the workout: welcome, what's next, how-to, progress,
help, repeat, forgetting, the reminder offer, and the end of a session.

Plain Python. None of these moves the place: "how do I do X" explains X and offers to start it.
"""

from __future__ import annotations

from dataclasses import replace

from skill.conversation.dialogue_base import DialogueBase
from skill.conversation.replies import Context, Reply, Said
from skill.progress.state import Question, SessionState, UserProgress
from skill.speech.replay import parse_ssml
from skill.speech.ssml import Speech
from skill.workout.routine import describe_place
from skill.workout.wording import describe_counts, describe_version


class TalkAnswers(DialogueBase):
    """The outcomes that talk, then ask again."""

    def launch(self, ctx: Context, said: Said) -> Reply:
        """"Alexa, open foot coach": welcome, and offer to resume or to start."""
        progress, catalog = ctx.progress, self.catalog_for(ctx.state)
        if progress.place is not None:
            state = ctx.state.with_workout(replace(ctx.state.workout, mode=progress.mode, position=progress.place))
            place = describe_place(self.catalog, progress.place, self.prompts)
            version = describe_version(catalog.get(progress.place.exercise_id), self.prompts)
            text = (self.prompts.pick("welcome_back_resume_version", place=place, version=version) if version
                    else self.prompts.pick("welcome_back_resume", place=place))
            return self.ask(ctx, Speech(ctx.state.pace).say(text), state, Question.RESUME_LAST_TIME)
        speech = Speech(ctx.state.pace)
        if progress.heard_safety:
            chosen = [f"{e.name} {describe_version(e, self.prompts)}" for e in catalog.exercises if e.chosen]
            speech.say(self.prompts.pick("welcome_back_versions", versions=self.prompts.words.join(chosen)) if chosen
                       else self.prompts.pick("welcome_back"))
        else:
            # The routine's daily goal is explained here, once; instructions then name only a different frequency.
            speech.say(self.prompts.pick("welcome_new", times=self.prompts.words.times(self.catalog.times_per_day)))
            speech.say(self.prompts.pick("safety_first_use"))
            speech.say(self.prompts.pick("ask_start"))
            progress = replace(progress, heard_safety=True)
        return self.ask(replace(ctx, progress=progress), speech, self.idle(ctx.state), Question.START_ROUTINE)

    def offer_routine_instead(self, ctx: Context, said: Said) -> Reply:
        """"No" to carrying on from last time: offer the routine from the top (the place stays stored)."""
        speech = Speech(ctx.state.pace).say(self.prompts.pick("offer_routine"))
        return self.ask(ctx, speech, self.idle(ctx.state), Question.START_ROUTINE)

    def back_to_workout(self, ctx: Context, said: Said) -> Reply:
        """"No" to starting the exercise just explained: back to where the user was."""
        state = replace(ctx.state, question=self.natural_question(ctx.state), offered=None)
        return self.restate(replace(ctx, state=state), Speech(ctx.state.pace).say(self.prompts.pick("okay")))

    def whats_next(self, ctx: Context, said: Said) -> Reply:
        """Name the next exercise and about how long it takes, without starting it."""
        workout, pace = ctx.state.workout, ctx.state.pace
        if workout.position is None:
            first = self.catalog.exercises[0]
            total = sum(self.exercise_seconds(ctx.state, e.id) for e in self.catalog.exercises)
            text = self.prompts.pick("whats_next_idle", name=first.name, duration=self.prompts.words.duration(total))
            return self.ask(ctx, Speech(pace).say(text), ctx.state, Question.START_ROUTINE)
        current = self.catalog.get(workout.position.exercise_id)
        if workout.position.is_exercise_start() and not ctx.state.briefed:
            text = self.prompts.pick("whats_next_is", name=current.name,
                                     duration=self.prompts.words.duration(self.exercise_seconds(ctx.state, current.id)))
            if ctx.state.question is Question.NEXT_EXERCISE:   # "Next up is ..." would say the name twice
                return self.ask(ctx, Speech(pace).say(text).say(self.prompts.pick("ready_to_start")), ctx.state)
        elif (following := self.catalog.after(current.id)) is None:
            text = self.prompts.pick("whats_next_last_is", current=current.name.capitalize())
        else:
            duration = self.prompts.words.duration(self.exercise_seconds(ctx.state, following.id))
            text = self.prompts.pick("whats_next_after", current=current.name, name=following.name, duration=duration)
        return self.restate(ctx, Speech(pace).say(text))

    def instructions(self, ctx: Context, said: Said) -> Reply:
        """The detailed how-to for the named or current exercise, every set-up step and the counts; the place never moves."""
        if said.heard and said.exercise is None:
            return self.unknown_exercise(ctx, said.heard)
        position = ctx.state.workout.position
        named = said.exercise or (self.catalog.get(position.exercise_id) if position else None)
        if named is None:
            text = self.prompts.pick("instructions_idle", names=self.catalog.names_list(self.prompts.words))
            return self.ask(ctx, Speech(ctx.state.pace).say(text), ctx.state, Question.START_ROUTINE)
        exercise = self.catalog_for(ctx.state).get(named.id)
        speech = Speech(ctx.state.pace).say(self.prompts.pick(
            "instructions", name=exercise.name, position=" ".join(exercise.setup), steps=" ".join(exercise.steps)))
        speech.say(describe_counts(exercise, self.prompts))
        for caution in exercise.cautions:
            speech.say(caution)
        if exercise.times_per_day and exercise.times_per_day != self.catalog.times_per_day:
            # The routine's daily goal is explained once (the welcome); only a different frequency is said here.
            speech.say(self.prompts.pick("frequency", times=self.prompts.words.times(exercise.times_per_day)))
        progress = replace(ctx.progress, known=ctx.progress.known | {exercise.setup_key})
        ctx = replace(ctx, progress=progress)
        if position is not None and position.exercise_id == exercise.id:
            return self.restate(ctx, speech)
        state = replace(ctx.state, offered=exercise.id)
        return self.ask(ctx, speech.say(self.prompts.pick("start_named", name=exercise.name)), state,
                        Question.START_NAMED)

    def how_am_i_doing(self, ctx: Context, said: Said) -> Reply:
        """What was finished today and this week, against the daily goal; never "you haven't trained"
        after a finished exercise."""
        log, today, goal = ctx.progress.log, ctx.today, self.catalog.times_per_day
        speech = Speech(ctx.state.pace)
        if not ctx.progress_read:   # never "zero sessions" when the history could not be read
            return self.restate(ctx, speech.say(self.prompts.pick("progress_unreachable")))
        exercises_today = log.exercises_on(today)
        if exercises_today:
            key = "report_today_one_exercise" if exercises_today == 1 else "report_today"
            speech.say(self.prompts.pick(key, done=self.prompts.words.number(min(log.sessions_on(today), 99)),
                                         goal=self.prompts.words.number(goal),
                                         exercises=self.prompts.words.number(min(exercises_today, 99))))
        else:
            speech.say(self.prompts.pick("report_today_none", goal=self.prompts.words.number(goal)))
        streak = log.streak(today)
        if streak > 1:
            speech.say(self.prompts.pick("report_streak", days=self.prompts.words.number(min(streak, 999))))
        week = log.week_total(today)
        speech.say(self.prompts.pick("report_week", times=self.prompts.words.times(week)) if week
                   else self.prompts.pick("report_week_none"))
        return self.restate(ctx, speech)

    def help(self, ctx: Context, said: Said) -> Reply:
        """What the user can say right now, ending with the pending question."""
        workout, q = ctx.state.workout, ctx.state.question
        if workout.position is None:
            text = self.prompts.pick("help_idle", names=self.catalog.names_list(self.prompts.words))
            return self.ask(ctx, Speech(ctx.state.pace).say(text), ctx.state, Question.START_ROUTINE)
        if q is Question.AFTER_PAIN:
            text = self.prompts.pick("help_after_pain")   # never an invitation to carry on
        elif q is Question.NEXT_EXERCISE:
            name = self.catalog.get(workout.position.exercise_id).name
            return self.ask(ctx, Speech(ctx.state.pace).say(self.prompts.pick("help_next_up", name=name.capitalize()))
                            .say(self.prompts.pick("ready_to_start")), ctx.state)
        elif q in (Question.RESUME_PAUSED, Question.WAYS_ON, Question.RESUME_LAST_TIME):
            text = self.prompts.pick("help_paused", place=describe_place(self.catalog, workout.position, self.prompts))
        else:
            text = self.prompts.pick("help_workout", name=self.catalog.get(workout.position.exercise_id).name)
        return self.restate(ctx, Speech(ctx.state.pace).say(text))

    def fallback(self, ctx: Context, said: Said) -> Reply:
        """Something we did not understand: say so, then what works here and the pending question."""
        reply = self.help(ctx, said)
        speech = Speech(ctx.state.pace).say(self.prompts.pick("fallback")).extend(reply.speech)
        return replace(reply, speech=speech, state=replace(reply.state, last_ssml=speech.to_ssml()))

    def repeat(self, ctx: Context, said: Said) -> Reply:
        """Say the last response again, count included; the place does not change."""
        try:
            speech = parse_ssml(ctx.state.last_ssml, self.sounds.by_address())
        except ValueError:
            return self.restate(ctx, Speech(ctx.state.pace).say(self.prompts.pick("nothing_to_repeat_yet")))
        # What the session sent back is not trusted: the speech was rebuilt, and so is what it carries on.
        reprompt = ctx.state.last_reprompt or self.reprompt_for(ctx.state)
        state = replace(ctx.state, last_ssml=speech.to_ssml(), last_reprompt=reprompt)
        state = replace(state, turn_at=ctx.now) if ctx.state.last_was_count else state
        return Reply(speech, reprompt, False, state, ctx.progress)  # a pause now rewinds in it

    # -- forgetting -------------------------------------------------------------------------------------
    def confirm_forget(self, ctx: Context, said: Said) -> Reply:
        """"Delete my progress": say exactly what will go, and ask to confirm."""
        speech = Speech(ctx.state.pace).say(self.prompts.pick("forget_confirm"))
        return self.ask(ctx, speech, ctx.state, Question.CONFIRM_FORGET)

    def forget(self, ctx: Context, said: Said) -> Reply:
        """Confirmed with a yes: delete everything stored for this user and end the session."""
        speech = Speech().say(self.prompts.pick("forget_done"))
        return Reply(speech, "", True, SessionState(), UserProgress(), forget=True)

    def keep_everything(self, ctx: Context, said: Said) -> Reply:
        """Anything but yes to "delete everything?": nothing is deleted; back to where the user was."""
        state = replace(ctx.state, question=self.natural_question(ctx.state))
        return self.restate(replace(ctx, state=state), Speech(ctx.state.pace).say(self.prompts.pick("forget_declined")))

    # -- reminders (the Alexa layer calls the Reminders API for the effects) -------------------------------
    def create_reminders(self, ctx: Context, said: Said) -> Reply:
        """"Yes" to the reminder offer: the Alexa layer creates it, then the reminder dialogue answers."""
        return Reply(Speech(), "", False, ctx.state, ctx.progress, effect="create_reminders")

    def repeat_reminders_offer(self, ctx: Context, said: Said) -> Reply:
        """"Repeat" during the reminder offer: offer the same times again (so a yes still knows them)."""
        return Reply(Speech(), "", False, ctx.state, ctx.progress, effect="offer_reminders_again")

    def decline_reminders(self, ctx: Context, said: Said) -> Reply:
        """"No" to the reminder offer: nothing is set."""
        return self.reminders.declined(ctx)

    def session_ended(self, ctx: Context, said: Said) -> Reply:
        """Alexa closed the session: nothing to say (answer() has recorded what was heard)."""
        return Reply(Speech(), "", True, ctx.state, ctx.progress, silent=True)
