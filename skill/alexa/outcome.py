"""Whether the skill answered a request with its last-resort apology, for the request log.

The SDK turns an exception into an ordinary response through our exception handlers, so the HTTP
layer cannot see it. The handler notes it here and the webservice's request log reads it (an import
from above, as layers should go); a context variable keeps concurrent requests apart.
"""

from __future__ import annotations

from contextvars import ContextVar

skill_error: ContextVar[bool] = ContextVar("footcoach_skill_error", default=False)


def note_skill_error() -> None:
    """Mark the request being answered as failed (called by the skill's exception handlers)."""
    skill_error.set(True)
