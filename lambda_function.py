"""AWS Lambda's entry point: handler ``lambda_function.lambda_handler``, the name Lambda and Alexa-hosted skills expect.

Lambda imports this module once per container and then calls lambda_handler for every request, so
the skill is built here, once, as create_app builds it for the webhook: from DATABASE_URL (or an
Alexa-hosted skill's DynamoDB table) and SKILL_ID in the environment (skill/serverless/lambda_handler.py).
"""

from __future__ import annotations

from typing import Any

from skill.serverless.lambda_handler import LambdaSkill

_skill = LambdaSkill.from_environ()


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Answer one Alexa request (the event) with the response envelope."""
    return _skill(event, context)
