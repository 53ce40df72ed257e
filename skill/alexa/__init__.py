"""Everything that knows the ASK SDK's HandlerInput: routing, the turn's steps, handlers, slots, APL,
Alexa's own APIs (Settings, Reminders) and the SDK's serializer.

May import: conversation, progress, workout, persistence, content, speech. Never webservice or app.
"""
