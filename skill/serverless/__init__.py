"""AWS Lambda: the skill answering Alexa's events directly, as Lambda (or an Alexa-hosted skill) invokes it.

The same skill as the webhook (alexa.routing.build_skill: handlers, dialogues, store), without HTTP:
no signature check (Lambda's Alexa trigger, tied to the skill id, decides who may invoke it), the skill
id still enforced when SKILL_ID is set. Imports alexa/ and the layers below, never webservice/ or app.
The module Lambda loads is lambda_function.py at the top of the repository.
"""
