"""Everything that turns words and pauses into what Alexa speaks."""
