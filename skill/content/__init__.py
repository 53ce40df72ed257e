"""What Foot Coach says, as data: the exercise catalog (exercises.json, every number with its source)
and the prompts. A language is one folder, locales/<locale>/: prompts.json, and exercises.json with the
exercise wording it changes.

May import: speech.
"""
