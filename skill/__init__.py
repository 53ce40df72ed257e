"""Foot Coach: an Alexa skill that counts foot exercises aloud.

The folders are the layers, each importing only from the layers below it (tests/test_architecture.py
walks the imports and fails on one that points up):

    app.py         the factory: config, stores, dialogues per language, routes
    console/       the local text console and its utterance matcher (uses the app)
    webservice/    HTTP only: the webhook, request verification, the request log
    serverless/    AWS Lambda only: the skill answering Alexa's events (lambda_function.py at the top calls it)
    alexa/         everything that knows the ASK SDK: routing, the turn's steps, handlers, APL, Alexa's APIs
    conversation/  plain Python: what Foot Coach answers to each thing a user says
    progress/      session state and stored progress, validated on the way in; training history
    workout/       positions and transitions, planning counted turns, pace, the pause estimate
    persistence/   the ProgressStore protocol and its SQLite, PostgreSQL and DynamoDB implementations
    content/       the exercise catalog and prompts; content/locales/<locale>/ is everything one language says
    speech/        the one SSML builder and the words it needs
"""
