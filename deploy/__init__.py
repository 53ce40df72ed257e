"""Build-time tools that turn the project's sources into what Alexa takes (not imported by the skill).

models.py   ./dev models: interaction_model/<locale>.json from skill/content/locales/*/model.json
package.py  ./dev package: the ASK CLI skill package (skill-package/, ask-resources.json)
"""
