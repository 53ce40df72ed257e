"""What Foot Coach says, as data: the exercise catalog (exercises.json, every number with its source)
and the prompts. A language is one folder, locales/<locale>/: prompts.json, and exercises.json with the
exercise wording it changes; model.json (its interaction model's differences from en-US's, built by
models.py and checked by model_rules.py) and publishing.json (its store texts, for ./dev package).

May import: speech.
"""
