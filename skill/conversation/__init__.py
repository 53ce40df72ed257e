"""What Foot Coach answers to each thing a user says, given where they are: plain Python, no Alexa imports.

May import: progress, workout, content, speech.
"""
