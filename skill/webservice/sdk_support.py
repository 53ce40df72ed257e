"""Import ask_sdk_webservice_support safely; the rest of the project imports its names from here.

``ask_sdk_webservice_support.verifier`` imports ``certvalidator`` at module level, and
``certvalidator`` imports ``oscrypto`` 1.3.0. On machines with OpenSSL 3.0.x where x has two
digits (3.0.19 here) oscrypto's libcrypto version regex fails and raises ``LibraryNotFoundError``
on import (wbond/oscrypto#75 and #78: fixed in git, never released). That makes the whole SDK
package, including ``WebserviceSkillHandler``, unimportable.

We only need ``certvalidator`` for the SDK's own ``RequestVerifier``, which we never use: our
verifiers (``skill.webservice.verifier``) validate chains with ``cryptography.x509.verification``.
So, only when the real ``certvalidator`` cannot be imported, we register a small stand-in whose
``CertificateValidator`` fails loudly if anything ever calls it. When the real module imports
fine, nothing is changed. Verification stays on: the webhook always passes our verifiers.
"""

from __future__ import annotations

import logging
import sys
import types
from typing import Any

logger = logging.getLogger(__name__)

STUB_MARKER = "__foot_coach_stub__"


def _import_failures() -> tuple[type[BaseException], ...]:
    """Return the exception types that mean "certvalidator's native backend is unusable"."""
    failures: list[type[BaseException]] = [ImportError, OSError]
    try:
        from oscrypto.errors import LibraryNotFoundError
    except ImportError:
        # oscrypto is missing altogether: importing certvalidator raises ImportError.
        pass
    else:
        failures.append(LibraryNotFoundError)
    return tuple(failures)


class _ValidationError(Exception):
    """Stand-in for certvalidator.errors.ValidationError."""


class _PathError(Exception):
    """Stand-in for certvalidator.errors.PathError."""


class _UnavailableCertificateValidator:
    """Stand-in for certvalidator.CertificateValidator that refuses to be used."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError(
            "certvalidator is unavailable on this machine (oscrypto cannot load libcrypto), so the "
            "ASK SDK's RequestVerifier cannot run. Use skill.webservice.verifier.SignatureVerifier "
            "and build WebserviceSkillHandler with verify_signature=False."
        )


def _install_certvalidator_stub(reason: BaseException) -> None:
    """Register stand-in ``certvalidator`` and ``certvalidator.errors`` modules in sys.modules."""
    # The failed import leaves some real submodules (certvalidator.path, .context, ...) behind;
    # drop them so the stand-in is never mixed with half of the real package.
    for name in [name for name in sys.modules if name.startswith("certvalidator.")]:
        del sys.modules[name]
    package = types.ModuleType("certvalidator", "Stand-in: the real certvalidator cannot load.")
    errors = types.ModuleType("certvalidator.errors", "Stand-in for certvalidator.errors.")
    vars(errors).update(ValidationError=_ValidationError, PathError=_PathError)
    vars(package).update(CertificateValidator=_UnavailableCertificateValidator, errors=errors)
    package.__path__ = []  # a package, so "from certvalidator.errors import ..." resolves
    setattr(package, STUB_MARKER, repr(reason))
    sys.modules["certvalidator"] = package
    sys.modules["certvalidator.errors"] = errors
    logger.debug("certvalidator unavailable (%r); installed a stand-in", reason)


def _ensure_certvalidator_importable() -> None:
    """Install the stand-in only if the real certvalidator cannot be imported."""
    try:
        import certvalidator  # noqa: F401
    except _import_failures() as err:
        _install_certvalidator_stub(err)


def certvalidator_is_stub() -> bool:
    """Return True when the stand-in certvalidator is registered instead of the real one."""
    module = sys.modules.get("certvalidator")
    return module is not None and hasattr(module, STUB_MARKER)


_ensure_certvalidator_importable()

# These imports must follow the check above; they are the only imports of the SDK's web
# service package in the project.
from ask_sdk_webservice_support.verifier import (  # noqa: E402
    AbstractVerifier,
    VerificationException,
)
from ask_sdk_webservice_support.webservice_handler import WebserviceSkillHandler  # noqa: E402

__all__ = [
    "AbstractVerifier",
    "VerificationException",
    "WebserviceSkillHandler",
    "certvalidator_is_stub",
]
