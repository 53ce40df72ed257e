"""Foot Coach: an Alexa skill that counts foot exercises aloud."""
