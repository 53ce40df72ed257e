"""Where Amazon's signing certificate chain comes from: the SignatureCertChainUrl rules and the download.

The URL must be https on s3.amazonaws.com (port 443 if given) with a normalised path under
/echo.api/; the chain is fetched from exactly that canonical URL, with a short timeout, a size cap
and no redirects. verifier.py validates what comes back.
"""

from __future__ import annotations

import functools
import posixpath
import ssl
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import certifi

from skill.webservice.sdk_support import VerificationException

CERT_URL_HEADER = "SignatureCertChainUrl"
CERT_URL_HOST = "s3.amazonaws.com"
CERT_URL_PORT = 443
CERT_URL_PATH_PREFIX = "/echo.api/"
DOWNLOAD_TIMEOUT_SECONDS = 3.0
MAX_CHAIN_BYTES = 64 * 1024  # a real Amazon chain is about 7 KiB


def canonical_cert_url(url: str) -> str:
    """Check a SignatureCertChainUrl against Amazon's rules and return it in canonical form.

    Raises:
        VerificationException: the URL is not an https URL under s3.amazonaws.com/echo.api/.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as err:
        raise VerificationException(f"malformed certificate URL {url!r}") from err
    if parts.scheme.lower() != "https":
        raise VerificationException(f"certificate URL is not https: {url!r}")
    if (parts.hostname or "").lower() != CERT_URL_HOST:
        raise VerificationException(f"certificate URL has the wrong host: {url!r}")
    if port is not None and port != CERT_URL_PORT:
        raise VerificationException(f"certificate URL has the wrong port: {url!r}")
    path = posixpath.normpath(parts.path) if parts.path else ""
    if not path.startswith(CERT_URL_PATH_PREFIX):
        raise VerificationException(f"certificate URL path is not under /echo.api/: {url!r}")
    # Fetch and cache exactly what was checked: no user info, query or fragment, so spelling
    # variants of one file share one cache entry.
    return f"https://{CERT_URL_HOST}{path}"


# Alexa sends the same few URLs all day: check and canonicalise each spelling once. Refusals
# raise, and lru_cache keeps no exceptions, so only URLs that passed are remembered (bounded).
cached_canonical_cert_url = functools.lru_cache(maxsize=256)(canonical_cert_url)


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """Turn any redirect into an HTTPError: the chain must come from the URL that was checked."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def download_chain(
    url: str, *, timeout: float = DOWNLOAD_TIMEOUT_SECONDS, max_bytes: int = MAX_CHAIN_BYTES
) -> bytes:
    """Download a PEM chain with a short timeout and a size cap.

    Raises:
        OSError, HTTPException or ValueError: the download failed or was too large.
    """
    https = urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=certifi.where()))
    opener = urllib.request.build_opener(_RefuseRedirects, https)
    with opener.open(url, timeout=timeout) as response:
        data: bytes = response.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValueError(f"certificate chain at {url!r} is larger than {max_bytes} bytes")
    return data
