"""What Foot Coach says, as data: the exercise catalog (exercises.json, every number with its source),
the sound cues (sounds.json: which sound marks which moment, and how long it plays) and the
prompts. A language is one folder, locales/<locale>/: prompts.json (sentences, screen captions,
the reminder's text), words.json (numbers, durations, how often, lists, clock times), exercises.json
(the exercise wording it changes), model.json (its interaction model's differences from en-US's, built
by models.py and checked by model_rules.py) and publishing.json (its store texts, for ./dev package).
en-US has every entry; another locale only what it says differently.

May import: speech.
"""
