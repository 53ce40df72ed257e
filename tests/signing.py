"""A throwaway certificate authority that signs test requests the way Alexa does, offline.

Not a test module: test_verifier.py and test_webhook.py import it. Keys are 2048-bit RSA because
cryptography's path validation refuses smaller ones; key generation is the slow part, so one
authority reuses one leaf key unless a test asks for another.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ALEXA_SAN = "echo-api.amazon.com"
CHAIN_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert-test.pem"
# Tests freeze the clock here, so certificate dates and request timestamps are deterministic.
NOW = datetime(2030, 6, 1, 12, 0, 0, tzinfo=timezone.utc)


def new_key() -> rsa.RSAPrivateKey:
    """Generate a 2048-bit RSA key."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _key_usage(*, digital_signature: bool = False, key_encipherment: bool = False,
               key_cert_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature, content_commitment=False,
        key_encipherment=key_encipherment, data_encipherment=False, key_agreement=False,
        key_cert_sign=key_cert_sign, crl_sign=key_cert_sign, encipher_only=False,
        decipher_only=False,
    )


@dataclass
class Leaf:
    """A signing certificate, its private key, and the chain a verifier would download."""

    cert: x509.Certificate
    key: rsa.RSAPrivateKey
    intermediates: list[x509.Certificate] = field(default_factory=list)

    def chain_pem(self) -> bytes:
        """Return the leaf followed by its intermediates, as Amazon serves them."""
        return b"".join(c.public_bytes(serialization.Encoding.PEM)
                        for c in [self.cert, *self.intermediates])

    def sign(self, body: bytes, *, algorithm: hashes.HashAlgorithm | None = None) -> str:
        """Sign body like Alexa (RSA PKCS#1 v1.5, SHA-256 unless given) and return base64."""
        signature = self.key.sign(body, PKCS1v15(), algorithm or hashes.SHA256())
        return base64.b64encode(signature).decode("ascii")


class CertificateAuthority:
    """A root CA, an optional intermediate, and leaf certificates issued on demand."""

    def __init__(self, name: str = "Foot Coach Test Root", *, intermediate: bool = True,
                 now: datetime = NOW) -> None:
        self.now = now
        self.root_key = new_key()
        self.root = self._certificate(
            subject=_name(name), key=self.root_key, issuer=None, ca=True,
            not_before=now - timedelta(days=3650), not_after=now + timedelta(days=3650),
        )
        self.issuer_cert, self.issuer_key = self.root, self.root_key
        self.intermediates: list[x509.Certificate] = []
        if intermediate:
            key = new_key()
            cert = self._certificate(
                subject=_name(f"{name} Intermediate"), key=key, issuer=(self.root, self.root_key),
                ca=True, not_before=now - timedelta(days=1000), not_after=now + timedelta(days=1000),
            )
            self.issuer_cert, self.issuer_key = cert, key
            self.intermediates = [cert]
        self.leaf_key = new_key()

    def issue(
        self,
        *,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
        san: str | None = ALEXA_SAN,
        digital_signature: bool | None = True,
        key: rsa.RSAPrivateKey | None = None,
    ) -> Leaf:
        """Issue a leaf like Amazon's echo-api certificate, with the given differences.

        ``san=None`` leaves out the SAN extension; ``digital_signature=None`` leaves out key
        usage altogether, False keeps only keyEncipherment.
        """
        key = key or self.leaf_key
        cert = self._certificate(
            subject=_name(ALEXA_SAN), key=key, issuer=(self.issuer_cert, self.issuer_key),
            ca=False, san=san, digital_signature=digital_signature,
            not_before=not_before or self.now - timedelta(days=30),
            not_after=not_after or self.now + timedelta(days=335),
        )
        return Leaf(cert=cert, key=key, intermediates=list(self.intermediates))

    @staticmethod
    def _certificate(
        *,
        subject: x509.Name,
        key: rsa.RSAPrivateKey,
        issuer: tuple[x509.Certificate, rsa.RSAPrivateKey] | None,
        ca: bool,
        not_before: datetime,
        not_after: datetime,
        san: str | None = None,
        digital_signature: bool | None = True,
    ) -> x509.Certificate:
        issuer_name, issuer_key = (issuer[0].subject, issuer[1]) if issuer else (subject, key)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                critical=False,
            )
        )
        if ca:
            builder = builder.add_extension(_key_usage(key_cert_sign=True), critical=True)
        else:
            if digital_signature is not None:
                usage = _key_usage(digital_signature=digital_signature, key_encipherment=True)
                builder = builder.add_extension(usage, critical=True)
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                critical=False,
            )
            if san is not None:
                builder = builder.add_extension(
                    x509.SubjectAlternativeName([x509.DNSName(san)]), critical=False
                )
        return builder.sign(issuer_key, hashes.SHA256())


class ChainServer:
    """Serve PEM chains by URL the way S3 would, without network, counting every download."""

    def __init__(self) -> None:
        self.chains: dict[str, bytes] = {}
        self.calls: list[str] = []

    def publish(self, url: str, pem: bytes) -> None:
        """Make pem downloadable at url."""
        self.chains[url] = pem

    def __call__(self, url: str) -> bytes:
        """Return the chain at url, or raise OSError like a failed download."""
        self.calls.append(url)
        try:
            return self.chains[url]
        except KeyError:
            raise OSError(f"404 Not Found: {url}") from None
