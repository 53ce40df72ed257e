"""The baselines Foot Coach is compared with, built the way a developer would write them.

* ``build_hello_skill()``: the ASK SDK hello-world (the SDK samples' handlers, no persistence).
* ``hello_app()``: that skill behind Flask, like flask-ask-sdk's SkillAdapter, verification off.
* ``bare_app()``: Flask answering every POST with one fixed Alexa response (the HTTP floor).

The Flask factories are gunicorn entry points: ``gunicorn "bench.baselines:hello_app()"``.
"""

from __future__ import annotations

import json
from typing import Any

HELLO_SPEECH = "Hello World!"
FIXED_RESPONSE = json.dumps({
    "version": "1.0",
    "response": {"outputSpeech": {"type": "SSML", "ssml": f"<speak>{HELLO_SPEECH}</speak>"},
                 "shouldEndSession": True},
}).encode()


def build_hello_skill() -> Any:
    """The ASK SDK hello-world skill: launch, hello (any other intent), help, stop, session end, errors."""
    from ask_sdk_core.dispatch_components import (
        AbstractExceptionHandler,
        AbstractRequestHandler,
    )
    from ask_sdk_core.skill_builder import SkillBuilder
    from ask_sdk_core.utils import is_intent_name, is_request_type

    class LaunchRequestHandler(AbstractRequestHandler):
        def can_handle(self, handler_input: Any) -> bool:
            return is_request_type("LaunchRequest")(handler_input)

        def handle(self, handler_input: Any) -> Any:
            speech = "Welcome, you can say Hello or Help. Which would you like to try?"
            return handler_input.response_builder.speak(speech).ask(speech).response

    class HelpIntentHandler(AbstractRequestHandler):
        def can_handle(self, handler_input: Any) -> bool:
            return is_intent_name("AMAZON.HelpIntent")(handler_input)

        def handle(self, handler_input: Any) -> Any:
            speech = "You can say hello to me! How can I help?"
            return handler_input.response_builder.speak(speech).ask(speech).response

    class CancelOrStopIntentHandler(AbstractRequestHandler):
        def can_handle(self, handler_input: Any) -> bool:
            return (is_intent_name("AMAZON.CancelIntent")(handler_input)
                    or is_intent_name("AMAZON.StopIntent")(handler_input))

        def handle(self, handler_input: Any) -> Any:
            return handler_input.response_builder.speak("Goodbye!").response

    class SessionEndedRequestHandler(AbstractRequestHandler):
        def can_handle(self, handler_input: Any) -> bool:
            return is_request_type("SessionEndedRequest")(handler_input)

        def handle(self, handler_input: Any) -> Any:
            return handler_input.response_builder.response

    class HelloWorldIntentHandler(AbstractRequestHandler):
        """Every other intent gets the hello (the sample's HelloWorldIntent plus its reflector)."""

        def can_handle(self, handler_input: Any) -> bool:
            return is_request_type("IntentRequest")(handler_input)

        def handle(self, handler_input: Any) -> Any:
            return handler_input.response_builder.speak(HELLO_SPEECH).set_should_end_session(True).response

    class CatchAllExceptionHandler(AbstractExceptionHandler):
        def can_handle(self, handler_input: Any, exception: Exception) -> bool:
            return True

        def handle(self, handler_input: Any, exception: Exception) -> Any:
            speech = "Sorry, I had trouble doing what you asked. Please try again."
            return handler_input.response_builder.speak(speech).ask(speech).response

    builder = SkillBuilder()
    for handler in (LaunchRequestHandler(), HelpIntentHandler(), CancelOrStopIntentHandler(),
                    SessionEndedRequestHandler(), HelloWorldIntentHandler()):
        builder.add_request_handler(handler)
    builder.add_exception_handler(CatchAllExceptionHandler())
    return builder.create()


def hello_handler() -> Any:
    """The SDK's web-service handler for the hello-world skill, verification off."""
    # The project's import shim: the SDK's web-service package cannot import unpatched here.
    from skill.webservice.sdk_support import WebserviceSkillHandler

    return WebserviceSkillHandler(build_hello_skill(), verify_signature=False, verify_timestamp=False)


def hello_app() -> Any:
    """The hello-world skill behind Flask, as flask-ask-sdk's SkillAdapter serves it."""
    from flask import Flask, jsonify, request

    handler = hello_handler()
    app = Flask("hello_world")

    @app.post("/")
    def dispatch() -> Any:
        body = request.data.decode("utf-8")
        return jsonify(handler.verify_request_and_dispatch(request.headers, body))

    return app


def bare_app() -> Any:
    """A Flask endpoint that reads the body and returns one fixed Alexa response."""
    from flask import Flask, Response, request

    app = Flask("bare")

    @app.post("/")
    def answer() -> Response:
        request.get_data()
        return Response(FIXED_RESPONSE, mimetype="application/json")

    return app
