"""The user's state, with one owner: the session's state between turns and the progress stored between
sessions, both validated on the way in; the training history (sessions per local day, streaks).

May import: workout, content, speech.
"""
