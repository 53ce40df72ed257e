"""Daily reminders for the routine: which times, how they are said, and what each answer leads to.

Plain Python with no Alexa imports, like dialogue.py: skill/handlers/reminders.py turns Alexa
requests into these calls and sends the reminder through the ASK SDK's service client.

The source article ties the three daily sessions to meals ("breakfast, lunch and dinner serve as
perfect reminders") but names no clock times, so MEAL_TIMES are this skill's own defaults.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from skill.content.prompts import Prompts
from skill.conversation.replies import Context, Reply
from skill.progress.state import Question, SessionState
from skill.speech.ssml import Speech
from skill.speech.words import Words

PERMISSION_SCOPE = "alexa::alerts:reminders:skill:readwrite"
MAX_TIMES = 3                  # the routine is done three times a day; more would only nag
TOKEN_PREFIX = "foot-coach-reminders:"   # marks our AskFor token; the times offered follow it
OFFER_KEY = "reminder_offer"   # session attribute: the times last offered, "08:00,12:30,18:30"
STORE_KEY = "reminder"         # key in the user's stored attributes, beside UserProgress's own keys

_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")


class InvalidTimeError(ValueError):
    """A spoken time that is not a clock time (AMAZON.TIME says "EV" for "in the evening")."""


class ConsentStatus(StrEnum):
    """The user's answer to Alexa's permission question, from the Connections.Response payload."""

    ACCEPTED = "ACCEPTED"
    DENIED = "DENIED"
    NOT_ANSWERED = "NOT_ANSWERED"
    UNKNOWN = "UNKNOWN"          # anything else: treated like no answer


@dataclass(frozen=True, order=True)
class ClockTime:
    """A time of day to be reminded at, to the minute."""

    hour: int
    minute: int = 0

    def __post_init__(self) -> None:
        if not (0 <= self.hour <= 23 and 0 <= self.minute <= 59):
            raise InvalidTimeError(f"{self.hour}:{self.minute:02d} is not a time of day")

    @classmethod
    def parse(cls, value: str) -> ClockTime:
        """Read an AMAZON.TIME value such as "08:00" or "18:30".

        Raises:
            InvalidTimeError: not a clock time (a part of the day like "MO", or garbage).
        """
        match = _CLOCK.fullmatch(value.strip())
        if not match:
            raise InvalidTimeError(f"{value[:20]!r} is not a clock time")
        return cls(int(match[1]), int(match[2]))

    def wire(self) -> str:
        """The time as "HH:MM", for session attributes and tokens."""
        return f"{self.hour:02d}:{self.minute:02d}"

    def spoken(self, words: Words) -> str:
        """The time as people say it in the words' language: "8 am", "12:30 pm", "noon", "midnight"."""
        return words.clock(self.hour, self.minute)

    def rule(self) -> str:
        """An RFC 5545 rule for every day at this time, as the Reminders API takes it."""
        return f"FREQ=DAILY;BYHOUR={self.hour};BYMINUTE={self.minute};BYSECOND=0;INTERVAL=1"


# The skill's defaults for the meals the article names (the article gives no clock times).
MEAL_TIMES: dict[str, ClockTime] = {
    "breakfast": ClockTime(8, 0),
    "lunch": ClockTime(12, 30),
    "dinner": ClockTime(18, 30),
}


def meal_times(meals: Iterable[str]) -> tuple[ClockTime, ...]:
    """The default clock times for the routine's reminder meals, in order of the day.

    Raises:
        ValueError: a meal without a default time (add it to MEAL_TIMES).
    """
    try:
        return tuple(sorted({MEAL_TIMES[meal] for meal in meals}))
    except KeyError as err:
        raise ValueError(f"no default reminder time for meal {err.args[0]!r}; add it to MEAL_TIMES") from None


def heard_times(values: Sequence[str | None]) -> tuple[ClockTime, ...]:
    """The distinct times the user named, in order of the day; () when they named none.

    Raises:
        InvalidTimeError: a value that is not a clock time, or more than MAX_TIMES of them.
    """
    times = sorted({ClockTime.parse(value) for value in values if value and value.strip()})
    if len(times) > MAX_TIMES:
        raise InvalidTimeError(f"at most {MAX_TIMES} reminder times")
    return tuple(times)


def encode_times(times: Sequence[ClockTime]) -> str:
    """Times as "08:00,12:30,18:30"."""
    return ",".join(t.wire() for t in times)


def decode_times(value: Any) -> tuple[ClockTime, ...] | None:
    """Times written by encode_times, or None when the value is missing or not trustworthy."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        times = heard_times(value.split(","))
    except InvalidTimeError:
        return None
    return times or None


def consent_token(times: Sequence[ClockTime]) -> str:
    """The AskFor token: Alexa returns it as-is, so the times survive the permission dialogue."""
    return TOKEN_PREFIX + encode_times(times)


def is_consent_token(token: Any) -> bool:
    """True for a token this module made."""
    return isinstance(token, str) and token.startswith(TOKEN_PREFIX)


def times_from_token(token: Any) -> tuple[ClockTime, ...] | None:
    """The times carried by a consent token, or None."""
    return decode_times(token[len(TOKEN_PREFIX):]) if is_consent_token(token) else None


def consent_status(payload: Any) -> ConsentStatus:
    """The user's answer in a Connections.Response payload, version 1 or 2.

    Version 1 puts "status" beside "permissionScope"; version 2 lists "permissionScopes", and
    Amazon's own examples show the status either beside that list or inside its entry.
    """
    if not isinstance(payload, dict):
        return ConsentStatus.UNKNOWN
    candidates = [payload.get("status")]
    scopes = payload.get("permissionScopes")
    for entry in scopes if isinstance(scopes, list) else ():
        if isinstance(entry, dict) and entry.get("permissionScope") in (None, PERMISSION_SCOPE):
            candidates.append(entry.get("status"))
    for value in candidates:
        if isinstance(value, str) and value in ConsentStatus.__members__:
            return ConsentStatus(value)
    return ConsentStatus.UNKNOWN


class ReminderDialogue:
    """What Foot Coach says at each step of setting up or cancelling reminders."""

    def __init__(self, prompts: Prompts, meals: Sequence[str], times_per_day: int) -> None:
        self.prompts = prompts
        self.meals = tuple(meals)
        self.times_per_day = times_per_day
        self.default_times = meal_times(meals)

    # -- setting up -------------------------------------------------------------------------------
    def offer(self, ctx: Context, times: Sequence[ClockTime]) -> Reply:
        """Propose daily reminders at these times and wait for a spoken yes (Amazon asks for one per reminder)."""
        said = self.prompts.words.join([t.spoken(self.prompts.words) for t in times])
        speech = Speech(ctx.state.pace)
        if tuple(times) == self.default_times:
            speech.say(self.prompts.pick("reminders_meals", times_per_day=self.prompts.words.times(self.times_per_day),
                                         meals=self.prompts.words.join(self.meals)))
        if ctx.state.timezone is None:
            speech.say(self.prompts.pick("reminders_utc_note"))
        speech.say(self.prompts.pick("reminders_offer", times=said))
        return self._reply(ctx, speech, replace(ctx.state, question=Question.OFFER_REMINDERS),
                           self.prompts.pick("reminders_offer_reprompt", times=said))

    def times_unclear(self, ctx: Context) -> Reply:
        """The times heard were not clock times (or too many): say how to name them."""
        example = self.prompts.words.join([t.spoken(self.prompts.words) for t in self.default_times])
        return self._back(ctx, Speech(ctx.state.pace).say(self.prompts.pick("reminders_times_unclear", times=example)))

    def permission_needed(self, ctx: Context) -> Reply:
        """Said just before Alexa asks for the reminders permission (the session is then Alexa's)."""
        speech = Speech(ctx.state.pace).say(self.prompts.pick("reminders_permission_needed"))
        return Reply(speech, "", False, replace(ctx.state, last_ssml=speech.to_ssml(), last_reprompt="", last_was_count=False),
                     ctx.progress)

    def created(self, ctx: Context, times: Sequence[ClockTime]) -> Reply:
        """The reminder exists: restate when it rings and what for."""
        text = self.prompts.pick("reminders_created",
                                 times=self.prompts.words.join([t.spoken(self.prompts.words) for t in times]))
        return self._back(ctx, Speech(ctx.state.pace).say(text))

    def declined(self, ctx: Context) -> Reply:
        """"No" to the offer: nothing is set; say how to name other times."""
        return self._back(ctx, Speech(ctx.state.pace).say(self.prompts.pick("reminders_declined")))

    def permission_denied(self, ctx: Context) -> Reply:
        """The user refused the permission: nothing is set; a card in the Alexa app lets them change that."""
        return self._back(ctx, Speech(ctx.state.pace).say(self.prompts.pick("reminders_permission_denied")))

    def permission_not_answered(self, ctx: Context) -> Reply:
        """No answer to Alexa's permission question: nothing is set."""
        return self._back(ctx, Speech(ctx.state.pace).say(self.prompts.pick("reminders_permission_not_answered")))

    def not_set(self, ctx: Context) -> Reply:
        """The Reminders API failed: apologise and claim nothing."""
        return self._back(ctx, Speech(ctx.state.pace).say(self.prompts.pick("reminders_not_set")))

    # -- cancelling -------------------------------------------------------------------------------
    def cancelled(self, ctx: Context, any_deleted: bool) -> Reply:
        """Our reminders are gone (or there were none)."""
        key = "reminders_cancelled" if any_deleted else "reminders_none_to_cancel"
        return self._back(ctx, Speech(ctx.state.pace).say(self.prompts.pick(key)))

    def cancel_failed(self, ctx: Context) -> Reply:
        """The Reminders API failed while cancelling: the reminders may still be there."""
        return self._back(ctx, Speech(ctx.state.pace).say(self.prompts.pick("reminders_cancel_failed")))

    def cancel_needs_permission(self, ctx: Context) -> Reply:
        """Without the permission the skill cannot see its reminders; a card explains where to manage them."""
        return self._back(ctx, Speech(ctx.state.pace).say(self.prompts.pick("reminders_cancel_needs_permission")))

    # -- building replies -------------------------------------------------------------------------
    def _back(self, ctx: Context, speech: Speech) -> Reply:
        """Close the reminder detour: back to the workout if there is one, else offer the routine."""
        # The offer interrupted a workout (the place is kept) or nothing at all.
        if ctx.state.workout.in_workout():
            state, question = replace(ctx.state, question=Question.RESUME_PAUSED), self.prompts.pick("ask_continue")
        else:
            state, question = replace(ctx.state, question=Question.START_ROUTINE), self.prompts.pick("ask_start")
        return self._reply(ctx, speech.say(question), state, question)

    @staticmethod
    def _reply(ctx: Context, speech: Speech, state: SessionState, reprompt: str) -> Reply:
        state = replace(state, last_ssml=speech.to_ssml(), last_reprompt=reprompt, last_was_count=False)
        return Reply(speech, reprompt, False, state, ctx.progress)
