"""Answers that choose a version of an exercise: "make it harder", "make it easier", "I can't lie down",
"can I do the band one on a chair", "the usual way".

Plain Python. The versions are the sources' own (exercises.json `variants`: B's harder counts, A's
seated ankle circles, B's band stretch on a chair); nothing else is offered. A choice is per exercise
and remembered per user (UserProgress.choices, carried in the session as SessionState.choices). An
exercise under way that changes version starts again from its set-up, so the user hears the new
position and counts; otherwise the choice is confirmed and the pending question asked again.
"""

from __future__ import annotations

from dataclasses import replace

from skill.content.catalog import Exercise
from skill.conversation.replies import Context, Reply, Said
from skill.conversation.setup_answers import SetupAnswers
from skill.progress.choices import chosen_for, with_choice
from skill.progress.state import Question
from skill.speech.ssml import Speech
from skill.workout import routine
from skill.workout.wording import describe_counts

# Postures a seated version is no change for ("can I do pencil pickups sitting?": yes, as it is).
SITTING_ALREADY = frozenset({"any", "chair"})


class VariantAnswers(SetupAnswers):
    """The outcomes that change which version of an exercise a user does."""

    def make_harder(self, ctx: Context, said: Said) -> Reply:
        """"Make it harder": the level the articles give with more (B's counts), where there is one."""
        if said.heard and said.exercise is None:
            return self.unknown_exercise(ctx, said.heard)
        return self._change_level(ctx, said, harder=True)

    def make_easier(self, ctx: Context, said: Said) -> Reply:
        """"Make it easier": back to the gentler level (A's counts)."""
        if said.heard and said.exercise is None:
            return self.unknown_exercise(ctx, said.heard)
        return self._change_level(ctx, said, harder=False)

    def sit_down_version(self, ctx: Context, said: Said) -> Reply:
        """"I can't lie down", "can I do it sitting", "the band one on a chair": the seated version."""
        if said.heard and said.exercise is None:
            return self.unknown_exercise(ctx, said.heard)
        target = self._target(ctx, said) or next((e for e in self.catalog.exercises if e.posture == "lying"), None)
        if target is None:
            return self.restate(ctx, self._say(ctx, self.prompts.pick("which_exercise_seated")))
        variant = next((v for v in target.variants if v.axis == "position"), None)
        if variant is None:
            key = "position_sitting_fine" if target.posture in SITTING_ALREADY else "position_standing_only"
            return self.restate(ctx, self._say(ctx, self.prompts.pick(key, name=target.name)))
        chosen = chosen_for(ctx.state.choices, target.id)
        if variant.id in chosen:
            where = self._version(target, chosen).announce
            return self.restate(ctx, self._say(ctx, self.prompts.pick("position_already", name=target.name, where=where)))
        wanted = (*chosen, variant.id)
        text = self.prompts.pick("position_changed", name=target.name, where=self._version(target, wanted).announce)
        return self._choose(ctx, target, wanted, Speech().say(text))

    def usual_version(self, ctx: Context, said: Said) -> Reply:
        """"The usual way", "I can lie down now": the position the exercise's article gives first."""
        if said.heard and said.exercise is None:
            return self.unknown_exercise(ctx, said.heard)
        target = self._target(ctx, said) or next(
            (e for e in self.catalog.exercises if self._position_variant(e, ctx) is not None), None)
        if target is None or self._position_variant(target, ctx) is None:
            name = (target or self._current(ctx) or self.catalog.exercises[0]).name
            return self.restate(ctx, self._say(ctx, self.prompts.pick("position_usual_already", name=name)))
        chosen = chosen_for(ctx.state.choices, target.id)
        wanted = tuple(v for v in chosen if v != self._position_variant(target, ctx))
        text = self.prompts.pick("position_usual", name=target.name, where=target.announce)
        return self._choose(ctx, target, wanted, Speech().say(text))

    # -- shared ------------------------------------------------------------------------------------------
    def _change_level(self, ctx: Context, said: Said, *, harder: bool) -> Reply:
        target = self._target(ctx, said)
        if target is None:
            return self.restate(ctx, self._say(ctx, self.prompts.pick("which_exercise_level")))
        level = next((v for v in target.variants if v.axis == "level"), None)
        if level is None:
            text = self.prompts.pick("level_only_one", name=target.name.capitalize())
            return self.restate(ctx, self._say(ctx, text))
        chosen = chosen_for(ctx.state.choices, target.id)
        wanted = tuple(v for v in chosen if v != level.id) + ((level.id,) if harder else ())
        if sorted(wanted) == sorted(chosen):
            key = "level_already_harder" if harder else "level_already_easier"
            return self.restate(ctx, self._say(ctx, self.prompts.pick(key, name=target.name)))
        version = self._version(target, wanted)
        lead = Speech().say(self.prompts.pick("level_harder" if harder else "level_easier", name=target.name))
        frequency = None
        if version.times_per_day and version.times_per_day != self.catalog.times_per_day:
            frequency = self.prompts.pick("frequency", times=self.prompts.words.times(version.times_per_day))
        return self._choose(ctx, target, wanted, lead, describe_counts(version, self.prompts), frequency)

    def _choose(self, ctx: Context, target: Exercise, wanted: tuple[str, ...], lead: Speech,
                counts: str | None = None, frequency: str | None = None) -> Reply:
        """Remember the version; start the exercise again if it is under way, else ask what was asked.

        The new counts are said once: here, unless the set-up that follows says them.
        """
        choices = with_choice(ctx.state.choices, target.id, wanted)
        ctx = replace(ctx, state=replace(ctx.state, choices=choices), progress=replace(ctx.progress, choices=choices))
        workout = ctx.state.workout
        position = workout.position
        if position is not None and position.exercise_id == target.id and not (
                position.is_exercise_start() and not ctx.state.briefed):
            if self._version(target, wanted).setup_key in ctx.progress.known:
                lead.say(counts or "")   # the short set-up that follows leaves the counts out
            lead.say(frequency or "").say(self.prompts.pick("starting_over", name=target.name))
            return self.counted(ctx, routine.start_over(self.catalog, workout), briefed=False, lead_in=lead)
        speech = Speech(ctx.state.pace).extend(lead).say(counts or "").say(frequency or "")
        if position is None:
            state = replace(ctx.state, offered=target.id)
            return self.ask(ctx, speech.say(self.prompts.pick("start_named", name=target.name)), state,
                            Question.START_NAMED)
        return self.restate(ctx, speech)

    def _target(self, ctx: Context, said: Said) -> Exercise | None:
        """The exercise named, else the one under way (base versions, as the catalog lists them)."""
        if said.exercise is not None:
            return self.catalog.get(said.exercise.id)
        return self._current(ctx)

    def _current(self, ctx: Context) -> Exercise | None:
        position = ctx.state.workout.position
        return self.catalog.get(position.exercise_id) if position is not None else None

    def _position_variant(self, exercise: Exercise, ctx: Context) -> str | None:
        """The position variant this user chose for an exercise, if any."""
        chosen = chosen_for(ctx.state.choices, exercise.id)
        return next((v.id for v in exercise.variants if v.axis == "position" and v.id in chosen), None)

    def _version(self, target: Exercise, chosen: tuple[str, ...]) -> Exercise:
        return self.catalog.version(target.id, chosen)

    @staticmethod
    def _say(ctx: Context, text: str) -> Speech:
        return Speech(ctx.state.pace).say(text)
