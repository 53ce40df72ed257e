"""Tests for the request verifiers: signature, certificate chain, URL, cache, timestamp, skill id.

The last part checks real Amazon-signed requests and chains from shared/fixtures/real-alexa.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.error
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from alexa_requests import OTHER_SKILL_ID, SKILL_ID, launch, to_model
from cryptography import x509
from signing import CHAIN_URL, NOW, CertificateAuthority, ChainServer, Leaf, new_key

from skill.webservice.sdk_support import VerificationException
from skill.webservice.cert_chain_url import MAX_CHAIN_BYTES, canonical_cert_url, download_chain
from skill.webservice.verifier import (
    ApplicationIdVerifier,
    SignatureVerifier,
    TimestampVerifier,
    load_certifi_roots,
)

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "real-alexa"
MISSING_FIXTURES = f"real Alexa fixtures not found at {FIXTURES}"


class Clock:
    """A settable clock for verifiers."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def verifier(ca: CertificateAuthority, server: ChainServer, clock: Clock) -> SignatureVerifier:
    return SignatureVerifier(trusted_roots=[ca.root], fetch=server, clock=clock)


def body_bytes(**kw: Any) -> bytes:
    return json.dumps(launch(at=NOW, **kw)).encode("utf-8")


def signed(leaf: Leaf, body: bytes, url: str = CHAIN_URL) -> dict[str, str]:
    return {"SignatureCertChainUrl": url, "Signature-256": leaf.sign(body)}


def check(verifier: SignatureVerifier, headers: dict[str, str], body: bytes) -> None:
    verifier.verify(headers, body.decode("utf-8"), to_model(json.loads(body)))


def test_correctly_signed_request_is_accepted(verifier: SignatureVerifier, leaf: Leaf) -> None:
    body = body_bytes()
    check(verifier, signed(leaf, body), body)


def test_header_names_are_case_insensitive(verifier: SignatureVerifier, leaf: Leaf) -> None:
    body = body_bytes()
    headers = {k.lower(): v for k, v in signed(leaf, body).items()}
    check(verifier, headers, body)


def test_non_ascii_body_is_checked_as_utf8_bytes(verifier: SignatureVerifier, leaf: Leaf) -> None:
    body = json.dumps(launch(at=NOW, user_id="Pokémon"), ensure_ascii=False).encode("utf-8")
    check(verifier, signed(leaf, body), body)


@pytest.mark.parametrize("signature", [None, "", "   "], ids=["missing", "empty", "blank"])
def test_missing_or_empty_signature_is_refused(
    verifier: SignatureVerifier, leaf: Leaf, signature: str | None
) -> None:
    body = body_bytes()
    headers = signed(leaf, body)
    del headers["Signature-256"]
    if signature is not None:
        headers["Signature-256"] = signature
    with pytest.raises(VerificationException, match="Signature-256"):
        check(verifier, headers, body)


@pytest.mark.parametrize(
    "signature, reason",
    [
        ("not base64 at all!", "base64"),
        ("QUJDRA", "base64"),  # missing padding
        ("QUJ DRA==", "base64"),
        ("QUJDRA==\n!!", "base64"),
        ("émoji", "base64"),
        (base64.b64encode(b"garbage").decode(), "does not match"),
        (base64.b64encode(bytes(256)).decode(), "does not match"),
    ],
)
def test_garbage_signature_is_refused(
    verifier: SignatureVerifier, leaf: Leaf, signature: str, reason: str
) -> None:
    body = body_bytes()
    headers = signed(leaf, body) | {"Signature-256": signature}
    with pytest.raises(VerificationException, match=reason):
        check(verifier, headers, body)


def test_signature_by_another_key_is_refused(
    verifier: SignatureVerifier, ca: CertificateAuthority, leaf: Leaf
) -> None:
    body = body_bytes()
    impostor = ca.issue(key=new_key())  # a valid certificate, but not the one at the URL
    headers = signed(leaf, body) | {"Signature-256": impostor.sign(body)}
    with pytest.raises(VerificationException, match="does not match"):
        check(verifier, headers, body)


@pytest.mark.parametrize(
    "change",
    [lambda b: b + b" ", lambda b: b.replace(b"TESTUSER", b"TESTUSEr"), lambda b: b[:-1] + b" }"],
    ids=["space-appended", "user-changed", "reformatted"],
)
def test_body_changed_after_signing_is_refused(
    verifier: SignatureVerifier, leaf: Leaf, change: Callable[[bytes], bytes]
) -> None:
    body = body_bytes()
    headers = signed(leaf, body)
    with pytest.raises(VerificationException, match="does not match"):
        check(verifier, headers, change(body))


@pytest.mark.parametrize("url", [None, "", " "], ids=["missing", "empty", "blank"])
def test_missing_or_empty_cert_url_is_refused(
    verifier: SignatureVerifier, leaf: Leaf, server: ChainServer, url: str | None
) -> None:
    body = body_bytes()
    headers = signed(leaf, body)
    del headers["SignatureCertChainUrl"]
    if url is not None:
        headers["SignatureCertChainUrl"] = url
    with pytest.raises(VerificationException, match="SignatureCertChainUrl"):
        check(verifier, headers, body)
    assert server.calls == []


BAD_URLS = [
    "http://s3.amazonaws.com/echo.api/echo-api-cert-test.pem",
    "https://notamazon.com/echo.api/echo-api-cert-test.pem",
    "https://s3.amazonaws.com.evil.example/echo.api/echo-api-cert-test.pem",
    "https://s3.amazonaws.com@evil.example/echo.api/echo-api-cert-test.pem",
    "https://s3.amazonaws.com/EcHo.aPi/echo-api-cert-test.pem",
    "https://s3.amazonaws.com/invalid.path/echo-api-cert-test.pem",
    "https://s3.amazonaws.com/echo.api/../invalid.path/echo-api-cert-test.pem",
    "https://s3.amazonaws.com/echo.api/",
    "https://s3.amazonaws.com:563/echo.api/echo-api-cert-test.pem",
    "https://s3.amazonaws.com:99999/echo.api/echo-api-cert-test.pem",
    "https://s3.amazonaws.com:https/echo.api/echo-api-cert-test.pem",
    "https://[::1/echo.api/echo-api-cert-test.pem",
    "s3.amazonaws.com/echo.api/echo-api-cert-test.pem",
]


@pytest.mark.parametrize("url", BAD_URLS)
def test_bad_cert_url_is_refused_without_download(
    verifier: SignatureVerifier, leaf: Leaf, server: ChainServer, url: str
) -> None:
    body = body_bytes()
    with pytest.raises(VerificationException, match="URL"):
        check(verifier, signed(leaf, body, url), body)
    assert server.calls == []


GOOD_URLS = [
    "HTTPS://s3.amazonaws.COM/echo.api/echo-api-cert-test.pem",
    "https://s3.amazonaws.com:443/echo.api/echo-api-cert-test.pem",
    "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert-test.pem",
]


@pytest.mark.parametrize("url", GOOD_URLS)
def test_amazon_url_variants_are_accepted(
    verifier: SignatureVerifier, leaf: Leaf, server: ChainServer, url: str
) -> None:
    body = body_bytes()
    check(verifier, signed(leaf, body, url), body)
    assert canonical_cert_url(url) == CHAIN_URL
    assert server.calls == [CHAIN_URL]  # the checked, canonical URL is what gets downloaded


@pytest.mark.parametrize(
    "kw, reason",
    [
        ({"not_after": NOW - timedelta(seconds=1)}, "not valid at validation time"),
        ({"not_before": NOW + timedelta(seconds=1)}, "not valid at validation time"),
        ({"san": None}, "subjectAltName"),
        ({"san": "example.com"}, "subjectAltName"),
        ({"digital_signature": False}, "digitalSignature"),
        ({"digital_signature": None}, "extension"),
    ],
    ids=["expired", "not-yet-valid", "no-san", "other-san", "no-digital-signature", "no-key-usage"],
)
def test_bad_signing_certificate_is_refused(
    ca: CertificateAuthority, clock: Clock, kw: dict[str, Any], reason: str
) -> None:
    bad = ca.issue(**kw)
    chains = ChainServer()
    chains.publish(CHAIN_URL, bad.chain_pem())
    verifier = SignatureVerifier(trusted_roots=[ca.root], fetch=chains, clock=clock)
    body = body_bytes()
    with pytest.raises(VerificationException, match=reason):
        check(verifier, signed(bad, body), body)


def test_chain_to_untrusted_root_is_refused(ca: CertificateAuthority, clock: Clock) -> None:
    stranger = CertificateAuthority("Somebody Else's Root").issue()
    chains = ChainServer()
    chains.publish(CHAIN_URL, stranger.chain_pem())
    verifier = SignatureVerifier(trusted_roots=[ca.root], fetch=chains, clock=clock)
    body = body_bytes()
    with pytest.raises(VerificationException, match="chain rejected"):
        check(verifier, signed(stranger, body), body)


def test_default_trust_store_does_not_trust_the_test_ca(leaf: Leaf) -> None:
    with pytest.raises(VerificationException, match="chain rejected"):
        SignatureVerifier().validate_chain(leaf.chain_pem(), NOW)


def test_leaf_without_its_intermediate_is_refused(ca: CertificateAuthority, leaf: Leaf) -> None:
    lonely = Leaf(cert=leaf.cert, key=leaf.key)
    verifier = SignatureVerifier(trusted_roots=[ca.root], fetch=ChainServer())
    with pytest.raises(VerificationException, match="chain rejected"):
        verifier.validate_chain(lonely.chain_pem(), NOW)


@pytest.mark.parametrize("pem", [b"", b"garbage", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"])
def test_unparseable_chain_is_refused(ca: CertificateAuthority, leaf: Leaf, clock: Clock, pem: bytes) -> None:
    chains = ChainServer()
    chains.publish(CHAIN_URL, pem)
    verifier = SignatureVerifier(trusted_roots=[ca.root], fetch=chains, clock=clock)
    body = body_bytes()
    with pytest.raises(VerificationException, match="PEM"):
        check(verifier, signed(leaf, body), body)


def test_failed_download_is_refused(ca: CertificateAuthority, leaf: Leaf, clock: Clock) -> None:
    verifier = SignatureVerifier(trusted_roots=[ca.root], fetch=ChainServer(), clock=clock)
    body = body_bytes()
    with pytest.raises(VerificationException, match="cannot download"):
        check(verifier, signed(leaf, body), body)


def test_chain_is_downloaded_once_for_many_requests(
    verifier: SignatureVerifier, leaf: Leaf, server: ChainServer
) -> None:
    for n in range(50):
        body = body_bytes(session_id=f"session-{n}")
        url = GOOD_URLS[n % len(GOOD_URLS)]
        check(verifier, signed(leaf, body, url), body)
    assert server.calls == [CHAIN_URL]


def test_concurrent_first_requests_download_once(
    ca: CertificateAuthority, leaf: Leaf, clock: Clock
) -> None:
    chains = ChainServer()
    chains.publish(CHAIN_URL, leaf.chain_pem())

    def slow_fetch(url: str) -> bytes:
        time.sleep(0.05)
        return chains(url)

    verifier = SignatureVerifier(trusted_roots=[ca.root], fetch=slow_fetch, clock=clock)
    body = body_bytes()
    errors: list[Exception] = []

    def worker() -> None:
        try:
            check(verifier, signed(leaf, body), body)
        except VerificationException as err:
            errors.append(err)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert chains.calls == [CHAIN_URL]


def test_cached_certificate_is_refused_once_expired(
    verifier: SignatureVerifier, leaf: Leaf, server: ChainServer, clock: Clock
) -> None:
    body = body_bytes()
    check(verifier, signed(leaf, body), body)
    clock.now = leaf.cert.not_valid_after_utc + timedelta(seconds=1)
    with pytest.raises(VerificationException, match="not valid at"):
        check(verifier, signed(leaf, body), body)
    assert server.calls == [CHAIN_URL]


def test_sha256_mode_ignores_the_legacy_sha1_header(verifier: SignatureVerifier, leaf: Leaf) -> None:
    body = body_bytes()
    headers = {"SignatureCertChainUrl": CHAIN_URL, "Signature": leaf.sign(body)}
    with pytest.raises(VerificationException, match="Signature-256"):
        check(verifier, headers, body)


def test_unknown_hash_name_is_a_construction_error(ca: CertificateAuthority) -> None:
    with pytest.raises(ValueError, match="hash_name"):
        SignatureVerifier(trusted_roots=[ca.root], hash_name="md5")


# --- The default download function, against a local HTTP server -----------------------------


@pytest.fixture(scope="module")
def local_http() -> Iterator[str]:
    """Serve /small (a few bytes), /big (over the cap) and /moved (a redirect) on 127.0.0.1."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            if self.path == "/moved":
                self.send_response(302)
                self.send_header("Location", "/small")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            payload = b"x" * (MAX_CHAIN_BYTES + 1) if self.path == "/big" else b"small"
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        thread.join()
        httpd.server_close()


def test_download_chain_reads_a_small_file(local_http: str) -> None:
    assert download_chain(f"{local_http}/small") == b"small"


def test_download_chain_refuses_a_file_over_the_cap(local_http: str) -> None:
    with pytest.raises(ValueError, match="larger than"):
        download_chain(f"{local_http}/big")


def test_download_chain_refuses_redirects(local_http: str) -> None:
    with pytest.raises(urllib.error.HTTPError):
        download_chain(f"{local_http}/moved")


# --- Timestamp and application id ------------------------------------------------------------


@pytest.mark.parametrize("offset, ok", [(0, True), (-150, True), (150, True), (-151, False), (151, False)])
def test_timestamp_tolerance_is_150_seconds(offset: int, ok: bool) -> None:
    request = to_model(launch(at=NOW + timedelta(seconds=offset)))
    verifier = TimestampVerifier(clock=Clock())
    if ok:
        verifier.verify({}, "", request)
    else:
        with pytest.raises(VerificationException, match="timestamp"):
            verifier.verify({}, "", request)


def test_request_without_timestamp_is_refused() -> None:
    with pytest.raises(VerificationException, match="timestamp"):
        TimestampVerifier(clock=Clock()).verify({}, "", to_model({"version": "1.0"}))


@pytest.mark.parametrize("tolerance", [-1, 151])
def test_timestamp_tolerance_outside_amazons_limit_is_refused(tolerance: int) -> None:
    with pytest.raises(ValueError, match="tolerance"):
        TimestampVerifier(tolerance_seconds=tolerance)


def test_application_id_must_match() -> None:
    verifier = ApplicationIdVerifier(SKILL_ID)
    verifier.verify({}, "", to_model(launch()))
    with pytest.raises(VerificationException, match="application id"):
        verifier.verify({}, "", to_model(launch(skill_id=OTHER_SKILL_ID)))
    with pytest.raises(VerificationException, match="application id"):
        verifier.verify({}, "", to_model({"version": "1.0"}))  # no context at all


def test_application_id_verifier_needs_an_id() -> None:
    with pytest.raises(ValueError):
        ApplicationIdVerifier("")


# --- Real Amazon-signed requests and chains ---------------------------------------------------


def _manifest() -> dict[str, Any] | None:
    path = FIXTURES / "manifest.json"
    return json.loads(path.read_text()) if path.is_file() else None


def _cases(key: str, id_key: str) -> list[Any]:
    manifest = _manifest()
    if manifest is None:
        return [pytest.param(None, marks=pytest.mark.skip(reason=MISSING_FIXTURES))]
    return [pytest.param(entry, id=Path(entry[id_key]).stem) for entry in manifest[key]]


def _when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _header_value(value: str) -> str:
    return (FIXTURES / value[1:]).read_text().strip() if value.startswith("@") else value


@pytest.fixture(scope="module")
def real_roots() -> list[x509.Certificate]:
    extra = FIXTURES / "roots" / "verisign-class3-g5-root.pem"
    if not extra.is_file():
        pytest.skip(MISSING_FIXTURES)
    return load_certifi_roots() + x509.load_pem_x509_certificates(extra.read_bytes())


def _real_verifier(entry: dict[str, Any], roots: list[x509.Certificate]) -> SignatureVerifier:
    chains = ChainServer()
    chains.publish(entry["headers"]["SignatureCertChainUrl"], (FIXTURES / entry["cert_chain"]).read_bytes())
    clock = Clock(_when(entry["freeze_clock_at"]))
    return SignatureVerifier(trusted_roots=roots, fetch=chains, clock=clock, hash_name="sha1")


@pytest.mark.parametrize("entry", _cases("requests", "id"))
def test_real_request_signature_is_accepted(entry: dict[str, Any], real_roots: list[x509.Certificate]) -> None:
    headers = {name: _header_value(value) for name, value in entry["headers"].items()}
    raw = (FIXTURES / entry["body"]).read_bytes()
    _real_verifier(entry, real_roots).verify(headers, raw.decode("utf-8"), None)


@pytest.mark.parametrize("where", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("entry", _cases("requests", "id"))
def test_real_request_with_one_byte_changed_is_refused(
    entry: dict[str, Any], real_roots: list[x509.Certificate], where: float
) -> None:
    headers = {name: _header_value(value) for name, value in entry["headers"].items()}
    raw = bytearray((FIXTURES / entry["body"]).read_bytes())
    index = min(int(len(raw) * where), len(raw) - 1)
    while raw[index] >= 0x80:  # stay on an ASCII byte so the body is still valid UTF-8
        index -= 1
    raw[index] ^= 0x01
    with pytest.raises(VerificationException, match="does not match"):
        _real_verifier(entry, real_roots).verify(headers, raw.decode("utf-8"), None)


def _chain_cases() -> list[Any]:
    manifest = _manifest()
    if manifest is None:
        return [pytest.param(None, None, marks=pytest.mark.skip(reason=MISSING_FIXTURES))]
    chains = [(e["cert_chain"], e["freeze_clock_at"]) for e in manifest["requests"]]
    chains += [(e["file"], e["freeze_clock_at"]) for e in manifest["chains_without_requests"] if e["freeze_clock_at"]]
    unique = dict(chains)  # cert-4 serves two requests; one freeze time is enough
    return [pytest.param(path, at, id=Path(path).stem) for path, at in unique.items()]


@pytest.mark.parametrize("path, at", _chain_cases())
def test_real_chain_is_valid_at_its_time_and_refused_a_day_after_expiry(
    path: str, at: str, real_roots: list[x509.Certificate]
) -> None:
    verifier = SignatureVerifier(trusted_roots=real_roots, fetch=ChainServer())
    pem = (FIXTURES / path).read_bytes()
    trusted = verifier.validate_chain(pem, _when(at))
    assert trusted.not_before <= _when(at) <= trusted.not_after
    with pytest.raises(VerificationException, match="not valid at validation time"):
        verifier.validate_chain(pem, trusted.not_after + timedelta(days=1))


def test_real_2015_verisign_chain_is_refused(real_roots: list[x509.Certificate]) -> None:
    pem = (FIXTURES / "chains" / "echo-api-2015-verisign-expired.pem").read_bytes()
    leaf = x509.load_pem_x509_certificates(pem)[0]
    within_validity = leaf.not_valid_before_utc + (leaf.not_valid_after_utc - leaf.not_valid_before_utc) / 2
    verifier = SignatureVerifier(trusted_roots=real_roots, fetch=ChainServer())
    for moment in (within_validity, NOW):
        with pytest.raises(VerificationException, match="chain rejected"):
            verifier.validate_chain(pem, moment)


def test_amazon_era_real_chains_need_only_certifi() -> None:
    manifest = _manifest()
    if manifest is None:
        pytest.skip(MISSING_FIXTURES)
    verifier = SignatureVerifier()  # production default: certifi's roots only
    for entry in manifest["chains_without_requests"]:
        if entry["freeze_clock_at"]:
            verifier.validate_chain((FIXTURES / entry["file"]).read_bytes(), _when(entry["freeze_clock_at"]))
