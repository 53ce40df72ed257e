"""The one SSML builder (escaping, breaks of at most 10 s, length and time budgets) and the words it
needs (numbers, durations, lists). Imports nothing else of the skill.
"""
