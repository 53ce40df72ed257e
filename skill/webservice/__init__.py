"""Serve the skill over HTTPS: SDK import shim, request verifiers and the Flask webhook."""
