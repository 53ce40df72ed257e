"""The one SSML builder (escaping, breaks of at most 10 s, length and time budgets) and Words, which
spells numbers, durations, lists and clock times from a language's words (content/locales/<locale>/words.json).
Imports nothing else of the skill.
"""
