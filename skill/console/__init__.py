"""The local text console (`./dev console`): type what you would say, hear the real skill answer.

Sits above the app: it posts real request JSON through create_app()'s Flask app.
"""
