"""Verify that a request really comes from Alexa: signature, timestamp and skill id.

Where the signing chain comes from (the certificate URL's rules, the capped download) is in
cert_chain_url.py; here it is validated against trusted roots and cached per URL.

Each verifier implements the ASK SDK's ``AbstractVerifier`` and raises ``VerificationException``
(with a reason for the log, never for the caller) on every failure, so the webhook answers 400.
"""

from __future__ import annotations

import base64
import threading
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from http.client import HTTPException
from pathlib import Path
from typing import Any

import certifi
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.verification import (
    DNSName,
    PolicyBuilder,
    Store,
    VerificationError,
)

from skill.webservice.cert_chain_url import (
    CERT_URL_HEADER,
    cached_canonical_cert_url,
    download_chain,
)
from skill.webservice.sdk_support import AbstractVerifier, VerificationException

# The header name follows the hash: Amazon sends SHA-256 in "Signature-256"; the legacy SHA-1
# "Signature" header exists only so tests can check real pre-2022 signed requests.
SIGNATURE_HEADERS = {"sha256": "Signature-256", "sha1": "Signature"}
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {"sha256": hashes.SHA256, "sha1": hashes.SHA1}
ALEXA_SAN = "echo-api.amazon.com"
MAX_CACHED_CHAINS = 32  # Amazon rotates its certificate about once a year
MAX_TIMESTAMP_TOLERANCE_SECONDS = 150  # Amazon's limit for ordinary requests

Clock = Callable[[], datetime]
Fetch = Callable[[str], bytes]


def utc_now() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(timezone.utc)


def load_certifi_roots() -> list[x509.Certificate]:
    """Load certifi's CA bundle as cryptography certificates."""
    end = b"-----END CERTIFICATE-----"
    roots: list[x509.Certificate] = []
    # Some trusted roots (GoDaddy G2, Starfield G2, ...) have serial number 0: cryptography loads
    # them with a deprecation warning today and may refuse them later. Keep each root while it
    # loads, skip it once it doesn't, and print no warning. Runs at startup, not per request.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        for block in Path(certifi.where()).read_bytes().split(end)[:-1]:
            try:
                roots.append(x509.load_pem_x509_certificate(block + end))
            except ValueError:
                continue
    return roots


def _header(headers: Mapping[str, Any], name: str) -> str | None:
    """Return a header value by case-insensitive name, stripped, or None."""
    value = headers.get(name)
    if value is None:
        wanted = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == wanted), None)
    return value.strip() if isinstance(value, str) else None


@dataclass(frozen=True)
class TrustedLeaf:
    """The public key of a validated signing certificate and the dates it is valid between."""

    public_key: rsa.RSAPublicKey
    not_before: datetime
    not_after: datetime


class SignatureVerifier(AbstractVerifier):
    """Check the request signature against Amazon's certificate chain, cached per URL."""

    def __init__(
        self,
        trusted_roots: Iterable[x509.Certificate] | None = None,
        fetch: Fetch = download_chain,
        clock: Clock = utc_now,
        hash_name: str = "sha256",
    ) -> None:
        if hash_name not in _HASHES:
            raise ValueError(f"hash_name must be one of {sorted(_HASHES)}, not {hash_name!r}")
        roots = list(trusted_roots) if trusted_roots is not None else load_certifi_roots()
        # The store and policy are built once; a chain is validated only on a cache miss.
        self._policy = PolicyBuilder().store(Store(roots))
        self._fetch = fetch
        self._clock = clock
        self._hash = _HASHES[hash_name]
        self._signature_header = SIGNATURE_HEADERS[hash_name]
        self._lock = threading.Lock()
        self._cache: dict[str, TrustedLeaf] = {}
        self._loading: dict[str, threading.Lock] = {}

    def verify(
        self, headers: Mapping[str, Any], serialized_request_env: str, deserialized_request_env: Any
    ) -> None:
        """Raise VerificationException unless the raw body carries a valid Alexa signature."""
        signature_b64 = _header(headers, self._signature_header)
        if not signature_b64:
            raise VerificationException(f"missing or empty {self._signature_header} header")
        try:
            signature = base64.b64decode(signature_b64, validate=True)
        except ValueError as err:
            raise VerificationException("signature is not valid base64") from err
        url = _header(headers, CERT_URL_HEADER)
        if not url:
            raise VerificationException(f"missing or empty {CERT_URL_HEADER} header")
        leaf = self._trusted_leaf(cached_canonical_cert_url(url))
        try:
            # The body arrived as UTF-8 and was decoded strictly, so this gives back the exact
            # bytes Amazon signed; re-serialising the JSON would not.
            body = serialized_request_env.encode("utf-8")
        except UnicodeEncodeError as err:
            raise VerificationException("request body cannot be encoded as UTF-8") from err
        try:
            leaf.public_key.verify(signature, body, PKCS1v15(), self._hash())
        except InvalidSignature as err:
            raise VerificationException("signature does not match the request body") from err

    def validate_chain(self, pem: bytes, at: datetime | None = None) -> TrustedLeaf:
        """Validate a PEM chain as Amazon's signing chain at a moment (default: now).

        Raises:
            VerificationException: the PEM does not parse, the path does not lead to a trusted
            root, or the leaf lacks the echo-api.amazon.com SAN, digitalSignature or an RSA key.
        """
        try:
            certs = x509.load_pem_x509_certificates(pem)
        except ValueError as err:
            raise VerificationException("certificate chain is not valid PEM") from err
        leaf, untrusted = certs[0], certs[1:]
        # Every certificate after the leaf is only a candidate intermediate: the last one in
        # Amazon's file may be issued by a root no bundle trusts any more, so the path builder
        # stops at whichever trusted root it reaches.
        verifier = self._policy.time(at or self._clock()).build_server_verifier(DNSName(ALEXA_SAN))
        try:
            verifier.verify(leaf, untrusted)
        except VerificationError as err:
            raise VerificationException(f"certificate chain rejected: {err}") from err
        try:
            usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
            names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except (x509.ExtensionNotFound, ValueError) as err:
            raise VerificationException(f"signing certificate lacks an extension: {err}") from err
        # Amazon requires digitalSignature; the server policy above does not check key usage.
        if not usage.digital_signature:
            raise VerificationException("signing certificate lacks the digitalSignature key usage")
        if ALEXA_SAN not in names.get_values_for_type(x509.DNSName):
            raise VerificationException(f"signing certificate lacks the {ALEXA_SAN} SAN")
        key = leaf.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise VerificationException("signing certificate does not have an RSA key")
        return TrustedLeaf(key, leaf.not_valid_before_utc, leaf.not_valid_after_utc)

    def _trusted_leaf(self, url: str) -> TrustedLeaf:
        """Return the validated leaf for a canonical URL, valid now; download it at most once."""
        now = self._clock()
        with self._lock:
            leaf = self._cache.get(url)
            if leaf is None:
                load_lock = self._loading.setdefault(url, threading.Lock())
        if leaf is None:
            leaf = self._load(url, load_lock, now)
        # Re-checked on every use: a cached certificate must not outlive its validity.
        if not leaf.not_before <= now <= leaf.not_after:
            raise VerificationException(f"signing certificate from {url!r} is not valid at {now}")
        return leaf

    def _load(self, url: str, load_lock: threading.Lock, now: datetime) -> TrustedLeaf:
        """Download and validate a chain once, even when many requests need it at the same time."""
        # One lock per URL: concurrent first requests wait for a single download, while a slow
        # or failing URL does not hold up requests that use other URLs.
        with load_lock:
            with self._lock:
                cached = self._cache.get(url)
            if cached is not None:
                return cached
            try:
                leaf = self.validate_chain(self._download(url), at=now)
                with self._lock:
                    if len(self._cache) >= MAX_CACHED_CHAINS:
                        del self._cache[next(iter(self._cache))]
                    self._cache[url] = leaf
            finally:
                with self._lock:
                    self._loading.pop(url, None)
            return leaf

    def _download(self, url: str) -> bytes:
        """Fetch a chain, turning any download failure into VerificationException."""
        try:
            return self._fetch(url)
        except (OSError, HTTPException, ValueError) as err:
            raise VerificationException(f"cannot download {url!r}: {err}") from err


class TimestampVerifier(AbstractVerifier):
    """Refuse requests whose timestamp is too far from now (replay protection)."""

    def __init__(
        self, tolerance_seconds: float = MAX_TIMESTAMP_TOLERANCE_SECONDS, clock: Clock = utc_now
    ) -> None:
        if not 0 <= tolerance_seconds <= MAX_TIMESTAMP_TOLERANCE_SECONDS:
            raise ValueError(f"tolerance_seconds must be 0..{MAX_TIMESTAMP_TOLERANCE_SECONDS}")
        self._tolerance = tolerance_seconds
        self._clock = clock

    def verify(
        self, headers: Mapping[str, Any], serialized_request_env: str, deserialized_request_env: Any
    ) -> None:
        """Raise VerificationException if request.timestamp is missing or out of tolerance."""
        stamp = getattr(getattr(deserialized_request_env, "request", None), "timestamp", None)
        if not isinstance(stamp, datetime):
            raise VerificationException("request has no timestamp")
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=timezone.utc)
        skew = (self._clock() - stamp).total_seconds()
        if abs(skew) > self._tolerance:
            raise VerificationException(f"request timestamp is {skew:.0f} s away from now")


class ApplicationIdVerifier(AbstractVerifier):
    """Refuse requests addressed to another skill."""

    def __init__(self, skill_id: str) -> None:
        if not skill_id:
            raise ValueError("skill_id must be the skill's application id")
        self._skill_id = skill_id

    def verify(
        self, headers: Mapping[str, Any], serialized_request_env: str, deserialized_request_env: Any
    ) -> None:
        """Raise VerificationException unless context.System.application.applicationId matches."""
        try:
            application_id = deserialized_request_env.context.system.application.application_id
        except AttributeError:
            application_id = None
        if application_id != self._skill_id:
            raise VerificationException(f"request is for application id {application_id!r}")
