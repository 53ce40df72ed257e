"""The local text console (`./dev console`): type what you would say, hear the real skill answer; and the
one request-envelope builder (envelopes.py) and conversation driver (local_alexa.py) that the tests and
the benchmark use too.

Sits above the app: it posts real request JSON through create_app()'s Flask app. May import any layer.
"""
