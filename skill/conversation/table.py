"""The conversation as a table: for each pending question and each thing a user can say, one outcome.

Plain Python. `Question` (progress/state.py) is what Foot Coach last asked; `Action` is what the user
said, as the Alexa layer understood it. `outcome(question, action)` names the Dialogue method that
answers. A question lists only the answers whose meaning differs from the ANYWHERE row, and every
cell (question × action) is walked by tests/test_conversation_table.py through real request JSON.

Two rules hold for every question:
- Pain is heard everywhere: counting stops, the place is kept, the exercise is not counted as done.
- A destructive question (CONFIRM_FORGET) means "delete" only for a yes. Any other answer cancels it
  (the answer is then handled as if nothing had been asked), so a later "yes" never deletes.
"""

from __future__ import annotations

from enum import StrEnum

from skill.progress.state import Question


class Action(StrEnum):
    """Everything a user can say to Foot Coach (or that Alexa does on their behalf)."""

    LAUNCH = "launch"                    # "Alexa, open foot coach": a new session
    START_ROUTINE = "start_routine"
    START_EXERCISE = "start_exercise"    # "start ankle circles" (the exercise comes with it)
    YES = "yes"
    READY = "ready"                      # "ready", "carry on", "go"
    NO = "no"
    SKIP = "skip"                        # "skip", "next"
    START_OVER = "start_over"
    REPEAT = "repeat"
    HELP = "help"
    PAUSE = "pause"
    RESUME = "resume"
    STOP = "stop"
    CANCEL = "cancel"
    SLOWER = "slower"
    FASTER = "faster"
    NORMAL_PACE = "normal_pace"
    SOUNDS_OFF = "sounds_off"            # "sounds off", "no chimes": holds end with words only, remembered
    SOUNDS_ON = "sounds_on"              # "sounds on": a sound marks each hold's end and each rest's end
    INSTRUCTIONS = "instructions"        # "how do I do this", "how do I do pencil pickups"
    WHATS_NEXT = "whats_next"
    HOW_AM_I_DOING = "how_am_i_doing"
    PAIN = "pain"                        # "it hurts", "my knee hurts", "ouch"
    FORGET_ME = "forget_me"
    HARDER = "harder"                    # "make it harder": the sources' harder counts, for one exercise
    EASIER = "easier"                    # "make it easier": back to the gentler counts
    SIT_DOWN = "sit_down"                # "I can't lie down", "can I do the band one on a chair"
    USUAL_WAY = "usual_way"              # "the usual way", "I can lie down now"
    FALLBACK = "fallback"                # anything not understood
    SESSION_ENDED = "session_ended"      # Alexa closed the session (silence, or the user left)


# What each action means wherever nothing more specific is said below.
ANYWHERE: dict[Action, str] = {
    Action.LAUNCH: "launch",
    Action.START_ROUTINE: "start_routine",
    Action.START_EXERCISE: "start_exercise",
    Action.YES: "carry_on",
    Action.READY: "carry_on",
    Action.NO: "decline",
    Action.SKIP: "skip",
    Action.START_OVER: "start_over",
    Action.REPEAT: "repeat",
    Action.HELP: "help",
    Action.PAUSE: "pause",
    Action.RESUME: "resume",
    Action.STOP: "stop",
    Action.CANCEL: "stop",
    Action.SLOWER: "change_pace",
    Action.FASTER: "change_pace",
    Action.NORMAL_PACE: "change_pace",
    Action.SOUNDS_OFF: "change_sounds",
    Action.SOUNDS_ON: "change_sounds",
    Action.INSTRUCTIONS: "instructions",
    Action.WHATS_NEXT: "whats_next",
    Action.HOW_AM_I_DOING: "how_am_i_doing",
    Action.PAIN: "pain",
    Action.FORGET_ME: "confirm_forget",
    Action.HARDER: "make_harder",
    Action.EASIER: "make_easier",
    Action.SIT_DOWN: "sit_down_version",
    Action.USUAL_WAY: "usual_version",
    Action.FALLBACK: "fallback",
    Action.SESSION_ENDED: "session_ended",
}

# Where an answer means something else because of what was asked.
BY_QUESTION: dict[Question, dict[Action, str]] = {
    Question.NONE: {Action.YES: "start_routine", Action.READY: "start_routine", Action.NO: "goodbye"},
    Question.START_ROUTINE: {Action.YES: "start_routine", Action.READY: "start_routine",
                             Action.SKIP: "start_routine", Action.RESUME: "start_routine"},
    Question.RESUME_LAST_TIME: {Action.YES: "resume", Action.READY: "resume", Action.NO: "offer_routine_instead"},
    Question.NEXT_EXERCISE: {Action.START_OVER: "restart_routine"},
    Question.NEXT_PART: {},
    Question.RESUME_PAUSED: {Action.YES: "resume", Action.READY: "resume"},
    Question.WAYS_ON: {Action.YES: "resume", Action.READY: "resume", Action.NO: "goodbye"},
    Question.START_NAMED: {Action.YES: "start_offered", Action.READY: "start_offered",
                           Action.NO: "back_to_workout", Action.SKIP: "back_to_workout"},
    Question.AFTER_PAIN: {Action.YES: "skip", Action.NO: "finish_for_today", Action.READY: "resume",
                          Action.PAIN: "pain"},
    Question.CONFIRM_FORGET: {Action.YES: "forget", Action.NO: "keep_everything",
                              Action.FALLBACK: "keep_everything", Action.FORGET_ME: "confirm_forget"},
    Question.OFFER_REMINDERS: {Action.YES: "create_reminders", Action.NO: "decline_reminders",
                               Action.REPEAT: "repeat_reminders_offer"},
    Question.GET_IN_POSITION: {Action.YES: "begin_counting", Action.READY: "begin_counting",
                               Action.RESUME: "begin_counting", Action.NO: "take_your_time"},
}

# Questions that any answer not listed for them cancels: the answer then means what it means anywhere,
# from the place the user was at before the question (never the question's own yes).
CANCELLED_BY_OTHER_ANSWERS = frozenset({Question.CONFIRM_FORGET, Question.OFFER_REMINDERS, Question.START_NAMED})


def outcome(question: Question, action: Action) -> str:
    """The Dialogue method that answers `action` when `question` is pending."""
    return BY_QUESTION[question].get(action) or ANYWHERE[action]


def cancels(question: Question, action: Action) -> bool:
    """True when this answer cancels the pending question instead of answering it."""
    return question in CANCELLED_BY_OTHER_ANSWERS and action not in BY_QUESTION[question]
