"""The conversation: what Foot Coach answers to each thing a user says, given what it last asked.

Plain Python with no Alexa imports. `Dialogue.answer(ctx, action, ...)` is the one entry point; the
table (table.py) names the outcome, and the outcome methods live in workout_answers.py (they count,
or stop counting), setup_answers.py (getting ready), variant_answers.py (choosing a version of an
exercise) and talk_answers.py (they inform or confirm). Handlers only translate Alexa
requests into actions, so the whole conversation can be tested without the SDK.
"""

from __future__ import annotations

from skill.conversation.talk_answers import TalkAnswers
from skill.conversation.variant_answers import VariantAnswers
from skill.conversation.workout_answers import WorkoutAnswers


class Dialogue(VariantAnswers, WorkoutAnswers, TalkAnswers):
    """Every outcome of the conversation table, for one catalog and one language's prompts."""
