"""The workout engine: positions and transitions, planning each counted turn within Alexa's limits,
the counting pace, which rep was playing when a count was cut short, and the caches that make
planning cheap. Plain Python.

May import: content, speech.
"""
