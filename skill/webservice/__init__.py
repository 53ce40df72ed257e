"""HTTP only: the Flask webhook (POST /) through the SDK's WebserviceSkillHandler, request verification,
the SDK import shim and the request log.

May import: alexa (for the skill it serves) and speech. Nothing below imports it.
"""
