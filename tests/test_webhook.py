"""Tests for the Flask webhook: what Alexa (or anyone else) gets back for each kind of POST /."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alexa_requests import OTHER_SKILL_ID, SKILL_ID, intent, launch
from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import SkillBuilder
from ask_sdk_core.utils import is_intent_name, is_request_type
from ask_sdk_model import Response
from flask import Flask
from flask.testing import FlaskClient
from signing import CHAIN_URL, NOW, CertificateAuthority, ChainServer, Leaf, new_key

from skill.webservice.sdk_support import AbstractVerifier, certvalidator_is_stub
from skill.webservice.verifier import (
    ApplicationIdVerifier,
    SignatureVerifier,
    TimestampVerifier,
    load_certifi_roots,
)
from skill.content.prompts import Prompts
from skill.webservice.webhook import apology_as_ssml, make_webhook

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "real-alexa"
MAX_BODY = 16 * 1024


class HelloHandler(AbstractRequestHandler):
    """Answer a LaunchRequest with "hello"."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("LaunchRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        return handler_input.response_builder.speak("hello").response


class BrokenIntentHandler(AbstractRequestHandler):
    """Fail like a bug would, to exercise the webhook's last-resort path."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("BrokenIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        raise RuntimeError("bug in a handler")


def build_skill(skill_id: str | None = SKILL_ID) -> CustomSkill:
    sb = SkillBuilder()
    sb.skill_id = skill_id
    sb.add_request_handler(HelloHandler())
    sb.add_request_handler(BrokenIntentHandler())
    return sb.create()


def make_client(skill: CustomSkill, verifiers: list[AbstractVerifier]) -> FlaskClient:
    app = Flask(__name__)
    app.register_blueprint(make_webhook(skill, verifiers=verifiers, max_body_bytes=MAX_BODY))
    return app.test_client()


@pytest.fixture(scope="module")
def stranger() -> CertificateAuthority:
    return CertificateAuthority("Somebody Else's Root")


@pytest.fixture
def skill() -> CustomSkill:
    return build_skill()


@pytest.fixture
def client(ca: CertificateAuthority, server: ChainServer, skill: CustomSkill) -> FlaskClient:
    return make_client(skill, [
        SignatureVerifier(trusted_roots=[ca.root], fetch=server, clock=lambda: NOW),
        TimestampVerifier(clock=lambda: NOW),
        ApplicationIdVerifier(SKILL_ID),
    ])


def raw(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode("utf-8")


def signed(leaf: Leaf, body: bytes, url: str = CHAIN_URL) -> dict[str, str]:
    return {"SignatureCertChainUrl": url, "Signature-256": leaf.sign(body)}


def post(client: FlaskClient, body: bytes, headers: dict[str, str] | None = None) -> Any:
    return client.post("/", data=body, headers=headers or {}, content_type="application/json")


def assert_refused(response: Any, status: int = 400) -> None:
    assert response.status_code == status
    assert response.mimetype == "application/json"
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and "Exception" not in text
    assert set(response.get_json()) == {"error"}


def test_signed_launch_is_answered(client: FlaskClient, leaf: Leaf) -> None:
    body = raw(launch(at=NOW))
    response = post(client, body, signed(leaf, body))
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    reply = response.get_json()
    assert reply["response"]["outputSpeech"]["ssml"] == "<speak>hello</speak>"


@dataclass
class Kit:
    """What a refusal case needs: the trusted CA, its usual leaf, a stranger CA, the chain server."""

    ca: CertificateAuthority
    leaf: Leaf
    stranger: CertificateAuthority
    server: ChainServer

    def body(self, **kw: Any) -> bytes:
        kw.setdefault("at", NOW)
        return raw(launch(**kw))

    def serve(self, leaf: Leaf) -> Leaf:
        """Publish leaf's chain at the usual URL, as if Amazon (or an attacker) served it there."""
        self.server.publish(CHAIN_URL, leaf.chain_pem())
        return leaf


Case = Callable[[Kit], "tuple[bytes, dict[str, str]]"]
URL, SIG = "SignatureCertChainUrl", "Signature-256"


def headers_changed(changes: dict[str, str | None]) -> Case:
    """A correctly signed request whose headers are then changed (None removes a header)."""
    def build(kit: Kit) -> tuple[bytes, dict[str, str]]:
        body = kit.body()
        headers = signed(kit.leaf, body) | changes
        return body, {k: v for k, v in headers.items() if v is not None}
    return build


def body_changed(**kw: Any) -> Case:
    """A correctly signed request whose envelope differs from an ordinary one."""
    def build(kit: Kit) -> tuple[bytes, dict[str, str]]:
        body = kit.body(**kw)
        return body, signed(kit.leaf, body)
    return build


def signed_by(make_leaf: Callable[[Kit], Leaf], *, serve: bool) -> Case:
    """A request signed by another leaf, whose chain may be served at the usual URL."""
    def build(kit: Kit) -> tuple[bytes, dict[str, str]]:
        other = make_leaf(kit)
        if serve:
            kit.serve(other)
        body = kit.body()
        return body, signed(other, body)
    return build


def tampered(kit: Kit) -> tuple[bytes, dict[str, str]]:
    body = kit.body()
    return body + b" ", signed(kit.leaf, body)


S3 = "https://s3.amazonaws.com"
REFUSED: dict[str, Case] = {
    "missing-signature": headers_changed({SIG: None}),
    "empty-signature": headers_changed({SIG: ""}),
    "garbage-signature": headers_changed({SIG: "bm90IGEgc2lnbmF0dXJl"}),
    "non-base64-signature": headers_changed({SIG: "%%% not base64 %%%"}),
    "signed-by-another-key": signed_by(lambda kit: kit.ca.issue(key=new_key()), serve=False),
    "body-changed-after-signing": tampered,
    "missing-cert-url": headers_changed({URL: None}),
    "empty-cert-url": headers_changed({URL: ""}),
    "http-scheme": headers_changed({URL: "http://s3.amazonaws.com/echo.api/echo-api-cert-test.pem"}),
    "another-host": headers_changed({URL: "https://notamazon.com/echo.api/echo-api-cert-test.pem"}),
    "path-case-changed": headers_changed({URL: f"{S3}/EcHo.aPi/echo-api-cert-test.pem"}),
    "path-outside-echo-api": headers_changed({URL: f"{S3}/invalid.path/echo-api-cert-test.pem"}),
    "port-563": headers_changed({URL: "https://s3.amazonaws.com:563/echo.api/echo-api-cert-test.pem"}),
    "unknown-chain-file": headers_changed({URL: f"{S3}/echo.api/no-such-file.pem"}),
    "expired-certificate": signed_by(lambda kit: kit.ca.issue(not_after=NOW - timedelta(days=1)), serve=True),
    "not-yet-valid-certificate": signed_by(lambda kit: kit.ca.issue(not_before=NOW + timedelta(days=1)), serve=True),
    "certificate-without-san": signed_by(lambda kit: kit.ca.issue(san=None), serve=True),
    "certificate-with-other-san": signed_by(lambda kit: kit.ca.issue(san="example.com"), serve=True),
    "chain-to-untrusted-root": signed_by(lambda kit: kit.stranger.issue(), serve=True),
    "timestamp-151-s-old": body_changed(at=NOW - timedelta(seconds=151)),
    "timestamp-151-s-ahead": body_changed(at=NOW + timedelta(seconds=151)),
    "wrong-application-id": body_changed(skill_id=OTHER_SKILL_ID),
}


@pytest.mark.parametrize("case", REFUSED.values(), ids=REFUSED.keys())
def test_unverifiable_request_gets_400(
    ca: CertificateAuthority, leaf: Leaf, stranger: CertificateAuthority, server: ChainServer,
    client: FlaskClient, case: Case, caplog: pytest.LogCaptureFixture,
) -> None:
    body, headers = case(Kit(ca, leaf, stranger, server))
    with caplog.at_level(logging.WARNING, logger="skill.webservice.webhook"):
        response = post(client, body, headers)
    assert_refused(response)
    # The reason is logged for us, never sent to the caller.
    assert any("Refused an unverified request" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("url", [
    "HTTPS://s3.amazonaws.COM/echo.api/echo-api-cert-test.pem",
    "https://s3.amazonaws.com:443/echo.api/echo-api-cert-test.pem",
    "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert-test.pem",
])
def test_amazon_url_variants_are_accepted(client: FlaskClient, leaf: Leaf, url: str) -> None:
    body = raw(launch(at=NOW))
    assert post(client, body, signed(leaf, body, url)).status_code == 200


def test_chain_is_downloaded_once_for_many_requests(
    client: FlaskClient, leaf: Leaf, server: ChainServer
) -> None:
    for n in range(20):
        body = raw(launch(at=NOW, session_id=f"session-{n}"))
        assert post(client, body, signed(leaf, body)).status_code == 200
    assert server.calls == [CHAIN_URL]


# --- Bodies that never reach verification ----------------------------------------------------

BAD_BODIES = {
    "not-json": b"hello there",
    "empty": b"",
    "not-utf8": b'{"version": "1.0", "x": "\xff\xfe"}',  # Latin-1 or garbage, not UTF-8
    "truncated-json": raw(launch(at=NOW))[:-20],
    "json-list": b"[1, 2, 3]",
    "json-string": b'"LaunchRequest"',
    "json-null": b"null",
    "deeply-nested": b"[" * 5000 + b"]" * 5000,  # valid JSON the parser cannot follow
    "not-an-envelope": b'{"request": 5}',
    "unknown-request-type": b'{"version": "1.0", "request": {"type": "NoSuchRequest"}}',
}


@pytest.mark.parametrize("verified", [True, False], ids=["verified", "unverified"])
@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_malformed_body_gets_400(
    client: FlaskClient, skill: CustomSkill, body: bytes, verified: bool
) -> None:
    # Without verifiers, only the body checks and the SDK's deserialisation stand in the way.
    assert_refused(post(client if verified else make_client(skill, verifiers=[]), body))


ODD_ENVELOPES = {
    "version-only": raw({"version": "1.0"}),
    "no-context": raw({k: v for k, v in launch(at=NOW).items() if k != "context"}),
    "deep-session-attributes": raw(launch(at=NOW, session_attributes={"a": "DEEP"})).replace(
        b'"DEEP"', b"[" * 900 + b"]" * 900
    ),
}


@pytest.mark.parametrize("body", ODD_ENVELOPES.values(), ids=ODD_ENVELOPES.keys())
def test_odd_envelopes_without_verification_never_get_500(skill: CustomSkill, body: bytes) -> None:
    # With verification on these never reach the skill; without it they must still not crash HTTP.
    response = post(make_client(skill, verifiers=[]), body)
    assert response.status_code in (200, 400)
    assert response.mimetype == "application/json"
    assert "Traceback" not in response.get_data(as_text=True)


def test_non_utf8_body_really_is_not_utf8() -> None:
    with pytest.raises(UnicodeDecodeError):
        BAD_BODIES["not-utf8"].decode("utf-8")


def test_oversized_body_gets_413(client: FlaskClient) -> None:
    body = b'{"padding": "' + b"x" * MAX_BODY + b'"}'
    assert_refused(post(client, body), status=413)


def test_oversized_body_without_content_length_gets_413(client: FlaskClient) -> None:
    body = b'{"padding": "' + b"x" * MAX_BODY + b'"}'
    response = client.post(
        "/", input_stream=io.BytesIO(body), content_type="application/json",
        headers={"Transfer-Encoding": "chunked"}, environ_overrides={"wsgi.input_terminated": True},
    )
    assert_refused(response, status=413)


def test_body_at_the_cap_is_read_whole(client: FlaskClient, leaf: Leaf) -> None:
    body = raw(launch(at=NOW))
    body = body[:-1] + b" " * (MAX_BODY - len(body)) + b"}"
    assert len(body) == MAX_BODY
    assert post(client, body, signed(leaf, body)).status_code == 200


def test_get_is_not_allowed(client: FlaskClient) -> None:
    assert client.get("/").status_code == 405


# --- The SDK's own checks and the last-resort path -------------------------------------------


def test_sdk_skill_id_check_gets_400_too() -> None:
    client = make_client(build_skill(SKILL_ID), verifiers=[])
    response = post(client, raw(launch(skill_id=OTHER_SKILL_ID)))
    assert_refused(response)


def test_unexpected_error_is_logged_and_answered_with_an_apology(
    client: FlaskClient, leaf: Leaf, caplog: pytest.LogCaptureFixture
) -> None:
    body = raw(intent("BrokenIntent", at=NOW))
    with caplog.at_level(logging.ERROR, logger="skill.webservice.webhook"):
        response = post(client, body, signed(leaf, body))
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    reply = response.get_json()
    assert reply["version"] == "1.0"
    assert reply["response"] == {
        "outputSpeech": {"type": "SSML", "ssml": apology_as_ssml(Prompts.load().pick("webhook_apology"))},
        "shouldEndSession": True,
    }
    assert "bug in a handler" not in response.get_data(as_text=True)
    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert record.exc_info is not None and isinstance(record.exc_info[1], RuntimeError)


def test_handler_is_built_once(client: FlaskClient, leaf: Leaf, skill: CustomSkill) -> None:
    for _ in range(3):
        body = raw(launch(at=NOW))
        post(client, body, signed(leaf, body))
    # WebserviceSkillHandler appends to the user agent each time it is constructed.
    assert skill.custom_user_agent == "ask-webservice"


def test_real_amazon_request_passes_through_the_webhook_byte_for_byte() -> None:
    manifest_path = FIXTURES / "manifest.json"
    if not manifest_path.is_file():
        pytest.skip(f"real Alexa fixtures not found at {FIXTURES}")
    entry = next(e for e in json.loads(manifest_path.read_text())["requests"]
                 if e["id"] == "ask-sdk-nodejs-2019")  # a LaunchRequest, trusted by certifi
    chains = ChainServer()
    chains.publish(entry["headers"]["SignatureCertChainUrl"], (FIXTURES / entry["cert_chain"]).read_bytes())
    frozen = datetime.fromisoformat(entry["freeze_clock_at"].replace("Z", "+00:00"))
    verifiers: list[AbstractVerifier] = [
        SignatureVerifier(trusted_roots=load_certifi_roots(), fetch=chains, clock=lambda: frozen, hash_name="sha1"),
        TimestampVerifier(clock=lambda: frozen),
    ]
    client = make_client(build_skill(skill_id=None), verifiers)
    body = (FIXTURES / entry["body"]).read_bytes()
    headers = {
        "SignatureCertChainUrl": entry["headers"]["SignatureCertChainUrl"],
        "Signature": (FIXTURES / entry["headers"]["Signature"][1:]).read_text().strip(),
    }
    response = post(client, body, headers)
    assert response.status_code == 200
    assert response.get_json()["response"]["outputSpeech"]["ssml"] == "<speak>hello</speak>"
    assert_refused(post(client, body + b" ", headers))  # still valid JSON, no longer Amazon's bytes


def test_sdk_names_are_the_real_ones_and_the_stand_in_fails_loudly(leaf: Leaf) -> None:
    import ask_sdk_webservice_support.webservice_handler as sdk_handler

    from skill.webservice.sdk_support import WebserviceSkillHandler

    assert WebserviceSkillHandler is sdk_handler.WebserviceSkillHandler
    if not certvalidator_is_stub():
        pytest.skip("the real certvalidator imports on this machine; no stand-in was needed")
    import certvalidator

    with pytest.raises(RuntimeError, match="certvalidator is unavailable"):
        certvalidator.CertificateValidator(b"", [])
    # Which is why the SDK's own signature check must stay off: it would fail on first use.
    with pytest.raises(RuntimeError, match="certvalidator is unavailable"):
        sdk_handler.RequestVerifier()._validate_cert_chain(leaf.chain_pem())
