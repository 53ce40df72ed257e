"""The one SSML builder (escaping, breaks of at most 10 s, short sounds; length, time and audio budgets;
its events in events.py) and Words, which spells numbers, durations, lists and clock times from a
language's words (content/locales/<locale>/words.json). Imports nothing else of the skill.
"""
