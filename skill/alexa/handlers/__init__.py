"""ASK SDK request handlers: thin adapters from Alexa requests to `Dialogue` calls (order: alexa/routing.py)."""
